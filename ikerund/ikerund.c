/*
 * ikerund: main and the parent process.  The parent owns the control
 * socket and the blob files, verifies every blob before anything
 * changes, and runs the two-phase switch to a new generation: every
 * process prepares it beside the running one and acknowledges, then all
 * commit; any failure aborts everywhere.  One load at a time.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/ipsec.h>
#include <linux/xfrm.h>

#include <err.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cookie.h"
#include "ikerund.h"
#include "kernel.h"
#include "log.h"

enum load_origin { LOAD_CLIENT, LOAD_STARTUP, LOAD_SIGHUP, LOAD_RESET };

/* The load in progress. */
struct pending {
	int			 p_active;
	enum load_origin	 p_origin;
	struct ctl_client	*p_client;
	uint32_t		 p_reqid;
	int			 p_dryrun;
	uint64_t		 p_gen;
	struct generation	 p_new;
	char			 p_path[PATH_MAX];
	uint32_t		 p_attempt;	/* id of our prepare */
	int			 p_committing;	/* phase two */
	int			 p_timedout;
	int			 p_acked[PROC_MAX];	/* prepared */
	int			 p_committed[PROC_MAX];
	int			 p_failed;
	char			 p_msg[CTL_MSG_MAX];
	struct gen_diff		 p_diff;
	struct timespec		 p_start;
	struct event		*p_timer;
};

/* A "show" relayed to the ikev2 process. */
struct relay {
	struct ctl_client	*r_client;
	uint32_t		 r_reqid;
	uint32_t		 r_id;		/* our id towards the child */
	TAILQ_ENTRY(relay)	 r_entry;
};

static struct {
	struct ikerund_opts	*opts;
	struct event_base	*base;
	struct control		*control;
	struct msgconn		*child[PROC_MAX];
	pid_t			 pid[PROC_MAX];
	int			 ready[PROC_MAX];
	struct generation	 cur;
	struct pending		 pend;
	TAILQ_HEAD(, relay)	 relays;
	uint32_t		 nextid;
	char			 lastpath[PATH_MAX];
	int			 passive;	/* runtime override */
	int			 decouple;
	int			 mode_set;	/* overrides the blob's */
	int			 exiting;
	struct kernel		*kernel;	/* XFRM netlink */
	struct event		*kev;		/* kernel events */
	struct ike_counters	 ikec;		/* ikev2's counters */
	/* statistics */
	uint64_t		 st_loads;
	uint64_t		 st_refused;
	uint64_t		 st_dryruns;
	uint64_t		 st_busy;
	uint64_t		 st_ctl_refused;
	uint64_t		 st_malformed;
	double			 st_last_load_ms;
	char			 st_last_error[CTL_MSG_MAX];
	time_t			 st_started;
} env;

static __dead void parent_shutdown(int);
static void	 load_finish(void);
static void	 load_timeout(int, short, void *);

static __dead void
usage(void)
{
	fprintf(stderr, "usage: ikerund [-dv] [-C threshold] [-E emptydir] "
	    "[-f blob] [-K keydir]\n"
	    "               [-k pubkey] [-P pidfile] [-s socket] "
	    "[-u user]\n");
	exit(1);
}

void
parent_stats_refused_client(void)
{
	env.st_ctl_refused++;
}

void
parent_stats_malformed(void)
{
	env.st_malformed++;
}

static void
set_error(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(env.st_last_error, sizeof(env.st_last_error), fmt, ap);
	va_end(ap);
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return ((t1.tv_sec - t0->tv_sec) * 1e3 +
	    (t1.tv_nsec - t0->tv_nsec) / 1e6);
}

/*
 * Start a load of the blob behind fd.  The bytes are read, verified and
 * decoded here, before anything changes; then every child prepares.
 */
