/*
 * The IKEv2 message layer (RFC 7296 section 3, RFC 7383 fragments): a
 * bounded byte buffer, a parser that decodes a datagram into views that
 * point into it, a builder that writes messages payload by payload, and
 * name tables for logging.  Pure: no I/O, no globals, no crypto.
 */
#ifndef PLD_H
#define PLD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "policy.h"	/* XF_* transform types, PROTO_* protocol ids */

/* --- bounded byte buffer ------------------------------------------------- */

#define IBUF_MAX	65535	/* default and hard bound: one datagram */

struct ibuf {
	uint8_t		*ib_data;
	size_t		 ib_len;	/* bytes written */
	size_t		 ib_size;	/* bytes allocated */
	size_t		 ib_max;	/* never grows beyond */
};

/* --- header and payload numbers ------------------------------------------ */

#define IKE_HDR_LEN	28
#define IKE_GEN_LEN	4	/* generic payload header */
#define IKE_VERSION	0x20	/* 2.0 */
#define IKE_MAJOR(v)	((v) >> 4)

/* exchange types */
#define IKEV2_EXCH_IKE_SA_INIT		34
#define IKEV2_EXCH_IKE_AUTH		35
#define IKEV2_EXCH_CREATE_CHILD_SA	36
#define IKEV2_EXCH_INFORMATIONAL	37
#define IKEV2_EXCH_IKE_SESSION_RESUME	38
#define IKEV2_EXCH_IKE_INTERMEDIATE	43
#define IKEV2_EXCH_IKE_FOLLOWUP_KE	44

/* header flags */
#define IKEV2_FLAG_I	0x08	/* sent by the original initiator */
#define IKEV2_FLAG_V	0x10	/* higher version supported */
#define IKEV2_FLAG_R	0x20	/* response */

/* payload types */
#define IKEV2_PLD_NONE		0
#define IKEV2_PLD_SA		33
#define IKEV2_PLD_KE		34
#define IKEV2_PLD_IDI		35
#define IKEV2_PLD_IDR		36
#define IKEV2_PLD_CERT		37
#define IKEV2_PLD_CERTREQ	38
#define IKEV2_PLD_AUTH		39
#define IKEV2_PLD_NONCE		40
#define IKEV2_PLD_NOTIFY	41
#define IKEV2_PLD_DELETE	42
#define IKEV2_PLD_VENDOR	43
#define IKEV2_PLD_TSI		44
#define IKEV2_PLD_TSR		45
#define IKEV2_PLD_SK		46
#define IKEV2_PLD_CP		47
#define IKEV2_PLD_EAP		48
#define IKEV2_PLD_SKF		53	/* RFC 7383 */
#define IKEV2_PLD_CRITICAL	0x80	/* generic header's flags */

/* substructures of SA */
#define IKEV2_SUB_LAST		0
#define IKEV2_SUB_PROPOSAL	2
#define IKEV2_SUB_TRANSFORM	3
#define IKEV2_ATTR_TV		0x8000	/* attribute format bit */
#define IKEV2_ATTR_KEYLEN	14

/* a few transform ids (types are XF_* of policy.h) */
#define IKEV2_ENCR_AES_CBC		12
#define IKEV2_ENCR_AES_GCM_16		20
#define IKEV2_PRF_HMAC_SHA2_256		5
#define IKEV2_PRF_HMAC_SHA2_384		6
#define IKEV2_PRF_HMAC_SHA2_512		7
#define IKEV2_AUTH_HMAC_SHA2_256_128	12
#define IKEV2_AUTH_HMAC_SHA2_384_192	13
#define IKEV2_AUTH_HMAC_SHA2_512_256	14
#define IKEV2_DH_MODP_2048		14
#define IKEV2_DH_ECP_256		19
#define IKEV2_DH_ECP_384		20
#define IKEV2_DH_ECP_521		21
#define IKEV2_DH_CURVE25519		31

