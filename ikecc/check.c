/*
 * From syntax tree to policy set: every semantic check of iked.conf.
 * Structural checks first (the order of the parts of an ikev2 rule),
 * then the meaning of each part, then checks across the whole set
 * (duplicate names, shadowed policies).  Errors do not stop the pass:
 * every statement is checked so that one run reports everything.
 */
#include <sys/stat.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ikecc.h"
#include "util.h"

#define LIFETIME_MAX	(10ULL * 366 * 86400)	/* ten years */

/* OpenIKED's order of the parts of an ikev2 rule. */
enum ord {
	O_NAME = 1, O_MATCH, O_MODE, O_IPCOMP, O_TMODE, O_NATT, O_ENCAP, O_AF,
	O_PROTO, O_RDOMAIN, O_FLOWS, O_PEERS, O_IKESA, O_CHILDSA, O_IDS,
	O_IKELIFETIME, O_LIFETIME, O_AUTH, O_CFG, O_IFACE, O_FILTERS, O_MAX
};

static const char *const ord_names[O_MAX] = {
	"", "name", "quick|skip|default", "active|passive", "ipcomp",
	"tunnel|transport", "natt", "esp|ah", "inet|inet6", "proto",
	"rdomain", "from ... to ...", "local|peer", "ikesa", "childsa",
	"srcid|dstid", "ikelifetime", "lifetime [bytes]",
	"psk|eap|rsa|ecdsa*|rfc7427|signature", "config|request", "iface",
	"tag|tap"
};

static const struct {
	int		 kind;
	int		 ord;
	const char	*name;
} part_info[] = {
	{ PT_NAME,	O_NAME,		"name" },
	{ PT_QUICK,	O_MATCH,	"quick" },
	{ PT_SKIP,	O_MATCH,	"skip" },
	{ PT_DEFAULT,	O_MATCH,	"default" },
	{ PT_ACTIVE,	O_MODE,		"active" },
	{ PT_PASSIVE,	O_MODE,		"passive" },
	{ PT_IPCOMP,	O_IPCOMP,	"ipcomp" },
	{ PT_TUNNEL,	O_TMODE,	"tunnel" },
	{ PT_TRANSPORT,	O_TMODE,	"transport" },
	{ PT_NATT,	O_NATT,		"natt" },
	{ PT_ESP,	O_ENCAP,	"esp" },
	{ PT_AH,	O_ENCAP,	"ah" },
	{ PT_INET,	O_AF,		"inet" },
	{ PT_INET6,	O_AF,		"inet6" },
	{ PT_PROTO,	O_PROTO,	"proto" },
	{ PT_RDOMAIN,	O_RDOMAIN,	"rdomain" },
	{ PT_FROM,	O_FLOWS,	"from" },
	{ PT_TO,	O_FLOWS,	"to" },
	{ PT_LOCAL,	O_PEERS,	"local" },
	{ PT_PEER,	O_PEERS,	"peer" },
	{ PT_IKESA,	O_IKESA,	"ikesa" },
	{ PT_CHILDSA,	O_CHILDSA,	"childsa" },
	{ PT_ENC,	0,		"enc" },
	{ PT_PRF,	0,		"prf" },
	{ PT_AUTH,	0,		"auth" },
	{ PT_GROUP,	0,		"group" },
	{ PT_ESN,	0,		"esn" },
	{ PT_NOESN,	0,		"noesn" },
	{ PT_SRCID,	O_IDS,		"srcid" },
	{ PT_DSTID,	O_IDS,		"dstid" },
	{ PT_IKELIFETIME, O_IKELIFETIME, "ikelifetime" },
	{ PT_LIFETIME,	O_LIFETIME,	"lifetime" },
	{ PT_BYTES,	O_LIFETIME,	"bytes" },
	{ PT_PSK,	O_AUTH,		"psk" },
	{ PT_PSKFILE,	O_AUTH,		"psk file" },
	{ PT_EAP,	O_AUTH,		"eap" },
	{ PT_AUTHMETHOD, O_AUTH,	"auth method" },
	{ PT_CONFIG,	O_CFG,		"config" },
	{ PT_REQUEST,	O_CFG,		"request" },
	{ PT_IFACE,	O_IFACE,	"iface" },
	{ PT_TAG,	O_FILTERS,	"tag" },
	{ PT_TAP,	O_FILTERS,	"tap" },
};

struct name_slot {
	uint32_t		 ns_hash;
	uint32_t		 ns_idx;	/* entry's index + 1, 0: free */
};

/* where a name not found goes in its table */
struct name_pos {
	size_t			 np_slot;
	uint32_t		 np_hash;
};

/* A hash table of names: policies' or users' (names_*). */
struct name_tab {
	struct name_slot	*nt_slots;
	size_t			 nt_cap;	/* a power of two */
	size_t			 nt_n;
};

struct checker {
	struct diag		*c_diag;
	struct policy_set	*c_ps;
	size_t			 c_npol;	/* ikev2 rules seen */
	size_t			 c_polcap;	/* room in c_polloc */
	struct loc		*c_polloc;	/* per policy in c_ps */
	struct loc		*c_userloc;
	struct loc		 c_default;	/* first default policy */
	int			 c_has_default;
	int			 c_order_noted;
	struct name_tab		 c_names;	/* policy names */
	struct name_tab		 c_users;	/* user names */
	size_t			 c_usercap;	/* room in ps_users, c_userloc */
	size_t			*c_quick;	/* quick policies, in order */
	size_t			 c_nquick;
	size_t			 c_npolicies;	/* accepted policies */
	int			 c_lint;	/* CHECK_LINT: keep names only */
	char			**c_lname;	/* lint: accepted policies' names */
};

static void	names_prefetch(const struct name_tab *, const char *);

static const char *
part_name(const struct ast_part *p)
{
	size_t	 i;

	if (p->p_kind == PT_AUTHMETHOD && p->p_v[0].v_str != NULL)
		return (p->p_v[0].v_str);
	for (i = 0; i < nitems(part_info); i++)
		if (part_info[i].kind == p->p_kind)
			return (part_info[i].name);
	return ("?");
}

/* the order of each part kind, indexed by kind (built once) */
static int
part_ord(const struct ast_part *p)
{
	static int	 ord[PT_MAX], ready;
	size_t		 i;

	if (!ready) {
		for (i = 0; i < nitems(part_info); i++)
			ord[part_info[i].kind] = part_info[i].ord;
		ready = 1;
	}
	return (p->p_kind > 0 && p->p_kind < PT_MAX ? ord[p->p_kind] : 0);
}

static void
order_note(struct checker *c, const struct loc *l)
{
	char	 buf[512];
	int	 i;

	if (c->c_order_noted++)
		return;
	buf[0] = '\0';
	for (i = O_NAME; i < O_MAX; i++) {
		if (i != O_NAME)
			strlcat(buf, ", ", sizeof(buf));
		strlcat(buf, ord_names[i], sizeof(buf));
	}
	diag_note(c->c_diag, l, "the parts of an ikev2 rule go in this "
	    "order: %s", buf);
}

/* secrets in a file that others may read */
static void
check_secret_file(struct checker *c, const struct loc *l, const char *what)
{
	const struct srcfile	*sf = l->l_file;

	if (sf == NULL || (sf->sf_mode & 077) == 0)
		return;
	diag_warn(c->c_diag, l, "%s in %s, which other users can %s "
	    "(mode %04o): chmod 600 it", what, sf->sf_name,
	    (sf->sf_mode & 022) ? "change" : "read", sf->sf_mode & 07777);
	((struct srcfile *)sf)->sf_mode &= ~077;	/* say it once */
}

/*
 * TIME: seconds as a number, or digits with a unit m or h (either
 * case).  BYTES: a number or digits with K, M or G (1024-based).
 */
static int
parse_amount(struct checker *c, const struct ast_val *v, int bytes,
    uint64_t max, uint64_t *out)
{
	const char		*what = bytes ? "byte" : "time", *s;
	unsigned long long	 n, mul = 1;
	char			*ep;

	if (v->v_type == V_NUM) {
		if (v->v_num < 0) {
			diag_error(c->c_diag, &v->v_loc, "negative %s "
			    "value %lld", bytes ? "byte" : "lifetime",
			    v->v_num);
			return (-1);
		}
		n = v->v_num;
	} else {
		s = v->v_str;
		if (!isdigit((unsigned char)*s)) {
			diag_error(c->c_diag, &v->v_loc, "invalid %s "
			    "specification: %s", what, s);
			return (-1);
		}
		errno = 0;
		n = strtoull(s, &ep, 10);
		if (errno == ERANGE) {
			diag_error(c->c_diag, &v->v_loc, "%s value %s is "
			    "too large", what, s);
			return (-1);
		}
		switch (bytes ? toupper((unsigned char)*ep) :
		    tolower((unsigned char)*ep)) {
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'K':
			mul = 1024;
			break;
		case 'M':
			mul = 1024 * 1024;
			break;
		case 'G':
			mul = 1024 * 1024 * 1024;
			break;
		default:
			diag_error(c->c_diag, &v->v_loc, "invalid %s unit "
			    "in '%s' (%s)", what, s, bytes ?
			    "use K, M or G, or a plain number of bytes" :
			    "use m or h, or a plain number of seconds");
			return (-1);
		}
		/* OpenIKED reads "30min" as 30m; say what is extra */
		if (ep[1] != '\0' && !(bytes && (ep[1] == 'B' ||
		    ep[1] == 'b') && ep[2] == '\0')) {
			diag_error(c->c_diag, &v->v_loc, "trailing garbage "
			    "'%s' after the %s unit in '%s'", ep + 1, what,
			    s);
			return (-1);
		}
		if (n > ULLONG_MAX / mul) {
			diag_error(c->c_diag, &v->v_loc, "%s value %s is "
			    "too large", what, s);
			return (-1);
		}
		n *= mul;
	}
	if (n > max) {
		diag_error(c->c_diag, &v->v_loc, "%s value %llu is out of "
		    "range (at most %llu)", bytes ? "byte" : "lifetime",
		    n, (unsigned long long)max);
		return (-1);
	}
	*out = n;
	return (0);
}