static void
load_start(int fd, enum load_origin origin, struct ctl_client *cc,
    uint32_t reqid, const struct ctl_load *cl)
{
	struct pending		*p = &env.pend;
	struct gen_prepare	 gp;
	struct timeval		 tv = { IKERUND_PREPARE_TIMEOUT, 0 };
	struct stat		 st;
	uint8_t			*buf = NULL, msg[sizeof(gp) + 16];
	const char		*pubkey;
	char			 err[256];
	size_t			 len, mlen;
	int			 mfd, i, flags;

	if (p->p_active) {
		env.st_busy++;
		if (cc != NULL)
			control_reply_end(cc, reqid, 1, "busy: another load "
			    "is in progress, try again");
		else
			log_warnx("reload skipped: another load is in "
			    "progress");
		close(fd);
		return;
	}
	memset(p, 0, sizeof(*p));
	clock_gettime(CLOCK_MONOTONIC, &p->p_start);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, sizeof(err), "refused: the blob must be a "
		    "regular file");
		goto refuse;
	}
	if (blob_read_fd(fd, &buf, &len, err, sizeof(err)) == -1)
		goto refuse;
	close(fd);
	fd = -1;
	/* the daemon's own empty policy ("reset policy") needs no signer */
	pubkey = origin == LOAD_RESET ? NULL : env.opts->o_pubkey;
	flags = pubkey != NULL ? BLOB_F_REQUIRE_SIGNED : 0;
	if (blob_decode(buf, len, pubkey, flags, &p->p_new.g_ps,
	    &p->p_new.g_info, err, sizeof(err)) == -1) {
		freezero(buf, len);
		goto refuse;
	}

	p->p_active = 1;
	p->p_origin = origin;
	p->p_client = cc;
	if (cc != NULL)
		control_client_hold(cc);
	p->p_reqid = reqid;
	p->p_dryrun = cl != NULL && (cl->cl_flags & CTL_LOAD_DRYRUN);
	p->p_gen = env.cur.g_num + 1;
	p->p_new.g_num = p->p_gen;
	p->p_attempt = ++env.nextid;
	if (cl != NULL && !(cl->cl_flags & CTL_LOAD_STDIN))
		strlcpy(p->p_path, cl->cl_path, sizeof(p->p_path));

	memset(&gp, 0, sizeof(gp));
	gp.gp_gen = p->p_gen;
	gp.gp_flags = p->p_dryrun ? GEN_PREPARE_DRYRUN : 0;
	gp.gp_size = len;
	memcpy(gp.gp_digest, p->p_new.g_info.bi_digest, 32);
	mlen = gen_prepare_encode(&gp, msg, sizeof(msg));
	if ((mfd = gen_memfd(buf, len)) == -1)
		fatal("memfd");
	freezero(buf, len);
	for (i = PROC_CA; i < PROC_MAX; i++) {
		int	 d;

		if ((d = dup(mfd)) == -1)
			fatal("dup");
		if (msgconn_send(env.child[i], MSG_GEN_PREPARE, p->p_attempt,
		    msg, mlen, d) == -1)
			fatalx("%s process is not reading", proc_name(i));
	}
	close(mfd);
	p->p_timer = evtimer_new(env.base, load_timeout, NULL);
	evtimer_add(p->p_timer, &tv);
	return;

 refuse:
	if (fd != -1)
		close(fd);
	env.st_refused++;
	set_error("%s", err);
	log_warnx("load refused: %s", err);
	if (cc != NULL)
		control_reply_end(cc, reqid, 1, "%s", err);
	memset(p, 0, sizeof(*p));
}

static void
load_send_all(uint32_t type, uint64_t gen)
{
	struct gen_id	 gi = { gen };
	uint8_t		 buf[16];
	size_t		 len;
	int		 i;

	len = gen_id_encode(&gi, buf, sizeof(buf));
	for (i = PROC_CA; i < PROC_MAX; i++)
		msgconn_send(env.child[i], type, 0, buf, len, -1);
}

static void
load_report(const char *fmt, ...)
{
	struct pending	*p = &env.pend;
	char		 buf[CTL_MSG_MAX];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (p->p_client != NULL && !control_client_gone(p->p_client)) {
		control_reply_data(p->p_client, p->p_reqid, buf, strlen(buf));
		control_reply_data(p->p_client, p->p_reqid, "\n", 1);
	}
}

static void
load_done(int status)
{
	struct pending	*p = &env.pend;

	if (p->p_client != NULL) {
		control_reply_end(p->p_client, p->p_reqid, status, "%s",
		    p->p_msg);
		control_client_release(p->p_client);
	}
	if (p->p_timer != NULL)
		event_free(p->p_timer);
	gen_free(&p->p_new);
	memset(p, 0, sizeof(*p));
}

/*
 * Called when a child answers, and by the timer.  Decides commit or
 * abort once every child prepared; replies once every child committed.
 */
