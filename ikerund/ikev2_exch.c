/*
 * The IKEv2 protocol engine (RFC 7296) of the ikev2 process: the UDP
 * sockets the parent bound, IKE_SA_INIT and IKE_AUTH with PSK as
 * responder and initiator, the first CHILD SA installed through the
 * parent (XFRM), INFORMATIONAL Deletes both ways, message IDs with the
 * last response cached for retransmitted requests, and retransmission of
 * our own requests with backoff.  Every datagram goes through the pure
 * parser (pld.c) before anything is interpreted; what does not parse is
 * dropped and counted.
 *
 * The life of an SA: our requests go one at a time (a window of one),
 * queued as "to do" bits and sent by req_next(); CREATE_CHILD_SA rekeys
 * CHILD SAs when the kernel's soft expiry fires and IKE SAs on
 * ikelifetime (RFC 7296 1.3.2, 1.3.3, 2.8, with the simultaneous-rekey
 * rule of 2.8.1); liveness checks on dpd_check_interval declare a silent
 * peer dead; NAT detection (2.23) moves IKE to port 4500 with
 * UDP-encapsulated ESP (RFC 3948) and keepalives.
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
#define IKEV2_NAT_KEEPALIVE	20	/* seconds, behind a NAT */
#define IKEV2_ACTIVE_RETRY	10	/* seconds between tries of "active" */
#define IKEV2_REKEYED_LINGER	30	/* a rekeyed IKE SA waits its Delete */
#define IKEV2_NONCE_KEEP	32	/* bytes kept for 2.8.1 comparisons */
#define IKEV2_OUT_WAIT		10	/* most seconds a new SA waits to send */
#define IKEV2_IN_LINGER		2	/* a rekeyed SA still reads, seconds */
#define IKEV2_REKEY_RETRY	3	/* 2 s and up to this more, then again */
#define IKEV2_REKEY_TRIES	3	/* then a busy peer counts as refusal */

enum ikesa_state {
	IKS_INIT_SENT = 1,	/* initiator: IKE_SA_INIT request out */
	IKS_AUTH_SENT,		/* initiator: IKE_AUTH request out */
	IKS_INIT_DONE,		/* responder: IKE_SA_INIT answered */
	IKS_ESTABLISHED,
	IKS_DEAD		/* failed or deleted, to be freed */
};

/* A hash table of IKE SAs, chained through a link in each. */
struct ikesa;
struct iklink {
	struct ikesa	*l_next;
	int		 l_in;
};
struct iktab {
	struct ikesa	**t_heads;
	size_t		 t_size;	/* a power of two, or 0 */
	size_t		 t_count;
};

/* What our request in flight is (an answer is read according to it). */
enum ikesa_req {
	REQ_NONE = 0,
	REQ_INIT,
	REQ_AUTH,
	REQ_DPD,		/* empty INFORMATIONAL */
	REQ_DELETE_CHILD,	/* Delete of ik_old or ik_dup */
	REQ_DELETE_IKE,		/* Delete of this (rekeyed) IKE SA */
	REQ_REKEY_CHILD,
	REQ_REKEY_IKE
};

/* Requests waiting for their turn (ik_todo), in this order of priority. */
#define TODO_DELETE_IKE		0x01
#define TODO_DELETE_DUP		0x02
#define TODO_DELETE_OLD		0x04
#define TODO_REKEY_IKE		0x08
#define TODO_REKEY_CHILD	0x10
#define TODO_DPD		0x20

struct ike_sock {
	int		 is_fd;
	int		 is_af;
	int		 is_port;
	struct event	*is_ev;
};

/*
 * One CHILD SA as installed in the kernel.  An IKE SA has its current
 * one (ik_child), and during a rekey the one being replaced (ik_old,
 * until its Delete exchange ends) and, when the peer rekeyed, the new
 * one whose outbound SA waits for that Delete (ik_dup; RFC 7296 2.8:
 * the responder must not send on the new SA before the initiator has
 * it).
 */
#define CS_GONE_IN	0x01
#define CS_GONE_OUT	0x02

struct childsa {
	int		 cs_installed;
	int		 cs_out_wait;	/* outbound SA not installed yet */
	int		 cs_gone;	/* expired in the kernel: CS_GONE_* */
	int		 cs_soft;	/* soft expiry seen: rekey asked */
	time_t		 cs_born;
	struct child_keys *cs_keys;	/* for it, until then (wiped) */
	uint32_t	 cs_replaces;	/* rekey: the old one's spi_in */
	int		 cs_ini;	/* we began the exchange making it */
	uint8_t		 cs_nmin[IKEV2_NONCE_KEEP];	/* 2.8.1 */
	size_t		 cs_nminlen;
	uint16_t	 cs_encr, cs_bits, cs_integ;
	struct kernel_addr cs_local;	/* addresses it went in with */
	struct kernel_addr cs_peer;
	time_t		 cs_linger;	/* rekeyed: inbound kept until */
	struct pld_tsel	 cs_tsl;	/* our side's selector */
	struct pld_tsel	 cs_tsp;	/* the peer's */
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
	uint8_t			*ik_ni;		/* CRYPTO_NONCE_MAX bytes, */
	size_t			 ik_nilen;
	uint8_t			*ik_nr;		/* during exchanges only */
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
	struct childsa		 ik_old;	/* rekeyed, being deleted */
	struct childsa		 ik_dup;	/* peer's rekey, or redundant */
	uint32_t		 ik_child_spi;	/* initiator's */
	/* the life cycle */
	int			 ik_req;	/* enum ikesa_req in flight */
	int			 ik_unwatched;	/* a Delete sent, not retransmitted */
	int			 ik_todo;	/* TODO_* */
	struct event		*ik_life;	/* DPD, rekey, keepalive */
	time_t			 ik_lastrx;	/* last valid message */
	time_t			 ik_rekey_at;	/* IKE SA rekey due */
	time_t			 ik_rechild_at;	/* CHILD SA rekey again */
	int			 ik_rechild_tries;
	time_t			 ik_rekeyed;	/* replaced at; 0: current */
	time_t			 ik_keepalive;	/* next NAT keepalive */
	uint8_t			 ik_rk_spi[IKE_SPI_LEN];  /* IKE rekey */
	uint32_t		 ik_req_spi;	/* CHILD SA of the request */
	struct iklink		 ik_spilink;	/* in ex.by_spi */
	struct iklink		 ik_peerlink;	/* in ex.by_peer */
	int			 ik_natt;	/* a NAT is between us */
	int			 ik_nat_local;	/* we are behind it */
	/* floods and fragmentation (cookie.c, ikev2_frag.c) */
	int			 ik_frag;	/* RFC 7383 agreed */
	struct frag_reasm	*ik_reasm;	/* a message in pieces */
	uint8_t			*ik_cookie;	/* initiator: the peer's */
	size_t			 ik_cookielen;
	int			 ik_halfopen;	/* counted in dos.peers */
	/*
	 * SAs just sent to the parent for the kernel: our next message,
	 * which may make the peer use them, waits for the parent's answer
	 * to request ik_kwait (0: none); HELD_* what waits
	 */
	uint32_t		 ik_kwait;
	int			 ik_held;
	TAILQ_ENTRY(ikesa)	 ik_waitlink;	/* in ex.kwaiting */
};

#define HELD_RES	0x01	/* ik_lastres */
#define HELD_REQ	0x02	/* ik_lastreq */

/* Defence against IKE_SA_INIT floods (cookie.c). */
static struct {
	struct cookie_secrets	 secrets;
	struct cookie_limits	 limits;
	struct cookie_peers	 peers;		/* half-open SAs */
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
	struct event		*active_ev;	/* retry "active" policies */
	struct event		*ctr_ev;	/* counters to the parent, later */
	struct iktab		 by_spi;	/* every IKE SA */
	uint64_t		 ht_salt;
	/* which IKE SA (by SPIi) asked for the last SA adds */
	struct {
		uint32_t	 kid;
		uint8_t		 spii[IKE_SPI_LEN];
	}			 kring[16384];
	struct iktab		 by_peer;	/* established ones */
	TAILQ_HEAD(, ikesa)	 kwaiting;	/* ik_kwait set */
	/* byte counts for "show sa" */
	size_t			 q_pending;
	void			 (*q_done)(void *);
	void			*q_arg;
	uint32_t		 q_first;
	uint32_t		 q_last;
} ex;

static void	 ikesa_timer(int, short, void *);
static void	 halfopen_leave(struct ikesa *);
static void	 ikesa_life(int, short, void *);
static void	 child_keys_free(struct childsa *);
static void	 nonces_alloc(struct ikesa *);
static uint64_t	 spi_hash(uint64_t);
static struct ikesa *iktab_chain(const struct iktab *, uint64_t);
static void	 ikesa_established(struct ikesa *);
static void	 req_next(struct ikesa *);
static void	 life_arm(struct ikesa *);
static void	 child_expire(const struct kernel_event *);
static void	 active_retry(int, short, void *);
static void	 child_promote(struct ikesa *, struct childsa *);
static void	 child_linger(struct ikesa *);
static void	 ikesa_send(struct ikesa *, const uint8_t *, size_t);
struct ike_msg;
struct pld_builder;
static void	 nat_notify(struct pld_builder *, const uint8_t *,
		    const uint8_t *, const struct sockaddr_storage *, uint16_t,
		    uint16_t);
static int	 nat_detect(struct ikesa *, const struct ike_msg *,
		    const uint8_t *);
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

static void
spi32_put(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
spi32_get(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
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

static uint16_t
ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohs(((const struct sockaddr_in *)ss)->sin_port));
	return (ntohs(((const struct sockaddr_in6 *)ss)->sin6_port));
}

static void
ss_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
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
counters_timer(int fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	ikev2_counters_send();
}

