/*
 * Framed messages between the processes of ikerund and between ikectl
 * and the daemon: a fixed header (type, length, id, flags), a payload
 * of at most MSG_MAX_PAYLOAD bytes, and optionally one passed file
 * descriptor.  Every payload has a fixed layout decoded by a pure,
 * bounds-checked function below; nothing is used before it decoded.
 */
#ifndef MSG_H
#define MSG_H

#include <sys/queue.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define MSG_HDR_LEN		16
#define MSG_MAX_PAYLOAD		(64 * 1024)
#define MSG_F_FD		0x0001	/* a descriptor comes with it */
#define MSG_F_ALL		0x0001
#define MSG_FDQ_MAX		8

struct msg_hdr {
	uint32_t	 mh_type;
	uint32_t	 mh_len;	/* payload bytes */
	uint32_t	 mh_id;		/* request id, echoed in replies */
	uint32_t	 mh_flags;	/* MSG_F_* */
};

struct msg {
	struct msg_hdr	 m_hdr;
	const uint8_t	*m_data;
	int		 m_fd;		/* -1 unless MSG_F_FD */
};

/* Message types. */
enum msg_type {
	MSG_NONE = 0,
	/* ikectl -> parent */
	MSG_CTL_LOAD = 1,	/* fd: the blob; ctl_load */
	MSG_CTL_LASTPATH,	/* empty: what "reload" should load */
	MSG_CTL_SHOW,		/* ctl_show */
	MSG_CTL_RESET,		/* ctl_reset */
	MSG_CTL_MODE,		/* ctl_mode */
	MSG_CTL_LOOKUP,		/* ctl_lookup */
	/* parent -> ikectl */
	MSG_CTL_DATA = 32,	/* output text, any bytes */
	MSG_CTL_END,		/* ctl_end: status and message */
	/* parent <-> children */
	MSG_GEN_PREPARE = 64,	/* fd: the blob; gen_prepare */
	MSG_GEN_PREPARED,	/* gen_result */
	MSG_GEN_COMMIT,		/* gen_id */
	MSG_GEN_ABORT,		/* gen_id */
	MSG_GEN_COMMITTED,	/* gen_id */
	MSG_CHILD_SHOW,		/* ctl_show: parent asks ikev2 */
	MSG_CHILD_DATA,		/* text back */
	MSG_CHILD_END,		/* ctl_end */
	MSG_CHILD_RESET,	/* ctl_reset */
	MSG_CHILD_MODE,		/* ctl_mode */
	MSG_CHILD_READY,	/* empty: child is sandboxed and running */
	MSG_IKE_SOCKET,		/* fd: a bound UDP socket; ike_socket */
	MSG_IKE_COUNTERS,	/* ikev2 -> parent: ike_counters */
	MSG_CHILD_LOOKUP,	/* ctl_lookup: parent asks ikev2 */
	MSG_TYPE_MAX,
	/* ikev2 <-> parent: kernel requests (ikerund/kernel.h KMSG_*) */
	MSG_KERNEL_SA_ADD = 128,
	MSG_KERNEL_SA_DELETE,
	MSG_KERNEL_SA_STATS,
	MSG_KERNEL_POLICY_ADD,
	MSG_KERNEL_POLICY_DELETE,
	MSG_KERNEL_FLUSH,
	MSG_KERNEL_RESULT,
	MSG_KERNEL_SA_COUNTERS,
	MSG_KERNEL_EVENT,
	MSG_KERNEL_MAX
};

/* ctl_load flags */
#define CTL_LOAD_DRYRUN		0x0001
#define CTL_LOAD_STDIN		0x0002	/* no path to reload later */
#define CTL_LOAD_ALL		0x0003

struct ctl_load {
	uint32_t	 cl_flags;
	char		 cl_path[PATH_MAX];	/* for "reload"; may be "" */
};

enum ctl_show_what { SHOW_POLICY = 1, SHOW_STATS, SHOW_SA, SHOW_MAX };
#define CTL_SHOW_JSON		0x0001
#define CTL_SHOW_ALL		0x0001

struct ctl_show {
	uint32_t	 cs_what;
	uint32_t	 cs_flags;
};

