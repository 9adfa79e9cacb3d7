/*
 * One end of a stream socket that carries framed messages, on a libevent
 * loop: buffered reads with descriptor passing (SCM_RIGHTS), a write
 * queue, and a callback per whole message.  Descriptors arrive with the
 * bytes they were sent with and are handed, in order, to the messages
 * whose header says MSG_F_FD, as OpenBSD's imsg does.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "util.h"

struct outbuf {
	uint8_t			*ob_data;
	size_t			 ob_len;
	size_t			 ob_off;
	int			 ob_fd;		/* sent with the first byte */
	TAILQ_ENTRY(outbuf)	 ob_entry;
};

struct msgconn {
	int			 mc_fd;
	struct event		*mc_rev;
	struct event		*mc_wev;
	uint8_t			*mc_rbuf;
	size_t			 mc_rlen;
	int			 mc_fds[MSG_FDQ_MAX];
	int			 mc_nfds;
	TAILQ_HEAD(, outbuf)	 mc_out;
	size_t			 mc_outlen;
	msg_cb			 mc_cb;
	msg_eof_cb		 mc_eof;
	void			*mc_arg;
	int			 mc_dead;
	int			*mc_freed;	/* set when freed in a callback */
};

#define RBUF_SIZE	(MSG_HDR_LEN + MSG_MAX_PAYLOAD)
#define OUT_MAX		(64UL * 1024 * 1024)	/* queued bytes */

static void	 msgconn_read(int, short, void *);
static void	 msgconn_write(int, short, void *);

struct msgconn *
msgconn_new(struct event_base *base, int fd, msg_cb cb, msg_eof_cb eof,
    void *arg)
{
	struct msgconn	*mc;

	mc = xcalloc(1, sizeof(*mc));
	mc->mc_fd = fd;
	mc->mc_rbuf = xcalloc(1, RBUF_SIZE);
	mc->mc_cb = cb;
	mc->mc_eof = eof;
	mc->mc_arg = arg;
	TAILQ_INIT(&mc->mc_out);
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	mc->mc_rev = event_new(base, fd, EV_READ | EV_PERSIST, msgconn_read,
	    mc);
	mc->mc_wev = event_new(base, fd, EV_WRITE, msgconn_write, mc);
	if (mc->mc_rev == NULL || mc->mc_wev == NULL ||
	    event_add(mc->mc_rev, NULL) == -1) {
		msgconn_free(mc);
		return (NULL);
	}
	return (mc);
}

void
msgconn_free(struct msgconn *mc)
{
	struct outbuf	*ob;
	int		 i;

	if (mc == NULL)
		return;
	if (mc->mc_freed != NULL)
		*mc->mc_freed = 1;
	if (mc->mc_rev != NULL)
		event_free(mc->mc_rev);
	if (mc->mc_wev != NULL)
		event_free(mc->mc_wev);
	while ((ob = TAILQ_FIRST(&mc->mc_out)) != NULL) {
		TAILQ_REMOVE(&mc->mc_out, ob, ob_entry);
		if (ob->ob_fd != -1)
			close(ob->ob_fd);
		freezero(ob->ob_data, ob->ob_len);
		free(ob);
	}
	for (i = 0; i < mc->mc_nfds; i++)
		close(mc->mc_fds[i]);
	close(mc->mc_fd);
	freezero(mc->mc_rbuf, RBUF_SIZE);
	free(mc);
}

int
msgconn_fd(const struct msgconn *mc)
{
	return (mc->mc_fd);
}

size_t
msgconn_pending(const struct msgconn *mc)
{
	return (mc->mc_outlen);
}

static void
msgconn_fail(struct msgconn *mc, const char *why)
{
	if (mc->mc_dead)
		return;
	mc->mc_dead = 1;
	event_del(mc->mc_rev);
	event_del(mc->mc_wev);
	if (mc->mc_eof != NULL)
		mc->mc_eof(mc, why, mc->mc_arg);
}

/*
 * Queue a message.  A descriptor passed here is owned by the connection
 * from now on (closed once sent).  Returns -1 if the message cannot be
 * queued (too large, or the peer is not reading).
 */
