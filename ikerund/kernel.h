/*
 * The kernel interface of the parent process: IPsec SAs and policies
 * through Linux XFRM netlink (libmnl), on request of the ikev2 process.
 *
 * What ikerund installs is tagged by its reqid: every SA and every
 * policy template it installs carries a reqid in
 * [KERNEL_REQID_MIN, KERNEL_REQID_MAX], and only state with such a reqid
 * is ever flushed (at start-up, to remove what a crashed run left, and
 * on exit).  The host's other IPsec state (strongSwan numbers reqids
 * from 1, libreswan from 16384) is never touched.  Larval SAs that the
 * kernel makes itself on an acquire (SPI 0) time out on their own and
 * are left alone.
 *
 * Requests from the ikev2 process arrive as messages (types below) whose
 * payloads are decoded by pure functions (kernel_msg.c) and validated
 * (kernel_*_validate) before the kernel is touched.  The parent also
 * refuses to delete or read an SA or policy that it did not install
 * itself in this run.
 *
 * Algorithms are named by their IANA IKEv2 transform ids (RFC 7296
 * 3.3.2), as the policy set and the negotiation name them.
 */
#ifndef KERNEL_H
#define KERNEL_H

#include <stddef.h>
#include <stdint.h>

#define KERNEL_REQID_MIN	0x69720000U	/* "ir": ikerund's band */
#define KERNEL_REQID_MAX	0x6972ffffU
#define KERNEL_ENCKEY_MAX	36	/* AES-256 or ChaCha20 + salt */
#define KERNEL_AUTHKEY_MAX	64	/* HMAC-SHA2-512 */
#define KERNEL_REPLAY_MAX	4096	/* packets (XFRMA_REPLAY_ESN_MAX) */
#define KERNEL_SPI_MIN		256	/* 1-255 are reserved (RFC 4303) */
#define KERNEL_MSG_MAX		256	/* text of a kernel_result */

/* Encryption transform ids (IANA IKEv2). */
#define KENC_NONE		0	/* AH */
#define KENC_AES_CBC		12
#define KENC_AES_GCM_8		18
#define KENC_AES_GCM_12		19
#define KENC_AES_GCM_16		20
#define KENC_CHACHA20_POLY1305	28

/* Integrity transform ids (IANA IKEv2). */
#define KAUTH_NONE		0	/* AEAD */
#define KAUTH_HMAC_SHA1_96	2
#define KAUTH_HMAC_SHA2_256_128	12
#define KAUTH_HMAC_SHA2_384_192	13
#define KAUTH_HMAC_SHA2_512_256	14

/* What the kernel calls an algorithm, and its sizes. */
struct kernel_alg {
	uint16_t	 kal_id;	/* IANA transform id */
	const char	*kal_name;	/* XFRM (crypto API) name */
	int		 kal_aead;
	uint16_t	 kal_keybits[3];	/* cipher key bits; 0: none */
	uint16_t	 kal_saltlen;	/* bytes after the key (AEAD) */
	uint16_t	 kal_keylen;	/* integrity: key bytes */
	uint16_t	 kal_icvbits;	/* ICV or truncation, bits */
};

/* An address; 16 bytes in network order, IPv4 in [0..3], rest zero. */
struct kernel_addr {
	uint8_t		 ka_af;		/* AF_INET, AF_INET6; 0: none */
	uint8_t		 ka_ip[16];
};

/*
 * A selector: two prefixes, a protocol and single ports.  An SA's
 * selector may have family 0 (any, tunnel mode only); a policy's may
 * not.  Ports are only for TCP, UDP and SCTP.
 */
struct kernel_sel {
	uint8_t		 ks_af;		/* AF_INET, AF_INET6; 0: any */
	uint8_t		 ks_proto;	/* IPPROTO_*; 0: any */
	uint8_t		 ks_splen;
	uint8_t		 ks_dplen;
	uint8_t		 ks_src[16];	/* host bits zero */
	uint8_t		 ks_dst[16];
	uint16_t	 ks_sport;	/* 0: any */
	uint16_t	 ks_dport;
};

/* One side of an IKEv2 traffic selector (RFC 7296 3.13.1). */
struct kernel_ts {
	uint8_t		 kt_af;
	uint8_t		 kt_start[16];
	uint8_t		 kt_end[16];
	uint16_t	 kt_sport;	/* port range */
	uint16_t	 kt_eport;
};

/* XFRM mark; mask 0: none. */
struct kernel_mark {
	uint32_t	 km_value;
	uint32_t	 km_mask;
};

/* Lifetimes; 0: none. */
struct kernel_life {
	uint64_t	 kl_soft_bytes;
	uint64_t	 kl_hard_bytes;
	uint64_t	 kl_soft_secs;
	uint64_t	 kl_hard_secs;
};