/* ID types (RFC 7296 3.5, RFC 7619) */
#define IKEV2_ID_IPV4		1
#define IKEV2_ID_FQDN		2
#define IKEV2_ID_RFC822		3
#define IKEV2_ID_IPV6		5
#define IKEV2_ID_ASN1_DN	9
#define IKEV2_ID_ASN1_GN	10
#define IKEV2_ID_KEY_ID		11
#define IKEV2_ID_NULL		13

/* authentication methods (RFC 7296 3.8, RFC 4754, RFC 7427) */
#define IKEV2_AUTH_RSA_SIG	1
#define IKEV2_AUTH_PSK		2
#define IKEV2_AUTH_DSS_SIG	3
#define IKEV2_AUTH_ECDSA_256	9
#define IKEV2_AUTH_ECDSA_384	10
#define IKEV2_AUTH_ECDSA_521	11
#define IKEV2_AUTH_SIG		14

/* traffic selector types */
#define IKEV2_TS_IPV4_ADDR_RANGE	7
#define IKEV2_TS_IPV6_ADDR_RANGE	8

/* configuration payload types and attributes (RFC 7296 3.15) */
#define IKEV2_CP_REQUEST	1
#define IKEV2_CP_REPLY		2
#define IKEV2_CP_SET		3
#define IKEV2_CP_ACK		4
#define IKEV2_CFG_INTERNAL_IP4_ADDRESS	1
#define IKEV2_CFG_INTERNAL_IP4_NETMASK	2
#define IKEV2_CFG_INTERNAL_IP4_DNS	3
#define IKEV2_CFG_INTERNAL_IP6_ADDRESS	8
#define IKEV2_CFG_INTERNAL_IP6_DNS	10

/* certificate encodings (RFC 7296 3.6) */
#define IKEV2_CERT_X509_SIG	4
#define IKEV2_CERT_RAW_PUBKEY	15

/* notify message types: errors below 16384, status from 16384 */
#define IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD	1
#define IKEV2_N_INVALID_IKE_SPI			4
#define IKEV2_N_INVALID_MAJOR_VERSION		5
#define IKEV2_N_INVALID_SYNTAX			7
#define IKEV2_N_INVALID_MESSAGE_ID		9
#define IKEV2_N_INVALID_SPI			11
#define IKEV2_N_NO_PROPOSAL_CHOSEN		14
#define IKEV2_N_INVALID_KE_PAYLOAD		17
#define IKEV2_N_AUTHENTICATION_FAILED		24
#define IKEV2_N_SINGLE_PAIR_REQUIRED		34
#define IKEV2_N_NO_ADDITIONAL_SAS		35
#define IKEV2_N_INTERNAL_ADDRESS_FAILURE	36
#define IKEV2_N_FAILED_CP_REQUIRED		37
#define IKEV2_N_TS_UNACCEPTABLE			38
#define IKEV2_N_INVALID_SELECTORS		39
#define IKEV2_N_TEMPORARY_FAILURE		43
#define IKEV2_N_CHILD_SA_NOT_FOUND		44
#define IKEV2_N_INITIAL_CONTACT			16384
#define IKEV2_N_SET_WINDOW_SIZE			16385
#define IKEV2_N_ADDITIONAL_TS_POSSIBLE		16386
#define IKEV2_N_IPCOMP_SUPPORTED		16387
#define IKEV2_N_NAT_DETECTION_SOURCE_IP		16388
#define IKEV2_N_NAT_DETECTION_DESTINATION_IP	16389
#define IKEV2_N_COOKIE				16390
#define IKEV2_N_USE_TRANSPORT_MODE		16391
#define IKEV2_N_HTTP_CERT_LOOKUP_SUPPORTED	16392
#define IKEV2_N_REKEY_SA			16393
#define IKEV2_N_ESP_TFC_PADDING_NOT_SUPPORTED	16394
#define IKEV2_N_NON_FIRST_FRAGMENTS_ALSO	16395
#define IKEV2_N_MOBIKE_SUPPORTED		16396
#define IKEV2_N_MULTIPLE_AUTH_SUPPORTED		16404
#define IKEV2_N_REDIRECT_SUPPORTED		16406
#define IKEV2_N_CHILDLESS_IKEV2_SUPPORTED	16418
#define IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED	16430
#define IKEV2_N_SIGNATURE_HASH_ALGORITHMS	16431

