/*
 * The IKEv2 message layer (ikerund/pld.c) under test, driven by
 * regress/ike/test.sh:
 *
 *	pldtest unit			builders, parser, bounds; prints
 *					"ok ike/NAME" / "not ok ike/NAME"
 *	pldtest dump MSG [INNER]	decoded fields of a hex fixture (and
 *					of its decrypted SK contents)
 *	pldtest roundtrip MSG [INNER]	the builders re-encode it exactly
 *	pldtest mutate MSG [INNER]	every truncation and every one-byte
 *					change fails cleanly or parses, and
 *					what parses re-encodes to a fixed
 *					point
 *	pldtest build CERT		hex of messages with every payload
 *					kind, for tshark's dissector
 */
#include <sys/types.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pld.h"
#include "rebuild.h"
#include "util.h"

#define HEX_MAX		(IBUF_MAX * 2 + 1)

static int	 failed;

static void
t(const char *name, int cond)
{
	printf("%s ike/%s\n", cond ? "ok" : "not ok", name);
	if (!cond)
		failed = 1;
}

/* t() with the parser's message when it is wrong. */
static void
te(const char *name, int cond, const char *err)
{
	if (cond)
		printf("ok ike/%s\n", name);
	else {
		printf("not ok ike/%s %s\n", name, err);
		failed = 1;
	}
}

/* --- fixtures ------------------------------------------------------------ */

/* A hex file: "#" comments, hex digits, white space. */
static uint8_t *
read_hex(const char *path, size_t *len)
{
	FILE	*f;
	char	*hex, line[4096], *p;
	size_t	 n = 0;
	uint8_t	*buf;

	if ((f = fopen(path, "r")) == NULL) {
		perror(path);
		exit(2);
	}
	hex = xcalloc(1, HEX_MAX);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#')
			continue;
		for (p = line; *p != '\0'; p++) {
			if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
				continue;
			if (n + 1 >= HEX_MAX) {
				fprintf(stderr, "%s: too long\n", path);
				exit(2);
			}
			hex[n++] = *p;
		}
	}
	fclose(f);
	hex[n] = '\0';
	buf = xcalloc(1, n / 2 + 1);
	if (hex_decode(hex, buf, n / 2 + 1, len) == -1) {
		fprintf(stderr, "%s: bad hex\n", path);
		exit(2);
	}
	free(hex);
	return (buf);
}

/* --- dump ---------------------------------------------------------------- */

