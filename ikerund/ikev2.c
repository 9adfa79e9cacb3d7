/*
 * The ikev2 process: holds the running generation of the policy and the
 * SAs, and (with the protocol engine) all packet parsing.  It runs as
 * the unprivileged user in an empty chroot.
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cookie.h"
#include "crypto.h"
#include "ikerund.h"
#include "log.h"

static struct {
	struct event_base	*base;
	struct msgconn		*parent;
	struct generation	 cur;
	struct generation	 prep;
	struct gen_diff		 prepdiff;
	struct sa_list		 sas;
	int			 passive;	/* ikectl passive */
	int			 decouple;
	int			 mode_set;	/* 1: passive, 2: couple */
	uint32_t		 show_id;	/* "show sa" waiting */
	int			 show_json;
	struct event		*sigterm;
} ikev2;

int
ikev2_passive(void)
{
	if (ikev2.mode_set & 1)
		return (ikev2.passive);
	return (ikev2.cur.g_ps != NULL &&
	    (ikev2.cur.g_ps->ps_globals.gl_flags & GL_PASSIVE));
}

static void
ikev2_result(uint32_t id, uint64_t gen, int status, const struct gen_diff *d,
    const char *msg)
{
	struct gen_result	 gr;
	uint8_t			 buf[sizeof(gr) + 64];
	size_t			 len;

	memset(&gr, 0, sizeof(gr));
	gr.gr_gen = gen;
	gr.gr_status = status;
	if (d != NULL)
		gr.gr_diff = *d;
	strlcpy(gr.gr_msg, msg, sizeof(gr.gr_msg));
	if ((len = gen_result_encode(&gr, buf, sizeof(buf))) == 0)
		fatalx("cannot encode prepare result");
	msgconn_send(ikev2.parent, MSG_GEN_PREPARED, id, buf, len, -1);
}

static void
ikev2_prepare(struct msg *m)
{
	struct gen_prepare	 gp;
	char			 err[256];

	if (gen_prepare_decode(m->m_data, m->m_hdr.mh_len, &gp) == -1 ||
	    m->m_fd == -1)
		fatalx("malformed prepare message from parent");
	if (ikev2.prep.g_ps != NULL)
		gen_free(&ikev2.prep);
	if (gen_load_fd(m->m_fd, gp.gp_size, gp.gp_digest, &ikev2.prep, err,
	    sizeof(err)) == -1) {
		close(m->m_fd);
		log_warnx("generation %llu: %s", (unsigned long long)gp.gp_gen,
		    err);
		ikev2_result(m->m_hdr.mh_id, gp.gp_gen, 1, NULL, err);
		return;
	}
	close(m->m_fd);
	ikev2.prep.g_num = gp.gp_gen;
	sa_diff(ikev2.cur.g_ps, ikev2.prep.g_ps, &ikev2.sas, &ikev2.prepdiff);
	ikev2_result(m->m_hdr.mh_id, gp.gp_gen, 0, &ikev2.prepdiff, "");
}

static void
ikev2_commit(struct msg *m)
{
	struct gen_id	 gi;
	struct sa_list	 gone;
	struct sa	*sa;
	uint8_t		 buf[16];
	size_t		 len, n;

	if (gen_id_decode(m->m_data, m->m_hdr.mh_len, &gi) == -1 ||
	    gi.gi_gen != ikev2.prep.g_num || ikev2.prep.g_ps == NULL)
		fatalx("commit of a generation that was not prepared");
	TAILQ_INIT(&gone);
	n = sa_rebind(&ikev2.sas, ikev2.prep.g_ps, gi.gi_gen, &gone);
	ikev2_generation_changed();
	gen_free(&ikev2.cur);
	ikev2.cur = ikev2.prep;
	memset(&ikev2.prep, 0, sizeof(ikev2.prep));
	while ((sa = TAILQ_FIRST(&gone)) != NULL) {
		/* a Delete to the peer, the kernel state removed */
		log_info("sa %llu: policy \"%s\" removed, deleting",
		    (unsigned long long)sa->sa_id, sa->sa_policy_name);
		TAILQ_REMOVE(&gone, sa, sa_entry);
		ikev2_sa_destroy(sa, 1);
		sa_free(sa);
	}
	log_debug("generation %llu active, %zu SAs deleted",
	    (unsigned long long)gi.gi_gen, n);
	len = gen_id_encode(&gi, buf, sizeof(buf));
	msgconn_send(ikev2.parent, MSG_GEN_COMMITTED, m->m_hdr.mh_id, buf,
	    len, -1);
	if (!(ikev2.mode_set & 2))
		ikev2_set_decouple((ikev2.cur.g_ps->ps_globals.gl_flags &
		    GL_DECOUPLE) != 0);
	ikev2_initiate_active(ikev2_passive());
}

