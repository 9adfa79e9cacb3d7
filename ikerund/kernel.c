/*
 * The parent's XFRM netlink interface (libmnl): SAs and policies in,
 * counters out, expire and acquire notifications on a second socket.
 *
 * Requests are synchronous: one message with NLM_F_ACK, then read until
 * the ack or the error (with the kernel's extended-ack text when it
 * gives one).  NETLINK_CAP_ACK keeps the kernel from echoing a request,
 * keys included, in its error; buffers that held keys are wiped.
 *
 * Everything installed is remembered; only what is remembered may be
 * deleted or read on request.  kernel_flush() removes every SA and
 * policy carrying ikerund's reqid band (kernel.h), whoever installed
 * it: kernel_open() runs it against what a crashed run left behind,
 * kernel_close() on exit.
 */
#include <sys/queue.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/udp.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#define KBUF_SIZE	32768	/* one read of a dump */
#define KREQ_SIZE	2048	/* one request */
#define FLUSH_PASSES	4

enum kstate_kind { KS_SA, KS_POLICY };

/* What we installed. */
struct kstate {
	int			 ks_kind;
	struct kernel_said	 ks_sa;
	struct kernel_policy_id	 ks_pol;
	TAILQ_ENTRY(kstate)	 ks_entry;
};

struct kernel {
	struct mnl_socket	*k_nl;		/* requests */
	struct mnl_socket	*k_ev;		/* notifications */
	uint32_t		 k_portid;
	uint32_t		 k_seq;
	TAILQ_HEAD(, kstate)	 k_installed;
	size_t			 k_nsa;
	size_t			 k_npol;
	char			 k_err[KERNEL_MSG_MAX];	/* extended ack */
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KBUF_SIZE];
	}			 k_buf;
};

/* Something to delete, found by a dump. */
struct ktag {
	int		 kt_kind;
	uint8_t		 kt_proto;
	uint32_t	 kt_spi;		/* network order */
	uint16_t	 kt_family;
	xfrm_address_t	 kt_daddr;
	uint32_t	 kt_index;
	uint8_t		 kt_dir;
	uint8_t		 kt_ptype;		/* XFRM_POLICY_TYPE_* */
	uint32_t	 kt_ifid;
	struct xfrm_mark kt_mark;
};

struct ktags {
	struct ktag	*t_v;
	size_t		 t_n;
	size_t		 t_cap;
	int		 t_err;
};

/* what callbacks get */
struct nlreq {
	struct kernel	*r_k;
	void		*r_arg;
	mnl_cb_t	 r_cb;
};

/* --- conversions --------------------------------------------------------- */

static size_t
af_bytes(int af)
{
	return (af == AF_INET ? 4 : af == AF_INET6 ? 16 : 0);
}

static void
to_xaddr(const uint8_t *ip, xfrm_address_t *x)
{
	memset(x, 0, sizeof(*x));
	memcpy(x, ip, 16);
}

static void
from_xaddr(const xfrm_address_t *x, int af, struct kernel_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (af_bytes(af) == 0)
		return;
	a->ka_af = (uint8_t)af;
	memcpy(a->ka_ip, x, af_bytes(af));
}

static void
to_xsel(const struct kernel_sel *s, struct xfrm_selector *x)
{
	memset(x, 0, sizeof(*x));
	x->family = s->ks_af;
	memcpy(&x->saddr, s->ks_src, 16);
	memcpy(&x->daddr, s->ks_dst, 16);
	x->prefixlen_s = s->ks_splen;
	x->prefixlen_d = s->ks_dplen;
	x->proto = s->ks_proto;
	if (s->ks_sport != 0) {
		x->sport = htons(s->ks_sport);
		x->sport_mask = 0xffff;
	}
	if (s->ks_dport != 0) {
		x->dport = htons(s->ks_dport);
		x->dport_mask = 0xffff;
	}
}

static int
from_xsel(const struct xfrm_selector *x, struct kernel_sel *s)
{
	size_t	 alen = af_bytes(x->family);

	memset(s, 0, sizeof(*s));
	if (alen == 0)
		return (0);	/* any */
	if (x->prefixlen_s > alen * 8 || x->prefixlen_d > alen * 8)
		return (-1);
	s->ks_af = (uint8_t)x->family;
	s->ks_proto = x->proto;
	s->ks_splen = x->prefixlen_s;
	s->ks_dplen = x->prefixlen_d;
	memcpy(s->ks_src, &x->saddr, alen);
	memcpy(s->ks_dst, &x->daddr, alen);
	if (x->sport_mask != 0)
		s->ks_sport = ntohs(x->sport);
	if (x->dport_mask != 0)
		s->ks_dport = ntohs(x->dport);
	return (0);
}

static const char *
addr_str(const struct kernel_addr *a, char *buf, size_t len)
{
	if (inet_ntop(a->ka_af, a->ka_ip, buf, len) == NULL)
		snprintf(buf, len, "?");
	return (buf);
}

/* --- netlink ------------------------------------------------------------- */

static int
nl_attr_msg_cb(const struct nlattr *a, void *arg)
{
	struct kernel	*k = arg;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(k->k_err, sizeof(k->k_err), "%s",
		    mnl_attr_get_str(a));
	return (MNL_CB_OK);
}

static int
nl_error_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlreq		*r = arg;
	struct nlmsgerr		 e;
	unsigned int		 off;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(e)) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	if (e.error == 0)
		return (MNL_CB_STOP);
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		off = sizeof(e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    e.msg.nlmsg_len >= sizeof(struct nlmsghdr))
			off += e.msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off <= mnl_nlmsg_get_payload_len(nlh))
			(void)mnl_attr_parse(nlh, off, nl_attr_msg_cb, r->r_k);
	}
	errno = e.error < 0 ? -e.error : EPROTO;
	return (MNL_CB_ERROR);
}

static int
nl_noop_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return (MNL_CB_OK);
}

static int
nl_done_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	return (MNL_CB_STOP);
}

static int
nl_overrun_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	(void)arg;
	errno = ENOSPC;
	return (MNL_CB_ERROR);
}

static int
nl_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct nlreq	*r = arg;

	if (r->r_cb == NULL)
		return (MNL_CB_OK);
	return (r->r_cb(nlh, r->r_arg));
}