int
msgconn_send(struct msgconn *mc, uint32_t type, uint32_t id, const void *data,
    size_t len, int fd)
{
	struct msg_hdr	 h;
	struct outbuf	*ob;

	if (len > MSG_MAX_PAYLOAD || mc->mc_dead ||
	    mc->mc_outlen + len > OUT_MAX) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	memset(&h, 0, sizeof(h));
	h.mh_type = type;
	h.mh_len = len;
	h.mh_id = id;
	h.mh_flags = fd != -1 ? MSG_F_FD : 0;
	ob = xcalloc(1, sizeof(*ob));
	ob->ob_data = xcalloc(1, MSG_HDR_LEN + len);
	msg_hdr_encode(&h, ob->ob_data);
	if (len > 0)
		memcpy(ob->ob_data + MSG_HDR_LEN, data, len);
	ob->ob_len = MSG_HDR_LEN + len;
	ob->ob_fd = fd;
	TAILQ_INSERT_TAIL(&mc->mc_out, ob, ob_entry);
	mc->mc_outlen += ob->ob_len;
	event_add(mc->mc_wev, NULL);
	return (0);
}

static ssize_t
send_one(int sock, const uint8_t *p, size_t len, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct cmsghdr	*c;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)p;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_len = CMSG_LEN(sizeof(int));
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return (sendmsg(sock, &mh, MSG_NOSIGNAL));
}

static void
msgconn_write(int fd, short ev, void *arg)
{
	struct msgconn	*mc = arg;
	struct outbuf	*ob;
	ssize_t		 n;

	(void)fd;
	(void)ev;
	while ((ob = TAILQ_FIRST(&mc->mc_out)) != NULL) {
		n = send_one(mc->mc_fd, ob->ob_data + ob->ob_off,
		    ob->ob_len - ob->ob_off, ob->ob_off == 0 ? ob->ob_fd : -1);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			msgconn_fail(mc, strerror(errno));
			return;
		}
		if (ob->ob_off == 0 && ob->ob_fd != -1) {
			close(ob->ob_fd);
			ob->ob_fd = -1;
		}
		ob->ob_off += n;
		mc->mc_outlen -= n;
		if (ob->ob_off < ob->ob_len)
			break;
		TAILQ_REMOVE(&mc->mc_out, ob, ob_entry);
		freezero(ob->ob_data, ob->ob_len);
		free(ob);
	}
	if (!TAILQ_EMPTY(&mc->mc_out))
		event_add(mc->mc_wev, NULL);
}

/* read what is there; collect passed descriptors */
static ssize_t
recv_some(struct msgconn *mc)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int) * MSG_FDQ_MAX)];
	}		 cm;
	struct cmsghdr	*c;
	ssize_t		 n;
	int		 i, nf, fds[MSG_FDQ_MAX];

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = mc->mc_rbuf + mc->mc_rlen;
	iov.iov_len = RBUF_SIZE - mc->mc_rlen;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cm.buf;
	mh.msg_controllen = sizeof(cm.buf);
	n = recvmsg(mc->mc_fd, &mh, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return (n);
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nf = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (nf > MSG_FDQ_MAX)
			nf = MSG_FDQ_MAX;
		memcpy(fds, CMSG_DATA(c), nf * sizeof(int));
		for (i = 0; i < nf; i++) {
			if (mc->mc_nfds < MSG_FDQ_MAX)
				mc->mc_fds[mc->mc_nfds++] = fds[i];
			else
				close(fds[i]);	/* more than announced */
		}
	}
	if (mh.msg_flags & MSG_CTRUNC) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (n);
}

