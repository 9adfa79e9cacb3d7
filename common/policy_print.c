/*
 * Canonical iked.conf text of a policy set: one line per statement, in
 * the order and spelling of OpenIKED's "iked -nv", fully expanded.  The
 * same text is what "ikecc -v" prints (with secrets redacted) and what
 * "ikecc -d" prints (with secrets, so that it compiles back to the same
 * blob).  Where OpenIKED's output would not parse back (unquoted
 * distinguished names, "request" printed as "config", "dynamic" printed
 * as an address, the address family after the protocols), this printer
 * says what was meant; ikecc(8) lists each
 * such difference.
 */
#include <openssl/crypto.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

#define REDACTED	"<redacted>"

/*
 * Print s so that the lexer reads it back as one STRING token.  In a
 * quoted string a backslash escapes only the quote, a space or a tab:
 * those are escaped when they are in s or follow a backslash of s.  (A
 * string cannot end in a backslash; the lexer refuses them.)
 */
static void
print_quoted(const char *s, FILE *fp)
{
	const char	*p;

	fputc('"', fp);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || ((*p == ' ' || *p == '\t') && p > s &&
		    p[-1] == '\\'))
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

void
policy_print_host(const struct pol_host *h, FILE *fp)
{
	char	 buf[INET6_ADDRSTRLEN];
	int	 af = h->h_af == POL_AF_INET6 ? AF_INET6 : AF_INET;

	switch (h->h_kind) {
	case HOST_ADDR:
	case HOST_RANGE:
		if (inet_ntop(af, h->h_ip, buf, sizeof(buf)) == NULL)
			strlcpy(buf, "?", sizeof(buf));
		fputs(buf, fp);
		if (h->h_kind == HOST_RANGE) {
			if (inet_ntop(af, h->h_ip2, buf, sizeof(buf)) ==
			    NULL)
				strlcpy(buf, "?", sizeof(buf));
			fprintf(fp, "-%s", buf);	/* one word */
		} else if (h->h_plen != POL_PLEN_NONE)
			fprintf(fp, "/%u", h->h_plen);
		break;
	case HOST_NAME:
		print_quoted(h->h_name, fp);
		if (h->h_plen != POL_PLEN_NONE)
			fprintf(fp, "/%u", h->h_plen);
		break;
	case HOST_ANY:
		fputs("any", fp);
		break;
	case HOST_DYNAMIC:
		fputs("dynamic", fp);
		break;
	default:
		fputs("?", fp);
		break;
	}
}

/*
 * A protocol by its /etc/protocols name.  The names that are keywords of
 * iked.conf (esp, ah, skip, ipcomp) are quoted, so that they read back
 * as names.
 */
static void
print_proto(uint8_t p, FILE *fp)
{
	static const char *const kw[] = { "ah", "esp", "ipcomp", "skip" };
	struct protoent	*pe;
	size_t		 i;

	if ((pe = getprotobynumber(p)) == NULL) {
		fprintf(fp, "%u", p);
		return;
	}
	for (i = 0; i < nitems(kw); i++)
		if (strcmp(pe->p_name, kw[i]) == 0)
			break;
	if (i < nitems(kw))
		print_quoted(pe->p_name, fp);
	else
		fputs(pe->p_name, fp);
}

static void
print_props(const char *kw, const struct pol_prop *props, size_t n,
    FILE *fp)
{
	static const char *const tnames[] = { "", "enc", "prf", "auth",
					    "group", "" };
	const struct pol_xform_name	*xn;
	const struct pol_xform		*xf;
	size_t				 i;
	int				 j, where;

	for (i = 0; i < n; i++) {
		where = props[i].pr_protoid == PROTO_IKE ? XN_IKE : XN_ESP;
		fprintf(fp, " %s", kw);
		for (j = 0; j < props[i].pr_nxf; j++) {
			xf = &props[i].pr_xf[j];
			if ((xn = policy_xform_byid(where, xf)) == NULL) {
				fprintf(fp, " ?%u:%u", xf->xf_type,
				    xf->xf_id);
				continue;
			}
			if (xf->xf_type == XF_ESN)
				fprintf(fp, " %s", xn->xn_name);
			else
				fprintf(fp, " %s %s", tnames[xf->xf_type],
				    xn->xn_name);
		}
	}
}

