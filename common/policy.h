/*
 * The policy set: what ikecc compiles an iked.conf into, what the blob
 * carries and what the blob loader gives back.  Every program shares this
 * one in-memory form; common/blob.h defines its on-disk encoding.
 *
 * Everything here is fully expanded: defaults are filled in by the
 * compiler (policy_defaults()), names of hosts and interfaces are kept as
 * names (the daemon resolves them), and no field depends on the machine
 * that compiled it.
 */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* Bounds (shared by the compiler and the blob loader). */
#define POL_NAME_MAX		1023	/* policy name, as OpenIKED */
#define POL_ID_MAX		1023	/* srcid/dstid */
#define POL_PSK_MAX		1024	/* bytes */
#define POL_USER_NAME_MAX	255
#define POL_USER_PASS_MAX	255
#define POL_TAG_MAX		1023	/* OpenIKED cuts at 63; we keep it */
#define POL_STR_MAX		8191	/* any other string (URL, iface, host) */
#define POL_PROTOS_MAX		16
#define POL_XFORMS_MAX		64	/* transforms in one proposal */
#define POL_PROPS_MAX		32	/* proposals per ikesa/childsa list */
#define POL_FLOWS_MAX		4096	/* flows in one policy */
#define POL_CFG_MAX		64	/* config/request attributes */

#define POL_LIFETIME_DEFAULT	10800		/* seconds */
#define POL_BYTES_DEFAULT	4294967296ULL	/* 4 GiB */

/* Host kinds. */
enum pol_host_kind {
	HOST_NONE = 0,		/* not given */
	HOST_ADDR,		/* numeric address, optional prefix */
	HOST_RANGE,		/* numeric range a - b (ikecc extension) */
	HOST_NAME,		/* hostname or interface, resolved at runtime */
	HOST_ANY,
	HOST_DYNAMIC,
	HOST_KIND_MAX
};

#define POL_AF_NONE	0
#define POL_AF_INET	4
#define POL_AF_INET6	6

#define POL_PLEN_NONE	255	/* no prefix length written */

struct pol_host {
	uint8_t		 h_kind;	/* enum pol_host_kind */
	uint8_t		 h_af;		/* POL_AF_*; NONE for name/any/dyn */
	uint8_t		 h_plen;	/* prefix length or POL_PLEN_NONE */
	uint8_t		 h_ip[16];	/* network byte order, v4 in [0..3] */
	uint8_t		 h_ip2[16];	/* end of a range */
	char		*h_name;	/* HOST_NAME */
};

struct pol_flow {
	struct pol_host	 fl_src;
	struct pol_host	 fl_dst;
	struct pol_host	 fl_srcnat;	/* HOST_NONE unless "from A (B)" */
	uint16_t	 fl_sport;	/* 0: any */
	uint16_t	 fl_dport;
};

/* Transform types and ids are the IANA IKEv2 numbers (RFC 7296 3.3.2). */
#define XF_ENCR		1
#define XF_PRF		2
#define XF_INTEG	3
#define XF_DH		4
#define XF_ESN		5

struct pol_xform {
	uint8_t		 xf_type;	/* XF_* */
	uint16_t	 xf_id;		/* IANA transform id */
	uint16_t	 xf_keylen;	/* bits, 0 when the cipher has none */
};

#define PROTO_IKE	1
#define PROTO_AH	2
#define PROTO_ESP	3

struct pol_prop {
	uint8_t		 pr_protoid;	/* PROTO_* */
	uint8_t		 pr_nxf;
	struct pol_xform pr_xf[POL_XFORMS_MAX];
};

/* ID types (RFC 7296 3.5). */
#define ID_NONE		0
#define ID_IPV4		1
#define ID_FQDN		2
#define ID_UFQDN	3
#define ID_IPV6		5
#define ID_ASN1_DN	9

struct pol_id {
	uint8_t		 id_type;
	char		*id_str;	/* as written */
};