static void
load_finish(void)
{
	struct pending		*p = &env.pend;
	const struct gen_diff	*d = &p->p_diff;
	char			 hex[65];
	int			 i, all = 1, done = 1;

	if (!p->p_active)
		return;
	for (i = PROC_CA; i < PROC_MAX; i++) {
		if (!p->p_acked[i])
			all = 0;
		if (!p->p_committed[i])
			done = 0;
	}
	if (p->p_committing) {
		if (p->p_timedout)
			fatalx("generation %llu: a process did not commit in "
			    "%d seconds", (unsigned long long)p->p_gen,
			    IKERUND_PREPARE_TIMEOUT);
		if (!done)
			return;
		goto switched;
	}
	if (!all && !p->p_timedout)
		return;		/* still waiting */
	if (!all) {
		load_send_all(MSG_GEN_ABORT, p->p_gen);
		snprintf(p->p_msg, sizeof(p->p_msg), "load aborted: a "
		    "process did not prepare in %d seconds",
		    IKERUND_PREPARE_TIMEOUT);
		env.st_refused++;
		set_error("%s", p->p_msg);
		log_warnx("%s", p->p_msg);
		load_done(1);
		return;
	}
	if (p->p_failed) {
		load_send_all(MSG_GEN_ABORT, p->p_gen);
		env.st_refused++;
		set_error("%s", p->p_msg);
		log_warnx("load refused: %s", p->p_msg);
		load_done(1);
		return;
	}
	blob_digest_hex(&p->p_new.g_info, hex, sizeof(hex));
	if (p->p_dryrun) {
		load_send_all(MSG_GEN_ABORT, p->p_gen);
		env.st_dryruns++;
		load_report("dry run: blob is valid, would become generation "
		    "%llu, digest %s", (unsigned long long)p->p_gen, hex);
		load_report("policies: %u added, %u removed, %u changed, %u "
		    "kept", d->gd_added, d->gd_removed, d->gd_changed,
		    d->gd_kept);
		load_report("SAs: %u kept, %u to rekey, %u to delete",
		    d->gd_sa_kept, d->gd_sa_rekey, d->gd_sa_delete);
		strlcpy(p->p_msg, "nothing changed (dry run)",
		    sizeof(p->p_msg));
		load_done(0);
		return;
	}
	/* everyone prepared: commit everywhere, switch here once all did */
	p->p_committing = 1;
	load_send_all(MSG_GEN_COMMIT, p->p_gen);
	return;

 switched:
	blob_digest_hex(&p->p_new.g_info, hex, sizeof(hex));

	gen_free(&env.cur);
	env.cur = p->p_new;
	env.cur.g_loaded = time(NULL);
	memset(&p->p_new, 0, sizeof(p->p_new));
	if (p->p_path[0] != '\0')
		strlcpy(env.lastpath, p->p_path, sizeof(env.lastpath));
	else if (p->p_origin == LOAD_CLIENT)
		env.lastpath[0] = '\0';
	env.st_loads++;
	env.st_last_load_ms = elapsed_ms(&p->p_start);
	log_info("generation %llu active: digest %s, %zu policies "
	    "(%u added, %u removed, %u changed, %u kept)",
	    (unsigned long long)env.cur.g_num, hex,
	    env.cur.g_ps->ps_npolicies, d->gd_added, d->gd_removed,
	    d->gd_changed, d->gd_kept);
	load_report("generation %llu loaded, digest %s",
	    (unsigned long long)env.cur.g_num, hex);
	load_report("policies: %u added, %u removed, %u changed, %u kept",
	    d->gd_added, d->gd_removed, d->gd_changed, d->gd_kept);
	load_report("SAs: %u kept, %u to rekey, %u deleted", d->gd_sa_kept,
	    d->gd_sa_rekey, d->gd_sa_delete);
	snprintf(p->p_msg, sizeof(p->p_msg), "generation %llu",
	    (unsigned long long)env.cur.g_num);
	load_done(0);
}

static void
load_timeout(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	env.pend.p_timedout = 1;
	load_finish();
}

static void
parent_child_prepared(enum proc_id id, struct msg *m)
{
	struct pending		*p = &env.pend;
	struct gen_result	 gr;

	if (gen_result_decode(m->m_data, m->m_hdr.mh_len, &gr) == -1)
		fatalx("malformed prepare result from %s", proc_name(id));
	if (!p->p_active || m->m_hdr.mh_id != p->p_attempt ||
	    gr.gr_gen != p->p_gen || p->p_acked[id] || p->p_committing)
		return;		/* late answer to an aborted load */
	p->p_acked[id] = 1;
	if (gr.gr_status != 0) {
		if (!p->p_failed)
			snprintf(p->p_msg, sizeof(p->p_msg), "refused by the "
			    "%s process: %.900s", proc_name(id), gr.gr_msg);
		p->p_failed = 1;
	}
	if (id == PROC_IKEV2)
		p->p_diff = gr.gr_diff;
	load_finish();
}

static void
parent_child_committed(enum proc_id id, struct msg *m)
{
	struct pending	*p = &env.pend;
	struct gen_id	 gi;

	if (gen_id_decode(m->m_data, m->m_hdr.mh_len, &gi) == -1)
		fatalx("malformed commit answer from %s", proc_name(id));
	if (!p->p_active || gi.gi_gen != p->p_gen)
		fatalx("%s committed generation %llu out of turn",
		    proc_name(id), (unsigned long long)gi.gi_gen);
	p->p_committed[id] = 1;
	load_finish();
}

static struct relay *
relay_find(uint32_t id)
{
	struct relay	*r;

	TAILQ_FOREACH(r, &env.relays, r_entry)
		if (r->r_id == id)
			return (r);
	return (NULL);
}

static void
relay_new(struct ctl_client *cc, uint32_t reqid, uint32_t type,
    const void *data, size_t len)
{
	struct relay	*r;

	r = xcalloc(1, sizeof(*r));
	r->r_client = cc;
	r->r_reqid = reqid;
	r->r_id = ++env.nextid;
	control_client_hold(cc);
	TAILQ_INSERT_TAIL(&env.relays, r, r_entry);
	msgconn_send(env.child[PROC_IKEV2], type, r->r_id, data, len, -1);
}

static void
parent_child_relay(struct msg *m)
{
	struct relay	*r;
	struct ctl_end	 ce;

	if ((r = relay_find(m->m_hdr.mh_id)) == NULL)
		fatalx("ikev2 answered a request that was not made");
	if (m->m_hdr.mh_type == MSG_CHILD_DATA) {
		control_reply_data(r->r_client, r->r_reqid,
		    (const char *)m->m_data, m->m_hdr.mh_len);
		return;
	}
	if (ctl_end_decode(m->m_data, m->m_hdr.mh_len, &ce) == -1)
		fatalx("malformed answer from ikev2");
	control_reply_end(r->r_client, r->r_reqid, ce.ce_status, "%s",
	    ce.ce_msg);
	control_client_release(r->r_client);
	TAILQ_REMOVE(&env.relays, r, r_entry);
	free(r);
}

