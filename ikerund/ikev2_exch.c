/*
 * The IKEv2 protocol engine (RFC 7296) of the ikev2 process: the UDP
 * sockets the parent bound, IKE_SA_INIT and IKE_AUTH with PSK as
 * responder and initiator, the first CHILD SA installed through the
 * parent (XFRM), INFORMATIONAL Deletes both ways, message IDs with the
 * last response cached for retransmitted requests, and retransmission of
 * our own requests with backoff.  Every datagram goes through the pure
 * parser (pld.c) before anything is interpreted; what does not parse is
 * dropped and counted.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdarg.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cookie.h"
#include "crypto.h"
#include "frag.h"
#include "ikerund.h"
#include "kernel.h"
#include "log.h"
#include "pld.h"

#define IKEV2_SOCKETS_MAX	4
#define IKEV2_RETRANSMITS	5	/* then the exchange fails */
#define IKEV2_RETRANSMIT_BASE	2	/* seconds, doubled each time */
#define IKEV2_LARVAL_TIMEOUT	30	/* seconds for a half-open SA */
#define IKEV2_REPLAY_WINDOW	32

enum ikesa_state {
	IKS_INIT_SENT = 1,	/* initiator: IKE_SA_INIT request out */
	IKS_AUTH_SENT,		/* initiator: IKE_AUTH request out */
	IKS_INIT_DONE,		/* responder: IKE_SA_INIT answered */
	IKS_ESTABLISHED,
	IKS_DEAD		/* failed or deleted, to be freed */
};

struct ike_sock {
	int		 is_fd;
	int		 is_af;
	int		 is_port;
	struct event	*is_ev;
};

/* One CHILD SA as installed in the kernel. */
struct childsa {
	int		 cs_installed;
	uint8_t		 cs_proto;	/* IPPROTO_ESP, IPPROTO_AH */
	uint8_t		 cs_mode;	/* KMODE_* */
	uint8_t		 cs_esn;
	uint32_t	 cs_spi_in;	/* ours */
	uint32_t	 cs_spi_out;	/* the peer's */
	uint32_t	 cs_reqid;
	int		 cs_flows;	/* policies in the kernel */
	uint32_t	 cs_kid[2];	/* requests adding the SAs in, out */
	struct kernel_sel cs_sel_out;	/* local TS to peer TS */
	struct kernel_sel cs_sel_in;
};

struct ikesa {
	struct sa		*ik_sa;
	int			 ik_state;
	int			 ik_initiator;
	struct sockaddr_storage	 ik_local;
	struct sockaddr_storage	 ik_peer;
	uint8_t			 ik_spii[IKE_SPI_LEN];
	uint8_t			 ik_spir[IKE_SPI_LEN];
	const struct policy	*ik_pol;	/* current generation's */
	struct ike_suite	 ik_suite;
	struct ike_keys		 ik_keys;
	struct dh		*ik_dh;
	uint16_t		 ik_group;	/* initiator: our KE */
	uint8_t			 ik_ni[CRYPTO_NONCE_MAX];
	size_t			 ik_nilen;
	uint8_t			 ik_nr[CRYPTO_NONCE_MAX];
	size_t			 ik_nrlen;
	uint8_t			*ik_initreq;	/* INIT request */
	size_t			 ik_initreqlen;
	uint8_t			*ik_initres;	/* and response */
	size_t			 ik_initreslen;
	/* message IDs: window of one each way */
	uint32_t		 ik_reqid;	/* our next request */
	uint32_t		 ik_peerid;	/* the peer's next request */
	uint8_t			*ik_lastres;	/* to peerid - 1 */
	size_t			 ik_lastreslen;
	uint8_t			*ik_lastreq;	/* ours in flight */
	size_t			 ik_lastreqlen;
	int			 ik_tries;
	struct event		*ik_timer;	/* resend, larval */
	int			 ik_sock;	/* index of ike_sock */
	struct childsa		 ik_child;
	uint32_t		 ik_child_spi;	/* initiator's */
	/* floods and fragmentation (cookie.c, ikev2_frag.c) */
	int			 ik_frag;	/* RFC 7383 agreed */
	struct frag_reasm	*ik_reasm;	/* a message in pieces */
	uint8_t			*ik_cookie;	/* initiator: the peer's */
	size_t			 ik_cookielen;
};

/* Defence against IKE_SA_INIT floods (cookie.c). */
static struct {
	struct cookie_secrets	 secrets;
	struct cookie_limits	 limits;
	int			 ready;
} dos = { .limits = { COOKIE_THRESHOLD, COOKIE_HALFOPEN_MAX,
    COOKIE_PEER_MAX } };

static struct {
	struct event_base	*base;
	struct msgconn		*parent;
	struct sa_list		*sas;
	const struct generation	*gen;
	struct ike_sock		 socks[IKEV2_SOCKETS_MAX];
	size_t			 nsocks;
	uint64_t		 nextsa;
	uint32_t		 nextreqid;
	uint32_t		 nextkid;	/* kernel request ids */
	struct ike_counters	 ctr;
	int			 decouple;	/* SAs, no flows */
	/* byte counts for "show sa" */
	size_t			 q_pending;
	void			 (*q_done)(void *);
	void			*q_arg;
	uint32_t		 q_first;
	uint32_t		 q_last;
} ex;

static void	 ikesa_timer(int, short, void *);
static void	 send_delete(struct ikesa *, int);
static void	 ikesa_kill(struct ikesa *, int, const char *, ...)
		    __attribute__((__format__(printf, 3, 4)));

/* --- small helpers ------------------------------------------------------- */

static uint64_t
be64(const uint8_t *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (v);
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--) {
		p[i] = v & 0xff;
		v >>= 8;
	}
}

static const char *
ss_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void	*a;

	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	else {
		strlcpy(buf, "?", len);
		return (buf);
	}
	if (inet_ntop(ss->ss_family, a, buf, len) == NULL)
		strlcpy(buf, "?", len);
	return (buf);
}

static const uint8_t *
ss_ip(const struct sockaddr_storage *ss, size_t *len)
{
	if (ss->ss_family == AF_INET) {
		*len = 4;
		return ((const uint8_t *)
		    &((const struct sockaddr_in *)ss)->sin_addr);
	}
	*len = 16;
	return ((const uint8_t *)
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static void
ss_kaddr(const struct sockaddr_storage *ss, struct kernel_addr *ka)
{
	const uint8_t	*ip;
	size_t		 len;

	memset(ka, 0, sizeof(*ka));
	ip = ss_ip(ss, &len);
	ka->ka_af = ss->ss_family;
	memcpy(ka->ka_ip, ip, len);
}

static int
ss_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const uint8_t	*pa, *pb;
	size_t		 la, lb;

	if (a->ss_family != b->ss_family)
		return (0);
	pa = ss_ip(a, &la);
	pb = ss_ip(b, &lb);
	return (la == lb && memcmp(pa, pb, la) == 0);
}

static int
pol_af(int af)
{
	return (af == AF_INET ? POL_AF_INET : POL_AF_INET6);
}

/* Does address ip (family af) lie in the policy host h? */
static int
host_match(const struct pol_host *h, int af, const uint8_t *ip)
{
	size_t	 alen = af == AF_INET ? 4 : 16, i;
	int	 plen;

	switch (h->h_kind) {
	case HOST_NONE:
	case HOST_ANY:
	case HOST_DYNAMIC:
		return (1);
	case HOST_ADDR:
		if (h->h_af != pol_af(af))
			return (0);
		plen = h->h_plen == POL_PLEN_NONE ? (int)alen * 8 : h->h_plen;
		for (i = 0; i < alen && plen > 0; i++, plen -= 8) {
			uint8_t	 mask = plen >= 8 ? 0xff :
			    (uint8_t)(0xff << (8 - plen));

			if ((ip[i] & mask) != (h->h_ip[i] & mask))
				return (0);
		}
		return (1);
	case HOST_RANGE:
		return (h->h_af == pol_af(af) && memcmp(ip, h->h_ip, alen) >=
		    0 && memcmp(ip, h->h_ip2, alen) <= 0);
	default:
		return (0);	/* names are not resolved yet */
	}
}

/* The address range of a policy host, for traffic selectors. */
static int
host_range(const struct pol_host *h, int af, uint8_t *start, uint8_t *end)
{
	size_t	 alen = af == AF_INET ? 4 : 16, i;
	int	 plen;

	memset(start, 0, 16);
	memset(end, 0, 16);
	switch (h->h_kind) {
	case HOST_ANY:
	case HOST_NONE:
	case HOST_DYNAMIC:
		memset(end, 0xff, alen);
		return (0);
	case HOST_ADDR:
		if (h->h_af != pol_af(af))
			return (-1);
		plen = h->h_plen == POL_PLEN_NONE ? (int)alen * 8 : h->h_plen;
		for (i = 0; i < alen; i++, plen -= 8) {
			uint8_t	 mask = plen >= 8 ? 0xff :
			    plen <= 0 ? 0 : (uint8_t)(0xff << (8 - plen));

			start[i] = h->h_ip[i] & mask;
			end[i] = h->h_ip[i] | (uint8_t)~mask;
		}
		return (0);
	case HOST_RANGE:
		if (h->h_af != pol_af(af))
			return (-1);
		memcpy(start, h->h_ip, alen);
		memcpy(end, h->h_ip2, alen);
		return (0);
	default:
		return (-1);
	}
}

static void
counters_changed(void)
{
	ikev2_counters_send();
}

void
ikev2_counters_send(void)
{
	uint8_t	 buf[sizeof(ex.ctr) + 16];
	size_t	 len;

	if ((len = ike_counters_encode(&ex.ctr, buf, sizeof(buf))) != 0)
		msgconn_send(ex.parent, MSG_IKE_COUNTERS, 0, buf, len, -1);
}

static const char *
xf_name(uint8_t type, uint16_t id, uint16_t bits, char *buf, size_t len)
{
	struct pol_xform	 xf;
	const struct pol_xform_name *n;

	xf.xf_type = type;
	xf.xf_id = id;
	xf.xf_keylen = bits;
	if ((n = policy_xform_byid(XN_IKE | XN_ESP, &xf)) != NULL)
		strlcpy(buf, n->xn_name, len);
	else
		snprintf(buf, len, "%s-%u", pld_xform_type_name(type), id);
	return (buf);
}

/* --- kernel requests through the parent ---------------------------------- */

static uint32_t
kernel_send(uint32_t type, const uint8_t *buf, size_t len)
{
	uint32_t	 id = ++ex.nextkid;

	if (id == 0)
		id = ++ex.nextkid;
	if (len == 0)
		fatalx("kernel request %u does not encode", type);
	msgconn_send(ex.parent, type, id, buf, len, -1);
	return (id);
}

static void
child_sa_add(struct ikesa *ik, int in, const struct child_keys *ck)
{
	struct childsa	*cs = &ik->ik_child;
	struct kernel_sa ks;
	uint8_t		 buf[KERNEL_PAYLOAD_MAX];
	int		 fromini;

	memset(&ks, 0, sizeof(ks));
	ks.ksa_proto = cs->cs_proto;
	ks.ksa_mode = cs->cs_mode;
	ks.ksa_reqid = cs->cs_reqid;
	ks.ksa_replay = IKEV2_REPLAY_WINDOW;
	if (cs->cs_esn)
		ks.ksa_flags |= KSA_F_ESN;
	if (in) {
		ks.ksa_spi = cs->cs_spi_in;
		ss_kaddr(&ik->ik_peer, &ks.ksa_src);
		ss_kaddr(&ik->ik_local, &ks.ksa_dst);
		ks.ksa_sel = cs->cs_sel_in;
	} else {
		ks.ksa_spi = cs->cs_spi_out;
		ss_kaddr(&ik->ik_local, &ks.ksa_src);
		ss_kaddr(&ik->ik_peer, &ks.ksa_dst);
		ks.ksa_sel = cs->cs_sel_out;
	}
	/* keys from initiator to responder: inbound for the responder */
	fromini = ik->ik_initiator ? !in : in;
	ks.ksa_enc = ck->ck_encr;
	ks.ksa_encbits = ck->ck_encr_bits;
	ks.ksa_auth = ck->ck_integ;
	ks.ksa_enckeylen = ck->ck_elen;
	memcpy(ks.ksa_enckey, fromini ? ck->ck_ei : ck->ck_er, ck->ck_elen);
	ks.ksa_authkeylen = ck->ck_alen;
	memcpy(ks.ksa_authkey, fromini ? ck->ck_ai : ck->ck_ar, ck->ck_alen);
	cs->cs_kid[in ? 0 : 1] = kernel_send(MSG_KERNEL_SA_ADD, buf,
	    kernel_sa_encode(&ks, buf, sizeof(buf)));
	explicit_bzero(&ks, sizeof(ks));
	explicit_bzero(buf, sizeof(buf));
}

static void
child_policy(struct ikesa *ik, int dir, int add)
{
	struct childsa		*cs = &ik->ik_child;
	struct kernel_policy	 kp;
	struct kernel_policy_id	 kpi;
	uint8_t			 buf[KERNEL_PAYLOAD_MAX];

	memset(&kp, 0, sizeof(kp));
	kp.kp_dir = dir;
	kp.kp_proto = cs->cs_proto;
	kp.kp_mode = cs->cs_mode;
	kp.kp_reqid = cs->cs_reqid;
	kp.kp_priority = 1000;
	kp.kp_sel = dir == KDIR_OUT ? cs->cs_sel_out : cs->cs_sel_in;
	if (cs->cs_mode == KMODE_TRANSPORT)
		;	/* no tunnel endpoints */
	else if (dir == KDIR_OUT) {
		ss_kaddr(&ik->ik_local, &kp.kp_tsrc);
		ss_kaddr(&ik->ik_peer, &kp.kp_tdst);
	} else {
		ss_kaddr(&ik->ik_peer, &kp.kp_tsrc);
		ss_kaddr(&ik->ik_local, &kp.kp_tdst);
	}
	if (add) {
		kernel_send(MSG_KERNEL_POLICY_ADD, buf,
		    kernel_policy_encode(&kp, buf, sizeof(buf)));
		return;
	}
	memset(&kpi, 0, sizeof(kpi));
	kpi.kpi_dir = dir;
	kpi.kpi_sel = kp.kp_sel;
	kernel_send(MSG_KERNEL_POLICY_DELETE, buf,
	    kernel_policy_id_encode(&kpi, buf, sizeof(buf)));
}

static void
child_sa_del(struct ikesa *ik, int in)
{
	struct childsa		*cs = &ik->ik_child;
	struct kernel_said	 id;
	uint8_t			 buf[KERNEL_PAYLOAD_MAX];

	memset(&id, 0, sizeof(id));
	id.kid_proto = cs->cs_proto;
	id.kid_spi = in ? cs->cs_spi_in : cs->cs_spi_out;
	ss_kaddr(in ? &ik->ik_local : &ik->ik_peer, &id.kid_dst);
	kernel_send(MSG_KERNEL_SA_DELETE, buf,
	    kernel_said_encode(&id, buf, sizeof(buf)));
}

/* The CHILD SA's flows (policies out, in and fwd) in or out of the kernel. */
static void
child_flows(struct ikesa *ik, int add)
{
	if (ik->ik_child.cs_flows == add)
		return;
	child_policy(ik, KDIR_OUT, add);
	child_policy(ik, KDIR_IN, add);
	if (ik->ik_child.cs_mode == KMODE_TUNNEL)
		child_policy(ik, KDIR_FWD, add);
	ik->ik_child.cs_flows = add;
}

static void
child_install(struct ikesa *ik, const struct child_keys *ck)
{
	child_sa_add(ik, 1, ck);
	child_sa_add(ik, 0, ck);
	/* "set decouple": the SAs only, as OpenIKED */
	if (!ex.decouple)
		child_flows(ik, 1);
	ik->ik_child.cs_installed = 1;
	ex.ctr.ic_child_sas++;
}

/* "ikectl couple|decouple": every CHILD SA's flows follow. */
void
ikev2_set_decouple(int decouple)
{
	struct sa	*sa;

	ex.decouple = decouple;
	TAILQ_FOREACH(sa, ex.sas, sa_entry)
		if (sa->sa_ike != NULL && sa->sa_ike->ik_child.cs_installed)
			child_flows(sa->sa_ike, !decouple);
}

static void
child_remove(struct ikesa *ik)
{
	if (!ik->ik_child.cs_installed)
		return;
	child_flows(ik, 0);
	child_sa_del(ik, 1);
	child_sa_del(ik, 0);
	ik->ik_child.cs_installed = 0;
	if (ik->ik_sa != NULL) {
		ik->ik_sa->sa_child_algs[0] = '\0';
		ik->ik_sa->sa_spi_in = ik->ik_sa->sa_spi_out = 0;
	}
}

/*
 * The kernel refused one of a CHILD SA's SAs: without it the flows
 * would only drop traffic, so the CHILD SA goes, with a Delete.
 */
static void
child_refused(uint32_t kid)
{
	struct sa	*sa;
	struct ikesa	*ik;

	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if ((ik = sa->sa_ike) == NULL || !ik->ik_child.cs_installed ||
		    (ik->ik_child.cs_kid[0] != kid &&
		    ik->ik_child.cs_kid[1] != kid))
			continue;
		log_warnx("sa %llu: the kernel refused the CHILD SA, "
		    "deleting it", (unsigned long long)sa->sa_id);
		send_delete(ik, 0);
		child_remove(ik);
		return;
	}
}