static int
check_id(struct checker *c, const struct ast_val *v, struct pol_id *id)
{
	size_t	 len = strlen(v->v_str);

	if (len == 0) {
		diag_error(c->c_diag, &v->v_loc, "empty ID");
		return (-1);
	}
	if (len > POL_ID_MAX) {
		diag_error(c->c_diag, &v->v_loc, "ID too long (%zu bytes, "
		    "at most %d)", len, POL_ID_MAX);
		return (-1);
	}
	id->id_type = policy_id_type_of(v->v_str);
	free(id->id_str);	/* given twice: reported already */
	id->id_str = xstrdup(v->v_str);
	return (0);
}

static const char *const tag_vars[] = { "$id", "$eapid", "$domain", "$name" };

static int
check_tag(struct checker *c, const struct ast_val *v)
{
	const char	*s, *e;
	size_t		 i, len;
	int		 ok = 0;

	if (strlen(v->v_str) > POL_TAG_MAX) {
		diag_error(c->c_diag, &v->v_loc, "tag too long (%zu bytes, "
		    "at most %d)", strlen(v->v_str), POL_TAG_MAX);
		return (-1);
	}
	for (s = v->v_str; (s = strchr(s, '$')) != NULL; s = e) {
		for (e = s + 1; isalnum((unsigned char)*e) || *e == '_'; e++)
			;
		len = e - s;
		for (i = 0; i < nitems(tag_vars); i++)
			if (strlen(tag_vars[i]) == len &&
			    strncmp(tag_vars[i], s, len) == 0)
				break;
		if (i == nitems(tag_vars)) {
			diag_error(c->c_diag, &v->v_loc, "unknown variable "
			    "'%.*s' in tag (known: $id, $eapid, $domain, "
			    "$name)", (int)len, s);
			ok = -1;
		}
	}
	return (ok);
}

static int
check_psk(struct checker *c, const struct ast_val *v, struct policy *pol,
    int infile)
{
	const char	*s = v->v_str;
	size_t		 len;

	if (!infile)
		check_secret_file(c, &v->v_loc, "a pre-shared key");
	if (strncmp(s, "0x", 2) == 0) {
		len = strlen(s + 2);
		if (len == 0) {
			diag_error(c->c_diag, &v->v_loc, "empty hex PSK");
			return (-1);
		}
		if (s[2 + strspn(s + 2, "0123456789abcdefABCDEF")] != '\0') {
			diag_error(c->c_diag, &v->v_loc, "keys need to be "
			    "specified in hex digits");
			return (-1);
		}
		if (len % 2 != 0) {
			diag_error(c->c_diag, &v->v_loc, "hex PSK has an odd "
			    "number of digits (%zu)", len);
			return (-1);
		}
		if (len / 2 > POL_PSK_MAX) {
			diag_error(c->c_diag, &v->v_loc, "PSK too long (%zu "
			    "bytes, at most %d)", len / 2, POL_PSK_MAX);
			return (-1);
		}
		freezero(pol->pol_psk, pol->pol_psklen);
		pol->pol_psk = xcalloc(1, len / 2);
		if (hex_decode(s + 2, pol->pol_psk, len / 2,
		    &pol->pol_psklen) == -1) {
			diag_error(c->c_diag, &v->v_loc, "keys need to be "
			    "specified in hex digits");
			freezero(pol->pol_psk, len / 2);
			pol->pol_psk = NULL;
			return (-1);
		}
	} else {
		len = strlen(s);
		if (len == 0) {
			diag_error(c->c_diag, &v->v_loc, "empty PSK");
			return (-1);
		}
		if (len > POL_PSK_MAX) {
			diag_error(c->c_diag, &v->v_loc, "PSK too long (%zu "
			    "bytes, at most %d)", len, POL_PSK_MAX);
			return (-1);
		}
		freezero(pol->pol_psk, pol->pol_psklen);
		pol->pol_psk = xcalloc(1, len);
		memcpy(pol->pol_psk, s, len);
		pol->pol_psklen = len;
	}
	if (pol->pol_psklen < 16)
		diag_warn(c->c_diag, &v->v_loc, "PSK is only %zu bytes long: "
		    "use at least 16 random bytes", pol->pol_psklen);
	pol->pol_auth = AUTH_PSK;
	return (0);
}

/* psk file PATH: hex digits, relative to the config file's directory */
static int
check_pskfile(struct checker *c, const struct ast_val *v, struct policy *pol)
{
	struct ast_val	 hv;
	struct stat	 st;
	const char	*dir, *slash;
	char		 path[PATH_MAX], buf[2 * POL_PSK_MAX + 3];
	ssize_t		 n;
	size_t		 len;
	int		 fd, r;

	dir = v->v_loc.l_file != NULL ? v->v_loc.l_file->sf_path : "";
	if (v->v_str[0] != '/' && (slash = strrchr(dir, '/')) != NULL)
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - dir),
		    dir, v->v_str);
	else
		strlcpy(path, v->v_str, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		diag_error(c->c_diag, &v->v_loc, "psk file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		diag_error(c->c_diag, &v->v_loc, "psk file %s: not a "
		    "regular file", path);
		close(fd);
		return (-1);
	}
	if (st.st_mode & 077)
		diag_warn(c->c_diag, &v->v_loc, "psk file %s can be read "
		    "by other users (mode %04o): chmod 600 it", path,
		    (unsigned)st.st_mode & 07777);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		diag_error(c->c_diag, &v->v_loc, "psk file %s: %s", path,
		    strerror(errno));
		return (-1);
	}
	len = n;
	while (len > 0 && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	if (len == 0 || buf[strspn(buf, "0123456789abcdefABCDEF")] != '\0' ||
	    len % 2 != 0) {
		diag_error(c->c_diag, &v->v_loc, "psk file %s: %s", path,
		    len == 0 ? "empty" : len % 2 == 0 ||
		    buf[strspn(buf, "0123456789abcdefABCDEF")] != '\0' ?
		    "keys need to be specified in hex digits" :
		    "odd number of hex digits");
		explicit_bzero(buf, sizeof(buf));
		return (-1);
	}
	memset(&hv, 0, sizeof(hv));
	hv.v_type = V_STR;
	hv.v_loc = v->v_loc;
	hv.v_str = xcalloc(1, len + 3);
	memcpy(hv.v_str, "0x", 2);
	memcpy(hv.v_str + 2, buf, len);
	explicit_bzero(buf, sizeof(buf));
	r = check_psk(c, &hv, pol, 1);
	strzero_free(hv.v_str);
	return (r);
}

static int
check_eap(struct checker *c, const struct ast_val *v, struct policy *pol)
{
	char	 buf[32];
	size_t	 i;

	strlcpy(buf, v->v_str, sizeof(buf));
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = buf[i] == '-' ? '_' : tolower((unsigned char)buf[i]);
	if (strlen(v->v_str) >= sizeof(buf) || strcmp(buf, "mschap_v2") != 0) {
		diag_error(c->c_diag, &v->v_loc, "unsupported EAP method: %s "
		    "(supported: mschap-v2)", v->v_str);
		return (-1);
	}
	pol->pol_auth = AUTH_EAP;
	pol->pol_eap = EAP_MSCHAP_V2;
	return (0);
}

/* A signature auth method by name or prefix, as OpenIKED; -1 if none. */
static int
authmethod_lookup(const char *s)
{
	size_t	 len = strlen(s);
	int	 i, found = -1;

	for (i = 0; i < AUTH_MAX; i++) {
		if (i == AUTH_PSK || i == AUTH_EAP)
			continue;
		if (strcmp(s, policy_auth_names[i]) == 0)
			return (i);
		if (found == -1 && len > 0 &&
		    strncmp(s, policy_auth_names[i], len) == 0)
			found = i;
	}
	return (found);
}

static int
check_authmethod(struct checker *c, const struct ast_val *v,
    struct policy *pol)
{
	int	 found;

	if ((found = authmethod_lookup(v->v_str)) == -1) {
		diag_error(c->c_diag, &v->v_loc, "'%s' is not a valid "
		    "authentication mode (psk, eap, rsa, ecdsa256, ecdsa384, "
		    "ecdsa521, rfc7427, signature)", v->v_str);
		return (-1);
	}
	if (strcmp(v->v_str, policy_auth_names[found]) != 0)
		diag_warn(c->c_diag, &v->v_loc, "'%s' is an abbreviation; "
		    "taken as '%s'", v->v_str, policy_auth_names[found]);
	pol->pol_auth = found;
	return (0);
}