/* Does this read hold the last message (ack, error, end of dump)? */
static int
nl_has_end(const uint8_t *buf, size_t n, uint32_t seq)
{
	const struct nlmsghdr	*nlh = (const struct nlmsghdr *)buf;
	int			 rem = (int)n;

	for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem))
		if (nlh->nlmsg_seq == seq && (nlh->nlmsg_type == NLMSG_DONE ||
		    nlh->nlmsg_type == NLMSG_ERROR))
			return (1);
	return (0);
}

/*
 * Send one request and read its answer; cb sees every data message.
 * Returns 0 on the ack (or the end of a dump), -1 with errno set.  On
 * an error before the end (an interrupted dump, a malformed reply), the
 * rest of the answer is read and dropped, so that the next request does
 * not find it.
 */
static int
nl_talk(struct kernel *k, struct nlmsghdr *nlh, mnl_cb_t cb, void *arg)
{
	/* libmnl's defaults do not apply where an array is given */
	static mnl_cb_t	 ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = nl_noop_cb,
		[NLMSG_ERROR] = nl_error_cb,
		[NLMSG_DONE] = nl_done_cb,
		[NLMSG_OVERRUN] = nl_overrun_cb,
	};
	struct nlreq	 r = { k, arg, cb };
	ssize_t		 n;
	uint32_t	 seq;
	int		 ret, saved, draining = 0, ended;

	k->k_err[0] = '\0';
	seq = nlh->nlmsg_seq = ++k->k_seq;
	nlh->nlmsg_pid = 0;
	if (mnl_socket_sendto(k->k_nl, nlh, nlh->nlmsg_len) == -1)
		return (-1);
	for (;;) {
		n = mnl_socket_recvfrom(k->k_nl, k->k_buf.b,
		    sizeof(k->k_buf.b));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return (-1);
		}
		ended = nl_has_end(k->k_buf.b, (size_t)n, seq);
		ret = MNL_CB_OK;
		if (!draining)
			ret = mnl_cb_run2(k->k_buf.b, (size_t)n, seq,
			    k->k_portid, nl_data_cb, &r, ctl, NLMSG_MIN_TYPE);
		saved = errno;
		/* replies of GETSA and dumps carry keys */
		explicit_bzero(k->k_buf.b, (size_t)n);
		if (ret == MNL_CB_ERROR && !draining) {
			draining = saved;
			if (draining == 0)
				draining = EPROTO;
		}
		if (draining && ended) {
			errno = draining;
			return (-1);
		}
		if (ret == MNL_CB_STOP)
			return (0);
	}
}

static struct nlmsghdr *
nl_start(uint8_t *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr	*nlh;

	memset(buf, 0, KREQ_SIZE);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return (nlh);
}