/* Answers of the parent: results, counters, events. */
void
ikev2_kernel_msg(struct msg *m)
{
	struct kernel_result	 kr;
	struct kernel_sa_stats	 st;
	struct kernel_event	 ke;
	struct sa		*sa;
	uint32_t		 id = m->m_hdr.mh_id;

	switch (m->m_hdr.mh_type) {
	case MSG_KERNEL_RESULT:
		if (kernel_result_decode(m->m_data, m->m_hdr.mh_len,
		    &kr) == -1)
			fatalx("malformed kernel result from the parent");
		if (kr.kr_error != 0) {
			ex.ctr.ic_kernel_errors++;
			counters_changed();
			log_warnx("kernel: %s", kr.kr_msg);
			child_refused(id);
		}
		break;
	case MSG_KERNEL_SA_COUNTERS:
		if (kernel_sa_stats_decode(m->m_data, m->m_hdr.mh_len,
		    &st) == -1)
			fatalx("malformed SA counters from the parent");
		TAILQ_FOREACH(sa, ex.sas, sa_entry) {
			if (sa->sa_ike == NULL ||
			    !sa->sa_ike->ik_child.cs_installed)
				continue;
			if (st.kst_id.kid_spi == sa->sa_spi_in)
				sa->sa_bytes_in = st.kst_bytes;
			else if (st.kst_id.kid_spi == sa->sa_spi_out)
				sa->sa_bytes_out = st.kst_bytes;
		}
		break;
	case MSG_KERNEL_EVENT:
		if (kernel_event_decode(m->m_data, m->m_hdr.mh_len,
		    &ke) == -1)
			fatalx("malformed kernel event from the parent");
		log_debug("kernel event %u spi 0x%08x reqid 0x%08x",
		    ke.ke_type, ke.ke_spi, ke.ke_reqid);
		return;
	default:
		fatalx("unexpected kernel message %u", m->m_hdr.mh_type);
	}
	if (ex.q_pending > 0 && id >= ex.q_first && id <= ex.q_last &&
	    --ex.q_pending == 0 && ex.q_done != NULL)
		ex.q_done(ex.q_arg);
}

/* Asks the kernel for the byte counts of every CHILD SA, then done(). */
void
ikev2_counters_refresh(void (*done)(void *), void *arg)
{
	struct sa		*sa;
	struct kernel_said	 id;
	uint8_t			 buf[KERNEL_PAYLOAD_MAX];
	uint32_t		 kid;
	int			 in;

	if (ex.q_pending > 0) {
		/* one query at a time: answer from what is known */
		done(arg);
		return;
	}
	ex.q_done = done;
	ex.q_arg = arg;
	ex.q_first = ex.nextkid + 1;
	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if (sa->sa_ike == NULL || !sa->sa_ike->ik_child.cs_installed)
			continue;
		for (in = 0; in < 2; in++) {
			memset(&id, 0, sizeof(id));
			id.kid_proto = sa->sa_ike->ik_child.cs_proto;
			id.kid_spi = in ? sa->sa_spi_in : sa->sa_spi_out;
			ss_kaddr(in ? &sa->sa_ike->ik_local :
			    &sa->sa_ike->ik_peer, &id.kid_dst);
			kid = kernel_send(MSG_KERNEL_SA_STATS, buf,
			    kernel_said_encode(&id, buf, sizeof(buf)));
			ex.q_last = kid;
			ex.q_pending++;
		}
	}
	if (ex.q_pending == 0)
		done(arg);
}

/* --- sockets ------------------------------------------------------------- */

static int
sock_for(int af, int port)
{
	size_t	 i;

	for (i = 0; i < ex.nsocks; i++)
		if (ex.socks[i].is_af == af && ex.socks[i].is_port == port)
			return ((int)i);
	return (-1);
}