/*
 * A kernel request of the ikev2 process: kernel_request() decodes and
 * validates it before the kernel is touched; the answer goes back with
 * the request's id.
 */
static void
parent_kernel_request(struct msg *m)
{
	struct kernel_result	 kr;
	uint8_t			 reply[KERNEL_PAYLOAD_MAX];
	uint32_t		 rtype;
	size_t			 len;

	if (env.kernel == NULL) {
		memset(&kr, 0, sizeof(kr));
		kr.kr_error = ENODEV;
		strlcpy(kr.kr_msg, "no XFRM netlink socket", sizeof(kr.kr_msg));
		rtype = KMSG_RESULT;
		len = kernel_result_encode(&kr, reply, sizeof(reply));
	} else
		len = kernel_request(env.kernel, m->m_hdr.mh_type, m->m_data,
		    m->m_hdr.mh_len, &rtype, reply, sizeof(reply));
	if (len == 0)
		fatalx("kernel: cannot encode the answer to request %u",
		    m->m_hdr.mh_type);
	msgconn_send(env.child[PROC_IKEV2], rtype, m->m_hdr.mh_id, reply,
	    len, -1);
}

static void
parent_kernel_event_one(const struct kernel_event *ke, void *arg)
{
	uint8_t	 buf[KERNEL_PAYLOAD_MAX];
	size_t	 len;

	(void)arg;
	if ((len = kernel_event_encode(ke, buf, sizeof(buf))) == 0)
		return;
	msgconn_send(env.child[PROC_IKEV2], MSG_KERNEL_EVENT, 0, buf, len, -1);
}

static void
parent_kernel_events(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (kernel_events_read(env.kernel, parent_kernel_event_one,
	    NULL) == -1 && errno == ENOBUFS)
		log_warnx("kernel: notifications were lost");
}

/*
 * IKE's own datagrams bypass IPsec policies: a transport-mode policy
 * between the two hosts would otherwise catch them too.
 */
static int
sock_bypass(int fd, int af)
{
	struct xfrm_userpolicy_info	 pol;
	int				 level, opt;

	level = af == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	opt = af == AF_INET ? IP_XFRM_POLICY : IPV6_XFRM_POLICY;
	memset(&pol, 0, sizeof(pol));
	pol.action = XFRM_POLICY_ALLOW;
	pol.sel.family = af;
	pol.lft.soft_byte_limit = XFRM_INF;
	pol.lft.hard_byte_limit = XFRM_INF;
	pol.lft.soft_packet_limit = XFRM_INF;
	pol.lft.hard_packet_limit = XFRM_INF;
	pol.dir = XFRM_POLICY_IN;
	if (setsockopt(fd, level, opt, &pol, sizeof(pol)) == -1)
		return (-1);
	pol.dir = XFRM_POLICY_OUT;
	return (setsockopt(fd, level, opt, &pol, sizeof(pol)));
}

/*
 * The UDP sockets of IKE, bound here (port 500 needs root) and passed
 * to the ikev2 process, which never opens a socket itself.  A port that
 * cannot be bound is logged and left out.
 */
static void
parent_ike_sockets(void)
{
	static const int	 afs[] = { AF_INET, AF_INET6 };
	static const int	 ports[] = { 500, 4500 };
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct ike_socket	 is;
	uint8_t			 buf[16];
	socklen_t		 sslen;
	size_t			 i, j, len;
	int			 fd, one = 1, encap = UDP_ENCAP_ESPINUDP;
	int			 rcvbuf = 4 * 1024 * 1024;

	for (i = 0; i < nitems(afs); i++) {
		for (j = 0; j < nitems(ports); j++) {
			memset(&ss, 0, sizeof(ss));
			if (afs[i] == AF_INET) {
				sin->sin_family = AF_INET;
				sin->sin_port = htons(ports[j]);
				sslen = sizeof(*sin);
			} else {
				sin6->sin6_family = AF_INET6;
				sin6->sin6_port = htons(ports[j]);
				sslen = sizeof(*sin6);
			}
			if ((fd = socket(afs[i], SOCK_DGRAM | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, IPPROTO_UDP)) == -1) {
				log_warn("IKE socket (%s)", afs[i] == AF_INET ?
				    "inet" : "inet6");
				continue;
			}
			(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
			    sizeof(one));
			/* bursts of IKE_SA_INIT must not overflow it */
			if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
			    sizeof(rcvbuf)) == -1)
				(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
				    &rcvbuf, sizeof(rcvbuf));
			if ((afs[i] == AF_INET && setsockopt(fd, IPPROTO_IP,
			    IP_PKTINFO, &one, sizeof(one)) == -1) ||
			    (afs[i] == AF_INET6 && (setsockopt(fd,
			    IPPROTO_IPV6, IPV6_V6ONLY, &one,
			    sizeof(one)) == -1 || setsockopt(fd, IPPROTO_IPV6,
			    IPV6_RECVPKTINFO, &one, sizeof(one)) == -1)) ||
			    bind(fd, (struct sockaddr *)&ss, sslen) == -1) {
				log_warn("IKE socket %s port %d: left out",
				    afs[i] == AF_INET ? "inet" : "inet6",
				    ports[j]);
				close(fd);
				continue;
			}
			/* ESP in UDP arrives here; the kernel takes it */
			if (ports[j] == 4500 && setsockopt(fd, IPPROTO_UDP,
			    UDP_ENCAP, &encap, sizeof(encap)) == -1)
				log_warn("IKE socket %s port 4500: no UDP "
				    "encapsulation of ESP", afs[i] == AF_INET ?
				    "inet" : "inet6");
			if (sock_bypass(fd, afs[i]) == -1)
				log_warn("IKE socket %s port %d: no IPsec "
				    "bypass", afs[i] == AF_INET ? "inet" :
				    "inet6", ports[j]);
			is.is_af = afs[i];
			is.is_port = ports[j];
			len = ike_socket_encode(&is, buf, sizeof(buf));
			msgconn_send(env.child[PROC_IKEV2], MSG_IKE_SOCKET, 0,
			    buf, len, fd);
		}
	}
}