static int
nl_put(struct nlmsghdr *nlh, uint16_t type, size_t len, const void *data)
{
	if (!mnl_attr_put_check(nlh, KREQ_SIZE, type, len, data)) {
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}

static int
nl_put_mark(struct nlmsghdr *nlh, const struct kernel_mark *m)
{
	struct xfrm_mark	 xm;

	if (m->km_mask == 0)
		return (0);
	xm.v = m->km_value;
	xm.m = m->km_mask;
	return (nl_put(nlh, XFRMA_MARK, sizeof(xm), &xm));
}

/* --- bookkeeping --------------------------------------------------------- */

static int
said_equal(const struct kernel_said *a, const struct kernel_said *b)
{
	return (a->kid_proto == b->kid_proto && a->kid_spi == b->kid_spi &&
	    kernel_addr_equal(&a->kid_dst, &b->kid_dst) &&
	    a->kid_mark.km_value == b->kid_mark.km_value &&
	    a->kid_mark.km_mask == b->kid_mark.km_mask);
}

static int
polid_equal(const struct kernel_policy_id *a, const struct kernel_policy_id *b)
{
	return (a->kpi_dir == b->kpi_dir &&
	    kernel_sel_equal(&a->kpi_sel, &b->kpi_sel) &&
	    a->kpi_mark.km_value == b->kpi_mark.km_value &&
	    a->kpi_mark.km_mask == b->kpi_mark.km_mask);
}

static struct kstate *
find_sa(struct kernel *k, const struct kernel_said *id)
{
	struct kstate	*ks;

	TAILQ_FOREACH(ks, &k->k_installed, ks_entry)
		if (ks->ks_kind == KS_SA && said_equal(&ks->ks_sa, id))
			return (ks);
	return (NULL);
}

static struct kstate *
find_policy(struct kernel *k, const struct kernel_policy_id *id)
{
	struct kstate	*ks;

	TAILQ_FOREACH(ks, &k->k_installed, ks_entry)
		if (ks->ks_kind == KS_POLICY && polid_equal(&ks->ks_pol, id))
			return (ks);
	return (NULL);
}

static int
remember(struct kernel *k, int kind, const struct kernel_said *sa,
    const struct kernel_policy_id *pol)
{
	struct kstate	*ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return (-1);
	ks->ks_kind = kind;
	if (sa != NULL) {
		ks->ks_sa = *sa;
		k->k_nsa++;
	}
	if (pol != NULL) {
		ks->ks_pol = *pol;
		k->k_npol++;
	}
	TAILQ_INSERT_TAIL(&k->k_installed, ks, ks_entry);
	return (0);
}

static void
forget(struct kernel *k, struct kstate *ks)
{
	if (ks->ks_kind == KS_SA)
		k->k_nsa--;
	else
		k->k_npol--;
	TAILQ_REMOVE(&k->k_installed, ks, ks_entry);
	free(ks);
}

static void
forget_all(struct kernel *k)
{
	struct kstate	*ks;

	while ((ks = TAILQ_FIRST(&k->k_installed)) != NULL)
		forget(k, ks);
}

void
kernel_installed(const struct kernel *k, size_t *nsa, size_t *npol)
{
	*nsa = k->k_nsa;
	*npol = k->k_npol;
}

/* --- SAs ----------------------------------------------------------------- */

static void
sa_to_said(const struct kernel_sa *m, struct kernel_said *id)
{
	memset(id, 0, sizeof(*id));
	id->kid_proto = m->ksa_proto;
	id->kid_spi = m->ksa_spi;
	id->kid_dst = m->ksa_dst;
	id->kid_mark = m->ksa_mark;
}

static uint64_t
limit(uint64_t v)
{
	return (v == 0 ? XFRM_INF : v);
}

static int
sa_put_algs(struct nlmsghdr *nlh, const struct kernel_sa *m)
{
	const struct kernel_alg	*enc, *auth;
	union {
		struct xfrm_algo_aead	 aead;
		struct xfrm_algo	 algo;
		struct xfrm_algo_auth	 auth;
		uint8_t			 b[sizeof(struct xfrm_algo_auth) +
					    KERNEL_AUTHKEY_MAX];
	}			 u;
	int			 r = 0;

	enc = kernel_alg_enc(m->ksa_enc);
	auth = kernel_alg_auth(m->ksa_auth);
	if (enc != NULL && enc->kal_aead) {
		memset(&u, 0, sizeof(u));
		strncpy(u.aead.alg_name, enc->kal_name,
		    sizeof(u.aead.alg_name) - 1);
		u.aead.alg_key_len = m->ksa_enckeylen * 8;
		u.aead.alg_icv_len = enc->kal_icvbits;
		memcpy(u.aead.alg_key, m->ksa_enckey, m->ksa_enckeylen);
		r = nl_put(nlh, XFRMA_ALG_AEAD, sizeof(u.aead) +
		    m->ksa_enckeylen, &u);
	} else if (enc != NULL) {
		memset(&u, 0, sizeof(u));
		strncpy(u.algo.alg_name, enc->kal_name,
		    sizeof(u.algo.alg_name) - 1);
		u.algo.alg_key_len = m->ksa_enckeylen * 8;
		memcpy(u.algo.alg_key, m->ksa_enckey, m->ksa_enckeylen);
		r = nl_put(nlh, XFRMA_ALG_CRYPT, sizeof(u.algo) +
		    m->ksa_enckeylen, &u);
	}
	if (r == 0 && auth != NULL) {
		/* explicit truncation: RFC 4868, never the PF_KEY default */
		memset(&u, 0, sizeof(u));
		strncpy(u.auth.alg_name, auth->kal_name,
		    sizeof(u.auth.alg_name) - 1);
		u.auth.alg_key_len = m->ksa_authkeylen * 8;
		u.auth.alg_trunc_len = auth->kal_icvbits;
		memcpy(u.auth.alg_key, m->ksa_authkey, m->ksa_authkeylen);
		r = nl_put(nlh, XFRMA_ALG_AUTH_TRUNC, sizeof(u.auth) +
		    m->ksa_authkeylen, &u);
	}
	explicit_bzero(&u, sizeof(u));
	return (r);
}

static int
sa_put_replay(struct nlmsghdr *nlh, struct xfrm_usersa_info *xs,
    const struct kernel_sa *m)
{
	union {
		struct xfrm_replay_state_esn	 esn;
		uint8_t				 b[sizeof(struct
						    xfrm_replay_state_esn) +
						    KERNEL_REPLAY_MAX / 8];
	}			 u;
	uint32_t		 words;

	if (!(m->ksa_flags & KSA_F_ESN) && m->ksa_replay <= 32) {
		xs->replay_window = (uint8_t)m->ksa_replay;
		return (0);
	}
	/* ESN, or a window wider than the legacy 32-bit bitmap */
	if (m->ksa_flags & KSA_F_ESN)
		xs->flags |= XFRM_STATE_ESN;
	xs->replay_window = 0;	/* the kernel insists */
	words = (m->ksa_replay + 31) / 32;
	memset(&u, 0, sizeof(u));
	u.esn.bmp_len = words;
	u.esn.replay_window = m->ksa_replay;
	return (nl_put(nlh, XFRMA_REPLAY_ESN_VAL, sizeof(u.esn) + words * 4,
	    &u));
}

int
kernel_sa_add(struct kernel *k, const struct kernel_sa *m)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}			 buf;
	struct nlmsghdr		*nlh;
	struct xfrm_usersa_info	*xs;
	struct xfrm_encap_tmpl	 encap;
	struct kernel_said	 id;
	int			 r = -1, saved;

	sa_to_said(m, &id);
	if (find_sa(k, &id) != NULL) {
		errno = EEXIST;
		return (-1);
	}
	nlh = nl_start(buf.b, XFRM_MSG_NEWSA, NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL);
	xs = mnl_nlmsg_put_extra_header(nlh, sizeof(*xs));
	to_xsel(&m->ksa_sel, &xs->sel);
	if (m->ksa_sel.ks_af == 0 && m->ksa_mode == KMODE_TUNNEL)
		xs->flags |= XFRM_STATE_AF_UNSPEC;	/* any inner family */
	to_xaddr(m->ksa_dst.ka_ip, &xs->id.daddr);
	xs->id.spi = htonl(m->ksa_spi);
	xs->id.proto = m->ksa_proto;
	to_xaddr(m->ksa_src.ka_ip, &xs->saddr);
	xs->family = m->ksa_dst.ka_af;
	xs->mode = m->ksa_mode == KMODE_TUNNEL ? XFRM_MODE_TUNNEL :
	    XFRM_MODE_TRANSPORT;
	/* RFC 4302 3.3.3.2.1: AH over IPv4 pads its ICV to 32 bits only */
	if (m->ksa_proto == IPPROTO_AH && m->ksa_dst.ka_af == AF_INET)
		xs->flags |= XFRM_STATE_ALIGN4;
	xs->reqid = m->ksa_reqid;
	xs->lft.soft_byte_limit = limit(m->ksa_life.kl_soft_bytes);
	xs->lft.hard_byte_limit = limit(m->ksa_life.kl_hard_bytes);
	xs->lft.soft_packet_limit = XFRM_INF;
	xs->lft.hard_packet_limit = XFRM_INF;
	xs->lft.soft_add_expires_seconds = m->ksa_life.kl_soft_secs;
	xs->lft.hard_add_expires_seconds = m->ksa_life.kl_hard_secs;
	if (sa_put_replay(nlh, xs, m) == -1 || sa_put_algs(nlh, m) == -1 ||
	    nl_put_mark(nlh, &m->ksa_mark) == -1)
		goto done;
	if (m->ksa_flags & KSA_F_ENCAP) {
		memset(&encap, 0, sizeof(encap));
		encap.encap_type = UDP_ENCAP_ESPINUDP;
		encap.encap_sport = htons(m->ksa_encap_sport);
		encap.encap_dport = htons(m->ksa_encap_dport);
		if (nl_put(nlh, XFRMA_ENCAP, sizeof(encap), &encap) == -1)
			goto done;
	}
	if (nl_talk(k, nlh, NULL, NULL) == -1)
		goto done;
	if (remember(k, KS_SA, &id, NULL) == -1) {
		saved = errno;
		(void)kernel_sa_delete(k, &id);
		errno = saved;
		goto done;
	}
	r = 0;
 done:
	saved = errno;
	explicit_bzero(&buf, sizeof(buf));
	errno = saved;
	return (r);
}