static int
check_cfg(struct checker *c, const struct ast_part *p, struct policy *pol)
{
	const struct ast_val	*opt = &p->p_v[HOST_V_PORT];
	struct pol_cfg		 pc;
	size_t			 len = strlen(opt->v_str);
	int			 i, found = -1;

	memset(&pc, 0, sizeof(pc));
	pc.pc_request = p->p_kind == PT_REQUEST;
	for (i = 0; i < CFG_MAX; i++) {
		if (strcmp(opt->v_str, policy_cfg_names[i]) == 0) {
			found = i;
			break;
		}
		if (found == -1 && len > 0 &&
		    strncmp(opt->v_str, policy_cfg_names[i], len) == 0)
			found = i;
	}
	if (found == -1) {
		diag_error(c->c_diag, &opt->v_loc, "'%s' is not a valid "
		    "config option (address, netmask, name-server, "
		    "netbios-server, dhcp-server, protected-subnet, "
		    "access-server)", opt->v_str);
		return (-1);
	}
	if (strcmp(opt->v_str, policy_cfg_names[found]) != 0)
		diag_warn(c->c_diag, &opt->v_loc, "'%s' is an abbreviation; "
		    "taken as '%s'", opt->v_str, policy_cfg_names[found]);
	pc.pc_opt = found;
	if (host_parse(c->c_diag, &p->p_v[HOST_V_ADDR], &p->p_v[HOST_V_PLEN],
	    &pc.pc_host) == -1)
		return (-1);
	if (pc.pc_host.h_kind == HOST_ANY && !pc.pc_request) {
		diag_error(c->c_diag, &p->p_v[HOST_V_ADDR].v_loc, "'config "
		    "%s' needs an address ('any' is only for 'request')",
		    policy_cfg_names[found]);
		policy_host_clear(&pc.pc_host);
		return (-1);
	}
	if (pc.pc_host.h_kind != HOST_ADDR && pc.pc_host.h_kind != HOST_ANY) {
		diag_error(c->c_diag, &p->p_v[HOST_V_ADDR].v_loc, "config "
		    "attributes take a numeric address");
		policy_host_clear(&pc.pc_host);
		return (-1);
	}
	if (found == CFG_NETMASK && pc.pc_host.h_kind == HOST_ADDR &&
	    pc.pc_host.h_af != POL_AF_INET) {
		diag_error(c->c_diag, &p->p_v[HOST_V_ADDR].v_loc, "netmask "
		    "is IPv4 only");
		policy_host_clear(&pc.pc_host);
		return (-1);
	}
	if (pol->pol_ncfg >= POL_CFG_MAX) {
		diag_error(c->c_diag, &p->p_loc, "too many config/request "
		    "attributes (at most %d)", POL_CFG_MAX);
		policy_host_clear(&pc.pc_host);
		return (-1);
	}
	pol->pol_cfg = xreallocarray(pol->pol_cfg, pol->pol_ncfg + 1,
	    sizeof(*pol->pol_cfg));
	pol->pol_cfg[pol->pol_ncfg++] = pc;
	return (0);
}

/* one transform of the open proposal */
static int
check_xform(struct checker *c, const struct ast_part *p, struct pol_prop *pr)
{
	const struct pol_xform_name	*xn, *cand;
	const struct ast_val		*v = &p->p_v[0];
	const char			*near = NULL;
	char				 name[64];
	int				 type, abbrev, where, best = 3, dd;

	where = pr->pr_protoid == PROTO_IKE ? XN_IKE : XN_ESP;
	switch (p->p_kind) {
	case PT_ENC:
		type = XF_ENCR;
		if (pr->pr_protoid == PROTO_AH) {
			diag_error(c->c_diag, &p->p_loc, "'enc' in a proposal "
			    "for 'ah': AH does not encrypt");
			return (-1);
		}
		break;
	case PT_PRF:
		type = XF_PRF;
		if (pr->pr_protoid != PROTO_IKE) {
			/* OpenIKED still wants a known name */
			if (v->v_str == NULL || policy_xform_byname(XF_PRF,
			    v->v_str, XN_IKE, &abbrev) == NULL ||
			    v->v_str[0] == '\0') {
				diag_error(c->c_diag, &v->v_loc, "'%s' is not a "
				    "valid prf transform", v->v_str != NULL ?
				    v->v_str : "");
				return (-1);
			}
			diag_warn(c->c_diag, &p->p_loc, "'prf' in childsa is "
			    "ignored (a CHILD SA uses the IKE SA's prf)");
			return (0);
		}
		break;
	case PT_AUTH:
		type = XF_INTEG;
		break;
	case PT_GROUP:
		type = XF_DH;
		break;
	case PT_ESN:
	case PT_NOESN:
		if (pr->pr_protoid == PROTO_IKE) {
			diag_error(c->c_diag, &p->p_loc, "cannot use ESN with "
			    "ikesa");
			return (-1);
		}
		type = XF_ESN;
		strlcpy(name, p->p_kind == PT_ESN ? "esn" : "noesn",
		    sizeof(name));
		v = NULL;
		break;
	default:
		return (-1);
	}
	if (v != NULL) {
		if (v->v_str == NULL || strlen(v->v_str) >= sizeof(name)) {
			diag_error(c->c_diag, &v->v_loc, "invalid transform");
			return (-1);
		}
		strlcpy(name, v->v_str, sizeof(name));
	}
	xn = policy_xform_byname(type, name, where, &abbrev);
	if (xn == NULL || name[0] == '\0') {
		for (cand = policy_xform_names; cand->xn_name != NULL;
		    cand++) {
			if (cand->xn_type != type ||
			    (cand->xn_where & where) == 0)
				continue;
			dd = edit_distance(name, cand->xn_name, 2);
			if (dd < best) {
				best = dd;
				near = cand->xn_name;
			}
		}
		if (policy_xform_byname(type, name, XN_IKE | XN_ESP,
		    &abbrev) != NULL && name[0] != '\0')
			diag_error(c->c_diag, &v->v_loc, "'%s' is not a valid "
			    "transform for %s", name, where == XN_IKE ?
			    "ikesa" : "childsa");
		else if (near != NULL)
			diag_error(c->c_diag, &v->v_loc, "'%s' is not a valid "
			    "transform (did you mean '%s'?)", name, near);
		else
			diag_error(c->c_diag, &v->v_loc, "'%s' is not a valid "
			    "%s transform", name, part_name(p));
		return (-1);
	}
	if (abbrev)
		diag_warn(c->c_diag, &v->v_loc, "'%s' is an abbreviation; "
		    "taken as '%s'", name, xn->xn_name);
	if (type == XF_DH && xn->xn_id == 0 && pr->pr_protoid == PROTO_IKE) {
		diag_error(c->c_diag, &v->v_loc, "IKE group can not be "
		    "\"none\"");
		return (-1);
	}
	if (xn->xn_flags & XN_WEAK)
		diag_warn(c->c_diag, v != NULL ? &v->v_loc : &p->p_loc,
		    "weak algorithm %s %s", part_name(p), xn->xn_name);
	if (pr->pr_nxf >= POL_XFORMS_MAX) {
		diag_error(c->c_diag, &p->p_loc, "too many transforms in one "
		    "proposal (at most %d)", POL_XFORMS_MAX);
		return (-1);
	}
	pr->pr_xf[pr->pr_nxf].xf_type = xn->xn_type;
	pr->pr_xf[pr->pr_nxf].xf_id = xn->xn_id;
	pr->pr_xf[pr->pr_nxf].xf_keylen = xn->xn_keylen;
	pr->pr_nxf++;
	return (0);
}

/* a finished proposal: no contradictions */
static int
check_prop(struct checker *c, const struct loc *l, const struct pol_prop *pr,
    int reported)
{
	int	 i, aead = 0, plain = 0, auth = 0;

	if (pr->pr_nxf == 0 && reported)
		return (-1);	/* its transforms were refused, and said so */
	if (pr->pr_nxf == 0) {
		diag_error(c->c_diag, l, "empty %s proposal: name at least "
		    "one transform", pr->pr_protoid == PROTO_IKE ? "ikesa" :
		    "childsa");
		return (-1);
	}
	for (i = 0; i < pr->pr_nxf; i++) {
		if (pr->pr_xf[i].xf_type == XF_INTEG)
			auth = 1;
		if (pr->pr_xf[i].xf_type != XF_ENCR)
			continue;
		if (policy_xform_is_aead(&pr->pr_xf[i]))
			aead = 1;
		else
			plain = 1;
	}
	if (aead && plain) {
		diag_error(c->c_diag, l, "cannot mix encryption transforms "
		    "with implicit and non-implicit authentication");
		return (-1);
	}
	if (aead && auth) {
		diag_error(c->c_diag, l, "authentication is implicit for "
		    "given encryption transforms: drop 'auth' or use a "
		    "non-AEAD cipher");
		return (-1);
	}
	return (0);
}