enum ctl_reset_what { RESET_ALL = 1, RESET_SA, RESET_POLICY, RESET_ID,
	RESET_MAX };

struct ctl_reset {
	uint32_t	 cr_what;
	char		 cr_id[POL_ID_MAX + 1];
};

enum ctl_mode_what { MODE_ACTIVE = 1, MODE_PASSIVE, MODE_COUPLE,
	MODE_DECOUPLE, MODE_MAX };

struct ctl_mode {
	uint32_t	 cm_mode;
};

/* "ikectl lookup SRC DST": which policy and SA that traffic would use */
struct ctl_lookup {
	uint32_t	 cl_af;		/* AF_INET, AF_INET6 */
	uint8_t		 cl_src[16];	/* network order, IPv4 in [0..3] */
	uint8_t		 cl_dst[16];
};

#define CTL_MSG_MAX	1024

struct ctl_end {
	int32_t		 ce_status;	/* 0 ok, else failure */
	char		 ce_msg[CTL_MSG_MAX];
};

#define GEN_PREPARE_DRYRUN	0x0001
#define GEN_PREPARE_ALL		0x0001

struct gen_prepare {
	uint64_t	 gp_gen;
	uint32_t	 gp_flags;
	uint64_t	 gp_size;	/* bytes of the blob behind the fd */
	uint8_t		 gp_digest[32];
};

/* what a new generation changes, computed by the ikev2 process */
struct gen_diff {
	uint32_t	 gd_added;
	uint32_t	 gd_removed;
	uint32_t	 gd_changed;
	uint32_t	 gd_kept;
	uint32_t	 gd_sa_kept;	/* SAs re-bound to a kept policy */
	uint32_t	 gd_sa_rekey;	/* SAs of changed policies */
	uint32_t	 gd_sa_delete;	/* SAs whose policy is gone */
};

struct gen_result {
	uint64_t	 gr_gen;
	int32_t		 gr_status;	/* 0 prepared, else failed */
	struct gen_diff	 gr_diff;
	char		 gr_msg[CTL_MSG_MAX];
};

struct gen_id {
	uint64_t	 gi_gen;
};

/* a UDP socket bound by the parent for IKE (port 500 or 4500) */
struct ike_socket {
	uint32_t	 is_af;		/* AF_INET, AF_INET6 */
	uint32_t	 is_port;
};

/*
 * What the ikev2 process counts, shown by "ikectl show stats": every
 * field a uint64_t, each named in ike_counter_names[] (msg.c).
 */
struct ike_counters {
	uint64_t	 ic_rx;			/* datagrams received */
	uint64_t	 ic_tx;
	uint64_t	 ic_malformed;		/* dropped: could not parse */
	uint64_t	 ic_dropped;		/* dropped: no SA, bad ICV... */
	uint64_t	 ic_retransmits;	/* requests sent again */
	uint64_t	 ic_dup_answered;	/* from the cached response */
	uint64_t	 ic_no_proposal;	/* NO_PROPOSAL_CHOSEN either way */
	uint64_t	 ic_auth_failed;	/* AUTHENTICATION_FAILED */
	uint64_t	 ic_ts_unacceptable;
	uint64_t	 ic_ike_sas;		/* established so far */
	uint64_t	 ic_child_sas;
	uint64_t	 ic_kernel_errors;
	/* the SA life cycle */
	uint64_t	 ic_child_rekeys;	/* CHILD SAs rekeyed */
	uint64_t	 ic_ike_rekeys;		/* IKE SAs rekeyed */
	uint64_t	 ic_rekey_collisions;	/* simultaneous rekeys */
	uint64_t	 ic_expired;		/* hard expiry in the kernel */
	uint64_t	 ic_deletes_rx;		/* Deletes from peers */
	uint64_t	 ic_dpd_sent;		/* liveness checks */
	uint64_t	 ic_dead_peers;		/* no answer: SAs removed */
	uint64_t	 ic_reinitiated;	/* active policies brought back */
	uint64_t	 ic_nat_detected;	/* IKE SAs with a NAT between */
	uint64_t	 ic_nat_keepalives;
	uint64_t	 ic_peer_moved;		/* peer's address or port changed */
	/* floods (RFC 7296 2.6) and fragmentation (RFC 7383) */
	uint64_t	 ic_cookies_sent;	/* COOKIE asked of a peer */
	uint64_t	 ic_cookies_verified;	/* requests with a good one */
	uint64_t	 ic_cookies_refused;	/* with a wrong or stale one */
	uint64_t	 ic_cookies_answered;	/* as initiator: sent again */
	uint64_t	 ic_halfopen_refused;	/* a half-open bound reached */
	uint64_t	 ic_frags_sent;		/* SKF datagrams sent */
	uint64_t	 ic_frags_received;	/* SKF, authenticated */
	uint64_t	 ic_reasm_done;		/* messages reassembled */
	uint64_t	 ic_reasm_dropped;	/* reassemblies given up */
};