/* Sends from the IKE SA's local address to its peer (port 500). */
static void
ikesa_send(struct ikesa *ik, const uint8_t *buf, size_t len)
{
	struct msghdr		 mh;
	struct iovec		 iov;
	struct sockaddr_storage	 to = ik->ik_peer;
	union {
		struct cmsghdr	 hdr;
		uint8_t	 buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cm;
	struct cmsghdr		*c;
	char			 a[64];
	size_t			 off, one;
	int			 s;

	/* a train of RFC 7383 fragments (ikev2_frag.c): one by one */
	if ((one = frag_train_next(buf, len)) != 0 && one < len) {
		for (off = 0; off < len; off += one) {
			if ((one = frag_train_next(buf + off, len - off)) == 0)
				break;
			ikesa_send(ik, buf + off, one);
			ex.ctr.ic_frags_sent++;
		}
		return;
	}
	if (ik->ik_sock < 0 || (s = ex.socks[ik->ik_sock].is_fd) == -1) {
		log_warnx("peer %s: no socket to send from",
		    ss_str(&ik->ik_peer, a, sizeof(a)));
		return;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = len;
	mh.msg_name = &to;
	mh.msg_namelen = to.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (ik->ik_local.ss_family == AF_INET) {
		struct in_pktinfo	 pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst =
		    ((struct sockaddr_in *)&ik->ik_local)->sin_addr;
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else if (ik->ik_local.ss_family == AF_INET6) {
		struct in6_pktinfo	 pi;

		memset(&pi, 0, sizeof(pi));
		pi.ipi6_addr =
		    ((struct sockaddr_in6 *)&ik->ik_local)->sin6_addr;
		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	if (sendmsg(s, &mh, 0) == -1)
		log_warn("peer %s: send", ss_str(&ik->ik_peer, a, sizeof(a)));
	else
		ex.ctr.ic_tx++;
}

static void	 ikev2_recv(int, const uint8_t *, size_t,
		    const struct sockaddr_storage *,
		    const struct sockaddr_storage *);

static void
sock_read(int fd, short ev, void *arg)
{
	struct ike_sock		*is = arg;
	struct sockaddr_storage	 from, to;
	struct msghdr		 mh;
	struct iovec		 iov;
	struct cmsghdr		*c;
	static uint8_t		 buf[IBUF_MAX + 4];
	union {
		struct cmsghdr	 hdr;
		uint8_t		 buf[256];
	} cm;
	ssize_t			 n;
	int			 i;

	(void)ev;
	for (i = 0; i < 64; i++) {
		memset(&mh, 0, sizeof(mh));
		memset(&to, 0, sizeof(to));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		mh.msg_name = &from;
		mh.msg_namelen = sizeof(from);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cm.buf;
		mh.msg_controllen = sizeof(cm.buf);
		if ((n = recvmsg(fd, &mh, 0)) == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("IKE socket");
			return;
		}
		ex.ctr.ic_rx++;
		for (c = CMSG_FIRSTHDR(&mh); c != NULL;
		    c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP &&
			    c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo	 pi;
				struct sockaddr_in	*sin = (void *)&to;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				sin->sin_family = AF_INET;
				sin->sin_addr = pi.ipi_addr;
			} else if (c->cmsg_level == IPPROTO_IPV6 &&
			    c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo	 pi;
				struct sockaddr_in6	*sin6 = (void *)&to;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				sin6->sin6_family = AF_INET6;
				sin6->sin6_addr = pi.ipi6_addr;
			}
		}
		if (to.ss_family == 0 || from.ss_family != is->is_af) {
			ex.ctr.ic_dropped++;
			continue;
		}
		if (is->is_port == 4500) {
			/* the non-ESP marker (RFC 3948) */
			if (n < 4 || memcmp(buf, "\0\0\0\0", 4) != 0) {
				ex.ctr.ic_dropped++;
				continue;
			}
			ikev2_recv((int)(is - ex.socks), buf + 4, n - 4,
			    &from, &to);
		} else
			ikev2_recv((int)(is - ex.socks), buf, n, &from, &to);
	}
}

void
ikev2_socket_add(struct msg *m)
{
	struct ike_socket	 is;
	struct ike_sock		*s;

	if (ike_socket_decode(m->m_data, m->m_hdr.mh_len, &is) == -1 ||
	    m->m_fd == -1)
		fatalx("malformed socket message from the parent");
	if (ex.nsocks == IKEV2_SOCKETS_MAX)
		fatalx("too many IKE sockets");
	s = &ex.socks[ex.nsocks++];
	s->is_fd = m->m_fd;
	s->is_af = is.is_af;
	s->is_port = is.is_port;
	s->is_ev = event_new(ex.base, s->is_fd, EV_READ | EV_PERSIST,
	    sock_read, s);
	event_add(s->is_ev, NULL);
	log_debug("IKE socket %s port %d", is.is_af == AF_INET ? "inet" :
	    "inet6", (int)is.is_port);
}

/* --- IKE SAs ------------------------------------------------------------- */

static struct ikesa *
ikesa_new(const struct policy *pol, int initiator,
    const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
    int sock)
{
	struct ikesa	*ik;
	struct sa	*sa;
	char		 a[64];

	ik = xcalloc(1, sizeof(*ik));
	ik->ik_pol = pol;
	ik->ik_initiator = initiator;
	ik->ik_local = *local;
	ik->ik_peer = *peer;
	ik->ik_sock = sock;
	ik->ik_timer = evtimer_new(ex.base, ikesa_timer, ik);
	sa = sa_new(ex.sas, ++ex.nextsa, pol->pol_name, "");
	sa->sa_policy = pol;
	sa->sa_gen = ex.gen->g_num;
	sa->sa_ike = ik;
	sa->sa_initiator = initiator;
	ss_str(local, sa->sa_local, sizeof(sa->sa_local));
	ss_str(peer, sa->sa_peer, sizeof(sa->sa_peer));
	ik->ik_sa = sa;
	(void)a;
	return (ik);
}

static void
ikesa_free(struct ikesa *ik)
{
	if (ik->ik_timer != NULL)
		event_free(ik->ik_timer);
	if (ik->ik_dh != NULL)
		dh_free(ik->ik_dh);
	ike_keys_clear(&ik->ik_keys);
	free(ik->ik_initreq);
	free(ik->ik_initres);
	free(ik->ik_lastres);
	free(ik->ik_lastreq);
	free(ik->ik_cookie);
	frag_free(&ik->ik_reasm);
	explicit_bzero(ik, sizeof(*ik));
	free(ik);
}

static struct ikesa *
ikesa_find(uint64_t ispi, uint64_t rspi, const struct sockaddr_storage *peer)
{
	struct sa	*sa;
	struct ikesa	*ik;

	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if ((ik = sa->sa_ike) == NULL || ik->ik_state == IKS_DEAD)
			continue;
		if (be64(ik->ik_spii) != ispi)
			continue;
		if (rspi == 0) {
			/* a retransmitted IKE_SA_INIT request */
			if (!ik->ik_initiator && ss_equal(&ik->ik_peer, peer))
				return (ik);
			continue;
		}
		if (be64(ik->ik_spir) == rspi || (ik->ik_initiator &&
		    ik->ik_state == IKS_INIT_SENT))
			return (ik);
	}
	return (NULL);
}

static struct ikesa *
ikesa_find_initiating(uint64_t ispi, const struct sockaddr_storage *peer)
{
	struct sa	*sa;
	struct ikesa	*ik;

	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if ((ik = sa->sa_ike) == NULL || !ik->ik_initiator ||
		    ik->ik_state != IKS_INIT_SENT ||
		    be64(ik->ik_spii) != ispi || !ss_equal(&ik->ik_peer, peer))
			continue;
		return (ik);
	}
	return (NULL);
}

static void
timer_set(struct ikesa *ik, int secs)
{
	struct timeval	 tv = { secs, 0 };

	evtimer_add(ik->ik_timer, &tv);
}

/* --- building and sending ------------------------------------------------ */

static void
hdr_init(struct ikesa *ik, struct ike_hdr *h, uint8_t exch, int response,
    uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	h->h_ispi = be64(ik->ik_spii);
	h->h_rspi = be64(ik->ik_spir);
	h->h_version = IKE_VERSION;
	h->h_exchange = exch;
	h->h_flags = (ik->ik_initiator ? IKEV2_FLAG_I : 0) |
	    (response ? IKEV2_FLAG_R : 0);
	h->h_msgid = msgid;
}

/*
 * The message b (header, SK payload header, innerlen bytes of inner
 * payloads) as a train of SKF fragments (RFC 7383), or NULL.
 */
static uint8_t *
sk_seal_frag(struct ikesa *ik, const uint8_t *b, size_t innerlen,
    size_t *lenp)
{
	uint8_t		*train;
	uint16_t	 n;

	if ((train = frag_seal(&ik->ik_keys, ik->ik_initiator, b,
	    b[IKE_HDR_LEN], b + IKE_HDR_LEN + IKE_GEN_LEN, innerlen,
	    frag_mtu(ik->ik_peer.ss_family), lenp, &n)) == NULL) {
		log_warnx("sa %llu: cannot fragment %zu bytes: %s",
		    (unsigned long long)ik->ik_sa->sa_id, innerlen,
		    crypto_errstr());
		return (NULL);
	}
	log_debug("sa %llu: %zu bytes of payloads in %u fragments",
	    (unsigned long long)ik->ik_sa->sa_id, innerlen, n);
	return (train);
}

/*
 * Encrypts what pb holds after its SK payload (opened with no IV room)
 * into a datagram, or a train of fragments when RFC 7383 was agreed and
 * it is too long for the path; returns it (malloc'd) or NULL.
 */
static uint8_t *
sk_seal(struct ikesa *ik, struct pld_builder *pb, ssize_t inner, size_t *lenp)
{
	uint8_t		*msg, *b;
	size_t		 innerlen, msgsz, mlen;
	ssize_t		 total;

	if ((total = pld_build_finish(pb)) == -1 || inner < 0) {
		log_warnx("sa %llu: cannot build a message: %s",
		    (unsigned long long)ik->ik_sa->sa_id,
		    pb->pb_err != NULL ? pb->pb_err : "?");
		return (NULL);
	}
	b = ibuf_data(pb->pb_buf);
	innerlen = ibuf_length(pb->pb_buf) - inner;
	msgsz = inner + sk_bodylen(&ik->ik_keys, innerlen);
	if (ik->ik_frag && inner == IKE_HDR_LEN + IKE_GEN_LEN &&
	    msgsz > frag_mtu(ik->ik_peer.ss_family))
		return (sk_seal_frag(ik, b, innerlen, lenp));
	msg = xcalloc(1, msgsz);
	memcpy(msg, b, inner);
	if (sk_encrypt(&ik->ik_keys, ik->ik_initiator, b + inner, innerlen,
	    msg, msgsz, inner - IKE_GEN_LEN, inner, &mlen) == -1) {
		log_warnx("sa %llu: encrypt: %s",
		    (unsigned long long)ik->ik_sa->sa_id, crypto_errstr());
		free(msg);
		return (NULL);
	}
	*lenp = mlen;
	return (msg);
}

/* Keeps and sends the answer to the peer's request. */
static void
send_response(struct ikesa *ik, uint8_t *msg, size_t len)
{
	free(ik->ik_lastres);
	ik->ik_lastres = msg;
	ik->ik_lastreslen = len;
	ikesa_send(ik, msg, len);
}

/* Keeps and sends our request, retransmitted until answered. */
static void
send_request(struct ikesa *ik, uint8_t *msg, size_t len)
{
	free(ik->ik_lastreq);
	ik->ik_lastreq = msg;
	ik->ik_lastreqlen = len;
	ik->ik_tries = 0;
	ikesa_send(ik, msg, len);
	timer_set(ik, IKEV2_RETRANSMIT_BASE);
}

/* An encrypted notification-only response (errors after IKE_SA_INIT). */
static void
respond_notify(struct ikesa *ik, uint8_t exch, uint32_t msgid, uint16_t type)
{
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			*msg;
	size_t			 len;
	ssize_t			 inner;

	b = ibuf_new(0);
	hdr_init(ik, &h, exch, 1, msgid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	pld_add_notify(&pb, 0, 0, 0, type, NULL, 0);
	if ((msg = sk_seal(ik, &pb, inner, &len)) != NULL)
		send_response(ik, msg, len);
	ibuf_free(b);
}

/* A clear-text notification answering an IKE_SA_INIT request. */
static void
respond_init_notify(int sock, const struct ike_hdr *rh,
    const struct sockaddr_storage *local, const struct sockaddr_storage *peer,
    uint16_t type, const void *data, size_t dlen)
{
	struct ikesa		 tmp;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	ssize_t			 len;

	memset(&tmp, 0, sizeof(tmp));
	tmp.ik_local = *local;
	tmp.ik_peer = *peer;
	tmp.ik_sock = sock;
	memset(&h, 0, sizeof(h));
	h.h_ispi = rh->h_ispi;
	h.h_version = IKE_VERSION;
	h.h_exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.h_flags = IKEV2_FLAG_R;
	b = ibuf_new(0);
	pld_build_init(&pb, b, &h);
	pld_add_notify(&pb, 0, 0, 0, type, data, dlen);
	if ((len = pld_build_finish(&pb)) > 0)
		ikesa_send(&tmp, ibuf_data(b), len);
	ibuf_free(b);
}

/* --- proposals ----------------------------------------------------------- */

/* Is the transform (type, id, bits) among the peer proposal's? */
static int
prop_has(const struct pld_prop *pp, uint8_t type, uint16_t id, uint16_t bits)
{
	size_t	 i;

	for (i = 0; i < pp->pp_nxforms; i++) {
		const struct pld_xform	*x = &pp->pp_xforms[i];

		if (x->xf_type == type && x->xf_id == id &&
		    x->xf_keylen == bits && !(x->xf_flags & PLD_XF_UNUSABLE))
			return (1);
	}
	return (0);
}

static int
prop_has_type(const struct pld_prop *pp, uint8_t type)
{
	size_t	 i;

	for (i = 0; i < pp->pp_nxforms; i++)
		if (pp->pp_xforms[i].xf_type == type)
			return (1);
	return (0);
}

/*
 * The first of our proposals (policy order) that one of the peer's
 * proposals of protocol proto fully covers: for each transform type, the
 * first of ours the peer offers.  For DH, the peer's KE group is taken
 * when acceptable (kegroup 0: none).  The result goes to *out (numbered
 * as the peer's) and *ourdh.  Returns 0, or -1 when nothing fits.
 */
#define PROP_NO_KE	0xffff	/* prop_select's kegroup in IKE_AUTH */

static int
prop_select(const struct pol_prop *ours, size_t nours,
    const struct pld_sa *peer, uint8_t proto, uint16_t kegroup,
    struct pld_prop *out)
{
	static const uint8_t	 types[] = { XF_ENCR, XF_PRF, XF_INTEG,
				    XF_DH, XF_ESN };
	const struct pol_prop	*op;
	const struct pld_prop	*pp;
	const struct pol_xform	*xf;
	size_t			 i, j, t, k;
	int			 found, aead;

	for (i = 0; i < nours; i++) {
		op = &ours[i];
		if (op->pr_protoid != proto)
			continue;
		for (j = 0; j < peer->sa_nprops; j++) {
			pp = &peer->sa_props[j];
			if (pp->pp_proto != proto ||
			    (pp->pp_flags & PLD_PROP_UNUSABLE))
				continue;
			memset(out, 0, sizeof(*out));
			out->pp_num = pp->pp_num;
			out->pp_proto = proto;
			out->pp_spisize = pp->pp_spisize;
			out->pp_spi = pp->pp_spi;
			aead = 0;
			found = 1;
			for (t = 0; t < nitems(types) && found; t++) {
				int	 want = 0, have = 0;

				/*
				 * IKE_AUTH has no key exchange: a CHILD SA's
				 * group is for its rekeys, and plays no part
				 * here (RFC 7296 1.2)
				 */
				if (types[t] == XF_DH && kegroup == PROP_NO_KE)
					continue;

				/* the peer's KE group first, if ours */
				if (types[t] == XF_DH && kegroup != 0)
					for (k = 0; k < op->pr_nxf; k++) {
						xf = &op->pr_xf[k];
						if (xf->xf_type == XF_DH &&
						    xf->xf_id == kegroup &&
						    prop_has(pp, XF_DH,
						    kegroup, 0)) {
							have = 1;
							out->pp_xforms[
							    out->pp_nxforms++] =
							    (struct pld_xform){
							    XF_DH, 0,
							    kegroup, 0 };
							break;
						}
					}
				for (k = 0; k < op->pr_nxf && !have; k++) {
					xf = &op->pr_xf[k];
					if (xf->xf_type != types[t])
						continue;
					want = 1;
					/* "group none": no PFS */
					if (xf->xf_type == XF_DH &&
					    xf->xf_id == 0 &&
					    !prop_has_type(pp, XF_DH)) {
						have = 1;
						break;
					}
					if (!prop_has(pp, xf->xf_type,
					    xf->xf_id, xf->xf_keylen))
						continue;
					have = 1;
					if (xf->xf_type == XF_ENCR &&
					    policy_xform_is_aead(xf))
						aead = 1;
					out->pp_xforms[out->pp_nxforms++] =
					    (struct pld_xform){ xf->xf_type,
					    0, xf->xf_id, xf->xf_keylen };
				}
				if (have)
					continue;
				if (types[t] == XF_ESN &&
				    (!prop_has_type(pp, XF_ESN) ||
				    prop_has(pp, XF_ESN, 0, 0))) {
					/* no ESN: fine if the peer allows */
					if (prop_has_type(pp, XF_ESN))
						out->pp_xforms[
						    out->pp_nxforms++] =
						    (struct pld_xform){ XF_ESN,
						    0, 0, 0 };
					continue;
				}
				if (types[t] == XF_INTEG && aead &&
				    !prop_has_type(pp, XF_INTEG))
					continue;
				if (!want && !prop_has_type(pp, types[t]))
					continue;
				found = 0;
			}
			if (found)
				return (0);
		}
	}
	return (-1);
}

static uint16_t
prop_get(const struct pld_prop *pp, uint8_t type, uint16_t *bits)
{
	size_t	 i;

	for (i = 0; i < pp->pp_nxforms; i++)
		if (pp->pp_xforms[i].xf_type == type) {
			if (bits != NULL)
				*bits = pp->pp_xforms[i].xf_keylen;
			return (pp->pp_xforms[i].xf_id);
		}
	if (bits != NULL)
		*bits = 0;
	return (0);
}

/* Our proposals as SA payload proposals. */
static size_t
props_ours(const struct pol_prop *ours, size_t nours, uint8_t proto,
    uint32_t spi, struct pld_prop *out, size_t max, uint16_t firstdh)
{
	size_t	 i, k, n = 0;

	for (i = 0; i < nours && n < max; i++) {
		struct pld_prop	*pp = &out[n];

		if (ours[i].pr_protoid != proto)
			continue;
		memset(pp, 0, sizeof(*pp));
		pp->pp_num = n + 1;
		pp->pp_proto = proto;
		pp->pp_spisize = proto == PROTO_IKE ? 0 : 4;
		pp->pp_spi = spi;
		/* the group we send a KE for comes first */
		for (k = 0; k < ours[i].pr_nxf; k++)
			if (ours[i].pr_xf[k].xf_type == XF_DH &&
			    ours[i].pr_xf[k].xf_id == firstdh)
				pp->pp_xforms[pp->pp_nxforms++] =
				    (struct pld_xform){ XF_DH, 0, firstdh, 0 };
		for (k = 0; k < ours[i].pr_nxf &&
		    pp->pp_nxforms < PLD_XFORMS_MAX; k++) {
			const struct pol_xform	*xf = &ours[i].pr_xf[k];

			if (xf->xf_type == XF_DH && (xf->xf_id == firstdh ||
			    xf->xf_id == 0))
				continue;
			pp->pp_xforms[pp->pp_nxforms++] = (struct pld_xform){
			    xf->xf_type, 0, xf->xf_id, xf->xf_keylen };
		}
		if (proto != PROTO_IKE && !prop_has_type(pp, XF_ESN) &&
		    pp->pp_nxforms < PLD_XFORMS_MAX)
			pp->pp_xforms[pp->pp_nxforms++] =
			    (struct pld_xform){ XF_ESN, 0, 0, 0 };
		n++;
	}
	return (n);
}

static void
suite_name(const struct ike_suite *s, char *buf, size_t len)
{
	char	 e[32], p[32], i[32], d[32];

	snprintf(buf, len, "%s%s%s %s %s",
	    xf_name(XF_ENCR, s->is_encr, s->is_encr_bits, e, sizeof(e)),
	    s->is_integ ? " " : "",
	    s->is_integ ? xf_name(XF_INTEG, s->is_integ, 0, i, sizeof(i)) : "",
	    xf_name(XF_PRF, s->is_prf, 0, p, sizeof(p)),
	    xf_name(XF_DH, s->is_dh, 0, d, sizeof(d)));
}

/* --- IDs ----------------------------------------------------------------- */

/* Our ID payload body (type, 3 reserved bytes, data), for AUTH. */
static size_t
id_ours(struct ikesa *ik, uint8_t *body, size_t max, char *str, size_t slen)
{
	const struct pol_id	*pid = &ik->ik_pol->pol_srcid;
	const uint8_t		*ip;
	size_t			 len;

	memset(body, 0, 4);
	if (pid->id_type != ID_NONE && pid->id_str != NULL) {
		if (pid->id_type == ID_IPV4 && inet_pton(AF_INET,
		    pid->id_str, body + 4) == 1) {
			body[0] = IKEV2_ID_IPV4;
			strlcpy(str, pid->id_str, slen);
			return (8);
		}
		if (pid->id_type == ID_IPV6 && inet_pton(AF_INET6,
		    pid->id_str, body + 4) == 1) {
			body[0] = IKEV2_ID_IPV6;
			strlcpy(str, pid->id_str, slen);
			return (20);
		}
		len = strlen(pid->id_str);
		if (len + 4 <= max && pid->id_type != ID_ASN1_DN) {
			body[0] = pid->id_type;
			memcpy(body + 4, pid->id_str, len);
			strlcpy(str, pid->id_str, slen);
			return (len + 4);
		}
	}
	ip = ss_ip(&ik->ik_local, &len);
	body[0] = len == 4 ? IKEV2_ID_IPV4 : IKEV2_ID_IPV6;
	memcpy(body + 4, ip, len);
	ss_str(&ik->ik_local, str, slen);
	return (len + 4);
}

static void
id_str(const struct pld_id *id, char *buf, size_t len)
{
	size_t	 n;

	switch (id->id_type) {
	case IKEV2_ID_IPV4:
		if (id->id_data.d_len == 4 && inet_ntop(AF_INET,
		    id->id_data.d_ptr, buf, len) != NULL)
			return;
		break;
	case IKEV2_ID_IPV6:
		if (id->id_data.d_len == 16 && inet_ntop(AF_INET6,
		    id->id_data.d_ptr, buf, len) != NULL)
			return;
		break;
	case IKEV2_ID_FQDN:
	case IKEV2_ID_RFC822:
		n = id->id_data.d_len < len - 1 ? id->id_data.d_len : len - 1;
		memcpy(buf, id->id_data.d_ptr, n);
		buf[n] = '\0';
		for (; n > 0; n--)
			if (buf[n - 1] < 0x20 || buf[n - 1] > 0x7e)
				buf[n - 1] = '?';
		return;
	}
	snprintf(buf, len, "<%s, %zu bytes>", pld_id_type_name(id->id_type),
	    id->id_data.d_len);
}

/* Does the peer's ID match the policy's dstid (when it names one)? */
static int
id_match(const struct pol_id *want, const struct pld_id *id)
{
	char	 s[POL_ID_MAX + 1];

	if (want->id_type == ID_NONE || want->id_str == NULL)
		return (1);
	id_str(id, s, sizeof(s));
	return (strcmp(s, want->id_str) == 0);
}

/* --- policies ------------------------------------------------------------ */

/*
 * The policy for a peer: addresses must match; the last match wins
 * unless a "quick" one matched first (as in OpenIKED).  With IDs, the
 * peer's must match dstid and the one it asks for srcid.
 */
static const struct policy *
policy_for(const struct sockaddr_storage *local,
    const struct sockaddr_storage *peer, const struct pld_id *idi,
    const struct pld_id *idr)
{
	const struct policy_set	*ps = ex.gen->g_ps;
	const struct policy	*p, *best = NULL;
	const uint8_t		*lip, *pip;
	size_t			 i, len;

	if (ps == NULL)
		return (NULL);
	lip = ss_ip(local, &len);
	pip = ss_ip(peer, &len);
	for (i = 0; i < ps->ps_npolicies; i++) {
		p = &ps->ps_policies[i];
		if (p->pol_auth != AUTH_PSK)
			continue;
		if (p->pol_af != POL_AF_NONE &&
		    p->pol_af != pol_af(peer->ss_family))
			continue;
		if (!host_match(&p->pol_peer, peer->ss_family, pip) ||
		    !host_match(&p->pol_local, local->ss_family, lip))
			continue;
		if (idi != NULL && !id_match(&p->pol_dstid, idi))
			continue;
		if (idr != NULL && !id_match(&p->pol_srcid, idr))
			continue;
		best = p;
		if (p->pol_match == MATCH_QUICK)
			break;
	}
	return (best);
}

/* --- traffic selectors --------------------------------------------------- */

static void
ts_to_kts(const struct pld_tsel *t, struct kernel_ts *k)
{
	memset(k, 0, sizeof(*k));
	k->kt_af = t->ts_type == IKEV2_TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
	memcpy(k->kt_start, t->ts_saddr, 16);
	memcpy(k->kt_end, t->ts_eaddr, 16);
	k->kt_sport = t->ts_sport;
	k->kt_eport = t->ts_eport;
}

/*
 * The intersection of a peer's selector with a policy side (host, port,
 * protocol); -1 when empty.
 */
static int
ts_narrow(const struct pld_tsel *t, const struct pol_host *h, uint16_t port,
    uint8_t proto, struct pld_tsel *out)
{
	uint8_t	 s[16], e[16];
	int	 af = t->ts_type == IKEV2_TS_IPV4_ADDR_RANGE ? AF_INET :
		    AF_INET6;
	size_t	 alen = af == AF_INET ? 4 : 16;
	uint16_t sp = port == 0 ? 0 : port, ep = port == 0 ? 65535 : port;

	if (host_range(h, af, s, e) == -1)
		return (-1);
	*out = *t;
	if (memcmp(t->ts_saddr, s, alen) < 0)
		memcpy(out->ts_saddr, s, alen);
	if (memcmp(t->ts_eaddr, e, alen) > 0)
		memcpy(out->ts_eaddr, e, alen);
	if (memcmp(out->ts_saddr, out->ts_eaddr, alen) > 0)
		return (-1);
	if (proto != 0) {
		if (t->ts_proto != 0 && t->ts_proto != proto)
			return (-1);
		out->ts_proto = proto;
	}
	if (t->ts_sport > sp)
		sp = t->ts_sport;
	if (t->ts_eport < ep)
		ep = t->ts_eport;
	if (sp > ep)
		return (-1);
	out->ts_sport = sp;
	out->ts_eport = ep;
	return (0);
}

/* A policy side as a selector of family af. */
static int
ts_from_host(const struct pol_host *h, int af, uint16_t port, uint8_t proto,
    struct pld_tsel *out)
{
	memset(out, 0, sizeof(*out));
	out->ts_type = af == AF_INET ? IKEV2_TS_IPV4_ADDR_RANGE :
	    IKEV2_TS_IPV6_ADDR_RANGE;
	out->ts_proto = proto;
	out->ts_sport = port;
	out->ts_eport = port == 0 ? 65535 : port;
	return (host_range(h, af, out->ts_saddr, out->ts_eaddr));
}

static int
flow_af(const struct pol_flow *f, int defaf)
{
	if (f->fl_src.h_af == POL_AF_INET || f->fl_dst.h_af == POL_AF_INET)
		return (AF_INET);
	if (f->fl_src.h_af == POL_AF_INET6 || f->fl_dst.h_af == POL_AF_INET6)
		return (AF_INET6);
	return (defaf);
}

/*
 * Responder: the first flow of the policy that the peer's TSi (its
 * side, our flows' destination) and TSr (ours, the flows' source)
 * intersect, narrowed to one pair.
 */
static int
ts_select(const struct policy *pol, const struct pld_ts *tsi,
    const struct pld_ts *tsr, struct pld_tsel *oi, struct pld_tsel *or)
{
	const struct pol_flow	*f;
	uint8_t			 proto = pol->pol_nprotos > 0 ?
				    pol->pol_protos[0] : 0;
	size_t			 i, a, b;

	for (i = 0; i < pol->pol_nflows; i++) {
		f = &pol->pol_flows[i];
		for (a = 0; a < tsi->ts_count; a++) {
			if (ts_narrow(&tsi->ts_sel[a], &f->fl_dst,
			    f->fl_dport, proto, oi) == -1)
				continue;
			for (b = 0; b < tsr->ts_count; b++) {
				if (tsr->ts_sel[b].ts_type !=
				    tsi->ts_sel[a].ts_type)
					continue;
				if (ts_narrow(&tsr->ts_sel[b], &f->fl_src,
				    f->fl_sport, proto, or) == 0) {
					if (or->ts_proto != oi->ts_proto) {
						if (oi->ts_proto == 0)
							oi->ts_proto =
							    or->ts_proto;
						else if (or->ts_proto == 0)
							or->ts_proto =
							    oi->ts_proto;
						else
							continue;
					}
					return (0);
				}
			}
		}
	}
	return (-1);
}

/* Kernel selectors from the TS pair; local is our side. */
static int
child_selectors(struct childsa *cs, const struct pld_tsel *local,
    const struct pld_tsel *peer)
{
	struct kernel_ts	 l, p;

	ts_to_kts(local, &l);
	ts_to_kts(peer, &p);
	if (kernel_sel_from_ts(&l, &p, local->ts_proto, &cs->cs_sel_out) ==
	    -1 || kernel_sel_from_ts(&p, &l, local->ts_proto,
	    &cs->cs_sel_in) == -1)
		return (-1);
	return (0);
}

/* --- CHILD SA ------------------------------------------------------------ */

/*
 * A new IKE SA with a peer replaces the older ones of the same policy
 * with that peer (a restarted peer, or both sides initiating): they are
 * deleted, with a Delete, before the new CHILD SA's kernel state goes in
 * (the parent carries out requests in order).
 */
static void
ikesa_replace_older(struct ikesa *ik)
{
	struct sa	*sa;
	struct ikesa	*o;

	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		/* only in the same direction: both sides initiating
		   at once must not delete each other's choice */
		if ((o = sa->sa_ike) == NULL || o == ik ||
		    o->ik_state != IKS_ESTABLISHED ||
		    o->ik_initiator != ik->ik_initiator ||
		    !ss_equal(&o->ik_peer, &ik->ik_peer) ||
		    strcmp(sa->sa_policy_name, ik->ik_sa->sa_policy_name) != 0)
			continue;
		ikesa_kill(o, 1, "replaced by sa %llu",
		    (unsigned long long)ik->ik_sa->sa_id);
	}
}

/* Keys and kernel state of the negotiated CHILD SA (proposal cp). */
static int
child_make(struct ikesa *ik, const struct pld_prop *cp)
{
	struct childsa		*cs = &ik->ik_child;
	struct child_keys	 ck;
	uint16_t		 encr, bits, integ;
	char			 e[32], i[32];
	struct sa		*sa = ik->ik_sa;

	encr = prop_get(cp, XF_ENCR, &bits);
	integ = prop_get(cp, XF_INTEG, NULL);
	cs->cs_esn = prop_get(cp, XF_ESN, NULL) == 1;
	if (child_keys_derive(&ck, &ik->ik_keys, encr, bits, integ, NULL, 0,
	    ik->ik_ni, ik->ik_nilen, ik->ik_nr, ik->ik_nrlen) == -1) {
		log_warnx("sa %llu: CHILD SA keys: %s",
		    (unsigned long long)sa->sa_id, crypto_errstr());
		return (-1);
	}
	ikesa_replace_older(ik);
	cs->cs_reqid = KERNEL_REQID_MIN + (++ex.nextreqid % 0xffff);
	child_install(ik, &ck);
	child_keys_clear(&ck);
	sa->sa_spi_in = cs->cs_spi_in;
	sa->sa_spi_out = cs->cs_spi_out;
	snprintf(sa->sa_child_algs, sizeof(sa->sa_child_algs), "%s %s%s%s",
	    cs->cs_proto == IPPROTO_AH ? "ah" : "esp",
	    encr ? xf_name(XF_ENCR, encr, bits, e, sizeof(e)) : "",
	    encr && integ ? " " : "",
	    integ ? xf_name(XF_INTEG, integ, 0, i, sizeof(i)) : "");
	strlcpy(sa->sa_child_mode, cs->cs_mode == KMODE_TUNNEL ? "tunnel" :
	    "transport", sizeof(sa->sa_child_mode));
	return (0);
}

static int
msg_has_notify(const struct ike_msg *m, uint16_t type,
    const struct pld_notify **np)
{
	size_t	 i;

	for (i = 0; i < m->m_nnotify; i++)
		if (m->m_notify[i].n_type == type) {
			if (np != NULL)
				*np = &m->m_notify[i];
			return (1);
		}
	return (0);
}

static const struct pld_notify *
msg_error_notify(const struct ike_msg *m)
{
	size_t	 i;

	for (i = 0; i < m->m_nnotify; i++)
		if (m->m_notify[i].n_type < 16384)
			return (&m->m_notify[i]);
	return (NULL);
}

/* --- floods (RFC 7296 2.6, cookie.c), fragments (RFC 7383, ikev2_frag.c) -- */

void
ikev2_set_cookie_threshold(size_t n)
{
	dos.limits.cl_threshold = n;
}

/*
 * Admission of an IKE_SA_INIT request (RFC 7296 2.6, cookie.c): counts
 * the half-open responder SAs, in all and from the peer's address, and
 * checks a COOKIE it brings.  Returns 0 to go on, or -1 when answered
 * with a COOKIE notify or dropped.  A half-open SA holds its struct
 * ikesa and struct sa, the keys, and copies of the request and response.
 */
static int
init_admit(int sock, struct ike_msg *m, const struct sockaddr_storage *local,
    const struct sockaddr_storage *peer)
{
	const struct pld_notify	*n;
	struct sa		*sa;
	struct ikesa		*ik;
	const uint8_t		*ip;
	uint8_t			 spii[8], cookie[COOKIE_LEN];
	size_t			 iplen, all = 0, mine = 0;
	int			 ok = 0, clen;
	char			 a[64];

	if (!PLD_SEEN(m, IKEV2_PLD_NONCE))
		return (0);	/* init_respond drops it */
	if (!dos.ready) {
		if (cookie_init(&dos.secrets, time(NULL)) == -1)
			fatalx("cookie secret: %s", crypto_errstr());
		dos.ready = 1;
	} else if (cookie_rotate(&dos.secrets, time(NULL)) == -1)
		fatalx("cookie secret: %s", crypto_errstr());
	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if ((ik = sa->sa_ike) == NULL || ik->ik_initiator ||
		    ik->ik_state != IKS_INIT_DONE)
			continue;
		all++;
		if (ss_equal(&ik->ik_peer, peer))
			mine++;
	}
	ip = ss_ip(peer, &iplen);
	put_be64(spii, m->m_hdr.h_ispi);
	if (msg_has_notify(m, IKEV2_N_COOKIE, &n)) {
		ok = cookie_check(&dos.secrets, n->n_data.d_ptr,
		    n->n_data.d_len, m->m_nonce.d_ptr, m->m_nonce.d_len, ip,
		    iplen, spii) == 0;
		if (ok)
			ex.ctr.ic_cookies_verified++;
		else
			ex.ctr.ic_cookies_refused++;
	}
	switch (cookie_admit(&dos.limits, all, mine, ok)) {
	case COOKIE_PASS:
		return (0);
	case COOKIE_DEMAND:
		if ((clen = cookie_make(&dos.secrets, m->m_nonce.d_ptr,
		    m->m_nonce.d_len, ip, iplen, spii, cookie,
		    sizeof(cookie))) == -1)
			return (-1);
		ex.ctr.ic_cookies_sent++;
		respond_init_notify(sock, &m->m_hdr, local, peer,
		    IKEV2_N_COOKIE, cookie, clen);
		return (-1);
	default:
		ex.ctr.ic_halfopen_refused++;
		log_debug("peer %s: IKE_SA_INIT refused: %zu half-open SAs, "
		    "%zu of them from this address",
		    ss_str(peer, a, sizeof(a)), all, mine);
		return (-1);
	}
}