enum kernel_mode {
	KMODE_TRANSPORT = 0,		/* XFRM_MODE_TRANSPORT */
	KMODE_TUNNEL = 1,		/* XFRM_MODE_TUNNEL */
	KMODE_MAX
};

enum kernel_dir {
	KDIR_IN = 0,			/* XFRM_POLICY_IN */
	KDIR_OUT = 1,			/* XFRM_POLICY_OUT */
	KDIR_FWD = 2,			/* XFRM_POLICY_FWD */
	KDIR_MAX
};

#define KSA_F_ESN	0x01	/* 64-bit sequence numbers */
#define KSA_F_ENCAP	0x02	/* ESP in UDP (RFC 3948) */
#define KSA_F_ALL	0x03

/* A CHILD SA, one direction. */
struct kernel_sa {
	uint8_t		 ksa_proto;	/* IPPROTO_ESP, IPPROTO_AH */
	uint8_t		 ksa_mode;	/* enum kernel_mode */
	uint8_t		 ksa_flags;	/* KSA_F_* */
	uint32_t	 ksa_spi;	/* host order */
	uint32_t	 ksa_reqid;
	uint32_t	 ksa_replay;	/* window in packets; 0: none */
	struct kernel_addr ksa_src;
	struct kernel_addr ksa_dst;
	uint16_t	 ksa_enc;	/* KENC_* */
	uint16_t	 ksa_encbits;	/* cipher key bits, without salt */
	uint16_t	 ksa_auth;	/* KAUTH_* */
	uint16_t	 ksa_enckeylen;	/* bytes, salt included */
	uint8_t		 ksa_enckey[KERNEL_ENCKEY_MAX];
	uint16_t	 ksa_authkeylen;
	uint8_t		 ksa_authkey[KERNEL_AUTHKEY_MAX];
	struct kernel_life ksa_life;
	struct kernel_sel ksa_sel;
	struct kernel_mark ksa_mark;
	uint16_t	 ksa_encap_sport;	/* KSA_F_ENCAP only */
	uint16_t	 ksa_encap_dport;
};

/* Names an SA: what XFRM looks it up by. */
struct kernel_said {
	uint8_t		 kid_proto;
	uint32_t	 kid_spi;
	struct kernel_addr kid_dst;
	struct kernel_mark kid_mark;
};

/* A policy with one template. */
struct kernel_policy {
	uint8_t		 kp_dir;	/* enum kernel_dir */
	uint8_t		 kp_proto;	/* template: IPPROTO_ESP, AH */
	uint8_t		 kp_mode;	/* template: enum kernel_mode */
	uint32_t	 kp_reqid;
	uint32_t	 kp_priority;	/* lower wins */
	struct kernel_sel kp_sel;
	struct kernel_addr kp_tsrc;	/* tunnel mode: outer addresses */
	struct kernel_addr kp_tdst;
	struct kernel_mark kp_mark;
};

/* Names a policy. */
struct kernel_policy_id {
	uint8_t		 kpi_dir;
	struct kernel_sel kpi_sel;
	struct kernel_mark kpi_mark;
};

struct kernel_sa_stats {
	struct kernel_said kst_id;
	uint64_t	 kst_bytes;
	uint64_t	 kst_packets;
	uint64_t	 kst_add_time;	/* UNIX time of installation */
	uint64_t	 kst_use_time;	/* of first use; 0: unused */
	uint32_t	 kst_replay;	/* packets dropped as replays */
	uint32_t	 kst_integrity_failed;
};

/* The parent's answer to a request without data. */
struct kernel_result {
	int32_t		 kr_error;	/* 0, or an errno value */
	char		 kr_msg[KERNEL_MSG_MAX];
};

/* A kernel notification, as the SA life cycle wants it. */
enum kernel_event_type {
	KEV_EXPIRE_SOFT = 1,	/* rekey now */
	KEV_EXPIRE_HARD,	/* the kernel has deleted the SA */
	KEV_ACQUIRE,		/* traffic hit a policy with no SA */
	KEV_MAX
};

struct kernel_event {
	uint8_t		 ke_type;	/* enum kernel_event_type */
	uint8_t		 ke_proto;	/* SA or template protocol */
	uint8_t		 ke_mode;
	uint8_t		 ke_dir;	/* acquire: the policy's */
	uint32_t	 ke_spi;	/* expire */
	uint32_t	 ke_reqid;
	uint32_t	 ke_index;	/* acquire: policy index */
	uint32_t	 ke_seq;	/* acquire: to answer with */
	struct kernel_addr ke_src;	/* SA or template endpoints */
	struct kernel_addr ke_dst;
	struct kernel_sel ke_sel;	/* SA's, or the policy's */
	struct kernel_sel ke_pkt;	/* acquire: the packet's flow */
	struct kernel_mark ke_mark;
};