/* The parent hears of new counts within 100 ms, in one message. */
static void
counters_changed(void)
{
	struct timeval	 tv = { 0, 100000 };

	if (ex.ctr_ev == NULL) {
		ikev2_counters_send();
		return;
	}
	if (!evtimer_pending(ex.ctr_ev, NULL))
		evtimer_add(ex.ctr_ev, &tv);
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

/*
 * The SAs asked for so far must be in the kernel before the peer hears
 * from us again: our answer to its rekey, or our Delete of the SA we
 * rekeyed, makes it send on the new SA at once, and a packet there
 * before our inbound SA is dropped.  The parent answers in order.
 */
static void
kernel_wait(struct ikesa *ik)
{
	if (ex.nextkid == 0)	/* nothing asked yet */
		return;
	/* the list stays in the order of ik_kwait */
	if (ik->ik_kwait != 0)
		TAILQ_REMOVE(&ex.kwaiting, ik, ik_waitlink);
	TAILQ_INSERT_TAIL(&ex.kwaiting, ik, ik_waitlink);
	ik->ik_kwait = ex.nextkid;
}

/* 1 when the message (HELD_*) must wait for the kernel: kept for then. */
static int
kernel_hold(struct ikesa *ik, int what)
{
	if (ik->ik_kwait == 0)
		return (0);
	ik->ik_held |= what;
	return (1);
}

/*
 * The parent answered request id (any answer: they come in the order
 * of the requests): what waited for it goes.
 */
static void
kernel_answered(uint32_t id)
{
	struct ikesa	*ik;
	int		 held;

	while ((ik = TAILQ_FIRST(&ex.kwaiting)) != NULL &&
	    (int32_t)(id - ik->ik_kwait) >= 0) {
		TAILQ_REMOVE(&ex.kwaiting, ik, ik_waitlink);
		ik->ik_kwait = 0;
		held = ik->ik_held;
		ik->ik_held = 0;
		if ((held & HELD_RES) && ik->ik_lastres != NULL)
			ikesa_send(ik, ik->ik_lastres, ik->ik_lastreslen);
		if ((held & HELD_REQ) && ik->ik_lastreq != NULL)
			ikesa_send(ik, ik->ik_lastreq, ik->ik_lastreqlen);
	}
}

static uint64_t
life_soft(uint64_t hard)
{
	uint32_t	 r = 0;

	/* 80 to 90%: the two ends' soft expiries rarely meet */
	(void)crypto_random_bytes((uint8_t *)&r, sizeof(r));
	return (hard - hard / 10 - (hard / 10) * (r % 1000) / 1000);
}

static void
child_sa_add(struct ikesa *ik, struct childsa *cs, int in,
    const struct child_keys *ck)
{
	const struct policy *pol = ik->ik_pol;
	struct kernel_sa ks;
	uint8_t		 buf[KERNEL_PAYLOAD_MAX];
	uint16_t	 lport, pport;
	int		 fromini;

	memset(&ks, 0, sizeof(ks));
	ks.ksa_proto = cs->cs_proto;
	ks.ksa_mode = cs->cs_mode;
	ks.ksa_reqid = cs->cs_reqid;
	ks.ksa_replay = IKEV2_REPLAY_WINDOW;
	if (cs->cs_esn)
		ks.ksa_flags |= KSA_F_ESN;
	if (ik->ik_natt && cs->cs_proto == IPPROTO_ESP) {
		lport = ex.socks[ik->ik_sock].is_port;
		pport = ss_port(&ik->ik_peer);
		ks.ksa_flags |= KSA_F_ENCAP;
		ks.ksa_encap_sport = in ? pport : lport;
		ks.ksa_encap_dport = in ? lport : pport;
	}
	/* the kernel's soft expiry starts the rekey, its hard one ends it */
	if (pol->pol_lifetime > 0) {
		ks.ksa_life.kl_hard_secs = pol->pol_lifetime;
		ks.ksa_life.kl_soft_secs = life_soft(pol->pol_lifetime);
	}
	if (pol->pol_bytes > 0) {
		ks.ksa_life.kl_hard_bytes = pol->pol_bytes;
		ks.ksa_life.kl_soft_bytes = life_soft(pol->pol_bytes);
	}
	/* its SAs are deleted where they went in, if the peer moves */
	if (in)
		ss_kaddr(&ik->ik_local, &cs->cs_local);
	else
		ss_kaddr(&ik->ik_peer, &cs->cs_peer);
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
	/*
	 * keys from the initiator of the exchange that made the CHILD SA
	 * to its responder: inbound for the responder
	 */
	fromini = cs->cs_ini ? !in : in;
	ks.ksa_enc = ck->ck_encr;
	ks.ksa_encbits = ck->ck_encr_bits;
	ks.ksa_auth = ck->ck_integ;
	ks.ksa_enckeylen = ck->ck_elen;
	memcpy(ks.ksa_enckey, fromini ? ck->ck_ei : ck->ck_er, ck->ck_elen);
	ks.ksa_authkeylen = ck->ck_alen;
	memcpy(ks.ksa_authkey, fromini ? ck->ck_ai : ck->ck_ar, ck->ck_alen);
	cs->cs_kid[in ? 0 : 1] = kernel_send(MSG_KERNEL_SA_ADD, buf,
	    kernel_sa_encode(&ks, buf, sizeof(buf)));
	ex.kring[cs->cs_kid[in ? 0 : 1] % nitems(ex.kring)].kid =
	    cs->cs_kid[in ? 0 : 1];
	memcpy(ex.kring[cs->cs_kid[in ? 0 : 1] % nitems(ex.kring)].spii,
	    ik->ik_spii, IKE_SPI_LEN);
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
child_sa_del(struct ikesa *ik, struct childsa *cs, int in)
{
	struct kernel_said	 id;
	uint8_t			 buf[KERNEL_PAYLOAD_MAX];

	memset(&id, 0, sizeof(id));
	id.kid_proto = cs->cs_proto;
	id.kid_spi = in ? cs->cs_spi_in : cs->cs_spi_out;
	if ((in ? cs->cs_local.ka_af : cs->cs_peer.ka_af) != 0)
		id.kid_dst = in ? cs->cs_local : cs->cs_peer;
	else
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

/* What "show sa" says of the current CHILD SA. */
static void
child_show(struct ikesa *ik)
{
	struct childsa	*cs = &ik->ik_child;
	struct sa	*sa = ik->ik_sa;
	char		 e[32], i[32];

	if (sa == NULL)
		return;
	if (!cs->cs_installed) {
		sa->sa_child_algs[0] = '\0';
		sa->sa_spi_in = sa->sa_spi_out = 0;
		return;
	}
	sa->sa_spi_in = cs->cs_spi_in;
	sa->sa_spi_out = cs->cs_spi_out;
	snprintf(sa->sa_child_algs, sizeof(sa->sa_child_algs), "%s %s%s%s%s",
	    cs->cs_proto == IPPROTO_AH ? "ah" : "esp",
	    cs->cs_encr ? xf_name(XF_ENCR, cs->cs_encr, cs->cs_bits, e,
	    sizeof(e)) : "", cs->cs_encr && cs->cs_integ ? " " : "",
	    cs->cs_integ ? xf_name(XF_INTEG, cs->cs_integ, 0, i, sizeof(i)) :
	    "", ik->ik_natt && cs->cs_proto == IPPROTO_ESP ? " udp-encap" : "");
	strlcpy(sa->sa_child_mode, cs->cs_mode == KMODE_TUNNEL ? "tunnel" :
	    "transport", sizeof(sa->sa_child_mode));
}

/*
 * Installs a CHILD SA: inbound, then outbound unless asked to wait (the
 * keys are then kept, wiped once used), then the flows of the current
 * one.
 */
static void
child_install(struct ikesa *ik, struct childsa *cs,
    const struct child_keys *ck, int out)
{
	cs->cs_born = time(NULL);
	child_sa_add(ik, cs, 1, ck);
	if (out)
		child_sa_add(ik, cs, 0, ck);
	else {
		cs->cs_keys = xcalloc(1, sizeof(*cs->cs_keys));
		*cs->cs_keys = *ck;
		cs->cs_out_wait = 1;
	}
	/* "set decouple": the SAs only, as OpenIKED */
	if (cs == &ik->ik_child && !ex.decouple)
		child_flows(ik, 1);
	cs->cs_installed = 1;
	ex.ctr.ic_child_sas++;
	kernel_wait(ik);
}

/* The outbound SA a peer's rekey left waiting goes in. */
static void
child_out_now(struct ikesa *ik, struct childsa *cs)
{
	if (!cs->cs_out_wait || cs->cs_keys == NULL)
		return;
	child_sa_add(ik, cs, 0, cs->cs_keys);
	child_keys_free(cs);
	cs->cs_out_wait = 0;
	kernel_wait(ik);
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
child_keys_free(struct childsa *cs)
{
	if (cs->cs_keys != NULL) {
		child_keys_clear(cs->cs_keys);
		free(cs->cs_keys);
		cs->cs_keys = NULL;
	}
}

/* One CHILD SA's kernel SAs out; the slot is emptied. */
static void
child_drop(struct ikesa *ik, struct childsa *cs)
{
	if (cs->cs_installed) {
		if (!(cs->cs_gone & CS_GONE_IN))
			child_sa_del(ik, cs, 1);
		if (!cs->cs_out_wait && !(cs->cs_gone & CS_GONE_OUT))
			child_sa_del(ik, cs, 0);
	}
	child_keys_free(cs);
	memset(cs, 0, sizeof(*cs));
}

/* Every CHILD SA of the IKE SA leaves the kernel, flows first. */
static void
child_remove(struct ikesa *ik)
{
	if (ik->ik_child.cs_installed)
		child_flows(ik, 0);
	child_drop(ik, &ik->ik_child);
	child_drop(ik, &ik->ik_old);
	child_drop(ik, &ik->ik_dup);
	ik->ik_todo &= ~(TODO_REKEY_CHILD | TODO_DELETE_OLD |
	    TODO_DELETE_DUP);
	child_show(ik);
}

/*
 * The kernel refused one of a CHILD SA's SAs: without it the flows
 * would only drop traffic, so the CHILD SA goes, with a Delete.
 */
static void
child_refused(uint32_t kid)
{
	struct sa	*sa;
	struct ikesa	*ik = NULL, *e;
	size_t		 r = kid % nitems(ex.kring);

	/* the IKE SA that asked, found by its SPI; else a walk */
	if (ex.kring[r].kid == kid) {
		for (e = iktab_chain(&ex.by_spi,
		    spi_hash(be64(ex.kring[r].spii))); e != NULL;
		    e = e->ik_spilink.l_next)
			if (memcmp(e->ik_spii, ex.kring[r].spii,
			    IKE_SPI_LEN) == 0 && e->ik_child.cs_installed &&
			    (e->ik_child.cs_kid[0] == kid ||
			    e->ik_child.cs_kid[1] == kid)) {
				ik = e;
				break;
			}
	} else
		TAILQ_FOREACH(sa, ex.sas, sa_entry)
			if ((e = sa->sa_ike) != NULL &&
			    e->ik_child.cs_installed &&
			    (e->ik_child.cs_kid[0] == kid ||
			    e->ik_child.cs_kid[1] == kid)) {
				ik = e;
				break;
			}
	if (ik == NULL)
		return;
	log_warnx("sa %llu: the kernel refused the CHILD SA, deleting it",
	    (unsigned long long)ik->ik_sa->sa_id);
	if (ik->ik_lastreq == NULL)
		send_delete(ik, 0);
	child_remove(ik);
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
		kernel_answered(id);
		if (kr.kr_error == ESRCH || kr.kr_error == ENOENT) {
			/* deleting what the kernel expired meanwhile */
			log_debug("kernel: %s", kr.kr_msg);
		} else if (kr.kr_error != 0) {
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
		kernel_answered(id);
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
		if (ke.ke_type == KEV_EXPIRE_SOFT ||
		    ke.ke_type == KEV_EXPIRE_HARD)
			child_expire(&ke);
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

/*
 * Sends from the IKE SA's local address to its peer, on its socket:
 * port 4500 puts the non-ESP marker first (RFC 3948), unless raw (a NAT
 * keepalive).
 */
static void
ikesa_send_raw(struct ikesa *ik, const uint8_t *buf, size_t len, int raw)
{
	static const uint8_t	 marker[4];
	struct msghdr		 mh;
	struct iovec		 iov[2];
	struct sockaddr_storage	 to = ik->ik_peer;
	union {
		struct cmsghdr	 hdr;
		uint8_t	 buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} cm;
	struct cmsghdr		*c;
	char			 a[64];
	int			 s;

	if (ik->ik_sock < 0 || (s = ex.socks[ik->ik_sock].is_fd) == -1) {
		log_warnx("peer %s: no socket to send from",
		    ss_str(&ik->ik_peer, a, sizeof(a)));
		return;
	}
	memset(&mh, 0, sizeof(mh));
	memset(&cm, 0, sizeof(cm));
	iov[0].iov_base = (void *)(uintptr_t)marker;
	iov[0].iov_len = sizeof(marker);
	iov[1].iov_base = (void *)(uintptr_t)buf;
	iov[1].iov_len = len;
	mh.msg_name = &to;
	mh.msg_namelen = to.ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	if (ex.socks[ik->ik_sock].is_port == 4500 && !raw) {
		mh.msg_iov = iov;
		mh.msg_iovlen = 2;
	} else {
		mh.msg_iov = &iov[1];
		mh.msg_iovlen = 1;
	}
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
	else if (!raw)
		ex.ctr.ic_tx++;
}

static void
ikesa_send(struct ikesa *ik, const uint8_t *buf, size_t len)
{
	size_t	 off, one;

	/* a train of RFC 7383 fragments (ikev2_frag.c): one by one */
	if ((one = frag_train_next(buf, len)) != 0 && one < len) {
		for (off = 0; off < len; off += one) {
			if ((one = frag_train_next(buf + off, len - off)) == 0)
				break;
			ikesa_send_raw(ik, buf + off, one, 0);
			ex.ctr.ic_frags_sent++;
		}
		return;
	}
	ikesa_send_raw(ik, buf, len, 0);
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
			/* a NAT keepalive (RFC 3948 2.3) */
			if (n == 1 && buf[0] == 0xff)
				continue;
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

/*
 * The IKE SAs are in two hash tables: by the initiator's SPI (every SA)
 * and by the peer's address (established ones).  Both hashes are salted,
 * peers choosing SPIs and addresses.  An SA is chained into a table
 * through its link for that table.
 */
static uint64_t
hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (h);
}

static uint64_t
spi_hash(uint64_t spi)
{
	return (hash_mix(spi ^ ex.ht_salt));
}

static uint64_t
addr_hash(const struct sockaddr_storage *ss)
{
	const uint8_t	*ip;
	uint64_t	 h = ex.ht_salt;
	size_t		 i, len;

	ip = ss_ip(ss, &len);
	for (i = 0; i < len; i++)
		h = (h ^ ip[i]) * 0x100000001b3ULL;
	return (hash_mix(h));
}

static uint64_t
iktab_key(const struct iktab *t, const struct ikesa *ik)
{
	return (t == &ex.by_spi ? spi_hash(be64(ik->ik_spii)) :
	    addr_hash(&ik->ik_peer));
}

static struct iklink *
iktab_link(const struct iktab *t, struct ikesa *ik)
{
	return (t == &ex.by_spi ? &ik->ik_spilink : &ik->ik_peerlink);
}

/* The chain of SAs whose key hashes to h. */
static struct ikesa *
iktab_chain(const struct iktab *t, uint64_t h)
{
	return (t->t_size == 0 ? NULL : t->t_heads[h & (t->t_size - 1)]);
}

static void
iktab_insert(struct iktab *t, struct ikesa *ik)
{
	struct ikesa	**nt, *e, *next;
	struct iklink	*l = iktab_link(t, ik);
	size_t		 i, n, idx;

	if (l->l_in)
		return;
	if (t->t_count + 1 > t->t_size * 2) {
		n = t->t_size == 0 ? 256 : t->t_size * 4;
		nt = xcalloc(n, sizeof(*nt));
		for (i = 0; i < t->t_size; i++)
			for (e = t->t_heads[i]; e != NULL; e = next) {
				next = iktab_link(t, e)->l_next;
				idx = iktab_key(t, e) & (n - 1);
				iktab_link(t, e)->l_next = nt[idx];
				nt[idx] = e;
			}
		free(t->t_heads);
		t->t_heads = nt;
		t->t_size = n;
	}
	idx = iktab_key(t, ik) & (t->t_size - 1);
	l->l_next = t->t_heads[idx];
	t->t_heads[idx] = ik;
	l->l_in = 1;
	t->t_count++;
}

static void
iktab_remove(struct iktab *t, struct ikesa *ik)
{
	struct ikesa	**pp;
	struct iklink	*l = iktab_link(t, ik);

	if (!l->l_in)
		return;
	for (pp = &t->t_heads[iktab_key(t, ik) & (t->t_size - 1)];
	    *pp != NULL; pp = &iktab_link(t, *pp)->l_next)
		if (*pp == ik) {
			*pp = l->l_next;
			t->t_count--;
			break;
		}
	l->l_in = 0;
}

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
	ik->ik_life = evtimer_new(ex.base, ikesa_life, ik);
	ik->ik_lastrx = time(NULL);
	nonces_alloc(ik);
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

/* The nonces are kept during the exchanges that need them only. */
static void
nonces_alloc(struct ikesa *ik)
{
	if (ik->ik_ni == NULL)
		ik->ik_ni = xcalloc(1, CRYPTO_NONCE_MAX);
	if (ik->ik_nr == NULL)
		ik->ik_nr = xcalloc(1, CRYPTO_NONCE_MAX);
}

static void
nonces_free(struct ikesa *ik)
{
	if (ik->ik_ni != NULL) {
		explicit_bzero(ik->ik_ni, CRYPTO_NONCE_MAX);
		free(ik->ik_ni);
	}
	if (ik->ik_nr != NULL) {
		explicit_bzero(ik->ik_nr, CRYPTO_NONCE_MAX);
		free(ik->ik_nr);
	}
	ik->ik_ni = ik->ik_nr = NULL;
	ik->ik_nilen = ik->ik_nrlen = 0;
}

static void
ikesa_free(struct ikesa *ik)
{
	nonces_free(ik);
	iktab_remove(&ex.by_spi, ik);
	iktab_remove(&ex.by_peer, ik);
	if (ik->ik_timer != NULL)
		event_free(ik->ik_timer);
	if (ik->ik_life != NULL)
		event_free(ik->ik_life);
	if (ik->ik_kwait != 0)
		TAILQ_REMOVE(&ex.kwaiting, ik, ik_waitlink);
	child_keys_free(&ik->ik_child);	/* the kernel state is not touched */
	child_keys_free(&ik->ik_old);
	child_keys_free(&ik->ik_dup);
	if (ik->ik_dh != NULL)
		dh_free(ik->ik_dh);
	ike_keys_clear(&ik->ik_keys);
	free(ik->ik_initreq);
	free(ik->ik_initres);
	free(ik->ik_lastres);
	free(ik->ik_lastreq);
	free(ik->ik_cookie);
	frag_free(&ik->ik_reasm);
	halfopen_leave(ik);
	explicit_bzero(ik, sizeof(*ik));
	free(ik);
}

static struct ikesa *
ikesa_find(uint64_t ispi, uint64_t rspi, const struct sockaddr_storage *peer)
{
	struct ikesa	*ik;

	for (ik = iktab_chain(&ex.by_spi, spi_hash(ispi)); ik != NULL;
	    ik = ik->ik_spilink.l_next) {
		if (ik->ik_state == IKS_DEAD || be64(ik->ik_spii) != ispi)
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
	struct ikesa	*ik;

	for (ik = iktab_chain(&ex.by_spi, spi_hash(ispi)); ik != NULL;
	    ik = ik->ik_spilink.l_next) {
		if (!ik->ik_initiator || ik->ik_state != IKS_INIT_SENT ||
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
	if (!kernel_hold(ik, HELD_RES))
		ikesa_send(ik, msg, len);
}

/* Keeps and sends our request, retransmitted until answered. */
static void
send_request(struct ikesa *ik, int kind, uint8_t *msg, size_t len)
{
	ik->ik_req = kind;
	ik->ik_unwatched = 0;
	free(ik->ik_lastreq);
	ik->ik_lastreq = msg;
	ik->ik_lastreqlen = len;
	ik->ik_tries = 0;
	if (!kernel_hold(ik, HELD_REQ))
		ikesa_send(ik, msg, len);
	timer_set(ik, IKEV2_RETRANSMIT_BASE);
}

/* An encrypted notification-only response (errors after IKE_SA_INIT). */
static void
respond_notify(struct ikesa *ik, uint8_t exch, uint32_t msgid, uint16_t type,
    const void *data, size_t dlen)
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
	pld_add_notify(&pb, 0, 0, 0, type, data, dlen);
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
    uint64_t spi, struct pld_prop *out, size_t max, uint16_t firstdh)
{
	size_t	 i, k, n = 0;

	for (i = 0; i < nours && n < max; i++) {
		struct pld_prop	*pp = &out[n];

		if (ours[i].pr_protoid != proto)
			continue;
		memset(pp, 0, sizeof(*pp));
		pp->pp_num = n + 1;
		pp->pp_proto = proto;
		/* an IKE SA's SPI only in its rekey */
		pp->pp_spisize = proto != PROTO_IKE ? 4 : spi != 0 ? 8 : 0;
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

	cs->cs_tsl = *local;
	cs->cs_tsp = *peer;
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
	struct ikesa	*o, *next;
	const char	*pid = ik->ik_sa->sa_peer_id;

	iktab_insert(&ex.by_peer, ik);
	for (o = iktab_chain(&ex.by_peer, addr_hash(&ik->ik_peer));
	    o != NULL; o = next) {
		next = o->ik_peerlink.l_next;
		/* only in the same direction: both sides initiating
		   at once must not delete each other's choice */
		if (o == ik || o->ik_state != IKS_ESTABLISHED ||
		    o->ik_rekeyed || o->ik_initiator != ik->ik_initiator ||
		    !ss_equal(&o->ik_peer, &ik->ik_peer) ||
		    strcmp(o->ik_sa->sa_policy_name,
		    ik->ik_sa->sa_policy_name) != 0)
			continue;
		/* many peers behind one NAT address: by ID too */
		if (pid != NULL && o->ik_sa->sa_peer_id != NULL &&
		    strcmp(pid, o->ik_sa->sa_peer_id) != 0)
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
	struct sa		*sa = ik->ik_sa;

	cs->cs_encr = prop_get(cp, XF_ENCR, &cs->cs_bits);
	cs->cs_integ = prop_get(cp, XF_INTEG, NULL);
	cs->cs_esn = prop_get(cp, XF_ESN, NULL) == 1;
	if (child_keys_derive(&ck, &ik->ik_keys, cs->cs_encr, cs->cs_bits,
	    cs->cs_integ, NULL, 0, ik->ik_ni, ik->ik_nilen, ik->ik_nr,
	    ik->ik_nrlen) == -1) {
		log_warnx("sa %llu: CHILD SA keys: %s",
		    (unsigned long long)sa->sa_id, crypto_errstr());
		return (-1);
	}
	ikesa_replace_older(ik);
	cs->cs_ini = ik->ik_initiator;
	cs->cs_reqid = KERNEL_REQID_MIN + (++ex.nextreqid % 0xffff);
	child_install(ik, cs, &ck, 1);
	child_keys_clear(&ck);
	child_show(ik);
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

static void
dos_ready(void)
{
	if (dos.ready)
		return;
	if (cookie_init(&dos.secrets, time(NULL)) == -1 ||
	    cookie_peers_init(&dos.peers) == -1)
		fatalx("cookie secret: %s", crypto_errstr());
	dos.ready = 1;
}

/*
 * A responder SA is half-open from its IKE_SA_INIT response until
 * IKE_AUTH succeeds or it goes; counted by peer address in dos.peers.
 */
static void
halfopen_enter(struct ikesa *ik)
{
	const uint8_t	*ip;
	size_t		 len;

	dos_ready();
	ip = ss_ip(&ik->ik_peer, &len);
	if (cookie_peer_add(&dos.peers, ip, len) == 0)
		ik->ik_halfopen = 1;
}

static void
halfopen_leave(struct ikesa *ik)
{
	const uint8_t	*ip;
	size_t		 len;

	if (!ik->ik_halfopen)
		return;
	ip = ss_ip(&ik->ik_peer, &len);
	cookie_peer_del(&dos.peers, ip, len);
	ik->ik_halfopen = 0;
}

/*
 * Admission of an IKE_SA_INIT request (RFC 7296 2.6, cookie.c): the
 * half-open responder SAs, in all and from the peer's address, and a
 * COOKIE it brings.  Returns 0 to go on, or -1 when answered
 * with a COOKIE notify or dropped.  A half-open SA holds its struct
 * ikesa and struct sa, the keys, and copies of the request and response.
 */
static int
init_admit(int sock, struct ike_msg *m, const struct sockaddr_storage *local,
    const struct sockaddr_storage *peer)
{
	const struct pld_notify	*n;
	const uint8_t		*ip;
	uint8_t			 spii[8], cookie[COOKIE_LEN];
	size_t			 iplen, all, mine;
	int			 ok = 0, clen;
	char			 a[64];

	if (!PLD_SEEN(m, IKEV2_PLD_NONCE))
		return (0);	/* init_respond drops it */
	dos_ready();
	if (cookie_rotate(&dos.secrets, time(NULL)) == -1)
		fatalx("cookie secret: %s", crypto_errstr());
	ip = ss_ip(peer, &iplen);
	all = dos.peers.cp_total;
	mine = cookie_peer_count(&dos.peers, ip, iplen);
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
	halfopen_enter(ik);
	put_be64(ik->ik_spii, m->m_hdr.h_ispi);
	iktab_insert(&ex.by_spi, ik);
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
	if (msg_has_notify(m, IKEV2_N_NAT_DETECTION_SOURCE_IP, NULL)) {
		static const uint8_t	 zero[IKE_SPI_LEN];

		(void)nat_detect(ik, m, zero);
		nat_notify(&pb, ik->ik_spii, ik->ik_spir, &ik->ik_local,
		    ex.socks[ik->ik_sock].is_port,
		    IKEV2_N_NAT_DETECTION_SOURCE_IP);
		nat_notify(&pb, ik->ik_spii, ik->ik_spir, &ik->ik_peer,
		    ss_port(&ik->ik_peer),
		    IKEV2_N_NAT_DETECTION_DESTINATION_IP);
	}
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
		    IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
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
		    IKEV2_N_AUTHENTICATION_FAILED, NULL, 0);
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
	halfopen_leave(ik);
	ik->ik_state = IKS_ESTABLISHED;
	sa->sa_state = SA_ESTABLISHED;
	sa->sa_established = time(NULL);
	ex.ctr.ic_ike_sas++;
	evtimer_del(ik->ik_timer);
	ikesa_established(ik);
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
	nat_notify(&pb, ik->ik_spii, ik->ik_spir, &ik->ik_local,
	    ex.socks[ik->ik_sock].is_port, IKEV2_N_NAT_DETECTION_SOURCE_IP);
	nat_notify(&pb, ik->ik_spii, ik->ik_spir, &ik->ik_peer,
	    ss_port(&ik->ik_peer), IKEV2_N_NAT_DETECTION_DESTINATION_IP);
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
	send_request(ik, REQ_INIT, msg, len);
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

static int
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
		return (0);
	}
	TAILQ_FOREACH(sa, ex.sas, sa_entry)
		if (sa->sa_ike != NULL && sa->sa_ike->ik_state != IKS_DEAD &&
		    strcmp(sa->sa_policy_name, pol->pol_name) == 0)
			return (0);	/* one is up or under way */
	if ((sock = sock_for(af, 500)) == -1) {
		log_warnx("policy \"%s\": no IKE socket for the peer's "
		    "family", pol->pol_name);
		return (0);
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
	iktab_insert(&ex.by_spi, ik);
	ik->ik_sa->sa_ispi = be64(ik->ik_spii);
	if (local.ss_family == 0)
		strlcpy(ik->ik_sa->sa_local, "", sizeof(ik->ik_sa->sa_local));
	log_info("sa %llu: policy \"%s\": initiating to %s",
	    (unsigned long long)ik->ik_sa->sa_id, pol->pol_name,
	    ss_str(&peer, a, sizeof(a)));
	init_send(ik);
	return (1);
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
			(void)initiate(&ps->ps_policies[i]);
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
	send_request(ik, REQ_AUTH, msg, n);
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
	int			 sock;

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
	/* behind a NAT, IKE moves to port 4500 from IKE_AUTH on */
	if (nat_detect(ik, m, ik->ik_spir) &&
	    (sock = sock_for(ik->ik_peer.ss_family, 4500)) != -1) {
		ik->ik_sock = sock;
		ss_set_port(&ik->ik_peer, 4500);
	}
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
	ikesa_established(ik);
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
	struct childsa		*slot[3], *hit[3];
	uint8_t			*msg, spis[3 * 4];
	size_t			 i, j, k, nhit = 0, len;
	ssize_t			 inner;
	int			 ikedel = 0;
	char			 a[64];

	ss_str(&ik->ik_peer, a, sizeof(a));
	slot[0] = &ik->ik_child;
	slot[1] = &ik->ik_old;
	slot[2] = &ik->ik_dup;
	for (i = 0; i < m->m_ndelete; i++) {
		const struct pld_delete	*d = &m->m_delete[i];

		if (d->d_proto == PROTO_IKE) {
			ikedel = 1;
			continue;
		}
		if (d->d_spisize != 4)
			continue;
		for (j = 0; j < d->d_nspis; j++)
			for (k = 0; k < nitems(slot); k++)
				if (slot[k]->cs_installed && slot[k]->cs_spi_out
				    == spi32_get(d->d_spis + j * 4) &&
				    nhit < nitems(hit) &&
				    (nhit == 0 || hit[nhit - 1] != slot[k]))
					hit[nhit++] = slot[k];
	}
	if (m->m_ndelete > 0)
		ex.ctr.ic_deletes_rx++;
	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_INFORMATIONAL, 1, m->m_hdr.h_msgid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	if (nhit > 0 && !ikedel) {
		for (k = 0; k < nhit; k++)
			spi32_put(spis + k * 4, hit[k]->cs_spi_in);
		pld_add_delete(&pb, hit[0]->cs_proto == IPPROTO_AH ?
		    PROTO_AH : PROTO_ESP, 4, spis, nhit);
	}
	if ((msg = sk_seal(ik, &pb, inner, &len)) != NULL)
		send_response(ik, msg, len);
	ibuf_free(b);
	if (ikedel) {
		log_info("sa %llu: peer %s deleted the IKE SA",
		    (unsigned long long)sa->sa_id, a);
		ikesa_kill(ik, 0, NULL);
		return;
	}
	for (k = 0; k < nhit; k++) {
		if (hit[k] != &ik->ik_child) {
			log_debug("sa %llu: peer %s deleted CHILD SA 0x%08x",
			    (unsigned long long)sa->sa_id, a,
			    hit[k]->cs_spi_out);
			child_drop(ik, hit[k]);
			continue;
		}
		if (ik->ik_dup.cs_installed &&
		    ik->ik_dup.cs_replaces == ik->ik_child.cs_spi_in) {
			/* the end of the peer's rekey: the new one sends */
			log_info("sa %llu: peer %s deleted the rekeyed CHILD "
			    "SA 0x%08x", (unsigned long long)sa->sa_id, a,
			    ik->ik_child.cs_spi_out);
			child_out_now(ik, &ik->ik_dup);
			child_promote(ik, &ik->ik_dup);
			child_linger(ik);
			continue;
		}
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
	ik->ik_unwatched = 1;
}

/* --- the life cycle: our requests on an established IKE SA --------------- */

static uint32_t
dpd_interval(void)
{
	return (ex.gen->g_ps != NULL ?
	    ex.gen->g_ps->ps_globals.gl_dpd_interval : GL_DPD_DEFAULT);
}

/* Opens an encrypted request of the IKE SA. */
static ssize_t
req_begin(struct ikesa *ik, struct pld_builder *pb, struct ibuf **bp,
    uint8_t exch)
{
	struct ike_hdr	 h;

	*bp = ibuf_new(0);
	hdr_init(ik, &h, exch, 0, ik->ik_reqid);
	pld_build_init(pb, *bp, &h);
	return (pld_sk_begin(pb, 0));
}

/* Seals and sends it; 0, or -1 (logged) when it cannot be built. */
static int
req_end(struct ikesa *ik, int kind, struct pld_builder *pb, struct ibuf *b,
    ssize_t inner)
{
	uint8_t	*msg;
	size_t	 len;

	msg = sk_seal(ik, pb, inner, &len);
	ibuf_free(b);
	if (msg == NULL)
		return (-1);
	ik->ik_reqid++;
	send_request(ik, kind, msg, len);
	return (0);
}

/* The policy's group for PFS in CHILD SA rekeys; 0: none. */
static uint16_t
child_group(const struct policy *pol)
{
	size_t	 i, k;

	for (i = 0; i < pol->pol_nchildprops; i++)
		for (k = 0; k < pol->pol_childprops[i].pr_nxf; k++)
			if (pol->pol_childprops[i].pr_xf[k].xf_type == XF_DH &&
			    pol->pol_childprops[i].pr_xf[k].xf_id != 0)
				return (pol->pol_childprops[i].pr_xf[k].xf_id);
	return (0);
}

/* Nonces compared as numbers of the same width (RFC 7296 2.8.1). */
static int
nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t	 n = alen < blen ? alen : blen;
	int	 c;

	if ((c = memcmp(a, b, n)) != 0)
		return (c);
	return (alen < blen ? -1 : alen > blen);
}

/* Keeps the lower of the exchange's two nonces with the CHILD SA. */
static void
nonce_keep(struct childsa *cs, const uint8_t *ni, size_t nilen,
    const uint8_t *nr, size_t nrlen)
{
	const uint8_t	*lo = ni;
	size_t		 lolen = nilen;

	if (nonce_cmp(nr, nrlen, ni, nilen) < 0) {
		lo = nr;
		lolen = nrlen;
	}
	cs->cs_nminlen = lolen < sizeof(cs->cs_nmin) ? lolen :
	    sizeof(cs->cs_nmin);
	memcpy(cs->cs_nmin, lo, cs->cs_nminlen);
}

/*
 * A new CHILD SA takes over from the current one, which waits in ik_old
 * for its Delete exchange.  The flows stay: same selectors, same reqid.
 */
static void
child_promote(struct ikesa *ik, struct childsa *nc)
{
	struct childsa	 tmp = *nc;

	memset(nc, 0, sizeof(*nc));
	child_drop(ik, &ik->ik_old);
	/* a rekey still queued was for the one replaced */
	ik->ik_todo &= ~TODO_REKEY_CHILD;
	ik->ik_rechild_at = 0;
	ik->ik_rechild_tries = 0;
	ik->ik_old = ik->ik_child;
	tmp.cs_flows = ik->ik_old.cs_flows;
	ik->ik_old.cs_flows = 0;
	ik->ik_child = tmp;
	child_show(ik);
}

/*
 * The Delete exchange of the rekeyed CHILD SA (ik_old) is over, whoever
 * began it: its outbound SA goes, its inbound one reads a little longer,
 * since the peer may still have packets sent on it on their way (the
 * peer switched to the new SA on its own, before or while the Delete
 * went).  ikesa_life() removes it.
 */
static void
child_linger(struct ikesa *ik)
{
	struct childsa	*cs = &ik->ik_old;

	if (!cs->cs_out_wait && !(cs->cs_gone & CS_GONE_OUT))
		child_sa_del(ik, cs, 0);
	cs->cs_gone |= CS_GONE_OUT;
	cs->cs_linger = time(NULL) + IKEV2_IN_LINGER;
	life_arm(ik);
}

static int
req_dpd(struct ikesa *ik)
{
	struct pld_builder	 pb;
	struct ibuf		*b;
	ssize_t			 inner;

	inner = req_begin(ik, &pb, &b, IKEV2_EXCH_INFORMATIONAL);
	if (req_end(ik, REQ_DPD, &pb, b, inner) == -1)
		return (0);
	ex.ctr.ic_dpd_sent++;
	log_debug("sa %llu: liveness check", (unsigned long long)
	    ik->ik_sa->sa_id);
	return (1);
}

static int
req_delete_child(struct ikesa *ik, struct childsa *cs)
{
	struct pld_builder	 pb;
	struct ibuf		*b;
	uint8_t			 spi[4];
	ssize_t			 inner;

	if (!cs->cs_installed)
		return (0);
	inner = req_begin(ik, &pb, &b, IKEV2_EXCH_INFORMATIONAL);
	spi32_put(spi, cs->cs_spi_in);
	pld_add_delete(&pb, cs->cs_proto == IPPROTO_AH ? PROTO_AH : PROTO_ESP,
	    4, spi, 1);
	ik->ik_req_spi = cs->cs_spi_in;
	return (req_end(ik, REQ_DELETE_CHILD, &pb, b, inner) == 0);
}

static int
req_delete_ike(struct ikesa *ik)
{
	struct pld_builder	 pb;
	struct ibuf		*b;
	ssize_t			 inner;

	inner = req_begin(ik, &pb, &b, IKEV2_EXCH_INFORMATIONAL);
	pld_add_delete(&pb, PROTO_IKE, 0, NULL, 0);
	return (req_end(ik, REQ_DELETE_IKE, &pb, b, inner) == 0);
}

/*
 * What a rekey request of ours needs: our nonce, and a key exchange in
 * group (0: none) whose public value goes to pub.
 */
static int
rekey_prepare(struct ikesa *ik, const char *what, uint16_t group,
    uint8_t *pub, size_t *publen)
{
	nonces_alloc(ik);
	ik->ik_nilen = CRYPTO_NONCE_LEN;
	if (crypto_random_nonce(ik->ik_ni, ik->ik_nilen) == -1)
		fatalx("random: %s", crypto_errstr());
	if (ik->ik_dh != NULL) {
		dh_free(ik->ik_dh);
		ik->ik_dh = NULL;
	}
	if (group != 0 && ((ik->ik_dh = dh_new(group)) == NULL ||
	    dh_public(ik->ik_dh, pub, publen) == -1)) {
		log_warnx("sa %llu: %s rekey: DH group %u: %s",
		    (unsigned long long)ik->ik_sa->sa_id, what, group,
		    crypto_errstr());
		return (-1);
	}
	return (0);
}

/* CREATE_CHILD_SA rekeying the current CHILD SA (RFC 7296 1.3.3). */
static int
req_rekey_child(struct ikesa *ik)
{
	const struct policy	*pol = ik->ik_pol;
	struct childsa		*cs = &ik->ik_child;
	struct pld_prop		*props;
	struct pld_builder	 pb;
	struct ibuf		*b;
	uint8_t			 pub[CRYPTO_DH_MAX];
	size_t			 publen = sizeof(pub), n;
	ssize_t			 inner;
	uint16_t		 group;
	uint8_t			 proto;

	/* nothing to rekey, or the peer is at it */
	if (!cs->cs_installed || cs->cs_out_wait || ik->ik_dup.cs_installed)
		return (0);
	if (ik->ik_old.cs_installed) {
		if (!ik->ik_old.cs_linger)
			return (0);	/* its Delete exchange is not over */
		child_drop(ik, &ik->ik_old);
	}
	proto = cs->cs_proto == IPPROTO_AH ? PROTO_AH : PROTO_ESP;
	group = child_group(pol);
	if (crypto_random_child_spi(&ik->ik_child_spi) == -1)
		fatalx("random: %s", crypto_errstr());
	if (rekey_prepare(ik, "CHILD SA", group, pub, &publen) == -1)
		return (0);
	props = xcalloc(PLD_PROPS_MAX, sizeof(*props));
	n = props_ours(pol->pol_childprops, pol->pol_nchildprops, proto,
	    ik->ik_child_spi, props, PLD_PROPS_MAX, group);
	inner = req_begin(ik, &pb, &b, IKEV2_EXCH_CREATE_CHILD_SA);
	pld_add_notify(&pb, proto, 4, cs->cs_spi_in, IKEV2_N_REKEY_SA, NULL,
	    0);
	if (cs->cs_mode == KMODE_TRANSPORT)
		pld_add_notify(&pb, 0, 0, 0, IKEV2_N_USE_TRANSPORT_MODE,
		    NULL, 0);
	pld_add_sa(&pb, props, n);
	pld_add_nonce(&pb, ik->ik_ni, ik->ik_nilen);
	if (group != 0)
		pld_add_ke(&pb, group, pub, publen);
	pld_add_ts(&pb, IKEV2_PLD_TSI, &cs->cs_tsl, 1);
	pld_add_ts(&pb, IKEV2_PLD_TSR, &cs->cs_tsp, 1);
	free(props);
	ik->ik_req_spi = cs->cs_spi_in;
	if (req_end(ik, REQ_REKEY_CHILD, &pb, b, inner) == -1)
		return (0);
	log_info("sa %llu: rekeying the CHILD SA (spi in 0x%08x)%s",
	    (unsigned long long)ik->ik_sa->sa_id, cs->cs_spi_in,
	    group ? ", with PFS" : "");
	return (1);
}

/* CREATE_CHILD_SA rekeying the IKE SA (RFC 7296 1.3.2). */
static int
req_rekey_ike(struct ikesa *ik)
{
	const struct policy	*pol = ik->ik_pol;
	struct pld_prop		*props;
	struct pld_builder	 pb;
	struct ibuf		*b;
	uint8_t			 pub[CRYPTO_DH_MAX];
	size_t			 publen = sizeof(pub), n;
	ssize_t			 inner;
	uint16_t		 group = ik->ik_suite.is_dh;

	if (crypto_random_ike_spi(ik->ik_rk_spi) == -1)
		fatalx("random: %s", crypto_errstr());
	if (rekey_prepare(ik, "IKE SA", group, pub, &publen) == -1)
		return (0);
	props = xcalloc(PLD_PROPS_MAX, sizeof(*props));
	n = props_ours(pol->pol_ikeprops, pol->pol_nikeprops, PROTO_IKE,
	    be64(ik->ik_rk_spi), props, PLD_PROPS_MAX, group);
	inner = req_begin(ik, &pb, &b, IKEV2_EXCH_CREATE_CHILD_SA);
	pld_add_sa(&pb, props, n);
	pld_add_nonce(&pb, ik->ik_ni, ik->ik_nilen);
	pld_add_ke(&pb, group, pub, publen);
	free(props);
	if (req_end(ik, REQ_REKEY_IKE, &pb, b, inner) == -1)
		return (0);
	log_info("sa %llu: rekeying the IKE SA",
	    (unsigned long long)ik->ik_sa->sa_id);
	return (1);
}

/* Sends the next queued request when none is in flight. */
static void
req_next(struct ikesa *ik)
{
	int	 sent = 0;

	while (!sent && ik->ik_state == IKS_ESTABLISHED &&
	    ik->ik_lastreq == NULL && ik->ik_todo != 0) {
		if (ik->ik_todo & TODO_DELETE_IKE) {
			ik->ik_todo &= ~TODO_DELETE_IKE;
			sent = req_delete_ike(ik);
		} else if (ik->ik_rekeyed) {
			ik->ik_todo = 0;	/* replaced: it only waits */
		} else if (ik->ik_todo & TODO_DELETE_DUP) {
			ik->ik_todo &= ~TODO_DELETE_DUP;
			sent = req_delete_child(ik, &ik->ik_dup);
		} else if (ik->ik_todo & TODO_DELETE_OLD) {
			ik->ik_todo &= ~TODO_DELETE_OLD;
			sent = req_delete_child(ik, &ik->ik_old);
		} else if (ik->ik_todo & TODO_REKEY_IKE) {
			ik->ik_todo &= ~TODO_REKEY_IKE;
			sent = req_rekey_ike(ik);
		} else if (ik->ik_todo & TODO_REKEY_CHILD) {
			ik->ik_todo &= ~TODO_REKEY_CHILD;
			sent = req_rekey_child(ik);
		} else if (ik->ik_todo & TODO_DPD) {
			ik->ik_todo &= ~TODO_DPD;
			sent = req_dpd(ik);
		} else
			ik->ik_todo = 0;
	}
}

/* --- CHILD SA rekey ------------------------------------------------------ */

/*
 * Our rekey and the peer's of the same CHILD SA crossed (RFC 7296
 * 2.8.1): the new SA made with the lowest of the four nonces is
 * redundant, and the side that began its exchange deletes it.  nc is
 * ours (installed inbound only so far), ik_dup the peer's.
 */
static void
rekey_collision(struct ikesa *ik, struct childsa *nc)
{
	struct sa	*sa = ik->ik_sa;

	ex.ctr.ic_rekey_collisions++;
	if (nonce_cmp(nc->cs_nmin, nc->cs_nminlen, ik->ik_dup.cs_nmin,
	    ik->ik_dup.cs_nminlen) < 0) {
		/* ours is redundant: the peer's takes over, ours goes */
		log_info("sa %llu: simultaneous rekey: keeping the peer's "
		    "CHILD SA (spi in 0x%08x), deleting ours (0x%08x)",
		    (unsigned long long)sa->sa_id, ik->ik_dup.cs_spi_in,
		    nc->cs_spi_in);
		child_out_now(ik, &ik->ik_dup);
		child_promote(ik, &ik->ik_dup);
		ik->ik_dup = *nc;
		memset(nc, 0, sizeof(*nc));
		ik->ik_todo |= TODO_DELETE_DUP;
		/* the old one: the peer deletes it */
	} else {
		log_info("sa %llu: simultaneous rekey: keeping ours (spi in "
		    "0x%08x), the peer deletes its own (0x%08x)",
		    (unsigned long long)sa->sa_id, nc->cs_spi_in,
		    ik->ik_dup.cs_spi_in);
		child_out_now(ik, nc);
		child_promote(ik, nc);
		ik->ik_todo |= TODO_DELETE_OLD;
	}
}

/*
 * Our rekey went wrong: a peer's rekey of the same SA, if any, wins.
 * Without one, a CHILD SA the kernel has expired both ways is lost: the
 * IKE SA goes with a Delete, so that it is set up again (an active side
 * initiates) rather than left without traffic.
 */
static void
rekey_child_failed(struct ikesa *ik)
{
	if (ik->ik_dup.cs_installed &&
	    ik->ik_dup.cs_replaces == ik->ik_child.cs_spi_in) {
		child_out_now(ik, &ik->ik_dup);
		child_promote(ik, &ik->ik_dup);
	} else if ((ik->ik_child.cs_gone & (CS_GONE_IN | CS_GONE_OUT)) ==
	    (CS_GONE_IN | CS_GONE_OUT)) {
		child_remove(ik);
		ikesa_kill(ik, 1, "its CHILD SA expired and could not be "
		    "rekeyed: IKE SA deleted, to be set up again");
	}
}

static void
rekey_child_answer(struct ikesa *ik, struct ike_msg *m)
{
	const struct policy	*pol = ik->ik_pol;
	const struct pld_notify	*n;
	struct childsa		*cs = &ik->ik_child, nc;
	struct child_keys	 ck;
	struct pld_prop		 cp;
	struct sa		*sa = ik->ik_sa;
	uint8_t			 gir[CRYPTO_DH_MAX];
	size_t			 girlen = 0;
	uint16_t		 group = child_group(pol);
	uint32_t		 delay;
	uint8_t			 proto;

	if (!cs->cs_installed || cs->cs_spi_in != ik->ik_req_spi) {
		log_info("sa %llu: CHILD SA rekey answered after the SA "
		    "went", (unsigned long long)sa->sa_id);
		/* the peer made one for us all the same: it goes */
		if (msg_error_notify(m) == NULL && !ik->ik_dup.cs_installed) {
			memset(&ik->ik_dup, 0, sizeof(ik->ik_dup));
			ik->ik_dup.cs_installed = 1;
			ik->ik_dup.cs_gone = CS_GONE_IN | CS_GONE_OUT;
			ik->ik_dup.cs_proto = cs->cs_proto != 0 ? cs->cs_proto :
			    IPPROTO_ESP;
			ik->ik_dup.cs_spi_in = ik->ik_child_spi;
			ik->ik_todo |= TODO_DELETE_DUP;
		}
		return;
	}
	if ((n = msg_error_notify(m)) != NULL) {
		/*
		 * busy (2.25): most likely with its own rekey of this SA,
		 * whose request may still be on its way; it wins if it
		 * comes, else ours goes again
		 */
		if (n->n_type == IKEV2_N_TEMPORARY_FAILURE &&
		    !ik->ik_dup.cs_installed &&
		    ik->ik_rechild_tries < IKEV2_REKEY_TRIES) {
			/* randomised: two busy peers do not retry in step */
			delay = 2 + arc4random_uniform(IKEV2_REKEY_RETRY);
			ik->ik_rechild_tries++;
			ik->ik_rechild_at = time(NULL) + delay;
			log_info("sa %llu: the peer is busy (TEMPORARY_FAILURE): "
			    "rekeying the CHILD SA again in %u s",
			    (unsigned long long)sa->sa_id, delay);
			life_arm(ik);
			return;
		}
		log_warnx("sa %llu: the peer refused the CHILD SA rekey: %s",
		    (unsigned long long)sa->sa_id, pld_notify_name(n->n_type));
		rekey_child_failed(ik);
		return;
	}
	proto = cs->cs_proto == IPPROTO_AH ? PROTO_AH : PROTO_ESP;
	memset(&nc, 0, sizeof(nc));
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_NONCE) ||
	    !PLD_SEEN(m, IKEV2_PLD_TSI) || !PLD_SEEN(m, IKEV2_PLD_TSR) ||
	    m->m_sa.sa_nprops != 1 || m->m_tsi.ts_count < 1 ||
	    m->m_tsr.ts_count < 1 ||
	    m->m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    m->m_nonce.d_len > CRYPTO_NONCE_MAX ||
	    prop_select(pol->pol_childprops, pol->pol_nchildprops, &m->m_sa,
	    proto, group ? group : PROP_NO_KE, &cp) == -1 ||
	    cp.pp_spisize != 4 || (group != 0 && (!PLD_SEEN(m, IKEV2_PLD_KE) ||
	    m->m_ke.ke_group != group || prop_get(&cp, XF_DH, NULL) != group)) ||
	    child_selectors(&nc, &m->m_tsi.ts_sel[0], &m->m_tsr.ts_sel[0]) ==
	    -1) {
		ex.ctr.ic_malformed++;
		log_warnx("sa %llu: unusable CHILD SA rekey answer",
		    (unsigned long long)sa->sa_id);
		rekey_child_failed(ik);
		return;
	}
	if (group != 0) {
		girlen = sizeof(gir);
		if (dh_derive(ik->ik_dh, m->m_ke.ke_data.d_ptr,
		    m->m_ke.ke_data.d_len, gir, &girlen) == -1) {
			log_warnx("sa %llu: CHILD SA rekey: %s",
			    (unsigned long long)sa->sa_id, crypto_errstr());
			rekey_child_failed(ik);
			return;
		}
	}
	nc.cs_proto = cs->cs_proto;
	nc.cs_mode = cs->cs_mode;
	nc.cs_reqid = cs->cs_reqid;
	nc.cs_ini = 1;
	nc.cs_replaces = cs->cs_spi_in;
	nc.cs_spi_in = ik->ik_child_spi;
	nc.cs_spi_out = (uint32_t)cp.pp_spi;
	nc.cs_encr = prop_get(&cp, XF_ENCR, &nc.cs_bits);
	nc.cs_integ = prop_get(&cp, XF_INTEG, NULL);
	nc.cs_esn = prop_get(&cp, XF_ESN, NULL) == 1;
	nonce_keep(&nc, ik->ik_ni, ik->ik_nilen, m->m_nonce.d_ptr,
	    m->m_nonce.d_len);
	if (child_keys_derive(&ck, &ik->ik_keys, nc.cs_encr, nc.cs_bits,
	    nc.cs_integ, group ? gir : NULL, girlen, ik->ik_ni, ik->ik_nilen,
	    m->m_nonce.d_ptr, m->m_nonce.d_len) == -1) {
		explicit_bzero(gir, sizeof(gir));
		log_warnx("sa %llu: CHILD SA rekey keys: %s",
		    (unsigned long long)sa->sa_id, crypto_errstr());
		rekey_child_failed(ik);
		return;
	}
	explicit_bzero(gir, sizeof(gir));
	ex.ctr.ic_child_rekeys++;
	child_install(ik, &nc, &ck, 0);
	ex.ctr.ic_child_sas--;		/* a rekey, not one more */
	child_keys_clear(&ck);
	log_info("sa %llu: CHILD SA rekeyed: spi in 0x%08x out 0x%08x "
	    "replaces 0x%08x", (unsigned long long)sa->sa_id, nc.cs_spi_in,
	    nc.cs_spi_out, cs->cs_spi_in);
	if (ik->ik_dup.cs_installed &&
	    ik->ik_dup.cs_replaces == cs->cs_spi_in) {
		rekey_collision(ik, &nc);
		return;
	}
	/* the peer has the new SA both ways: send on it, delete the old */
	child_out_now(ik, &nc);
	child_promote(ik, &nc);
	ik->ik_todo |= TODO_DELETE_OLD;
}

/* The peer rekeys our current CHILD SA. */
static void
rekey_child_respond(struct ikesa *ik, struct ike_msg *m,
    const struct pld_notify *rn)
{
	const struct policy	*pol = ik->ik_pol;
	struct childsa		*cs = &ik->ik_child, *nc = &ik->ik_dup;
	struct child_keys	 ck;
	struct pld_prop		 cp;
	struct pld_tsel		 oi, or;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	struct sa		*sa = ik->ik_sa;
	uint8_t			 nr[CRYPTO_NONCE_LEN], pub[CRYPTO_DH_MAX];
	uint8_t			 gir[CRYPTO_DH_MAX], g[2], *msg;
	size_t			 publen = sizeof(pub), girlen = 0, len;
	ssize_t			 inner;
	uint16_t		 dh, kegroup;
	uint8_t			 proto;
	struct dh		*d = NULL;

	if (!cs->cs_installed || rn->n_spisize != 4 ||
	    (uint32_t)rn->n_spi != cs->cs_spi_out) {
		/* one we are deleting, or none we know (2.25) */
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, (ik->ik_old.cs_installed &&
		    (uint32_t)rn->n_spi == ik->ik_old.cs_spi_out) ||
		    nc->cs_installed ? IKEV2_N_TEMPORARY_FAILURE :
		    IKEV2_N_CHILD_SA_NOT_FOUND, NULL, 0);
		return;
	}
	if (nc->cs_installed) {
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	proto = cs->cs_proto == IPPROTO_AH ? PROTO_AH : PROTO_ESP;
	kegroup = PLD_SEEN(m, IKEV2_PLD_KE) ? m->m_ke.ke_group : 0;
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_NONCE) ||
	    m->m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    m->m_nonce.d_len > CRYPTO_NONCE_MAX ||
	    prop_select(pol->pol_childprops, pol->pol_nchildprops, &m->m_sa,
	    proto, kegroup, &cp) == -1 || cp.pp_spisize != 4) {
		ex.ctr.ic_no_proposal++;
		log_warnx("sa %llu: no acceptable proposal in the peer's "
		    "CHILD SA rekey (NO_PROPOSAL_CHOSEN)",
		    (unsigned long long)sa->sa_id);
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if ((dh = prop_get(&cp, XF_DH, NULL)) != 0 && dh != kegroup) {
		g[0] = dh >> 8;
		g[1] = dh & 0xff;
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	if (!PLD_SEEN(m, IKEV2_PLD_TSI) || !PLD_SEEN(m, IKEV2_PLD_TSR) ||
	    ts_select(pol, &m->m_tsi, &m->m_tsr, &oi, &or) == -1) {
		ex.ctr.ic_ts_unacceptable++;
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	if (crypto_random_nonce(nr, sizeof(nr)) == -1)
		fatalx("random: %s", crypto_errstr());
	if (dh != 0) {
		girlen = sizeof(gir);
		if ((d = dh_new(dh)) == NULL ||
		    dh_public(d, pub, &publen) == -1 ||
		    dh_derive(d, m->m_ke.ke_data.d_ptr, m->m_ke.ke_data.d_len,
		    gir, &girlen) == -1) {
			if (d != NULL)
				dh_free(d);
			log_warnx("sa %llu: CHILD SA rekey: %s",
			    (unsigned long long)sa->sa_id, crypto_errstr());
			respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
			    m->m_hdr.h_msgid, IKEV2_N_NO_PROPOSAL_CHOSEN,
			    NULL, 0);
			return;
		}
		dh_free(d);
	}
	memset(nc, 0, sizeof(*nc));
	if (child_selectors(nc, &or, &oi) == -1) {
		explicit_bzero(gir, sizeof(gir));
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	nc->cs_proto = cs->cs_proto;
	nc->cs_mode = cs->cs_mode;
	nc->cs_reqid = cs->cs_reqid;
	nc->cs_ini = 0;
	nc->cs_replaces = cs->cs_spi_in;
	nc->cs_spi_out = (uint32_t)cp.pp_spi;
	if (crypto_random_child_spi(&nc->cs_spi_in) == -1)
		fatalx("random: %s", crypto_errstr());
	nc->cs_encr = prop_get(&cp, XF_ENCR, &nc->cs_bits);
	nc->cs_integ = prop_get(&cp, XF_INTEG, NULL);
	nc->cs_esn = prop_get(&cp, XF_ESN, NULL) == 1;
	nonce_keep(nc, m->m_nonce.d_ptr, m->m_nonce.d_len, nr, sizeof(nr));
	if (child_keys_derive(&ck, &ik->ik_keys, nc->cs_encr, nc->cs_bits,
	    nc->cs_integ, dh ? gir : NULL, girlen, m->m_nonce.d_ptr,
	    m->m_nonce.d_len, nr, sizeof(nr)) == -1) {
		explicit_bzero(gir, sizeof(gir));
		memset(nc, 0, sizeof(*nc));
		log_warnx("sa %llu: CHILD SA rekey keys: %s",
		    (unsigned long long)sa->sa_id, crypto_errstr());
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	explicit_bzero(gir, sizeof(gir));

	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_CREATE_CHILD_SA, 1, m->m_hdr.h_msgid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	cp.pp_spi = nc->cs_spi_in;
	pld_add_sa(&pb, &cp, 1);
	pld_add_nonce(&pb, nr, sizeof(nr));
	if (dh != 0)
		pld_add_ke(&pb, dh, pub, publen);
	pld_add_ts(&pb, IKEV2_PLD_TSI, &oi, 1);
	pld_add_ts(&pb, IKEV2_PLD_TSR, &or, 1);
	if (nc->cs_mode == KMODE_TRANSPORT)
		pld_add_notify(&pb, 0, 0, 0, IKEV2_N_USE_TRANSPORT_MODE,
		    NULL, 0);
	msg = sk_seal(ik, &pb, inner, &len);
	ibuf_free(b);
	if (msg == NULL) {
		child_keys_clear(&ck);
		memset(nc, 0, sizeof(*nc));
		return;
	}
	/* inbound now; outbound once the initiator deletes the old SA */
	child_install(ik, nc, &ck, 0);
	life_arm(ik);
	ex.ctr.ic_child_sas--;
	ex.ctr.ic_child_rekeys++;
	child_keys_clear(&ck);
	send_response(ik, msg, len);
	log_info("sa %llu: the peer rekeyed the CHILD SA: spi in 0x%08x "
	    "out 0x%08x replaces 0x%08x", (unsigned long long)sa->sa_id,
	    nc->cs_spi_in, nc->cs_spi_out, cs->cs_spi_in);
	if (ik->ik_req == REQ_REKEY_CHILD && ik->ik_lastreq != NULL &&
	    ik->ik_req_spi == cs->cs_spi_in)
		log_info("sa %llu: simultaneous CHILD SA rekey",
		    (unsigned long long)sa->sa_id);
}

/* --- IKE SA rekey -------------------------------------------------------- */

/*
 * The IKE SA made by rekeying old takes its CHILD SAs over; old lingers
 * until its Delete exchange is over.
 */
static struct ikesa *
ike_rekey_make(struct ikesa *old, const struct pld_prop *sel,
    const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN],
    const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    const uint8_t *gir, size_t girlen, int initiator)
{
	struct ikesa	*nik;
	struct sa	*sa, *osa = old->ik_sa;
	char		 name[128];

	nik = ikesa_new(old->ik_pol, initiator, &old->ik_local, &old->ik_peer,
	    old->ik_sock);
	sa = nik->ik_sa;
	memcpy(nik->ik_spii, spii, IKE_SPI_LEN);
	iktab_insert(&ex.by_spi, nik);
	iktab_insert(&ex.by_peer, nik);
	memcpy(nik->ik_spir, spir, IKE_SPI_LEN);
	nik->ik_suite.is_encr = prop_get(sel, XF_ENCR,
	    &nik->ik_suite.is_encr_bits);
	nik->ik_suite.is_integ = prop_get(sel, XF_INTEG, NULL);
	nik->ik_suite.is_prf = prop_get(sel, XF_PRF, NULL);
	nik->ik_suite.is_dh = prop_get(sel, XF_DH, NULL);
	if (ike_keys_rekey(&nik->ik_keys, &nik->ik_suite, &old->ik_keys, gir,
	    girlen, ni, nilen, nr, nrlen, spii, spir) == -1) {
		log_warnx("sa %llu: IKE SA rekey keys: %s",
		    (unsigned long long)osa->sa_id, crypto_errstr());
		ikesa_kill(nik, 0, NULL);
		return (NULL);
	}
	nik->ik_natt = old->ik_natt;
	nik->ik_nat_local = old->ik_nat_local;
	nik->ik_frag = old->ik_frag;	/* RFC 7383: kept across rekeys */
	nik->ik_keepalive = old->ik_keepalive;
	nik->ik_child = old->ik_child;
	nik->ik_old = old->ik_old;
	nik->ik_dup = old->ik_dup;
	nik->ik_rechild_at = old->ik_rechild_at;
	nik->ik_rechild_tries = old->ik_rechild_tries;
	old->ik_rechild_at = 0;
	memset(&old->ik_child, 0, sizeof(old->ik_child));
	memset(&old->ik_old, 0, sizeof(old->ik_old));
	memset(&old->ik_dup, 0, sizeof(old->ik_dup));
	nik->ik_todo = old->ik_todo & (TODO_DELETE_DUP | TODO_DELETE_OLD |
	    TODO_REKEY_CHILD);
	old->ik_todo &= TODO_DELETE_IKE;
	old->ik_rekeyed = time(NULL);
	nik->ik_state = IKS_ESTABLISHED;
	sa->sa_state = SA_ESTABLISHED;
	sa->sa_established = time(NULL);
	sa->sa_ispi = be64(spii);
	sa->sa_rspi = be64(spir);
	if (osa->sa_peer_id != NULL)
		sa->sa_peer_id = xstrdup(osa->sa_peer_id);
	strlcpy(sa->sa_local_id, osa->sa_local_id, sizeof(sa->sa_local_id));
	suite_name(&nik->ik_suite, name, sizeof(name));
	strlcpy(sa->sa_ike_algs, name, sizeof(sa->sa_ike_algs));
	child_show(nik);
	child_show(old);
	ex.ctr.ic_ike_rekeys++;
	log_info("sa %llu: IKE SA rekeyed as sa %llu (%s)",
	    (unsigned long long)osa->sa_id, (unsigned long long)sa->sa_id,
	    name);
	nonces_free(nik);
	ikesa_established(nik);
	req_next(nik);		/* what waited, a CHILD SA rekey say */
	return (nik);
}

static void
rekey_ike_answer(struct ikesa *ik, struct ike_msg *m)
{
	const struct policy	*pol = ik->ik_pol;
	const struct pld_notify	*n;
	struct pld_prop		 sel;
	uint8_t			 gir[CRYPTO_DH_MAX], spir[IKE_SPI_LEN];
	size_t			 girlen = sizeof(gir);
	uint16_t		 group = ik->ik_suite.is_dh;

	if ((n = msg_error_notify(m)) != NULL) {
		log_warnx("sa %llu: the peer refused the IKE SA rekey: %s, "
		    "trying again later", (unsigned long long)ik->ik_sa->sa_id,
		    pld_notify_name(n->n_type));
		ik->ik_rekey_at = time(NULL) + 5 + arc4random_uniform(10);
		return;
	}
	if (!PLD_SEEN(m, IKEV2_PLD_SA) || !PLD_SEEN(m, IKEV2_PLD_KE) ||
	    !PLD_SEEN(m, IKEV2_PLD_NONCE) || m->m_sa.sa_nprops != 1 ||
	    m->m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    m->m_nonce.d_len > CRYPTO_NONCE_MAX ||
	    prop_select(pol->pol_ikeprops, pol->pol_nikeprops, &m->m_sa,
	    PROTO_IKE, group, &sel) == -1 || sel.pp_spisize != 8 ||
	    sel.pp_spi == 0 || m->m_ke.ke_group != group ||
	    prop_get(&sel, XF_DH, NULL) != group ||
	    dh_derive(ik->ik_dh, m->m_ke.ke_data.d_ptr, m->m_ke.ke_data.d_len,
	    gir, &girlen) == -1) {
		ex.ctr.ic_malformed++;
		log_warnx("sa %llu: unusable IKE SA rekey answer, trying "
		    "again later", (unsigned long long)ik->ik_sa->sa_id);
		ik->ik_rekey_at = time(NULL) + 10;
		return;
	}
	put_be64(spir, sel.pp_spi);
	if (ike_rekey_make(ik, &sel, ik->ik_rk_spi, spir, ik->ik_ni,
	    ik->ik_nilen, m->m_nonce.d_ptr, m->m_nonce.d_len, gir, girlen,
	    1) != NULL)
		ik->ik_todo |= TODO_DELETE_IKE;
	explicit_bzero(gir, sizeof(gir));
}

static void
rekey_ike_respond(struct ikesa *ik, struct ike_msg *m)
{
	const struct policy	*pol = ik->ik_pol;
	struct pld_prop		 sel;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	struct dh		*d;
	uint8_t			 nr[CRYPTO_NONCE_LEN], pub[CRYPTO_DH_MAX];
	uint8_t			 gir[CRYPTO_DH_MAX], spii[IKE_SPI_LEN];
	uint8_t			 spir[IKE_SPI_LEN], g[2], *msg;
	size_t			 publen = sizeof(pub), girlen = sizeof(gir);
	size_t			 len;
	ssize_t			 inner;
	uint16_t		 dh;

	/*
	 * one we replaced already, or a request of ours in flight (its
	 * answer would come on this SA, its CHILD SAs moved away): the
	 * peer tries again a little later (RFC 7296 2.25); both, when
	 * both rekey the IKE SA at once
	 */
	if (ik->ik_rekeyed || ik->ik_lastreq != NULL) {
		if (!ik->ik_rekeyed && ik->ik_req == REQ_REKEY_IKE)
			ex.ctr.ic_rekey_collisions++;
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	if (!PLD_SEEN(m, IKEV2_PLD_KE) || !PLD_SEEN(m, IKEV2_PLD_NONCE) ||
	    m->m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    m->m_nonce.d_len > CRYPTO_NONCE_MAX ||
	    prop_select(pol->pol_ikeprops, pol->pol_nikeprops, &m->m_sa,
	    PROTO_IKE, m->m_ke.ke_group, &sel) == -1 ||
	    sel.pp_spisize != 8 || sel.pp_spi == 0) {
		ex.ctr.ic_no_proposal++;
		log_warnx("sa %llu: no acceptable proposal in the peer's IKE "
		    "SA rekey (NO_PROPOSAL_CHOSEN)",
		    (unsigned long long)ik->ik_sa->sa_id);
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if ((dh = prop_get(&sel, XF_DH, NULL)) != m->m_ke.ke_group) {
		g[0] = dh >> 8;
		g[1] = dh & 0xff;
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_INVALID_KE_PAYLOAD, g, 2);
		return;
	}
	if (crypto_random_ike_spi(spir) == -1 ||
	    crypto_random_nonce(nr, sizeof(nr)) == -1)
		fatalx("random: %s", crypto_errstr());
	if ((d = dh_new(dh)) == NULL || dh_public(d, pub, &publen) == -1 ||
	    dh_derive(d, m->m_ke.ke_data.d_ptr, m->m_ke.ke_data.d_len, gir,
	    &girlen) == -1) {
		if (d != NULL)
			dh_free(d);
		log_warnx("sa %llu: IKE SA rekey: %s",
		    (unsigned long long)ik->ik_sa->sa_id, crypto_errstr());
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	dh_free(d);
	put_be64(spii, sel.pp_spi);
	b = ibuf_new(0);
	hdr_init(ik, &h, IKEV2_EXCH_CREATE_CHILD_SA, 1, m->m_hdr.h_msgid);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	sel.pp_spi = be64(spir);
	pld_add_sa(&pb, &sel, 1);
	pld_add_nonce(&pb, nr, sizeof(nr));
	pld_add_ke(&pb, dh, pub, publen);
	msg = sk_seal(ik, &pb, inner, &len);
	ibuf_free(b);
	if (msg == NULL) {
		explicit_bzero(gir, sizeof(gir));
		return;
	}
	send_response(ik, msg, len);
	/* the peer deletes this one once it has the answer */
	(void)ike_rekey_make(ik, &sel, spii, spir, m->m_nonce.d_ptr,
	    m->m_nonce.d_len, nr, sizeof(nr), gir, girlen, 0);
	explicit_bzero(gir, sizeof(gir));
}

/* CREATE_CHILD_SA from the peer: a rekey of the IKE SA or of the CHILD SA. */
static void
create_child_respond(struct ikesa *ik, struct ike_msg *m)
{
	const struct pld_notify	*rn;

	if (PLD_SEEN(m, IKEV2_PLD_SA) && m->m_sa.sa_nprops > 0 &&
	    m->m_sa.sa_props[0].pp_proto == PROTO_IKE) {
		rekey_ike_respond(ik, m);
		return;
	}
	if (!msg_has_notify(m, IKEV2_N_REKEY_SA, &rn)) {
		/* one CHILD SA per IKE SA */
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_NO_ADDITIONAL_SAS, NULL, 0);
		return;
	}
	if (ik->ik_rekeyed) {
		respond_notify(ik, IKEV2_EXCH_CREATE_CHILD_SA,
		    m->m_hdr.h_msgid, IKEV2_N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	rekey_child_respond(ik, m, rn);
}

/* The answer to our request in flight (kind req) on an established SA. */
static void
req_answer(struct ikesa *ik, int req, struct ike_msg *m)
{
	uint8_t	 want = req == REQ_REKEY_CHILD || req == REQ_REKEY_IKE ?
		    IKEV2_EXCH_CREATE_CHILD_SA : IKEV2_EXCH_INFORMATIONAL;

	if (m->m_hdr.h_exchange != want) {
		log_warnx("sa %llu: answer of exchange %s to a request of %s",
		    (unsigned long long)ik->ik_sa->sa_id,
		    pld_exchange_name(m->m_hdr.h_exchange),
		    pld_exchange_name(want));
		ex.ctr.ic_malformed++;
		return;
	}
	switch (req) {
	case REQ_DPD:
		break;
	case REQ_DELETE_CHILD:
		if (ik->ik_old.cs_installed &&
		    ik->ik_old.cs_spi_in == ik->ik_req_spi) {
			child_linger(ik);
		} else if (ik->ik_dup.cs_installed &&
		    ik->ik_dup.cs_spi_in == ik->ik_req_spi)
			child_drop(ik, &ik->ik_dup);
		log_debug("sa %llu: CHILD SA 0x%08x deleted",
		    (unsigned long long)ik->ik_sa->sa_id, ik->ik_req_spi);
		break;
	case REQ_DELETE_IKE:
		log_info("sa %llu: rekeyed IKE SA deleted",
		    (unsigned long long)ik->ik_sa->sa_id);
		ikesa_kill(ik, 0, NULL);
		break;
	case REQ_REKEY_CHILD:
		rekey_child_answer(ik, m);
		nonces_free(ik);
		break;
	case REQ_REKEY_IKE:
		rekey_ike_answer(ik, m);
		nonces_free(ik);
		break;
	}
}

/* --- kernel expiry ------------------------------------------------------- */

static struct childsa *
child_by_spi(uint32_t spi, struct ikesa **ikp)
{
	struct sa	*sa;
	struct ikesa	*ik;
	struct childsa	*cs[3];
	size_t		 i;

	TAILQ_FOREACH(sa, ex.sas, sa_entry) {
		if ((ik = sa->sa_ike) == NULL || ik->ik_state == IKS_DEAD)
			continue;
		cs[0] = &ik->ik_child;
		cs[1] = &ik->ik_old;
		cs[2] = &ik->ik_dup;
		for (i = 0; i < nitems(cs); i++)
			if (cs[i]->cs_installed && (cs[i]->cs_spi_in == spi ||
			    cs[i]->cs_spi_out == spi)) {
				*ikp = ik;
				return (cs[i]);
			}
	}
	return (NULL);
}

/*
 * The kernel's lifetimes: a soft expiry of the current CHILD SA starts
 * its rekey; a hard one has deleted an SA, and what is left of that
 * CHILD SA goes too.
 */
static void
child_expire(const struct kernel_event *ke)
{
	struct ikesa	*ik;
	struct childsa	*cs;
	int		 in;

	if ((cs = child_by_spi(ke->ke_spi, &ik)) == NULL)
		return;
	if (ke->ke_type == KEV_EXPIRE_SOFT) {
		/* the first of its two SAs to expire starts the rekey */
		if (cs == &ik->ik_child && !cs->cs_soft) {
			cs->cs_soft = 1;
			log_debug("sa %llu: CHILD SA 0x%08x soft expiry",
			    (unsigned long long)ik->ik_sa->sa_id, ke->ke_spi);
			ik->ik_todo |= TODO_REKEY_CHILD;
			req_next(ik);
		}
		return;
	}
	ex.ctr.ic_expired++;
	in = cs->cs_spi_in == ke->ke_spi;
	log_info("sa %llu: CHILD SA 0x%08x expired (%s)",
	    (unsigned long long)ik->ik_sa->sa_id, ke->ke_spi,
	    cs == &ik->ik_child ? "not rekeyed in time" : "rekeyed");
	/* the kernel deleted that one; this does the rest */
	cs->cs_gone |= in ? CS_GONE_IN : CS_GONE_OUT;
	if (cs != &ik->ik_child)
		child_drop(ik, cs);
	else if (ik->ik_lastreq != NULL && ik->ik_req == REQ_REKEY_CHILD &&
	    ik->ik_req_spi == cs->cs_spi_in)
		;	/* our rekey is under way: its answer decides (2.8.1) */
	else if (ik->ik_dup.cs_installed &&
	    ik->ik_dup.cs_replaces == cs->cs_spi_in) {
		/* the peer rekeyed it, its Delete is late: the new one sends */
		child_out_now(ik, &ik->ik_dup);
		child_promote(ik, &ik->ik_dup);
		child_drop(ik, &ik->ik_old);
	} else {
		/*
		 * it expired before its rekey began (a late timer, a
		 * request in the way): the rekey still goes, from the
		 * expired SA; the peer may have its side yet
		 */
		ik->ik_todo |= TODO_REKEY_CHILD;
		req_next(ik);
	}
	counters_changed();
}

/* --- NAT traversal ------------------------------------------------------- */

static void
nat_notify(struct pld_builder *pb, const uint8_t *spii, const uint8_t *spir,
    const struct sockaddr_storage *ss, uint16_t port, uint16_t type)
{
	uint8_t		 hash[NAT_HASH_LEN], zero[16];
	const uint8_t	*ip;
	size_t		 len;

	if (ss->ss_family == 0) {
		/* the kernel chooses our address: assume a NAT */
		memset(zero, 0, sizeof(zero));
		ip = zero;
		len = 16;
	} else
		ip = ss_ip(ss, &len);
	if (nat_hash(spii, spir, ip, len, port, hash) == 0)
		pld_add_notify(pb, 0, 0, 0, type, hash, sizeof(hash));
}

/* Does a NAT_DETECTION notification of m match the address? */
static int
nat_match(const struct ike_msg *m, uint16_t type, const uint8_t *spii,
    const uint8_t *spir, const struct sockaddr_storage *ss, uint16_t port)
{
	uint8_t		 hash[NAT_HASH_LEN];
	const uint8_t	*ip;
	size_t		 i, len;

	if (ss->ss_family == 0)
		return (0);
	ip = ss_ip(ss, &len);
	if (nat_hash(spii, spir, ip, len, port, hash) == -1)
		return (0);
	for (i = 0; i < m->m_nnotify; i++)
		if (m->m_notify[i].n_type == type &&
		    m->m_notify[i].n_data.d_len == NAT_HASH_LEN &&
		    memcmp(m->m_notify[i].n_data.d_ptr, hash,
		    NAT_HASH_LEN) == 0)
			return (1);
	return (0);
}

/*
 * NAT detection from the peer's IKE_SA_INIT message (RFC 7296 2.23);
 * the SPIs are those the message's hashes were made with.  Returns 1
 * when a NAT is between us.
 */
static int
nat_detect(struct ikesa *ik, const struct ike_msg *m, const uint8_t *spir)
{
	uint16_t	 lport = ex.socks[ik->ik_sock].is_port;
	int		 peer_nat, local_nat;

	if (!msg_has_notify(m, IKEV2_N_NAT_DETECTION_SOURCE_IP, NULL) ||
	    !msg_has_notify(m, IKEV2_N_NAT_DETECTION_DESTINATION_IP, NULL))
		return (0);
	peer_nat = !nat_match(m, IKEV2_N_NAT_DETECTION_SOURCE_IP,
	    ik->ik_spii, spir, &ik->ik_peer, ss_port(&ik->ik_peer));
	local_nat = !nat_match(m, IKEV2_N_NAT_DETECTION_DESTINATION_IP,
	    ik->ik_spii, spir, &ik->ik_local, lport);
	if (peer_nat || local_nat || (ik->ik_pol->pol_flags & POL_F_NATT)) {
		ik->ik_natt = 1;
		ik->ik_nat_local = local_nat;
		ik->ik_keepalive = time(NULL) + IKEV2_NAT_KEEPALIVE;
		ex.ctr.ic_nat_detected++;
		log_info("sa %llu: NAT %s (%s)",
		    (unsigned long long)ik->ik_sa->sa_id,
		    peer_nat || local_nat ? "detected" : "assumed (natt)",
		    local_nat && peer_nat ? "both sides" : local_nat ?
		    "we are behind it" : peer_nat ? "the peer is behind it" :
		    "UDP encapsulation all the same");
	}
	return (ik->ik_natt);
}

/*
 * An authenticated request came from another address or port: behind
 * a NAT, the peer has moved (2.23).  IKE follows at once; the CHILD SA
 * is rekeyed, the new SAs carrying the new address.
 */
static void
peer_moved(struct ikesa *ik, int sock, const struct sockaddr_storage *peer)
{
	char	 a[64], b[64];
	int	 addr;

	if (ss_equal(peer, &ik->ik_peer) && ss_port(peer) ==
	    ss_port(&ik->ik_peer) && sock == ik->ik_sock)
		return;
	if (!ik->ik_natt) {
		/*
		 * no NAT, but the peer moved to port 4500 all the same
		 * (as MOBIKE wants): answers go where requests come from
		 */
		if (ss_equal(peer, &ik->ik_peer)) {
			ik->ik_peer = *peer;
			ik->ik_sock = sock;
		}
		return;
	}
	addr = !ss_equal(peer, &ik->ik_peer);
	if (ik->ik_state == IKS_ESTABLISHED) {
		ex.ctr.ic_peer_moved++;
		log_info("sa %llu: peer moved from %s:%u to %s:%u",
		    (unsigned long long)ik->ik_sa->sa_id,
		    ss_str(&ik->ik_peer, a, sizeof(a)), ss_port(&ik->ik_peer),
		    ss_str(peer, b, sizeof(b)), ss_port(peer));
	}
	if (addr && ik->ik_child.cs_flows)
		child_flows(ik, 0);
	iktab_remove(&ex.by_peer, ik);
	ik->ik_peer = *peer;
	if (ik->ik_state == IKS_ESTABLISHED)
		iktab_insert(&ex.by_peer, ik);
	ik->ik_sock = sock;
	ss_str(peer, ik->ik_sa->sa_peer, sizeof(ik->ik_sa->sa_peer));
	if (ik->ik_state != IKS_ESTABLISHED || !ik->ik_child.cs_installed)
		return;
	if (addr && !ex.decouple)
		child_flows(ik, 1);
	ik->ik_todo |= TODO_REKEY_CHILD;
}

/* --- timers of an established IKE SA ------------------------------------- */

static void
life_arm(struct ikesa *ik)
{
	struct timeval	 tv = { 0, 0 };
	time_t		 now = time(NULL), next = now + 3600;
	uint32_t	 dpd = dpd_interval();

	if (ik->ik_state != IKS_ESTABLISHED)
		return;
	if (ik->ik_rekeyed)
		next = ik->ik_rekeyed + IKEV2_REKEYED_LINGER;
	else {
		if (dpd > 0 && ik->ik_lastrx + (time_t)dpd < next)
			next = ik->ik_lastrx + dpd;
		if (ik->ik_rekey_at != 0 && ik->ik_rekey_at < next)
			next = ik->ik_rekey_at;
		if (ik->ik_rechild_at != 0 && ik->ik_rechild_at < next)
			next = ik->ik_rechild_at;
		if (ik->ik_nat_local && ik->ik_keepalive < next)
			next = ik->ik_keepalive;
		if (ik->ik_dup.cs_out_wait &&
		    ik->ik_dup.cs_born + IKEV2_OUT_WAIT < next)
			next = ik->ik_dup.cs_born + IKEV2_OUT_WAIT;
		if (ik->ik_old.cs_installed && ik->ik_old.cs_linger != 0 &&
		    ik->ik_old.cs_linger < next)
			next = ik->ik_old.cs_linger;
	}
	tv.tv_sec = next > now ? next - now : 1;
	evtimer_add(ik->ik_life, &tv);
}

static void
ikesa_life(int fd, short ev, void *arg)
{
	struct ikesa	*ik = arg;
	time_t		 now = time(NULL);
	uint32_t	 dpd = dpd_interval();
	static const uint8_t ka = 0xff;

	(void)fd;
	(void)ev;
	if (ik->ik_state != IKS_ESTABLISHED)
		return;
	if (ik->ik_rekeyed) {
		if (now >= ik->ik_rekeyed + IKEV2_REKEYED_LINGER) {
			log_info("sa %llu: rekeyed IKE SA removed",
			    (unsigned long long)ik->ik_sa->sa_id);
			ikesa_kill(ik, 0, NULL);
			return;
		}
	} else {
		/* retransmissions of a request in flight check already */
		if (dpd > 0 && now >= ik->ik_lastrx + (time_t)dpd &&
		    ik->ik_lastreq == NULL)
			ik->ik_todo |= TODO_DPD;
		if (ik->ik_rekey_at != 0 && now >= ik->ik_rekey_at) {
			ik->ik_rekey_at = 0;
			ik->ik_todo |= TODO_REKEY_IKE;
		}
		if (ik->ik_rechild_at != 0 && now >= ik->ik_rechild_at) {
			ik->ik_rechild_at = 0;
			ik->ik_todo |= TODO_REKEY_CHILD;
		}
		if (ik->ik_old.cs_installed && ik->ik_old.cs_linger != 0 &&
		    now >= ik->ik_old.cs_linger)
			child_drop(ik, &ik->ik_old);
		/* the peer's rekey never deleted the old SA: send anyway */
		if (ik->ik_dup.cs_out_wait &&
		    now >= ik->ik_dup.cs_born + IKEV2_OUT_WAIT)
			child_out_now(ik, &ik->ik_dup);
		if (ik->ik_nat_local && now >= ik->ik_keepalive) {
			ikesa_send_raw(ik, &ka, 1, 1);
			ex.ctr.ic_nat_keepalives++;
			ik->ik_keepalive = now + IKEV2_NAT_KEEPALIVE;
		}
		req_next(ik);
	}
	life_arm(ik);
	counters_changed();
}

/* Both roles, once IKE_AUTH is over: what only the handshake needed goes. */
static void
ikesa_established(struct ikesa *ik)
{
	const struct policy	*pol = ik->ik_pol;

	free(ik->ik_initreq);
	free(ik->ik_initres);
	ik->ik_initreq = ik->ik_initres = NULL;
	ik->ik_initreqlen = ik->ik_initreslen = 0;
	if (ik->ik_dh != NULL) {
		dh_free(ik->ik_dh);
		ik->ik_dh = NULL;
	}
	ik->ik_lastrx = time(NULL);
	if (pol->pol_ikelifetime > 0)
		ik->ik_rekey_at = ik->ik_lastrx +
		    (time_t)life_soft(pol->pol_ikelifetime);
	life_arm(ik);
}

/* "active" policies whose SA is gone are tried again now and then. */
static void
active_retry(int fd, short ev, void *arg)
{
	const struct policy_set	*ps = ex.gen->g_ps;
	struct timeval		 tv = { IKEV2_ACTIVE_RETRY, 0 };
	size_t			 i;

	(void)fd;
	(void)ev;
	(void)arg;
	if (ps != NULL && !ikev2_passive())
		for (i = 0; i < ps->ps_npolicies; i++)
			if ((ps->ps_policies[i].pol_flags & POL_F_ACTIVE) &&
			    initiate(&ps->ps_policies[i]))
				ex.ctr.ic_reinitiated++;
	evtimer_add(ex.active_ev, &tv);
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
	evtimer_del(ik->ik_life);
	event_base_once(ex.base, -1, EV_TIMEOUT, ikesa_reap, NULL, &tv);
	counters_changed();
}

static void
ikesa_timer(int fd, short ev, void *arg)
{
	struct ikesa	*ik = arg;
	char		 a[64];
	int		 secs;

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
	case IKS_ESTABLISHED:
		if (ik->ik_lastreq == NULL)
			break;
		if (++ik->ik_tries > IKEV2_RETRANSMITS) {
			if (ik->ik_rekeyed) {
				ikesa_kill(ik, 0, NULL);
				break;
			}
			ex.ctr.ic_dead_peers++;
			ikesa_kill(ik, 0, "peer %s: no answer after %d "
			    "retransmissions: dead, its SAs are removed", a,
			    IKEV2_RETRANSMITS);
			return;
		}
		ex.ctr.ic_retransmits++;
		log_debug("sa %llu: retransmission %d to %s",
		    (unsigned long long)ik->ik_sa->sa_id, ik->ik_tries, a);
		if (!kernel_hold(ik, HELD_REQ))
			ikesa_send(ik, ik->ik_lastreq, ik->ik_lastreqlen);
		/* not slower than the liveness checks */
		secs = IKEV2_RETRANSMIT_BASE << ik->ik_tries;
		if (dpd_interval() > 0 && secs > (int)dpd_interval())
			secs = dpd_interval() > 1 ? (int)dpd_interval() : 1;
		timer_set(ik, secs);
		counters_changed();
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
		if (ik->ik_lastreq == NULL && ik->ik_unwatched &&
		    h->h_msgid == ik->ik_reqid - 1) {
			ik->ik_unwatched = 0;	/* the Delete's: nothing to do */
			goto out;
		}
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
			if (!kernel_hold(ik, HELD_RES))
				ikesa_send(ik, ik->ik_lastres,
				    ik->ik_lastreslen);
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
	ik->ik_lastrx = time(NULL);
	if (resp) {
		int	 req = ik->ik_req;

		evtimer_del(ik->ik_timer);
		free(ik->ik_lastreq);
		ik->ik_lastreq = NULL;
		ik->ik_req = REQ_NONE;
		if (ik->ik_state == IKS_AUTH_SENT &&
		    h->h_exchange == IKEV2_EXCH_IKE_AUTH) {
			auth_answer(ik, m, copy, len);
			if (ik->ik_state == IKS_ESTABLISHED)
				nonces_free(ik);
		} else if (ik->ik_state == IKS_ESTABLISHED)
			req_answer(ik, req, m);
		req_next(ik);
		goto out;
	}
	/* a NAT may have given the peer a new address or port */
	peer_moved(ik, sock, peer);
	ik->ik_peerid++;
	switch (h->h_exchange) {
	case IKEV2_EXCH_IKE_AUTH:
		if (ik->ik_state == IKS_INIT_DONE && !ik->ik_initiator) {
			auth_respond(ik, m);
			if (ik->ik_state == IKS_ESTABLISHED)
				nonces_free(ik);
		} else
			respond_notify(ik, h->h_exchange, h->h_msgid,
			    IKEV2_N_INVALID_SYNTAX, NULL, 0);
		break;
	case IKEV2_EXCH_INFORMATIONAL:
		if (ik->ik_state == IKS_ESTABLISHED)
			info_request(ik, m);
		break;
	case IKEV2_EXCH_CREATE_CHILD_SA:
		if (ik->ik_state == IKS_ESTABLISHED)
			create_child_respond(ik, m);
		else
			respond_notify(ik, h->h_exchange, h->h_msgid,
			    IKEV2_N_INVALID_SYNTAX, NULL, 0);
		break;
	default:
		respond_notify(ik, h->h_exchange, h->h_msgid,
		    IKEV2_N_INVALID_SYNTAX, NULL, 0);
		break;
	}
	req_next(ik);
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
	TAILQ_INIT(&ex.kwaiting);
	ex.active_ev = evtimer_new(base, active_retry, NULL);
	ex.ctr_ev = evtimer_new(base, counters_timer, NULL);
	if (crypto_random_bytes((uint8_t *)&ex.ht_salt,
	    sizeof(ex.ht_salt)) == -1)
		fatalx("random: %s", crypto_errstr());
	active_retry(-1, 0, NULL);
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
