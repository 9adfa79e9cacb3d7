/*
 * What "ikectl show" prints: canonical text (as ikecc -v prints it,
 * secrets redacted) or JSON for machines.
 */
#include <stdlib.h>
#include <string.h>

#include "ikerund.h"
#include "log.h"

void
json_string(FILE *fp, const char *s)
{
	const unsigned char	*p;

	fputc('"', fp);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(fp, "\\u%04x", *p);
			else
				fputc(*p, fp);
		}
	}
	fputc('"', fp);
}

/* text of a host, through the canonical printer */
static void
json_host(FILE *fp, const struct pol_host *h)
{
	char	*s = NULL;
	size_t	 len = 0;
	FILE	*m;

	if ((m = open_memstream(&s, &len)) == NULL) {
		fputs("null", fp);
		return;
	}
	policy_print_host(h, m);
	fclose(m);
	/* names are printed quoted for the parser: unquote for JSON */
	if (len >= 2 && s[0] == '"') {
		s[len - 1] = '\0';
		json_string(fp, s + 1);
	} else
		json_string(fp, s);
	free(s);
}

static void
json_props(FILE *fp, const char *key, const struct pol_prop *props, size_t n)
{
	static const char *const tnames[] = { "", "enc", "prf", "auth",
					    "group", "esn" };
	const struct pol_xform_name	*xn;
	size_t				 i;
	int				 j, where;

	fprintf(fp, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		where = props[i].pr_protoid == PROTO_IKE ? XN_IKE : XN_ESP;
		fputs(i ? ",{" : "{", fp);
		for (j = 0; j < props[i].pr_nxf; j++) {
			xn = policy_xform_byid(where, &props[i].pr_xf[j]);
			fprintf(fp, "%s\"%s\":", j ? "," : "",
			    tnames[props[i].pr_xf[j].xf_type]);
			json_string(fp, xn != NULL ? xn->xn_name : "?");
		}
		fputc('}', fp);
	}
	fputc(']', fp);
}

static void
json_policy(FILE *fp, const struct policy *pol)
{
	static const char *const match[] = { "none", "quick", "skip",
					    "default" };
	char	*text = NULL;
	size_t	 len = 0, i;
	FILE	*m;

	fputs("{\"name\":", fp);
	json_string(fp, pol->pol_name);
	fprintf(fp, ",\"match\":\"%s\",\"mode\":\"%s\",\"encap\":\"%s\","
	    "\"tmode\":\"%s\"", pol->pol_match < MATCH_MAX ?
	    match[pol->pol_match] : "?",
	    pol->pol_flags & POL_F_ACTIVE ? "active" : "passive",
	    pol->pol_flags & POL_F_AH ? "ah" : "esp",
	    pol->pol_flags & POL_F_TRANSPORT ? "transport" : "tunnel");
	fputs(",\"flows\":[", fp);
	for (i = 0; i < pol->pol_nflows; i++) {
		fputs(i ? ",{\"from\":" : "{\"from\":", fp);
		json_host(fp, &pol->pol_flows[i].fl_src);
		fputs(",\"to\":", fp);
		json_host(fp, &pol->pol_flows[i].fl_dst);
		fprintf(fp, ",\"sport\":%u,\"dport\":%u}",
		    pol->pol_flows[i].fl_sport, pol->pol_flows[i].fl_dport);
	}
	fputs("],\"local\":", fp);
	json_host(fp, &pol->pol_local);
	fputs(",\"peer\":", fp);
	json_host(fp, &pol->pol_peer);
	json_props(fp, "ikesa", pol->pol_ikeprops, pol->pol_nikeprops);
	json_props(fp, "childsa", pol->pol_childprops, pol->pol_nchildprops);
	fputs(",\"srcid\":", fp);
	json_string(fp, pol->pol_srcid.id_str != NULL ?
	    pol->pol_srcid.id_str : "");
	fputs(",\"dstid\":", fp);
	json_string(fp, pol->pol_dstid.id_str != NULL ?
	    pol->pol_dstid.id_str : "");
	fprintf(fp, ",\"ikelifetime\":%llu,\"lifetime\":%llu,\"bytes\":%llu,"
	    "\"auth\":\"%s\"", (unsigned long long)pol->pol_ikelifetime,
	    (unsigned long long)pol->pol_lifetime,
	    (unsigned long long)pol->pol_bytes,
	    pol->pol_auth < AUTH_MAX ? policy_auth_names[pol->pol_auth] : "?");
	fputs(",\"tag\":", fp);
	json_string(fp, pol->pol_tag != NULL ? pol->pol_tag : "");
	if ((m = open_memstream(&text, &len)) != NULL) {
		policy_print(pol, PRINT_REDACT, m);
		fclose(m);
		if (len > 0 && text[len - 1] == '\n')
			text[len - 1] = '\0';
		fputs(",\"text\":", fp);
		json_string(fp, text);
		free(text);
	}
	fputc('}', fp);
}