static struct pol_prop *
prop_open(struct checker *c, const struct ast_part *p, struct policy *pol,
    int ike)
{
	struct pol_prop	**props = ike ? &pol->pol_ikeprops :
			    &pol->pol_childprops;
	size_t		 *n = ike ? &pol->pol_nikeprops :
			    &pol->pol_nchildprops;

	if (*n >= IKECC_PROPS_MAX) {
		diag_error(c->c_diag, &p->p_loc, "too many %s proposals (at "
		    "most %d)", ike ? "ikesa" : "childsa", IKECC_PROPS_MAX);
		return (NULL);
	}
	*props = xreallocarray(*props, *n + 1, sizeof(**props));
	memset(&(*props)[*n], 0, sizeof(**props));
	(*props)[*n].pr_protoid = ike ? PROTO_IKE :
	    (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP;
	return (&(*props)[(*n)++]);
}

/* The written from/to pairs of one rule. */
struct pair {
	const struct ast_part	*pa_from;
	const struct ast_part	*pa_to;
};

static int
flow_add(struct checker *c, struct policy *pol, const struct pol_flow *fl)
{
	size_t	 i;

	for (i = 0; i < pol->pol_nflows; i++) {
		const struct pol_flow	*o = &pol->pol_flows[i];

		if (memcmp(&o->fl_src, &fl->fl_src,
		    offsetof(struct pol_host, h_name)) == 0 &&
		    memcmp(&o->fl_dst, &fl->fl_dst,
		    offsetof(struct pol_host, h_name)) == 0 &&
		    o->fl_sport == fl->fl_sport &&
		    o->fl_dport == fl->fl_dport &&
		    o->fl_src.h_name == NULL && o->fl_dst.h_name == NULL)
			return (0);	/* duplicate */
	}
	if (pol->pol_nflows >= POL_FLOWS_MAX) {
		diag_error(c->c_diag, NULL, "policy \"%s\": too many flows "
		    "(at most %d)", pol->pol_name, POL_FLOWS_MAX);
		return (-1);
	}
	pol->pol_flows = xreallocarray(pol->pol_flows, pol->pol_nflows + 1,
	    sizeof(*pol->pol_flows));
	pol->pol_flows[pol->pol_nflows++] = *fl;
	return (1);
}

static void
host_copy(struct pol_host *dst, const struct pol_host *src)
{
	*dst = *src;
	if (src->h_name != NULL)
		dst->h_name = xstrdup(src->h_name);
}

/* Turn one written pair into flows: "any" takes the other end's family. */
static int
check_pair(struct checker *c, const struct pair *pa, struct policy *pol,
    int portok)
{
	struct pol_flow	 fl;
	struct pol_host	 src, dst, nat;
	uint16_t	 sport = 0, dport = 0;
	int		 r = 0, fams[2], nfam, i, sv, dv;

	memset(&nat, 0, sizeof(nat));
	if (host_parse(c->c_diag, &pa->pa_from->p_v[HOST_V_ADDR],
	    &pa->pa_from->p_v[HOST_V_PLEN], &src) == -1)
		return (-1);
	if (host_parse(c->c_diag, &pa->pa_to->p_v[HOST_V_ADDR],
	    &pa->pa_to->p_v[HOST_V_PLEN], &dst) == -1) {
		policy_host_clear(&src);
		return (-1);
	}
	if (pa->pa_to->p_v[HOST_V_NAT].v_type != V_NONE) {
		diag_error(c->c_diag, &pa->pa_to->p_v[HOST_V_NAT].v_loc,
		    "no flow NAT support for destination network: %s",
		    pa->pa_to->p_v[HOST_V_ADDR].v_str);
		r = -1;
	}
	if (pa->pa_from->p_v[HOST_V_NAT].v_type != V_NONE) {
		if (host_parse(c->c_diag, &pa->pa_from->p_v[HOST_V_NAT],
		    &pa->pa_from->p_v[HOST_V_NATPLEN], &nat) == -1)
			r = -1;
		else if (nat.h_af != src.h_af || nat.h_af == POL_AF_NONE) {
			diag_error(c->c_diag,
			    &pa->pa_from->p_v[HOST_V_NAT].v_loc,
			    "Flow NAT address family mismatch");
			r = -1;
		}
	}
	if (pa->pa_from->p_v[HOST_V_PORT].v_type != V_NONE &&
	    host_port(c->c_diag, &pa->pa_from->p_v[HOST_V_PORT], &sport) == -1)
		r = -1;
	if (pa->pa_to->p_v[HOST_V_PORT].v_type != V_NONE &&
	    host_port(c->c_diag, &pa->pa_to->p_v[HOST_V_PORT], &dport) == -1)
		r = -1;
	if ((sport != 0 || dport != 0) && !portok) {
		diag_error(c->c_diag, sport != 0 ?
		    &pa->pa_from->p_v[HOST_V_PORT].v_loc :
		    &pa->pa_to->p_v[HOST_V_PORT].v_loc, "port given, but %s",
		    pol->pol_nprotos == 0 ? "the rule has no 'proto' with "
		    "ports (add 'proto tcp' or 'proto udp')" :
		    "a protocol of the rule has no ports");
		r = -1;
	}
	if (src.h_af != POL_AF_NONE && dst.h_af != POL_AF_NONE &&
	    src.h_af != dst.h_af) {
		diag_error(c->c_diag, &pa->pa_to->p_v[HOST_V_ADDR].v_loc,
		    "cannot mix different address families: from is %s, to "
		    "is %s", src.h_af == POL_AF_INET ? "IPv4" : "IPv6",
		    dst.h_af == POL_AF_INET ? "IPv4" : "IPv6");
		r = -1;
	}
	if (r == -1)
		goto done;

	sv = src.h_kind == HOST_ANY || src.h_kind == HOST_DYNAMIC;
	dv = dst.h_kind == HOST_ANY || dst.h_kind == HOST_DYNAMIC;
	nfam = 0;
	if (sv && dv) {
		fams[nfam++] = POL_AF_INET;
		fams[nfam++] = POL_AF_INET6;
	} else if (sv || dv) {
		fams[nfam++] = sv ? dst.h_af : src.h_af;
	} else
		fams[nfam++] = POL_AF_NONE;
	for (i = 0; i < nfam; i++) {
		memset(&fl, 0, sizeof(fl));
		host_copy(&fl.fl_src, &src);
		host_copy(&fl.fl_dst, &dst);
		host_copy(&fl.fl_srcnat, &nat);
		if (fams[i] != POL_AF_NONE) {
			if (src.h_kind == HOST_ANY)
				host_any_for(&fl.fl_src, fams[i]);
			else if (src.h_kind == HOST_DYNAMIC)
				fl.fl_src.h_af = fams[i];
			if (dst.h_kind == HOST_ANY)
				host_any_for(&fl.fl_dst, fams[i]);
			else if (dst.h_kind == HOST_DYNAMIC)
				fl.fl_dst.h_af = fams[i];
		}
		fl.fl_sport = sport;
		fl.fl_dport = dport;
		switch (flow_add(c, pol, &fl)) {
		case -1:
			r = -1;
			/* FALLTHROUGH */
		case 0:
			policy_host_clear(&fl.fl_src);
			policy_host_clear(&fl.fl_dst);
			policy_host_clear(&fl.fl_srcnat);
			break;
		}
	}
 done:
	policy_host_clear(&src);
	policy_host_clear(&dst);
	policy_host_clear(&nat);
	return (r);
}

static int
check_endpoint(struct checker *c, const struct ast_part *p,
    struct pol_host *h)
{
	if (host_parse(c->c_diag, &p->p_v[HOST_V_ADDR], &p->p_v[HOST_V_PLEN],
	    h) == -1)
		return (-1);
	if (h->h_kind == HOST_DYNAMIC || h->h_kind == HOST_RANGE) {
		diag_error(c->c_diag, &p->p_v[HOST_V_ADDR].v_loc, "%s cannot "
		    "be %s", part_name(p), h->h_kind == HOST_DYNAMIC ?
		    "'dynamic'" : "an address range");
		policy_host_clear(h);
		return (-1);
	}
	return (0);
}

/*
 * A word where a keyword was expected: the grammar takes any word after
 * the flows as an auth method, so say here what a parser would.  Returns
 * 1 when the rule is beyond checking (the word is not in the place of an
 * auth method), 0 when the auth method check will say it.
 */
static int
word_unexpected(struct checker *c, const struct ast_stmt *st,
    const struct ast_part *p)
{
	const struct ast_val	*v = &p->p_v[0];
	const struct ast_part	*q;
	const char		*near = NULL;

	if (!v->v_quoted)
		near = parse_keyword_near(v->v_str, 0);
	if (near == NULL) {
		/* an auth method may only be followed by later parts */
		for (q = TAILQ_NEXT(p, p_entry); q != NULL;
		    q = TAILQ_NEXT(q, p_entry))
			if (part_ord(q) != 0 && part_ord(q) < O_AUTH)
				break;
		if (q == NULL)
			return (0);
	}
	if (p == TAILQ_FIRST(&st->s_parts))
		return (0);
	if (near != NULL)
		diag_error(c->c_diag, &v->v_loc, "syntax error: unexpected "
		    "'%s' (did you mean '%s'?)", v->v_str, near);
	else if (v->v_quoted && part_ord(TAILQ_FIRST(&st->s_parts)) !=
	    O_NAME)
		diag_error(c->c_diag, &v->v_loc, "syntax error: unexpected "
		    "\"%s\": the policy name must come right after 'ikev2'",
		    v->v_str);
	else
		diag_error(c->c_diag, &v->v_loc, "syntax error: unexpected "
		    "'%s'", v->v_str);
	return (1);
}

static const char *
af_name(int af)
{
	return (af == POL_AF_INET ? "IPv4" : af == POL_AF_INET6 ? "IPv6" :
	    "any family");
}

/*
 * One ikev2 rule.  Returns 0 and fills pol, or -1 after reporting
 * every problem found.
 */
static int
check_ikev2(struct checker *c, const struct ast_stmt *st, struct policy *pol)
{
	const struct ast_part	*p, *maxp = NULL, *seen[O_MAX], *last = NULL;
	const struct ast_part	*pendfrom = NULL, *pendto = NULL;
	const struct ast_part	*localp = NULL, *peerp = NULL, *authp = NULL;
	const struct ast_part	*lifep = NULL, *srcidp = NULL;
	const struct ast_part	*nameq = NULL, *tagp = NULL, *tapp = NULL;
	struct pair		*pairs = NULL;
	struct pol_prop		*pr = NULL;
	const struct ast_part	*prp = NULL;
	size_t			 npairs = 0, i, j, nbad = 0;
	int			 ord, maxord = 0, err = 0, portok, hasdyn;
	int			 hascfgaddr;
	char			 namebuf[32];
	const char		*near;

	memset(seen, 0, sizeof(seen));
	policy_init(pol);
	c->c_npol++;

	/* structure: parts in OpenIKED's order, each once unless a list */
	TAILQ_FOREACH(p, &st->s_parts, p_entry) {
		if (p == TAILQ_FIRST(&st->s_parts) &&
		    p->p_kind == PT_AUTHMETHOD) {
			nameq = p;
			((struct ast_part *)p)->p_kind = PT_NAME;
		}
		if (p->p_kind == PT_AUTHMETHOD &&
		    authmethod_lookup(p->p_v[0].v_str) == -1 &&
		    word_unexpected(c, st, p))
			return (-1);
		if (p->p_comma && p->p_kind != PT_FROM &&
		    p->p_kind != PT_TO) {
			diag_error(c->c_diag, &p->p_loc, "',' before '%s': a "
			    "comma may only separate two 'from ... to ...' "
			    "pairs", part_name(p));
			err = 1;
		}
		ord = part_ord(p);
		if (ord == 0) {
			/* a transform: belongs to the open proposal */
			if (last == NULL || (part_ord(last) != O_IKESA &&
			    part_ord(last) != O_CHILDSA &&
			    part_ord(last) != 0)) {
				diag_error(c->c_diag, &p->p_loc, "'%s' must "
				    "follow 'ikesa' or 'childsa'",
				    part_name(p));
				err = 1;
			}
			last = p;
			continue;
		}
		if (p->p_kind == PT_BYTES && (last == NULL ||
		    last->p_kind != PT_LIFETIME)) {
			diag_error(c->c_diag, &p->p_loc, "'bytes' must "
			    "follow 'lifetime TIME'");
			err = 1;
		}
		if (ord < maxord) {
			diag_error(c->c_diag, &p->p_loc, "'%s' is out of "
			    "place: it must come before '%s'", part_name(p),
			    part_name(maxp));
			order_note(c, &p->p_loc);
			err = 1;
		} else if (ord > maxord) {
			maxord = ord;
			maxp = p;
		}
		switch (ord) {
		case O_FLOWS:
		case O_IKESA:
		case O_CHILDSA:
		case O_CFG:
		case O_FILTERS:
			break;
		case O_PEERS:
			if ((p->p_kind == PT_LOCAL && localp != NULL) ||
			    (p->p_kind == PT_PEER && peerp != NULL)) {
				diag_error(c->c_diag, &p->p_loc, "'%s' given "
				    "twice", part_name(p));
				err = 1;
			}
			if (p->p_kind == PT_LOCAL)
				localp = p;
			else
				peerp = p;
			break;
		case O_IDS:
			if (p->p_kind == PT_SRCID) {
				if (seen[ord] != NULL) {
					diag_error(c->c_diag, &p->p_loc,
					    "'srcid' %s", seen[ord]->p_kind ==
					    PT_SRCID ? "given twice" :
					    "must come before 'dstid'");
					err = 1;
				}
				srcidp = p;
			} else if (seen[ord] != NULL &&
			    seen[ord]->p_kind == PT_DSTID) {
				diag_error(c->c_diag, &p->p_loc, "'dstid' "
				    "given twice");
				err = 1;
			}
			break;
		case O_LIFETIME:
			if (p->p_kind == PT_LIFETIME && lifep != NULL) {
				diag_error(c->c_diag, &p->p_loc, "'lifetime' "
				    "given twice");
				err = 1;
			}
			if (p->p_kind == PT_LIFETIME)
				lifep = p;
			if (p->p_kind == PT_BYTES && seen[ord] != NULL &&
			    seen[ord]->p_kind == PT_BYTES) {
				diag_error(c->c_diag, &p->p_loc, "'bytes' "
				    "given twice");
				err = 1;
			}
			break;
		case O_AUTH:
			if (authp != NULL) {
				diag_error(c->c_diag, &p->p_loc, "only one "
				    "authentication method per rule ('%s' "
				    "already given)", authp->p_kind ==
				    PT_AUTHMETHOD ? authp->p_v[0].v_str :
				    part_name(authp));
				err = 1;
			}
			authp = p;
			break;
		default:
			if (seen[ord] != NULL) {
				if (seen[ord]->p_kind == p->p_kind)
					diag_error(c->c_diag, &p->p_loc, "'%s' "
					    "given twice", part_name(p));
				else
					diag_error(c->c_diag, &p->p_loc, "'%s' "
					    "conflicts with '%s'",
					    part_name(p), part_name(seen[ord]));
				err = 1;
			}
			break;
		}
		seen[ord] = p;
		last = p;
	}
	(void)srcidp;

	/* meaning: header */
	if (nameq != NULL) {
		const struct ast_val	*v = &nameq->p_v[0];

		if (strlen(v->v_str) > POL_NAME_MAX) {
			diag_error(c->c_diag, &v->v_loc, "name too long (%zu "
			    "bytes, at most %d)", strlen(v->v_str),
			    POL_NAME_MAX);
			err = 1;
		} else if (v->v_str[0] == '\0') {
			diag_error(c->c_diag, &v->v_loc, "empty policy name");
			err = 1;
		}
		pol->pol_name = xstrdup(v->v_str);
		if (!v->v_quoted &&
		    (near = parse_keyword_near(v->v_str, 1)) != NULL)
			diag_warn(c->c_diag, &v->v_loc, "policy named \"%s\": "
			    "did you mean '%s'? (quote the name to keep it)",
			    v->v_str, near);
	} else {
		snprintf(namebuf, sizeof(namebuf), "policy%zu", c->c_npol);
		pol->pol_name = xstrdup(namebuf);
	}
	/* the duplicate check reads its slot after the rest of the checks */
	names_prefetch(&c->c_names, pol->pol_name);

	TAILQ_FOREACH(p, &st->s_parts, p_entry) {
		switch (p->p_kind) {
		case PT_QUICK:
			pol->pol_match = MATCH_QUICK;
			break;
		case PT_SKIP:
			pol->pol_match = MATCH_SKIP;
			break;
		case PT_DEFAULT:
			pol->pol_match = MATCH_DEFAULT;
			if (c->c_has_default) {
				diag_error(c->c_diag, &p->p_loc, "more than "
				    "one default policy");
				diag_note(c->c_diag, &c->c_default, "the "
				    "first default policy is here");
				err = 1;
			} else {
				c->c_has_default = 1;
				c->c_default = p->p_loc;
			}
			break;
		case PT_ACTIVE:
			pol->pol_flags |= POL_F_ACTIVE;
			break;
		case PT_IPCOMP:
			pol->pol_flags |= POL_F_IPCOMP;
			break;
		case PT_TRANSPORT:
			pol->pol_flags |= POL_F_TRANSPORT;
			break;
		case PT_NATT:
			pol->pol_flags |= POL_F_NATT;
			break;
		case PT_AH:
			pol->pol_flags |= POL_F_AH;
			break;
		case PT_INET:
			pol->pol_af = POL_AF_INET;
			break;
		case PT_INET6:
			pol->pol_af = POL_AF_INET6;
			break;
		case PT_PROTO:
			/* OpenIKED counts them as written, twice or not */
			if (p->p_nlist > POL_PROTOS_MAX) {
				diag_error(c->c_diag, &p->p_loc, "too many "
				    "protocols (%zu, at most %d)", p->p_nlist,
				    POL_PROTOS_MAX);
				err = 1;
				break;
			}
			for (i = 0; i < p->p_nlist; i++) {
				uint8_t	 proto;

				if (host_proto(c->c_diag, &p->p_list[i],
				    &proto) == -1) {
					err = 1;
					continue;
				}
				for (j = 0; j < pol->pol_nprotos; j++)
					if (pol->pol_protos[j] == proto)
						break;
				if (j < pol->pol_nprotos) {
					diag_warn(c->c_diag,
					    &p->p_list[i].v_loc, "protocol "
					    "listed twice");
					continue;
				}
				if (pol->pol_nprotos >= POL_PROTOS_MAX) {
					diag_error(c->c_diag,
					    &p->p_list[i].v_loc, "too many "
					    "protocols (at most %d)",
					    POL_PROTOS_MAX);
					err = 1;
					break;
				}
				pol->pol_protos[pol->pol_nprotos++] = proto;
			}
			break;
		case PT_RDOMAIN:
			if (p->p_v[0].v_num < 0 || p->p_v[0].v_num > 255) {
				diag_error(c->c_diag, &p->p_v[0].v_loc,
				    "rdomain %lld outside range (0-255)",
				    p->p_v[0].v_num);
				err = 1;
			}
			pol->pol_flags |= POL_F_RDOMAIN;
			pol->pol_rdomain = p->p_v[0].v_num;
			break;
		default:
			break;
		}
	}

	/* flows: from/to pairs, written either way round */
	portok = pol->pol_nprotos > 0;
	for (i = 0; i < pol->pol_nprotos; i++)
		if (!host_proto_has_ports(pol->pol_protos[i]))
			portok = 0;
	TAILQ_FOREACH(p, &st->s_parts, p_entry) {
		if (p->p_kind != PT_FROM && p->p_kind != PT_TO)
			continue;
		if (p->p_comma && (npairs == 0 || pendfrom != NULL ||
		    pendto != NULL)) {
			diag_error(c->c_diag, &p->p_loc, "',' before '%s': a "
			    "comma may only separate two 'from ... to ...' "
			    "pairs", part_name(p));
			err = 1;
		}
		if (p->p_kind == PT_FROM) {
			if (pendfrom != NULL) {
				diag_error(c->c_diag, &p->p_loc, "'from' "
				    "without 'to' before it");
				err = 1;
			}
			pendfrom = p;
		} else {
			if (pendto != NULL) {
				diag_error(c->c_diag, &p->p_loc, "'to' "
				    "without 'from' before it");
				err = 1;
			}
			pendto = p;
		}
		if (pendfrom != NULL && pendto != NULL) {
			pairs = xreallocarray(pairs, npairs + 1,
			    sizeof(*pairs));
			pairs[npairs].pa_from = pendfrom;
			pairs[npairs].pa_to = pendto;
			npairs++;
			pendfrom = pendto = NULL;
		}
	}
	if (pendfrom != NULL || pendto != NULL) {
		diag_error(c->c_diag, pendfrom != NULL ? &pendfrom->p_loc :
		    &pendto->p_loc, "'%s' without a matching '%s'",
		    pendfrom != NULL ? "from" : "to",
		    pendfrom != NULL ? "to" : "from");
		err = 1;
	}
	if (npairs == 0 && pendfrom == NULL && pendto == NULL) {
		diag_error(c->c_diag, &st->s_loc, "policy \"%s\" has no "
		    "flows: add 'from ... to ...'", pol->pol_name);
		err = 1;
	}
	for (i = 0; i < npairs; i++)
		if (check_pair(c, &pairs[i], pol, portok) == -1)
			err = 1;

	/* endpoints */
	if (localp != NULL && check_endpoint(c, localp, &pol->pol_local) == -1)
		err = 1;
	if (peerp != NULL && check_endpoint(c, peerp, &pol->pol_peer) == -1)
		err = 1;
	if (localp == NULL && peerp == NULL && npairs == 1 &&
	    pol->pol_match != MATCH_DEFAULT && !err) {
		/* one pair: its ends are the IKE endpoints, as in OpenIKED */
		struct pol_host	*ends[2] = { &pol->pol_local, &pol->pol_peer };
		const struct ast_part *ps[2] = { pairs[0].pa_from,
		    pairs[0].pa_to };

		for (i = 0; i < 2; i++) {
			if (host_parse(c->c_diag, &ps[i]->p_v[HOST_V_ADDR],
			    &ps[i]->p_v[HOST_V_PLEN], ends[i]) == -1) {
				err = 1;
				continue;
			}
			if (ends[i]->h_kind == HOST_DYNAMIC ||
			    ends[i]->h_kind == HOST_RANGE) {
				policy_host_clear(ends[i]);
				ends[i]->h_kind = HOST_ANY;
				ends[i]->h_plen = POL_PLEN_NONE;
			}
		}
	} else if (localp == NULL && peerp == NULL && npairs > 1 &&
	    pol->pol_match != MATCH_DEFAULT) {
		diag_error(c->c_diag, &st->s_loc, "could not get local/peer "
		    "specification: a rule with several flows needs 'peer' "
		    "(and 'local')");
		err = 1;
	}
	if (pol->pol_match != MATCH_DEFAULT) {
		if (pol->pol_local.h_kind == HOST_NONE) {
			pol->pol_local.h_kind = HOST_ANY;
			pol->pol_local.h_plen = POL_PLEN_NONE;
		}
		if (pol->pol_peer.h_kind == HOST_NONE) {
			pol->pol_peer.h_kind = HOST_ANY;
			pol->pol_peer.h_plen = POL_PLEN_NONE;
		}
	}
	if (pol->pol_local.h_af != POL_AF_NONE &&
	    pol->pol_peer.h_af != POL_AF_NONE &&
	    pol->pol_local.h_af != pol->pol_peer.h_af) {
		diag_error(c->c_diag, peerp != NULL ? &peerp->p_loc :
		    &st->s_loc, "peer address family mismatch: local is %s, "
		    "peer is %s", af_name(pol->pol_local.h_af),
		    af_name(pol->pol_peer.h_af));
		err = 1;
	} else {
		int	 eaf = pol->pol_peer.h_af != POL_AF_NONE ?
			    pol->pol_peer.h_af : pol->pol_local.h_af;

		if (pol->pol_af != POL_AF_NONE && eaf != POL_AF_NONE &&
		    eaf != pol->pol_af) {
			diag_error(c->c_diag, &seen[O_AF]->p_loc, "policy "
			    "address family mismatch: the rule says %s, but "
			    "the IKE endpoints are %s",
			    af_name(pol->pol_af), af_name(eaf));
			err = 1;
		} else if (pol->pol_af == POL_AF_NONE)
			pol->pol_af = eaf;
	}
	if ((pol->pol_flags & POL_F_ACTIVE) && !err &&
	    pol->pol_match != MATCH_DEFAULT &&
	    (pol->pol_peer.h_kind == HOST_ANY ||
	    host_is_network(&pol->pol_peer) ||
	    (pol->pol_local.h_kind != HOST_ANY &&
	    host_is_network(&pol->pol_local)))) {
		diag_error(c->c_diag, seen[O_MODE] != NULL ?
		    &seen[O_MODE]->p_loc : &st->s_loc, "active mode requires "
		    "local/peer address: 'peer' must be a single host");
		err = 1;
	}

	/* proposals */
	TAILQ_FOREACH(p, &st->s_parts, p_entry) {
		switch (p->p_kind) {
		case PT_IKESA:
		case PT_CHILDSA:
			if (pr != NULL && check_prop(c, &prp->p_loc, pr,
			    nbad > 0) == -1)
				err = 1;
			pr = prop_open(c, p, pol, p->p_kind == PT_IKESA);
			prp = p;
			nbad = 0;
			if (pr == NULL)
				err = 1;
			break;
		case PT_ENC:
		case PT_PRF:
		case PT_AUTH:
		case PT_GROUP:
		case PT_ESN:
		case PT_NOESN:
			if (pr != NULL && check_xform(c, p, pr) == -1) {
				nbad++;
				err = 1;
			}
			break;
		default:
			break;
		}
	}
	if (pr != NULL && check_prop(c, &prp->p_loc, pr, nbad > 0) == -1)
		err = 1;

	/* the rest, in order */
	hasdyn = 0;
	hascfgaddr = 0;
	TAILQ_FOREACH(p, &st->s_parts, p_entry) {
		switch (p->p_kind) {
		case PT_SRCID:
			if (check_id(c, &p->p_v[0], &pol->pol_srcid) == -1)
				err = 1;
			break;
		case PT_DSTID:
			if (check_id(c, &p->p_v[0], &pol->pol_dstid) == -1)
				err = 1;
			break;
		case PT_IKELIFETIME:
			if (parse_amount(c, &p->p_v[0], 0, LIFETIME_MAX,
			    &pol->pol_ikelifetime) == -1)
				err = 1;
			break;
		case PT_LIFETIME:
			if (parse_amount(c, &p->p_v[0], 0, LIFETIME_MAX,
			    &pol->pol_lifetime) == -1)
				err = 1;
			break;
		case PT_BYTES:
			if (parse_amount(c, &p->p_v[0], 1, UINT64_MAX,
			    &pol->pol_bytes) == -1)
				err = 1;
			break;
		case PT_PSK:
			if (check_psk(c, &p->p_v[0], pol, 0) == -1)
				err = 1;
			break;
		case PT_PSKFILE:
			if (check_pskfile(c, &p->p_v[0], pol) == -1)
				err = 1;
			break;
		case PT_EAP:
			if (check_eap(c, &p->p_v[0], pol) == -1)
				err = 1;
			break;
		case PT_AUTHMETHOD:
			if (check_authmethod(c, &p->p_v[0], pol) == -1)
				err = 1;
			break;
		case PT_CONFIG:
		case PT_REQUEST:
			if (check_cfg(c, p, pol) == -1)
				err = 1;
			else if (pol->pol_cfg[pol->pol_ncfg - 1].pc_opt ==
			    CFG_ADDRESS)
				hascfgaddr = 1;
			break;
		case PT_IFACE:
			if (strlen(p->p_v[0].v_str) == 0 ||
			    strlen(p->p_v[0].v_str) >= IFNAMSIZ) {
				diag_error(c->c_diag, &p->p_v[0].v_loc,
				    "invalid iface '%s' (1 to %d bytes)",
				    p->p_v[0].v_str, IFNAMSIZ - 1);
				err = 1;
				break;
			}
			free(pol->pol_iface);
			pol->pol_iface = xstrdup(p->p_v[0].v_str);
			break;
		case PT_TAG:
			if (tagp != NULL)
				diag_warn(c->c_diag, &p->p_loc, "'tag' given "
				    "twice: the last one wins");
			tagp = p;
			if (check_tag(c, &p->p_v[0]) == -1) {
				err = 1;
				break;
			}
			free(pol->pol_tag);
			pol->pol_tag = xstrdup(p->p_v[0].v_str);
			break;
		case PT_TAP: {
			const char	*errstr = NULL, *s = p->p_v[0].v_str;
			long long	 unit = -1;

			if (tapp != NULL)
				diag_warn(c->c_diag, &p->p_loc, "'tap' given "
				    "twice: the last one wins");
			tapp = p;
			if (strncmp(s, "enc", 3) == 0 && isdigit(
			    (unsigned char)s[3]))
				unit = strtonum(s + 3, 0, UINT32_MAX, &errstr);
			if (unit < 0 || errstr != NULL) {
				diag_error(c->c_diag, &p->p_v[0].v_loc,
				    "invalid tap interface name/unit '%s' "
				    "(encN)", s);
				err = 1;
				break;
			}
			/* enc0 is where traffic goes anyway, as in OpenIKED */
			pol->pol_flags &= ~POL_F_TAP;
			if (unit != 0)
				pol->pol_flags |= POL_F_TAP;
			pol->pol_tap = unit;
			break;
		}
		default:
			break;
		}
	}
	for (i = 0; i < pol->pol_nflows; i++)
		if (pol->pol_flows[i].fl_src.h_kind == HOST_DYNAMIC ||
		    pol->pol_flows[i].fl_dst.h_kind == HOST_DYNAMIC)
			hasdyn = 1;
	if (hasdyn && !hascfgaddr && !err)
		diag_warn(c->c_diag, &st->s_loc, "policy \"%s\" uses "
		    "'dynamic' but has no 'config address' pool or "
		    "'request address'", pol->pol_name);

	free(pairs);
	if (err)
		return (-1);
	if (policy_defaults_shared(c->c_ps, pol) == -1) {
		diag_error(c->c_diag, &st->s_loc, "out of memory");
		return (-1);
	}
	return (0);
}

static uint32_t
name_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return ((uint32_t)(h ^ (h >> 32)));
}

