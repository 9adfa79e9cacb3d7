/*
 * ikeload: an IKEv2 initiator (RFC 7296) that opens many IKE SAs at once,
 * for the handshake benchmark (regress/bench/handshake-bench.sh).
 *
 * ikeload [-q] [-c conc] [-n count] [-s src[,src...]] [-i idi] [-r idr]
 *     -k psk [-T tsr] [-g group[,group...]] [-t rexmit_ms] [-R tries]
 *     [-W seconds] [-H seconds] dst
 * ikeload -F [-A] [-n count] [-s src[,...]] [-P ports] [-p rate]
 *     [-L linger_ms] dst
 *
 * Each SA: a UDP socket bound to the next source address (round robin
 * over -s; addresses "a.b.c.d", ranges "a.b.c.d-e.f.g.h" or prefixes
 * "a.b.c.d/len") with an ephemeral port and connected to dst port 500;
 * IKE_SA_INIT with one proposal (ENCR AES-GCM-16 128-bit, PRF
 * HMAC-SHA2-256, the -g groups, curve25519 first), then IKE_AUTH with IDi
 * (FQDN, or IPv4 when -i is an address; a "%d" in -i is replaced by the
 * SA's number divided by the number of source addresses, so that SA k
 * has source k mod S and ID k div S), IDr when -r is given, AUTH by
 * the PSK, ESP proposals AES-GCM-16 128-bit, then AES-CBC 128-bit with
 * HMAC-SHA1-96 (OpenIKED 7.2 on Linux has no AEAD ESP), no ESN, TSi = the
 * source address, TSr = -T (default any).  COOKIE (RFC 7296 2.6) and
 * INVALID_KE_PAYLOAD (1.2) answers are followed; a request unanswered
 * after -t ms is sent again, the timeout doubling, -R times.  At most -c
 * SAs are under way at once.  An established SA keeps its socket, and
 * answers INFORMATIONAL requests (liveness checks, deletes) until exit;
 * with -H the program stays for that many seconds after the summary (or
 * until SIGTERM), so that the SAs are still up while the responder's
 * memory is read.
 *
 * -F: a flood of IKE_SA_INIT requests (-n of them, -p per second) from
 * -P sockets per source address, never completed.  With -A a COOKIE
 * challenge is answered with the same request carrying the cookie.  The
 * rate and wall_s are those of the sending; answers are counted for -L ms
 * after the last request.
 *
 * The IKE code is the daemon's own: ikerund/pld.c builds and parses the
 * messages, ikerund/crypto.c does DH, key derivation, SK and AUTH.
 *
 * Output: one line of key=value pairs on stdout, starting "ikeload ".
 * Exit status 0 when every SA was established (or, -F, the flood was
 * sent), 1 otherwise, 2 on a usage or setup error.  Only documentation
 * addresses (RFC 5737) are accepted, source and destination.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "util.h"
#include "crypto.h"
#include "pld.h"

#define NONCE_LEN	32
#define COOKIE_MAX	64
#define MAX_GROUPS	8
#define IKEV2_AUTH_HMAC_SHA1_96	2

enum lstate { L_FREE, L_INIT, L_AUTH, L_UP };

struct lsa {
	enum lstate	 state;
	int		 fd;
	uint32_t	 src;		/* network order */
	uint8_t		 spii[8], spir[8];
	uint8_t		 ni[NONCE_LEN];
	uint8_t		 nr[CRYPTO_NONCE_MAX];
	size_t		 nrlen;
	uint16_t	 group;
	struct dh	*dh;
	uint8_t		 cookie[COOKIE_MAX];
	size_t		 cookielen;
	uint8_t		*initreq, *initres, *req;
	size_t		 initreqlen, initreslen, reqlen;
	struct ike_keys	 keys;
	int		 tries;
	double		 t0;		/* first IKE_SA_INIT sent */
	double		 deadline;	/* next retransmission */
	double		 rto;
	uint32_t	 peerid;	/* next request id from the peer */
	long		 idx;		/* the SA's number, from 0 */
};

static struct {
	int		 flood, answer_cookies, quiet;
	long		 count, conc, ports, rate, linger_ms;
	int		 rexmit_ms, tries;
	double		 wall_limit, hold;
	uint32_t	*srcs;		/* network order */
	size_t		 nsrcs;
	struct sockaddr_in dst;
	const char	*idi, *idr;
	const uint8_t	*psk;
	size_t		 psklen;
	uint32_t	 tsr_lo, tsr_hi;	/* host order */
	uint16_t	 groups[MAX_GROUPS];
	size_t		 ngroups;
} opt;

static struct {
	long		 started, established, failed, child_ok, child_failed;
	long		 cookies, invalid_ke, rexmits, timeouts, auth_failed;
	long		 refused, deleted, child_deleted, info_answered, bad;
	/* flood */
	long		 sent, init_ok, cookie_ok, cookie_sent, notify_other;
} st;

static int		 ep;
static double		*lat;
static double		 t_last;	/* the last SA established */
static struct ike_msg	 msg;
static volatile sig_atomic_t stop;

static void
usage(void)
{
	fprintf(stderr, "usage: ikeload [-q] [-c conc] [-n count] "
	    "[-s src,...] [-i idi] [-r idr] -k psk\n"
	    "\t[-T tsr] [-g group,...] [-t rexmit_ms] [-R tries] "
	    "[-W seconds] [-H seconds] dst\n"
	    "       ikeload -F [-A] [-n count] [-s src,...] [-P ports] "
	    "[-p rate] [-L linger_ms] dst\n");
	exit(2);
}