void
show_policies(const struct policy_set *ps, int json, FILE *fp)
{
	size_t	 i;

	if (!json) {
		if (ps != NULL)
			policy_print_set(ps, PRINT_REDACT, fp);
		return;
	}
	fputs("{\"policies\":[", fp);
	for (i = 0; ps != NULL && i < ps->ps_npolicies; i++) {
		if (i)
			fputc(',', fp);
		json_policy(fp, &ps->ps_policies[i]);
	}
	fputs("],\"users\":[", fp);
	for (i = 0; ps != NULL && i < ps->ps_nusers; i++) {
		if (i)
			fputc(',', fp);
		json_string(fp, ps->ps_users[i].u_name);
	}
	fputs("]}\n", fp);
}

void
show_sas(const struct sa_list *sas, int json, FILE *fp)
{
	static const char *const st[] = { "larval", "established", "rekey",
					  "deleting" };
	const struct sa	*sa;
	int		 first = 1;
	time_t		 now = time(NULL);

	if (json)
		fputs("{\"sas\":[", fp);
	TAILQ_FOREACH(sa, sas, sa_entry) {
		if (json) {
			fprintf(fp, "%s{\"id\":%llu,\"policy\":", first ? "" :
			    ",", (unsigned long long)sa->sa_id);
			json_string(fp, sa->sa_policy_name);
			fputs(",\"peer_id\":", fp);
			json_string(fp, sa->sa_peer_id);
			fputs(",\"local_id\":", fp);
			json_string(fp, sa->sa_local_id);
			fputs(",\"peer\":", fp);
			json_string(fp, sa->sa_peer);
			fputs(",\"local\":", fp);
			json_string(fp, sa->sa_local);
			fprintf(fp, ",\"role\":\"%s\",\"ispi\":\"%016llx\","
			    "\"rspi\":\"%016llx\",\"ike_algorithms\":",
			    sa->sa_initiator ? "initiator" : "responder",
			    (unsigned long long)sa->sa_ispi,
			    (unsigned long long)sa->sa_rspi);
			json_string(fp, sa->sa_ike_algs);
			if (sa->sa_child_algs[0] != '\0') {
				fputs(",\"child\":{\"algorithms\":", fp);
				json_string(fp, sa->sa_child_algs);
				fprintf(fp, ",\"mode\":\"%s\",\"spi_in\":"
				    "\"%08x\",\"spi_out\":\"%08x\","
				    "\"bytes_in\":%llu,\"bytes_out\":%llu}",
				    sa->sa_child_mode, sa->sa_spi_in,
				    sa->sa_spi_out,
				    (unsigned long long)sa->sa_bytes_in,
				    (unsigned long long)sa->sa_bytes_out);
			}
			fprintf(fp, ",\"state\":\"%s\",\"generation\":%llu,"
			    "\"age\":%lld}", st[sa->sa_state & 3],
			    (unsigned long long)sa->sa_gen,
			    (long long)(now - sa->sa_created));
		} else {
			fprintf(fp, "sa %llu policy \"%s\" peer \"%s\" %s "
			    "generation %llu age %llds\n",
			    (unsigned long long)sa->sa_id, sa->sa_policy_name,
			    sa->sa_peer_id, st[sa->sa_state & 3],
			    (unsigned long long)sa->sa_gen,
			    (long long)(now - sa->sa_created));
			if (sa->sa_peer[0] == '\0')
				goto next;
			fprintf(fp, "  ike %s %s -> %s, local id \"%s\", "
			    "spi %016llx:%016llx, %s\n",
			    sa->sa_initiator ? "initiator" : "responder",
			    sa->sa_local[0] != '\0' ? sa->sa_local : "*",
			    sa->sa_peer, sa->sa_local_id,
			    (unsigned long long)sa->sa_ispi,
			    (unsigned long long)sa->sa_rspi,
			    sa->sa_ike_algs);
			if (sa->sa_child_algs[0] != '\0')
				fprintf(fp, "  child %s %s, spi in %08x out "
				    "%08x, bytes in %llu out %llu\n",
				    sa->sa_child_algs, sa->sa_child_mode,
				    sa->sa_spi_in, sa->sa_spi_out,
				    (unsigned long long)sa->sa_bytes_in,
				    (unsigned long long)sa->sa_bytes_out);
		}
 next:
		first = 0;
	}
	if (json)
		fputs("]}\n", fp);
}