static void
put_usersa_id(struct nlmsghdr *nlh, const struct kernel_said *id)
{
	struct xfrm_usersa_id	*xi;

	xi = mnl_nlmsg_put_extra_header(nlh, sizeof(*xi));
	to_xaddr(id->kid_dst.ka_ip, &xi->daddr);
	xi->spi = htonl(id->kid_spi);
	xi->family = id->kid_dst.ka_af;
	xi->proto = id->kid_proto;
}

int
kernel_sa_delete(struct kernel *k, const struct kernel_said *id)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}			 buf;
	struct nlmsghdr		*nlh;
	struct kstate		*ks;

	if ((ks = find_sa(k, id)) == NULL) {
		snprintf(k->k_err, sizeof(k->k_err), "not installed by "
		    "ikerund");
		errno = ENOENT;
		return (-1);
	}
	nlh = nl_start(buf.b, XFRM_MSG_DELSA, NLM_F_ACK);
	put_usersa_id(nlh, id);
	if (nl_put_mark(nlh, &id->kid_mark) == -1)
		return (-1);
	if (nl_talk(k, nlh, NULL, NULL) == -1 && errno != ESRCH &&
	    errno != ENOENT)
		return (-1);
	forget(k, ks);
	return (0);
}

static int
sa_stats_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct kernel_sa_stats	*st = arg;
	struct xfrm_usersa_info	 xs;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return (MNL_CB_OK);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(xs)) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	memcpy(&xs, mnl_nlmsg_get_payload(nlh), sizeof(xs));
	st->kst_bytes = xs.curlft.bytes;
	st->kst_packets = xs.curlft.packets;
	st->kst_add_time = xs.curlft.add_time;
	st->kst_use_time = xs.curlft.use_time;
	st->kst_replay = xs.stats.replay;
	st->kst_integrity_failed = xs.stats.integrity_failed;
	explicit_bzero(&xs, sizeof(xs));
	return (MNL_CB_OK);
}

int
kernel_sa_get_stats(struct kernel *k, const struct kernel_said *id,
    struct kernel_sa_stats *st)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}			 buf;
	struct nlmsghdr		*nlh;

	memset(st, 0, sizeof(*st));
	if (find_sa(k, id) == NULL) {
		snprintf(k->k_err, sizeof(k->k_err), "not installed by "
		    "ikerund");
		errno = ENOENT;
		return (-1);
	}
	st->kst_id = *id;
	nlh = nl_start(buf.b, XFRM_MSG_GETSA, NLM_F_ACK);
	put_usersa_id(nlh, id);
	if (nl_put_mark(nlh, &id->kid_mark) == -1)
		return (-1);
	return (nl_talk(k, nlh, sa_stats_cb, st));
}

/* --- policies ------------------------------------------------------------ */

int
kernel_policy_add(struct kernel *k, const struct kernel_policy *m)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}				 buf;
	struct nlmsghdr			*nlh;
	struct xfrm_userpolicy_info	*xp;
	struct xfrm_user_tmpl		 t;
	struct kernel_policy_id		 id;
	int				 saved;

	memset(&id, 0, sizeof(id));
	id.kpi_dir = m->kp_dir;
	id.kpi_sel = m->kp_sel;
	id.kpi_mark = m->kp_mark;
	if (find_policy(k, &id) != NULL) {
		errno = EEXIST;
		return (-1);
	}
	nlh = nl_start(buf.b, XFRM_MSG_NEWPOLICY, NLM_F_ACK | NLM_F_CREATE |
	    NLM_F_EXCL);
	xp = mnl_nlmsg_put_extra_header(nlh, sizeof(*xp));
	to_xsel(&m->kp_sel, &xp->sel);
	xp->lft.soft_byte_limit = XFRM_INF;
	xp->lft.hard_byte_limit = XFRM_INF;
	xp->lft.soft_packet_limit = XFRM_INF;
	xp->lft.hard_packet_limit = XFRM_INF;
	xp->priority = m->kp_priority;
	xp->dir = m->kp_dir;		/* KDIR_* are XFRM_POLICY_* */
	xp->action = XFRM_POLICY_ALLOW;
	xp->share = XFRM_SHARE_ANY;

	memset(&t, 0, sizeof(t));
	t.id.proto = m->kp_proto;
	t.reqid = m->kp_reqid;
	t.aalgos = t.ealgos = t.calgos = ~0U;
	if (m->kp_mode == KMODE_TUNNEL) {
		t.mode = XFRM_MODE_TUNNEL;
		t.family = m->kp_tdst.ka_af;
		to_xaddr(m->kp_tsrc.ka_ip, &t.saddr);
		to_xaddr(m->kp_tdst.ka_ip, &t.id.daddr);
	} else {
		t.mode = XFRM_MODE_TRANSPORT;
		t.family = m->kp_sel.ks_af;
	}
	if (nl_put(nlh, XFRMA_TMPL, sizeof(t), &t) == -1 ||
	    nl_put_mark(nlh, &m->kp_mark) == -1 ||
	    nl_talk(k, nlh, NULL, NULL) == -1)
		return (-1);
	if (remember(k, KS_POLICY, NULL, &id) == -1) {
		saved = errno;
		(void)kernel_policy_delete(k, &id);
		errno = saved;
		return (-1);
	}
	return (0);
}