/* JSON key and text label of each counter, in field order. */
struct ike_counter_name {
	const char	*icn_json;
	const char	*icn_text;
	size_t		 icn_off;
};
extern const struct ike_counter_name ike_counter_names[];
extern const size_t ike_counter_nnames;
uint64_t ike_counter(const struct ike_counters *, size_t);

/* msg.c: pure functions, no I/O */
int	 msg_hdr_parse(const uint8_t *, size_t, struct msg_hdr *);
void	 msg_hdr_encode(const struct msg_hdr *, uint8_t *);
int	 ctl_load_decode(const uint8_t *, size_t, struct ctl_load *);
size_t	 ctl_load_encode(const struct ctl_load *, uint8_t *, size_t);
int	 ctl_show_decode(const uint8_t *, size_t, struct ctl_show *);
size_t	 ctl_show_encode(const struct ctl_show *, uint8_t *, size_t);
int	 ctl_reset_decode(const uint8_t *, size_t, struct ctl_reset *);
size_t	 ctl_reset_encode(const struct ctl_reset *, uint8_t *, size_t);
int	 ctl_mode_decode(const uint8_t *, size_t, struct ctl_mode *);
size_t	 ctl_mode_encode(const struct ctl_mode *, uint8_t *, size_t);
int	 ctl_end_decode(const uint8_t *, size_t, struct ctl_end *);
size_t	 ctl_end_encode(const struct ctl_end *, uint8_t *, size_t);
int	 gen_prepare_decode(const uint8_t *, size_t, struct gen_prepare *);
size_t	 gen_prepare_encode(const struct gen_prepare *, uint8_t *, size_t);
int	 gen_result_decode(const uint8_t *, size_t, struct gen_result *);
size_t	 gen_result_encode(const struct gen_result *, uint8_t *, size_t);
int	 gen_id_decode(const uint8_t *, size_t, struct gen_id *);
size_t	 gen_id_encode(const struct gen_id *, uint8_t *, size_t);
int	 ctl_lookup_decode(const uint8_t *, size_t, struct ctl_lookup *);
size_t	 ctl_lookup_encode(const struct ctl_lookup *, uint8_t *, size_t);
int	 ike_socket_decode(const uint8_t *, size_t, struct ike_socket *);
size_t	 ike_socket_encode(const struct ike_socket *, uint8_t *, size_t);
int	 ike_counters_decode(const uint8_t *, size_t, struct ike_counters *);
size_t	 ike_counters_encode(const struct ike_counters *, uint8_t *, size_t);

/* msgconn.c: one end of a stream socket carrying messages */
struct event_base;
struct msgconn;
typedef void	 (*msg_cb)(struct msgconn *, struct msg *, void *);
typedef void	 (*msg_eof_cb)(struct msgconn *, const char *, void *);

struct msgconn	*msgconn_new(struct event_base *, int, msg_cb, msg_eof_cb,
		    void *);
void		 msgconn_free(struct msgconn *);
int		 msgconn_send(struct msgconn *, uint32_t, uint32_t,
		    const void *, size_t, int);
int		 msgconn_fd(const struct msgconn *);
size_t		 msgconn_pending(const struct msgconn *);

/* blocking use, for ikectl: */
int	 msg_send_sync(int, uint32_t, uint32_t, const void *, size_t, int);
int	 msg_recv_sync(int, struct msg *, uint8_t *, size_t);

#endif /* MSG_H */