/* Is fragmentation (RFC 7383) on in the running policy set? */
static int
frag_enabled(void)
{
	return (ex.gen->g_ps != NULL &&
	    (ex.gen->g_ps->ps_globals.gl_flags & GL_FRAGMENTATION) != 0);
}

/*
 * One SKF fragment (RFC 7383) of the message the IKE SA expects:
 * authenticated and decrypted on its own, then kept (ikev2_frag.c).
 * When it completes the message, the inner payloads go to buf (size
 * bytes, holding the len bytes of this fragment) at *inoff, *inlen, with
 * the first one's type in m->m_sk.sk_first, and 1 is returned; else 0.
 */
static int
frag_input(struct ikesa *ik, struct ike_msg *m, uint8_t *buf, size_t size,
    size_t len, size_t *inoff, size_t *inlen)
{
	const struct pld_sk	*sk = &m->m_sk;
	ssize_t			 whole;
	uint8_t			 first;
	char			 err[256];
	int			 r, gone;

	if (!ik->ik_frag) {
		log_debug("sa %llu: a fragment, but RFC 7383 was not agreed",
		    (unsigned long long)ik->ik_sa->sa_id);
		ex.ctr.ic_dropped++;
		return (0);
	}
	if (sk_decrypt(&ik->ik_keys, !ik->ik_initiator, buf, len,
	    sk->sk_off - IKE_GEN_LEN - 4, sk->sk_off, inoff, inlen) == -1) {
		log_debug("sa %llu: fragment %u of %u: %s, dropped",
		    (unsigned long long)ik->ik_sa->sa_id, sk->sk_fragnum,
		    sk->sk_fragtotal, crypto_errstr());
		ex.ctr.ic_dropped++;
		return (0);
	}
	ex.ctr.ic_frags_received++;
	r = frag_add(&ik->ik_reasm, m->m_hdr.h_msgid, sk->sk_fragnum,
	    sk->sk_fragtotal, sk->sk_first, buf + *inoff, *inlen, time(NULL),
	    &gone, err, sizeof(err));
	if (gone)
		ex.ctr.ic_reasm_dropped++;
	switch (r) {
	case FRAG_DONE:
		break;
	case FRAG_DROP:
		log_warnx("sa %llu: fragment %u of %u dropped: %s",
		    (unsigned long long)ik->ik_sa->sa_id, sk->sk_fragnum,
		    sk->sk_fragtotal, err);
		ex.ctr.ic_dropped++;
		return (0);
	default:
		return (0);
	}
	*inoff = IKE_HDR_LEN;
	whole = frag_take(ik->ik_reasm, buf + *inoff, size - *inoff, &first);
	frag_free(&ik->ik_reasm);
	if (whole == -1) {
		ex.ctr.ic_reasm_dropped++;
		return (0);
	}
	ex.ctr.ic_reasm_done++;
	*inlen = whole;
	m->m_sk.sk_first = first;
	log_debug("sa %llu: message %u reassembled: %zd bytes",
	    (unsigned long long)ik->ik_sa->sa_id, m->m_hdr.h_msgid, whole);
	return (1);
}