int
kernel_policy_delete(struct kernel *k, const struct kernel_policy_id *id)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}				 buf;
	struct nlmsghdr			*nlh;
	struct xfrm_userpolicy_id	*xi;
	struct kstate			*ks;

	if ((ks = find_policy(k, id)) == NULL) {
		snprintf(k->k_err, sizeof(k->k_err), "not installed by "
		    "ikerund");
		errno = ENOENT;
		return (-1);
	}
	nlh = nl_start(buf.b, XFRM_MSG_DELPOLICY, NLM_F_ACK);
	xi = mnl_nlmsg_put_extra_header(nlh, sizeof(*xi));
	to_xsel(&id->kpi_sel, &xi->sel);
	xi->dir = id->kpi_dir;
	if (nl_put_mark(nlh, &id->kpi_mark) == -1)
		return (-1);
	if (nl_talk(k, nlh, NULL, NULL) == -1 && errno != ENOENT)
		return (-1);
	forget(k, ks);
	return (0);
}

/* --- the tagged flush ---------------------------------------------------- */

struct kattrs {
	const struct nlattr	*a[XFRMA_MAX + 1];
};

/* Attributes of a kernel message, with the sizes checked. */
static int
xfrm_attr_cb(const struct nlattr *a, void *arg)
{
	struct kattrs	*t = arg;
	uint16_t	 type = mnl_attr_get_type(a);
	size_t		 len = mnl_attr_get_payload_len(a);
	int		 ok = 1;

	if (mnl_attr_type_valid(a, XFRMA_MAX) < 0)
		return (MNL_CB_OK);	/* newer than us: not needed */
	switch (type) {
	case XFRMA_MARK:
		ok = mnl_attr_validate2(a, MNL_TYPE_UNSPEC,
		    sizeof(struct xfrm_mark)) == 0;
		break;
	case XFRMA_TMPL:
		ok = len > 0 && len % sizeof(struct xfrm_user_tmpl) == 0;
		break;
	case XFRMA_POLICY_TYPE:
		ok = len >= sizeof(struct xfrm_userpolicy_type);
		break;
	case XFRMA_IF_ID:
		ok = mnl_attr_validate(a, MNL_TYPE_U32) == 0;
		break;
	default:
		return (MNL_CB_OK);
	}
	if (!ok) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	t->a[type] = a;
	return (MNL_CB_OK);
}

static int
tags_add(struct ktags *t, const struct ktag *g)
{
	struct ktag	*v;
	size_t		 cap;

	if (t->t_n == t->t_cap) {
		cap = t->t_cap == 0 ? 16 : t->t_cap * 2;
		if ((v = reallocarray(t->t_v, cap, sizeof(*v))) == NULL) {
			t->t_err = errno;
			return (MNL_CB_ERROR);
		}
		t->t_v = v;
		t->t_cap = cap;
	}
	t->t_v[t->t_n++] = *g;
	return (MNL_CB_OK);
}

static void
get_mark(const struct kattrs *ta, struct xfrm_mark *m)
{
	memset(m, 0, sizeof(*m));
	if (ta->a[XFRMA_MARK] != NULL)
		memcpy(m, mnl_attr_get_payload(ta->a[XFRMA_MARK]),
		    sizeof(*m));
}

static int
dump_sa_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ktags		*t = arg;
	struct xfrm_usersa_info	 xs;
	struct kattrs		 ta;
	struct ktag		 g;

	if (nlh->nlmsg_type != XFRM_MSG_NEWSA)
		return (MNL_CB_OK);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(xs)) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	memcpy(&xs, mnl_nlmsg_get_payload(nlh), sizeof(xs));
	/* larval SAs of an acquire (SPI 0) cannot be named; they expire */
	if (!kernel_reqid_ours(xs.reqid) || xs.id.spi == 0)
		return (MNL_CB_OK);
	memset(&ta, 0, sizeof(ta));
	if (mnl_attr_parse(nlh, sizeof(xs), xfrm_attr_cb, &ta) != MNL_CB_OK)
		return (MNL_CB_ERROR);
	memset(&g, 0, sizeof(g));
	g.kt_kind = KS_SA;
	g.kt_proto = xs.id.proto;
	g.kt_spi = xs.id.spi;
	g.kt_family = xs.family;
	g.kt_daddr = xs.id.daddr;
	get_mark(&ta, &g.kt_mark);
	return (tags_add(t, &g));
}

static int
dump_policy_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ktags			*t = arg;
	struct xfrm_userpolicy_info	 xp;
	struct xfrm_user_tmpl		 ut;
	struct xfrm_userpolicy_type	 pt;
	struct kattrs			 ta;
	struct ktag			 g;
	const uint8_t			*p;
	size_t				 i, n;
	int				 ours = 0;

	if (nlh->nlmsg_type != XFRM_MSG_NEWPOLICY)
		return (MNL_CB_OK);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(xp)) {
		errno = EBADMSG;
		return (MNL_CB_ERROR);
	}
	memcpy(&xp, mnl_nlmsg_get_payload(nlh), sizeof(xp));
	memset(&ta, 0, sizeof(ta));
	if (mnl_attr_parse(nlh, sizeof(xp), xfrm_attr_cb, &ta) != MNL_CB_OK)
		return (MNL_CB_ERROR);
	if (ta.a[XFRMA_TMPL] == NULL)
		return (MNL_CB_OK);
	p = mnl_attr_get_payload(ta.a[XFRMA_TMPL]);
	n = mnl_attr_get_payload_len(ta.a[XFRMA_TMPL]) / sizeof(ut);
	for (i = 0; i < n; i++) {
		memcpy(&ut, p + i * sizeof(ut), sizeof(ut));
		if (kernel_reqid_ours(ut.reqid))
			ours = 1;
	}
	if (!ours)
		return (MNL_CB_OK);
	memset(&g, 0, sizeof(g));
	g.kt_kind = KS_POLICY;
	g.kt_index = xp.index;
	g.kt_dir = xp.dir;
	g.kt_ptype = XFRM_POLICY_TYPE_MAIN;
	if (ta.a[XFRMA_POLICY_TYPE] != NULL) {
		memcpy(&pt, mnl_attr_get_payload(ta.a[XFRMA_POLICY_TYPE]),
		    sizeof(pt));
		g.kt_ptype = pt.type;
	}
	if (ta.a[XFRMA_IF_ID] != NULL)
		g.kt_ifid = mnl_attr_get_u32(ta.a[XFRMA_IF_ID]);
	get_mark(&ta, &g.kt_mark);
	return (tags_add(t, &g));
}