enum pol_auth {
	AUTH_SIGNATURE = 0,	/* default: any signature */
	AUTH_PSK,
	AUTH_EAP,
	AUTH_RSA,
	AUTH_ECDSA256,
	AUTH_ECDSA384,
	AUTH_ECDSA521,
	AUTH_RFC7427,
	AUTH_MAX
};

#define EAP_MSCHAP_V2	26	/* IANA EAP method type */

/* config/request attributes; pc_opt indexes policy_cfg_names[] */
enum pol_cfg_opt {
	CFG_ADDRESS = 0,
	CFG_NETMASK,
	CFG_NAME_SERVER,
	CFG_NETBIOS_SERVER,
	CFG_DHCP_SERVER,
	CFG_PROTECTED_SUBNET,
	CFG_ACCESS_SERVER,
	CFG_MAX
};

struct pol_cfg {
	uint8_t		 pc_request;	/* 1: request, 0: config */
	uint8_t		 pc_opt;	/* enum pol_cfg_opt */
	struct pol_host	 pc_host;	/* HOST_ADDR or HOST_ANY (request) */
};

enum pol_match {
	MATCH_NONE = 0,
	MATCH_QUICK,
	MATCH_SKIP,
	MATCH_DEFAULT,
	MATCH_MAX
};

#define POL_F_ACTIVE	0x0001
#define POL_F_IPCOMP	0x0002
#define POL_F_TRANSPORT	0x0004
#define POL_F_AH	0x0008
#define POL_F_NATT	0x0010
#define POL_F_TAP	0x0020
#define POL_F_RDOMAIN	0x0040
#define POL_F_ALL	0x007f

struct policy {
	char		*pol_name;
	uint32_t	 pol_flags;	/* POL_F_* */
	uint8_t		 pol_match;	/* enum pol_match */
	uint8_t		 pol_af;	/* POL_AF_*, as written (inet/inet6) */
	uint8_t		 pol_rdomain;
	uint8_t		 pol_nprotos;
	uint8_t		 pol_protos[POL_PROTOS_MAX];

	size_t		 pol_nflows;
	struct pol_flow	*pol_flows;

	struct pol_host	 pol_local;	/* HOST_NONE: not given */
	struct pol_host	 pol_peer;

	size_t		 pol_nikeprops;
	struct pol_prop	*pol_ikeprops;
	size_t		 pol_nchildprops;
	struct pol_prop	*pol_childprops;

	struct pol_id	 pol_srcid;
	struct pol_id	 pol_dstid;

	uint64_t	 pol_ikelifetime;	/* seconds, 0: no rekey */
	uint64_t	 pol_lifetime;		/* seconds */
	uint64_t	 pol_bytes;

	uint8_t		 pol_auth;	/* enum pol_auth */
	uint8_t		 pol_eap;	/* EAP_* when pol_auth == AUTH_EAP */
	size_t		 pol_psklen;
	uint8_t		*pol_psk;	/* secret: wiped on free */

	size_t		 pol_ncfg;
	struct pol_cfg	*pol_cfg;

	char		*pol_iface;	/* NULL: none */
	char		*pol_tag;	/* NULL: none; raw template */
	uint32_t	 pol_tap;	/* encN unit when POL_F_TAP */

	/* memory only, not part of the policy: lists shared in the set */
	uint8_t		 pol_shared;	/* POL_SHARED_* */
};
#define POL_SHARED_IKE		0x01
#define POL_SHARED_CHILD	0x02

struct pol_user {
	char		*u_name;
	char		*u_pass;	/* secret: wiped on free */
};

#define GL_PASSIVE		0x0001
#define GL_DECOUPLE		0x0002
#define GL_FRAGMENTATION	0x0004
#define GL_NOMOBIKE		0x0008
#define GL_NOVENDORID		0x0010
#define GL_ENFORCESINGLEIKESA	0x0020
#define GL_STICKYADDRESS	0x0040
#define GL_CERT_PARTIAL_CHAIN	0x0080
#define GL_ALL			0x00ff