static void
ikev2_abort(struct msg *m)
{
	struct gen_id	 gi;

	if (gen_id_decode(m->m_data, m->m_hdr.mh_len, &gi) == -1)
		fatalx("malformed abort message from parent");
	if (ikev2.prep.g_num == gi.gi_gen)
		gen_free(&ikev2.prep);
}

static void
ikev2_show_done(void *arg)
{
	struct ctl_end	 ce;
	uint8_t		 buf[sizeof(ce) + 16];
	char		*text = NULL;
	size_t		 len = 0, off, n;
	uint32_t	 id = ikev2.show_id;
	FILE		*fp;

	(void)arg;
	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	show_sas(&ikev2.sas, ikev2.show_json, fp);
	fclose(fp);
	for (off = 0; off < len; off += n) {
		n = len - off > MSG_MAX_PAYLOAD ? MSG_MAX_PAYLOAD : len - off;
		msgconn_send(ikev2.parent, MSG_CHILD_DATA, id, text + off, n,
		    -1);
	}
	free(text);
	memset(&ce, 0, sizeof(ce));
	len = ctl_end_encode(&ce, buf, sizeof(buf));
	msgconn_send(ikev2.parent, MSG_CHILD_END, id, buf, len, -1);
}

/* "show sa": the byte counts come from the kernel, through the parent */
static void
ikev2_show(struct msg *m)
{
	struct ctl_show	 cs;

	if (ctl_show_decode(m->m_data, m->m_hdr.mh_len, &cs) == -1)
		fatalx("malformed show message from parent");
	ikev2.show_id = m->m_hdr.mh_id;
	ikev2.show_json = cs.cs_flags & CTL_SHOW_JSON;
	ikev2_counters_refresh(ikev2_show_done, NULL);
}

static void
ikev2_reset(struct msg *m)
{
	struct ctl_reset	 cr;
	struct ctl_end		 ce;
	struct sa		*sa, *next;
	uint8_t			 buf[sizeof(ce) + 16];
	size_t			 len, n = 0;

	if (ctl_reset_decode(m->m_data, m->m_hdr.mh_len, &cr) == -1)
		fatalx("malformed reset message from parent");
	for (sa = TAILQ_FIRST(&ikev2.sas); sa != NULL; sa = next) {
		next = TAILQ_NEXT(sa, sa_entry);
		if (cr.cr_what == RESET_ID &&
		    strcmp(sa->sa_peer_id, cr.cr_id) != 0)
			continue;
		if (cr.cr_what == RESET_POLICY)
			continue;
		TAILQ_REMOVE(&ikev2.sas, sa, sa_entry);
		ikev2_sa_destroy(sa, 1);
		sa_free(sa);
		n++;
	}
	memset(&ce, 0, sizeof(ce));
	snprintf(ce.ce_msg, sizeof(ce.ce_msg), "%zu SA%s deleted", n,
	    n == 1 ? "" : "s");
	len = ctl_end_encode(&ce, buf, sizeof(buf));
	msgconn_send(ikev2.parent, MSG_CHILD_END, m->m_hdr.mh_id, buf, len, -1);
}

/* "ikectl lookup SRC DST" */
static void
ikev2_lookup_msg(struct msg *m)
{
	struct ctl_lookup	 cl;
	struct ctl_end		 ce;
	uint8_t			 buf[sizeof(ce) + 16];
	char			*text = NULL;
	size_t			 len = 0, off, n;
	FILE			*fp;

	if (ctl_lookup_decode(m->m_data, m->m_hdr.mh_len, &cl) == -1)
		fatalx("malformed lookup message from parent");
	if ((fp = open_memstream(&text, &len)) == NULL)
		fatal("open_memstream");
	ikev2_lookup(&cl, fp);
	fclose(fp);
	for (off = 0; off < len; off += n) {
		n = len - off > MSG_MAX_PAYLOAD ? MSG_MAX_PAYLOAD : len - off;
		msgconn_send(ikev2.parent, MSG_CHILD_DATA, m->m_hdr.mh_id,
		    text + off, n, -1);
	}
	free(text);
	memset(&ce, 0, sizeof(ce));
	len = ctl_end_encode(&ce, buf, sizeof(buf));
	msgconn_send(ikev2.parent, MSG_CHILD_END, m->m_hdr.mh_id, buf, len,
	    -1);
}