static int
tag_delete(struct kernel *k, const struct ktag *g)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}				 buf;
	struct nlmsghdr			*nlh;
	struct xfrm_usersa_id		*xi;
	struct xfrm_userpolicy_id	*xp;
	struct xfrm_userpolicy_type	 pt;
	int				 r = 0;

	if (g->kt_kind == KS_SA) {
		nlh = nl_start(buf.b, XFRM_MSG_DELSA, NLM_F_ACK);
		xi = mnl_nlmsg_put_extra_header(nlh, sizeof(*xi));
		xi->daddr = g->kt_daddr;
		xi->spi = g->kt_spi;
		xi->family = g->kt_family;
		xi->proto = g->kt_proto;
	} else {
		nlh = nl_start(buf.b, XFRM_MSG_DELPOLICY, NLM_F_ACK);
		xp = mnl_nlmsg_put_extra_header(nlh, sizeof(*xp));
		xp->index = g->kt_index;
		xp->dir = g->kt_dir;
		if (g->kt_ptype != XFRM_POLICY_TYPE_MAIN) {
			memset(&pt, 0, sizeof(pt));
			pt.type = g->kt_ptype;
			r = nl_put(nlh, XFRMA_POLICY_TYPE, sizeof(pt), &pt);
		}
		if (r == 0 && g->kt_ifid != 0)
			r = nl_put(nlh, XFRMA_IF_ID, sizeof(g->kt_ifid),
			    &g->kt_ifid);
	}
	if (r == 0 && g->kt_mark.m != 0)
		r = nl_put(nlh, XFRMA_MARK, sizeof(g->kt_mark), &g->kt_mark);
	if (r == -1)
		return (-1);
	if (nl_talk(k, nlh, NULL, NULL) == -1 && errno != ESRCH &&
	    errno != ENOENT)
		return (-1);
	return (0);
}

/* One pass: dump SAs or policies, delete what carries our tag. */
static int
flush_pass(struct kernel *k, uint16_t dumptype, mnl_cb_t cb, size_t *found)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[KREQ_SIZE];
	}		 buf;
	struct nlmsghdr	*nlh;
	struct ktags	 t;
	size_t		 i;
	int		 r = 0, saved;

	*found = 0;
	memset(&t, 0, sizeof(t));
	nlh = nl_start(buf.b, dumptype, NLM_F_DUMP);
	if (nl_talk(k, nlh, cb, &t) == -1) {
		saved = t.t_err != 0 ? t.t_err : errno;
		free(t.t_v);
		errno = saved;
		return (-1);
	}
	for (i = 0; i < t.t_n; i++)
		if (tag_delete(k, &t.t_v[i]) == -1)
			r = -1;
	*found = t.t_n;
	saved = errno;
	free(t.t_v);
	errno = saved;
	return (r);
}

/*
 * Remove every SA and policy in ikerund's reqid band, remembered or
 * not.  Dumps race with other changes (EINTR from NLM_F_DUMP_INTR), so
 * passes repeat until one finds nothing.  The counts of what was
 * removed go to nsa and npol when they are not NULL.
 */
int
kernel_flush(struct kernel *k, size_t *nsa, size_t *npol)
{
	size_t	 n, tsa = 0, tpol = 0;
	int	 pass, done_sa = 0, done_pol = 0, r;

	for (pass = 0; pass < FLUSH_PASSES && !(done_sa && done_pol);
	    pass++) {
		/* policies first: no new acquires while SAs go */
		if (!done_pol) {
			r = flush_pass(k, XFRM_MSG_GETPOLICY, dump_policy_cb,
			    &n);
			if (r == -1 && errno != EINTR)
				return (-1);
			tpol += n;
			done_pol = r == 0 && n == 0;
		}
		if (!done_sa) {
			r = flush_pass(k, XFRM_MSG_GETSA, dump_sa_cb, &n);
			if (r == -1 && errno != EINTR)
				return (-1);
			tsa += n;
			done_sa = r == 0 && n == 0;
		}
	}
	forget_all(k);
	if (nsa != NULL)
		*nsa = tsa;
	if (npol != NULL)
		*npol = tpol;
	if (!(done_sa && done_pol)) {
		errno = EAGAIN;
		return (-1);
	}
	return (0);
}

/* --- open, close --------------------------------------------------------- */

struct kernel *
kernel_open(char *err, size_t errlen)
{
	struct kernel	*k;
	int		 one = 1;

	if ((k = calloc(1, sizeof(*k))) == NULL) {
		snprintf(err, errlen, "kernel: %s", strerror(errno));
		return (NULL);
	}
	TAILQ_INIT(&k->k_installed);
	if ((k->k_nl = mnl_socket_open(NETLINK_XFRM)) == NULL ||
	    mnl_socket_bind(k->k_nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		snprintf(err, errlen, "kernel: XFRM netlink socket: %s",
		    strerror(errno));
		goto fail;
	}
	/* errors without the request (keys) echoed, with a text */
	(void)mnl_socket_setsockopt(k->k_nl, NETLINK_CAP_ACK, &one,
	    sizeof(one));
	(void)mnl_socket_setsockopt(k->k_nl, NETLINK_EXT_ACK, &one,
	    sizeof(one));
	k->k_portid = mnl_socket_get_portid(k->k_nl);
	if (kernel_flush(k, NULL, NULL) == -1) {
		snprintf(err, errlen, "kernel: removing what a previous run "
		    "left: %s", strerror(errno));
		goto fail;
	}
	return (k);
 fail:
	if (k->k_nl != NULL)
		mnl_socket_close(k->k_nl);
	free(k);
	return (NULL);
}

/* Removes everything ikerund installed, then closes. */
void
kernel_close(struct kernel *k)
{
	if (k == NULL)
		return;
	(void)kernel_flush(k, NULL, NULL);
	forget_all(k);
	if (k->k_ev != NULL)
		mnl_socket_close(k->k_ev);
	mnl_socket_close(k->k_nl);
	explicit_bzero(k, sizeof(*k));
	free(k);
}

/* --- notifications ------------------------------------------------------- */

/*
 * Opens the notification socket (expire and acquire groups) and returns
 * its descriptor, non-blocking, for the event loop.
 */
int
kernel_events_open(struct kernel *k)
{
	int	 groups[] = { XFRMNLGRP_EXPIRE, XFRMNLGRP_ACQUIRE };
	size_t	 i;
	int	 fd, fl;

	if (k->k_ev != NULL)
		return (mnl_socket_get_fd(k->k_ev));
	if ((k->k_ev = mnl_socket_open(NETLINK_XFRM)) == NULL)
		return (-1);
	if (mnl_socket_bind(k->k_ev, 0, MNL_SOCKET_AUTOPID) == -1)
		goto fail;
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (mnl_socket_setsockopt(k->k_ev, NETLINK_ADD_MEMBERSHIP,
		    &groups[i], sizeof(groups[i])) == -1)
			goto fail;
	fd = mnl_socket_get_fd(k->k_ev);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1)
		goto fail;
	return (fd);
 fail:
	mnl_socket_close(k->k_ev);
	k->k_ev = NULL;
	return (-1);
}