static void
fail(const char *fmt, const char *arg)
{
	fprintf(stderr, "ikeload: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec + ts.tv_nsec / 1e9);
}

static uint64_t
get_be64(const uint8_t *p)
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

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

/* RFC 5737 only: 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24. */
static int
doc_addr(uint32_t a)
{
	a &= 0xffffff00;
	return (a == 0xc0000200 || a == 0xc6336400 || a == 0xcb007100);
}

static uint32_t
parse_ip(const char *s)
{
	struct in_addr	 in;

	if (inet_pton(AF_INET, s, &in) != 1)
		fail("not an IPv4 address: %s", s);
	if (!doc_addr(ntohl(in.s_addr)))
		fail("not a documentation address (RFC 5737): %s", s);
	return (ntohl(in.s_addr));
}

/* "a", "a-b" or "a/len" into [lo, hi], host order */
static void
parse_range(char *s, uint32_t *lo, uint32_t *hi)
{
	char		*p;
	long		 len;

	if ((p = strchr(s, '-')) != NULL) {
		*p++ = '\0';
		*lo = parse_ip(s);
		*hi = parse_ip(p);
	} else if ((p = strchr(s, '/')) != NULL) {
		*p++ = '\0';
		len = strtol(p, NULL, 10);
		if (len < 24 || len > 32)
			fail("prefix length not in 24..32: %s", p);
		*lo = parse_ip(s) & (len == 32 ? 0xffffffff :
		    ~(0xffffffffU >> len));
		*hi = *lo | (len == 32 ? 0 : 0xffffffffU >> len);
		if (len < 31) {		/* hosts only */
			(*lo)++;
			(*hi)--;
		}
	} else
		*lo = *hi = parse_ip(s);
	if (*hi < *lo || !doc_addr(*lo) || !doc_addr(*hi))
		fail("bad address range: %s", s);
}

static void
parse_srcs(const char *arg)
{
	char		*dup, *tok, *save = NULL;
	uint32_t	 lo, hi, a;

	dup = xstrdup(arg);
	for (tok = strtok_r(dup, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		parse_range(tok, &lo, &hi);
		for (a = lo; a <= hi && a >= lo; a++) {
			opt.srcs = xreallocarray(opt.srcs, opt.nsrcs + 1,
			    sizeof(*opt.srcs));
			opt.srcs[opt.nsrcs++] = htonl(a);
		}
	}
	free(dup);
}

static int
open_sock(uint32_t src, int do_connect)
{
	struct sockaddr_in	 sin;
	int			 fd, on = 1;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return (-1);
	setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = src;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    (do_connect && connect(fd, (struct sockaddr *)&opt.dst,
	    sizeof(opt.dst)) == -1)) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/* --- messages ------------------------------------------------------------- */

static void
hdr(struct ike_hdr *h, const uint8_t *spii, const uint8_t *spir,
    uint8_t exch, uint8_t flags, uint32_t msgid)
{
	memset(h, 0, sizeof(*h));
	h->h_ispi = get_be64(spii);
	h->h_rspi = spir != NULL ? get_be64(spir) : 0;
	h->h_version = IKE_VERSION;
	h->h_exchange = exch;
	h->h_flags = flags;
	h->h_msgid = msgid;
}

/* IKE_SA_INIT request; returns its length in *len, the bytes malloc'd. */
static uint8_t *
init_build(const uint8_t *spii, const uint8_t *cookie, size_t cookielen,
    uint16_t group, const uint8_t *pub, size_t publen, const uint8_t *ni,
    size_t *len)
{
	struct pld_prop		 prop;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			*out = NULL;
	ssize_t			 n;
	size_t			 i;

	memset(&prop, 0, sizeof(prop));
	prop.pp_num = 1;
	prop.pp_proto = PROTO_IKE;
	prop.pp_xforms[prop.pp_nxforms++] = (struct pld_xform){ XF_ENCR, 0,
	    IKEV2_ENCR_AES_GCM_16, 128 };
	prop.pp_xforms[prop.pp_nxforms++] = (struct pld_xform){ XF_PRF, 0,
	    IKEV2_PRF_HMAC_SHA2_256, 0 };
	prop.pp_xforms[prop.pp_nxforms++] = (struct pld_xform){ XF_DH, 0,
	    group, 0 };
	for (i = 0; i < opt.ngroups; i++)
		if (opt.groups[i] != group)
			prop.pp_xforms[prop.pp_nxforms++] = (struct pld_xform){
			    XF_DH, 0, opt.groups[i], 0 };
	if ((b = ibuf_new(0)) == NULL)
		return (NULL);
	hdr(&h, spii, NULL, IKEV2_EXCH_IKE_SA_INIT, IKEV2_FLAG_I, 0);
	pld_build_init(&pb, b, &h);
	if (cookielen > 0)	/* first payload (RFC 7296 2.6) */
		pld_add_notify(&pb, 0, 0, 0, IKEV2_N_COOKIE, cookie,
		    cookielen);
	pld_add_sa(&pb, &prop, 1);
	pld_add_ke(&pb, group, pub, publen);
	pld_add_nonce(&pb, ni, NONCE_LEN);
	if ((n = pld_build_finish(&pb)) > 0) {
		out = xcalloc(1, n);
		memcpy(out, ibuf_data(b), n);
		*len = n;
	} else
		fprintf(stderr, "ikeload: IKE_SA_INIT: %s\n",
		    pb.pb_err != NULL ? pb.pb_err : "?");
	ibuf_free(b);
	return (out);
}

/* Encrypts what pb holds after its SK payload; as ikev2_exch.c sk_seal. */
static uint8_t *
sk_seal(const struct ike_keys *k, struct pld_builder *pb, ssize_t inner,
    size_t *lenp)
{
	uint8_t		*out, *b;
	size_t		 innerlen, sz, mlen;

	if (pld_build_finish(pb) == -1 || inner < 0)
		return (NULL);
	b = ibuf_data(pb->pb_buf);
	innerlen = ibuf_length(pb->pb_buf) - inner;
	sz = inner + sk_bodylen(k, innerlen);
	out = xcalloc(1, sz);
	memcpy(out, b, inner);
	if (sk_encrypt(k, 1, b + inner, innerlen, out, sz, inner - IKE_GEN_LEN,
	    inner, &mlen) == -1) {
		fprintf(stderr, "ikeload: encrypt: %s\n", crypto_errstr());
		free(out);
		return (NULL);
	}
	*lenp = mlen;
	return (out);
}

/* -i with "%d": the SA's number divided by the number of sources */
static const char *
id_for(long idx, char *buf, size_t len)
{
	const char	*p;

	if ((p = strstr(opt.idi, "%d")) == NULL)
		return (opt.idi);
	snprintf(buf, len, "%.*s%ld%s", (int)(p - opt.idi), opt.idi,
	    idx / (long)opt.nsrcs, p + 2);
	return (buf);
}

static size_t
id_body(const char *id, uint8_t *body, size_t max)
{
	size_t	 len;

	memset(body, 0, 4);
	if (inet_pton(AF_INET, id, body + 4) == 1) {
		body[0] = IKEV2_ID_IPV4;
		return (8);
	}
	len = strlen(id);
	if (len + 4 > max)
		len = max - 4;
	body[0] = IKEV2_ID_FQDN;
	memcpy(body + 4, id, len);
	return (len + 4);
}

static uint8_t *
auth_build(struct lsa *s, size_t *len)
{
	struct pld_prop		 prop[2];
	struct pld_tsel		 ti, tr;
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			 idb[4 + 256], idrb[4 + 256];
	uint8_t			 auth[CRYPTO_PRF_MAX], *out;
	size_t			 idlen, idrlen = 0, authlen = sizeof(auth);
	uint32_t		 spi, a;
	ssize_t			 inner;
	char			 idbuf[256];

	idlen = id_body(id_for(s->idx, idbuf, sizeof(idbuf)), idb,
	    sizeof(idb));
	if (opt.idr != NULL)
		idrlen = id_body(opt.idr, idrb, sizeof(idrb));
	if (psk_auth(&s->keys, 1, opt.psk, opt.psklen, s->initreq,
	    s->initreqlen, s->nr, s->nrlen, idb, idlen, auth,
	    &authlen) == -1 || crypto_random_child_spi(&spi) == -1) {
		fprintf(stderr, "ikeload: AUTH: %s\n", crypto_errstr());
		return (NULL);
	}
	/* AES-GCM-16 first; AES-CBC with HMAC-SHA1-96 for OpenIKED 7.2 on
	   Linux, which drops AEAD CHILD SA transforms (PF_KEY) */
	memset(prop, 0, sizeof(prop));
	prop[0].pp_num = 1;
	prop[0].pp_proto = PROTO_ESP;
	prop[0].pp_spisize = 4;
	prop[0].pp_spi = spi;
	prop[1] = prop[0];
	prop[1].pp_num = 2;
	prop[0].pp_xforms[prop[0].pp_nxforms++] = (struct pld_xform){
	    XF_ENCR, 0, IKEV2_ENCR_AES_GCM_16, 128 };
	prop[0].pp_xforms[prop[0].pp_nxforms++] = (struct pld_xform){
	    XF_ESN, 0, 0, 0 };
	prop[1].pp_xforms[prop[1].pp_nxforms++] = (struct pld_xform){
	    XF_ENCR, 0, IKEV2_ENCR_AES_CBC, 128 };
	prop[1].pp_xforms[prop[1].pp_nxforms++] = (struct pld_xform){
	    XF_INTEG, 0, IKEV2_AUTH_HMAC_SHA1_96, 0 };
	prop[1].pp_xforms[prop[1].pp_nxforms++] = (struct pld_xform){
	    XF_ESN, 0, 0, 0 };
	memset(&ti, 0, sizeof(ti));
	ti.ts_type = IKEV2_TS_IPV4_ADDR_RANGE;
	ti.ts_eport = 65535;
	tr = ti;
	memcpy(ti.ts_saddr, &s->src, 4);
	memcpy(ti.ts_eaddr, &s->src, 4);
	a = htonl(opt.tsr_lo);
	memcpy(tr.ts_saddr, &a, 4);
	a = htonl(opt.tsr_hi);
	memcpy(tr.ts_eaddr, &a, 4);

	if ((b = ibuf_new(0)) == NULL)
		return (NULL);
	hdr(&h, s->spii, s->spir, IKEV2_EXCH_IKE_AUTH, IKEV2_FLAG_I, 1);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	pld_add_id(&pb, IKEV2_PLD_IDI, idb[0], idb + 4, idlen - 4);
	if (idrlen > 0)
		pld_add_id(&pb, IKEV2_PLD_IDR, idrb[0], idrb + 4, idrlen - 4);
	pld_add_auth(&pb, IKEV2_AUTH_PSK, auth, authlen);
	pld_add_sa(&pb, prop, 2);
	pld_add_ts(&pb, IKEV2_PLD_TSI, &ti, 1);
	pld_add_ts(&pb, IKEV2_PLD_TSR, &tr, 1);
	out = sk_seal(&s->keys, &pb, inner, len);
	ibuf_free(b);
	return (out);
}

static const struct pld_notify *
notify(const struct ike_msg *m, uint16_t type)
{
	size_t	 i;

	for (i = 0; i < m->m_nnotify; i++)
		if (m->m_notify[i].n_type == type)
			return (&m->m_notify[i]);
	return (NULL);
}

static const struct pld_notify *
error_notify(const struct ike_msg *m)
{
	size_t	 i;

	for (i = 0; i < m->m_nnotify; i++)
		if (m->m_notify[i].n_type < 16384)
			return (&m->m_notify[i]);
	return (NULL);
}

/* --- one SA --------------------------------------------------------------- */

static struct lsa	*slots;
static struct lsa	*up;		/* established, kept for -H */
static size_t		 nup;
static long		 next_sa;

static void
sa_send(struct lsa *s)
{
	if (send(s->fd, s->req, s->reqlen, 0) == -1 && errno != EAGAIN &&
	    errno != ECONNREFUSED)
		fprintf(stderr, "ikeload: send: %s\n", strerror(errno));
	s->deadline = now() + s->rto;
}

static void
sa_request(struct lsa *s, uint8_t *req, size_t len)
{
	free(s->req);
	s->req = req;
	s->reqlen = len;
	s->tries = 0;
	s->rto = opt.rexmit_ms / 1000.0;
	sa_send(s);
}

static void
sa_free_bufs(struct lsa *s)
{
	free(s->initreq);
	free(s->initres);
	free(s->req);
	s->initreq = s->initres = s->req = NULL;
	if (s->dh != NULL)
		dh_free(s->dh);
	s->dh = NULL;
}

static void
sa_end(struct lsa *s, int ok, const char *why)
{
	struct epoll_event	 ev;

	sa_free_bufs(s);
	if (ok) {
		t_last = now();
		lat[st.established++] = t_last - s->t0;
		up[nup] = *s;
		up[nup].state = L_UP;
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = 1ULL << 32 | nup;
		epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
		nup++;
	} else {
		st.failed++;
		if (!opt.quiet && why != NULL)
			fprintf(stderr, "ikeload: SA %016llx: %s\n",
			    (unsigned long long)get_be64(s->spii), why);
		close(s->fd);
		ike_keys_clear(&s->keys);
	}
	memset(s, 0, sizeof(*s));
	s->state = L_FREE;
	s->fd = -1;
}

static int
init_send(struct lsa *s)
{
	uint8_t		 pub[CRYPTO_DH_MAX], *req;
	size_t		 publen = sizeof(pub), len;

	if (s->dh != NULL)
		dh_free(s->dh);
	if ((s->dh = dh_new(s->group)) == NULL ||
	    dh_public(s->dh, pub, &publen) == -1 ||
	    (req = init_build(s->spii, s->cookie, s->cookielen, s->group,
	    pub, publen, s->ni, &len)) == NULL)
		return (-1);
	free(s->initreq);
	s->initreq = xcalloc(1, len);
	memcpy(s->initreq, req, len);
	s->initreqlen = len;
	s->state = L_INIT;
	sa_request(s, req, len);
	return (0);
}

static void
sa_start(struct lsa *s, size_t idx)
{
	struct epoll_event	 ev;

	memset(s, 0, sizeof(*s));
	s->idx = next_sa;
	s->src = opt.srcs[next_sa % opt.nsrcs];
	next_sa++;
	st.started++;
	s->t0 = now();
	s->group = opt.groups[0];
	if ((s->fd = open_sock(s->src, 1)) == -1) {
		char	 a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &s->src, a, sizeof(a));
		fprintf(stderr, "ikeload: socket from %s: %s\n", a,
		    strerror(errno));
		st.failed++;
		s->state = L_FREE;
		s->fd = -1;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = idx;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev) == -1 ||
	    crypto_random_ike_spi(s->spii) == -1 ||
	    crypto_random_nonce(s->ni, NONCE_LEN) == -1 || init_send(s) == -1)
		sa_end(s, 0, "cannot start");
}

