/*
 * The policy blob: a deterministic encoder, a strict decoder, and the
 * file handling around them.  blob.h defines the format, BLOB.md
 * explains it.
 *
 * The decoder is a pure function of its input bytes (and of the public
 * key file it is given): it reads through a cursor that fails closed,
 * checks each section's bounds before reading it, each count against
 * the bytes left before allocating, every field against its range, and
 * then every record against the same rules the encoder applies to the
 * policy set it is given (valid_*() below), so that a blob decodes if
 * and only if the encoder could have written it, and re-encoding what
 * was decoded gives the same bytes.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "blob.h"
#include "util.h"

#define HK(k)		(1U << (k))
#define ALIGN8(n)	(((n) + BLOB_ALIGN - 1) & ~(size_t)(BLOB_ALIGN - 1))
#define HOST_MIN	3			/* kind, af, plen */
#define FLOW_MIN	(3 * HOST_MIN + 4)
#define CFG_MIN		(2 + HOST_MIN)
#define PROP_MIN	(2 + BLOB_XFORM_LEN)
#define LIST_MIN	(1 + PROP_MIN)
#define POLICY_MIN	(BLOB_SREF_LEN + 4 + 4 + 2 + 2 * HOST_MIN + 8 + \
			    2 * (1 + BLOB_SREF_LEN) + 24 + 2 + BLOB_SREF_LEN + \
			    1 + 2 * BLOB_SREF_LEN + 4)
#define HOSTNAME_LEN_MAX	253			/* as ikecc/host.c */
#define WHY_LEN		192

static const char *const sect_names[BLOB_NSECT + 1] = {
	"header", "strings", "globals", "users", "user index", "proposals",
	"policies", "policy index"
};

static const char *const tag_vars[] = { "$id", "$eapid", "$domain", "$name" };

/*
 * Semantic rules, shared by the encoder (on the policy set it is given)
 * and the decoder (on what it decoded).  Each returns 0, or -1 with the
 * reason in why.
 */

static int
why_set(char *why, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_LEN, fmt, ap);
	va_end(ap);
	return (-1);
}

static int
is_zero(const uint8_t *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (p[i] != 0)
			return (0);
	return (1);
}

static int
host_name_ok(const char *s)
{
	unsigned char	 c;

	if (*s == '\0' || strlen(s) > HOSTNAME_LEN_MAX)
		return (0);
	for (; *s != '\0'; s++) {
		c = *s;
		if ((c < '0' || c > '9') && (c < 'a' || c > 'z') &&
		    (c < 'A' || c > 'Z') && strchr(".-_:", c) == NULL)
			return (0);
	}
	return (1);
}

static int
valid_host(const struct pol_host *h, unsigned int kinds, const char *what,
    char *why)
{
	size_t	 alen;
	int	 bits;

	if (h->h_kind >= HOST_KIND_MAX)
		return (why_set(why, "%s: unknown host kind %u", what,
		    h->h_kind));
	if ((kinds & HK(h->h_kind)) == 0)
		return (why_set(why, "%s: host kind %u not allowed here",
		    what, h->h_kind));
	if (h->h_kind != HOST_NAME && h->h_name != NULL)
		return (why_set(why, "%s: a name on a host that is not a "
		    "name", what));
	switch (h->h_kind) {
	case HOST_ADDR:
	case HOST_RANGE:
		if (h->h_af != POL_AF_INET && h->h_af != POL_AF_INET6)
			return (why_set(why, "%s: address family %u", what,
			    h->h_af));
		alen = h->h_af == POL_AF_INET ? 4 : 16;
		bits = h->h_af == POL_AF_INET ? 32 : 128;
		if (!is_zero(h->h_ip + alen, 16 - alen) ||
		    !is_zero(h->h_ip2 + alen, 16 - alen))
			return (why_set(why, "%s: bytes beyond the IPv4 "
			    "address are not zero", what));
		if (h->h_kind == HOST_ADDR) {
			if (!is_zero(h->h_ip2, 16))
				return (why_set(why, "%s: range end on a "
				    "single address", what));
			if (h->h_plen != POL_PLEN_NONE && h->h_plen > bits)
				return (why_set(why, "%s: prefix length %u "
				    "out of range (0-%d)", what, h->h_plen,
				    bits));
		} else {
			if (h->h_plen != POL_PLEN_NONE)
				return (why_set(why, "%s: prefix length on "
				    "an address range", what));
			if (memcmp(h->h_ip, h->h_ip2, 16) > 0)
				return (why_set(why, "%s: address range ends "
				    "before it starts", what));
		}
		return (0);
	case HOST_NAME:
		if (h->h_af != POL_AF_NONE || !is_zero(h->h_ip, 16) ||
		    !is_zero(h->h_ip2, 16))
			return (why_set(why, "%s: address on a name", what));
		if (h->h_plen != POL_PLEN_NONE && h->h_plen > 128)
			return (why_set(why, "%s: prefix length %u out of "
			    "range (0-128)", what, h->h_plen));
		if (h->h_name == NULL || !host_name_ok(h->h_name))
			return (why_set(why, "%s: invalid host name", what));
		return (0);
	case HOST_DYNAMIC:
		if (h->h_af != POL_AF_NONE && h->h_af != POL_AF_INET &&
		    h->h_af != POL_AF_INET6)
			return (why_set(why, "%s: address family %u", what,
			    h->h_af));
		break;
	default:
		if (h->h_af != POL_AF_NONE)
			return (why_set(why, "%s: address family on a host "
			    "without address", what));
		break;
	}
	/* HOST_NONE, HOST_ANY, HOST_DYNAMIC: no address */
	if (!is_zero(h->h_ip, 16) || !is_zero(h->h_ip2, 16))
		return (why_set(why, "%s: address bytes on a host without "
		    "address", what));
	if (h->h_plen != POL_PLEN_NONE &&
	    !(h->h_kind == HOST_NONE && h->h_plen == 0))
		return (why_set(why, "%s: prefix length on a host without "
		    "address", what));
	return (0);
}

/* One proposal list: every proposal of one protocol, each consistent. */
static int
valid_props(const struct pol_prop *props, size_t n, char *why)
{
	const struct pol_prop	*pr;
	const struct pol_xform	*xf;
	size_t			 i;
	int			 j, where, aead, plain, auth;

	if (n == 0 || n > POL_PROPS_MAX)
		return (why_set(why, "%zu proposals (1 to %d)", n,
		    POL_PROPS_MAX));
	for (i = 0; i < n; i++) {
		pr = &props[i];
		if (pr->pr_protoid != props[0].pr_protoid)
			return (why_set(why, "proposal %zu: protocol %u in a "
			    "list of protocol %u", i, pr->pr_protoid,
			    props[0].pr_protoid));
		if (pr->pr_protoid != PROTO_IKE && pr->pr_protoid !=
		    PROTO_AH && pr->pr_protoid != PROTO_ESP)
			return (why_set(why, "proposal %zu: unknown protocol "
			    "%u", i, pr->pr_protoid));
		if (pr->pr_nxf == 0 || pr->pr_nxf > POL_XFORMS_MAX)
			return (why_set(why, "proposal %zu: %u transforms "
			    "(1 to %d)", i, pr->pr_nxf, POL_XFORMS_MAX));
		where = pr->pr_protoid == PROTO_IKE ? XN_IKE : XN_ESP;
		aead = plain = auth = 0;
		for (j = 0; j < pr->pr_nxf; j++) {
			xf = &pr->pr_xf[j];
			if (policy_xform_byid(where, xf) == NULL)
				return (why_set(why, "proposal %zu: unknown "
				    "transform type %u id %u key length %u",
				    i, xf->xf_type, xf->xf_id,
				    xf->xf_keylen));
			switch (xf->xf_type) {
			case XF_ENCR:
				if (pr->pr_protoid == PROTO_AH)
					return (why_set(why, "proposal %zu: "
					    "encryption in an AH proposal",
					    i));
				if (policy_xform_is_aead(xf))
					aead = 1;
				else
					plain = 1;
				break;
			case XF_PRF:
				if (pr->pr_protoid != PROTO_IKE)
					return (why_set(why, "proposal %zu: "
					    "prf in a child SA proposal", i));
				break;
			case XF_INTEG:
				auth = 1;
				break;
			case XF_DH:
				if (xf->xf_id == 0 &&
				    pr->pr_protoid == PROTO_IKE)
					return (why_set(why, "proposal %zu: "
					    "IKE group none", i));
				break;
			case XF_ESN:
				/* policy_xform_byid refused it for IKE */
				break;
			}
		}
		if (aead && plain)
			return (why_set(why, "proposal %zu: AEAD and plain "
			    "ciphers mixed", i));
		if (aead && auth)
			return (why_set(why, "proposal %zu: integrity with an "
			    "AEAD cipher", i));
	}
	return (0);
}

static int
valid_id(const struct pol_id *id, const char *what, char *why)
{
	size_t	 len;

	if (id->id_type == ID_NONE) {
		if (id->id_str != NULL)
			return (why_set(why, "%s: a string without a type",
			    what));
		return (0);
	}
	if (id->id_str == NULL)
		return (why_set(why, "%s: type %u without a string", what,
		    id->id_type));
	len = strlen(id->id_str);
	if (len == 0 || len > POL_ID_MAX)
		return (why_set(why, "%s: %zu bytes (1 to %d)", what, len,
		    POL_ID_MAX));
	if (id->id_type != policy_id_type_of(id->id_str))
		return (why_set(why, "%s: type %u does not fit \"%s\"", what,
		    id->id_type, id->id_str));
	return (0);
}

static int
valid_tag(const char *tag, char *why)
{
	const char	*s, *e;
	size_t		 i, len;

	if (strlen(tag) > POL_TAG_MAX)
		return (why_set(why, "tag: %zu bytes (at most %d)",
		    strlen(tag), POL_TAG_MAX));
	for (s = tag; (s = strchr(s, '$')) != NULL; s = e) {
		for (e = s + 1; (*e >= 'a' && *e <= 'z') || (*e >= 'A' &&
		    *e <= 'Z') || (*e >= '0' && *e <= '9') || *e == '_'; e++)
			;
		len = e - s;
		for (i = 0; i < nitems(tag_vars); i++)
			if (strlen(tag_vars[i]) == len &&
			    strncmp(tag_vars[i], s, len) == 0)
				break;
		if (i == nitems(tag_vars))
			return (why_set(why, "tag: unknown variable"));
	}
	return (0);
}

static int
has_ports(uint8_t p)
{
	/* as ikecc/host.c host_proto_has_ports() */
	return (p == 6 || p == 17 || p == 33 || p == 132 || p == 136);
}