/* --- decoded message ----------------------------------------------------- */

/* Bounds on what one message may carry; each is named in its error. */
#define PLD_PAYLOADS_MAX	128	/* payloads of any kind */
#define PLD_PROPS_MAX		16	/* proposals in an SA payload */
#define PLD_XFORMS_MAX		64	/* transforms in one proposal */
#define PLD_NOTIFY_MAX		64
#define PLD_TS_MAX		64	/* selectors in one TS payload */
#define PLD_DELETE_MAX		16	/* D payloads */
#define PLD_VENDOR_MAX		16
#define PLD_CERT_MAX		16	/* CERT, and CERTREQ, payloads */
#define PLD_CP_ATTRS_MAX	64
#define PLD_NONCE_MIN		16	/* RFC 7296 2.10 */
#define PLD_NONCE_MAX		256

/* Return values of pld_parse() and pld_parse_inner(). */
#define PLD_OK		0
#define PLD_EMALFORMED	(-1)	/* answer INVALID_SYNTAX (or drop) */
#define PLD_ECRITICAL	(-2)	/* answer UNSUPPORTED_CRITICAL_PAYLOAD
				   with m_critical as its data */
#define PLD_EVERSION	(-3)	/* major version is not 2: answer
				   INVALID_MAJOR_VERSION */

struct ike_hdr {
	uint64_t	 h_ispi;
	uint64_t	 h_rspi;
	uint8_t		 h_next;	/* first payload */
	uint8_t		 h_version;	/* IKE_VERSION */
	uint8_t		 h_exchange;	/* IKEV2_EXCH_* */
	uint8_t		 h_flags;	/* IKEV2_FLAG_* */
	uint32_t	 h_msgid;
	uint32_t	 h_length;
};

/* A byte range of the input, shared by payloads that carry opaque data. */
struct pld_data {
	const uint8_t	*d_ptr;
	size_t		 d_len;
};

struct pld_xform {
	uint8_t		 xf_type;	/* XF_* */
	uint8_t		 xf_flags;	/* PLD_XF_* */
	uint16_t	 xf_id;
	uint16_t	 xf_keylen;	/* bits; 0: no key length */
};
#define PLD_XF_UNUSABLE	0x01	/* unknown attribute (3.3.6) */

struct pld_prop {
	uint8_t		 pp_num;
	uint8_t		 pp_proto;	/* PROTO_IKE, _AH, _ESP */
	uint8_t		 pp_flags;	/* PLD_PROP_* */
	uint8_t		 pp_spisize;	/* 0, 4 or 8 */
	uint64_t	 pp_spi;
	size_t		 pp_nxforms;
	struct pld_xform pp_xforms[PLD_XFORMS_MAX];
};
#define PLD_PROP_UNUSABLE 0x01	/* unknown transform type or protocol */

struct pld_sa {
	size_t		 sa_nprops;
	struct pld_prop	 sa_props[PLD_PROPS_MAX];
};

struct pld_ke {
	uint16_t	 ke_group;
	struct pld_data	 ke_data;
};

struct pld_id {
	uint8_t		 id_type;	/* IKEV2_ID_* */
	struct pld_data	 id_data;
	struct pld_data	 id_body;	/* type, reserved and data: what
					   the AUTH payload signs */
};

struct pld_auth {
	uint8_t		 auth_method;	/* IKEV2_AUTH_* */
	struct pld_data	 auth_data;
};

struct pld_tsel {
	uint8_t		 ts_type;	/* IKEV2_TS_* */
	uint8_t		 ts_proto;	/* IP protocol, 0: any */
	uint16_t	 ts_sport;
	uint16_t	 ts_eport;
	uint8_t		 ts_saddr[16];	/* 4 bytes used for IPv4 */
	uint8_t		 ts_eaddr[16];
};