static void
msgconn_read(int fd, short ev, void *arg)
{
	struct msgconn	*mc = arg;
	struct msg_hdr	 h;
	struct msg	 m;
	ssize_t		 n;
	size_t		 used;
	int		 r, freed = 0;

	(void)fd;
	(void)ev;
	if ((n = recv_some(mc)) == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		msgconn_fail(mc, strerror(errno));
		return;
	}
	if (n == 0) {
		msgconn_fail(mc, "connection closed");
		return;
	}
	mc->mc_rlen += n;
	used = 0;
	mc->mc_freed = &freed;
	while ((r = msg_hdr_parse(mc->mc_rbuf + used, mc->mc_rlen - used,
	    &h)) == 1) {
		memset(&m, 0, sizeof(m));
		m.m_hdr = h;
		m.m_data = mc->mc_rbuf + used + MSG_HDR_LEN;
		m.m_fd = -1;
		if (h.mh_flags & MSG_F_FD) {
			if (mc->mc_nfds == 0) {
				r = -1;
				break;
			}
			m.m_fd = mc->mc_fds[0];
			memmove(mc->mc_fds, mc->mc_fds + 1,
			    --mc->mc_nfds * sizeof(int));
		}
		used += MSG_HDR_LEN + h.mh_len;
		mc->mc_cb(mc, &m, mc->mc_arg);
		if (freed)
			return;
		if (mc->mc_dead)
			break;
	}
	mc->mc_freed = NULL;
	if (r == -1) {
		msgconn_fail(mc, "malformed message");
		return;
	}
	if (used > 0) {
		/* messages may carry keys: nothing stays behind */
		memmove(mc->mc_rbuf, mc->mc_rbuf + used, mc->mc_rlen - used);
		explicit_bzero(mc->mc_rbuf + mc->mc_rlen - used, used);
		mc->mc_rlen -= used;
	}
}

/* Blocking send of one message, for ikectl. */
int
msg_send_sync(int sock, uint32_t type, uint32_t id, const void *data,
    size_t len, int fd)
{
	struct msg_hdr	 h;
	uint8_t		*buf;
	size_t		 off = 0;
	ssize_t		 n;

	if (len > MSG_MAX_PAYLOAD)
		return (-1);
	memset(&h, 0, sizeof(h));
	h.mh_type = type;
	h.mh_len = len;
	h.mh_id = id;
	h.mh_flags = fd != -1 ? MSG_F_FD : 0;
	buf = xcalloc(1, MSG_HDR_LEN + len);
	msg_hdr_encode(&h, buf);
	if (len > 0)
		memcpy(buf + MSG_HDR_LEN, data, len);
	while (off < MSG_HDR_LEN + len) {
		n = send_one(sock, buf + off, MSG_HDR_LEN + len - off,
		    off == 0 ? fd : -1);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			freezero(buf, MSG_HDR_LEN + len);
			return (-1);
		}
		off += n;
	}
	freezero(buf, MSG_HDR_LEN + len);
	return (0);
}

/*
 * Blocking receive of one message into buf (at least MSG_HDR_LEN +
 * MSG_MAX_PAYLOAD bytes).  Returns 1, 0 on EOF, -1 on error.  A passed
 * descriptor, if any, is in m->m_fd.
 */
int
msg_recv_sync(int sock, struct msg *m, uint8_t *buf, size_t size)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	 hdr;
		char		 buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct cmsghdr	*c;
	size_t		 have = 0, want = MSG_HDR_LEN;
	ssize_t		 n;
	int		 r, fd = -1;

	if (size < MSG_HDR_LEN + MSG_MAX_PAYLOAD)
		return (-1);
	memset(m, 0, sizeof(*m));
	m->m_fd = -1;
	while (have < want) {
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = buf + have;
		iov.iov_len = want - have;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (fd != -1)
				close(fd);
			return (n == 0 && have == 0 ? 0 : -1);
		}
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_SOCKET &&
			    c->cmsg_type == SCM_RIGHTS && fd == -1)
				memcpy(&fd, CMSG_DATA(c), sizeof(int));
		have += n;
		if (have == MSG_HDR_LEN && want == MSG_HDR_LEN) {
			r = msg_hdr_parse(buf, have, &m->m_hdr);
			if (r == -1) {
				if (fd != -1)
					close(fd);
				return (-1);
			}
			if (r == 0) {
				/* header alone is valid; payload follows */
				uint32_t	 l = buf[4] | buf[5] << 8 |
						    buf[6] << 16 |
						    (uint32_t)buf[7] << 24;
				want = MSG_HDR_LEN + l;
			}
		}
	}
	if (msg_hdr_parse(buf, have, &m->m_hdr) != 1) {
		if (fd != -1)
			close(fd);
		return (-1);
	}
	m->m_data = buf + MSG_HDR_LEN;
	m->m_fd = fd;
	return (1);
}