/* the names in the tables: of policy or user idx */
static const char *
pol_name_of(const struct checker *c, size_t idx)
{
	if (c->c_lint)
		return (c->c_lname[idx]);
	return (c->c_ps->ps_policies[idx].pol_name);
}

/*
 * The i-th quick policy, for the shadowing check.  A lint keeps only
 * the quick policies in the set, in order.
 */
static const struct policy *
quick_pol(const struct checker *c, size_t i)
{
	return (&c->c_ps->ps_policies[c->c_lint ? i : c->c_quick[i]]);
}

static const char *
user_name_of(const struct checker *c, size_t idx)
{
	return (c->c_ps->ps_users[idx].u_name);
}

/*
 * A table of names: open addressing, each slot the entry's index + 1
 * and its name's hash, so that growing the table and most failed probes
 * need not read the entries themselves.  names_find() gives the index
 * of name, or -1 and where names_put() is to add it (with room made
 * for one more): one hash and one probe for a name met once.
 */
static void
names_insert(struct name_slot *tab, size_t cap, uint32_t h, uint32_t idx1)
{
	size_t	 i;

	for (i = h & (cap - 1); tab[i].ns_idx != 0; i = (i + 1) & (cap - 1))
		;
	tab[i].ns_idx = idx1;
	tab[i].ns_hash = h;
}