static void
parent_child_msg(struct msgconn *mc, struct msg *m, void *arg)
{
	enum proc_id	 id = (enum proc_id)(intptr_t)arg;

	(void)mc;
	if (m->m_fd != -1) {
		/* children never pass descriptors up */
		close(m->m_fd);
		fatalx("%s process passed a descriptor", proc_name(id));
	}
	switch (m->m_hdr.mh_type) {
	case MSG_CHILD_READY:
		env.ready[id] = 1;
		log_debug("%s process ready", proc_name(id));
		break;
	case MSG_GEN_PREPARED:
		parent_child_prepared(id, m);
		break;
	case MSG_GEN_COMMITTED:
		parent_child_committed(id, m);
		break;
	case MSG_CHILD_DATA:
	case MSG_CHILD_END:
		if (id != PROC_IKEV2)
			fatalx("%s process sent output", proc_name(id));
		parent_child_relay(m);
		break;
	case MSG_IKE_COUNTERS:
		if (id != PROC_IKEV2 || ike_counters_decode(m->m_data,
		    m->m_hdr.mh_len, &env.ikec) == -1)
			fatalx("malformed counters from %s process",
			    proc_name(id));
		break;
	case MSG_KERNEL_SA_ADD:
	case MSG_KERNEL_SA_DELETE:
	case MSG_KERNEL_SA_STATS:
	case MSG_KERNEL_POLICY_ADD:
	case MSG_KERNEL_POLICY_DELETE:
	case MSG_KERNEL_FLUSH:
		if (id != PROC_IKEV2)
			fatalx("%s process asked for a kernel change",
			    proc_name(id));
		parent_kernel_request(m);
		break;
	default:
		fatalx("unexpected message %u from %s process",
		    m->m_hdr.mh_type, proc_name(id));
	}
}

/* A child is gone: say why, as precisely as its exit status allows. */
static __dead void
child_died(enum proc_id id, pid_t pid, int st)
{
	if (WIFSIGNALED(st))
		log_warnx("%s process (pid %d) was killed by signal %d: "
		    "exiting", proc_name(id), pid, WTERMSIG(st));
	else if (WIFEXITED(st))
		log_warnx("%s process (pid %d) exited with status %d: "
		    "exiting", proc_name(id), pid, WEXITSTATUS(st));
	else
		log_warnx("lost the %s process (pid %d): exiting",
		    proc_name(id), pid);
	parent_shutdown(1);
}

static void
parent_child_gone(struct msgconn *mc, const char *why, void *arg)
{
	enum proc_id	 id = (enum proc_id)(intptr_t)arg;
	pid_t		 pid = env.pid[id];
	int		 st, i;

	(void)mc;
	if (env.exiting)
		return;
	/* its end of the socket closes when it dies: collect its status */
	for (i = 0; i < 50 && pid > 0; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			env.pid[id] = 0;
			child_died(id, pid, st);
		}
		usleep(20000);
	}
	log_warnx("lost the %s process (%s): exiting", proc_name(id), why);
	parent_shutdown(1);
}