static void
print_flows(const struct policy *pol, FILE *fp)
{
	const struct pol_flow	*fl;
	size_t			 i;

	for (i = 0; i < pol->pol_nflows; i++) {
		fl = &pol->pol_flows[i];
		fputs(" from ", fp);
		policy_print_host(&fl->fl_src, fp);
		if (fl->fl_srcnat.h_kind != HOST_NONE) {
			fputs(" (", fp);
			policy_print_host(&fl->fl_srcnat, fp);
			fputs(")", fp);
		}
		if (fl->fl_sport != 0)
			fprintf(fp, " port %u", fl->fl_sport);
		fputs(" to ", fp);
		policy_print_host(&fl->fl_dst, fp);
		if (fl->fl_dport != 0)
			fprintf(fp, " port %u", fl->fl_dport);
	}
}

void
policy_print(const struct policy *pol, int flags, FILE *fp)
{
	static const char *const match[] = { "", " quick", " skip",
					    " default" };
	const struct pol_cfg	*pc;
	char			*hex;
	size_t			 i;

	fputs("ikev2 ", fp);
	print_quoted(pol->pol_name, fp);
	if (pol->pol_match < MATCH_MAX)
		fputs(match[pol->pol_match], fp);
	fputs(pol->pol_flags & POL_F_ACTIVE ? " active" : " passive", fp);
	if (pol->pol_flags & POL_F_IPCOMP)
		fputs(" ipcomp", fp);
	fputs(pol->pol_flags & POL_F_TRANSPORT ? " transport" : " tunnel", fp);
	if (pol->pol_flags & POL_F_NATT)
		fputs(" natt", fp);
	fputs(pol->pol_flags & POL_F_AH ? " ah" : " esp", fp);
	/* the family before the protocols, in the order the grammar wants */
	if (pol->pol_af == POL_AF_INET)
		fputs(" inet", fp);
	else if (pol->pol_af == POL_AF_INET6)
		fputs(" inet6", fp);
	if (pol->pol_nprotos > 0) {
		fputs(" proto {", fp);
		for (i = 0; i < pol->pol_nprotos; i++) {
			fputs(i == 0 ? " " : ", ", fp);
			print_proto(pol->pol_protos[i], fp);
		}
		fputs(" }", fp);
	}
	if (pol->pol_flags & POL_F_RDOMAIN)
		fprintf(fp, " rdomain %u", pol->pol_rdomain);
	print_flows(pol, fp);
	if (pol->pol_match != MATCH_DEFAULT) {
		if (pol->pol_local.h_kind != HOST_NONE) {
			fputs(" local ", fp);
			policy_print_host(&pol->pol_local, fp);
		}
		if (pol->pol_peer.h_kind != HOST_NONE) {
			fputs(" peer ", fp);
			policy_print_host(&pol->pol_peer, fp);
		}
	}
	print_props("ikesa", pol->pol_ikeprops, pol->pol_nikeprops, fp);
	print_props("childsa", pol->pol_childprops, pol->pol_nchildprops, fp);
	if (pol->pol_srcid.id_type != ID_NONE) {
		fputs(" srcid ", fp);
		print_quoted(pol->pol_srcid.id_str, fp);
	}
	if (pol->pol_dstid.id_type != ID_NONE) {
		fputs(" dstid ", fp);
		print_quoted(pol->pol_dstid.id_str, fp);
	}
	if (pol->pol_ikelifetime != 0)
		fprintf(fp, " ikelifetime %llu",
		    (unsigned long long)pol->pol_ikelifetime);
	fprintf(fp, " lifetime %llu bytes %llu",
	    (unsigned long long)pol->pol_lifetime,
	    (unsigned long long)pol->pol_bytes);
	switch (pol->pol_auth) {
	case AUTH_PSK:
		if (flags & PRINT_REDACT) {
			fputs(" psk " REDACTED, fp);
			break;
		}
		hex = xcalloc(1, 2 * pol->pol_psklen + 1);
		hex_encode(pol->pol_psk, pol->pol_psklen, hex);
		fprintf(fp, " psk 0x%s", hex);
		freezero(hex, 2 * pol->pol_psklen + 1);
		break;
	case AUTH_EAP:
		fputs(" eap \"MSCHAP_V2\"", fp);
		break;
	default:
		if (pol->pol_auth < AUTH_MAX)
			fprintf(fp, " %s", policy_auth_names[pol->pol_auth]);
		break;
	}
	for (i = 0; i < pol->pol_ncfg; i++) {
		pc = &pol->pol_cfg[i];
		fprintf(fp, " %s %s ", pc->pc_request ? "request" : "config",
		    pc->pc_opt < CFG_MAX ? policy_cfg_names[pc->pc_opt] : "?");
		policy_print_host(&pc->pc_host, fp);
	}
	if (pol->pol_iface != NULL) {
		fputs(" iface ", fp);
		print_quoted(pol->pol_iface, fp);
	}
	if (pol->pol_tag != NULL) {
		fputs(" tag ", fp);
		print_quoted(pol->pol_tag, fp);
	}
	if (pol->pol_flags & POL_F_TAP)
		fprintf(fp, " tap \"enc%u\"", pol->pol_tap);
	fputc('\n', fp);
}