static ssize_t
names_find(const struct checker *c, struct name_tab *t,
    const char *(*name_of)(const struct checker *, size_t), const char *name,
    struct name_pos *pos)
{
	struct name_slot	*tab;
	size_t			 i, m, cap;
	uint32_t		 h;

	if ((t->nt_n + 1) * 2 > t->nt_cap) {	/* kept at most half full */
		cap = t->nt_cap == 0 ? 64 : t->nt_cap * 2;
		tab = xcalloc(cap, sizeof(*tab));
		for (i = 0; i < t->nt_cap; i++)
			if (t->nt_slots[i].ns_idx != 0)
				names_insert(tab, cap, t->nt_slots[i].ns_hash,
				    t->nt_slots[i].ns_idx);
		free(t->nt_slots);
		t->nt_slots = tab;
		t->nt_cap = cap;
	}
	h = name_hash(name);
	m = t->nt_cap - 1;
	for (i = h & m; t->nt_slots[i].ns_idx != 0; i = (i + 1) & m)
		if (t->nt_slots[i].ns_hash == h &&
		    strcmp(name_of(c, t->nt_slots[i].ns_idx - 1), name) == 0)
			return (t->nt_slots[i].ns_idx - 1);
	pos->np_slot = i;
	pos->np_hash = h;
	return (-1);
}