static void
hexline(const char *prefix, const uint8_t *p, size_t len)
{
	size_t	 i;

	printf("%s%zu bytes", prefix, len);
	if (len > 0)
		printf(" ");
	for (i = 0; i < len; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static void
named(const char *name, unsigned int v)
{
	if (name != NULL)
		printf("%s(%u)", name, v);
	else
		printf("%u", v);
}

static void
dump_spi(uint8_t size, uint64_t spi)
{
	if (size == 0)
		printf("spi -");
	else if (size == 4)
		printf("spi %08llx", (unsigned long long)spi);
	else
		printf("spi %016llx", (unsigned long long)spi);
}

static void
dump_id(const char *what, const struct pld_id *id)
{
	char	 addr[INET6_ADDRSTRLEN];

	printf("%s: ", what);
	named(pld_id_type_name(id->id_type), id->id_type);
	switch (id->id_type) {
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822:
		printf(" \"%.*s\"\n", (int)id->id_data.d_len,
		    (const char *)id->id_data.d_ptr);
		return;
	case IKEV2_ID_IPV4:
	case IKEV2_ID_IPV6:
		inet_ntop(id->id_type == IKEV2_ID_IPV4 ? AF_INET : AF_INET6,
		    id->id_data.d_ptr, addr, sizeof(addr));
		printf(" %s\n", addr);
		return;
	}
	hexline(" ", id->id_data.d_ptr, id->id_data.d_len);
}

static void
dump_ts(const char *what, const struct pld_ts *ts)
{
	const struct pld_tsel	*s;
	char			 a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	size_t			 i;
	int			 af;

	printf("%s: %zu selectors\n", what, ts->ts_count);
	for (i = 0; i < ts->ts_count; i++) {
		s = &ts->ts_sel[i];
		printf("%s:   ", what);
		named(pld_ts_type_name(s->ts_type), s->ts_type);
		printf(" proto %u ports %u-%u", s->ts_proto, s->ts_sport,
		    s->ts_eport);
		if (s->ts_type == IKEV2_TS_IPV4_ADDR_RANGE ||
		    s->ts_type == IKEV2_TS_IPV6_ADDR_RANGE) {
			af = s->ts_type == IKEV2_TS_IPV4_ADDR_RANGE ? AF_INET :
			    AF_INET6;
			inet_ntop(af, s->ts_saddr, a, sizeof(a));
			inet_ntop(af, s->ts_eaddr, b, sizeof(b));
			printf(" %s-%s", a, b);
		}
		printf("\n");
	}
}

static void
dump_sa(const struct pld_sa *sa)
{
	const struct pld_prop	*pp;
	const struct pld_xform	*xf;
	size_t			 i, j;

	for (i = 0; i < sa->sa_nprops; i++) {
		pp = &sa->sa_props[i];
		printf("SA: proposal %u ", pp->pp_num);
		named(pld_proto_name(pp->pp_proto), pp->pp_proto);
		printf(" ");
		dump_spi(pp->pp_spisize, pp->pp_spi);
		printf(" (%zu transforms)%s\n", pp->pp_nxforms,
		    pp->pp_flags & PLD_PROP_UNUSABLE ? " unusable" : "");
		for (j = 0; j < pp->pp_nxforms; j++) {
			xf = &pp->pp_xforms[j];
			printf("SA:   ");
			named(pld_xform_type_name(xf->xf_type), xf->xf_type);
			printf(" ");
			named(pld_xform_id_name(xf->xf_type, xf->xf_id),
			    xf->xf_id);
			if (xf->xf_keylen != 0)
				printf(" keylen %u", xf->xf_keylen);
			if (xf->xf_flags & PLD_XF_UNUSABLE)
				printf(" unusable");
			printf("\n");
		}
	}
}

static void
dump(const struct ike_msg *m)
{
	const struct ike_hdr	*h = &m->m_hdr;
	const struct pld_notify	*n;
	const struct pld_delete	*d;
	const struct pld_cert	*c;
	char			 line[1024];
	size_t			 i, j, in = 0, id = 0, iv = 0, ic = 0;
	size_t			 icr = 0;

	(void)pld_describe(m, line, sizeof(line));
	printf("message: %s\n", line);
	printf("header: ispi %016llx rspi %016llx next ",
	    (unsigned long long)h->h_ispi, (unsigned long long)h->h_rspi);
	named(pld_payload_name(h->h_next), h->h_next);
	printf(" version %u.%u exchange ", h->h_version >> 4,
	    h->h_version & 0xf);
	named(pld_exchange_name(h->h_exchange), h->h_exchange);
	printf(" flags%s%s%s msgid %u length %u\n",
	    h->h_flags & IKEV2_FLAG_I ? " I" : "",
	    h->h_flags & IKEV2_FLAG_V ? " V" : "",
	    h->h_flags & IKEV2_FLAG_R ? " R" : "", h->h_msgid, h->h_length);
	for (i = 0; i < m->m_npayloads; i++) {
		switch (m->m_order[i]) {
		case IKEV2_PLD_SA:
			dump_sa(&m->m_sa);
			break;
		case IKEV2_PLD_KE:
			printf("KE: group ");
			named(pld_xform_id_name(XF_DH, m->m_ke.ke_group),
			    m->m_ke.ke_group);
			hexline(" ", m->m_ke.ke_data.d_ptr,
			    m->m_ke.ke_data.d_len);
			break;
		case IKEV2_PLD_NONCE:
			hexline("Nonce: ", m->m_nonce.d_ptr, m->m_nonce.d_len);
			break;
		case IKEV2_PLD_IDI:
			dump_id("IDi", &m->m_idi);
			break;
		case IKEV2_PLD_IDR:
			dump_id("IDr", &m->m_idr);
			break;
		case IKEV2_PLD_AUTH:
			printf("AUTH: ");
			named(pld_auth_method_name(m->m_auth.auth_method),
			    m->m_auth.auth_method);
			hexline(" ", m->m_auth.auth_data.d_ptr,
			    m->m_auth.auth_data.d_len);
			break;
		case IKEV2_PLD_TSI:
			dump_ts("TSi", &m->m_tsi);
			break;
		case IKEV2_PLD_TSR:
			dump_ts("TSr", &m->m_tsr);
			break;
		case IKEV2_PLD_NOTIFY:
			n = &m->m_notify[in++];
			printf("N: ");
			named(pld_notify_name(n->n_type), n->n_type);
			printf(" proto %u ", n->n_proto);
			dump_spi(n->n_spisize, n->n_spi);
			hexline(" data ", n->n_data.d_ptr, n->n_data.d_len);
			break;
		case IKEV2_PLD_DELETE:
			d = &m->m_delete[id++];
			printf("D: proto ");
			named(pld_proto_name(d->d_proto), d->d_proto);
			printf(" spisize %u nspis %u", d->d_spisize,
			    d->d_nspis);
			for (j = 0; j < (size_t)d->d_nspis * d->d_spisize; j++)
				printf("%s%02x", j % d->d_spisize == 0 ? " " :
				    "", d->d_spis[j]);
			printf("\n");
			break;
		case IKEV2_PLD_VENDOR:
			hexline("V: ", m->m_vendor[iv].d_ptr,
			    m->m_vendor[iv].d_len);
			iv++;
			break;
		case IKEV2_PLD_CERT:
		case IKEV2_PLD_CERTREQ:
			c = m->m_order[i] == IKEV2_PLD_CERT ? &m->m_cert[ic++] :
			    &m->m_certreq[icr++];
			printf("%s: ", pld_payload_name(m->m_order[i]));
			named(pld_cert_enc_name(c->cert_enc), c->cert_enc);
			hexline(" ", c->cert_data.d_ptr, c->cert_data.d_len);
			break;
		case IKEV2_PLD_CP:
			printf("CP: ");
			named(pld_cp_type_name(m->m_cp.cp_type),
			    m->m_cp.cp_type);
			printf(" %zu attributes\n", m->m_cp.cp_nattrs);
			for (j = 0; j < m->m_cp.cp_nattrs; j++) {
				printf("CP:   ");
				named(pld_cfg_attr_name(
				    m->m_cp.cp_attrs[j].ca_type),
				    m->m_cp.cp_attrs[j].ca_type);
				hexline(" ", m->m_cp.cp_attrs[j].ca_value.d_ptr,
				    m->m_cp.cp_attrs[j].ca_value.d_len);
			}
			break;
		case IKEV2_PLD_EAP:
			hexline("EAP: ", m->m_eap.d_ptr, m->m_eap.d_len);
			break;
		case IKEV2_PLD_SK:
		case IKEV2_PLD_SKF:
			printf("%s: ", pld_payload_name(m->m_order[i]));
			if (m->m_order[i] == IKEV2_PLD_SKF)
				printf("fragment %u/%u ", m->m_sk.sk_fragnum,
				    m->m_sk.sk_fragtotal);
			printf("first ");
			named(pld_payload_name(m->m_sk.sk_first),
			    m->m_sk.sk_first);
			printf(" aad 0-%zu iv+ciphertext+icv %zu bytes\n",
			    m->m_sk.sk_off, m->m_sk.sk_data.d_len);
			break;
		default:
			printf("skipped: payload type %u\n", m->m_order[i]);
			break;
		}
	}
}

static int
cmd_dump(const char *path, const char *inner)
{
	struct ike_msg	*m = xcalloc(1, sizeof(*m));
	uint8_t		*buf, *ibuf = NULL;
	size_t		 len, ilen;
	char		 err[256];
	int		 rv;

	buf = read_hex(path, &len);
	if ((rv = pld_parse(buf, len, m, err, sizeof(err))) != PLD_OK) {
		printf("error %d: %s\n", rv, err);
		return (0);
	}
	if (inner != NULL) {
		ibuf = read_hex(inner, &ilen);
		if ((rv = pld_parse_inner(m->m_sk.sk_first, ibuf, ilen, m,
		    err, sizeof(err))) != PLD_OK) {
			printf("inner error %d: %s\n", rv, err);
			return (0);
		}
	}
	dump(m);
	free(buf);
	free(ibuf);
	free(m);
	return (0);
}

/* --- round trip and mutations -------------------------------------------- */

/*
 * The builders write back exactly what strongSwan sent: the header and
 * outer payloads, and the decrypted inner payloads.
 */
static int
cmd_roundtrip(const char *path, const char *inner)
{
	struct ike_msg	*m = xcalloc(1, sizeof(*m));
	struct rebuild	 rb;
	struct ibuf	*b;
	uint8_t		*buf, *ibuf = NULL;
	size_t		 len, ilen = 0, ioff;
	ssize_t		 n;
	char		 err[256];
	int		 ok;

	buf = read_hex(path, &len);
	if (pld_parse(buf, len, m, err, sizeof(err)) != PLD_OK) {
		printf("not ok parse: %s\n", err);
		return (1);
	}
	if (inner != NULL) {
		ibuf = read_hex(inner, &ilen);
		if (pld_parse_inner(m->m_sk.sk_first, ibuf, ilen, m, err,
		    sizeof(err)) != PLD_OK) {
			printf("not ok inner parse: %s\n", err);
			return (1);
		}
	}
	memset(&rb, 0, sizeof(rb));
	b = ibuf_new(0);
	n = rebuild_outer(m, &rb, b);
	ok = n == (ssize_t)len && memcmp(ibuf_data(b), buf, len) == 0;
	printf("%s outer %zd of %zu bytes\n", ok ? "ok" : "not ok", n, len);
	ibuf_free(b);
	if (inner != NULL) {
		b = ibuf_new(0);
		n = rebuild_inner(m, &rb, b, &ioff);
		ok = n != -1 && n - ioff == ilen &&
		    memcmp(ibuf_data(b) + ioff, ibuf, ilen) == 0;
		printf("%s inner %zd of %zu bytes\n", ok ? "ok" : "not ok",
		    n == -1 ? -1 : (ssize_t)(n - ioff), ilen);
		ibuf_free(b);
	}
	free(buf);
	free(ibuf);
	free(m);
	return (0);
}

struct tally {
	size_t	 ta_runs;
	size_t	 ta_ok;
	size_t	 ta_malformed;
	size_t	 ta_critical;
	size_t	 ta_version;
	size_t	 ta_bad;	/* a property did not hold */
	char	 ta_first[512];	/* the first failure */
};

static void
tally_bad(struct tally *ta, const char *what, size_t pos, int val)
{
	if (ta->ta_bad++ == 0)
		(void)snprintf(ta->ta_first, sizeof(ta->ta_first),
		    "%s at %zu (value %d)", what, pos, val);
}

/*
 * Parse buf (as a message, or as inner payloads after first); it must
 * fail with a message or parse, and what parses must re-encode to bytes
 * that parse and re-encode to themselves.
 */
static void
try_one(struct tally *ta, struct ike_msg *m, int inner, uint8_t first,
    const uint8_t *buf, size_t len, size_t pos, int val)
{
	struct ike_msg	*m2;
	struct rebuild	 rb;
	struct ibuf	*b1, *b2;
	size_t		 o1 = 0, o2 = 0;
	ssize_t		 n1, n2;
	char		 err[256];
	int		 rv;

	ta->ta_runs++;
	err[0] = '\0';
	if (inner) {
		memset(m, 0, sizeof(*m));
		rv = pld_parse_inner(first, buf, len, m, err, sizeof(err));
	} else
		rv = pld_parse(buf, len, m, err, sizeof(err));
	switch (rv) {
	case PLD_OK:
		ta->ta_ok++;
		break;
	case PLD_EMALFORMED:
		ta->ta_malformed++;
		break;
	case PLD_ECRITICAL:
		ta->ta_critical++;
		break;
	case PLD_EVERSION:
		ta->ta_version++;
		break;
	default:
		tally_bad(ta, "unknown return value", pos, val);
		return;
	}
	if (rv != PLD_OK) {
		if (err[0] == '\0')
			tally_bad(ta, "failure without a message", pos, val);
		return;
	}

	m2 = xcalloc(1, sizeof(*m2));
	b1 = ibuf_new(0);
	b2 = ibuf_new(0);
	memset(&rb, 0, sizeof(rb));
	n1 = inner ? rebuild_inner(m, &rb, b1, &o1) : rebuild_outer(m, &rb, b1);
	if (n1 == -1) {
		tally_bad(ta, "parsed but does not re-encode", pos, val);
		goto done;
	}
	if (inner) {
		memset(m2, 0, sizeof(*m2));
		/* the first inner type is in the rebuilt SK header */
		rv = pld_parse_inner(ibuf_data(b1)[o1 - IKE_GEN_LEN],
		    ibuf_data(b1) + o1,
		    n1 - o1, m2, err, sizeof(err));
	} else
		rv = pld_parse(ibuf_data(b1), n1, m2, err, sizeof(err));
	if (rv != PLD_OK) {
		tally_bad(ta, "re-encoding does not parse", pos, val);
		goto done;
	}
	memset(&rb, 0, sizeof(rb));
	n2 = inner ? rebuild_inner(m2, &rb, b2, &o2) :
	    rebuild_outer(m2, &rb, b2);
	if (n2 != n1 || memcmp(ibuf_data(b1), ibuf_data(b2), n1) != 0)
		tally_bad(ta, "re-encoding is not a fixed point", pos, val);
 done:
	ibuf_free(b1);
	ibuf_free(b2);
	free(m2);
}

/*
 * Every truncation (as received, and with the header length fixed to
 * match so that the payloads get cut), and every value of every byte.
 */
static void
mutate(struct tally *ta, int inner, uint8_t first, const uint8_t *orig,
    size_t len)
{
	struct ike_msg	*m = xcalloc(1, sizeof(*m));
	uint8_t		*buf = xcalloc(1, len + 1);
	size_t		 i;
	int		 v;

	for (i = 0; i < len; i++) {
		/* a copy of exactly i bytes, so ASan sees any overread */
		uint8_t	*cut = xcalloc(1, i == 0 ? 1 : i);

		memcpy(cut, orig, i);
		try_one(ta, m, inner, first, cut, i, i, -1);
		if (!inner && i >= IKE_HDR_LEN) {
			cut[24] = i >> 24;
			cut[25] = i >> 16;
			cut[26] = i >> 8;
			cut[27] = i;
			try_one(ta, m, inner, first, cut, i, i, -2);
		}
		free(cut);
	}
	memcpy(buf, orig, len);
	for (i = 0; i < len; i++) {
		for (v = 0; v < 256; v++) {
			if (v == orig[i])
				continue;
			buf[i] = v;
			try_one(ta, m, inner, first, buf, len, i, v);
		}
		buf[i] = orig[i];
	}
	if (inner)
		for (v = 0; v < 256; v++)
			try_one(ta, m, inner, v, buf, len, 0, v);
	free(buf);
	free(m);
}

static int
cmd_mutate(const char *path, const char *inner)
{
	struct ike_msg	*m = xcalloc(1, sizeof(*m));
	struct tally	 ta;
	uint8_t		*buf, *ibuf;
	size_t		 len, ilen;
	char		 err[256];

	buf = read_hex(path, &len);
	memset(&ta, 0, sizeof(ta));
	mutate(&ta, 0, 0, buf, len);
	printf("%s outer: %zu runs, %zu parsed, %zu malformed, %zu critical, "
	    "%zu version%s%s\n", ta.ta_bad == 0 ? "ok" : "not ok", ta.ta_runs,
	    ta.ta_ok, ta.ta_malformed, ta.ta_critical, ta.ta_version,
	    ta.ta_bad ? "; first failure: " : "", ta.ta_first);
	if (inner != NULL) {
		if (pld_parse(buf, len, m, err, sizeof(err)) != PLD_OK) {
			printf("not ok inner: outer does not parse: %s\n", err);
			return (1);
		}
		ibuf = read_hex(inner, &ilen);
		memset(&ta, 0, sizeof(ta));
		mutate(&ta, 1, m->m_sk.sk_first, ibuf, ilen);
		printf("%s inner: %zu runs, %zu parsed, %zu malformed, "
		    "%zu critical%s%s\n", ta.ta_bad == 0 ? "ok" : "not ok",
		    ta.ta_runs, ta.ta_ok, ta.ta_malformed, ta.ta_critical,
		    ta.ta_bad ? "; first failure: " : "", ta.ta_first);
		free(ibuf);
	}
	free(buf);
	free(m);
	return (0);
}

/* --- unit tests ---------------------------------------------------------- */

static const struct ike_hdr init_hdr = {
	0x0102030405060708ULL, 0, 0, IKE_VERSION, IKEV2_EXCH_IKE_SA_INIT,
	IKEV2_FLAG_I, 0, 0
};

static void
fill(uint8_t *p, size_t len, uint8_t seed)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		p[i] = seed + i;
}

static void
xf(struct pld_prop *pp, uint8_t type, uint16_t id, uint16_t keylen)
{
	struct pld_xform	*x = &pp->pp_xforms[pp->pp_nxforms++];

	x->xf_type = type;
	x->xf_id = id;
	x->xf_keylen = keylen;
}

/* The two IKE proposals of an initiator, and one ESP proposal. */
static void
init_props(struct pld_prop *p)
{
	memset(p, 0, 3 * sizeof(*p));
	p[0].pp_proto = PROTO_IKE;
	xf(&p[0], XF_ENCR, IKEV2_ENCR_AES_GCM_16, 128);
	xf(&p[0], XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	xf(&p[0], XF_DH, IKEV2_DH_CURVE25519, 0);
	p[1].pp_proto = PROTO_IKE;
	xf(&p[1], XF_ENCR, IKEV2_ENCR_AES_CBC, 256);
	xf(&p[1], XF_INTEG, IKEV2_AUTH_HMAC_SHA2_256_128, 0);
	xf(&p[1], XF_PRF, IKEV2_PRF_HMAC_SHA2_256, 0);
	xf(&p[1], XF_DH, IKEV2_DH_ECP_256, 0);
	p[2].pp_proto = PROTO_ESP;
	p[2].pp_spisize = 4;
	p[2].pp_spi = 0xc5bdb368;
	xf(&p[2], XF_ENCR, IKEV2_ENCR_AES_GCM_16, 256);
	xf(&p[2], XF_ESN, 0, 0);
}

static int
same_props(const struct pld_prop *a, const struct pld_prop *b, size_t n)
{
	size_t	 i, j;

	for (i = 0; i < n; i++) {
		if (a[i].pp_num != i + 1 || a[i].pp_proto != b[i].pp_proto ||
		    a[i].pp_spisize != b[i].pp_spisize ||
		    a[i].pp_spi != b[i].pp_spi || a[i].pp_flags != 0 ||
		    a[i].pp_nxforms != b[i].pp_nxforms)
			return (0);
		for (j = 0; j < a[i].pp_nxforms; j++)
			if (a[i].pp_xforms[j].xf_type !=
			    b[i].pp_xforms[j].xf_type ||
			    a[i].pp_xforms[j].xf_id !=
			    b[i].pp_xforms[j].xf_id ||
			    a[i].pp_xforms[j].xf_keylen !=
			    b[i].pp_xforms[j].xf_keylen ||
			    a[i].pp_xforms[j].xf_flags != 0)
				return (0);
	}
	return (1);
}

static void
unit_ibuf(void)
{
	struct ibuf	*b;
	uint8_t		*p;
	static const uint8_t want[] = {
		0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
	};
	int		 ok;

	b = ibuf_new(0);
	ok = ibuf_add_u8(b, 0xab) == 0 && ibuf_add_u16(b, 0x1234) == 0 &&
	    ibuf_add_u32(b, 0xdeadbeef) == 0 &&
	    ibuf_add_u64(b, 0x0102030405060708ULL) == 0;
	t("ibuf-network-order", ok && ibuf_length(b) == sizeof(want) &&
	    memcmp(ibuf_data(b), want, sizeof(want)) == 0);
	p = ibuf_reserve(b, 4);
	t("ibuf-reserve-zeroed", p != NULL && ibuf_length(b) == 19 &&
	    p[0] == 0 && p[3] == 0);
	t("ibuf-set-u16", ibuf_set_u16(b, 17, 0xbeef) == 0 &&
	    ibuf_data(b)[17] == 0xbe && ibuf_data(b)[18] == 0xef);
	t("ibuf-set-past-end-refused", ibuf_set_u16(b, 18, 1) == -1 &&
	    ibuf_seek(b, 19, 1) == NULL && ibuf_seek(b, 0, 20) == NULL &&
	    ibuf_seek(b, SIZE_MAX, 2) == NULL);
	t("ibuf-reserve-zero-refused", ibuf_reserve(b, 0) == NULL);
	/* growth beyond the first allocation keeps the contents */
	ok = 1;
	while (ibuf_length(b) < 5000 && ok)
		ok = ibuf_add_u8(b, ibuf_length(b) & 0xff) == 0;
	t("ibuf-grows", ok && memcmp(ibuf_data(b), want, sizeof(want)) == 0 &&
	    ibuf_data(b)[4999] == (4999 & 0xff));
	ibuf_free(b);

	b = ibuf_new(16);
	t("ibuf-bound-exact", ibuf_add_zero(b, 16) == 0 &&
	    ibuf_length(b) == 16);
	t("ibuf-bound-refused", ibuf_add_u8(b, 1) == -1 &&
	    ibuf_add_u64(b, 1) == -1 && ibuf_reserve(b, 1) == NULL &&
	    ibuf_length(b) == 16);
	ibuf_free(b);
	b = ibuf_new(0);
	t("ibuf-hard-bound", ibuf_add_zero(b, IBUF_MAX) == 0 &&
	    ibuf_add_u8(b, 0) == -1 && ibuf_length(b) == IBUF_MAX);
	ibuf_free(b);
	ibuf_free(NULL);
}

/* An IKE_SA_INIT request with SA, KE, Nonce, N, V and CERTREQ. */
static ssize_t
build_init(struct ibuf *b, struct pld_prop *props, uint8_t *ke,
    uint8_t *nonce, uint8_t *natd)
{
	struct pld_builder	 pb;
	static const uint8_t	 hashes[] = { 0, 2, 0, 3, 0, 4 };
	uint8_t			 ca[40];

	init_props(props);
	fill(ke, 64, 0x40);
	fill(nonce, 32, 0x80);
	fill(natd, 20, 0xc0);
	fill(ca, sizeof(ca), 0x10);
	if (pld_build_init(&pb, b, &init_hdr) == -1 ||
	    pld_add_sa(&pb, props, 2) == -1 ||
	    pld_add_ke(&pb, IKEV2_DH_ECP_256, ke, 64) == -1 ||
	    pld_add_nonce(&pb, nonce, 32) == -1 ||
	    pld_add_notify(&pb, 0, 0, 0, IKEV2_N_NAT_DETECTION_SOURCE_IP,
	    natd, 20) == -1 ||
	    pld_add_notify(&pb, 0, 0, 0,
	    IKEV2_N_NAT_DETECTION_DESTINATION_IP, natd, 20) == -1 ||
	    pld_add_notify(&pb, 0, 0, 0,
	    IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0) == -1 ||
	    pld_add_notify(&pb, 0, 0, 0, IKEV2_N_SIGNATURE_HASH_ALGORITHMS,
	    hashes, sizeof(hashes)) == -1 ||
	    pld_add_vendor(&pb, "ikerun", 6) == -1 ||
	    pld_add_cert(&pb, IKEV2_PLD_CERTREQ, IKEV2_CERT_X509_SIG, ca,
	    sizeof(ca)) == -1)
		return (-1);
	return (pld_build_finish(&pb));
}

static void
unit_init(void)
{
	struct ike_msg		*m = xcalloc(1, sizeof(*m));
	struct pld_prop		 props[3];
	struct ibuf		*b = ibuf_new(0);
	uint8_t			 ke[64], nonce[32], natd[20];
	char			 err[256], line[512];
	ssize_t			 len;
	int			 rv;

	len = build_init(b, props, ke, nonce, natd);
	t("build-init", len > 0 && (size_t)len == ibuf_length(b));
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("parse-init", rv == PLD_OK, err);
	t("parse-init-header", m->m_hdr.h_ispi == init_hdr.h_ispi &&
	    m->m_hdr.h_rspi == 0 && m->m_hdr.h_next == IKEV2_PLD_SA &&
	    m->m_hdr.h_version == 0x20 &&
	    m->m_hdr.h_exchange == IKEV2_EXCH_IKE_SA_INIT &&
	    m->m_hdr.h_flags == IKEV2_FLAG_I && m->m_hdr.h_msgid == 0 &&
	    m->m_hdr.h_length == len);
	t("parse-init-sa", m->m_sa.sa_nprops == 2 &&
	    same_props(m->m_sa.sa_props, props, 2));
	t("parse-init-ke", m->m_ke.ke_group == IKEV2_DH_ECP_256 &&
	    m->m_ke.ke_data.d_len == 64 &&
	    memcmp(m->m_ke.ke_data.d_ptr, ke, 64) == 0 &&
	    m->m_ke.ke_data.d_len == pld_dh_publen(m->m_ke.ke_group));
	t("parse-init-nonce", m->m_nonce.d_len == 32 &&
	    memcmp(m->m_nonce.d_ptr, nonce, 32) == 0);
	t("parse-init-notify", m->m_nnotify == 4 &&
	    m->m_notify[0].n_type == IKEV2_N_NAT_DETECTION_SOURCE_IP &&
	    m->m_notify[0].n_data.d_len == 20 &&
	    memcmp(m->m_notify[0].n_data.d_ptr, natd, 20) == 0 &&
	    m->m_notify[1].n_type == IKEV2_N_NAT_DETECTION_DESTINATION_IP &&
	    m->m_notify[2].n_type == IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED &&
	    m->m_notify[2].n_data.d_len == 0 &&
	    m->m_notify[3].n_data.d_len == 6);
	t("parse-init-vendor", m->m_nvendor == 1 &&
	    m->m_vendor[0].d_len == 6 &&
	    memcmp(m->m_vendor[0].d_ptr, "ikerun", 6) == 0);
	t("parse-init-certreq", m->m_ncertreq == 1 &&
	    m->m_certreq[0].cert_enc == IKEV2_CERT_X509_SIG &&
	    m->m_certreq[0].cert_data.d_len == 40);
	t("parse-init-seen", PLD_SEEN(m, IKEV2_PLD_SA) &&
	    PLD_SEEN(m, IKEV2_PLD_KE) && PLD_SEEN(m, IKEV2_PLD_NONCE) &&
	    !PLD_SEEN(m, IKEV2_PLD_SK) && m->m_npayloads == 9);
	(void)pld_describe(m, line, sizeof(line));
	te("describe-init", strcmp(line, "IKE_SA_INIT request 0 [ SA KE "
	    "Nonce N(NAT_DETECTION_SOURCE_IP) N(NAT_DETECTION_DESTINATION_IP) "
	    "N(IKEV2_FRAGMENTATION_SUPPORTED) N(SIGNATURE_HASH_ALGORITHMS) "
	    "V CERTREQ ]") == 0, line);
	t("describe-cut", pld_describe(m, line, 20) == -1 &&
	    strlen(line) == 19);
	ibuf_free(b);
	free(m);
}

/*
 * An IKE_AUTH request: SK with an 8-byte IV, every inner payload kind,
 * padding, pad length and a 16-byte ICV, as the caller's crypto would
 * lay it out.
 */
static void
unit_auth(void)
{
	struct ike_msg		*m = xcalloc(1, sizeof(*m));
	struct pld_builder	 pb;
	struct pld_prop		 props[3];
	struct pld_tsel		 ts[2];
	struct pld_cpattr	 ca[2];
	struct ike_hdr		 h = init_hdr;
	struct ibuf		*b = ibuf_new(0);
	static const uint8_t	 v4[4] = { 192, 0, 2, 10 };
	static const uint8_t	 spis[8] = {
		0xc5, 0xbd, 0xb3, 0x68, 1, 2, 3, 4
	};
	static const uint8_t	 eap[5] = { 2, 7, 0, 5, 1 };
	uint8_t			 auth[32], cert[100], *p;
	char			 err[256];
	ssize_t			 inner, len;
	size_t			 ilen;
	int			 rv, ok;

	h.h_rspi = 0x1112131415161718ULL;
	h.h_exchange = IKEV2_EXCH_IKE_AUTH;
	h.h_msgid = 1;
	init_props(props);
	fill(auth, sizeof(auth), 1);
	fill(cert, sizeof(cert), 2);
	memset(ts, 0, sizeof(ts));
	ts[0].ts_type = IKEV2_TS_IPV4_ADDR_RANGE;
	ts[0].ts_eport = 65535;
	memcpy(ts[0].ts_saddr, "\xc6\x33\x64\x00", 4);
	memcpy(ts[0].ts_eaddr, "\xc6\x33\x64\xff", 4);
	ts[1].ts_type = IKEV2_TS_IPV6_ADDR_RANGE;
	ts[1].ts_proto = 6;
	ts[1].ts_sport = ts[1].ts_eport = 443;
	memcpy(ts[1].ts_saddr, "\x20\x01\x0d\xb8", 4);
	memset(ts[1].ts_eaddr, 0xff, 16);
	memcpy(ts[1].ts_eaddr, "\x20\x01\x0d\xb8", 4);
	memset(ca, 0, sizeof(ca));
	ca[0].ca_type = IKEV2_CFG_INTERNAL_IP4_ADDRESS;
	ca[1].ca_type = IKEV2_CFG_INTERNAL_IP4_DNS;
	ca[1].ca_value.d_ptr = v4;
	ca[1].ca_value.d_len = 4;

	ok = pld_build_init(&pb, b, &h) == 0;
	inner = pld_sk_begin(&pb, 8);
	ok = ok && inner == IKE_HDR_LEN + IKE_GEN_LEN + 8 &&
	    pld_add_id(&pb, IKEV2_PLD_IDI, IKEV2_ID_FQDN, "right.example",
	    13) == 0 &&
	    pld_add_notify(&pb, 0, 0, 0, IKEV2_N_INITIAL_CONTACT, NULL, 0) ==
	    0 &&
	    pld_add_id(&pb, IKEV2_PLD_IDR, IKEV2_ID_IPV4, v4, 4) == 0 &&
	    pld_add_cert(&pb, IKEV2_PLD_CERT, IKEV2_CERT_X509_SIG, cert,
	    sizeof(cert)) == 0 &&
	    pld_add_auth(&pb, IKEV2_AUTH_PSK, auth, sizeof(auth)) == 0 &&
	    pld_add_cp(&pb, IKEV2_CP_REQUEST, ca, 2) == 0 &&
	    pld_add_sa(&pb, &props[2], 1) == 0 &&
	    pld_add_ts(&pb, IKEV2_PLD_TSI, ts, 2) == 0 &&
	    pld_add_ts(&pb, IKEV2_PLD_TSR, ts, 1) == 0 &&
	    pld_add_notify(&pb, PROTO_ESP, 4, 0xc5bdb368,
	    IKEV2_N_REKEY_SA, NULL, 0) == 0 &&
	    pld_add_delete(&pb, PROTO_ESP, 4, spis, 2) == 0 &&
	    pld_add_eap(&pb, eap, sizeof(eap)) == 0;
	ilen = ibuf_length(b) - inner;
	/* the caller's crypto: one byte of padding, pad length, ICV */
	ok = ok && ibuf_add_u8(b, 0) == 0 && ibuf_add_u8(b, 1) == 0 &&
	    ibuf_reserve(b, 16) != NULL;
	len = pld_build_finish(&pb);
	t("build-auth", ok && len == (ssize_t)ibuf_length(b) &&
	    pb.pb_err == NULL);

	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("parse-auth-outer", rv == PLD_OK, err);
	t("parse-auth-sk", m->m_npayloads == 1 &&
	    PLD_SEEN(m, IKEV2_PLD_SK) && m->m_sk.sk_first == IKEV2_PLD_IDI &&
	    m->m_sk.sk_off == IKE_HDR_LEN + IKE_GEN_LEN &&
	    m->m_sk.sk_data.d_len == 8 + ilen + 2 + 16 &&
	    m->m_sk.sk_data.d_ptr == ibuf_data(b) + m->m_sk.sk_off);
	p = ibuf_data(b) + inner;
	rv = pld_parse_inner(m->m_sk.sk_first, p, ilen, m, err, sizeof(err));
	te("parse-auth-inner", rv == PLD_OK, err);
	t("parse-auth-ids", m->m_idi.id_type == IKEV2_ID_FQDN &&
	    m->m_idi.id_data.d_len == 13 &&
	    memcmp(m->m_idi.id_data.d_ptr, "right.example", 13) == 0 &&
	    m->m_idi.id_body.d_len == 17 && m->m_idi.id_body.d_ptr ==
	    p + IKE_GEN_LEN &&
	    m->m_idr.id_type == IKEV2_ID_IPV4 &&
	    memcmp(m->m_idr.id_data.d_ptr, v4, 4) == 0);
	t("parse-auth-auth", m->m_auth.auth_method == IKEV2_AUTH_PSK &&
	    m->m_auth.auth_data.d_len == 32 &&
	    memcmp(m->m_auth.auth_data.d_ptr, auth, 32) == 0);
	t("parse-auth-cert", m->m_ncert == 1 &&
	    m->m_cert[0].cert_data.d_len == sizeof(cert));
	t("parse-auth-cp", m->m_cp.cp_type == IKEV2_CP_REQUEST &&
	    m->m_cp.cp_nattrs == 2 && m->m_cp.cp_attrs[0].ca_value.d_len == 0 &&
	    m->m_cp.cp_attrs[1].ca_type == IKEV2_CFG_INTERNAL_IP4_DNS &&
	    m->m_cp.cp_attrs[1].ca_value.d_len == 4);
	t("parse-auth-sa-esp", m->m_sa.sa_nprops == 1 &&
	    m->m_sa.sa_props[0].pp_proto == PROTO_ESP &&
	    m->m_sa.sa_props[0].pp_spisize == 4 &&
	    m->m_sa.sa_props[0].pp_spi == 0xc5bdb368 &&
	    m->m_sa.sa_props[0].pp_nxforms == 2 &&
	    m->m_sa.sa_props[0].pp_xforms[0].xf_keylen == 256 &&
	    m->m_sa.sa_props[0].pp_xforms[1].xf_type == XF_ESN);
	t("parse-auth-ts", m->m_tsi.ts_count == 2 && m->m_tsr.ts_count == 1 &&
	    memcmp(&m->m_tsi.ts_sel[0], &ts[0], sizeof(ts[0])) == 0 &&
	    memcmp(&m->m_tsi.ts_sel[1], &ts[1], sizeof(ts[1])) == 0 &&
	    memcmp(&m->m_tsr.ts_sel[0], &ts[0], sizeof(ts[0])) == 0);
	t("parse-auth-notify", m->m_nnotify == 2 &&
	    m->m_notify[0].n_type == IKEV2_N_INITIAL_CONTACT &&
	    m->m_notify[1].n_type == IKEV2_N_REKEY_SA &&
	    m->m_notify[1].n_proto == PROTO_ESP &&
	    m->m_notify[1].n_spisize == 4 &&
	    m->m_notify[1].n_spi == 0xc5bdb368);
	t("parse-auth-delete", m->m_ndelete == 1 &&
	    m->m_delete[0].d_proto == PROTO_ESP &&
	    m->m_delete[0].d_nspis == 2 &&
	    memcmp(m->m_delete[0].d_spis, spis, 8) == 0);
	t("parse-auth-eap", m->m_eap.d_len == 5 &&
	    memcmp(m->m_eap.d_ptr, eap, 5) == 0);
	t("parse-auth-order", m->m_npayloads == 13 &&
	    m->m_order[0] == IKEV2_PLD_SK && m->m_order[1] == IKEV2_PLD_IDI &&
	    m->m_order[12] == IKEV2_PLD_EAP);
	/* a second SK inside is refused */
	rv = pld_parse_inner(IKEV2_PLD_SK, ibuf_data(b) + IKE_HDR_LEN,
	    len - IKE_HDR_LEN, m, err, sizeof(err));
	te("inner-sk-refused", rv == PLD_EMALFORMED &&
	    strstr(err, "inside") != NULL, err);
	ibuf_free(b);
	free(m);
}

static void
unit_skf(void)
{
	struct ike_msg		*m = xcalloc(1, sizeof(*m));
	struct pld_builder	 pb;
	struct ike_hdr		 h = init_hdr;
	struct ibuf		*b;
	char			 err[256];
	ssize_t			 off, len;
	int			 rv;

	h.h_exchange = IKEV2_EXCH_IKE_AUTH;
	h.h_msgid = 1;
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &h);
	off = pld_skf_begin(&pb, IKEV2_PLD_IDI, 1, 3, 16);
	(void)ibuf_add_zero(b, 100);
	t("build-skf-no-payload-after",
	    pld_add_nonce(&pb, "0123456789abcdef", 16) == -1);
	pb.pb_err = NULL;
	len = pld_build_finish(&pb);
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("parse-skf-first", rv == PLD_OK && PLD_SEEN(m, IKEV2_PLD_SKF) &&
	    m->m_sk.sk_fragnum == 1 && m->m_sk.sk_fragtotal == 3 &&
	    m->m_sk.sk_first == IKEV2_PLD_IDI &&
	    m->m_sk.sk_off == IKE_HDR_LEN + 8 && off == IKE_HDR_LEN + 8 + 16 &&
	    m->m_sk.sk_data.d_len == 116, err);
	ibuf_free(b);

	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &h);
	t("build-skf-later-names-none",
	    pld_skf_begin(&pb, IKEV2_PLD_IDI, 2, 3, 16) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &h);
	(void)pld_skf_begin(&pb, 0, 3, 3, 16);
	(void)ibuf_add_zero(b, 20);
	len = pld_build_finish(&pb);
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("parse-skf-last", rv == PLD_OK && m->m_sk.sk_fragnum == 3 &&
	    m->m_sk.sk_first == 0, err);
	/* fragment 4 of 3 */
	ibuf_data(b)[IKE_HDR_LEN + 5] = 4;
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("parse-skf-beyond-total", rv == PLD_EMALFORMED &&
	    strstr(err, "fragment 4 of 3") != NULL, err);
	ibuf_data(b)[IKE_HDR_LEN + 5] = 2;
	ibuf_data(b)[IKE_HDR_LEN] = IKEV2_PLD_IDI;
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("parse-skf-later-names-payload", rv == PLD_EMALFORMED, err);
	ibuf_free(b);
	free(m);
}