static int
is_network(const struct pol_host *h)
{
	return (h->h_kind == HOST_RANGE || h->h_kind == HOST_ANY ||
	    (h->h_kind == HOST_ADDR && h->h_plen != POL_PLEN_NONE));
}

/*
 * A policy, except its proposal lists' transforms (valid_props(), once
 * per distinct list) and what spans policies (names, default).
 */
static int
valid_policy(const struct policy *pol, char *why)
{
	const struct pol_flow	*fl;
	const struct pol_cfg	*pc;
	const unsigned int	 flowk = HK(HOST_ADDR) | HK(HOST_RANGE) |
				    HK(HOST_NAME) | HK(HOST_ANY) |
				    HK(HOST_DYNAMIC);
	unsigned int		 endk;
	size_t			 i, j, len;
	int			 portok, eaf, child;

	if (pol->pol_name == NULL || (len = strlen(pol->pol_name)) == 0 ||
	    len > POL_NAME_MAX)
		return (why_set(why, "name: empty or longer than %d bytes",
		    POL_NAME_MAX));
	if (pol->pol_flags & ~POL_F_ALL)
		return (why_set(why, "unknown flags 0x%x",
		    pol->pol_flags & ~POL_F_ALL));
	if (pol->pol_match >= MATCH_MAX)
		return (why_set(why, "unknown match %u", pol->pol_match));
	if (pol->pol_af != POL_AF_NONE && pol->pol_af != POL_AF_INET &&
	    pol->pol_af != POL_AF_INET6)
		return (why_set(why, "unknown address family %u",
		    pol->pol_af));
	if (!(pol->pol_flags & POL_F_RDOMAIN) && pol->pol_rdomain != 0)
		return (why_set(why, "rdomain without its flag"));
	if (!(pol->pol_flags & POL_F_TAP) && pol->pol_tap != 0)
		return (why_set(why, "tap without its flag"));

	if (pol->pol_nprotos > POL_PROTOS_MAX)
		return (why_set(why, "%u protocols (at most %d)",
		    pol->pol_nprotos, POL_PROTOS_MAX));
	portok = pol->pol_nprotos > 0;
	for (i = 0; i < pol->pol_nprotos; i++) {
		if (!has_ports(pol->pol_protos[i]))
			portok = 0;
		for (j = 0; j < i; j++)
			if (pol->pol_protos[j] == pol->pol_protos[i])
				return (why_set(why, "protocol %u listed "
				    "twice", pol->pol_protos[i]));
	}

	if (pol->pol_nflows == 0 || pol->pol_nflows > POL_FLOWS_MAX)
		return (why_set(why, "%zu flows (1 to %d)", pol->pol_nflows,
		    POL_FLOWS_MAX));
	for (i = 0; i < pol->pol_nflows; i++) {
		fl = &pol->pol_flows[i];
		if (valid_host(&fl->fl_src, flowk, "flow source", why) ==
		    -1 || valid_host(&fl->fl_dst, flowk, "flow destination",
		    why) == -1 || valid_host(&fl->fl_srcnat, HK(HOST_NONE) |
		    HK(HOST_ADDR) | HK(HOST_RANGE), "flow NAT", why) == -1)
			return (-1);
		if (fl->fl_srcnat.h_kind == HOST_NONE) {
			if (fl->fl_srcnat.h_plen != 0)
				return (why_set(why, "flow %zu: no NAT "
				    "address but a prefix length", i));
		} else if (fl->fl_srcnat.h_af != fl->fl_src.h_af)
			return (why_set(why, "flow %zu: NAT address family "
			    "differs from the source's", i));
		if (fl->fl_src.h_af != POL_AF_NONE &&
		    fl->fl_dst.h_af != POL_AF_NONE &&
		    fl->fl_src.h_af != fl->fl_dst.h_af)
			return (why_set(why, "flow %zu: address families "
			    "mixed", i));
		if ((fl->fl_sport != 0 || fl->fl_dport != 0) && !portok)
			return (why_set(why, "flow %zu: ports without a "
			    "protocol that has ports", i));
	}

	endk = HK(HOST_ANY) | HK(HOST_ADDR) | HK(HOST_NAME);
	if (pol->pol_match == MATCH_DEFAULT)
		endk |= HK(HOST_NONE);
	if (valid_host(&pol->pol_local, endk, "local", why) == -1 ||
	    valid_host(&pol->pol_peer, endk, "peer", why) == -1)
		return (-1);
	if ((pol->pol_local.h_kind == HOST_NONE &&
	    pol->pol_local.h_plen != POL_PLEN_NONE) ||
	    (pol->pol_peer.h_kind == HOST_NONE &&
	    pol->pol_peer.h_plen != POL_PLEN_NONE))
		return (why_set(why, "local/peer: prefix length on an "
		    "absent endpoint"));
	if (pol->pol_local.h_af != POL_AF_NONE &&
	    pol->pol_peer.h_af != POL_AF_NONE &&
	    pol->pol_local.h_af != pol->pol_peer.h_af)
		return (why_set(why, "local and peer address families "
		    "differ"));
	eaf = pol->pol_peer.h_af != POL_AF_NONE ? pol->pol_peer.h_af :
	    pol->pol_local.h_af;
	if (eaf != POL_AF_NONE && pol->pol_af != eaf)
		return (why_set(why, "address family %u, but the endpoints "
		    "are %u", pol->pol_af, eaf));
	if ((pol->pol_flags & POL_F_ACTIVE) &&
	    pol->pol_match != MATCH_DEFAULT &&
	    (pol->pol_peer.h_kind == HOST_ANY || is_network(&pol->pol_peer) ||
	    (pol->pol_local.h_kind != HOST_ANY &&
	    is_network(&pol->pol_local))))
		return (why_set(why, "active, but peer is not a single "
		    "host"));

	child = (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP;
	if (pol->pol_nikeprops == 0 || pol->pol_nikeprops > POL_PROPS_MAX ||
	    pol->pol_ikeprops[0].pr_protoid != PROTO_IKE)
		return (why_set(why, "IKE proposals: none, too many, or "
		    "not for IKE"));
	if (pol->pol_nchildprops == 0 ||
	    pol->pol_nchildprops > POL_PROPS_MAX ||
	    pol->pol_childprops[0].pr_protoid != child)
		return (why_set(why, "child SA proposals: none, too many, "
		    "or not for %s", child == PROTO_AH ? "AH" : "ESP"));

	if (valid_id(&pol->pol_srcid, "srcid", why) == -1 ||
	    valid_id(&pol->pol_dstid, "dstid", why) == -1)
		return (-1);

	if (pol->pol_auth >= AUTH_MAX)
		return (why_set(why, "unknown auth method %u", pol->pol_auth));
	if (pol->pol_eap != (pol->pol_auth == AUTH_EAP ? EAP_MSCHAP_V2 : 0))
		return (why_set(why, "EAP method %u with auth method %u",
		    pol->pol_eap, pol->pol_auth));
	if (pol->pol_auth == AUTH_PSK) {
		if (pol->pol_psk == NULL || pol->pol_psklen == 0 ||
		    pol->pol_psklen > POL_PSK_MAX)
			return (why_set(why, "PSK of %zu bytes (1 to %d)",
			    pol->pol_psklen, POL_PSK_MAX));
	} else if (pol->pol_psk != NULL || pol->pol_psklen != 0)
		return (why_set(why, "PSK with auth method %u",
		    pol->pol_auth));

	if (pol->pol_ncfg > POL_CFG_MAX)
		return (why_set(why, "%zu config attributes (at most %d)",
		    pol->pol_ncfg, POL_CFG_MAX));
	for (i = 0; i < pol->pol_ncfg; i++) {
		pc = &pol->pol_cfg[i];
		if (pc->pc_request > 1)
			return (why_set(why, "config %zu: request is %u", i,
			    pc->pc_request));
		if (pc->pc_opt >= CFG_MAX)
			return (why_set(why, "config %zu: unknown option %u",
			    i, pc->pc_opt));
		if (valid_host(&pc->pc_host, HK(HOST_ADDR) |
		    (pc->pc_request ? HK(HOST_ANY) : 0), "config", why) == -1)
			return (-1);
		if (pc->pc_opt == CFG_NETMASK &&
		    pc->pc_host.h_kind == HOST_ADDR &&
		    pc->pc_host.h_af != POL_AF_INET)
			return (why_set(why, "config %zu: IPv6 netmask", i));
	}
	if (pol->pol_iface != NULL && ((len = strlen(pol->pol_iface)) == 0 ||
	    len >= IFNAMSIZ))
		return (why_set(why, "iface: %zu bytes (1 to %d)", len,
		    IFNAMSIZ - 1));
	if (pol->pol_tag != NULL && valid_tag(pol->pol_tag, why) == -1)
		return (-1);
	return (0);
}

static int
valid_user(const struct pol_user *u, char *why)
{
	size_t	 len;

	if (u->u_name == NULL || (len = strlen(u->u_name)) == 0 ||
	    len > POL_USER_NAME_MAX)
		return (why_set(why, "name: empty or longer than %d bytes",
		    POL_USER_NAME_MAX));
	if (u->u_pass == NULL || (len = strlen(u->u_pass)) == 0 ||
	    len > POL_USER_PASS_MAX)
		return (why_set(why, "password: empty or longer than %d "
		    "bytes", POL_USER_PASS_MAX));
	return (0);
}

static int
valid_globals(const struct pol_globals *gl, char *why)
{
	size_t	 len;

	if (gl->gl_flags & ~GL_ALL)
		return (why_set(why, "unknown flags 0x%x",
		    gl->gl_flags & ~GL_ALL));
	if (gl->gl_ocsp_url == NULL) {
		if (gl->gl_ocsp_tolerate != 0 ||
		    gl->gl_ocsp_maxage != GL_OCSP_MAXAGE_NONE)
			return (why_set(why, "OCSP tolerate/maxage without "
			    "an OCSP URL"));
		return (0);
	}
	len = strlen(gl->gl_ocsp_url);
	if (len == 0 || len > POL_STR_MAX)
		return (why_set(why, "OCSP URL: %zu bytes (1 to %d)", len,
		    POL_STR_MAX));
	if (gl->gl_ocsp_maxage != GL_OCSP_MAXAGE_NONE &&
	    (gl->gl_ocsp_maxage < 0 || gl->gl_ocsp_maxage > INT32_MAX))
		return (why_set(why, "OCSP maxage %lld out of range",
		    (long long)gl->gl_ocsp_maxage));
	return (0);
}

/*
 * Little-endian integers.
 */

static uint16_t
le16(const uint8_t *p)
{
	return ((uint16_t)(p[0] | (uint16_t)p[1] << 8));
}

static uint32_t
le32(const uint8_t *p)
{
	return ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24);
}