static int
event_attr_mark(const struct nlmsghdr *nlh, unsigned int off,
    struct kernel_event *ev, uint32_t *reqid, uint8_t *mode, int *family)
{
	struct kattrs		 ta;
	struct xfrm_mark	 m;
	struct xfrm_user_tmpl	 ut;

	memset(&ta, 0, sizeof(ta));
	if (mnl_attr_parse(nlh, off, xfrm_attr_cb, &ta) != MNL_CB_OK)
		return (-1);
	get_mark(&ta, &m);
	ev->ke_mark.km_value = m.v;
	ev->ke_mark.km_mask = m.m;
	if (reqid != NULL && ta.a[XFRMA_TMPL] != NULL) {
		/* the first template names the SA to negotiate */
		memcpy(&ut, mnl_attr_get_payload(ta.a[XFRMA_TMPL]),
		    sizeof(ut));
		*reqid = ut.reqid;
		*mode = ut.mode;
		*family = ut.family;
	}
	return (0);
}

static uint8_t
mode_of(uint8_t xmode)
{
	return (xmode == XFRM_MODE_TUNNEL ? KMODE_TUNNEL : KMODE_TRANSPORT);
}

/*
 * One XFRM netlink message (header included, len its exact length,
 * aligned as netlink messages are) into a plain event.  Returns 1 with
 * *ev filled, 0 for a message that is no event of interest, -1 when it
 * is malformed.
 */
int
kernel_event_parse(const uint8_t *buf, size_t len, struct kernel_event *ev)
{
	const struct nlmsghdr		*nlh = (const struct nlmsghdr *)buf;
	struct xfrm_user_expire		 ue;
	struct xfrm_user_acquire	 ua;
	uint32_t			 reqid = 0;
	uint8_t				 mode = 0;
	int				 family = 0;

	memset(ev, 0, sizeof(*ev));
	if (len < sizeof(*nlh) || len > INT32_MAX ||
	    !mnl_nlmsg_ok(nlh, (int)len) || nlh->nlmsg_len != len)
		return (-1);
	switch (nlh->nlmsg_type) {
	case XFRM_MSG_EXPIRE:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ue))
			return (-1);
		memcpy(&ue, mnl_nlmsg_get_payload(nlh), sizeof(ue));
		if (event_attr_mark(nlh, sizeof(ue), ev, NULL, NULL,
		    NULL) == -1 || af_bytes(ue.state.family) == 0 ||
		    from_xsel(&ue.state.sel, &ev->ke_sel) == -1)
			goto bad;
		ev->ke_type = ue.hard ? KEV_EXPIRE_HARD : KEV_EXPIRE_SOFT;
		ev->ke_proto = ue.state.id.proto;
		ev->ke_mode = mode_of(ue.state.mode);
		ev->ke_spi = ntohl(ue.state.id.spi);
		ev->ke_reqid = ue.state.reqid;
		from_xaddr(&ue.state.saddr, ue.state.family, &ev->ke_src);
		from_xaddr(&ue.state.id.daddr, ue.state.family, &ev->ke_dst);
		return (1);
	case XFRM_MSG_ACQUIRE:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(ua))
			return (-1);
		memcpy(&ua, mnl_nlmsg_get_payload(nlh), sizeof(ua));
		if (event_attr_mark(nlh, sizeof(ua), ev, &reqid, &mode,
		    &family) == -1 ||
		    from_xsel(&ua.policy.sel, &ev->ke_sel) == -1 ||
		    from_xsel(&ua.sel, &ev->ke_pkt) == -1)
			goto bad;
		if (af_bytes(family) == 0)
			family = ua.policy.sel.family;
		if (af_bytes(family) == 0)
			goto bad;
		ev->ke_type = KEV_ACQUIRE;
		ev->ke_proto = ua.id.proto;
		ev->ke_mode = mode_of(mode);
		ev->ke_dir = ua.policy.dir;
		ev->ke_reqid = reqid;
		ev->ke_index = ua.policy.index;
		ev->ke_seq = ua.seq;
		from_xaddr(&ua.saddr, family, &ev->ke_src);
		from_xaddr(&ua.id.daddr, family, &ev->ke_dst);
		return (1);
	}
	return (0);
 bad:
	memset(ev, 0, sizeof(*ev));
	return (-1);
}

/*
 * Reads what the notification socket has; cb gets every event about
 * ikerund's state (a hard expire also forgets the SA, which the kernel
 * has deleted).  Returns the number of events, or -1 (EAGAIN: none
 * waiting; ENOBUFS: notifications were lost, state should be
 * re-checked).
 */
