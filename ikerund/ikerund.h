/*
 * ikerund: the IKEv2 daemon.  Three processes (parent, ca, ikev2) on one
 * libevent loop each, talking over socketpairs with framed messages
 * (common/msg.h).  This header is the table of contents.
 */
#ifndef IKERUND_H
#define IKERUND_H

#include <sys/queue.h>
#include <sys/types.h>

#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "blob.h"
#include "msg.h"
#include "policy.h"
#include "util.h"

#define IKERUND_USER		"_ikerund"
#define IKERUND_SOCKET		"/run/ikerund.sock"
#define IKERUND_PIDFILE		"/run/ikerund.pid"
#define IKERUND_KEYDIR		"/etc/ikerund"
#define IKERUND_EMPTY		"/var/lib/ikerund/empty"
#define IKERUND_PREPARE_TIMEOUT	60	/* seconds for children to answer */
#define IKERUND_CHILD_FD	3	/* socketpair end in a child */

enum proc_id {
	PROC_PARENT = 0,
	PROC_CA,
	PROC_IKEV2,
	PROC_MAX
};

/* Options shared by every process (passed on to the children). */
struct ikerund_opts {
	int		 o_debug;	/* foreground, log to stderr */
	int		 o_verbose;
	const char	*o_blob;	/* -f: initial blob */
	const char	*o_socket;
	const char	*o_pidfile;
	const char	*o_pubkey;	/* -k: require blobs signed by it */
	const char	*o_keydir;	/* ca chroot */
	const char	*o_empty;	/* ikev2 chroot */
	const char	*o_user;
	const char	*o_cookies;	/* -C: half-open SAs before cookies */
};

/* One loaded generation of the policy. */
struct generation {
	uint64_t		 g_num;
	struct policy_set	*g_ps;
	struct blob_info	 g_info;
	time_t			 g_loaded;
};

/* An SA as the policy layer sees it (the IKE engine fills the rest). */
enum sa_state {
	SA_LARVAL = 0,
	SA_ESTABLISHED,
	SA_REKEY,		/* its policy changed: rekey with the new one */
	SA_DELETING		/* its policy is gone: Delete sent, removal */
};

struct sa {
	uint64_t		 sa_id;
	char			*sa_policy_name;	/* what it was made by */
	const struct policy	*sa_policy;		/* bound in this gen */
	uint64_t		 sa_gen;
	int			 sa_state;
	char			*sa_peer_id;
	time_t			 sa_created;
	TAILQ_ENTRY(sa)		 sa_entry;

	/* filled by the IKE engine (ikev2_exch.c), shown by "show sa" */
	struct ikesa		*sa_ike;	/* its protocol state */
	int			 sa_initiator;	/* we began the IKE SA */
	char			 sa_local[64];	/* addresses */
	char			 sa_peer[64];
	char			 sa_local_id[128];
	uint64_t		 sa_ispi;
	uint64_t		 sa_rspi;
	char			 sa_ike_algs[64];
	char			 sa_child_algs[64];	/* "" with no CHILD SA */
	char			 sa_child_mode[16];
	uint32_t		 sa_spi_in;
	uint32_t		 sa_spi_out;
	uint64_t		 sa_bytes_in;
	uint64_t		 sa_bytes_out;
	time_t			 sa_established;
};
TAILQ_HEAD(sa_list, sa);

/* ikerund.c (parent) */
__dead void	 parent_main(struct ikerund_opts *);

/* proc.c */
pid_t	 proc_spawn(enum proc_id, const struct ikerund_opts *, int *);
void	 proc_sandbox(enum proc_id, const char *, const char *);
const char *proc_name(enum proc_id);

/* control.c */
struct control;
struct control	*control_init(struct event_base *, const char *);
void		 control_cleanup(struct control *, const char *);
struct ctl_client;
void		 control_reply_data(struct ctl_client *, uint32_t,
		    const char *, size_t);
void		 control_reply_end(struct ctl_client *, uint32_t, int,
		    const char *, ...) __attribute__((__format__(printf, 4, 5)));
void		 control_client_hold(struct ctl_client *);
void		 control_client_release(struct ctl_client *);
int		 control_client_gone(const struct ctl_client *);

/* ikerund.c: what the parent does with control requests */
void	 parent_dispatch_control(struct ctl_client *, struct msg *);
void	 parent_stats_refused_client(void);
void	 parent_stats_malformed(void);

/* ca.c */
__dead void	 ca_main(const struct ikerund_opts *);

/* ikev2.c */
__dead void	 ikev2_main(const struct ikerund_opts *);
int		 ikev2_passive(void);

/* ikev2_exch.c: the IKEv2 protocol engine of the ikev2 process */
void	 ikev2_exch_init(struct event_base *, struct msgconn *,
	    struct sa_list *, const struct generation *);
void	 ikev2_socket_add(struct msg *);
void	 ikev2_kernel_msg(struct msg *);
void	 ikev2_sa_destroy(struct sa *, int);
void	 ikev2_initiate_active(int);
void	 ikev2_generation_changed(void);
void	 ikev2_set_decouple(int);
void	 ikev2_lookup(const struct ctl_lookup *, FILE *);
void	 ikev2_shutdown(void);
void	 ikev2_counters_refresh(void (*)(void *), void *);
void	 ikev2_counters_send(void);
void	 ikev2_set_cookie_threshold(size_t);

/* sa.c: SA bookkeeping across generations */
void	 sa_diff(const struct policy_set *, const struct policy_set *,
	    const struct sa_list *, struct gen_diff *);
size_t	 sa_rebind(struct sa_list *, const struct policy_set *, uint64_t,
	    struct sa_list *);
struct sa *sa_new(struct sa_list *, uint64_t, const char *, const char *);
void	 sa_free(struct sa *);

/* show.c: text and JSON views */
void	 show_policies(const struct policy_set *, int, FILE *);
void	 json_string(FILE *, const char *);
void	 show_sas(const struct sa_list *, int, FILE *);

/* gen.c: generations shared by the processes */
int	 gen_load_fd(int, uint64_t, const uint8_t *, struct generation *,
	    char *, size_t);
void	 gen_free(struct generation *);
int	 gen_memfd(const uint8_t *, size_t);

#endif /* IKERUND_H */
