/*
 * The ca process: chrooted to the key directory, holds the private keys
 * and certificates the running generation names (certificate
 * authentication comes with the certificate issue; PSK generations name
 * none).  It never touches the network.
 */
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ikerund.h"
#include "log.h"

static struct {
	struct event_base	*base;
	struct msgconn		*parent;
	struct generation	 cur;
	struct generation	 prep;
} ca;

static void
ca_prepare(struct msg *m)
{
	struct gen_prepare	 gp;
	struct gen_result	 gr;
	uint8_t			 buf[sizeof(gr) + 64];
	size_t			 len;

	if (gen_prepare_decode(m->m_data, m->m_hdr.mh_len, &gp) == -1 ||
	    m->m_fd == -1)
		fatalx("malformed prepare message from parent");
	memset(&gr, 0, sizeof(gr));
	gr.gr_gen = gp.gp_gen;
	if (ca.prep.g_ps != NULL)
		gen_free(&ca.prep);
	if (gen_load_fd(m->m_fd, gp.gp_size, gp.gp_digest, &ca.prep,
	    gr.gr_msg, sizeof(gr.gr_msg)) == -1) {
		log_warnx("generation %llu: %s", (unsigned long long)gp.gp_gen,
		    gr.gr_msg);
		gr.gr_status = 1;
	} else
		ca.prep.g_num = gp.gp_gen;
	close(m->m_fd);
	if ((len = gen_result_encode(&gr, buf, sizeof(buf))) == 0)
		fatalx("cannot encode prepare result");
	msgconn_send(ca.parent, MSG_GEN_PREPARED, m->m_hdr.mh_id, buf, len, -1);
}

static void
ca_dispatch(struct msgconn *mc, struct msg *m, void *arg)
{
	struct gen_id	 gi;
	uint8_t		 buf[16];
	size_t		 len;

	(void)mc;
	(void)arg;
	switch (m->m_hdr.mh_type) {
	case MSG_GEN_PREPARE:
		ca_prepare(m);
		return;
	case MSG_GEN_COMMIT:
		if (gen_id_decode(m->m_data, m->m_hdr.mh_len, &gi) == -1 ||
		    gi.gi_gen != ca.prep.g_num || ca.prep.g_ps == NULL)
			fatalx("commit of a generation that was not prepared");
		gen_free(&ca.cur);
		ca.cur = ca.prep;
		memset(&ca.prep, 0, sizeof(ca.prep));
		len = gen_id_encode(&gi, buf, sizeof(buf));
		msgconn_send(ca.parent, MSG_GEN_COMMITTED, m->m_hdr.mh_id, buf,
		    len, -1);
		break;
	case MSG_GEN_ABORT:
		if (gen_id_decode(m->m_data, m->m_hdr.mh_len, &gi) == -1)
			fatalx("malformed abort message from parent");
		if (ca.prep.g_num == gi.gi_gen)
			gen_free(&ca.prep);
		break;
	default:
		fatalx("unexpected message %u from parent", m->m_hdr.mh_type);
	}
	if (m->m_fd != -1)
		close(m->m_fd);
}

static void
ca_parent_gone(struct msgconn *mc, const char *why, void *arg)
{
	(void)mc;
	(void)arg;
	log_debug("parent: %s, exiting", why);
	exit(0);
}

void
ca_main(const struct ikerund_opts *o)
{
	log_procname("ca");
	proc_sandbox(PROC_CA, o->o_keydir, o->o_user);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if ((ca.base = event_base_new()) == NULL)
		fatalx("event_base_new");
	if ((ca.parent = msgconn_new(ca.base, IKERUND_CHILD_FD, ca_dispatch,
	    ca_parent_gone, NULL)) == NULL)
		fatalx("cannot talk to the parent");
	msgconn_send(ca.parent, MSG_CHILD_READY, 0, NULL, 0, -1);
	event_base_dispatch(ca.base);
	exit(0);
}