struct pld_ts {
	size_t		 ts_count;
	struct pld_tsel	 ts_sel[PLD_TS_MAX];
};

struct pld_notify {
	uint8_t		 n_proto;	/* 0 or PROTO_* */
	uint8_t		 n_spisize;	/* 0, 4 or 8 */
	uint16_t	 n_type;	/* IKEV2_N_* */
	uint64_t	 n_spi;
	struct pld_data	 n_data;
};

struct pld_delete {
	uint8_t		 d_proto;
	uint8_t		 d_spisize;	/* 0 (IKE) or 4 (AH, ESP) */
	uint16_t	 d_nspis;
	const uint8_t	*d_spis;	/* d_nspis * d_spisize bytes */
};

struct pld_cpattr {
	uint16_t	 ca_type;	/* IKEV2_CFG_*, reserved bit cleared */
	struct pld_data	 ca_value;
};

struct pld_cp {
	uint8_t		 cp_type;	/* IKEV2_CP_* */
	size_t		 cp_nattrs;
	struct pld_cpattr cp_attrs[PLD_CP_ATTRS_MAX];
};

struct pld_cert {
	uint8_t		 cert_enc;	/* IKEV2_CERT_* */
	struct pld_data	 cert_data;
};

/*
 * The encrypted payload (SK) or one fragment of it (SKF).  The IV starts
 * sk_off bytes into the message, so bytes [0, sk_off) are the associated
 * data of an AEAD cipher (header, generic header, fragment numbers);
 * sk_data covers IV, ciphertext, padding and ICV.
 */
struct pld_sk {
	uint8_t		 sk_first;	/* first inner payload type */
	uint16_t	 sk_fragnum;	/* SKF only */
	uint16_t	 sk_fragtotal;
	size_t		 sk_off;
	struct pld_data	 sk_data;
};

struct ike_msg {
	struct ike_hdr	 m_hdr;
	uint64_t	 m_seen;	/* bit n set: a payload of type n met */
	uint8_t		 m_critical;	/* PLD_ECRITICAL: its type */
	size_t		 m_npayloads;	/* in order met, inner too */
	uint8_t		 m_order[PLD_PAYLOADS_MAX];

	struct pld_sa	 m_sa;
	struct pld_ke	 m_ke;
	struct pld_data	 m_nonce;
	struct pld_id	 m_idi;
	struct pld_id	 m_idr;
	struct pld_auth	 m_auth;
	struct pld_ts	 m_tsi;
	struct pld_ts	 m_tsr;
	struct pld_cp	 m_cp;
	struct pld_data	 m_eap;
	struct pld_sk	 m_sk;		/* SK or SKF (see m_seen) */
	size_t		 m_nnotify;
	struct pld_notify m_notify[PLD_NOTIFY_MAX];
	size_t		 m_ndelete;
	struct pld_delete m_delete[PLD_DELETE_MAX];
	size_t		 m_nvendor;
	struct pld_data	 m_vendor[PLD_VENDOR_MAX];
	size_t		 m_ncert;
	struct pld_cert	 m_cert[PLD_CERT_MAX];
	size_t		 m_ncertreq;
	struct pld_cert	 m_certreq[PLD_CERT_MAX];
};

#define PLD_SEEN(m, t)	((t) < 64 && ((m)->m_seen & (1ULL << (t))) != 0)

/* --- builder ------------------------------------------------------------- */

/*
 * A message under construction in an ibuf.  Every payload added fixes
 * the previous one's next-payload field (first the header's, after
 * pld_sk_begin() the SK payload's); pld_build_finish() writes the length
 * of an open SK/SKF payload and of the message.  Errors are sticky.
 */