/*
 * The slot of name, read ahead: the table is too large for the caches,
 * and the checks of a policy hide most of the wait.
 */
static void
names_prefetch(const struct name_tab *t, const char *name)
{
	if (t->nt_cap == 0 || (t->nt_n + 1) * 2 > t->nt_cap)
		return;
	__builtin_prefetch(&t->nt_slots[name_hash(name) & (t->nt_cap - 1)]);
}

/* Entry idx goes where names_find() said; 0 or -1 if the table is full. */
static int
names_put(struct name_tab *t, const struct name_pos *pos, size_t idx)
{
	if (idx >= UINT32_MAX)
		return (-1);
	t->nt_slots[pos->np_slot].ns_idx = idx + 1;
	t->nt_slots[pos->np_slot].ns_hash = pos->np_hash;
	t->nt_n++;
	return (0);
}

static void
check_set(struct checker *c, const struct ast_stmt *st)
{
	static const struct {
		const char	*name;
		uint32_t	 flag;
		int		 on;
	} flags[] = {
		{ "active",		GL_PASSIVE,		0 },
		{ "passive",		GL_PASSIVE,		1 },
		{ "couple",		GL_DECOUPLE,		0 },
		{ "decouple",		GL_DECOUPLE,		1 },
		{ "fragmentation",	GL_FRAGMENTATION,	1 },
		{ "nofragmentation",	GL_FRAGMENTATION,	0 },
		{ "mobike",		GL_NOMOBIKE,		0 },
		{ "nomobike",		GL_NOMOBIKE,		1 },
		{ "vendorid",		GL_NOVENDORID,		0 },
		{ "novendorid",		GL_NOVENDORID,		1 },
		{ "enforcesingleikesa",	GL_ENFORCESINGLEIKESA,	1 },
		{ "noenforcesingleikesa", GL_ENFORCESINGLEIKESA, 0 },
		{ "stickyaddress",	GL_STICKYADDRESS,	1 },
		{ "nostickyaddress",	GL_STICKYADDRESS,	0 },
		{ "cert_partial_chain",	GL_CERT_PARTIAL_CHAIN,	1 },
	};
	struct pol_globals	*gl = &c->c_ps->ps_globals;
	const struct ast_part	*p = TAILQ_FIRST(&st->s_parts);
	uint64_t		 v;
	size_t			 i;

	if (p == NULL)
		return;
	switch (p->p_kind) {
	case PT_SET_FLAG:
		for (i = 0; i < nitems(flags); i++) {
			if (strcmp(p->p_v[0].v_str, flags[i].name) != 0)
				continue;
			if (flags[i].on)
				gl->gl_flags |= flags[i].flag;
			else
				gl->gl_flags &= ~flags[i].flag;
		}
		break;
	case PT_SET_DPD:
		if (p->p_v[0].v_num < 0 || p->p_v[0].v_num > UINT32_MAX) {
			diag_error(c->c_diag, &p->p_v[0].v_loc, "timeout "
			    "outside range (0-%u seconds)", UINT32_MAX);
			break;
		}
		gl->gl_dpd_interval = p->p_v[0].v_num;
		break;
	case PT_SET_OCSP:
		if (strlen(p->p_v[0].v_str) == 0 ||
		    strlen(p->p_v[0].v_str) > POL_STR_MAX) {
			diag_error(c->c_diag, &p->p_v[0].v_loc, "invalid "
			    "OCSP URL");
			break;
		}
		free(gl->gl_ocsp_url);
		gl->gl_ocsp_url = xstrdup(p->p_v[0].v_str);
		gl->gl_ocsp_tolerate = 0;
		gl->gl_ocsp_maxage = GL_OCSP_MAXAGE_NONE;
		if (p->p_v[1].v_type != V_NONE &&
		    parse_amount(c, &p->p_v[1], 0, UINT32_MAX, &v) == 0)
			gl->gl_ocsp_tolerate = v;
		if (p->p_v[2].v_type != V_NONE &&
		    parse_amount(c, &p->p_v[2], 0, INT32_MAX, &v) == 0)
			gl->gl_ocsp_maxage = v;
		break;
	}
}