/* A message of one payload of type with the given body. */
static int
one(uint8_t type, int critical, const void *body, size_t len, uint8_t flags,
    struct ike_msg *m, char *err, size_t errlen)
{
	struct pld_builder	 pb;
	struct ike_hdr		 h = init_hdr;
	struct ibuf		*b = ibuf_new(0);
	ssize_t			 n;
	int			 rv;

	h.h_flags = flags;
	(void)pld_build_init(&pb, b, &h);
	(void)pld_add_raw(&pb, type, critical, body, len);
	if ((n = pld_build_finish(&pb)) == -1) {
		ibuf_free(b);
		(void)snprintf(err, errlen, "build: %s", pb.pb_err);
		return (99);
	}
	rv = pld_parse(ibuf_data(b), n, m, err, errlen);
	ibuf_free(b);
	return (rv);
}

/* SA bodies written by hand. */
static const uint8_t sa_ok[] = {
	0, 0, 0, 20, 1, PROTO_IKE, 0, 1,
	    0, 0, 0, 12, XF_ENCR, 0, 0, 12, 0x80, 14, 0, 128,
};
static const uint8_t sa_numbering[] = {
	2, 0, 0, 16, 1, PROTO_IKE, 0, 1,
	    0, 0, 0, 8, XF_PRF, 0, 0, 5,
	0, 0, 0, 16, 3, PROTO_IKE, 0, 1,
	    0, 0, 0, 8, XF_PRF, 0, 0, 5,
};
static const uint8_t sa_count[] = {
	0, 0, 0, 24, 1, PROTO_IKE, 0, 3,
	    3, 0, 0, 8, XF_PRF, 0, 0, 5,
	    0, 0, 0, 8, XF_DH, 0, 0, 31,
};
static const uint8_t sa_unusable[] = {
	0, 0, 0, 44, 1, PROTO_IKE, 0, 3,
	    3, 0, 0, 12, XF_ENCR, 0, 0, 12, 0x80, 99, 0, 1,
	    3, 0, 0, 16, XF_ENCR, 0, 0, 12, 0, 14, 0, 4, 0, 0, 0, 128,
	    0, 0, 0, 8, 77, 0, 0, 1,
};
static const uint8_t sa_short[] = {
	0, 0, 0, 40, 1, PROTO_IKE, 0, 1,
	    0, 0, 0, 8, XF_PRF, 0, 0, 5,
};
static const uint8_t sa_espspi[] = {
	0, 0, 0, 16, 1, PROTO_ESP, 0, 1,
	    0, 0, 0, 8, XF_ESN, 0, 0, 0,
};
static const uint8_t sa_notlast[] = {
	2, 0, 0, 16, 1, PROTO_IKE, 0, 1,
	    0, 0, 0, 8, XF_PRF, 0, 0, 5,
};