struct pld_builder {
	struct ibuf	*pb_buf;
	size_t		 pb_start;	/* offset of the IKE header */
	size_t		 pb_next;	/* next-payload field to fix */
	size_t		 pb_sk;		/* open SK/SKF, or 0 */
	int		 pb_nochain;	/* SKF: no payload follows */
	const char	*pb_err;	/* first error, NULL if none */
};

/* pld.c */
struct ibuf	*ibuf_new(size_t);
int		 ibuf_add(struct ibuf *, const void *, size_t);
int		 ibuf_add_u8(struct ibuf *, uint8_t);
int		 ibuf_add_u16(struct ibuf *, uint16_t);
int		 ibuf_add_u32(struct ibuf *, uint32_t);
int		 ibuf_add_u64(struct ibuf *, uint64_t);
int		 ibuf_add_zero(struct ibuf *, size_t);
void		*ibuf_reserve(struct ibuf *, size_t);
void		*ibuf_seek(struct ibuf *, size_t, size_t);
int		 ibuf_set_u8(struct ibuf *, size_t, uint8_t);
int		 ibuf_set_u16(struct ibuf *, size_t, uint16_t);
int		 ibuf_set_u32(struct ibuf *, size_t, uint32_t);
uint8_t		*ibuf_data(struct ibuf *);
size_t		 ibuf_length(const struct ibuf *);
void		 ibuf_free(struct ibuf *);

int		 pld_parse(const uint8_t *, size_t, struct ike_msg *,
		    char *, size_t);
int		 pld_parse_inner(uint8_t, const uint8_t *, size_t,
		    struct ike_msg *, char *, size_t);

int		 pld_build_init(struct pld_builder *, struct ibuf *,
		    const struct ike_hdr *);
int		 pld_add_sa(struct pld_builder *, const struct pld_prop *,
		    size_t);
int		 pld_add_ke(struct pld_builder *, uint16_t, const void *,
		    size_t);
int		 pld_add_nonce(struct pld_builder *, const void *, size_t);
int		 pld_add_id(struct pld_builder *, uint8_t, uint8_t,
		    const void *, size_t);
int		 pld_add_auth(struct pld_builder *, uint8_t, const void *,
		    size_t);
int		 pld_add_ts(struct pld_builder *, uint8_t,
		    const struct pld_tsel *, size_t);
int		 pld_add_notify(struct pld_builder *, uint8_t, uint8_t,
		    uint64_t, uint16_t, const void *, size_t);
int		 pld_add_delete(struct pld_builder *, uint8_t, uint8_t,
		    const void *, uint16_t);
int		 pld_add_vendor(struct pld_builder *, const void *, size_t);
int		 pld_add_cp(struct pld_builder *, uint8_t,
		    const struct pld_cpattr *, size_t);
int		 pld_add_cert(struct pld_builder *, uint8_t, uint8_t,
		    const void *, size_t);
int		 pld_add_eap(struct pld_builder *, const void *, size_t);
int		 pld_add_raw(struct pld_builder *, uint8_t, int,
		    const void *, size_t);
ssize_t		 pld_sk_begin(struct pld_builder *, size_t);
ssize_t		 pld_skf_begin(struct pld_builder *, uint8_t, uint16_t,
		    uint16_t, size_t);
ssize_t		 pld_build_finish(struct pld_builder *);

const char	*pld_exchange_name(unsigned int);
const char	*pld_payload_name(unsigned int);
const char	*pld_notify_name(unsigned int);
const char	*pld_proto_name(unsigned int);
const char	*pld_xform_type_name(unsigned int);
const char	*pld_xform_id_name(unsigned int, unsigned int);
const char	*pld_id_type_name(unsigned int);
const char	*pld_auth_method_name(unsigned int);
const char	*pld_ts_type_name(unsigned int);
const char	*pld_cp_type_name(unsigned int);
const char	*pld_cfg_attr_name(unsigned int);
const char	*pld_cert_enc_name(unsigned int);
size_t		 pld_dh_publen(unsigned int);
int		 pld_describe(const struct ike_msg *, char *, size_t);

#endif /* PLD_H */