/*
 * Message types between the ikev2 process and the parent, reserved here
 * until common/msg.h takes them into its enum.  The reply to a request
 * carries the request's id.
 */
enum kernel_msg_type {
	KMSG_BASE = 128,
	KMSG_SA_ADD = KMSG_BASE,	/* ikev2 -> parent: kernel_sa */
	KMSG_SA_DELETE,			/* kernel_said */
	KMSG_SA_STATS,			/* kernel_said */
	KMSG_POLICY_ADD,		/* kernel_policy */
	KMSG_POLICY_DELETE,		/* kernel_policy_id */
	KMSG_FLUSH,			/* empty: remove all we installed */
	KMSG_RESULT,			/* parent -> ikev2: kernel_result */
	KMSG_SA_COUNTERS,		/* kernel_sa_stats (KMSG_SA_STATS) */
	KMSG_EVENT,			/* kernel_event, id 0 */
	KMSG_TYPE_MAX
};

/* Largest encoded payload of any of these messages. */
#define KERNEL_PAYLOAD_MAX	512

/* kernel_msg.c: pure, no I/O */
const struct kernel_alg *kernel_alg_enc(uint16_t);
const struct kernel_alg *kernel_alg_auth(uint16_t);
int	 kernel_sa_decode(const uint8_t *, size_t, struct kernel_sa *);
size_t	 kernel_sa_encode(const struct kernel_sa *, uint8_t *, size_t);
int	 kernel_said_decode(const uint8_t *, size_t, struct kernel_said *);
size_t	 kernel_said_encode(const struct kernel_said *, uint8_t *, size_t);
int	 kernel_policy_decode(const uint8_t *, size_t,
	    struct kernel_policy *);
size_t	 kernel_policy_encode(const struct kernel_policy *, uint8_t *,
	    size_t);
int	 kernel_policy_id_decode(const uint8_t *, size_t,
	    struct kernel_policy_id *);
size_t	 kernel_policy_id_encode(const struct kernel_policy_id *, uint8_t *,
	    size_t);
int	 kernel_flush_decode(const uint8_t *, size_t);
int	 kernel_result_decode(const uint8_t *, size_t, struct kernel_result *);
size_t	 kernel_result_encode(const struct kernel_result *, uint8_t *,
	    size_t);
int	 kernel_sa_stats_decode(const uint8_t *, size_t,
	    struct kernel_sa_stats *);
size_t	 kernel_sa_stats_encode(const struct kernel_sa_stats *, uint8_t *,
	    size_t);
int	 kernel_event_decode(const uint8_t *, size_t, struct kernel_event *);
size_t	 kernel_event_encode(const struct kernel_event *, uint8_t *, size_t);
int	 kernel_sa_validate(const struct kernel_sa *, char *, size_t);
int	 kernel_said_validate(const struct kernel_said *, char *, size_t);
int	 kernel_policy_validate(const struct kernel_policy *, char *, size_t);
int	 kernel_policy_id_validate(const struct kernel_policy_id *, char *,
	    size_t);
int	 kernel_reqid_ours(uint32_t);
int	 kernel_sel_from_ts(const struct kernel_ts *, const struct kernel_ts *,
	    uint8_t, struct kernel_sel *);
int	 kernel_addr_equal(const struct kernel_addr *,
	    const struct kernel_addr *);
int	 kernel_sel_equal(const struct kernel_sel *, const struct kernel_sel *);

/* kernel.c: XFRM netlink, in the parent */
struct kernel;
struct kernel	*kernel_open(char *, size_t);
void	 kernel_close(struct kernel *);
int	 kernel_flush(struct kernel *, size_t *, size_t *);
int	 kernel_sa_add(struct kernel *, const struct kernel_sa *);
int	 kernel_sa_delete(struct kernel *, const struct kernel_said *);
int	 kernel_sa_get_stats(struct kernel *, const struct kernel_said *,
	    struct kernel_sa_stats *);
int	 kernel_policy_add(struct kernel *, const struct kernel_policy *);
int	 kernel_policy_delete(struct kernel *, const struct kernel_policy_id *);
void	 kernel_installed(const struct kernel *, size_t *, size_t *);
int	 kernel_events_open(struct kernel *);
typedef void	 (*kernel_event_cb)(const struct kernel_event *, void *);
int	 kernel_events_read(struct kernel *, kernel_event_cb, void *);
int	 kernel_event_parse(const uint8_t *, size_t, struct kernel_event *);
size_t	 kernel_request(struct kernel *, uint32_t, const uint8_t *, size_t,
	    uint32_t *, uint8_t *, size_t);

#endif /* KERNEL_H */