/* --- IKE_SA_INIT --------------------------------------------------------- */

static void
init_respond(int sock, struct ike_msg *m, const uint8_t *raw, size_t rawlen,
    const struct sockaddr_storage *local, const struct sockaddr_storage *peer)
{
	const struct policy	*pol;
	struct ikesa		*ik;
	struct pld_prop		 sel;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			 pub[CRYPTO_DH_MAX], gir[CRYPTO_DH_MAX];
	uint8_t			 g[2], *msg;
	size_t			 publen = sizeof(pub);
	size_t			 girlen = sizeof(gir);
	ssize_t			 len;
	uint16_t		 dh;
	char			 a[64], name[128];

	ss_str(peer, a, sizeof(a));
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_KE) ||
	    !PLD_SEEN(m, IKEV2_PLD_NONCE) || m->m_hdr.h_msgid != 0) {
		log_warnx("peer %s: IKE_SA_INIT without SA, KE or Nonce, "
		    "dropped", a);
		ex.ctr.ic_malformed++;
		return;
	}
	if ((pol = policy_for(local, peer, NULL, NULL)) == NULL) {
		log_warnx("peer %s: IKE_SA_INIT: no policy for this peer "
		    "(NO_PROPOSAL_CHOSEN)", a);
		ex.ctr.ic_no_proposal++;
		respond_init_notify(sock, &m->m_hdr, local, peer,
		    IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (prop_select(pol->pol_ikeprops, pol->pol_nikeprops, &m->m_sa,
	    PROTO_IKE, m->m_ke.ke_group, &sel) == -1) {
		log_warnx("peer %s: policy \"%s\": no acceptable IKE proposal "
		    "(NO_PROPOSAL_CHOSEN)", a, pol->pol_name);
		ex.ctr.ic_no_proposal++;
		respond_init_notify(sock, &m->m_hdr, local, peer,
		    IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	dh = prop_get(&sel, XF_DH, NULL);
	if (dh != m->m_ke.ke_group) {
		log_info("peer %s: KE of group %u, asking for group %u "
		    "(INVALID_KE_PAYLOAD)", a, m->m_ke.ke_group, dh);
		g[0] = dh >> 8;
		g[1] = dh & 0xff;
		respond_init_notify(sock, &m->m_hdr, local, peer,
		    IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	if (m->m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    m->m_nonce.d_len > CRYPTO_NONCE_MAX) {
		ex.ctr.ic_malformed++;
		return;
	}

	ik = ikesa_new(pol, 0, local, peer, sock);
	ik->ik_state = IKS_INIT_DONE;
	ik->ik_frag = frag_enabled() &&
	    msg_has_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
	put_be64(ik->ik_spii, m->m_hdr.h_ispi);
	ik->ik_suite.is_encr = prop_get(&sel, XF_ENCR,
	    &ik->ik_suite.is_encr_bits);
	ik->ik_suite.is_integ = prop_get(&sel, XF_INTEG, NULL);
	ik->ik_suite.is_prf = prop_get(&sel, XF_PRF, NULL);
	ik->ik_suite.is_dh = dh;
	ik->ik_nilen = m->m_nonce.d_len;
	memcpy(ik->ik_ni, m->m_nonce.d_ptr, ik->ik_nilen);
	ik->ik_nrlen = CRYPTO_NONCE_LEN;
	if (crypto_random_ike_spi(ik->ik_spir) == -1 ||
	    crypto_random_nonce(ik->ik_nr, ik->ik_nrlen) == -1 ||
	    (ik->ik_dh = dh_new(dh)) == NULL ||
	    dh_public(ik->ik_dh, pub, &publen) == -1 ||
	    dh_derive(ik->ik_dh, m->m_ke.ke_data.d_ptr, m->m_ke.ke_data.d_len,
	    gir, &girlen) == -1 ||
	    ike_keys_new(&ik->ik_keys, &ik->ik_suite, gir, girlen, ik->ik_ni,
	    ik->ik_nilen, ik->ik_nr, ik->ik_nrlen, ik->ik_spii,
	    ik->ik_spir) == -1) {
		explicit_bzero(gir, sizeof(gir));
		ikesa_kill(ik, 0, "IKE_SA_INIT: %s", crypto_errstr());
		return;
	}
	explicit_bzero(gir, sizeof(gir));
	dh_free(ik->ik_dh);	/* a half-open SA keeps only what it needs */
	ik->ik_dh = NULL;
	ik->ik_initreq = xcalloc(1, rawlen);
	memcpy(ik->ik_initreq, raw, rawlen);
	ik->ik_initreqlen = rawlen;
	ik->ik_peerid = 1;

	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_IKE_SA_INIT, 1, 0);
	pld_build_init(&pb, b, &h);
	sel.pp_spisize = 0;
	pld_add_sa(&pb, &sel, 1);
	pld_add_ke(&pb, dh, pub, publen);
	pld_add_nonce(&pb, ik->ik_nr, ik->ik_nrlen);
	if (ik->ik_frag)
		pld_add_notify(&pb, 0, 0, 0,
		    IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if ((len = pld_build_finish(&pb)) == -1) {
		ibuf_free(b);
		ikesa_kill(ik, 0, "IKE_SA_INIT response: %s", pb.pb_err);
		return;
	}
	ik->ik_initres = xcalloc(1, len);
	memcpy(ik->ik_initres, ibuf_data(b), len);
	ik->ik_initreslen = len;
	msg = xcalloc(1, len);
	memcpy(msg, ik->ik_initres, len);
	send_response(ik, msg, len);
	ibuf_free(b);
	ik->ik_sa->sa_ispi = be64(ik->ik_spii);
	ik->ik_sa->sa_rspi = be64(ik->ik_spir);
	suite_name(&ik->ik_suite, name, sizeof(name));
	strlcpy(ik->ik_sa->sa_ike_algs, name, sizeof(ik->ik_sa->sa_ike_algs));
	log_info("sa %llu: peer %s: IKE_SA_INIT answered, policy \"%s\", %s",
	    (unsigned long long)ik->ik_sa->sa_id, a, pol->pol_name, name);
	timer_set(ik, IKEV2_LARVAL_TIMEOUT);
}

/* --- IKE_AUTH as responder ----------------------------------------------- */

static void
auth_respond(struct ikesa *ik, struct ike_msg *m)
{
	const struct policy	*pol;
	struct sa		*sa = ik->ik_sa;
	struct pld_prop		 cp;
	struct pld_tsel		 oi, or;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			 idb[4 + POL_ID_MAX], auth[CRYPTO_PRF_MAX];
	uint8_t			*msg;
	size_t			 idlen, authlen = sizeof(auth), len;
	ssize_t			 inner;
	char			 a[64], pid[256], lid[256];
	uint16_t		 err = 0;
	int			 transport;

	ss_str(&ik->ik_peer, a, sizeof(a));
	if (!PLD_SEEN(m, IKEV2_PLD_IDI) || !PLD_SEEN(m, IKEV2_PLD_AUTH)) {
		ex.ctr.ic_malformed++;
		ikesa_kill(ik, 0, "IKE_AUTH without IDi or AUTH");
		return;
	}
	id_str(&m->m_idi, pid, sizeof(pid));
	free(sa->sa_peer_id);
	sa->sa_peer_id = xstrdup(pid);
	pol = policy_for(&ik->ik_local, &ik->ik_peer, &m->m_idi,
	    PLD_SEEN(m, IKEV2_PLD_IDR) ? &m->m_idr : NULL);
	if (pol == NULL) {
		log_warnx("sa %llu: peer %s: no policy for ID \"%s\" "
		    "(AUTHENTICATION_FAILED)", (unsigned long long)sa->sa_id,
		    a, pid);
		ex.ctr.ic_auth_failed++;
		respond_notify(ik, IKEV2_EXCH_IKE_AUTH, m->m_hdr.h_msgid,
		    IKEV2_N_AUTHENTICATION_FAILED);
		ikesa_kill(ik, 0, "no policy");
		return;
	}
	if (pol != ik->ik_pol) {
		ik->ik_pol = pol;
		sa->sa_policy = pol;
		free(sa->sa_policy_name);
		sa->sa_policy_name = xstrdup(pol->pol_name);
	}
	if (m->m_auth.auth_method != IKEV2_AUTH_PSK ||
	    psk_auth_verify(&ik->ik_keys, 1, pol->pol_psk, pol->pol_psklen,
	    ik->ik_initreq, ik->ik_initreqlen, ik->ik_nr, ik->ik_nrlen,
	    m->m_idi.id_body.d_ptr, m->m_idi.id_body.d_len,
	    m->m_auth.auth_data.d_ptr, m->m_auth.auth_data.d_len) != 0) {
		log_warnx("sa %llu: peer %s: ID \"%s\": authentication failed "
		    "(%s, policy \"%s\"): AUTHENTICATION_FAILED",
		    (unsigned long long)sa->sa_id, a, pid,
		    m->m_auth.auth_method != IKEV2_AUTH_PSK ?
		    "not a PSK authentication" : "wrong pre-shared key",
		    pol->pol_name);
		ex.ctr.ic_auth_failed++;
		respond_notify(ik, IKEV2_EXCH_IKE_AUTH, m->m_hdr.h_msgid,
		    IKEV2_N_AUTHENTICATION_FAILED);
		ikesa_kill(ik, 0, "authentication failed");
		return;
	}

	idlen = id_ours(ik, idb, sizeof(idb), lid, sizeof(lid));
	strlcpy(sa->sa_local_id, lid, sizeof(sa->sa_local_id));
	if (psk_auth(&ik->ik_keys, 0, pol->pol_psk, pol->pol_psklen,
	    ik->ik_initres, ik->ik_initreslen, ik->ik_ni, ik->ik_nilen, idb,
	    idlen, auth, &authlen) == -1) {
		ikesa_kill(ik, 0, "AUTH: %s", crypto_errstr());
		return;
	}

	/* the CHILD SA */
	transport = (pol->pol_flags & POL_F_TRANSPORT) &&
	    msg_has_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL);
	memset(&ik->ik_child, 0, sizeof(ik->ik_child));
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_TSI) ||
	    !PLD_SEEN(m, IKEV2_PLD_TSR))
		err = IKEV2_N_NO_PROPOSAL_CHOSEN;
	else if (prop_select(pol->pol_childprops, pol->pol_nchildprops,
	    &m->m_sa, (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP,
	    PROP_NO_KE, &cp) == -1 || cp.pp_spisize != 4) {
		err = IKEV2_N_NO_PROPOSAL_CHOSEN;
		ex.ctr.ic_no_proposal++;
		log_warnx("sa %llu: peer %s: no acceptable CHILD SA proposal "
		    "(NO_PROPOSAL_CHOSEN)", (unsigned long long)sa->sa_id, a);
	} else if (ts_select(pol, &m->m_tsi, &m->m_tsr, &oi, &or) == -1 ||
	    child_selectors(&ik->ik_child, &or, &oi) == -1) {
		err = IKEV2_N_TS_UNACCEPTABLE;
		ex.ctr.ic_ts_unacceptable++;
		log_warnx("sa %llu: peer %s: traffic selectors fit no flow of "
		    "policy \"%s\" (TS_UNACCEPTABLE)",
		    (unsigned long long)sa->sa_id, a, pol->pol_name);
	}

	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_IKE_AUTH, 1, m->m_hdr.h_msgid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	pld_add_id(&pb, IKEV2_PLD_IDR, idb[0], idb + 4, idlen - 4);
	pld_add_auth(&pb, IKEV2_AUTH_PSK, auth, authlen);
	if (err != 0)
		pld_add_notify(&pb, 0, 0, 0, err, NULL, 0);
	else {
		struct childsa	*cs = &ik->ik_child;

		cs->cs_proto = cp.pp_proto == PROTO_AH ? IPPROTO_AH :
		    IPPROTO_ESP;
		cs->cs_mode = transport ? KMODE_TRANSPORT : KMODE_TUNNEL;
		cs->cs_spi_out = (uint32_t)cp.pp_spi;
		if (crypto_random_child_spi(&cs->cs_spi_in) == -1)
			fatalx("random: %s", crypto_errstr());
		if (transport)
			pld_add_notify(&pb, 0, 0, 0,
			    IKEV2_N_USE_TRANSPORT_MODE, NULL, 0);
		cp.pp_spi = cs->cs_spi_in;
		pld_add_sa(&pb, &cp, 1);
		pld_add_ts(&pb, IKEV2_PLD_TSI, &oi, 1);
		pld_add_ts(&pb, IKEV2_PLD_TSR, &or, 1);
	}
	msg = sk_seal(ik, &pb, inner, &len);
	ibuf_free(b);
	if (msg == NULL) {
		ikesa_kill(ik, 0, "IKE_AUTH response");
		return;
	}
	send_response(ik, msg, len);
	ik->ik_state = IKS_ESTABLISHED;
	sa->sa_state = SA_ESTABLISHED;
	sa->sa_established = time(NULL);
	ex.ctr.ic_ike_sas++;
	evtimer_del(ik->ik_timer);
	log_info("sa %llu: peer %s: IKE SA established as responder, peer ID "
	    "\"%s\", local ID \"%s\", policy \"%s\"",
	    (unsigned long long)sa->sa_id, a, pid, lid, pol->pol_name);
	if (err == 0 && child_make(ik, &cp) == 0)
		log_info("sa %llu: CHILD SA %s %s, spi in 0x%08x out 0x%08x",
		    (unsigned long long)sa->sa_id, sa->sa_child_algs,
		    sa->sa_child_mode, ik->ik_child.cs_spi_in,
		    ik->ik_child.cs_spi_out);
}

/* --- initiator ----------------------------------------------------------- */

static void
init_send(struct ikesa *ik)
{
	const struct policy	*pol = ik->ik_pol;
	struct pld_prop		*props;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			 pub[CRYPTO_DH_MAX], *msg;
	size_t			 publen = sizeof(pub), n;
	ssize_t			 len;

	if (ik->ik_dh != NULL)
		dh_free(ik->ik_dh);
	if ((ik->ik_dh = dh_new(ik->ik_group)) == NULL ||
	    dh_public(ik->ik_dh, pub, &publen) == -1) {
		ikesa_kill(ik, 0, "DH group %u: %s", ik->ik_group,
		    crypto_errstr());
		return;
	}
	props = xcalloc(PLD_PROPS_MAX, sizeof(*props));
	n = props_ours(pol->pol_ikeprops, pol->pol_nikeprops, PROTO_IKE, 0,
	    props, PLD_PROPS_MAX, ik->ik_group);
	b = ibuf_new(0);
	memset(ik->ik_spir, 0, sizeof(ik->ik_spir));
	hdr_init(ik, &h, IKEV2_EXCH_IKE_SA_INIT, 0, 0);
	pld_build_init(&pb, b, &h);
	if (ik->ik_cookie != NULL)	/* RFC 7296 2.6: first */
		pld_add_notify(&pb, 0, 0, 0, IKEV2_N_COOKIE, ik->ik_cookie,
		    ik->ik_cookielen);
	pld_add_sa(&pb, props, n);
	pld_add_ke(&pb, ik->ik_group, pub, publen);
	pld_add_nonce(&pb, ik->ik_ni, ik->ik_nilen);
	if (frag_enabled())
		pld_add_notify(&pb, 0, 0, 0,
		    IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	free(props);
	if ((len = pld_build_finish(&pb)) == -1) {
		ibuf_free(b);
		ikesa_kill(ik, 0, "IKE_SA_INIT: %s", pb.pb_err);
		return;
	}
	free(ik->ik_initreq);
	ik->ik_initreq = xcalloc(1, len);
	memcpy(ik->ik_initreq, ibuf_data(b), len);
	ik->ik_initreqlen = len;
	ibuf_free(b);
	ik->ik_state = IKS_INIT_SENT;
	ik->ik_reqid = 1;
	msg = xcalloc(1, len);
	memcpy(msg, ik->ik_initreq, len);
	send_request(ik, msg, len);
}

static int
policy_local(const struct policy *pol, struct sockaddr_storage *local,
    struct sockaddr_storage *peer)
{
	const struct pol_host	*h = &pol->pol_peer;
	int			 af;

	memset(local, 0, sizeof(*local));
	memset(peer, 0, sizeof(*peer));
	if (h->h_kind != HOST_ADDR || (h->h_plen != POL_PLEN_NONE &&
	    h->h_plen != (h->h_af == POL_AF_INET ? 32 : 128)))
		return (-1);
	af = h->h_af == POL_AF_INET ? AF_INET : AF_INET6;
	peer->ss_family = af;
	local->ss_family = af;
	if (af == AF_INET) {
		struct sockaddr_in	*sin = (void *)peer;

		memcpy(&sin->sin_addr, h->h_ip, 4);
		sin->sin_port = htons(500);
	} else {
		struct sockaddr_in6	*sin6 = (void *)peer;

		memcpy(&sin6->sin6_addr, h->h_ip, 16);
		sin6->sin6_port = htons(500);
	}
	if (pol->pol_local.h_kind == HOST_ADDR &&
	    pol->pol_local.h_af == h->h_af) {
		if (af == AF_INET)
			memcpy(&((struct sockaddr_in *)local)->sin_addr,
			    pol->pol_local.h_ip, 4);
		else
			memcpy(&((struct sockaddr_in6 *)local)->sin6_addr,
			    pol->pol_local.h_ip, 16);
	} else
		local->ss_family = 0;	/* the kernel chooses */
	return (af);
}

static void
initiate(const struct policy *pol)
{
	struct sockaddr_storage	 local, peer;
	struct ikesa		*ik;
	struct sa		*sa;
	size_t			 i, k;
	int			 af, sock;
	char			 a[64];

	if ((af = policy_local(pol, &local, &peer)) == -1) {
		log_debug("policy \"%s\": active, but no single peer address",
		    pol->pol_name);
		return;
	}
	TAILQ_FOREACH(sa, ex.sas, sa_entry)
		if (sa->sa_ike != NULL && sa->sa_ike->ik_state != IKS_DEAD &&
		    strcmp(sa->sa_policy_name, pol->pol_name) == 0)
			return;		/* one is up or under way */
	if ((sock = sock_for(af, 500)) == -1) {
		log_warnx("policy \"%s\": no IKE socket for the peer's "
		    "family", pol->pol_name);
		return;
	}
	ik = ikesa_new(pol, 1, &local, &peer, sock);
	for (i = 0; i < pol->pol_nikeprops && ik->ik_group == 0; i++)
		for (k = 0; k < pol->pol_ikeprops[i].pr_nxf; k++)
			if (pol->pol_ikeprops[i].pr_xf[k].xf_type == XF_DH) {
				ik->ik_group =
				    pol->pol_ikeprops[i].pr_xf[k].xf_id;
				break;
			}
	ik->ik_nilen = CRYPTO_NONCE_LEN;
	if (crypto_random_ike_spi(ik->ik_spii) == -1 ||
	    crypto_random_nonce(ik->ik_ni, ik->ik_nilen) == -1)
		fatalx("random: %s", crypto_errstr());
	ik->ik_sa->sa_ispi = be64(ik->ik_spii);
	if (local.ss_family == 0)
		strlcpy(ik->ik_sa->sa_local, "", sizeof(ik->ik_sa->sa_local));
	log_info("sa %llu: policy \"%s\": initiating to %s",
	    (unsigned long long)ik->ik_sa->sa_id, pol->pol_name,
	    ss_str(&peer, a, sizeof(a)));
	init_send(ik);
}

void
ikev2_initiate_active(int passive)
{
	const struct policy_set	*ps = ex.gen->g_ps;
	size_t			 i;

	if (ps == NULL || passive)
		return;
	for (i = 0; i < ps->ps_npolicies; i++)
		if (ps->ps_policies[i].pol_flags & POL_F_ACTIVE)
			initiate(&ps->ps_policies[i]);
}

static void
auth_send(struct ikesa *ik)
{
	const struct policy	*pol = ik->ik_pol;
	struct pld_prop		*props;
	struct pld_tsel		 ti[16], tr[16];
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			 idb[4 + POL_ID_MAX], auth[CRYPTO_PRF_MAX];
	uint8_t			*msg;
	size_t			 idlen, authlen = sizeof(auth);
	size_t			 n, i, nts = 0;
	ssize_t			 inner;
	uint8_t			 proto;
	char			 lid[256];
	int			 af = ik->ik_peer.ss_family;

	idlen = id_ours(ik, idb, sizeof(idb), lid, sizeof(lid));
	strlcpy(ik->ik_sa->sa_local_id, lid, sizeof(ik->ik_sa->sa_local_id));
	if (psk_auth(&ik->ik_keys, 1, pol->pol_psk, pol->pol_psklen,
	    ik->ik_initreq, ik->ik_initreqlen, ik->ik_nr, ik->ik_nrlen, idb,
	    idlen, auth, &authlen) == -1) {
		ikesa_kill(ik, 0, "AUTH: %s", crypto_errstr());
		return;
	}
	if (crypto_random_child_spi(&ik->ik_child_spi) == -1)
		fatalx("random: %s", crypto_errstr());
	proto = pol->pol_nprotos > 0 ? pol->pol_protos[0] : 0;
	for (i = 0; i < pol->pol_nflows && nts < nitems(ti); i++) {
		const struct pol_flow	*f = &pol->pol_flows[i];
		int			 faf = flow_af(f, af);

		if (ts_from_host(&f->fl_src, faf, f->fl_sport, proto,
		    &ti[nts]) == -1 || ts_from_host(&f->fl_dst, faf,
		    f->fl_dport, proto, &tr[nts]) == -1)
			continue;
		nts++;
	}
	if (nts == 0) {
		ikesa_kill(ik, 0, "policy \"%s\" has no usable flow",
		    pol->pol_name);
		return;
	}
	props = xcalloc(PLD_PROPS_MAX, sizeof(*props));
	n = props_ours(pol->pol_childprops, pol->pol_nchildprops,
	    (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP,
	    ik->ik_child_spi, props, PLD_PROPS_MAX, 0);
	/* no PFS in IKE_AUTH: the CHILD SA proposals carry no DH */
	for (i = 0; i < n; i++) {
		size_t	 j, k = 0;

		for (j = 0; j < props[i].pp_nxforms; j++)
			if (props[i].pp_xforms[j].xf_type != XF_DH)
				props[i].pp_xforms[k++] =
				    props[i].pp_xforms[j];
		props[i].pp_nxforms = k;
	}
	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_IKE_AUTH, 0, 1);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	pld_add_id(&pb, IKEV2_PLD_IDI, idb[0], idb + 4, idlen - 4);
	if (pol->pol_flags & POL_F_TRANSPORT)
		pld_add_notify(&pb, 0, 0, 0, IKEV2_N_USE_TRANSPORT_MODE,
		    NULL, 0);
	pld_add_auth(&pb, IKEV2_AUTH_PSK, auth, authlen);
	pld_add_sa(&pb, props, n);
	pld_add_ts(&pb, IKEV2_PLD_TSI, ti, nts);
	pld_add_ts(&pb, IKEV2_PLD_TSR, tr, nts);
	free(props);
	msg = sk_seal(ik, &pb, inner, &n);
	ibuf_free(b);
	if (msg == NULL) {
		ikesa_kill(ik, 0, "IKE_AUTH request");
		return;
	}
	ik->ik_state = IKS_AUTH_SENT;
	ik->ik_reqid = 2;
	send_request(ik, msg, n);
}

static int
policy_has_group(const struct policy *pol, uint16_t g)
{
	size_t	 i, k;

	for (i = 0; i < pol->pol_nikeprops; i++)
		for (k = 0; k < pol->pol_ikeprops[i].pr_nxf; k++)
			if (pol->pol_ikeprops[i].pr_xf[k].xf_type == XF_DH &&
			    pol->pol_ikeprops[i].pr_xf[k].xf_id == g)
				return (1);
	return (0);
}

static void
init_answer(struct ikesa *ik, struct ike_msg *m, const uint8_t *raw,
    size_t rawlen)
{
	const struct pld_notify	*n;
	const struct policy	*pol = ik->ik_pol;
	struct pld_prop		 sel;
	struct sa		*sa = ik->ik_sa;
	uint8_t			 gir[CRYPTO_DH_MAX];
	size_t			 girlen = sizeof(gir);
	char			 a[64], name[128];
	uint16_t		 g;

	ss_str(&ik->ik_peer, a, sizeof(a));
	if (msg_has_notify(m, IKEV2_N_COOKIE, &n)) {
		/* RFC 7296 2.6: the same request again, the cookie first */
		if (n->n_data.d_len == 0 || n->n_data.d_len > COOKIE_MAX ||
		    (ik->ik_cookie != NULL && crypto_memeq(ik->ik_cookie,
		    ik->ik_cookielen, n->n_data.d_ptr, n->n_data.d_len))) {
			ikesa_kill(ik, 0, "peer %s: COOKIE of %zu bytes, or "
			    "the one it had", a, n->n_data.d_len);
			return;
		}
		free(ik->ik_cookie);
		ik->ik_cookie = xcalloc(1, n->n_data.d_len);
		memcpy(ik->ik_cookie, n->n_data.d_ptr, n->n_data.d_len);
		ik->ik_cookielen = n->n_data.d_len;
		ex.ctr.ic_cookies_answered++;
		log_info("sa %llu: peer %s asks for a cookie, sending again",
		    (unsigned long long)sa->sa_id, a);
		evtimer_del(ik->ik_timer);
		init_send(ik);
		return;
	}
	if (msg_has_notify(m, IKEV2_N_INVALID_KE_PAYLOAD, &n) &&
	    n->n_data.d_len == 2) {
		g = n->n_data.d_ptr[0] << 8 | n->n_data.d_ptr[1];
		if (g == ik->ik_group || !dh_supported(g) ||
		    !policy_has_group(pol, g)) {
			ikesa_kill(ik, 0, "peer %s asks for DH group %u", a,
			    g);
			return;
		}
		log_info("sa %llu: peer %s wants DH group %u, sending again",
		    (unsigned long long)sa->sa_id, a, g);
		ik->ik_group = g;
		evtimer_del(ik->ik_timer);
		init_send(ik);
		return;
	}
	if ((n = msg_error_notify(m)) != NULL) {
		if (n->n_type == IKEV2_N_NO_PROPOSAL_CHOSEN)
			ex.ctr.ic_no_proposal++;
		ikesa_kill(ik, 0, "peer %s refused IKE_SA_INIT: %s", a,
		    pld_notify_name(n->n_type));
		return;
	}
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_KE) ||
	    !PLD_SEEN(m, IKEV2_PLD_NONCE) || m->m_sa.sa_nprops != 1 ||
	    m->m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    m->m_nonce.d_len > CRYPTO_NONCE_MAX) {
		ex.ctr.ic_malformed++;
		ikesa_kill(ik, 0, "peer %s: malformed IKE_SA_INIT response", a);
		return;
	}
	/* the peer's choice must be one of ours */
	if (prop_select(pol->pol_ikeprops, pol->pol_nikeprops, &m->m_sa,
	    PROTO_IKE, ik->ik_group, &sel) == -1 ||
	    sel.pp_nxforms != m->m_sa.sa_props[0].pp_nxforms ||
	    prop_get(&sel, XF_DH, NULL) != ik->ik_group ||
	    m->m_ke.ke_group != ik->ik_group) {
		ex.ctr.ic_no_proposal++;
		ikesa_kill(ik, 0, "peer %s chose a proposal we did not make",
		    a);
		return;
	}
	put_be64(ik->ik_spir, m->m_hdr.h_rspi);
	ik->ik_frag = frag_enabled() &&
	    msg_has_notify(m, IKEV2_N_IKEV2_FRAGMENTATION_SUPPORTED, NULL);
	ik->ik_suite.is_encr = prop_get(&sel, XF_ENCR,
	    &ik->ik_suite.is_encr_bits);
	ik->ik_suite.is_integ = prop_get(&sel, XF_INTEG, NULL);
	ik->ik_suite.is_prf = prop_get(&sel, XF_PRF, NULL);
	ik->ik_suite.is_dh = ik->ik_group;
	ik->ik_nrlen = m->m_nonce.d_len;
	memcpy(ik->ik_nr, m->m_nonce.d_ptr, ik->ik_nrlen);
	if (dh_derive(ik->ik_dh, m->m_ke.ke_data.d_ptr, m->m_ke.ke_data.d_len,
	    gir, &girlen) == -1 || ike_keys_new(&ik->ik_keys, &ik->ik_suite,
	    gir, girlen, ik->ik_ni, ik->ik_nilen, ik->ik_nr, ik->ik_nrlen,
	    ik->ik_spii, ik->ik_spir) == -1) {
		explicit_bzero(gir, sizeof(gir));
		ikesa_kill(ik, 0, "keys: %s", crypto_errstr());
		return;
	}
	explicit_bzero(gir, sizeof(gir));
	free(ik->ik_initres);
	ik->ik_initres = xcalloc(1, rawlen);
	memcpy(ik->ik_initres, raw, rawlen);
	ik->ik_initreslen = rawlen;
	evtimer_del(ik->ik_timer);
	sa->sa_rspi = be64(ik->ik_spir);
	suite_name(&ik->ik_suite, name, sizeof(name));
	strlcpy(sa->sa_ike_algs, name, sizeof(sa->sa_ike_algs));
	auth_send(ik);
}

static void
auth_answer(struct ikesa *ik, struct ike_msg *m, const uint8_t *raw,
    size_t rawlen)
{
	const struct pld_notify	*n;
	const struct policy	*pol = ik->ik_pol;
	struct pld_prop		 cp;
	struct sa		*sa = ik->ik_sa;
	struct childsa		*cs = &ik->ik_child;
	char			 a[64], pid[256];

	(void)raw;
	(void)rawlen;
	ss_str(&ik->ik_peer, a, sizeof(a));
	evtimer_del(ik->ik_timer);
	if (msg_has_notify(m, IKEV2_N_AUTHENTICATION_FAILED, NULL)) {
		ex.ctr.ic_auth_failed++;
		ikesa_kill(ik, 0, "peer %s: authentication failed "
		    "(AUTHENTICATION_FAILED from the peer: wrong pre-shared "
		    "key or ID?)", a);
		return;
	}
	if (!PLD_SEEN(m, IKEV2_PLD_IDR) || !PLD_SEEN(m, IKEV2_PLD_AUTH)) {
		if ((n = msg_error_notify(m)) != NULL)
			ikesa_kill(ik, 0, "peer %s refused IKE_AUTH: %s", a,
			    pld_notify_name(n->n_type));
		else
			ikesa_kill(ik, 0, "peer %s: IKE_AUTH response without "
			    "IDr or AUTH", a);
		return;
	}
	id_str(&m->m_idr, pid, sizeof(pid));
	free(sa->sa_peer_id);
	sa->sa_peer_id = xstrdup(pid);
	if (!id_match(&pol->pol_dstid, &m->m_idr)) {
		ex.ctr.ic_auth_failed++;
		ikesa_kill(ik, 1, "peer %s: ID \"%s\" is not the policy's "
		    "dstid", a, pid);
		return;
	}
	if (m->m_auth.auth_method != IKEV2_AUTH_PSK ||
	    psk_auth_verify(&ik->ik_keys, 0, pol->pol_psk, pol->pol_psklen,
	    ik->ik_initres, ik->ik_initreslen, ik->ik_ni, ik->ik_nilen,
	    m->m_idr.id_body.d_ptr, m->m_idr.id_body.d_len,
	    m->m_auth.auth_data.d_ptr, m->m_auth.auth_data.d_len) != 0) {
		ex.ctr.ic_auth_failed++;
		ikesa_kill(ik, 1, "peer %s: ID \"%s\": authentication failed "
		    "(%s, policy \"%s\")", a, pid,
		    m->m_auth.auth_method != IKEV2_AUTH_PSK ?
		    "not a PSK authentication" : "wrong pre-shared key",
		    pol->pol_name);
		return;
	}
	ik->ik_state = IKS_ESTABLISHED;
	sa->sa_state = SA_ESTABLISHED;
	sa->sa_established = time(NULL);
	ex.ctr.ic_ike_sas++;
	log_info("sa %llu: peer %s: IKE SA established as initiator, peer ID "
	    "\"%s\", local ID \"%s\", policy \"%s\"",
	    (unsigned long long)sa->sa_id, a, pid, sa->sa_local_id,
	    pol->pol_name);

	if ((n = msg_error_notify(m)) != NULL) {
		if (n->n_type == IKEV2_N_NO_PROPOSAL_CHOSEN)
			ex.ctr.ic_no_proposal++;
		if (n->n_type == IKEV2_N_TS_UNACCEPTABLE)
			ex.ctr.ic_ts_unacceptable++;
		log_warnx("sa %llu: peer %s: no CHILD SA: %s",
		    (unsigned long long)sa->sa_id, a,
		    pld_notify_name(n->n_type));
		counters_changed();
		return;
	}
	memset(cs, 0, sizeof(*cs));
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_TSI) ||
	    !PLD_SEEN(m, IKEV2_PLD_TSR) || m->m_sa.sa_nprops != 1 ||
	    m->m_tsi.ts_count < 1 || m->m_tsr.ts_count < 1 ||
	    prop_select(pol->pol_childprops, pol->pol_nchildprops, &m->m_sa,
	    (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP, PROP_NO_KE,
	    &cp) == -1 ||
	    cp.pp_spisize != 4 || child_selectors(cs, &m->m_tsi.ts_sel[0],
	    &m->m_tsr.ts_sel[0]) == -1) {
		log_warnx("sa %llu: peer %s: unusable CHILD SA in the answer",
		    (unsigned long long)sa->sa_id, a);
		counters_changed();
		return;
	}
	cs->cs_proto = cp.pp_proto == PROTO_AH ? IPPROTO_AH : IPPROTO_ESP;
	cs->cs_mode = (pol->pol_flags & POL_F_TRANSPORT) &&
	    msg_has_notify(m, IKEV2_N_USE_TRANSPORT_MODE, NULL) ?
	    KMODE_TRANSPORT : KMODE_TUNNEL;
	cs->cs_spi_in = ik->ik_child_spi;
	cs->cs_spi_out = (uint32_t)cp.pp_spi;
	if (child_make(ik, &cp) == 0)
		log_info("sa %llu: CHILD SA %s %s, spi in 0x%08x out 0x%08x",
		    (unsigned long long)sa->sa_id, sa->sa_child_algs,
		    sa->sa_child_mode, cs->cs_spi_in, cs->cs_spi_out);
	counters_changed();
}

/* --- INFORMATIONAL ------------------------------------------------------- */

static void
info_request(struct ikesa *ik, struct ike_msg *m)
{
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	struct sa		*sa = ik->ik_sa;
	uint8_t			*msg, spi[4];
	size_t			 i, j, len;
	ssize_t			 inner;
	int			 ikedel = 0, childdel = 0;
	char			 a[64];

	ss_str(&ik->ik_peer, a, sizeof(a));
	for (i = 0; i < m->m_ndelete; i++) {
		const struct pld_delete	*d = &m->m_delete[i];

		if (d->d_proto == PROTO_IKE)
			ikedel = 1;
		else
			for (j = 0; j < d->d_nspis; j++) {
				const uint8_t	*sp = d->d_spis + j * 4;
				uint32_t	 v = (uint32_t)sp[0] << 24 |
				    sp[1] << 16 | sp[2] << 8 | sp[3];

				if (d->d_spisize == 4 &&
				    ik->ik_child.cs_installed &&
				    v == ik->ik_child.cs_spi_out)
					childdel = 1;
			}
	}
	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_INFORMATIONAL, 1, m->m_hdr.h_msgid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	if (childdel && !ikedel) {
		spi[0] = ik->ik_child.cs_spi_in >> 24;
		spi[1] = ik->ik_child.cs_spi_in >> 16;
		spi[2] = ik->ik_child.cs_spi_in >> 8;
		spi[3] = ik->ik_child.cs_spi_in;
		pld_add_delete(&pb, ik->ik_child.cs_proto == IPPROTO_AH ?
		    PROTO_AH : PROTO_ESP, 4, spi, 1);
	}
	if ((msg = sk_seal(ik, &pb, inner, &len)) != NULL)
		send_response(ik, msg, len);
	ibuf_free(b);
	if (ikedel) {
		log_info("sa %llu: peer %s deleted the IKE SA",
		    (unsigned long long)sa->sa_id, a);
		ikesa_kill(ik, 0, NULL);
	} else if (childdel) {
		log_info("sa %llu: peer %s deleted the CHILD SA (spi 0x%08x)",
		    (unsigned long long)sa->sa_id, a,
		    ik->ik_child.cs_spi_out);
		child_remove(ik);
	}
}

/* Sends an INFORMATIONAL request with a Delete (IKE, or the CHILD SA). */
static void
send_delete(struct ikesa *ik, int ike)
{
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			*msg, spi[4];
	size_t			 len;
	ssize_t			 inner;

	if (ik->ik_state != IKS_ESTABLISHED)
		return;
	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_INFORMATIONAL, 0, ik->ik_reqid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	if (ike)
		pld_add_delete(&pb, PROTO_IKE, 0, NULL, 0);
	else {
		spi[0] = ik->ik_child.cs_spi_in >> 24;
		spi[1] = ik->ik_child.cs_spi_in >> 16;
		spi[2] = ik->ik_child.cs_spi_in >> 8;
		spi[3] = ik->ik_child.cs_spi_in;
		pld_add_delete(&pb, ik->ik_child.cs_proto == IPPROTO_AH ?
		    PROTO_AH : PROTO_ESP, 4, spi, 1);
	}
	if ((msg = sk_seal(ik, &pb, inner, &len)) != NULL) {
		ikesa_send(ik, msg, len);
		free(msg);
	}
	ibuf_free(b);
	ik->ik_reqid++;
}

/* --- life and death ------------------------------------------------------ */

/*
 * Ends an IKE SA: its CHILD SA leaves the kernel, a Delete goes to the
 * peer when asked (and the SA was up), the SA leaves the list.
 */
void
ikev2_sa_destroy(struct sa *sa, int notify)
{
	struct ikesa	*ik = sa->sa_ike;

	if (ik != NULL) {
		if (notify)
			send_delete(ik, 1);
		child_remove(ik);
		ikesa_free(ik);
		sa->sa_ike = NULL;
	}
	counters_changed();
}

static void
ikesa_reap(int fd, short ev, void *arg)
{
	struct sa	*sa, *next;

	(void)fd;
	(void)ev;
	(void)arg;
	for (sa = TAILQ_FIRST(ex.sas); sa != NULL; sa = next) {
		next = TAILQ_NEXT(sa, sa_entry);
		if (sa->sa_ike != NULL && sa->sa_ike->ik_state == IKS_DEAD) {
			TAILQ_REMOVE(ex.sas, sa, sa_entry);
			ikev2_sa_destroy(sa, 0);
			sa_free(sa);
		}
	}
}

/* Fails an IKE SA (logged with why); freed from the event loop. */
static void
ikesa_kill(struct ikesa *ik, int notify, const char *fmt, ...)
{
	struct timeval	 tv = { 0, 0 };
	va_list		 ap;
	char		 why[512];

	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		log_warnx("sa %llu: %s", (unsigned long long)ik->ik_sa->sa_id,
		    why);
	}
	if (notify)
		send_delete(ik, 1);
	child_remove(ik);
	ik->ik_state = IKS_DEAD;
	ik->ik_sa->sa_state = SA_DELETING;
	evtimer_del(ik->ik_timer);
	event_base_once(ex.base, -1, EV_TIMEOUT, ikesa_reap, NULL, &tv);
	counters_changed();
}