void
policy_print_user(const struct pol_user *u, int flags, FILE *fp)
{
	fputs("user ", fp);
	print_quoted(u->u_name, fp);
	if (flags & PRINT_REDACT)
		fputs(" " REDACTED "\n", fp);
	else {
		fputc(' ', fp);
		print_quoted(u->u_pass, fp);
		fputc('\n', fp);
	}
}

/* Every "set" option whose value differs from the default. */
void
policy_print_globals(const struct pol_globals *gl, FILE *fp)
{
	static const struct {
		uint32_t	 flag;
		const char	*name;
	} opts[] = {
		{ GL_PASSIVE,		"passive" },
		{ GL_DECOUPLE,		"decouple" },
		{ GL_FRAGMENTATION,	"fragmentation" },
		{ GL_NOMOBIKE,		"nomobike" },
		{ GL_NOVENDORID,	"novendorid" },
		{ GL_ENFORCESINGLEIKESA, "enforcesingleikesa" },
		{ GL_STICKYADDRESS,	"stickyaddress" },
		{ GL_CERT_PARTIAL_CHAIN, "cert_partial_chain" },
	};
	size_t	 i;

	for (i = 0; i < nitems(opts); i++)
		if (gl->gl_flags & opts[i].flag)
			fprintf(fp, "set %s\n", opts[i].name);
	if (gl->gl_dpd_interval != GL_DPD_DEFAULT)
		fprintf(fp, "set dpd_check_interval %u\n",
		    gl->gl_dpd_interval);
	if (gl->gl_ocsp_url != NULL) {
		fputs("set ocsp ", fp);
		print_quoted(gl->gl_ocsp_url, fp);
		if (gl->gl_ocsp_tolerate != 0 ||
		    gl->gl_ocsp_maxage != GL_OCSP_MAXAGE_NONE)
			fprintf(fp, " tolerate %u", gl->gl_ocsp_tolerate);
		if (gl->gl_ocsp_maxage != GL_OCSP_MAXAGE_NONE)
			fprintf(fp, " maxage %lld",
			    (long long)gl->gl_ocsp_maxage);
		fputc('\n', fp);
	}
}

void
policy_print_set(const struct policy_set *ps, int flags, FILE *fp)
{
	size_t	 i;

	if (flags & PRINT_GLOBALS)
		policy_print_globals(&ps->ps_globals, fp);
	for (i = 0; i < ps->ps_nusers; i++)
		policy_print_user(&ps->ps_users[i], flags, fp);
	for (i = 0; i < ps->ps_npolicies; i++)
		policy_print(&ps->ps_policies[i], flags, fp);
}