static void
ikev2_mode(struct msg *m)
{
	struct ctl_mode	 cm;

	if (ctl_mode_decode(m->m_data, m->m_hdr.mh_len, &cm) == -1)
		fatalx("malformed mode message from parent");
	switch (cm.cm_mode) {
	case MODE_ACTIVE:
		ikev2.passive = 0;
		ikev2.mode_set |= 1;
		ikev2_initiate_active(0);
		break;
	case MODE_PASSIVE:
		ikev2.passive = 1;
		ikev2.mode_set |= 1;
		break;
	case MODE_COUPLE:
		ikev2.decouple = 0;
		ikev2.mode_set |= 2;
		ikev2_set_decouple(0);
		break;
	case MODE_DECOUPLE:
		ikev2.decouple = 1;
		ikev2.mode_set |= 2;
		ikev2_set_decouple(1);
		break;
	}
}

static void
ikev2_dispatch(struct msgconn *mc, struct msg *m, void *arg)
{
	(void)mc;
	(void)arg;
	switch (m->m_hdr.mh_type) {
	case MSG_GEN_PREPARE:
		ikev2_prepare(m);
		break;
	case MSG_GEN_COMMIT:
		ikev2_commit(m);
		break;
	case MSG_GEN_ABORT:
		ikev2_abort(m);
		break;
	case MSG_CHILD_SHOW:
		ikev2_show(m);
		break;
	case MSG_CHILD_RESET:
		ikev2_reset(m);
		break;
	case MSG_CHILD_MODE:
		ikev2_mode(m);
		break;
	case MSG_CHILD_LOOKUP:
		ikev2_lookup_msg(m);
		break;
	case MSG_IKE_SOCKET:
		ikev2_socket_add(m);
		return;		/* the descriptor is kept */
	case MSG_KERNEL_RESULT:
	case MSG_KERNEL_SA_COUNTERS:
	case MSG_KERNEL_EVENT:
		ikev2_kernel_msg(m);
		break;
	default:
		fatalx("unexpected message %u from parent", m->m_hdr.mh_type);
	}
	if (m->m_fd != -1 && m->m_hdr.mh_type != MSG_GEN_PREPARE)
		close(m->m_fd);
}

static void
ikev2_parent_gone(struct msgconn *mc, const char *why, void *arg)
{
	(void)mc;
	(void)arg;
	/* the parent went away: nothing left to serve */
	log_debug("parent: %s, exiting", why);
	exit(0);
}

static void
ikev2_sigterm(int sig, short ev, void *arg)
{
	(void)sig;
	(void)ev;
	(void)arg;
	/* Deletes to the peers; the parent removes the kernel state */
	ikev2_shutdown();
	exit(0);
}

void
ikev2_main(const struct ikerund_opts *o)
{
	const char	*errstr;
	long long	 n;

	log_procname("ikev2");
	/* OpenSSL's providers and tables load before the chroot */
	if (crypto_init() == -1)
		fatalx("crypto: %s", crypto_errstr());
	proc_sandbox(PROC_IKEV2, o->o_empty, o->o_user);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	TAILQ_INIT(&ikev2.sas);
	if ((ikev2.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((ikev2.parent = msgconn_new(ikev2.base, IKERUND_CHILD_FD,
	    ikev2_dispatch, ikev2_parent_gone, NULL)) == NULL)
		fatalx("cannot talk to the parent");
	ikev2_exch_init(ikev2.base, ikev2.parent, &ikev2.sas, &ikev2.cur);
	if (o->o_cookies != NULL) {
		n = strtonum(o->o_cookies, 0, COOKIE_HALFOPEN_MAX, &errstr);
		if (errstr != NULL)
			fatalx("-C %s: %s", o->o_cookies, errstr);
		ikev2_set_cookie_threshold(n);
	}
	ikev2.sigterm = evsignal_new(ikev2.base, SIGTERM, ikev2_sigterm, NULL);
	evsignal_add(ikev2.sigterm, NULL);
	msgconn_send(ikev2.parent, MSG_CHILD_READY, 0, NULL, 0, -1);
	event_base_dispatch(ikev2.base);
	exit(0);
}