static void
ikesa_timer(int fd, short ev, void *arg)
{
	struct ikesa	*ik = arg;
	char		 a[64];

	(void)fd;
	(void)ev;
	ss_str(&ik->ik_peer, a, sizeof(a));
	switch (ik->ik_state) {
	case IKS_INIT_SENT:
	case IKS_AUTH_SENT:
		if (++ik->ik_tries > IKEV2_RETRANSMITS) {
			ikesa_kill(ik, 0, "peer %s: no answer after %d "
			    "retransmissions", a, IKEV2_RETRANSMITS);
			return;
		}
		ex.ctr.ic_retransmits++;
		log_debug("sa %llu: retransmission %d to %s",
		    (unsigned long long)ik->ik_sa->sa_id, ik->ik_tries, a);
		ikesa_send(ik, ik->ik_lastreq, ik->ik_lastreqlen);
		timer_set(ik, IKEV2_RETRANSMIT_BASE << ik->ik_tries);
		counters_changed();
		break;
	case IKS_INIT_DONE:
		ikesa_kill(ik, 0, "peer %s: no IKE_AUTH in %d seconds", a,
		    IKEV2_LARVAL_TIMEOUT);
		break;
	}
}

/* --- receiving ----------------------------------------------------------- */

static void
ikev2_recv(int sock, const uint8_t *buf, size_t len,
    const struct sockaddr_storage *peer, const struct sockaddr_storage *local)
{
	static uint8_t		 copy[IBUF_MAX + 4];
	struct ike_msg		*m;
	struct ikesa		*ik;
	struct ike_hdr		*h;
	size_t			 inoff, inlen;
	char			 err[256], a[64];
	int			 r, resp;

	ss_str(peer, a, sizeof(a));
	if (len > IBUF_MAX) {
		ex.ctr.ic_malformed++;
		goto done;
	}
	memcpy(copy, buf, len);
	m = xcalloc(1, sizeof(*m));
	if ((r = pld_parse(copy, len, m, err, sizeof(err))) != PLD_OK) {
		log_debug("peer %s: malformed message dropped: %s", a, err);
		ex.ctr.ic_malformed++;
		goto out;
	}
	h = &m->m_hdr;
	resp = (h->h_flags & IKEV2_FLAG_R) != 0;
	if (h->h_exchange == IKEV2_EXCH_IKE_SA_INIT && !resp &&
	    h->h_rspi == 0) {
		if ((ik = ikesa_find(h->h_ispi, 0, peer)) != NULL) {
			if (ik->ik_lastres != NULL && ik->ik_peerid == 1) {
				ex.ctr.ic_dup_answered++;
				ikesa_send(ik, ik->ik_lastres,
				    ik->ik_lastreslen);
			}
			goto out;
		}
		if (ex.gen->g_ps == NULL ||
		    init_admit(sock, m, local, peer) == -1)
			goto out;
		init_respond(sock, m, copy, len, local, peer);
		goto out;
	}
	if (h->h_exchange == IKEV2_EXCH_IKE_SA_INIT && resp)
		/* the responder's SPI may be zero (INVALID_KE_PAYLOAD) */
		ik = ikesa_find_initiating(h->h_ispi, peer);
	else
		ik = ikesa_find(h->h_ispi, h->h_rspi, peer);
	if (ik == NULL) {
		log_debug("peer %s: %s for no SA we know, dropped", a,
		    pld_exchange_name(h->h_exchange));
		ex.ctr.ic_dropped++;
		goto out;
	}
	if (resp) {
		/* an answer to our request in flight */
		if (h->h_msgid != ik->ik_reqid - 1 ||
		    ik->ik_lastreq == NULL) {
			ex.ctr.ic_dropped++;
			goto out;
		}
		if (ik->ik_state == IKS_INIT_SENT &&
		    h->h_exchange == IKEV2_EXCH_IKE_SA_INIT) {
			init_answer(ik, m, copy, len);
			goto out;
		}
	} else {
		/* of a fragmented request, fragment 1 only (RFC 7383 2.6.1) */
		if (ik->ik_peerid > 0 && h->h_msgid == ik->ik_peerid - 1 &&
		    ik->ik_lastres != NULL && (!PLD_SEEN(m, IKEV2_PLD_SKF) ||
		    m->m_sk.sk_fragnum == 1)) {
			ex.ctr.ic_dup_answered++;
			ikesa_send(ik, ik->ik_lastres, ik->ik_lastreslen);
			goto out;
		}
		if (h->h_msgid != ik->ik_peerid) {
			ex.ctr.ic_dropped++;
			goto out;
		}
	}
	if (PLD_SEEN(m, IKEV2_PLD_SKF) && ik->ik_state != IKS_INIT_SENT) {
		/* whole in copy at inoff, or not yet (ikev2_frag.c) */
		if (frag_input(ik, m, copy, sizeof(copy), len, &inoff,
		    &inlen) != 1)
			goto out;
		len = inoff + inlen > len ? inoff + inlen : len;
		goto inner;
	}
	if (!PLD_SEEN(m, IKEV2_PLD_SK) || ik->ik_state == IKS_INIT_SENT) {
		ex.ctr.ic_dropped++;
		goto out;
	}
	if (sk_decrypt(&ik->ik_keys, !ik->ik_initiator, copy, len,
	    m->m_sk.sk_off - IKE_GEN_LEN, m->m_sk.sk_off, &inoff,
	    &inlen) == -1) {
		log_debug("sa %llu: peer %s: %s, dropped",
		    (unsigned long long)ik->ik_sa->sa_id, a, crypto_errstr());
		ex.ctr.ic_dropped++;
		goto out;
	}
 inner:
	if (pld_parse_inner(m->m_sk.sk_first, copy + inoff, inlen, m, err,
	    sizeof(err)) != PLD_OK) {
		log_warnx("sa %llu: peer %s: malformed payloads: %s",
		    (unsigned long long)ik->ik_sa->sa_id, a, err);
		ex.ctr.ic_malformed++;
		goto out;
	}
	if (resp) {
		evtimer_del(ik->ik_timer);
		free(ik->ik_lastreq);
		ik->ik_lastreq = NULL;
		if (ik->ik_state == IKS_AUTH_SENT &&
		    h->h_exchange == IKEV2_EXCH_IKE_AUTH)
			auth_answer(ik, m, copy, len);
		goto out;
	}
	ik->ik_peerid++;
	switch (h->h_exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		if (ik->ik_state == IKS_INIT_DONE && !ik->ik_initiator)
			auth_respond(ik, m);
		else
			respond_notify(ik, h->h_exchange, h->h_msgid,
			    IKEV2_N_INVALID_SYNTAX);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (ik->ik_state == IKS_ESTABLISHED)
			info_request(ik, m);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		/* rekeying comes with the next issue */
		respond_notify(ik, h->h_exchange, h->h_msgid,
		    IKEV2_N_NO_ADDITIONAL_SAS);
		break;
	default:
		respond_notify(ik, h->h_exchange, h->h_msgid,
		    IKEV2_N_INVALID_SYNTAX);
		break;
	}
 out:
	explicit_bzero(copy, len);
	free(m);
 done:
	counters_changed();
}