static void
show_stats(struct ctl_client *cc, uint32_t reqid, int json)
{
	char		*text = NULL, hex[65] = "", when[64] = "";
	size_t		 len = 0;
	FILE		*fp;
	struct tm	 tm;
	size_t		 i;
	int		 passive, decouple;

	if ((fp = open_memstream(&text, &len)) == NULL) {
		control_reply_end(cc, reqid, 1, "out of memory");
		return;
	}
	if (env.cur.g_ps != NULL) {
		blob_digest_hex(&env.cur.g_info, hex, sizeof(hex));
		gmtime_r(&env.cur.g_loaded, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	passive = env.mode_set & 1 ? env.passive : env.cur.g_ps != NULL &&
	    (env.cur.g_ps->ps_globals.gl_flags & GL_PASSIVE);
	decouple = env.mode_set & 2 ? env.decouple : env.cur.g_ps != NULL &&
	    (env.cur.g_ps->ps_globals.gl_flags & GL_DECOUPLE);
	if (json) {
		fprintf(fp, "{\"generation\":%llu,\"digest\":\"%s\","
		    "\"load_time\":\"%s\",\"load_ms\":%.3f,\"policies\":%zu,"
		    "\"users\":%zu,\"loads\":%llu,\"refused\":%llu,"
		    "\"dry_runs\":%llu,\"busy\":%llu,\"last_error\":",
		    (unsigned long long)env.cur.g_num, hex, when,
		    env.st_last_load_ms,
		    env.cur.g_ps ? env.cur.g_ps->ps_npolicies : 0,
		    env.cur.g_ps ? env.cur.g_ps->ps_nusers : 0,
		    (unsigned long long)env.st_loads,
		    (unsigned long long)env.st_refused,
		    (unsigned long long)env.st_dryruns,
		    (unsigned long long)env.st_busy);
		json_string(fp, env.st_last_error);
		fprintf(fp, ",\"clients_refused\":%llu,"
		    "\"malformed_messages\":%llu,\"ike\":{",
		    (unsigned long long)env.st_ctl_refused,
		    (unsigned long long)env.st_malformed);
		for (i = 0; i < ike_counter_nnames; i++)
			fprintf(fp, "%s\"%s\":%llu", i ? "," : "",
			    ike_counter_names[i].icn_json,
			    (unsigned long long)ike_counter(&env.ikec, i));
		fprintf(fp, "},\"mode\":\"%s\",\"kernel\":\"%s\","
		    "\"uptime\":%lld}\n", passive ? "passive" : "active",
		    decouple ? "decouple" : "couple",
		    (long long)(time(NULL) - env.st_started));
	} else {
		fprintf(fp, "generation: %llu\n",
		    (unsigned long long)env.cur.g_num);
		if (env.cur.g_ps != NULL) {
			fprintf(fp, "digest: %s\nloaded: %s (%.1f ms)\n", hex,
			    when, env.st_last_load_ms);
			fprintf(fp, "policies: %zu\nusers: %zu\n",
			    env.cur.g_ps->ps_npolicies,
			    env.cur.g_ps->ps_nusers);
		}
		fprintf(fp, "loads: %llu ok, %llu refused, %llu dry runs, "
		    "%llu busy\n", (unsigned long long)env.st_loads,
		    (unsigned long long)env.st_refused,
		    (unsigned long long)env.st_dryruns,
		    (unsigned long long)env.st_busy);
		if (env.st_last_error[0] != '\0')
			fprintf(fp, "last error: %s\n", env.st_last_error);
		fprintf(fp, "control clients refused: %llu\n"
		    "malformed messages: %llu\nmode: %s, %s\n",
		    (unsigned long long)env.st_ctl_refused,
		    (unsigned long long)env.st_malformed,
		    passive ? "passive" : "active",
		    decouple ? "decouple" : "couple");
		for (i = 0; i < ike_counter_nnames; i++)
			fprintf(fp, "%s: %llu\n", ike_counter_names[i].icn_text,
			    (unsigned long long)ike_counter(&env.ikec, i));
	}
	fclose(fp);
	control_reply_data(cc, reqid, text, len);
	control_reply_end(cc, reqid, 0, "%s", "");
	free(text);
}

static void
parent_show(struct ctl_client *cc, uint32_t reqid, const struct msg *m)
{
	struct ctl_show	 cs;
	char		*text = NULL;
	size_t		 len = 0;
	FILE		*fp;

	if (ctl_show_decode(m->m_data, m->m_hdr.mh_len, &cs) == -1) {
		env.st_malformed++;
		control_reply_end(cc, reqid, 1, "malformed show request");
		return;
	}
	switch (cs.cs_what) {
	case SHOW_POLICY:
		if ((fp = open_memstream(&text, &len)) == NULL) {
			control_reply_end(cc, reqid, 1, "out of memory");
			return;
		}
		show_policies(env.cur.g_ps, cs.cs_flags & CTL_SHOW_JSON, fp);
		fclose(fp);
		control_reply_data(cc, reqid, text, len);
		control_reply_end(cc, reqid, 0, "%s", "");
		free(text);
		break;
	case SHOW_STATS:
		show_stats(cc, reqid, cs.cs_flags & CTL_SHOW_JSON);
		break;
	case SHOW_SA:
		relay_new(cc, reqid, MSG_CHILD_SHOW, m->m_data,
		    m->m_hdr.mh_len);
		break;
	}
}

/* An empty generation, for "reset policy": loaded like any other. */
static void
parent_reset_policy(struct ctl_client *cc, uint32_t reqid)
{
	struct policy_set	*ps;
	uint8_t			*buf;
	size_t			 len;
	char			 err[256];
	int			 fd;

	if ((ps = policy_set_new()) == NULL ||
	    blob_encode(ps, NULL, &buf, &len, err, sizeof(err)) == -1) {
		policy_set_free(ps);
		control_reply_end(cc, reqid, 1, "cannot make an empty "
		    "policy");
		return;
	}
	policy_set_free(ps);
	fd = gen_memfd(buf, len);
	free(buf);
	if (fd == -1) {
		control_reply_end(cc, reqid, 1, "memfd: %s", strerror(errno));
		return;
	}
	load_start(fd, LOAD_RESET, cc, reqid, NULL);
}

void
parent_dispatch_control(struct ctl_client *cc, struct msg *m)
{
	struct ctl_load		 cl;
	struct ctl_reset	 cr;
	struct ctl_mode		 cm;
	uint32_t		 id = m->m_hdr.mh_id;

	if (m->m_fd != -1 && m->m_hdr.mh_type != MSG_CTL_LOAD) {
		close(m->m_fd);
		m->m_fd = -1;
	}
	switch (m->m_hdr.mh_type) {
	case MSG_CTL_LOAD:
		if (ctl_load_decode(m->m_data, m->m_hdr.mh_len, &cl) == -1 ||
		    m->m_fd == -1) {
			if (m->m_fd != -1)
				close(m->m_fd);
			env.st_malformed++;
			control_reply_end(cc, id, 1, "malformed load request");
			return;
		}
		load_start(m->m_fd, LOAD_CLIENT, cc, id, &cl);
		break;
	case MSG_CTL_LASTPATH:
		if (env.lastpath[0] == '\0')
			control_reply_end(cc, id, 1, "nothing to reload: the "
			    "last blob did not come from a file");
		else
			control_reply_end(cc, id, 0, "%s", env.lastpath);
		break;
	case MSG_CTL_SHOW:
		parent_show(cc, id, m);
		break;
	case MSG_CTL_RESET:
		if (ctl_reset_decode(m->m_data, m->m_hdr.mh_len, &cr) == -1) {
			env.st_malformed++;
			control_reply_end(cc, id, 1, "malformed reset request");
			return;
		}
		if (cr.cr_what == RESET_POLICY) {
			parent_reset_policy(cc, id);
			return;
		}
		if (cr.cr_what == RESET_ALL) {
			/* SAs go with the policies that made them */
			parent_reset_policy(cc, id);
			return;
		}
		relay_new(cc, id, MSG_CHILD_RESET, m->m_data, m->m_hdr.mh_len);
		break;
	case MSG_CTL_LOOKUP: {
		struct ctl_lookup	 lk;

		if (ctl_lookup_decode(m->m_data, m->m_hdr.mh_len, &lk) == -1) {
			env.st_malformed++;
			control_reply_end(cc, id, 1, "malformed lookup "
			    "request");
			return;
		}
		relay_new(cc, id, MSG_CHILD_LOOKUP, m->m_data,
		    m->m_hdr.mh_len);
		break;
	}
	case MSG_CTL_MODE:
		if (ctl_mode_decode(m->m_data, m->m_hdr.mh_len, &cm) == -1) {
			env.st_malformed++;
			control_reply_end(cc, id, 1, "malformed mode request");
			return;
		}
		switch (cm.cm_mode) {
		case MODE_ACTIVE:
		case MODE_PASSIVE:
			env.passive = cm.cm_mode == MODE_PASSIVE;
			env.mode_set |= 1;
			break;
		case MODE_COUPLE:
		case MODE_DECOUPLE:
			env.decouple = cm.cm_mode == MODE_DECOUPLE;
			env.mode_set |= 2;
			break;
		}
		msgconn_send(env.child[PROC_IKEV2], MSG_CHILD_MODE, 0,
		    m->m_data, m->m_hdr.mh_len, -1);
		control_reply_end(cc, id, 0, "%s", "");
		break;
	default:
		env.st_malformed++;
		control_reply_end(cc, id, 1, "unknown request %u",
		    m->m_hdr.mh_type);
		break;
	}
}

static void
load_path(const char *path, enum load_origin origin)
{
	struct ctl_load	 cl;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		env.st_refused++;
		set_error("%s: %s", path, strerror(errno));
		log_warn("load %s", path);
		return;
	}
	memset(&cl, 0, sizeof(cl));
	strlcpy(cl.cl_path, path, sizeof(cl.cl_path));
	load_start(fd, origin, NULL, 0, &cl);
}

static __dead void
parent_shutdown(int status)
{
	int	 i, tries;

	env.exiting = 1;
	for (i = PROC_CA; i < PROC_MAX; i++)
		if (env.pid[i] > 0)
			kill(env.pid[i], SIGTERM);
	/* a child busy with a large load gets 10 seconds, then SIGKILL */
	for (i = PROC_CA; i < PROC_MAX; i++) {
		for (tries = 0; env.pid[i] > 0 && tries < 200; tries++) {
			if (waitpid(env.pid[i], NULL, WNOHANG) != 0)
				env.pid[i] = 0;
			else
				usleep(50000);
		}
		if (env.pid[i] > 0) {
			log_warnx("%s process (pid %d) did not stop: killed",
			    proc_name(i), env.pid[i]);
			kill(env.pid[i], SIGKILL);
			(void)waitpid(env.pid[i], NULL, 0);
			env.pid[i] = 0;
		}
	}
	/* the ikev2 process sent its Deletes; what it installed goes */
	kernel_close(env.kernel);
	env.kernel = NULL;
	control_cleanup(env.control, env.opts->o_socket);
	(void)unlink(env.opts->o_pidfile);
	log_info("%s", status == 0 ? "exiting" : "exiting after an error");
	exit(status);
}

static void
parent_signal(int sig, short ev, void *arg)
{
	pid_t	 pid;
	int	 st, i;

	(void)ev;
	(void)arg;
	switch (sig) {
	case SIGTERM:
	case SIGINT:
		log_info("received signal %d", sig);
		parent_shutdown(0);
		break;
	case SIGHUP:
		if (env.lastpath[0] == '\0') {
			log_warnx("SIGHUP: no blob file to reload");
			break;
		}
		log_info("SIGHUP: reloading %s", env.lastpath);
		load_path(env.lastpath, LOAD_SIGHUP);
		break;
	case SIGCHLD:
		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = PROC_CA; i < PROC_MAX; i++) {
				if (pid != env.pid[i])
					continue;
				env.pid[i] = 0;
				if (env.exiting)
					continue;
				child_died(i, pid, st);
			}
		}
		break;
	}
}