static void
init_answer(struct lsa *s, const uint8_t *raw, size_t len)
{
	const struct pld_notify	*n;
	const struct pld_prop	*p;
	struct ike_suite	 suite;
	uint8_t			 gir[CRYPTO_DH_MAX], *req;
	size_t			 girlen = sizeof(gir), i, alen;
	uint16_t		 g;
	char			 why[64];

	if ((n = notify(&msg, IKEV2_N_COOKIE)) != NULL &&
	    !PLD_SEEN(&msg, IKEV2_PLD_SA)) {
		if (n->n_data.d_len < 1 || n->n_data.d_len > COOKIE_MAX ||
		    s->cookielen > 0) {	/* a second one: give up */
			sa_end(s, 0, "bad or repeated COOKIE");
			return;
		}
		st.cookies++;
		memcpy(s->cookie, n->n_data.d_ptr, n->n_data.d_len);
		s->cookielen = n->n_data.d_len;
		if (init_send(s) == -1)
			sa_end(s, 0, "IKE_SA_INIT with cookie");
		return;
	}
	if ((n = notify(&msg, IKEV2_N_INVALID_KE_PAYLOAD)) != NULL &&
	    n->n_data.d_len == 2) {
		g = n->n_data.d_ptr[0] << 8 | n->n_data.d_ptr[1];
		for (i = 0; i < opt.ngroups && opt.groups[i] != g; i++)
			;
		if (i == opt.ngroups || g == s->group || !dh_supported(g)) {
			snprintf(why, sizeof(why), "peer wants DH group %u",
			    g);
			sa_end(s, 0, why);
			return;
		}
		st.invalid_ke++;
		s->group = g;
		if (init_send(s) == -1)
			sa_end(s, 0, "IKE_SA_INIT, new group");
		return;
	}
	if ((n = error_notify(&msg)) != NULL) {
		st.refused++;
		snprintf(why, sizeof(why), "IKE_SA_INIT refused: %s",
		    pld_notify_name(n->n_type));
		sa_end(s, 0, why);
		return;
	}
	if (!PLD_SEEN(&msg, IKEV2_PLD_SA) || !PLD_SEEN(&msg, IKEV2_PLD_KE) ||
	    !PLD_SEEN(&msg, IKEV2_PLD_NONCE) || msg.m_sa.sa_nprops != 1 ||
	    msg.m_nonce.d_len < CRYPTO_NONCE_MIN ||
	    msg.m_nonce.d_len > CRYPTO_NONCE_MAX ||
	    msg.m_ke.ke_group != s->group) {
		st.bad++;
		sa_end(s, 0, "malformed IKE_SA_INIT response");
		return;
	}
	memset(&suite, 0, sizeof(suite));
	p = &msg.m_sa.sa_props[0];
	for (i = 0; i < p->pp_nxforms; i++) {
		const struct pld_xform	*x = &p->pp_xforms[i];

		if (x->xf_type == XF_ENCR) {
			suite.is_encr = x->xf_id;
			suite.is_encr_bits = x->xf_keylen;
		} else if (x->xf_type == XF_PRF)
			suite.is_prf = x->xf_id;
		else if (x->xf_type == XF_INTEG)
			suite.is_integ = x->xf_id;
		else if (x->xf_type == XF_DH)
			suite.is_dh = x->xf_id;
	}
	if (suite.is_encr != IKEV2_ENCR_AES_GCM_16 ||
	    suite.is_encr_bits != 128 || suite.is_integ != 0 ||
	    suite.is_prf != IKEV2_PRF_HMAC_SHA2_256 ||
	    suite.is_dh != s->group) {
		st.bad++;
		sa_end(s, 0, "responder chose a proposal not offered");
		return;
	}
	put_be64(s->spir, msg.m_hdr.h_rspi);
	s->nrlen = msg.m_nonce.d_len;
	memcpy(s->nr, msg.m_nonce.d_ptr, s->nrlen);
	if (dh_derive(s->dh, msg.m_ke.ke_data.d_ptr, msg.m_ke.ke_data.d_len,
	    gir, &girlen) == -1 || ike_keys_new(&s->keys, &suite, gir, girlen,
	    s->ni, NONCE_LEN, s->nr, s->nrlen, s->spii, s->spir) == -1) {
		explicit_bzero(gir, sizeof(gir));
		sa_end(s, 0, crypto_errstr());
		return;
	}
	explicit_bzero(gir, sizeof(gir));
	dh_free(s->dh);
	s->dh = NULL;
	s->initres = xcalloc(1, len);
	memcpy(s->initres, raw, len);
	s->initreslen = len;
	if ((req = auth_build(s, &alen)) == NULL) {
		sa_end(s, 0, "IKE_AUTH request");
		return;
	}
	s->state = L_AUTH;
	sa_request(s, req, alen);
}