/*
 * Do two policies mean the same?  Every field of struct policy is
 * compared (but pol_shared, which is only about memory): one definition
 * of "changed" for reloads.  Returns 0 when equal.
 */
static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == b);
	return (strcmp(a, b) == 0);
}

static int
host_eq(const struct pol_host *a, const struct pol_host *b)
{
	return (a->h_kind == b->h_kind && a->h_af == b->h_af &&
	    a->h_plen == b->h_plen &&
	    memcmp(a->h_ip, b->h_ip, sizeof(a->h_ip)) == 0 &&
	    memcmp(a->h_ip2, b->h_ip2, sizeof(a->h_ip2)) == 0 &&
	    str_eq(a->h_name, b->h_name));
}

int
policy_cmp(const struct policy *a, const struct policy *b)
{
	size_t	 i;

	if (!str_eq(a->pol_name, b->pol_name) ||
	    a->pol_flags != b->pol_flags || a->pol_match != b->pol_match ||
	    a->pol_af != b->pol_af || a->pol_rdomain != b->pol_rdomain ||
	    a->pol_nprotos != b->pol_nprotos ||
	    memcmp(a->pol_protos, b->pol_protos, a->pol_nprotos) != 0 ||
	    a->pol_nflows != b->pol_nflows ||
	    !host_eq(&a->pol_local, &b->pol_local) ||
	    !host_eq(&a->pol_peer, &b->pol_peer) ||
	    a->pol_nikeprops != b->pol_nikeprops ||
	    a->pol_nchildprops != b->pol_nchildprops ||
	    !policy_props_eq(a->pol_ikeprops, b->pol_ikeprops,
	    a->pol_nikeprops) ||
	    !policy_props_eq(a->pol_childprops, b->pol_childprops,
	    a->pol_nchildprops) ||
	    a->pol_srcid.id_type != b->pol_srcid.id_type ||
	    !str_eq(a->pol_srcid.id_str, b->pol_srcid.id_str) ||
	    a->pol_dstid.id_type != b->pol_dstid.id_type ||
	    !str_eq(a->pol_dstid.id_str, b->pol_dstid.id_str) ||
	    a->pol_ikelifetime != b->pol_ikelifetime ||
	    a->pol_lifetime != b->pol_lifetime ||
	    a->pol_bytes != b->pol_bytes || a->pol_auth != b->pol_auth ||
	    a->pol_eap != b->pol_eap || a->pol_psklen != b->pol_psklen ||
	    (a->pol_psklen > 0 &&
	    CRYPTO_memcmp(a->pol_psk, b->pol_psk, a->pol_psklen) != 0) ||
	    a->pol_ncfg != b->pol_ncfg || !str_eq(a->pol_iface, b->pol_iface) ||
	    !str_eq(a->pol_tag, b->pol_tag) || a->pol_tap != b->pol_tap)
		return (1);
	for (i = 0; i < a->pol_nflows; i++) {
		const struct pol_flow	*fa = &a->pol_flows[i];
		const struct pol_flow	*fb = &b->pol_flows[i];

		if (!host_eq(&fa->fl_src, &fb->fl_src) ||
		    !host_eq(&fa->fl_dst, &fb->fl_dst) ||
		    !host_eq(&fa->fl_srcnat, &fb->fl_srcnat) ||
		    fa->fl_sport != fb->fl_sport || fa->fl_dport != fb->fl_dport)
			return (1);
	}
	for (i = 0; i < a->pol_ncfg; i++)
		if (a->pol_cfg[i].pc_request != b->pol_cfg[i].pc_request ||
		    a->pol_cfg[i].pc_opt != b->pol_cfg[i].pc_opt ||
		    !host_eq(&a->pol_cfg[i].pc_host, &b->pol_cfg[i].pc_host))
			return (1);
	return (0);
}