static uint64_t
le64(const uint8_t *p)
{
	return ((uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = v >> 24;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, v & 0xffffffffU);
	put32(p + 4, v >> 32);
}

/*
 * Crypto.
 */

static void
ssl_err(char *err, size_t errlen, const char *what)
{
	unsigned long	 e;
	char		 buf[160];

	if ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(err, errlen, "%s: %s", what, buf);
	} else
		snprintf(err, errlen, "%s", what);
	ERR_clear_error();
}

static int
no_passphrase(char *buf, int size, int rw, void *u)
{
	(void)buf;
	(void)size;
	(void)rw;
	(void)u;
	return (0);
}

/* Read an Ed25519 key: the private one, or the public one. */
static EVP_PKEY *
key_load(const char *path, int private, char *err, size_t errlen)
{
	EVP_PKEY	*pkey;
	FILE		*fp;
	char		 what[PATH_MAX + 64];

	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s key %s: %s", private ? "signing" :
		    "public", path, strerror(errno));
		return (NULL);
	}
	/* no copy of a private key in a stdio buffer */
	setvbuf(fp, NULL, _IONBF, 0);
	if (private)
		pkey = PEM_read_PrivateKey(fp, NULL, no_passphrase, NULL);
	else
		pkey = PEM_read_PUBKEY(fp, NULL, no_passphrase, NULL);
	fclose(fp);
	if (pkey == NULL) {
		snprintf(what, sizeof(what), "%s key %s: not a PEM %s key%s",
		    private ? "signing" : "public", path, private ?
		    "private" : "public", private ? " (or encrypted)" : "");
		ssl_err(err, errlen, what);
		return (NULL);
	}
	if (EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
		snprintf(err, errlen, "%s key %s: not an Ed25519 key",
		    private ? "signing" : "public", path);
		EVP_PKEY_free(pkey);
		return (NULL);
	}
	return (pkey);
}

static int
sha256(const uint8_t *buf, size_t len, uint8_t *md, char *err, size_t errlen)
{
	unsigned int	 mdlen = 0;

	if (EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != BLOB_DIGEST_LEN) {
		ssl_err(err, errlen, "SHA-256");
		return (-1);
	}
	return (0);
}

static int
sig_make(EVP_PKEY *pkey, const uint8_t *msg, size_t len, uint8_t *sig,
    char *err, size_t errlen)
{
	EVP_MD_CTX	*ctx;
	size_t		 siglen = BLOB_SIG_LEN;
	int		 r = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		ssl_err(err, errlen, "signing");
		return (-1);
	}
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
	    siglen != BLOB_SIG_LEN)
		ssl_err(err, errlen, "signing");
	else
		r = 0;
	EVP_MD_CTX_free(ctx);
	return (r);
}

static int
sig_check(EVP_PKEY *pkey, const uint8_t *msg, size_t len, const uint8_t *sig,
    char *err, size_t errlen)
{
	EVP_MD_CTX	*ctx;
	int		 r = -1;

	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		ssl_err(err, errlen, "signature check");
		return (-1);
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
		ssl_err(err, errlen, "signature check");
	else if (EVP_DigestVerify(ctx, sig, BLOB_SIG_LEN, msg, len) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "signature does not verify with the "
		    "given public key");
	} else
		r = 0;
	EVP_MD_CTX_free(ctx);
	return (r);
}

/*
 * Encoder.  Each section is built in its own buffer; the string table
 * grows as the other sections refer to strings, in the order they do.
 * Buffers may hold secrets: they are wiped when they grow or go.
 */

struct bbuf {
	uint8_t		*b_buf;
	size_t		 b_len;
	size_t		 b_cap;
	int		 b_fail;	/* out of memory or too large */
};
#define BB_SMALL	(256UL << 10)	/* larger: a mapping (bb_space) */

/*
 * Wipe and free the buffer.  Only its first b_len bytes were ever
 * written: wiping the rest would only fault in pages that were never
 * used.
 */
static void
bb_wipe(struct bbuf *b)
{
	if (b->b_buf == NULL)
		return;
	explicit_bzero(b->b_buf, b->b_len);
	if (b->b_cap > BB_SMALL)
		(void)munmap(b->b_buf, b->b_cap);
	else
		free(b->b_buf);
}

/*
 * Room for n more bytes.  A small buffer is on the heap and moves as it
 * grows, the old copy wiped; a large one is a mapping of its own that
 * mremap(2) grows without copying, so that a blob of tens of megabytes
 * does not leave a trail of copies behind it in the heap.
 */