/* --- ikectl lookup ------------------------------------------------------- */

/*
 * Which policy and SA traffic from src to dst would use, and why each
 * other policy does not: the first flow that covers the pair, in either
 * direction, in policy order (the last match without "quick", as IKE
 * SAs are chosen).
 */
void
ikev2_lookup(const struct ctl_lookup *cl, FILE *fp)
{
	const struct policy_set	*ps = ex.gen->g_ps;
	const struct policy	*p, *best = NULL;
	const struct pol_flow	*f;
	const struct sa		*sa;
	char			 s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	size_t			 i, j;
	int			 af = cl->cl_af, dir, bestdir = 0;

	inet_ntop(af, cl->cl_src, s, sizeof(s));
	inet_ntop(af, cl->cl_dst, d, sizeof(d));
	if (ps == NULL || ps->ps_npolicies == 0) {
		fprintf(fp, "no policy loaded: %s to %s passes in clear\n",
		    s, d);
		return;
	}
	for (i = 0; i < ps->ps_npolicies; i++) {
		p = &ps->ps_policies[i];
		dir = 0;
		if (p->pol_af != POL_AF_NONE && p->pol_af != pol_af(af)) {
			fprintf(fp, "policy \"%s\": no: it is for %s only\n",
			    p->pol_name, p->pol_af == POL_AF_INET ? "inet" :
			    "inet6");
			continue;
		}
		for (j = 0; j < p->pol_nflows && dir == 0; j++) {
			f = &p->pol_flows[j];
			if (host_match(&f->fl_src, af, cl->cl_src) &&
			    host_match(&f->fl_dst, af, cl->cl_dst))
				dir = 1;	/* outbound */
			else if (host_match(&f->fl_src, af, cl->cl_dst) &&
			    host_match(&f->fl_dst, af, cl->cl_src))
				dir = 2;	/* inbound */
		}
		if (dir == 0) {
			fprintf(fp, "policy \"%s\": no: none of its %zu "
			    "flow%s covers %s to %s\n", p->pol_name,
			    p->pol_nflows, p->pol_nflows == 1 ? "" : "s", s, d);
			continue;
		}
		fprintf(fp, "policy \"%s\": matches (flow %zu, %s)%s\n",
		    p->pol_name, j, dir == 1 ? "outbound" : "inbound",
		    best != NULL && best->pol_match == MATCH_QUICK ?
		    ", but a quick policy matched first" : "");
		if (best == NULL || best->pol_match != MATCH_QUICK) {
			best = p;
			bestdir = dir;
		}
	}
	if (best == NULL) {
		fprintf(fp, "=> no policy: %s to %s passes in clear\n", s, d);
		return;
	}
	fprintf(fp, "=> policy \"%s\" (%s)", best->pol_name,
	    bestdir == 1 ? "outbound" : "inbound");
	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if (strcmp(sa->sa_policy_name, best->pol_name) != 0 ||
		    sa->sa_ike == NULL ||
		    sa->sa_ike->ik_state != IKS_ESTABLISHED)
			continue;
		fprintf(fp, ", sa %llu with %s", (unsigned long long)sa->sa_id,
		    sa->sa_peer);
		if (sa->sa_child_algs[0] != '\0')
			fprintf(fp, ", %s spi 0x%08x\n", sa->sa_child_algs,
			    bestdir == 1 ? sa->sa_spi_out : sa->sa_spi_in);
		else
			fprintf(fp, ", no CHILD SA\n");
		return;
	}
	fprintf(fp, ", no SA up\n");
}