/* Decrypts msg (parsed from raw) in place; 0 when the inner payloads
 * are parsed into msg. */
static int
open_sk(const struct ike_keys *k, uint8_t *raw, size_t len)
{
	size_t	 inoff, inlen;
	char	 err[128];

	if (!PLD_SEEN(&msg, IKEV2_PLD_SK) ||
	    sk_decrypt(k, 0, raw, len, msg.m_sk.sk_off - IKE_GEN_LEN,
	    msg.m_sk.sk_off, &inoff, &inlen) == -1 ||
	    pld_parse_inner(msg.m_sk.sk_first, raw + inoff, inlen, &msg, err,
	    sizeof(err)) != PLD_OK)
		return (-1);
	return (0);
}

static void
auth_answer(struct lsa *s, uint8_t *raw, size_t len)
{
	const struct pld_notify	*n;
	uint8_t			 idb[4 + 256];
	size_t			 idlen;
	char			 why[80];

	if (open_sk(&s->keys, raw, len) == -1) {
		st.bad++;
		return;		/* not ours: the retransmission goes on */
	}
	if (notify(&msg, IKEV2_N_AUTHENTICATION_FAILED) != NULL) {
		st.auth_failed++;
		sa_end(s, 0, "AUTHENTICATION_FAILED");
		return;
	}
	if (!PLD_SEEN(&msg, IKEV2_PLD_IDR) || !PLD_SEEN(&msg,
	    IKEV2_PLD_AUTH)) {
		n = error_notify(&msg);
		st.refused++;
		snprintf(why, sizeof(why), "IKE_AUTH refused: %s",
		    n != NULL ? pld_notify_name(n->n_type) : "no IDr or AUTH");
		sa_end(s, 0, why);
		return;
	}
	if (opt.idr != NULL) {
		idlen = id_body(opt.idr, idb, sizeof(idb));
		if (!crypto_memeq(idb, idlen, msg.m_idr.id_body.d_ptr,
		    msg.m_idr.id_body.d_len)) {
			st.auth_failed++;
			sa_end(s, 0, "IDr is not -r");
			return;
		}
	}
	if (msg.m_auth.auth_method != IKEV2_AUTH_PSK ||
	    psk_auth_verify(&s->keys, 0, opt.psk, opt.psklen, s->initres,
	    s->initreslen, s->ni, NONCE_LEN, msg.m_idr.id_body.d_ptr,
	    msg.m_idr.id_body.d_len, msg.m_auth.auth_data.d_ptr,
	    msg.m_auth.auth_data.d_len) != 0) {
		st.auth_failed++;
		sa_end(s, 0, "responder's AUTH does not verify");
		return;
	}
	if (error_notify(&msg) == NULL && PLD_SEEN(&msg, IKEV2_PLD_SA) &&
	    PLD_SEEN(&msg, IKEV2_PLD_TSI) && PLD_SEEN(&msg, IKEV2_PLD_TSR))
		st.child_ok++;
	else
		st.child_failed++;
	s->peerid = 0;
	sa_end(s, 1, NULL);
}