static void
unit_sa(void)
{
	struct ike_msg	*m = xcalloc(1, sizeof(*m));
	struct pld_prop	*pp;
	uint8_t		 big[PLD_PROPS_MAX + 1][8];
	char		 err[256];
	int		 rv, i;

	rv = one(IKEV2_PLD_SA, 0, sa_ok, sizeof(sa_ok), IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("sa-keylen", rv == PLD_OK && m->m_sa.sa_nprops == 1 &&
	    m->m_sa.sa_props[0].pp_xforms[0].xf_keylen == 128, err);
	rv = one(IKEV2_PLD_SA, 0, sa_numbering, sizeof(sa_numbering),
	    IKEV2_FLAG_I, m, err, sizeof(err));
	te("sa-numbering-gap-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "proposal number 3 after 1") != NULL, err);
	rv = one(IKEV2_PLD_SA, 0, sa_numbering + 16, 16, IKEV2_FLAG_I, m,
	    err, sizeof(err));
	te("sa-first-not-1-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "first proposal number 3 (must be 1)") != NULL, err);
	rv = one(IKEV2_PLD_SA, 0, sa_numbering + 16, 16, IKEV2_FLAG_R, m,
	    err, sizeof(err));
	te("sa-response-echoes-number", rv == PLD_OK &&
	    m->m_sa.sa_props[0].pp_num == 3, err);
	rv = one(IKEV2_PLD_SA, 0, sa_numbering, sizeof(sa_numbering) - 16,
	    IKEV2_FLAG_R, m, err, sizeof(err));
	te("sa-response-two-proposals-malformed", rv == PLD_EMALFORMED,
	    err);
	rv = one(IKEV2_PLD_SA, 0, sa_count, sizeof(sa_count), IKEV2_FLAG_I,
	    m, err, sizeof(err));
	te("sa-transform-count-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "3 transforms announced, 2 found") != NULL, err);
	rv = one(IKEV2_PLD_SA, 0, sa_unusable, sizeof(sa_unusable),
	    IKEV2_FLAG_I, m, err, sizeof(err));
	pp = &m->m_sa.sa_props[0];
	te("sa-unknown-attribute-unusable", rv == PLD_OK &&
	    pp->pp_nxforms == 3 &&
	    (pp->pp_xforms[0].xf_flags & PLD_XF_UNUSABLE) != 0 &&
	    (pp->pp_xforms[1].xf_flags & PLD_XF_UNUSABLE) != 0 &&
	    pp->pp_xforms[1].xf_keylen == 0 &&
	    (pp->pp_xforms[2].xf_flags & PLD_XF_UNUSABLE) == 0 &&
	    (pp->pp_flags & PLD_PROP_UNUSABLE) != 0, err);
	rv = one(IKEV2_PLD_SA, 0, sa_short, sizeof(sa_short), IKEV2_FLAG_I,
	    m, err, sizeof(err));
	te("sa-proposal-short-malformed", rv == PLD_EMALFORMED &&
	    strcmp(err, "malformed proposal: shorter than specified "
	    "(16 < 40)") == 0, err);
	rv = one(IKEV2_PLD_SA, 0, sa_espspi, sizeof(sa_espspi), IKEV2_FLAG_I,
	    m, err, sizeof(err));
	te("sa-esp-without-spi-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "ESP SPI size 0 (must be 4)") != NULL, err);
	rv = one(IKEV2_PLD_SA, 0, sa_notlast, sizeof(sa_notlast),
	    IKEV2_FLAG_I, m, err, sizeof(err));
	te("sa-last-not-marked-malformed", rv == PLD_EMALFORMED, err);
	rv = one(IKEV2_PLD_SA, 0, NULL, 0, IKEV2_FLAG_I, m, err, sizeof(err));
	te("sa-empty-malformed", rv == PLD_EMALFORMED, err);
	for (i = 0; i <= PLD_PROPS_MAX; i++) {
		static const uint8_t p[8] = { 2, 0, 0, 8, 0, PROTO_IKE, 0, 0 };

		memcpy(big[i], p, 8);
		big[i][4] = i + 1;
	}
	big[PLD_PROPS_MAX][0] = 0;
	rv = one(IKEV2_PLD_SA, 0, big, 8 * PLD_PROPS_MAX, IKEV2_FLAG_I, m,
	    err, sizeof(err));
	te("sa-last-proposal-not-marked-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "last proposal not marked") != NULL, err);
	big[PLD_PROPS_MAX - 1][0] = 0;
	rv = one(IKEV2_PLD_SA, 0, big, 8 * PLD_PROPS_MAX, IKEV2_FLAG_I, m,
	    err, sizeof(err));
	te("sa-16-proposals-ok", rv == PLD_OK &&
	    m->m_sa.sa_nprops == PLD_PROPS_MAX, err);
	big[PLD_PROPS_MAX - 1][0] = 2;
	rv = one(IKEV2_PLD_SA, 0, big, sizeof(big), IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("sa-17-proposals-bound", rv == PLD_EMALFORMED &&
	    strcmp(err, "too many proposals (more than PLD_PROPS_MAX 16)") ==
	    0, err);
	free(m);
}

static void
unit_payloads(void)
{
	struct ike_msg		*m = xcalloc(1, sizeof(*m));
	struct pld_builder	 pb;
	struct ibuf		*b;
	uint8_t			 body[600];
	char			 err[256];
	ssize_t			 len;
	int			 rv, i;

	memset(body, 0, sizeof(body));
	rv = one(IKEV2_PLD_NONCE, 0, body, 15, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("nonce-15-malformed", rv == PLD_EMALFORMED && strcmp(err,
	    "malformed Nonce payload: nonce too short (15 < 16)") == 0, err);
	rv = one(IKEV2_PLD_NONCE, 0, body, 257, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("nonce-257-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "(257 > 256)") != NULL, err);
	rv = one(IKEV2_PLD_NONCE, 0, body, 256, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("nonce-256-ok", rv == PLD_OK && m->m_nonce.d_len == 256, err);
	rv = one(IKEV2_PLD_KE, 0, body, 4, IKEV2_FLAG_I, m, err, sizeof(err));
	te("ke-no-data-malformed", rv == PLD_EMALFORMED, err);
	rv = one(IKEV2_PLD_KE, 0, body, 3, IKEV2_FLAG_I, m, err, sizeof(err));
	te("ke-short-malformed", rv == PLD_EMALFORMED && strcmp(err,
	    "malformed KE payload: body shorter than its fixed part "
	    "(3 < 4)") == 0, err);
	body[0] = IKEV2_ID_IPV4;
	rv = one(IKEV2_PLD_IDI, 0, body, 4 + 5, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("id-ipv4-5-bytes-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "IPV4_ADDR identity of 5 bytes (must be 4)") != NULL,
	    err);
	body[0] = IKEV2_ID_NULL;
	rv = one(IKEV2_PLD_IDR, 0, body, 4, IKEV2_FLAG_I, m, err, sizeof(err));
	te("id-null-empty-ok", rv == PLD_OK &&
	    m->m_idr.id_type == IKEV2_ID_NULL, err);
	/* TS: one IPv4 selector announced with 40 bytes */
	memset(body, 0, sizeof(body));
	body[0] = 1;
	body[4] = IKEV2_TS_IPV4_ADDR_RANGE;
	body[7] = 40;
	rv = one(IKEV2_PLD_TSI, 0, body, 44, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("ts-ipv4-40-bytes-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "TS_IPV4_ADDR_RANGE selector of 40 bytes (must be "
	    "16)") != NULL, err);
	body[4] = 99;		/* unknown type: kept, no addresses */
	rv = one(IKEV2_PLD_TSI, 0, body, 44, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("ts-unknown-type-kept", rv == PLD_OK && m->m_tsi.ts_count == 1 &&
	    m->m_tsi.ts_sel[0].ts_type == 99, err);
	body[0] = 2;
	rv = one(IKEV2_PLD_TSI, 0, body, 44, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("ts-count-beyond-payload-malformed", rv == PLD_EMALFORMED, err);
	body[0] = PLD_TS_MAX + 1;
	rv = one(IKEV2_PLD_TSR, 0, body, 44, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("ts-65-selectors-bound", rv == PLD_EMALFORMED && strstr(err,
	    "(65 > PLD_TS_MAX 64)") != NULL, err);
	/* D */
	memset(body, 0, sizeof(body));
	body[0] = PROTO_ESP;
	body[1] = 4;
	body[3] = 3;
	rv = one(IKEV2_PLD_DELETE, 0, body, 4 + 8, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("delete-short-malformed", rv == PLD_EMALFORMED && strcmp(err,
	    "malformed D payload: shorter than specified (8 < 12)") == 0, err);
	rv = one(IKEV2_PLD_DELETE, 0, body, 4 + 13, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("delete-long-malformed", rv == PLD_EMALFORMED, err);
	body[0] = PROTO_IKE;
	rv = one(IKEV2_PLD_DELETE, 0, body, 4 + 12, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("delete-ike-with-spis-malformed", rv == PLD_EMALFORMED, err);
	/* N with an SPI size of 3 */
	memset(body, 0, sizeof(body));
	body[1] = 3;
	rv = one(IKEV2_PLD_NOTIFY, 0, body, 7, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("notify-spi-size-3-malformed", rv == PLD_EMALFORMED, err);
	body[1] = 8;
	rv = one(IKEV2_PLD_NOTIFY, 0, body, 8, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("notify-spi-short-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "shorter than specified (4 < 8)") != NULL, err);
	/* CERTREQ of 21 bytes of hashes */
	body[0] = IKEV2_CERT_X509_SIG;
	rv = one(IKEV2_PLD_CERTREQ, 0, body, 22, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("certreq-21-malformed", rv == PLD_EMALFORMED, err);
	/* EAP whose length disagrees */
	memcpy(body, "\x01\x01\x00\x09", 4);
	rv = one(IKEV2_PLD_EAP, 0, body, 8, IKEV2_FLAG_I, m, err, sizeof(err));
	te("eap-length-malformed", rv == PLD_EMALFORMED, err);
	/* CP attribute longer than the payload */
	memcpy(body, "\x01\x00\x00\x00\x00\x01\x00\x08\x00\x00", 10);
	rv = one(IKEV2_PLD_CP, 0, body, 10, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("cp-attribute-short-malformed", rv == PLD_EMALFORMED, err);

	/* unknown payloads: skipped, or refused when critical */
	rv = one(200, 0, body, 10, IKEV2_FLAG_I, m, err, sizeof(err));
	te("unknown-skipped", rv == PLD_OK && m->m_npayloads == 1 &&
	    m->m_order[0] == 200 && m->m_seen == 0, err);
	rv = one(200, 1, body, 10, IKEV2_FLAG_I, m, err, sizeof(err));
	te("unknown-critical", rv == PLD_ECRITICAL && m->m_critical == 200,
	    err);
	rv = one(IKEV2_PLD_NONCE, 1, body, 16, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("known-critical-bit-ignored", rv == PLD_OK, err);

	/* a chain: unknown, then known, then duplicate */
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	(void)pld_add_raw(&pb, 49, 0, "x", 1);
	(void)pld_add_nonce(&pb, body, 16);
	(void)pld_add_nonce(&pb, body, 16);
	len = pld_build_finish(&pb);
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("duplicate-nonce-malformed", rv == PLD_EMALFORMED &&
	    strcmp(err, "more than one Nonce payload") == 0, err);
	ibuf_free(b);

	/* 64 notifies fit, 65 do not */
	for (i = 64; i <= 65; i++) {
		int	 j;

		b = ibuf_new(0);
		(void)pld_build_init(&pb, b, &init_hdr);
		for (j = 0; j < i; j++)
			(void)pld_add_notify(&pb, 0, 0, 0,
			    IKEV2_N_INITIAL_CONTACT, NULL, 0);
		len = pld_build_finish(&pb);
		rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
		if (i == 64)
			te("notify-64-ok", rv == PLD_OK &&
			    m->m_nnotify == 64, err);
		else
			te("notify-65-bound", rv == PLD_EMALFORMED &&
			    strcmp(err, "too many notify payloads (more than "
			    "PLD_NOTIFY_MAX 64)") == 0, err);
		ibuf_free(b);
	}
	/* the other per-kind bounds: 16 fit, 17 do not */
	for (i = 0; i < 3; i++) {
		static const uint8_t	 types[] = { IKEV2_PLD_VENDOR,
					    IKEV2_PLD_DELETE, IKEV2_PLD_CERT };
		static const char	*bounds[] = { "PLD_VENDOR_MAX 16",
					    "PLD_DELETE_MAX 16",
					    "PLD_CERT_MAX 16" };
		static const uint8_t	 del[4] = { PROTO_IKE, 0, 0, 0 };
		char			 name[64];
		int			 j;

		b = ibuf_new(0);
		(void)pld_build_init(&pb, b, &init_hdr);
		for (j = 0; j < 17; j++)
			(void)pld_add_raw(&pb, types[i], 0,
			    types[i] == IKEV2_PLD_DELETE ? del :
			    (const uint8_t *)"\x04z", types[i] ==
			    IKEV2_PLD_DELETE ? 4 : 2);
		len = pld_build_finish(&pb);
		rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
		(void)snprintf(name, sizeof(name), "%s-17-bound",
		    pld_payload_name(types[i]));
		te(name, rv == PLD_EMALFORMED &&
		    strstr(err, bounds[i]) != NULL, err);
		ibuf_free(b);
	}
	rv = one(IKEV2_PLD_VENDOR, 0, NULL, 0, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("vendor-empty-malformed", rv == PLD_EMALFORMED, err);
	rv = one(IKEV2_PLD_CERT, 0, "\x04", 1, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("cert-empty-malformed", rv == PLD_EMALFORMED, err);
	memcpy(body, "\x00\x00\x00\x08\x01\x09\x03\x00", 8);
	rv = one(IKEV2_PLD_SA, 0, body, 8, IKEV2_FLAG_I, m, err, sizeof(err));
	te("sa-unknown-protocol-spi-size-3-malformed", rv == PLD_EMALFORMED,
	    err);
	memcpy(body, "\x00\x00\x00\x0c\x01\x09\x04\x00\x01\x02\x03\x04", 12);
	rv = one(IKEV2_PLD_SA, 0, body, 12, IKEV2_FLAG_I, m, err,
	    sizeof(err));
	te("sa-unknown-protocol-unusable", rv == PLD_OK &&
	    (m->m_sa.sa_props[0].pp_flags & PLD_PROP_UNUSABLE) != 0 &&
	    m->m_sa.sa_props[0].pp_spi == 0x01020304, err);

	/* 128 payloads in all */
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	for (i = 0; i < PLD_PAYLOADS_MAX + 1; i++)
		(void)pld_add_raw(&pb, 199, 0, NULL, 0);
	len = pld_build_finish(&pb);
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("payloads-129-bound", rv == PLD_EMALFORMED && strstr(err,
	    "PLD_PAYLOADS_MAX 128") != NULL, err);
	ibuf_free(b);
	free(m);
}

static void
unit_header(void)
{
	struct ike_msg		*m = xcalloc(1, sizeof(*m));
	struct pld_builder	 pb;
	struct pld_prop		 props[3];
	struct ibuf		*b = ibuf_new(0);
	uint8_t			 ke[64], nonce[32], natd[20], *p;
	char			 err[256];
	ssize_t			 len;
	int			 rv;

	len = build_init(b, props, ke, nonce, natd);
	p = ibuf_data(b);
	rv = pld_parse(p, 20, m, err, sizeof(err));
	te("header-short", rv == PLD_EMALFORMED && strcmp(err,
	    "malformed message: shorter than the IKE header (20 < 28)") == 0,
	    err);
	rv = pld_parse(p, len - 1, m, err, sizeof(err));
	te("header-length-beyond-datagram", rv == PLD_EMALFORMED &&
	    strstr(err, "shorter than specified") != NULL, err);
	rv = pld_parse(NULL, 0, m, err, sizeof(err));
	te("header-null", rv == PLD_EMALFORMED, err);
	p[17] = 0x30;
	rv = pld_parse(p, len, m, err, sizeof(err));
	te("version-3-refused", rv == PLD_EVERSION &&
	    strcmp(err, "IKE version 3.0 (major must be 2)") == 0, err);
	p[17] = 0x2f;
	rv = pld_parse(p, len, m, err, sizeof(err));
	te("version-minor-ignored", rv == PLD_OK, err);
	p[17] = 0x20;
	/* SA length one too big: the next payload header is eaten */
	p[IKE_HDR_LEN + 3]++;
	rv = pld_parse(p, len, m, err, sizeof(err));
	te("payload-length-off-by-one-malformed", rv == PLD_EMALFORMED, err);
	p[IKE_HDR_LEN + 3]--;
	ibuf_free(b);

	/* trailing bytes after the last payload, within the length */
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	(void)pld_add_nonce(&pb, nonce, 16);
	(void)ibuf_add_zero(b, 3);
	len = pld_build_finish(&pb);
	rv = pld_parse(ibuf_data(b), len, m, err, sizeof(err));
	te("trailing-bytes-malformed", rv == PLD_EMALFORMED &&
	    strcmp(err, "3 bytes after the last payload") == 0, err);
	ibuf_free(b);

	/* SK followed by another payload */
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	(void)pld_add_raw(&pb, IKEV2_PLD_NONCE, 0, nonce, 16);
	len = pld_build_finish(&pb);
	p = ibuf_data(b);
	p[16] = IKEV2_PLD_SK;
	p[IKE_HDR_LEN] = IKEV2_PLD_NONCE;
	p[IKE_HDR_LEN + 3] = 8;		/* SK of 4 bytes, then 12 more */
	rv = pld_parse(p, len, m, err, sizeof(err));
	te("sk-not-last-malformed", rv == PLD_EMALFORMED &&
	    strstr(err, "SK payload not last") != NULL, err);
	ibuf_free(b);
	free(m);
}

static void
unit_builder(void)
{
	struct pld_builder	 pb;
	struct pld_prop		 props[PLD_PROPS_MAX + 1];
	struct pld_tsel		 ts;
	struct ibuf		*b = ibuf_new(0);
	uint8_t			 big[70000];

	memset(props, 0, sizeof(props));
	memset(&ts, 0, sizeof(ts));
	memset(big, 0, sizeof(big));
	(void)pld_build_init(&pb, b, &init_hdr);
	t("builder-nonce-15-refused", pld_add_nonce(&pb, big, 15) == -1 &&
	    pb.pb_err != NULL && pld_build_finish(&pb) == -1);
	ibuf_free(b);

	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	t("builder-17-proposals-refused",
	    pld_add_sa(&pb, props, PLD_PROPS_MAX + 1) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	ts.ts_type = 9;
	t("builder-ts-type-refused",
	    pld_add_ts(&pb, IKEV2_PLD_TSI, &ts, 1) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	t("builder-payload-over-64k-refused",
	    pld_add_vendor(&pb, big, 65536) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	t("builder-message-over-bound-refused",
	    pld_add_vendor(&pb, big, 40000) == 0 &&
	    pld_add_vendor(&pb, big, 40000) == -1 &&
	    pld_build_finish(&pb) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	t("builder-id-ipv6-length-refused",
	    pld_add_id(&pb, IKEV2_PLD_IDI, IKEV2_ID_IPV6, big, 4) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	(void)pld_build_init(&pb, b, &init_hdr);
	t("builder-delete-ike-spis-refused",
	    pld_add_delete(&pb, PROTO_IKE, 4, big, 1) == -1);
	ibuf_free(b);
	b = ibuf_new(0);
	/* a non-ESP marker before the message: offsets follow it */
	(void)ibuf_add_zero(b, 4);
	(void)pld_build_init(&pb, b, &init_hdr);
	(void)pld_add_nonce(&pb, big, 16);
	t("builder-after-marker", pld_build_finish(&pb) == IKE_HDR_LEN + 20 &&
	    ibuf_length(b) == 4 + IKE_HDR_LEN + 20 &&
	    ibuf_data(b)[4 + 16] == IKEV2_PLD_NONCE &&
	    ibuf_data(b)[4 + 27] == IKE_HDR_LEN + 20);
	ibuf_free(b);
}

static void
unit_names(void)
{
	const struct pol_xform_name	*xn;
	static const unsigned int	 must[] = {
		IKEV2_N_NAT_DETECTION_SOURCE_IP,
		IKEV2_N_NAT_DETECTION_DESTINATION_IP, IKEV2_N_COOKIE,
		IKEV2_N_REKEY_SA, IKEV2_N_INITIAL_CONTACT,
		IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED,
		IKEV2_N_SIGNATURE_HASH_ALGORITHMS, IKEV2_N_MOBIKE_SUPPORTED,
		IKEV2_N_USE_TRANSPORT_MODE,
		IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED,
		IKEV2_N_NON_FIRST_FRAGMENTS_ALSO,
		IKEV2_N_AUTHENTICATION_FAILED, IKEV2_N_NO_PROPOSAL_CHOSEN,
		IKEV2_N_INVALID_KE_PAYLOAD, IKEV2_N_TS_UNACCEPTABLE,
		IKEV2_N_INVALID_SYNTAX, IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD,
		IKEV2_N_INVALID_IKE_SPI, IKEV2_N_INVALID_MAJOR_VERSION,
		IKEV2_N_INVALID_MESSAGE_ID, IKEV2_N_INVALID_SPI,
		IKEV2_N_SINGLE_PAIR_REQUIRED, IKEV2_N_NO_ADDITIONAL_SAS,
		IKEV2_N_INTERNAL_ADDRESS_FAILURE, IKEV2_N_FAILED_CP_REQUIRED,
		IKEV2_N_INVALID_SELECTORS, IKEV2_N_TEMPORARY_FAILURE,
		IKEV2_N_CHILD_SA_NOT_FOUND, IKEV2_N_SET_WINDOW_SIZE,
		IKEV2_N_ADDITIONAL_TS_POSSIBLE, IKEV2_N_IPCOMP_SUPPORTED,
		IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED,
	};
	size_t				 i;
	int				 ok = 1;

	for (i = 0; i < nitems(must); i++)
		if (pld_notify_name(must[i]) == NULL) {
			printf("# no name for notify %u\n", must[i]);
			ok = 0;
		}
	t("names-notify", ok && strcmp(pld_notify_name(16388),
	    "NAT_DETECTION_SOURCE_IP") == 0 && pld_notify_name(12345) == NULL);
	/*
	 * every algorithm the policy language knows has a protocol name
	 * (but private-use numbers, from 1024 on)
	 */
	for (xn = policy_xform_names, ok = 1; xn->xn_name != NULL; xn++)
		if (pld_xform_id_name(xn->xn_type, xn->xn_id) == NULL &&
		    xn->xn_id < 1024) {
			printf("# no name for %s (type %u id %u)\n",
			    xn->xn_name, xn->xn_type, xn->xn_id);
			ok = 0;
		}
	t("names-policy-algorithms", ok);
	t("names-exchange", strcmp(pld_exchange_name(34), "IKE_SA_INIT") == 0 &&
	    strcmp(pld_exchange_name(37), "INFORMATIONAL") == 0 &&
	    pld_exchange_name(33) == NULL);
	t("names-payload", strcmp(pld_payload_name(46), "SK") == 0 &&
	    strcmp(pld_payload_name(53), "SKF") == 0 &&
	    pld_payload_name(0) == NULL);
	t("names-xform", strcmp(pld_xform_id_name(XF_ENCR, 20),
	    "AES_GCM_16") == 0 && strcmp(pld_xform_id_name(XF_INTEG, 12),
	    "HMAC_SHA2_256_128") == 0 && strcmp(pld_xform_id_name(XF_DH, 31),
	    "CURVE25519") == 0 && pld_xform_id_name(9, 1) == NULL &&
	    strcmp(pld_xform_type_name(XF_ESN), "ESN") == 0);
	t("dh-publen", pld_dh_publen(14) == 256 && pld_dh_publen(19) == 64 &&
	    pld_dh_publen(21) == 132 && pld_dh_publen(31) == 32 &&
	    pld_dh_publen(999) == 0);
}

static int
cmd_unit(void)
{
	unit_ibuf();
	unit_init();
	unit_auth();
	unit_skf();
	unit_sa();
	unit_payloads();
	unit_header();
	unit_builder();
	unit_names();
	return (0);
}

/* --- messages for tshark ------------------------------------------------- */

static void
print_hex(struct ibuf *b, ssize_t len)
{
	ssize_t	 i;

	for (i = 0; i < len; i++)
		printf("%02x", ibuf_data(b)[i]);
	printf("\n");
}

/*
 * One message per line: the IKE_SA_INIT of unit_init(), one whose
 * payloads are all in clear (no peer would send it, but every field is
 * there for the dissector; the CERT payload carries the certificate in
 * certpath), and an SK message.
 */
static int
cmd_build(const char *certpath)
{
	struct pld_builder	 pb;
	struct pld_prop		 props[3];
	struct pld_tsel		 ts[2];
	struct pld_cpattr	 ca[1];
	struct ike_hdr		 h = init_hdr;
	struct ibuf		*b;
	uint8_t			 ke[64], nonce[32], natd[20], data[64];
	static const uint8_t	 spis[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t	 eap[5] = { 2, 7, 0, 5, 1 };
	uint8_t			*cert;
	size_t			 certlen;
	ssize_t			 len;

	cert = read_hex(certpath, &certlen);
	b = ibuf_new(0);
	if ((len = build_init(b, props, ke, nonce, natd)) == -1)
		return (1);
	print_hex(b, len);
	ibuf_free(b);

	fill(data, sizeof(data), 0x30);
	memset(ts, 0, sizeof(ts));
	ts[0].ts_type = IKEV2_TS_IPV4_ADDR_RANGE;
	ts[0].ts_eport = 65535;
	memcpy(ts[0].ts_saddr, "\xcb\x00\x71\x00", 4);
	memcpy(ts[0].ts_eaddr, "\xcb\x00\x71\xff", 4);
	ts[1].ts_type = IKEV2_TS_IPV6_ADDR_RANGE;
	ts[1].ts_proto = 17;
	ts[1].ts_sport = ts[1].ts_eport = 53;
	memcpy(ts[1].ts_saddr, "\x20\x01\x0d\xb8", 4);
	memcpy(ts[1].ts_eaddr, "\x20\x01\x0d\xb8", 4);
	memset(ts[1].ts_eaddr + 4, 0xff, 12);
	memset(ca, 0, sizeof(ca));
	ca[0].ca_type = IKEV2_CFG_INTERNAL_IP4_ADDRESS;
	h.h_rspi = 0x1112131415161718ULL;
	h.h_exchange = IKEV2_EXCH_INFORMATIONAL;
	h.h_msgid = 2;
	b = ibuf_new(0);
	if (pld_build_init(&pb, b, &h) == -1 ||
	    pld_add_id(&pb, IKEV2_PLD_IDI, IKEV2_ID_FQDN, "left.example",
	    12) == -1 ||
	    pld_add_id(&pb, IKEV2_PLD_IDR, IKEV2_ID_IPV4, "\xc0\x00\x02\x14",
	    4) == -1 ||
	    pld_add_cert(&pb, IKEV2_PLD_CERT, IKEV2_CERT_X509_SIG, cert,
	    certlen) == -1 ||
	    pld_add_auth(&pb, IKEV2_AUTH_PSK, data, 32) == -1 ||
	    pld_add_cp(&pb, IKEV2_CP_REQUEST, ca, 1) == -1 ||
	    pld_add_sa(&pb, &props[2], 1) == -1 ||
	    pld_add_ts(&pb, IKEV2_PLD_TSI, ts, 2) == -1 ||
	    pld_add_ts(&pb, IKEV2_PLD_TSR, ts, 1) == -1 ||
	    pld_add_notify(&pb, PROTO_ESP, 4, 0xc5bdb368,
	    IKEV2_N_REKEY_SA, NULL, 0) == -1 ||
	    pld_add_notify(&pb, 0, 0, 0, IKEV2_N_USE_TRANSPORT_MODE, NULL,
	    0) == -1 ||
	    pld_add_delete(&pb, PROTO_ESP, 4, spis, 2) == -1 ||
	    pld_add_delete(&pb, PROTO_IKE, 0, NULL, 0) == -1 ||
	    pld_add_eap(&pb, eap, sizeof(eap)) == -1 ||
	    pld_add_vendor(&pb, data, 16) == -1 ||
	    (len = pld_build_finish(&pb)) == -1)
		return (1);
	print_hex(b, len);
	ibuf_free(b);

	h.h_exchange = IKEV2_EXCH_IKE_AUTH;
	h.h_msgid = 1;
	b = ibuf_new(0);
	if (pld_build_init(&pb, b, &h) == -1 ||
	    pld_sk_begin(&pb, 8) == -1 ||
	    pld_add_id(&pb, IKEV2_PLD_IDI, IKEV2_ID_FQDN, "left.example",
	    12) == -1 ||
	    ibuf_add_zero(b, 1 + 16) == -1 ||
	    (len = pld_build_finish(&pb)) == -1)
		return (1);
	print_hex(b, len);
	ibuf_free(b);
	free(cert);
	return (0);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: pldtest unit | build cert.hex | "
	    "dump msg.hex [inner.hex] |\n\troundtrip msg.hex [inner.hex] | "
	    "mutate msg.hex [inner.hex]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char	*inner;

	if (argc < 2)
		usage();
	if (strcmp(argv[1], "unit") == 0 && argc == 2) {
		cmd_unit();
		return (failed);
	}
	if (argc != 3 && argc != 4)
		usage();
	inner = argc == 4 ? argv[3] : NULL;
	if (strcmp(argv[1], "build") == 0 && argc == 3)
		return (cmd_build(argv[2]));
	if (strcmp(argv[1], "dump") == 0)
		return (cmd_dump(argv[2], inner));
	if (strcmp(argv[1], "roundtrip") == 0)
		return (cmd_roundtrip(argv[2], inner));
	if (strcmp(argv[1], "mutate") == 0)
		return (cmd_mutate(argv[2], inner));
	usage();
}