static void
ensure_dir(const char *path, mode_t mode)
{
	struct stat	 st;

	if (stat(path, &st) == -1) {
		if (errno != ENOENT)
			fatal("%s", path);
		/* one level is enough for the defaults' parents */
		if (mkdir(path, mode) == -1) {
			char	*parent = xstrdup(path), *s;

			if ((s = strrchr(parent, '/')) != NULL && s != parent) {
				*s = '\0';
				(void)mkdir(parent, 0755);
			}
			free(parent);
			if (mkdir(path, mode) == -1)
				fatal("mkdir %s", path);
		}
	}
}

static void
write_pidfile(const char *path)
{
	FILE	*fp;

	if ((fp = fopen(path, "w")) == NULL)
		fatal("pid file %s", path);
	fprintf(fp, "%d\n", (int)getpid());
	if (fclose(fp) == EOF)
		fatal("pid file %s", path);
}

void
parent_main(struct ikerund_opts *o)
{
	struct event	*sigev[4];
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	char		 err[256];
	int		 i, fd;

	env.opts = o;
	env.st_started = time(NULL);
	TAILQ_INIT(&env.relays);
	if (geteuid() != 0)
		fatalx("need root privileges");
	if (o->o_pubkey != NULL && access(o->o_pubkey, R_OK) == -1)
		fatal("public key %s", o->o_pubkey);
	ensure_dir(o->o_keydir, 0700);
	ensure_dir(o->o_empty, 0755);
	if (!o->o_debug && daemon(0, 0) == -1)
		fatal("daemon");
	log_procname("parent");
	signal(SIGPIPE, SIG_IGN);

	/* the control socket before the children: a taken one ends here */
	if ((env.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	env.control = control_init(env.base, o->o_socket);
	write_pidfile(o->o_pidfile);
	for (i = 0; i < (int)nitems(sigs); i++) {
		sigev[i] = evsignal_new(env.base, sigs[i], parent_signal, NULL);
		evsignal_add(sigev[i], NULL);
	}
	for (i = PROC_CA; i < PROC_MAX; i++) {
		env.pid[i] = proc_spawn(i, o, &fd);
		if ((env.child[i] = msgconn_new(env.base, fd,
		    parent_child_msg, parent_child_gone,
		    (void *)(intptr_t)i)) == NULL)
			fatalx("cannot talk to the %s process", proc_name(i));
	}
	/* XFRM: what a crashed run left is flushed on open */
	if ((env.kernel = kernel_open(err, sizeof(err))) == NULL)
		log_warnx("%s: no SA will be installed", err);
	else if ((fd = kernel_events_open(env.kernel)) == -1)
		log_warn("kernel: notifications");
	else {
		env.kev = event_new(env.base, fd, EV_READ | EV_PERSIST,
		    parent_kernel_events, NULL);
		event_add(env.kev, NULL);
	}
	parent_ike_sockets();
	log_info("started, pid %d", (int)getpid());
	if (o->o_blob != NULL)
		load_path(o->o_blob, LOAD_STARTUP);
	event_base_dispatch(env.base);
	parent_shutdown(0);
}

int
main(int argc, char *argv[])
{
	struct ikerund_opts	 o;
	const char		*child = NULL, *errstr;
	int			 ch;

	memset(&o, 0, sizeof(o));
	o.o_socket = IKERUND_SOCKET;
	o.o_pidfile = IKERUND_PIDFILE;
	o.o_keydir = IKERUND_KEYDIR;
	o.o_empty = IKERUND_EMPTY;
	o.o_user = IKERUND_USER;
	while ((ch = getopt(argc, argv, "C:dE:f:K:k:P:s:T:u:v")) != -1) {
		switch (ch) {
		case 'C':
			errstr = NULL;
			(void)strtonum(optarg, 0, COOKIE_HALFOPEN_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "-C %s: %s (0 to %d)", optarg, errstr,
				    COOKIE_HALFOPEN_MAX);
			o.o_cookies = optarg;
			break;
		case 'd':
			o.o_debug = 1;
			break;
		case 'E':
			o.o_empty = optarg;
			break;
		case 'f':
			o.o_blob = optarg;
			break;
		case 'K':
			o.o_keydir = optarg;
			break;
		case 'k':
			o.o_pubkey = optarg;
			break;
		case 'P':
			o.o_pidfile = optarg;
			break;
		case 's':
			o.o_socket = optarg;
			break;
		case 'T':
			child = optarg;
			break;
		case 'u':
			o.o_user = optarg;
			break;
		case 'v':
			o.o_verbose = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(o.o_debug, LOG_DAEMON);
	log_setverbose(o.o_verbose);
	if (child != NULL) {
		if (strcmp(child, "ca") == 0)
			ca_main(&o);
		else if (strcmp(child, "ikev2") == 0)
			ikev2_main(&o);
		fatalx("unknown process type %s", child);
	}
	parent_main(&o);
}