static void
check_user(struct checker *c, const struct ast_stmt *st)
{
	const struct ast_part	*p = TAILQ_FIRST(&st->s_parts);
	struct policy_set	*ps = c->c_ps;
	struct pol_user		*u;
	struct name_pos		 pos;
	ssize_t			 i;

	if (p == NULL)
		return;
	check_secret_file(c, &p->p_v[1].v_loc, "a user password");
	if (strlen(p->p_v[0].v_str) == 0 ||
	    strlen(p->p_v[0].v_str) > POL_USER_NAME_MAX) {
		diag_error(c->c_diag, &p->p_v[0].v_loc, "invalid user name "
		    "(1 to %d bytes)", POL_USER_NAME_MAX);
		return;
	}
	if (strlen(p->p_v[1].v_str) == 0 ||
	    strlen(p->p_v[1].v_str) > POL_USER_PASS_MAX) {
		diag_error(c->c_diag, &p->p_v[1].v_loc, "invalid password "
		    "(1 to %d bytes)", POL_USER_PASS_MAX);
		return;
	}
	if ((i = names_find(c, &c->c_users, user_name_of,
	    p->p_v[0].v_str, &pos)) != -1) {
		diag_error(c->c_diag, &p->p_v[0].v_loc, "duplicate user \"%s\"",
		    p->p_v[0].v_str);
		diag_note(c->c_diag, &c->c_userloc[i], "first defined here");
		return;
	}
	if (ps->ps_nusers == c->c_usercap) {
		c->c_usercap = c->c_usercap == 0 ? 16 : c->c_usercap * 2;
		ps->ps_users = xreallocarray(ps->ps_users, c->c_usercap,
		    sizeof(*ps->ps_users));
		c->c_userloc = xreallocarray(c->c_userloc, c->c_usercap,
		    sizeof(*c->c_userloc));
	}
	if (names_put(&c->c_users, &pos, ps->ps_nusers) == -1) {
		diag_error(c->c_diag, &p->p_v[0].v_loc, "too many users");
		return;
	}
	u = &ps->ps_users[ps->ps_nusers];
	u->u_name = xstrdup(p->p_v[0].v_str);
	u->u_pass = xstrdup(p->p_v[1].v_str);
	c->c_userloc[ps->ps_nusers] = p->p_v[0].v_loc;
	ps->ps_nusers++;
}

/* Does a's every flow leave b's flows no chance (a is quick, earlier)? */
static int
policy_shadows(const struct policy *a, const struct policy *b)
{
	size_t	 i, j, k;
	int	 covered;

	if (a->pol_match != MATCH_QUICK || b->pol_match == MATCH_DEFAULT)
		return (0);
	if (!host_covers(&a->pol_peer, &b->pol_peer) ||
	    !host_covers(&a->pol_local, &b->pol_local))
		return (0);
	if (a->pol_dstid.id_type != ID_NONE &&
	    (b->pol_dstid.id_type != a->pol_dstid.id_type ||
	    strcmp(a->pol_dstid.id_str, b->pol_dstid.id_str) != 0))
		return (0);
	/* every protocol of b must be one of a's, if a restricts them */
	if (a->pol_nprotos > 0) {
		if (b->pol_nprotos == 0)
			return (0);
		for (i = 0; i < b->pol_nprotos; i++) {
			for (k = 0; k < a->pol_nprotos; k++)
				if (a->pol_protos[k] == b->pol_protos[i])
					break;
			if (k == a->pol_nprotos)
				return (0);
		}
	}
	for (i = 0; i < b->pol_nflows; i++) {
		const struct pol_flow	*fb = &b->pol_flows[i];

		covered = 0;
		for (j = 0; j < a->pol_nflows && !covered; j++) {
			const struct pol_flow	*fa = &a->pol_flows[j];

			if (host_covers(&fa->fl_src, &fb->fl_src) &&
			    host_covers(&fa->fl_dst, &fb->fl_dst) &&
			    (fa->fl_sport == 0 || fa->fl_sport == fb->fl_sport) &&
			    (fa->fl_dport == 0 || fa->fl_dport == fb->fl_dport))
				covered = 1;
		}
		if (!covered)
			return (0);
	}
	return (b->pol_nflows > 0);
}

/*
 * The checker works one statement at a time, so that ikecc can check
 * each statement as soon as it is parsed and free it (a config of many
 * policies never has its whole syntax tree in memory).
 */
struct checker *
check_begin(struct diag *d, int flags)
{
	struct checker	*c;

	c = xcalloc(1, sizeof(*c));
	c->c_diag = d;
	c->c_lint = (flags & CHECK_LINT) != 0;
	if ((c->c_ps = policy_set_new()) == NULL) {
		free(c);
		return (NULL);
	}
	return (c);
}

void
check_stmt(struct checker *c, const struct ast_stmt *st)
{
	struct diag		*d = c->c_diag;
	struct policy_set	*ps = c->c_ps;
	struct policy		 pol;
	struct name_pos		 pos;
	ssize_t			 dup;
	size_t			 i, n;
	int			 nerr, keep;

	if (diag_stop(d))
		return;
	switch (st->s_kind) {
	case ST_SET:
		check_set(c, st);
		break;
	case ST_USER:
		check_user(c, st);
		break;
	case ST_IKEV2:
		nerr = d->d_errors;
		if (check_ikev2(c, st, &pol) == -1) {
			if (d->d_errors == nerr && !diag_stop(d)) {
				/* every refusal must say why */
				diag_error(d, &st->s_loc, "internal error: "
				    "policy \"%s\" refused", pol.pol_name != NULL ?
				    pol.pol_name : "?");
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
				abort();
#endif
			}
			policy_clear(&pol);
			break;
		}
		if ((dup = names_find(c, &c->c_names, pol_name_of,
		    pol.pol_name, &pos)) != -1) {
			diag_error(d, &st->s_loc, "duplicate policy name \"%s\"",
			    pol.pol_name);
			diag_note(d, &c->c_polloc[dup], "first defined here");
			policy_clear(&pol);
			break;
		}
		/* policies that can never match: earlier quick ones cover it */
		for (i = 0; i < c->c_nquick; i++) {
			if (!policy_shadows(quick_pol(c, i), &pol))
				continue;
			diag_warn(d, &st->s_loc, "policy \"%s\" can never match: "
			    "every flow is covered by the earlier quick policy "
			    "\"%s\"", pol.pol_name, quick_pol(c, i)->pol_name);
			diag_note(d, &c->c_polloc[c->c_quick[i]], "the quick "
			    "policy is here");
			break;
		}
		keep = !c->c_lint || pol.pol_match == MATCH_QUICK;
		if (keep && policy_set_reserve(ps, ps->ps_npolicies + 1) == -1) {
			diag_error(d, &st->s_loc, "out of memory");
			policy_clear(&pol);
			break;
		}
		if (names_put(&c->c_names, &pos, c->c_npolicies) == -1) {
			diag_error(d, &st->s_loc, "too many policies");
			policy_clear(&pol);
			break;
		}
		n = c->c_npolicies;
		if (n == c->c_polcap) {
			c->c_polcap = c->c_polcap == 0 ? 16 : c->c_polcap * 2;
			c->c_polloc = xreallocarray(c->c_polloc, c->c_polcap,
			    sizeof(*c->c_polloc));
			if (c->c_lint)
				c->c_lname = xreallocarray(c->c_lname,
				    c->c_polcap, sizeof(*c->c_lname));
		}
		c->c_polloc[n] = st->s_loc;
		if (c->c_lint) {
			/* a lint keeps the name, for the duplicate check */
			c->c_lname[n] = pol.pol_name;
			pol.pol_name = keep ? xstrdup(c->c_lname[n]) : NULL;
		}
		if (keep) {
			policy_share_props(ps, &pol);
			ps->ps_policies[ps->ps_npolicies++] = pol;
		} else
			policy_clear(&pol);
		c->c_npolicies++;
		if (pol.pol_match == MATCH_QUICK) {
			c->c_quick = xreallocarray(c->c_quick, c->c_nquick + 1,
			    sizeof(*c->c_quick));
			c->c_quick[c->c_nquick++] = n;
		}
		break;
	}
}

/* The number of policies accepted so far. */
size_t
check_npolicies(const struct checker *c)
{
	return (c->c_npolicies);
}

/*
 * The policy set, or NULL if any error was reported.  After a lint
 * (CHECK_LINT) it holds the globals, the users and only the quick
 * policies: check_npolicies() counts them all.
 */
struct policy_set *
check_end(struct checker *c)
{
	struct policy_set	*ps = c->c_ps;
	size_t			 i;

	if (c->c_diag->d_errors > 0) {
		policy_set_free(ps);
		ps = NULL;
	}
	if (c->c_lint) {
		for (i = 0; i < c->c_npolicies; i++)
			free(c->c_lname[i]);
		free(c->c_lname);
	}
	free(c->c_polloc);
	free(c->c_userloc);
	free(c->c_names.nt_slots);
	free(c->c_users.nt_slots);
	free(c->c_quick);
	free(c);
	return (ps);
}

/*
 * Check a whole syntax tree.  Returns the policy set, or NULL if any
 * error was reported (the diagnostics say what).
 */
struct policy_set *
check_ast(struct ast *a, struct diag *d)
{
	struct checker	*c;
	struct ast_stmt	*st;

	if ((c = check_begin(d, 0)) == NULL) {
		diag_error(d, NULL, "out of memory");
		return (NULL);
	}
	TAILQ_FOREACH(st, &a->a_stmts, s_entry)
		check_stmt(c, st);
	return (check_end(c));
}