/* An INFORMATIONAL request on an established SA: an empty answer, or
 * the SA's end when it deletes the IKE SA. */
static void
info_answer(struct lsa *s, uint8_t *raw, size_t len)
{
	struct pld_builder	 pb;
	struct ike_hdr		 h;
	struct ibuf		*b;
	uint8_t			*out;
	size_t			 i, olen;
	ssize_t			 inner;
	uint32_t		 id = msg.m_hdr.h_msgid;
	int			 del = 0;

	if (msg.m_hdr.h_exchange != IKEV2_EXCH_INFORMATIONAL ||
	    (msg.m_hdr.h_flags & IKEV2_FLAG_R) || id != s->peerid ||
	    open_sk(&s->keys, raw, len) == -1) {
		st.bad++;
		return;
	}
	for (i = 0; i < msg.m_ndelete; i++) {
		if (msg.m_delete[i].d_proto == PROTO_IKE)
			del = 1;
		else
			st.child_deleted++;
	}
	if ((b = ibuf_new(0)) == NULL)
		return;
	hdr(&h, s->spii, s->spir, IKEV2_EXCH_INFORMATIONAL,
	    IKEV2_FLAG_I | IKEV2_FLAG_R, id);
	pld_build_init(&pb, b, &h);
	inner = pld_sk_begin(&pb, 0);
	if ((out = sk_seal(&s->keys, &pb, inner, &olen)) != NULL) {
		send(s->fd, out, olen, 0);
		free(out);
	}
	ibuf_free(b);
	s->peerid++;
	st.info_answered++;
	if (del) {
		st.deleted++;
		epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
		s->fd = -1;
		s->state = L_FREE;
		ike_keys_clear(&s->keys);
	}
}

