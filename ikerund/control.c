/*
 * The control socket: a Unix stream socket, mode 0600, owned by root.
 * Every client's credentials are checked with SO_PEERCRED before any of
 * its bytes are read; only root (the daemon's own user) may talk to it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <event2/event.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ikerund.h"
#include "log.h"

struct ctl_client {
	struct msgconn		*cc_conn;
	int			 cc_refs;
	int			 cc_gone;
	int			 cc_refused;	/* not root: told so, ignored */
	pid_t			 cc_pid;
	TAILQ_ENTRY(ctl_client)	 cc_entry;
};

struct control {
	int				 ct_fd;
	struct event			*ct_ev;
	struct event_base		*ct_base;
	TAILQ_HEAD(, ctl_client)	 ct_clients;
	size_t				 ct_nclients;
	size_t				 ct_nrefused;
};

#define CONTROL_CLIENTS_MAX	64
#define CONTROL_REFUSED_MAX	8	/* refused clients still connected */
#define CONTROL_DENIED	"permission denied: only root may control ikerund"

static void
client_drop(struct ctl_client *cc)
{
	if (cc->cc_conn != NULL) {
		msgconn_free(cc->cc_conn);
		cc->cc_conn = NULL;
	}
	cc->cc_gone = 1;
	if (cc->cc_refs == 0)
		free(cc);
}

static struct control	*ctl_global;

static void
client_eof(struct msgconn *mc, const char *why, void *arg)
{
	struct ctl_client	*cc = arg;

	(void)mc;
	log_debug("control client %d: %s", cc->cc_pid, why);
	if (strcmp(why, "malformed message") == 0)
		parent_stats_malformed();
	TAILQ_REMOVE(&ctl_global->ct_clients, cc, cc_entry);
	ctl_global->ct_nclients--;
	if (cc->cc_refused)
		ctl_global->ct_nrefused--;
	client_drop(cc);
}

static void
client_msg(struct msgconn *mc, struct msg *m, void *arg)
{
	struct ctl_client	*cc = arg;

	(void)mc;
	if (cc->cc_refused) {
		/* nothing it sends is read; it hears why once more */
		if (m->m_fd != -1)
			close(m->m_fd);
		control_reply_end(cc, m->m_hdr.mh_id, 1, "%s", CONTROL_DENIED);
		return;
	}
	parent_dispatch_control(cc, m);
}

static void
control_accept(int fd, short ev, void *arg)
{
	struct control		*ct = arg;
	struct ctl_client	*cc;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 s, refused;

	(void)ev;
	if ((s = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(s);
		return;
	}
	refused = cred.uid != 0 && cred.uid != geteuid();
	if (refused) {
		log_warnx("control: refused client pid %d uid %u: not root",
		    cred.pid, cred.uid);
		parent_stats_refused_client();
		if (ct->ct_nrefused >= CONTROL_REFUSED_MAX) {
			close(s);
			return;
		}
	}
	if (ct->ct_nclients >= CONTROL_CLIENTS_MAX) {
		log_warnx("control: too many clients, refused pid %d",
		    cred.pid);
		close(s);
		return;
	}
	cc = xcalloc(1, sizeof(*cc));
	cc->cc_pid = cred.pid;
	if ((cc->cc_conn = msgconn_new(ct->ct_base, s, client_msg,
	    client_eof, cc)) == NULL) {
		free(cc);
		return;
	}
	TAILQ_INSERT_TAIL(&ct->ct_clients, cc, cc_entry);
	ct->ct_nclients++;
	if (refused) {
		/*
		 * Say why and keep the connection until the client closes
		 * it: closing now, with its request unread, would reset the
		 * connection before it read the answer.
		 */
		cc->cc_refused = 1;
		ct->ct_nrefused++;
		control_reply_end(cc, 0, 1, "%s", CONTROL_DENIED);
	}
}

struct control *
control_init(struct event_base *base, const char *path)
{
	struct control		*ct;
	struct sockaddr_un	 sun;
	mode_t			 old;
	int			 s;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("control socket path too long: %s", path);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		fatal("control: socket");
	/* a live daemon owns the path: do not steal it */
	if (connect(s, (struct sockaddr *)&sun, sizeof(sun)) == 0)
		fatalx("control socket %s is in use: is ikerund running?",
		    path);
	close(s);
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		fatal("control: socket");
	if (unlink(path) == -1 && errno != ENOENT)
		fatal("control: unlink %s", path);
	old = umask(S_IXUSR | S_IRWXG | S_IRWXO);
	if (bind(s, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("control: bind %s", path);
	umask(old);
	if (chmod(path, S_IRUSR | S_IWUSR) == -1 || chown(path, 0, 0) == -1)
		fatal("control: chmod/chown %s", path);
	if (listen(s, 16) == -1)
		fatal("control: listen");
	ct = xcalloc(1, sizeof(*ct));
	ct->ct_fd = s;
	ct->ct_base = base;
	TAILQ_INIT(&ct->ct_clients);
	ct->ct_ev = event_new(base, s, EV_READ | EV_PERSIST, control_accept,
	    ct);
	if (ct->ct_ev == NULL || event_add(ct->ct_ev, NULL) == -1)
		fatalx("control: event");
	ctl_global = ct;
	return (ct);
}

void
control_cleanup(struct control *ct, const char *path)
{
	if (ct == NULL)
		return;
	event_free(ct->ct_ev);
	close(ct->ct_fd);
	(void)unlink(path);
}

void
control_reply_data(struct ctl_client *cc, uint32_t id, const char *data,
    size_t len)
{
	size_t	 n;

	while (!cc->cc_gone && len > 0) {
		n = len > MSG_MAX_PAYLOAD ? MSG_MAX_PAYLOAD : len;
		if (msgconn_send(cc->cc_conn, MSG_CTL_DATA, id, data, n,
		    -1) == -1) {
			log_warnx("control client %d: not reading, dropped",
			    cc->cc_pid);
			return;
		}
		data += n;
		len -= n;
	}
}

void
control_reply_end(struct ctl_client *cc, uint32_t id, int status,
    const char *fmt, ...)
{
	struct ctl_end	 ce;
	uint8_t		 buf[sizeof(ce) + 16];
	size_t		 len;
	va_list		 ap;

	if (cc->cc_gone)
		return;
	memset(&ce, 0, sizeof(ce));
	ce.ce_status = status;
	va_start(ap, fmt);
	vsnprintf(ce.ce_msg, sizeof(ce.ce_msg), fmt, ap);
	va_end(ap);
	if ((len = ctl_end_encode(&ce, buf, sizeof(buf))) == 0)
		return;
	(void)msgconn_send(cc->cc_conn, MSG_CTL_END, id, buf, len, -1);
}

void
control_client_hold(struct ctl_client *cc)
{
	cc->cc_refs++;
}

void
control_client_release(struct ctl_client *cc)
{
	if (--cc->cc_refs == 0 && cc->cc_gone)
		free(cc);
}

int
control_client_gone(const struct ctl_client *cc)
{
	return (cc->cc_gone);
}