static uint8_t *
bb_space(struct bbuf *b, size_t n)
{
	uint8_t	*nb;
	size_t	 cap;

	if (b->b_fail)
		return (NULL);
	if (n > BLOB_MAX_SIZE - b->b_len) {
		b->b_fail = 1;
		return (NULL);
	}
	if (b->b_len + n > b->b_cap) {
		cap = b->b_cap == 0 ? 256 : b->b_cap;
		while (cap < b->b_len + n)
			cap *= 2;
		if (cap <= BB_SMALL) {
			if ((nb = malloc(cap)) == NULL)
				goto fail;
			if (b->b_len > 0)
				memcpy(nb, b->b_buf, b->b_len);
			bb_wipe(b);
		} else if (b->b_cap > BB_SMALL) {
			if ((nb = mremap(b->b_buf, b->b_cap, cap,
			    MREMAP_MAYMOVE)) == MAP_FAILED)
				goto fail;
		} else {
			if ((nb = mmap(NULL, cap, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) == MAP_FAILED)
				goto fail;
			if (b->b_len > 0)
				memcpy(nb, b->b_buf, b->b_len);
			bb_wipe(b);
		}
		b->b_buf = nb;
		b->b_cap = cap;
	}
	b->b_len += n;
	return (b->b_buf + b->b_len - n);
 fail:
	b->b_fail = 1;
	return (NULL);
}

static void
bb_free(struct bbuf *b)
{
	bb_wipe(b);
	memset(b, 0, sizeof(*b));
}

/*
 * Move the bytes to dst and free the buffer.  A mapping gives back its
 * pages as they are copied (wiped first), so that the bytes are never
 * in memory twice over.
 */
static void
bb_move(struct bbuf *b, uint8_t *dst)
{
	size_t	 off, n;

	if (b->b_cap <= BB_SMALL) {
		if (b->b_len > 0)
			memcpy(dst, b->b_buf, b->b_len);
		bb_free(b);
		return;
	}
	for (off = 0; off < b->b_len; off += n) {
		n = b->b_len - off < BB_SMALL ? b->b_len - off : BB_SMALL;
		memcpy(dst + off, b->b_buf + off, n);
		explicit_bzero(b->b_buf + off, n);
		/* whole chunks are whole pages: BB_SMALL is a multiple */
		(void)madvise(b->b_buf + off, n, MADV_DONTNEED);
	}
	(void)munmap(b->b_buf, b->b_cap);
	memset(b, 0, sizeof(*b));
}

static void
bb_u8(struct bbuf *b, uint8_t v)
{
	uint8_t	*p;

	if ((p = bb_space(b, 1)) != NULL)
		*p = v;
}

static void
bb_u16(struct bbuf *b, uint16_t v)
{
	uint8_t	*p;

	if ((p = bb_space(b, 2)) != NULL)
		put16(p, v);
}

static void
bb_u32(struct bbuf *b, uint32_t v)
{
	uint8_t	*p;

	if ((p = bb_space(b, 4)) != NULL)
		put32(p, v);
}

static void
bb_u64(struct bbuf *b, uint64_t v)
{
	uint8_t	*p;

	if ((p = bb_space(b, 8)) != NULL)
		put64(p, v);
}

static void
bb_bytes(struct bbuf *b, const void *data, size_t len)
{
	uint8_t	*p;

	if (len > 0 && (p = bb_space(b, len)) != NULL)
		memcpy(p, data, len);
}

struct benc {
	struct bbuf	 e_sect[BLOB_NSECT + 1];	/* by type; 0 unused */
	uint32_t	 e_count[BLOB_NSECT + 1];
};

/* A string reference; the bytes go to the end of the string table. */
static void
enc_sref(struct benc *e, struct bbuf *b, const void *s, size_t len)
{
	struct bbuf	*st = &e->e_sect[BLOB_S_STRINGS];

	if (s == NULL) {
		bb_u32(b, BLOB_SREF_NONE);
		bb_u16(b, 0);
		return;
	}
	if (len > UINT16_MAX || st->b_len >= BLOB_SREF_NONE) {
		b->b_fail = 1;
		return;
	}
	bb_u32(b, st->b_len);
	bb_u16(b, len);
	bb_bytes(st, s, len);
	e->e_count[BLOB_S_STRINGS]++;
}

static void
enc_str(struct benc *e, struct bbuf *b, const char *s)
{
	enc_sref(e, b, s, s == NULL ? 0 : strlen(s));
}

static void
enc_host(struct benc *e, struct bbuf *b, const struct pol_host *h)
{
	size_t	 alen = h->h_af == POL_AF_INET ? 4 : 16;

	bb_u8(b, h->h_kind);
	bb_u8(b, h->h_af);
	bb_u8(b, h->h_plen);
	switch (h->h_kind) {
	case HOST_ADDR:
		bb_bytes(b, h->h_ip, alen);
		break;
	case HOST_RANGE:
		bb_bytes(b, h->h_ip, alen);
		bb_bytes(b, h->h_ip2, alen);
		break;
	case HOST_NAME:
		enc_str(e, b, h->h_name);
		break;
	}
}

static void
enc_props(struct bbuf *b, const struct pol_prop *props, size_t n)
{
	const struct pol_xform	*xf;
	size_t			 i;
	int			 j;

	bb_u8(b, n);
	for (i = 0; i < n; i++) {
		bb_u8(b, props[i].pr_protoid);
		bb_u8(b, props[i].pr_nxf);
		for (j = 0; j < props[i].pr_nxf; j++) {
			xf = &props[i].pr_xf[j];
			bb_u8(b, xf->xf_type);
			bb_u16(b, xf->xf_id);
			bb_u16(b, xf->xf_keylen);
		}
	}
}

static void
enc_policy(struct benc *e, struct bbuf *b, const struct policy *pol,
    uint32_t ikel, uint32_t childl)
{
	const struct pol_flow	*fl;
	size_t			 i;

	enc_str(e, b, pol->pol_name);
	bb_u32(b, pol->pol_flags);
	bb_u8(b, pol->pol_match);
	bb_u8(b, pol->pol_af);
	bb_u8(b, pol->pol_rdomain);
	bb_u8(b, pol->pol_nprotos);
	bb_bytes(b, pol->pol_protos, pol->pol_nprotos);
	bb_u16(b, pol->pol_nflows);
	for (i = 0; i < pol->pol_nflows; i++) {
		fl = &pol->pol_flows[i];
		enc_host(e, b, &fl->fl_src);
		enc_host(e, b, &fl->fl_dst);
		enc_host(e, b, &fl->fl_srcnat);
		bb_u16(b, fl->fl_sport);
		bb_u16(b, fl->fl_dport);
	}
	enc_host(e, b, &pol->pol_local);
	enc_host(e, b, &pol->pol_peer);
	bb_u32(b, ikel);
	bb_u32(b, childl);
	bb_u8(b, pol->pol_srcid.id_type);
	enc_str(e, b, pol->pol_srcid.id_str);
	bb_u8(b, pol->pol_dstid.id_type);
	enc_str(e, b, pol->pol_dstid.id_str);
	bb_u64(b, pol->pol_ikelifetime);
	bb_u64(b, pol->pol_lifetime);
	bb_u64(b, pol->pol_bytes);
	bb_u8(b, pol->pol_auth);
	bb_u8(b, pol->pol_eap);
	enc_sref(e, b, pol->pol_psk, pol->pol_psklen);
	bb_u8(b, pol->pol_ncfg);
	for (i = 0; i < pol->pol_ncfg; i++) {
		bb_u8(b, pol->pol_cfg[i].pc_request);
		bb_u8(b, pol->pol_cfg[i].pc_opt);
		enc_host(e, b, &pol->pol_cfg[i].pc_host);
	}
	enc_str(e, b, pol->pol_iface);
	enc_str(e, b, pol->pol_tag);
	bb_u32(b, pol->pol_tap);
}

/* An encoded proposal list, and where it came from. */
struct plist {
	const uint8_t	*pl_data;
	size_t		 pl_off;
	size_t		 pl_len;
	size_t		 pl_origin;	/* 2 * policy + (1: child SA list) */
};

static int
plist_cmp(const void *a, const void *b)
{
	const struct plist	*x = a, *y = b;
	int			 r;

	r = memcmp(x->pl_data, y->pl_data, x->pl_len < y->pl_len ?
	    x->pl_len : y->pl_len);
	if (r != 0)
		return (r);
	if (x->pl_len != y->pl_len)
		return (x->pl_len < y->pl_len ? -1 : 1);
	return (x->pl_origin < y->pl_origin ? -1 : x->pl_origin >
	    y->pl_origin);
}

/* Names, for the indexes. */
struct nameent {
	const char	*ne_name;
	uint32_t	 ne_num;
};

static int
nameent_cmp(const void *a, const void *b)
{
	const struct nameent	*x = a, *y = b;
	int			 r;

	if ((r = strcmp(x->ne_name, y->ne_name)) != 0)
		return (r);
	return (x->ne_num < y->ne_num ? -1 : x->ne_num > y->ne_num);
}

/*
 * The proposal lists of every policy, sorted and without duplicates,
 * into the proposals section; listno[2 * i] and listno[2 * i + 1] are
 * policy i's IKE and child SA list numbers.  Policies mostly share
 * their lists (policy_share_props): a list met again through the same
 * pointer is encoded once, and only the distinct encodings are sorted.
 */
static int
enc_proplists(struct benc *e, const struct policy_set *ps, uint32_t *listno,
    char *err, size_t errlen)
{
	struct {
		const struct pol_prop	*sn_props;
		size_t			 sn_nprops;
		uint32_t		 sn_rep;
	}			 seen[64], *sn;
	struct bbuf		 scratch;
	struct bbuf		*out = &e->e_sect[BLOB_S_PROPOSALS];
	struct plist		*pl = NULL, *npl_new;
	const struct policy	*pol;
	const struct pol_prop	*props;
	size_t			 n = 2 * ps->ps_npolicies, i, nprops, npl = 0;
	size_t			 plcap = 0;
	uint32_t		*num = NULL, cur = 0;
	char			 why[WHY_LEN];
	int			 r = -1;

	memset(&scratch, 0, sizeof(scratch));
	memset(seen, 0, sizeof(seen));
	/* listno[i] is first the number of origin i's encoding in pl */
	for (i = 0; i < n; i++) {
		pol = &ps->ps_policies[i / 2];
		props = i % 2 ? pol->pol_childprops : pol->pol_ikeprops;
		nprops = i % 2 ? pol->pol_nchildprops : pol->pol_nikeprops;
		sn = &seen[((uintptr_t)props / sizeof(*props) + nprops) %
		    nitems(seen)];
		if (props != NULL && sn->sn_props == props &&
		    sn->sn_nprops == nprops) {
			listno[i] = sn->sn_rep;
			continue;
		}
		if (npl == plcap) {
			plcap = plcap == 0 ? 64 : plcap * 2;
			if ((npl_new = reallocarray(pl, plcap,
			    sizeof(*pl))) == NULL)
				goto oom;
			pl = npl_new;
		}
		pl[npl].pl_off = scratch.b_len;
		pl[npl].pl_origin = i;
		enc_props(&scratch, props, nprops);
		pl[npl].pl_len = scratch.b_len - pl[npl].pl_off;
		sn->sn_props = props;
		sn->sn_nprops = nprops;
		sn->sn_rep = listno[i] = npl++;
	}
	if (scratch.b_fail)
		goto oom;
	if ((num = calloc(npl + 1, sizeof(*num))) == NULL)
		goto oom;
	for (i = 0; i < npl; i++)
		pl[i].pl_data = scratch.b_buf + pl[i].pl_off;
	/* pl_origin still says which encoding each one is */
	if (npl > 0)
		qsort(pl, npl, sizeof(*pl), plist_cmp);
	for (i = 0; i < npl; i++) {
		if (i == 0 || pl[i].pl_len != pl[i - 1].pl_len ||
		    memcmp(pl[i].pl_data, pl[i - 1].pl_data,
		    pl[i].pl_len) != 0) {
			if (i > 0)
				cur++;
			pol = &ps->ps_policies[pl[i].pl_origin / 2];
			props = pl[i].pl_origin % 2 ? pol->pol_childprops :
			    pol->pol_ikeprops;
			nprops = pl[i].pl_origin % 2 ? pol->pol_nchildprops :
			    pol->pol_nikeprops;
			if (valid_props(props, nprops, why) == -1) {
				snprintf(err, errlen, "policy \"%s\": %s "
				    "proposals: %s", pol->pol_name,
				    pl[i].pl_origin % 2 ? "child SA" : "IKE",
				    why);
				goto done;
			}
			bb_bytes(out, pl[i].pl_data, pl[i].pl_len);
			e->e_count[BLOB_S_PROPOSALS]++;
		}
		num[listno[pl[i].pl_origin]] = cur;
	}
	for (i = 0; i < n; i++)
		listno[i] = num[listno[i]];
	r = 0;
	goto done;
 oom:
	snprintf(err, errlen, "out of memory");
 done:
	bb_free(&scratch);
	free(pl);
	free(num);
	return (r);
}

/* A sorted index of names; -1 on a duplicate. */
static int
enc_index(struct nameent *ne, size_t n, const char *what, char *err,
    size_t errlen)
{
	size_t	 i;

	qsort(ne, n, sizeof(*ne), nameent_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(ne[i - 1].ne_name, ne[i].ne_name) == 0) {
			snprintf(err, errlen, "duplicate %s name \"%s\"",
			    what, ne[i].ne_name);
			return (-1);
		}
	return (0);
}

static int
enc_sections(struct benc *e, const struct policy_set *ps, char *err,
    size_t errlen)
{
	const struct pol_globals	*gl = &ps->ps_globals;
	struct nameent			*ne = NULL;
	struct bbuf			*b;
	uint32_t			*listno = NULL, *poloff = NULL;
	size_t				 i, n, ndefault = 0;
	char				 why[WHY_LEN];
	int				 r = -1;

	if (ps->ps_npolicies > UINT32_MAX / 2 || ps->ps_nusers > UINT32_MAX) {
		snprintf(err, errlen, "policy set too large");
		return (-1);
	}

	/* globals */
	if (valid_globals(gl, why) == -1) {
		snprintf(err, errlen, "globals: %s", why);
		return (-1);
	}
	b = &e->e_sect[BLOB_S_GLOBALS];
	bb_u32(b, gl->gl_flags);
	bb_u32(b, gl->gl_dpd_interval);
	enc_str(e, b, gl->gl_ocsp_url);
	bb_u32(b, gl->gl_ocsp_tolerate);
	bb_u64(b, (uint64_t)gl->gl_ocsp_maxage);
	e->e_count[BLOB_S_GLOBALS] = 1;

	/* users and their index */
	n = ps->ps_nusers;
	if ((ne = calloc(n == 0 ? 1 : n, sizeof(*ne))) == NULL)
		goto oom;
	b = &e->e_sect[BLOB_S_USERS];
	for (i = 0; i < n; i++) {
		if (valid_user(&ps->ps_users[i], why) == -1) {
			snprintf(err, errlen, "user %zu: %s", i, why);
			goto done;
		}
		enc_str(e, b, ps->ps_users[i].u_name);
		enc_str(e, b, ps->ps_users[i].u_pass);
		ne[i].ne_name = ps->ps_users[i].u_name;
		ne[i].ne_num = i;
	}
	e->e_count[BLOB_S_USERS] = n;
	if (enc_index(ne, n, "user", err, errlen) == -1)
		goto done;
	b = &e->e_sect[BLOB_S_USER_INDEX];
	for (i = 0; i < n; i++)
		bb_u32(b, ne[i].ne_num);
	e->e_count[BLOB_S_USER_INDEX] = n;
	free(ne);
	ne = NULL;

	/* policies, with their proposal lists and index */
	n = ps->ps_npolicies;
	for (i = 0; i < n; i++) {
		if (valid_policy(&ps->ps_policies[i], why) == -1) {
			snprintf(err, errlen, "policy %zu \"%s\": %s", i,
			    ps->ps_policies[i].pol_name != NULL ?
			    ps->ps_policies[i].pol_name : "", why);
			goto done;
		}
		if (ps->ps_policies[i].pol_match == MATCH_DEFAULT &&
		    ndefault++ > 0) {
			snprintf(err, errlen, "policy \"%s\": more than one "
			    "default policy", ps->ps_policies[i].pol_name);
			goto done;
		}
	}
	if ((listno = calloc(2 * n + 1, sizeof(*listno))) == NULL ||
	    (poloff = calloc(n + 1, sizeof(*poloff))) == NULL ||
	    (ne = calloc(n + 1, sizeof(*ne))) == NULL)
		goto oom;
	if (enc_proplists(e, ps, listno, err, errlen) == -1)
		goto done;
	b = &e->e_sect[BLOB_S_POLICIES];
	for (i = 0; i < n; i++) {
		poloff[i] = b->b_len;
		enc_policy(e, b, &ps->ps_policies[i], listno[2 * i],
		    listno[2 * i + 1]);
		ne[i].ne_name = ps->ps_policies[i].pol_name;
		ne[i].ne_num = i;
		if (b->b_fail)
			break;
	}
	e->e_count[BLOB_S_POLICIES] = n;
	if (enc_index(ne, n, "policy", err, errlen) == -1)
		goto done;
	b = &e->e_sect[BLOB_S_POLICY_INDEX];
	for (i = 0; i < n; i++) {
		bb_u32(b, ne[i].ne_num);
		bb_u32(b, poloff[ne[i].ne_num]);
	}
	e->e_count[BLOB_S_POLICY_INDEX] = n;
	r = 0;
	goto done;
 oom:
	snprintf(err, errlen, "out of memory");
 done:
	free(ne);
	free(listno);
	free(poloff);
	return (r);
}

int
blob_encode(const struct policy_set *ps, const char *keypath,
    uint8_t **bufp, size_t *lenp, char *err, size_t errlen)
{
	struct benc	 e;
	EVP_PKEY	*pkey = NULL;
	uint8_t		*out = NULL, *p;
	size_t		 off[BLOB_NSECT + 1], total, content, end, i;
	int		 r = -1;

	*bufp = NULL;
	*lenp = 0;
	memset(&e, 0, sizeof(e));
	if (keypath != NULL &&
	    (pkey = key_load(keypath, 1, err, errlen)) == NULL)
		return (-1);
	if (enc_sections(&e, ps, err, errlen) == -1)
		goto done;

	content = BLOB_HDR_LEN + BLOB_NSECT * BLOB_SECT_LEN;
	for (i = 1; i <= BLOB_NSECT; i++) {
		if (e.e_sect[i].b_fail || e.e_sect[i].b_len >
		    BLOB_MAX_SIZE - content) {
			snprintf(err, errlen, "policy set too large for a "
			    "blob (at most %lu bytes), or out of memory",
			    BLOB_MAX_SIZE);
			goto done;
		}
		off[i] = content;
		content = ALIGN8(content + e.e_sect[i].b_len);
	}
	total = content + BLOB_DIGEST_LEN + (pkey != NULL ? BLOB_SIG_LEN : 0);
	if (total > BLOB_MAX_SIZE) {
		snprintf(err, errlen, "policy set too large for a blob (%zu "
		    "bytes, at most %lu)", total, BLOB_MAX_SIZE);
		goto done;
	}
	/*
	 * Not calloc(): out's pages are touched only as the sections are
	 * copied in, and each section is freed once copied, so that the
	 * blob is not in memory twice over.
	 */
	if ((out = malloc(total)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	memset(out, 0, BLOB_HDR_LEN + BLOB_NSECT * BLOB_SECT_LEN);
	memcpy(out, BLOB_MAGIC, 8);
	put16(out + 8, BLOB_MAJOR);
	put16(out + 10, BLOB_MINOR);
	put32(out + 12, pkey != NULL ? BLOB_HF_SIGNED : 0);
	put32(out + 16, total);
	put32(out + 20, BLOB_NSECT);
	for (i = 1; i <= BLOB_NSECT; i++) {
		p = out + BLOB_HDR_LEN + (i - 1) * BLOB_SECT_LEN;
		put16(p, i);
		put32(p + 4, e.e_count[i]);
		put32(p + 8, off[i]);
		put32(p + 12, e.e_sect[i].b_len);
		end = off[i] + e.e_sect[i].b_len;
		bb_move(&e.e_sect[i], out + off[i]);
		/* the padding to the next section, or to the digest */
		memset(out + end, 0, (i < BLOB_NSECT ? off[i + 1] : content) -
		    end);
	}
	if (sha256(out, content, out + content, err, errlen) == -1)
		goto done;
	if (pkey != NULL && sig_make(pkey, out, content + BLOB_DIGEST_LEN,
	    out + content + BLOB_DIGEST_LEN, err, errlen) == -1)
		goto done;
	*bufp = out;
	*lenp = total;
	out = NULL;
	r = 0;
 done:
	if (out != NULL)
		freezero(out, total);
	for (i = 1; i <= BLOB_NSECT; i++)
		bb_free(&e.e_sect[i]);
	EVP_PKEY_free(pkey);
	return (r);
}

/*
 * Decoder.  A cursor over one section at a time; every read is bounded
 * by the section's end and the first failure is the one reported, as
 * "SECTION section, offset N[, RECORD]: what".
 */

struct dlist {
	struct pol_prop	*dl_props;
	size_t		 dl_nprops;
	int		 dl_used;
};

struct bdec {
	const uint8_t	*d_buf;
	size_t		 d_len;
	char		*d_err;
	size_t		 d_errlen;
	int		 d_failed;
	int		 d_sect;		/* section type, 0: header */
	size_t		 d_off;			/* cursor, from blob start */
	size_t		 d_end;			/* end of the section */
	const char	*d_rec;			/* record kind, for messages */
	size_t		 d_recno;		/* and its number */
	uint32_t	 d_soff[BLOB_NSECT + 1];
	uint32_t	 d_slen[BLOB_NSECT + 1];
	uint32_t	 d_scount[BLOB_NSECT + 1];
	size_t		 d_strcur;		/* next unread string byte */
	size_t		 d_nstr;		/* strings read */
	struct dlist	*d_lists;
	size_t		 d_nlists;
	uint32_t	*d_polstart;		/* record offsets */
};

static int
dec_fail(struct bdec *d, size_t off, const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[WHY_LEN + 64], rec[48];

	if (d->d_failed++)
		return (-1);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rec[0] = '\0';
	if (d->d_rec != NULL)
		snprintf(rec, sizeof(rec), ", %s %zu", d->d_rec, d->d_recno);
	snprintf(d->d_err, d->d_errlen, "%s%s, offset %zu%s: %s",
	    sect_names[d->d_sect], d->d_sect == 0 ? "" : " section", off,
	    rec, msg);
	return (-1);
}

static void
dec_section(struct bdec *d, int type)
{
	d->d_sect = type;
	d->d_off = d->d_soff[type];
	d->d_end = d->d_off + d->d_slen[type];
	d->d_rec = NULL;
}

static const uint8_t *
dec_take(struct bdec *d, size_t n)
{
	const uint8_t	*p;

	if (d->d_end - d->d_off < n) {
		dec_fail(d, d->d_off, "truncated: %zu bytes needed, %zu "
		    "left", n, d->d_end - d->d_off);
		return (NULL);
	}
	p = d->d_buf + d->d_off;
	d->d_off += n;
	return (p);
}

static int
dec_u8(struct bdec *d, uint8_t *v)
{
	const uint8_t	*p;

	if ((p = dec_take(d, 1)) == NULL)
		return (-1);
	*v = *p;
	return (0);
}

static int
dec_u16(struct bdec *d, uint16_t *v)
{
	const uint8_t	*p;

	if ((p = dec_take(d, 2)) == NULL)
		return (-1);
	*v = le16(p);
	return (0);
}

static int
dec_u32(struct bdec *d, uint32_t *v)
{
	const uint8_t	*p;

	if ((p = dec_take(d, 4)) == NULL)
		return (-1);
	*v = le32(p);
	return (0);
}

static int
dec_u64(struct bdec *d, uint64_t *v)
{
	const uint8_t	*p;

	if ((p = dec_take(d, 8)) == NULL)
		return (-1);
	*v = le64(p);
	return (0);
}

/* Are count records of at least min bytes each left in the section? */
static int
dec_room(struct bdec *d, size_t count, size_t min, const char *what)
{
	if (count > (d->d_end - d->d_off) / min)
		return (dec_fail(d, d->d_off, "%zu %s do not fit in the %zu "
		    "bytes left", count, what, d->d_end - d->d_off));
	return (0);
}

/*
 * A string reference: the next bytes of the string table, of at most
 * max bytes.  A C string (binary == 0) has no NUL byte.  *lenp, if
 * given, gets the length.  "No string" gives NULL.
 */
static int
dec_sref(struct bdec *d, size_t max, int binary, char **sp, size_t *lenp)
{
	const uint8_t	*p;
	size_t		 at = d->d_off;
	uint32_t	 off;
	uint16_t	 len;
	char		*s;

	*sp = NULL;
	if (lenp != NULL)
		*lenp = 0;
	if (dec_u32(d, &off) == -1 || dec_u16(d, &len) == -1)
		return (-1);
	if (off == BLOB_SREF_NONE) {
		if (len != 0)
			return (dec_fail(d, at, "absent string with length "
			    "%u", len));
		return (0);
	}
	if (off != d->d_strcur)
		return (dec_fail(d, at, "string at offset %u, expected the "
		    "next one at %zu", off, d->d_strcur));
	if (len > max)
		return (dec_fail(d, at, "string of %u bytes, at most %zu",
		    len, max));
	if (len > d->d_slen[BLOB_S_STRINGS] - d->d_strcur)
		return (dec_fail(d, at, "string of %u bytes at offset %u "
		    "runs past the string table (%u bytes)", len, off,
		    d->d_slen[BLOB_S_STRINGS]));
	p = d->d_buf + d->d_soff[BLOB_S_STRINGS] + off;
	if (!binary && memchr(p, '\0', len) != NULL)
		return (dec_fail(d, at, "string with a NUL byte"));
	if ((s = malloc((size_t)len + 1)) == NULL)
		return (dec_fail(d, at, "out of memory"));
	memcpy(s, p, len);
	s[len] = '\0';
	d->d_strcur += len;
	d->d_nstr++;
	*sp = s;
	if (lenp != NULL)
		*lenp = len;
	return (0);
}

static int
dec_host(struct bdec *d, struct pol_host *h)
{
	const uint8_t	*p;
	size_t		 at = d->d_off, alen;
	uint8_t		 kind, af, plen;

	if (dec_u8(d, &kind) == -1 || dec_u8(d, &af) == -1 ||
	    dec_u8(d, &plen) == -1)
		return (-1);
	if (kind >= HOST_KIND_MAX)
		return (dec_fail(d, at, "unknown host kind %u", kind));
	h->h_kind = kind;
	h->h_af = af;
	h->h_plen = plen;
	switch (kind) {
	case HOST_ADDR:
	case HOST_RANGE:
		if (af != POL_AF_INET && af != POL_AF_INET6)
			return (dec_fail(d, at, "address of unknown family "
			    "%u", af));
		alen = af == POL_AF_INET ? 4 : 16;
		if ((p = dec_take(d, alen)) == NULL)
			return (-1);
		memcpy(h->h_ip, p, alen);
		if (kind == HOST_RANGE) {
			if ((p = dec_take(d, alen)) == NULL)
				return (-1);
			memcpy(h->h_ip2, p, alen);
		}
		break;
	case HOST_NAME:
		if (dec_sref(d, HOSTNAME_LEN_MAX, 0, &h->h_name, NULL) == -1)
			return (-1);
		if (h->h_name == NULL)
			return (dec_fail(d, at, "host name absent"));
		break;
	}
	return (0);
}

static int
dec_globals(struct bdec *d, struct pol_globals *gl)
{
	char		 why[WHY_LEN];
	uint64_t	 maxage;

	dec_section(d, BLOB_S_GLOBALS);
	if (dec_u32(d, &gl->gl_flags) == -1 ||
	    dec_u32(d, &gl->gl_dpd_interval) == -1 ||
	    dec_sref(d, POL_STR_MAX, 0, &gl->gl_ocsp_url, NULL) == -1 ||
	    dec_u32(d, &gl->gl_ocsp_tolerate) == -1 ||
	    dec_u64(d, &maxage) == -1)
		return (-1);
	gl->gl_ocsp_maxage = (int64_t)maxage;
	if (valid_globals(gl, why) == -1)
		return (dec_fail(d, d->d_soff[BLOB_S_GLOBALS], "%s", why));
	return (0);
}

/* An index: a permutation of 0..n-1 in name order, names distinct. */
static int
dec_index(struct bdec *d, int type, size_t n, const char *(*name)(
    const struct policy_set *, size_t), const struct policy_set *ps,
    uint32_t **idxp)
{
	uint32_t	*idx;
	uint8_t		*seen;
	uint32_t	 num, off;
	size_t		 i, at;
	int		 r = -1;

	dec_section(d, type);
	if ((idx = calloc(n + 1, sizeof(*idx))) == NULL ||
	    (seen = calloc(n + 1, 1)) == NULL) {
		free(idx);
		return (dec_fail(d, d->d_off, "out of memory"));
	}
	for (i = 0; i < n; i++) {
		at = d->d_off;
		if (dec_u32(d, &num) == -1)
			goto done;
		if (num >= n || seen[num]) {
			dec_fail(d, at, "entry %zu: %s %u", i, num >= n ?
			    "no such record" : "again record", num);
			goto done;
		}
		seen[num] = 1;
		if (type == BLOB_S_POLICY_INDEX) {
			if (dec_u32(d, &off) == -1)
				goto done;
			if (off != d->d_polstart[num]) {
				dec_fail(d, at, "entry %zu: policy %u is at "
				    "offset %u, not %u", i, num,
				    d->d_polstart[num], off);
				goto done;
			}
		}
		if (i > 0 && strcmp(name(ps, idx[i - 1]), name(ps, num)) >=
		    0) {
			dec_fail(d, at, "entry %zu: \"%s\" is not after "
			    "\"%s\"", i, name(ps, num), name(ps, idx[i - 1]));
			goto done;
		}
		idx[i] = num;
	}
	r = 0;
 done:
	free(seen);
	if (r == 0 && idxp != NULL)
		*idxp = idx;
	else
		free(idx);
	return (r);
}

static const char *
user_name(const struct policy_set *ps, size_t i)
{
	return (ps->ps_users[i].u_name);
}

static const char *
policy_name(const struct policy_set *ps, size_t i)
{
	return (ps->ps_policies[i].pol_name);
}

static int
dec_users(struct bdec *d, struct policy_set *ps)
{
	struct pol_user	*u;
	size_t		 n = d->d_scount[BLOB_S_USERS], i, at;
	char		 why[WHY_LEN];

	dec_section(d, BLOB_S_USERS);
	if (n == 0)
		return (0);
	/* the section table check made n * BLOB_USER_LEN the length */
	if ((ps->ps_users = calloc(n, sizeof(*ps->ps_users))) == NULL)
		return (dec_fail(d, d->d_off, "out of memory"));
	ps->ps_nusers = n;
	for (i = 0; i < n; i++) {
		u = &ps->ps_users[i];
		at = d->d_off;
		d->d_rec = "user";
		d->d_recno = i;
		if (dec_sref(d, POL_USER_NAME_MAX, 0, &u->u_name, NULL) ==
		    -1 || dec_sref(d, POL_USER_PASS_MAX, 0, &u->u_pass,
		    NULL) == -1)
			return (-1);
		if (valid_user(u, why) == -1)
			return (dec_fail(d, at, "%s", why));
	}
	return (0);
}

static int
dec_proplists(struct bdec *d)
{
	struct dlist	*dl;
	struct pol_prop	*pr;
	struct pol_xform *xf;
	size_t		 n = d->d_scount[BLOB_S_PROPOSALS], i, j, k;
	size_t		 at, prev = 0, prevlen = 0, len, cmplen;
	uint8_t		 nprops;
	char		 why[WHY_LEN];
	int		 c;

	dec_section(d, BLOB_S_PROPOSALS);
	if (dec_room(d, n, LIST_MIN, "proposal lists") == -1)
		return (-1);
	if ((d->d_lists = calloc(n + 1, sizeof(*d->d_lists))) == NULL)
		return (dec_fail(d, d->d_off, "out of memory"));
	d->d_nlists = n;
	for (i = 0; i < n; i++) {
		dl = &d->d_lists[i];
		at = d->d_off;
		d->d_rec = "list";
		d->d_recno = i;
		if (dec_u8(d, &nprops) == -1)
			return (-1);
		if (nprops == 0 || nprops > POL_PROPS_MAX)
			return (dec_fail(d, at, "%u proposals (1 to %d)",
			    nprops, POL_PROPS_MAX));
		if (dec_room(d, nprops, PROP_MIN, "proposals") == -1)
			return (-1);
		if ((dl->dl_props = calloc(nprops, sizeof(*pr))) == NULL)
			return (dec_fail(d, at, "out of memory"));
		dl->dl_nprops = nprops;
		for (j = 0; j < nprops; j++) {
			pr = &dl->dl_props[j];
			if (dec_u8(d, &pr->pr_protoid) == -1 ||
			    dec_u8(d, &pr->pr_nxf) == -1)
				return (-1);
			if (pr->pr_nxf == 0 || pr->pr_nxf > POL_XFORMS_MAX)
				return (dec_fail(d, d->d_off - 1, "%u "
				    "transforms (1 to %d)", pr->pr_nxf,
				    POL_XFORMS_MAX));
			if (dec_room(d, pr->pr_nxf, BLOB_XFORM_LEN,
			    "transforms") == -1)
				return (-1);
			for (k = 0; k < pr->pr_nxf; k++) {
				xf = &pr->pr_xf[k];
				if (dec_u8(d, &xf->xf_type) == -1 ||
				    dec_u16(d, &xf->xf_id) == -1 ||
				    dec_u16(d, &xf->xf_keylen) == -1)
					return (-1);
			}
		}
		if (valid_props(dl->dl_props, dl->dl_nprops, why) == -1)
			return (dec_fail(d, at, "%s", why));
		/* sorted, no duplicates: the order the encoder writes */
		len = d->d_off - at;
		if (i > 0) {
			cmplen = len < prevlen ? len : prevlen;
			c = memcmp(d->d_buf + prev, d->d_buf + at, cmplen);
			if (c > 0 || (c == 0 && prevlen >= len))
				return (dec_fail(d, at, "not after the "
				    "previous list"));
		}
		prev = at;
		prevlen = len;
	}
	d->d_rec = NULL;
	if (d->d_off != d->d_end)
		return (dec_fail(d, d->d_off, "%zu bytes after the last "
		    "list", d->d_end - d->d_off));
	return (0);
}

static int
dec_proplist_ref(struct bdec *d, struct pol_prop **props, size_t *nprops)
{
	struct dlist	*dl;
	size_t		 at = d->d_off;
	uint32_t	 n;

	if (dec_u32(d, &n) == -1)
		return (-1);
	if (n >= d->d_nlists)
		return (dec_fail(d, at, "proposal list %u of %zu", n,
		    d->d_nlists));
	dl = &d->d_lists[n];
	/* shared, not copied: the set's pool takes the lists over */
	*props = dl->dl_props;
	*nprops = dl->dl_nprops;
	dl->dl_used = 1;
	return (0);
}

static int
dec_policy(struct bdec *d, struct policy *pol)
{
	struct pol_flow	*fl;
	struct pol_cfg	*pc;
	size_t		 at = d->d_off, i;
	uint16_t	 nflows;
	uint8_t		 ncfg;
	const uint8_t	*p;
	char		 why[WHY_LEN], *psk;

	if (dec_sref(d, POL_NAME_MAX, 0, &pol->pol_name, NULL) == -1 ||
	    dec_u32(d, &pol->pol_flags) == -1 ||
	    dec_u8(d, &pol->pol_match) == -1 ||
	    dec_u8(d, &pol->pol_af) == -1 ||
	    dec_u8(d, &pol->pol_rdomain) == -1 ||
	    dec_u8(d, &pol->pol_nprotos) == -1)
		return (-1);
	if (pol->pol_nprotos > POL_PROTOS_MAX)
		return (dec_fail(d, d->d_off - 1, "%u protocols (at most %d)",
		    pol->pol_nprotos, POL_PROTOS_MAX));
	if ((p = dec_take(d, pol->pol_nprotos)) == NULL)
		return (-1);
	memcpy(pol->pol_protos, p, pol->pol_nprotos);

	if (dec_u16(d, &nflows) == -1)
		return (-1);
	if (nflows == 0 || nflows > POL_FLOWS_MAX)
		return (dec_fail(d, d->d_off - 2, "%u flows (1 to %d)",
		    nflows, POL_FLOWS_MAX));
	if (dec_room(d, nflows, FLOW_MIN, "flows") == -1)
		return (-1);
	if ((pol->pol_flows = calloc(nflows, sizeof(*fl))) == NULL)
		return (dec_fail(d, d->d_off, "out of memory"));
	pol->pol_nflows = nflows;
	for (i = 0; i < nflows; i++) {
		fl = &pol->pol_flows[i];
		if (dec_host(d, &fl->fl_src) == -1 ||
		    dec_host(d, &fl->fl_dst) == -1 ||
		    dec_host(d, &fl->fl_srcnat) == -1 ||
		    dec_u16(d, &fl->fl_sport) == -1 ||
		    dec_u16(d, &fl->fl_dport) == -1)
			return (-1);
	}
	/* the lists are the decoder's until the set's pool takes them */
	pol->pol_shared = POL_SHARED_IKE | POL_SHARED_CHILD;
	if (dec_host(d, &pol->pol_local) == -1 ||
	    dec_host(d, &pol->pol_peer) == -1 ||
	    dec_proplist_ref(d, &pol->pol_ikeprops, &pol->pol_nikeprops) ==
	    -1 || dec_proplist_ref(d, &pol->pol_childprops,
	    &pol->pol_nchildprops) == -1)
		return (-1);
	if (dec_u8(d, &pol->pol_srcid.id_type) == -1 ||
	    dec_sref(d, POL_ID_MAX, 0, &pol->pol_srcid.id_str, NULL) == -1 ||
	    dec_u8(d, &pol->pol_dstid.id_type) == -1 ||
	    dec_sref(d, POL_ID_MAX, 0, &pol->pol_dstid.id_str, NULL) == -1 ||
	    dec_u64(d, &pol->pol_ikelifetime) == -1 ||
	    dec_u64(d, &pol->pol_lifetime) == -1 ||
	    dec_u64(d, &pol->pol_bytes) == -1 ||
	    dec_u8(d, &pol->pol_auth) == -1 ||
	    dec_u8(d, &pol->pol_eap) == -1 ||
	    dec_sref(d, POL_PSK_MAX, 1, &psk, &pol->pol_psklen) == -1)
		return (-1);
	pol->pol_psk = (uint8_t *)psk;

	if (dec_u8(d, &ncfg) == -1)
		return (-1);
	if (ncfg > POL_CFG_MAX)
		return (dec_fail(d, d->d_off - 1, "%u config attributes (at "
		    "most %d)", ncfg, POL_CFG_MAX));
	if (ncfg > 0) {
		if (dec_room(d, ncfg, CFG_MIN, "config attributes") == -1)
			return (-1);
		if ((pol->pol_cfg = calloc(ncfg, sizeof(*pc))) == NULL)
			return (dec_fail(d, d->d_off, "out of memory"));
		pol->pol_ncfg = ncfg;
	}
	for (i = 0; i < ncfg; i++) {
		pc = &pol->pol_cfg[i];
		if (dec_u8(d, &pc->pc_request) == -1 ||
		    dec_u8(d, &pc->pc_opt) == -1 ||
		    dec_host(d, &pc->pc_host) == -1)
			return (-1);
	}
	if (dec_sref(d, IFNAMSIZ - 1, 0, &pol->pol_iface, NULL) == -1 ||
	    dec_sref(d, POL_TAG_MAX, 0, &pol->pol_tag, NULL) == -1 ||
	    dec_u32(d, &pol->pol_tap) == -1)
		return (-1);
	if (valid_policy(pol, why) == -1)
		return (dec_fail(d, at, "%s", why));
	return (0);
}

static int
dec_policies(struct bdec *d, struct policy_set *ps)
{
	size_t	 n = d->d_scount[BLOB_S_POLICIES], i, ndefault = 0, at;

	dec_section(d, BLOB_S_POLICIES);
	if (dec_room(d, n, POLICY_MIN, "policies") == -1)
		return (-1);
	if ((d->d_polstart = calloc(n + 1, sizeof(*d->d_polstart))) == NULL)
		return (dec_fail(d, d->d_off, "out of memory"));
	if (n == 0)
		return (0);
	if (policy_set_reserve(ps, n) == -1)
		return (dec_fail(d, d->d_off, "out of memory"));
	ps->ps_npolicies = n;
	for (i = 0; i < n; i++) {
		at = d->d_off;
		d->d_polstart[i] = at - d->d_soff[BLOB_S_POLICIES];
		d->d_rec = "policy";
		d->d_recno = i;
		if (dec_policy(d, &ps->ps_policies[i]) == -1)
			return (-1);
		if (ps->ps_policies[i].pol_match == MATCH_DEFAULT &&
		    ndefault++ > 0)
			return (dec_fail(d, at, "a second default policy"));
	}
	d->d_rec = NULL;
	if (d->d_off != d->d_end)
		return (dec_fail(d, d->d_off, "%zu bytes after the last "
		    "policy", d->d_end - d->d_off));
	for (i = 0; i < d->d_nlists; i++)
		if (!d->d_lists[i].dl_used)
			return (dec_fail(d, d->d_soff[BLOB_S_PROPOSALS],
			    "proposal list %zu is used by no policy", i));
	return (0);
}

/*
 * The header and the section table: every section where the encoder
 * puts it (in type order, aligned, zero bytes in between, nothing
 * overlapping, nothing past the end), then the digest and signature.
 */
static int
dec_layout(struct bdec *d, uint32_t *flagsp, size_t *contentp)
{
	const uint8_t	*p;
	size_t		 expect, end, i, left;
	uint32_t	 flags, total, nsect, count, off, len;
	uint16_t	 major, minor, type;

	if (d->d_len < BLOB_HDR_LEN)
		return (dec_fail(d, 0, "truncated: %zu bytes, a header is "
		    "%d", d->d_len, BLOB_HDR_LEN));
	p = d->d_buf;
	if (memcmp(p, BLOB_MAGIC, 8) != 0)
		return (dec_fail(d, 0, "not a policy blob (bad magic)"));
	major = le16(p + 8);
	minor = le16(p + 10);
	if (major != BLOB_MAJOR || minor > BLOB_MINOR) {
		if (BLOB_MINOR == 0)
			return (dec_fail(d, 8, "unsupported format version "
			    "%u.%u (this loader reads version %d.0)", major,
			    minor, BLOB_MAJOR));
		return (dec_fail(d, 8, "unsupported format version %u.%u "
		    "(this loader reads versions %d.0 to %d.%d)", major,
		    minor, BLOB_MAJOR, BLOB_MAJOR, BLOB_MINOR));
	}
	flags = le32(p + 12);
	total = le32(p + 16);
	nsect = le32(p + 20);
	if (flags & ~BLOB_HF_ALL)
		return (dec_fail(d, 12, "unknown flags 0x%x",
		    flags & ~BLOB_HF_ALL));
	if (total != d->d_len)
		return (dec_fail(d, 16, "length %u in the header, but %zu "
		    "bytes given (%s)", total, d->d_len, total > d->d_len ?
		    "truncated" : "trailing bytes"));
	if (nsect != BLOB_NSECT)
		return (dec_fail(d, 20, "%u sections, version %d.%d has %d",
		    nsect, BLOB_MAJOR, BLOB_MINOR, BLOB_NSECT));
	if (!is_zero(p + 24, 8))
		return (dec_fail(d, 24, "reserved bytes not zero"));
	expect = BLOB_HDR_LEN + BLOB_NSECT * BLOB_SECT_LEN;
	if (d->d_len < expect)
		return (dec_fail(d, BLOB_HDR_LEN, "truncated section table"));
	for (i = 1; i <= BLOB_NSECT; i++) {
		p = d->d_buf + BLOB_HDR_LEN + (i - 1) * BLOB_SECT_LEN;
		d->d_sect = 0;
		type = le16(p);
		count = le32(p + 4);
		off = le32(p + 8);
		len = le32(p + 12);
		if (type != i)
			return (dec_fail(d, p - d->d_buf, "section %zu has "
			    "type %u, expected %zu (%s)", i, type, i,
			    sect_names[i]));
		d->d_sect = i;
		if (le16(p + 2) != 0)
			return (dec_fail(d, p - d->d_buf + 2, "reserved "
			    "bytes not zero"));
		if (off != expect)
			return (dec_fail(d, p - d->d_buf + 8, "starts at %u, "
			    "expected %zu (%s)", off, expect, off < expect ?
			    "overlaps what is before it" : "gap before it"));
		if (len > d->d_len - off)
			return (dec_fail(d, p - d->d_buf + 12, "%u bytes at "
			    "offset %u run past the end (%zu bytes)", len, off,
			    d->d_len));
		end = (size_t)off + len;
		expect = ALIGN8(end);
		if (expect > d->d_len)
			return (dec_fail(d, end, "padding runs past the "
			    "end"));
		if (!is_zero(d->d_buf + end, expect - end))
			return (dec_fail(d, end, "padding not zero"));
		d->d_soff[i] = off;
		d->d_slen[i] = len;
		d->d_scount[i] = count;
	}

	/* counts that the lengths fix */
	for (i = 1; i <= BLOB_NSECT; i++) {
		d->d_sect = i;
		count = d->d_scount[i];
		len = d->d_slen[i];
		off = BLOB_HDR_LEN + (i - 1) * BLOB_SECT_LEN + 4;
		switch (i) {
		case BLOB_S_GLOBALS:
			if (count != 1 || len != BLOB_GLOBALS_LEN)
				return (dec_fail(d, off, "%u records of %u "
				    "bytes, expected 1 of %d", count, len,
				    BLOB_GLOBALS_LEN));
			break;
		case BLOB_S_USERS:
		case BLOB_S_USER_INDEX:
		case BLOB_S_POLICY_INDEX:
			left = i == BLOB_S_USERS ? BLOB_USER_LEN : i ==
			    BLOB_S_USER_INDEX ? BLOB_USER_INDEX_LEN :
			    BLOB_POLICY_INDEX_LEN;
			if (len % left != 0 || len / left != count)
				return (dec_fail(d, off, "%u records of %zu "
				    "bytes do not make %u bytes", count, left,
				    len));
			if (i == BLOB_S_USER_INDEX &&
			    count != d->d_scount[BLOB_S_USERS])
				return (dec_fail(d, off, "%u entries for %u "
				    "users", count,
				    d->d_scount[BLOB_S_USERS]));
			if (i == BLOB_S_POLICY_INDEX &&
			    count != d->d_scount[BLOB_S_POLICIES])
				return (dec_fail(d, off, "%u entries for %u "
				    "policies", count,
				    d->d_scount[BLOB_S_POLICIES]));
			break;
		}
	}

	d->d_sect = 0;
	flags &= BLOB_HF_ALL;
	left = BLOB_DIGEST_LEN + ((flags & BLOB_HF_SIGNED) ? BLOB_SIG_LEN :
	    0);
	if (d->d_len - expect != left)
		return (dec_fail(d, expect, "%zu bytes after the sections, "
		    "expected %zu (digest%s)", d->d_len - expect, left,
		    (flags & BLOB_HF_SIGNED) ? " and signature" : ""));
	*flagsp = flags;
	*contentp = expect;
	return (0);
}

static void
dec_cleanup(struct bdec *d)
{
	size_t	 i;

	for (i = 0; i < d->d_nlists; i++)
		free(d->d_lists[i].dl_props);
	free(d->d_lists);
	free(d->d_polstart);
}

int
blob_decode(const uint8_t *buf, size_t len, const char *pubkey, int flags,
    struct policy_set **psp, struct blob_info *bi, char *err, size_t errlen)
{
	struct bdec		 d;
	struct policy_set	*ps = NULL;
	struct blob_info	 info;
	EVP_PKEY		*pkey = NULL;
	uint8_t			 md[BLOB_DIGEST_LEN];
	uint32_t		*idx = NULL;
	uint32_t		 hflags = 0;
	size_t			 content = 0, li;
	char			 msg[256];
	int			 r = -1;

	*psp = NULL;
	if (bi != NULL)
		memset(bi, 0, sizeof(*bi));
	memset(&info, 0, sizeof(info));
	memset(&d, 0, sizeof(d));
	d.d_buf = buf;
	d.d_len = len;
	d.d_err = err;
	d.d_errlen = errlen;
	if (len > BLOB_MAX_SIZE) {
		snprintf(err, errlen, "blob of %zu bytes, at most %lu", len,
		    BLOB_MAX_SIZE);
		return (-1);
	}
	if (dec_layout(&d, &hflags, &content) == -1)
		return (-1);
	info.bi_major = le16(buf + 8);
	info.bi_minor = le16(buf + 10);
	info.bi_len = len;
	info.bi_signed = (hflags & BLOB_HF_SIGNED) != 0;

	/* integrity, then authenticity */
	if (!(flags & BLOB_F_SKIP_DIGEST)) {
		if (sha256(buf, content, md, err, errlen) == -1)
			return (-1);
		if (memcmp(md, buf + content, BLOB_DIGEST_LEN) != 0) {
			snprintf(err, errlen, "digest, offset %zu: the blob's "
			    "SHA-256 digest does not match its content "
			    "(corrupt)", content);
			return (-1);
		}
	}
	memcpy(info.bi_digest, buf + content, BLOB_DIGEST_LEN);
	if (!info.bi_signed && (pubkey != NULL ||
	    (flags & BLOB_F_REQUIRE_SIGNED))) {
		snprintf(err, errlen, "blob is not signed, and a signature "
		    "is required");
		return (-1);
	}
	if (info.bi_signed && pubkey == NULL &&
	    (flags & BLOB_F_REQUIRE_SIGNED)) {
		snprintf(err, errlen, "a verified signature is required, but "
		    "no public key was given");
		return (-1);
	}
	if (info.bi_signed && pubkey != NULL) {
		if ((pkey = key_load(pubkey, 0, err, errlen)) == NULL)
			return (-1);
		if (sig_check(pkey, buf, content + BLOB_DIGEST_LEN,
		    buf + content + BLOB_DIGEST_LEN, msg, sizeof(msg)) == -1) {
			snprintf(err, errlen, "signature, offset %zu: %s",
			    content + BLOB_DIGEST_LEN, msg);
			EVP_PKEY_free(pkey);
			return (-1);
		}
		EVP_PKEY_free(pkey);
		info.bi_verified = 1;
	}

	/* the content, in section order: strings are read in that order */
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return (-1);
	}
	if (dec_globals(&d, &ps->ps_globals) == -1 ||
	    dec_users(&d, ps) == -1 ||
	    dec_index(&d, BLOB_S_USER_INDEX, ps->ps_nusers, user_name, ps,
	    NULL) == -1 ||
	    dec_proplists(&d) == -1 ||
	    dec_policies(&d, ps) == -1 ||
	    dec_index(&d, BLOB_S_POLICY_INDEX, ps->ps_npolicies, policy_name,
	    ps, &idx) == -1)
		goto done;
	dec_section(&d, BLOB_S_STRINGS);
	if (d.d_strcur != d.d_slen[BLOB_S_STRINGS]) {
		dec_fail(&d, d.d_soff[BLOB_S_STRINGS] + d.d_strcur, "%zu "
		    "bytes no record refers to", d.d_slen[BLOB_S_STRINGS] -
		    d.d_strcur);
		goto done;
	}
	if (d.d_nstr != d.d_scount[BLOB_S_STRINGS]) {
		dec_fail(&d, BLOB_HDR_LEN + 4, "%u strings in the table, "
		    "but %zu references", d.d_scount[BLOB_S_STRINGS],
		    d.d_nstr);
		goto done;
	}
	/* the policies point into the lists: the set owns them from now */
	for (li = 0; li < d.d_nlists; li++) {
		(void)policy_pool_add(ps, d.d_lists[li].dl_props,
		    d.d_lists[li].dl_nprops);
		d.d_lists[li].dl_props = NULL;
	}
	r = 0;
 done:
	dec_cleanup(&d);
	if (r == -1) {
		policy_set_free(ps);
		free(idx);
		return (-1);
	}
	if ((flags & BLOB_F_INDEX) && bi != NULL) {
		info.bi_index = idx;
		info.bi_nindex = ps->ps_npolicies;
	} else
		free(idx);
	if (bi != NULL)
		*bi = info;
	*psp = ps;
	return (0);
}

/*
 * Files.
 */

int
blob_read_fd(int fd, uint8_t **bufp, size_t *lenp, char *err, size_t errlen)
{
	struct stat	 st;
	uint8_t		*buf = NULL, *nb;
	size_t		 len = 0, cap = 0, ncap;
	ssize_t		 n;
	int		 seekable;

	*bufp = NULL;
	*lenp = 0;
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		return (-1);
	}
	/* a regular file is read whole, whatever its offset */
	seekable = S_ISREG(st.st_mode);
	if (seekable) {
		if ((uint64_t)st.st_size > BLOB_MAX_SIZE) {
			snprintf(err, errlen, "blob too large (%lld bytes, at "
			    "most %lu)", (long long)st.st_size,
			    BLOB_MAX_SIZE);
			return (-1);
		}
		cap = st.st_size + 1;
		if ((buf = malloc(cap)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return (-1);
		}
	}
	for (;;) {
		if (len == cap) {
			if (cap > BLOB_MAX_SIZE) {
				snprintf(err, errlen, "blob too large (more "
				    "than %lu bytes)", BLOB_MAX_SIZE);
				goto fail;
			}
			ncap = cap == 0 ? 65536 : cap * 2;
			if (ncap > BLOB_MAX_SIZE + 1)
				ncap = BLOB_MAX_SIZE + 1;
			if ((nb = malloc(ncap)) == NULL) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			if (len > 0)
				memcpy(nb, buf, len);
			freezero(buf, cap);
			buf = nb;
			cap = ncap;
		}
		if (seekable)
			n = pread(fd, buf + len, cap - len, len);
		else
			n = read(fd, buf + len, cap - len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "read: %s", strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len > BLOB_MAX_SIZE) {
		snprintf(err, errlen, "blob too large (more than %lu bytes)",
		    BLOB_MAX_SIZE);
		goto fail;
	}
	*bufp = buf;
	*lenp = len;
	return (0);
 fail:
	freezero(buf, cap);
	return (-1);
}

int
blob_read_file(const char *path, uint8_t **bufp, size_t *lenp, char *err,
    size_t errlen)
{
	char	 msg[256];
	int	 fd, r;

	*bufp = NULL;
	*lenp = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return (-1);
	}
	if ((r = blob_read_fd(fd, bufp, lenp, msg, sizeof(msg))) == -1)
		snprintf(err, errlen, "%s: %s", path, msg);
	close(fd);
	return (r);
}

/*
 * Write to a temporary file beside path (mode 0600: the blob holds
 * secrets), sync it, and rename it into place: whatever happens, path
 * is the old blob or the whole new one.
 */
int
blob_write_file(const struct policy_set *ps, const char *path,
    const char *keypath, char *err, size_t errlen)
{
	uint8_t		*buf;
	size_t		 len, off = 0, dlen;
	ssize_t		 n;
	const char	*slash;
	char		 tmp[PATH_MAX], dir[PATH_MAX];
	int		 fd, dfd, saved;

	if (blob_encode(ps, keypath, &buf, &len, err, errlen) == -1)
		return (-1);
	if ((slash = strrchr(path, '/')) == NULL) {
		strlcpy(dir, ".", sizeof(dir));
		n = snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	} else {
		dlen = slash == path ? 1 : (size_t)(slash - path);
		if (dlen >= sizeof(dir)) {
			n = -1;
		} else {
			memcpy(dir, path, dlen);
			dir[dlen] = '\0';
			n = snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX",
			    (int)(slash - path), path, slash + 1);
		}
	}
	if (n < 0 || (size_t)n >= sizeof(tmp) || *(slash == NULL ? path :
	    slash + 1) == '\0') {
		snprintf(err, errlen, "%s: invalid output path", path);
		freezero(buf, len);
		return (-1);
	}
	if ((fd = mkstemp(tmp)) == -1) {
		snprintf(err, errlen, "%s: cannot create a temporary file "
		    "there: %s", dir, strerror(errno));
		freezero(buf, len);
		return (-1);
	}
	if (fchmod(fd, 0600) == -1)
		goto fail;
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += n;
	}
	if (fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	freezero(buf, len);
	/* make the rename itself durable */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	return (0);
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp);
	freezero(buf, len);
	snprintf(err, errlen, "%s: %s", path, strerror(saved));
	return (-1);
}

void
blob_digest_hex(const struct blob_info *bi, char *buf, size_t len)
{
	char	 hex[2 * BLOB_DIGEST_LEN + 1];

	hex_encode(bi->bi_digest, BLOB_DIGEST_LEN, hex);
	if (len > 0)
		strlcpy(buf, hex, len);
}

/* With a BLOB_F_INDEX index: the policy called name, or NULL. */
const struct policy *
blob_index_find(const struct policy_set *ps, const uint32_t *idx, size_t n,
    const char *name)
{
	size_t	 lo = 0, hi = n, mid;
	int	 c;

	if (idx == NULL || n != ps->ps_npolicies)
		return (policy_find(ps, name));
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (idx[mid] >= ps->ps_npolicies)
			return (NULL);
		c = strcmp(name, ps->ps_policies[idx[mid]].pol_name);
		if (c == 0)
			return (&ps->ps_policies[idx[mid]]);
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (NULL);
}