int
kernel_events_read(struct kernel *k, kernel_event_cb cb, void *arg)
{
	const struct nlmsghdr	*nlh;
	struct kernel_event	 ev;
	struct kernel_said	 id;
	struct kstate		*ks;
	ssize_t			 n;
	int			 rem, count = 0;

	if (k->k_ev == NULL) {
		errno = EBADF;
		return (-1);
	}
	if ((n = mnl_socket_recvfrom(k->k_ev, k->k_buf.b,
	    sizeof(k->k_buf.b))) == -1)
		return (-1);
	rem = (int)n;
	for (nlh = &k->k_buf.nlh; mnl_nlmsg_ok(nlh, rem);
	    nlh = mnl_nlmsg_next(nlh, &rem)) {
		if (kernel_event_parse((const uint8_t *)nlh, nlh->nlmsg_len,
		    &ev) != 1 || !kernel_reqid_ours(ev.ke_reqid))
			continue;
		if (ev.ke_type == KEV_EXPIRE_HARD) {
			memset(&id, 0, sizeof(id));
			id.kid_proto = ev.ke_proto;
			id.kid_spi = ev.ke_spi;
			id.kid_dst = ev.ke_dst;
			id.kid_mark = ev.ke_mark;
			if ((ks = find_sa(k, &id)) != NULL)
				forget(k, ks);
		}
		count++;
		if (cb != NULL)
			cb(&ev, arg);
	}
	return (count);
}

/* --- requests from the ikev2 process ------------------------------------- */

static void
result_errno(struct kernel *k, struct kernel_result *r, int e,
    const char *what)
{
	r->kr_error = e;
	/* long kernel texts are cut: the errno comes first */
	if (snprintf(r->kr_msg, sizeof(r->kr_msg), "%s: %s%s%s%s", what,
	    strerror(e), k->k_err[0] != '\0' ? " (" : "", k->k_err,
	    k->k_err[0] != '\0' ? ")" : "") < 0)
		r->kr_msg[0] = '\0';
}

/*
 * Decode, validate and carry out one request (type and payload of a
 * message from the ikev2 process).  The answer goes to reply, its type
 * to *rtype; returns its length, 0 if it does not fit.
 */
size_t
kernel_request(struct kernel *k, uint32_t type, const uint8_t *buf,
    size_t len, uint32_t *rtype, uint8_t *reply, size_t replysize)
{
	struct kernel_result	 r;
	struct kernel_sa	 sa;
	struct kernel_said	 id;
	struct kernel_sa_stats	 st;
	struct kernel_policy	 pol;
	struct kernel_policy_id	 pid;
	char			 what[128], a[INET6_ADDRSTRLEN];
	size_t			 nsa, npol;

	memset(&r, 0, sizeof(r));
	*rtype = KMSG_RESULT;
	switch (type) {
	case KMSG_SA_ADD:
		if (kernel_sa_decode(buf, len, &sa) == -1) {
			r.kr_error = EBADMSG;
			snprintf(r.kr_msg, sizeof(r.kr_msg), "sa: malformed "
			    "request (%zu bytes)", len);
		} else if (kernel_sa_validate(&sa, r.kr_msg,
		    sizeof(r.kr_msg)) == -1)
			r.kr_error = EINVAL;
		else if (kernel_sa_add(k, &sa) == -1) {
			snprintf(what, sizeof(what), "sa add %s spi 0x%08x "
			    "to %s", sa.ksa_proto == IPPROTO_AH ? "ah" : "esp",
			    sa.ksa_spi, addr_str(&sa.ksa_dst, a, sizeof(a)));
			result_errno(k, &r, errno, what);
		}
		explicit_bzero(&sa, sizeof(sa));
		break;
	case KMSG_SA_DELETE:
	case KMSG_SA_STATS:
		if (kernel_said_decode(buf, len, &id) == -1) {
			r.kr_error = EBADMSG;
			snprintf(r.kr_msg, sizeof(r.kr_msg), "sa: malformed "
			    "request (%zu bytes)", len);
			break;
		}
		if (kernel_said_validate(&id, r.kr_msg,
		    sizeof(r.kr_msg)) == -1) {
			r.kr_error = EINVAL;
			break;
		}
		snprintf(what, sizeof(what), "sa %s spi 0x%08x to %s",
		    type == KMSG_SA_DELETE ? "delete" : "stats", id.kid_spi,
		    addr_str(&id.kid_dst, a, sizeof(a)));
		if (type == KMSG_SA_DELETE) {
			if (kernel_sa_delete(k, &id) == -1)
				result_errno(k, &r, errno, what);
			break;
		}
		if (kernel_sa_get_stats(k, &id, &st) == -1) {
			result_errno(k, &r, errno, what);
			break;
		}
		*rtype = KMSG_SA_COUNTERS;
		return (kernel_sa_stats_encode(&st, reply, replysize));
	case KMSG_POLICY_ADD:
		if (kernel_policy_decode(buf, len, &pol) == -1) {
			r.kr_error = EBADMSG;
			snprintf(r.kr_msg, sizeof(r.kr_msg), "policy: "
			    "malformed request (%zu bytes)", len);
		} else if (kernel_policy_validate(&pol, r.kr_msg,
		    sizeof(r.kr_msg)) == -1)
			r.kr_error = EINVAL;
		else if (kernel_policy_add(k, &pol) == -1)
			result_errno(k, &r, errno, "policy add");
		break;
	case KMSG_POLICY_DELETE:
		if (kernel_policy_id_decode(buf, len, &pid) == -1) {
			r.kr_error = EBADMSG;
			snprintf(r.kr_msg, sizeof(r.kr_msg), "policy: "
			    "malformed request (%zu bytes)", len);
		} else if (kernel_policy_id_validate(&pid, r.kr_msg,
		    sizeof(r.kr_msg)) == -1)
			r.kr_error = EINVAL;
		else if (kernel_policy_delete(k, &pid) == -1)
			result_errno(k, &r, errno, "policy delete");
		break;
	case KMSG_FLUSH:
		if (kernel_flush_decode(buf, len) == -1) {
			r.kr_error = EBADMSG;
			snprintf(r.kr_msg, sizeof(r.kr_msg), "flush: "
			    "malformed request (%zu bytes)", len);
		} else if (kernel_flush(k, &nsa, &npol) == -1)
			result_errno(k, &r, errno, "flush");
		else
			snprintf(r.kr_msg, sizeof(r.kr_msg), "flushed %zu SAs, "
			    "%zu policies", nsa, npol);
		break;
	default:
		r.kr_error = EOPNOTSUPP;
		snprintf(r.kr_msg, sizeof(r.kr_msg), "kernel: unknown "
		    "request type %u", type);
		break;
	}
	return (kernel_result_encode(&r, reply, replysize));
}