/* --- setup and shutdown -------------------------------------------------- */

void
ikev2_exch_init(struct event_base *base, struct msgconn *parent,
    struct sa_list *sas, const struct generation *gen)
{
	memset(&ex, 0, sizeof(ex));
	ex.base = base;
	ex.parent = parent;
	ex.sas = sas;
	ex.gen = gen;
}

/*
 * After a new generation is committed: every IKE SA follows its SA to
 * the policy of the same name there (sa_rebind() has bound it); the old
 * policies are about to be freed.
 */
void
ikev2_generation_changed(void)
{
	struct sa	*sa;

	TAILQ_FOREACH(sa, ex.sas, sa_entry)
		if (sa->sa_ike != NULL && sa->sa_policy != NULL)
			sa->sa_ike->ik_pol = sa->sa_policy;
}

/* Daemon shutdown: Deletes to every peer; the parent flushes the kernel. */
void
ikev2_shutdown(void)
{
	struct sa	*sa;

	while ((sa = TAILQ_FIRST(ex.sas)) != NULL) {
		TAILQ_REMOVE(ex.sas, sa, sa_entry);
		if (sa->sa_ike != NULL) {
			send_delete(sa->sa_ike, 1);
			ikesa_free(sa->sa_ike);
			sa->sa_ike = NULL;
		}
		sa_free(sa);
	}
}