static void
sa_input(struct lsa *s)
{
	uint8_t		 raw[IBUF_MAX];
	ssize_t		 n;
	char		 err[128];

	while ((n = recv(s->fd, raw, sizeof(raw), 0)) > 0 ||
	    (n == -1 && errno == ECONNREFUSED)) {
		if (n == -1)
			continue;
		if (pld_parse(raw, n, &msg, err, sizeof(err)) != PLD_OK ||
		    msg.m_hdr.h_ispi != get_be64(s->spii)) {
			st.bad++;
			continue;
		}
		switch (s->state) {
		case L_INIT:
			if (msg.m_hdr.h_exchange != IKEV2_EXCH_IKE_SA_INIT ||
			    !(msg.m_hdr.h_flags & IKEV2_FLAG_R) ||
			    msg.m_hdr.h_msgid != 0) {
				st.bad++;
				continue;
			}
			init_answer(s, raw, n);
			break;
		case L_AUTH:
			if (msg.m_hdr.h_exchange != IKEV2_EXCH_IKE_AUTH ||
			    !(msg.m_hdr.h_flags & IKEV2_FLAG_R) ||
			    msg.m_hdr.h_msgid != 1 ||
			    msg.m_hdr.h_rspi != get_be64(s->spir)) {
				st.bad++;
				continue;
			}
			auth_answer(s, raw, n);
			break;
		case L_UP:
			info_answer(s, raw, n);
			break;
		default:
			return;
		}
		if (s->state == L_FREE)
			return;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
pct(long n, double p)
{
	long	 i;

	if (n == 0)
		return (0);
	i = (long)(p * n + 0.999999) - 1;
	if (i < 0)
		i = 0;
	if (i >= n)
		i = n - 1;
	return (lat[i] * 1000);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
run_sas(void)
{
	struct epoll_event	 evs[256];
	double			 t0, t1, t, next;
	long			 i, active;
	int			 n, k, tmo;

	slots = xcalloc(opt.conc, sizeof(*slots));
	for (i = 0; i < opt.conc; i++)
		slots[i].fd = -1;
	lat = xcalloc(opt.count, sizeof(*lat));
	up = xcalloc(opt.count, sizeof(*up));
	t0 = now();
	for (;;) {
		active = 0;
		for (i = 0; i < opt.conc; i++) {
			if (slots[i].state == L_FREE && next_sa < opt.count &&
			    !stop && now() - t0 < opt.wall_limit)
				sa_start(&slots[i], i);
			if (slots[i].state != L_FREE)
				active++;
		}
		if (active == 0)
			break;
		t = now();
		next = t + 1;
		for (i = 0; i < opt.conc; i++) {
			struct lsa	*s = &slots[i];

			if (s->state == L_FREE)
				continue;
			if (stop || t - t0 >= opt.wall_limit) {
				st.timeouts++;
				sa_end(s, 0, NULL);
				continue;
			}
			if (s->deadline <= t) {
				if (++s->tries > opt.tries) {
					st.timeouts++;
					sa_end(s, 0, s->state == L_INIT ?
					    "IKE_SA_INIT unanswered" :
					    "IKE_AUTH unanswered");
					continue;
				}
				st.rexmits++;
				s->rto *= 2;
				sa_send(s);
			}
			if (s->deadline < next)
				next = s->deadline;
		}
		tmo = (int)((next - now()) * 1000) + 1;
		if (tmo < 0)
			tmo = 0;
		n = epoll_wait(ep, evs, sizeof(evs) / sizeof(evs[0]), tmo);
		for (k = 0; k < n; k++) {
			uint64_t	 d = evs[k].data.u64;

			if (d >> 32)
				sa_input(&up[d & 0xffffffff]);
			else if (slots[d].state != L_FREE)
				sa_input(&slots[d]);
		}
	}
	t1 = now();
	qsort(lat, st.established, sizeof(*lat), cmp_double);
	printf("ikeload mode=sa n=%ld established=%ld failed=%ld "
	    "child_ok=%ld child_failed=%ld cookies=%ld invalid_ke=%ld "
	    "retransmits=%ld timeouts=%ld auth_failed=%ld refused=%ld "
	    "bad=%ld info_answered=%ld child_deleted=%ld conc=%ld srcs=%zu "
	    "wall_s=%.3f rate=%.1f last_s=%.3f rate_to_last=%.1f "
	    "lat_min_ms=%.2f lat_p50_ms=%.2f lat_p90_ms=%.2f "
	    "lat_p99_ms=%.2f lat_max_ms=%.2f\n",
	    opt.count, st.established, st.failed, st.child_ok,
	    st.child_failed, st.cookies, st.invalid_ke, st.rexmits,
	    st.timeouts, st.auth_failed, st.refused, st.bad,
	    st.info_answered, st.child_deleted, opt.conc,
	    opt.nsrcs, t1 - t0, st.established / (t1 - t0),
	    st.established > 0 ? t_last - t0 : 0.0,
	    st.established > 0 ? st.established / (t_last - t0) : 0.0,
	    pct(st.established, 0), pct(st.established, 0.5),
	    pct(st.established, 0.9), pct(st.established, 0.99),
	    st.established > 0 ? lat[st.established - 1] * 1000 : 0.0);
	fflush(stdout);
	if (opt.hold > 0) {
		t0 = now();
		while (!stop && now() - t0 < opt.hold) {
			n = epoll_wait(ep, evs, sizeof(evs) / sizeof(evs[0]),
			    100);
			for (k = 0; k < n; k++) {
				uint64_t	 d = evs[k].data.u64;

				if ((d >> 32) && up[d & 0xffffffff].state ==
				    L_UP)
					sa_input(&up[d & 0xffffffff]);
			}
		}
		printf("ikeload held=%zu info_answered=%ld deleted=%ld "
		    "child_deleted=%ld\n", nup, st.info_answered, st.deleted,
		    st.child_deleted);
	}
}

/* --- flood ---------------------------------------------------------------- */

/* The flood's requests are rebuilt from their SPI: nonce = SPI four
 * times, one KE value for all. */
static uint8_t	 flood_pub[CRYPTO_DH_MAX];
static size_t	 flood_publen;
static uint8_t	*flood_cookied;		/* per request: cookie sent */
static uint32_t	 flood_tag;

static void
flood_send(int fd, uint64_t spi, const uint8_t *cookie, size_t cookielen)
{
	uint8_t		 spib[8], ni[NONCE_LEN], *req;
	size_t		 len, i;

	put_be64(spib, spi);
	for (i = 0; i < NONCE_LEN; i += 8)
		memcpy(ni + i, spib, 8);
	if ((req = init_build(spib, cookie, cookielen, opt.groups[0],
	    flood_pub, flood_publen, ni, &len)) == NULL)
		return;
	if (sendto(fd, req, len, 0, (struct sockaddr *)&opt.dst,
	    sizeof(opt.dst)) == -1 && errno != EAGAIN)
		fprintf(stderr, "ikeload: sendto: %s\n", strerror(errno));
	free(req);
}

static void
flood_input(int fd)
{
	const struct pld_notify	*n;
	uint8_t			 raw[IBUF_MAX];
	ssize_t			 len;
	uint64_t		 spi, seq;
	char			 err[128];

	while ((len = recv(fd, raw, sizeof(raw), 0)) > 0 ||
	    (len == -1 && errno == ECONNREFUSED)) {
		if (len == -1)
			continue;
		if (pld_parse(raw, len, &msg, err, sizeof(err)) != PLD_OK ||
		    msg.m_hdr.h_exchange != IKEV2_EXCH_IKE_SA_INIT ||
		    !(msg.m_hdr.h_flags & IKEV2_FLAG_R) ||
		    (msg.m_hdr.h_ispi >> 32) != flood_tag ||
		    (seq = msg.m_hdr.h_ispi & 0xffffffff) >=
		    (uint64_t)opt.count) {
			st.bad++;
			continue;
		}
		spi = msg.m_hdr.h_ispi;
		if ((n = notify(&msg, IKEV2_N_COOKIE)) != NULL &&
		    !PLD_SEEN(&msg, IKEV2_PLD_SA)) {
			st.cookies++;
			if (opt.answer_cookies && !flood_cookied[seq] &&
			    n->n_data.d_len <= COOKIE_MAX) {
				flood_cookied[seq] = 1;
				st.cookie_sent++;
				flood_send(fd, spi, n->n_data.d_ptr,
				    n->n_data.d_len);
			}
		} else if (PLD_SEEN(&msg, IKEV2_PLD_SA) &&
		    PLD_SEEN(&msg, IKEV2_PLD_KE)) {
			if (flood_cookied[seq])
				st.cookie_ok++;
			else
				st.init_ok++;
		} else
			st.notify_other++;
	}
}

static void
run_flood(void)
{
	struct epoll_event	 evs[256], ev;
	struct dh		*dh;
	double			 t0, t1 = 0, t, end = 0;
	int			*fds, n, k;
	long			 i, nfds, due;
	uint32_t		 r;

	if ((dh = dh_new(opt.groups[0])) == NULL)
		fail("DH: %s", crypto_errstr());
	flood_publen = sizeof(flood_pub);
	if (dh_public(dh, flood_pub, &flood_publen) == -1)
		fail("DH: %s", crypto_errstr());
	if (crypto_random_bytes((uint8_t *)&r, sizeof(r)) == -1)
		fail("random: %s", crypto_errstr());
	flood_tag = r | 1;
	flood_cookied = xcalloc(opt.count, 1);
	nfds = opt.nsrcs * opt.ports;
	fds = xcalloc(nfds, sizeof(*fds));
	for (i = 0; i < nfds; i++) {
		if ((fds[i] = open_sock(opt.srcs[i % opt.nsrcs], 0)) == -1)
			fail("socket: %s", strerror(errno));
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = i;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	t0 = now();
	for (;;) {
		t = now();
		due = opt.rate > 0 ? (long)((t - t0) * opt.rate) + 1 :
		    opt.count;
		if (due > opt.count)
			due = opt.count;
		while (st.sent < due && !stop) {
			flood_send(fds[st.sent % nfds],
			    (uint64_t)flood_tag << 32 | st.sent, NULL, 0);
			st.sent++;
		}
		if (st.sent >= opt.count || stop) {
			if (end == 0) {
				t1 = now();
				end = t + opt.linger_ms / 1000.0;
			}
			if (t >= end)
				break;
		}
		n = epoll_wait(ep, evs, sizeof(evs) / sizeof(evs[0]), 1);
		for (k = 0; k < n; k++)
			flood_input(fds[evs[k].data.u64]);
	}
	printf("ikeload mode=flood sent=%ld srcs=%zu sockets=%ld "
	    "init_responses=%ld cookies=%ld cookie_replies=%ld "
	    "cookie_responses=%ld other_notifies=%ld bad=%ld wall_s=%.3f "
	    "rate=%.1f\n", st.sent, opt.nsrcs, nfds, st.init_ok, st.cookies,
	    st.cookie_sent, st.cookie_ok, st.notify_other, st.bad, t1 - t0,
	    st.sent / (t1 - t0));
	for (i = 0; i < nfds; i++)
		close(fds[i]);
	free(fds);
	dh_free(dh);
}

int
main(int argc, char *argv[])
{
	struct rlimit	 rl;
	const char	*errstr;
	char		*tok, *save = NULL, *dup;
	uint32_t	 lo, hi;
	int		 ch;

	opt.count = 1000;
	opt.conc = 100;
	opt.ports = 1;
	opt.rate = 1000;
	opt.linger_ms = 1000;
	opt.rexmit_ms = 1000;
	opt.tries = 5;
	opt.wall_limit = 600;
	opt.idi = "load.example";
	opt.tsr_lo = 0;
	opt.tsr_hi = 0xffffffff;
	while ((ch = getopt(argc, argv, "AFc:g:H:i:k:L:n:P:p:qR:r:s:T:t:W:"))
	    != -1) {
		switch (ch) {
		case 'A':
			opt.answer_cookies = 1;
			break;
		case 'F':
			opt.flood = 1;
			break;
		case 'c':
			opt.conc = ikd_strtonum(optarg, 1, 100000, &errstr);
			if (errstr != NULL)
				fail("-c: %s", errstr);
			break;
		case 'g':
			dup = xstrdup(optarg);
			opt.ngroups = 0;
			for (tok = strtok_r(dup, ",", &save); tok != NULL &&
			    opt.ngroups < MAX_GROUPS;
			    tok = strtok_r(NULL, ",", &save))
				opt.groups[opt.ngroups++] =
				    ikd_strtonum(tok, 1, 65535, &errstr);
			free(dup);
			break;
		case 'H':
			opt.hold = strtod(optarg, NULL);
			break;
		case 'i':
			opt.idi = optarg;
			break;
		case 'k':
			opt.psk = (const uint8_t *)optarg;
			opt.psklen = strlen(optarg);
			break;
		case 'L':
			opt.linger_ms = ikd_strtonum(optarg, 0, 600000,
			    &errstr);
			break;
		case 'n':
			opt.count = ikd_strtonum(optarg, 1, 10000000, &errstr);
			if (errstr != NULL)
				fail("-n: %s", errstr);
			break;
		case 'P':
			opt.ports = ikd_strtonum(optarg, 1, 1000, &errstr);
			if (errstr != NULL)
				fail("-P: %s", errstr);
			break;
		case 'p':
			opt.rate = ikd_strtonum(optarg, 0, 10000000, &errstr);
			if (errstr != NULL)
				fail("-p: %s", errstr);
			break;
		case 'q':
			opt.quiet = 1;
			break;
		case 'R':
			opt.tries = ikd_strtonum(optarg, 0, 100, &errstr);
			break;
		case 'r':
			opt.idr = optarg;
			break;
		case 's':
			parse_srcs(optarg);
			break;
		case 'T':
			dup = xstrdup(optarg);
			parse_range(dup, &lo, &hi);
			free(dup);
			if (strchr(optarg, '/') != NULL && hi > lo) {
				lo--;	/* the whole prefix */
				hi++;
			}
			opt.tsr_lo = lo;
			opt.tsr_hi = hi;
			break;
		case 't':
			opt.rexmit_ms = ikd_strtonum(optarg, 1, 600000,
			    &errstr);
			if (errstr != NULL)
				fail("-t: %s", errstr);
			break;
		case 'W':
			opt.wall_limit = strtod(optarg, NULL);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || (!opt.flood && opt.psk == NULL))
		usage();
	if (opt.ngroups == 0)
		opt.groups[opt.ngroups++] = IKEV2_DH_CURVE25519;
	opt.dst.sin_family = AF_INET;
	opt.dst.sin_port = htons(500);
	opt.dst.sin_addr.s_addr = htonl(parse_ip(argv[0]));
	if (opt.nsrcs == 0)
		fail("%s", "no source address (-s)");
	if (crypto_init() == -1)
		fail("crypto: %s", crypto_errstr());
	/* a socket per SA kept, a few spare */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (!opt.flood && (rlim_t)opt.count + opt.conc + 16 >
		    rl.rlim_cur)
			fail("%s", "too few file descriptors for -n/-c");
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fail("epoll: %s", strerror(errno));
	if (opt.flood) {
		run_flood();
		return (0);
	}
	run_sas();
	return (st.established == opt.count ? 0 : 1);
}