#define GL_DPD_DEFAULT		60
#define GL_OCSP_MAXAGE_NONE	(-1)

struct pol_globals {
	uint32_t	 gl_flags;		/* GL_* */
	uint32_t	 gl_dpd_interval;	/* seconds, 0: off */
	char		*gl_ocsp_url;		/* NULL: no OCSP */
	uint32_t	 gl_ocsp_tolerate;	/* seconds */
	int64_t		 gl_ocsp_maxage;	/* seconds, -1: none */
};

struct policy_set {
	struct pol_globals	 ps_globals;
	size_t			 ps_nusers;
	struct pol_user		*ps_users;
	size_t			 ps_npolicies;
	struct policy		*ps_policies;
	size_t			 ps_polcap;	/* room (policy_set_reserve()) */
	size_t			 ps_polmap;	/* bytes mapped, 0: malloc'd */
	struct pol_pool		*ps_pool;	/* shared proposal lists */
};

/* policy.c */
struct policy_set *policy_set_new(void);
void	 policy_set_free(struct policy_set *);
int	 policy_set_reserve(struct policy_set *, size_t);
void	 policy_clear(struct policy *);
void	 policy_host_clear(struct pol_host *);
void	 policy_globals_init(struct pol_globals *);
int	 policy_defaults(struct policy *);
int	 policy_defaults_shared(struct policy_set *, struct policy *);
void	 policy_init(struct policy *);
void	 policy_share_props(struct policy_set *, struct policy *);
int	 policy_props_eq(const struct pol_prop *, const struct pol_prop *,
	    size_t);
struct pol_prop *policy_pool_add(struct policy_set *, struct pol_prop *,
	    size_t);
int	 policy_default_props(int, struct pol_prop **, size_t *);
const struct pol_user *policy_find_user(const struct policy_set *,
	    const char *);
const struct policy *policy_find(const struct policy_set *, const char *);
struct policy_names;
struct policy_names *policy_names_new(const struct policy_set *);
const struct policy *policy_names_find(const struct policy_names *,
	    const char *);
void	 policy_names_free(struct policy_names *);
int	 policy_cmp(const struct policy *, const struct policy *);

/* policy_names.c: the one table of every algorithm and option name */
struct pol_xform_name {
	const char	*xn_name;
	uint8_t		 xn_type;
	uint16_t	 xn_id;
	uint16_t	 xn_keylen;
	uint8_t		 xn_where;	/* XN_IKE | XN_ESP */
	uint8_t		 xn_flags;	/* XN_AEAD, XN_WEAK */
};
#define XN_IKE		0x01
#define XN_ESP		0x02
#define XN_AEAD		0x01
#define XN_WEAK		0x02

extern const struct pol_xform_name policy_xform_names[];
extern const char *const policy_cfg_names[CFG_MAX];
extern const char *const policy_auth_names[AUTH_MAX];

const struct pol_xform_name *policy_xform_byname(int, const char *, int,
	    int *);
const struct pol_xform_name *policy_xform_byid(int, const struct pol_xform *);
int	 policy_xform_is_aead(const struct pol_xform *);
const char *policy_id_type_name(int);
int	 policy_id_type_of(const char *);

/* policy_print.c: canonical iked.conf text */
#define PRINT_REDACT	0x01	/* replace secrets by "<redacted>" */
#define PRINT_GLOBALS	0x02	/* print "set" lines */

void	 policy_print_set(const struct policy_set *, int, FILE *);
void	 policy_print_globals(const struct pol_globals *, FILE *);
void	 policy_print_user(const struct pol_user *, int, FILE *);
void	 policy_print(const struct policy *, int, FILE *);
void	 policy_print_host(const struct pol_host *, FILE *);

#endif /* POLICY_H */
