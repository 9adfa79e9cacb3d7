/*
 * Driver for regress/kernel/test.sh: runs one scenario against
 * ikerund/kernel.c and prints "ok kernel/NAME" or "not ok kernel/NAME
 * reason" lines.  Requests go the way the ikev2 process will send them:
 * encoded, through kernel_request() (decode, validate, act), and the
 * answer decoded.  What the kernel holds is checked with ip(8), whose
 * output is an independent view of it.
 *
 * usage: xfrmtest msg			pure: codecs and validation
 *	  xfrmtest policy		policies in this namespace
 *	  xfrmtest acquire		an acquire notification
 *	  xfrmtest leave [-s]		install, then exit as if crashed
 *	  xfrmtest startup [-s]		the start-up flush spares others
 *	  xfrmtest algos		ESP/AH SAs (needs ESP: UML)
 *	  xfrmtest expire		soft and hard expire (UML)
 *	  xfrmtest ping NSL NSR		a tunnel between two namespaces (UML)
 *	  xfrmtest seeds DIR		fuzzer seeds: valid requests
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/xfrm.h>
#include <netinet/in.h>
#include <poll.h>
#include <regex.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"

#define REQID		KERNEL_REQID_MIN
#define REQID_S		"1769078784"	/* KERNEL_REQID_MIN in decimal */

static int	 failed;
static char	 err[512];

static void
t(const char *name, int cond, const char *fmt, ...)
	__attribute__((__format__(printf, 3, 4)));

static void
t(const char *name, int cond, const char *fmt, ...)
{
	va_list	 ap;

	if (cond) {
		printf("ok kernel/%s\n", name);
	} else {
		printf("not ok kernel/%s ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
		failed = 1;
	}
	fflush(stdout);
}

/* the condition first, then the reason's arguments (which may run ip) */
#define T(name, cond, ...) do {						\
	int c_ = (cond);						\
	t((name), c_, __VA_ARGS__);					\
} while (0)

/* --- building requests --------------------------------------------------- */

static void
addr(struct kernel_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->ka_ip) == 1)
		a->ka_af = AF_INET;
	else if (inet_pton(AF_INET6, s, a->ka_ip) == 1)
		a->ka_af = AF_INET6;
	else {
		fprintf(stderr, "bad address %s\n", s);
		exit(2);
	}
}

static void
prefix(const char *s, uint8_t *af, uint8_t *ip, uint8_t *plen)
{
	struct kernel_addr	 a;
	char			 b[64], *slash;

	snprintf(b, sizeof(b), "%s", s);
	if ((slash = strchr(b, '/')) != NULL)
		*slash++ = '\0';
	addr(&a, b);
	*af = a.ka_af;
	memcpy(ip, a.ka_ip, 16);
	*plen = slash != NULL ? (uint8_t)atoi(slash) :
	    (a.ka_af == AF_INET ? 32 : 128);
}

static void
sel(struct kernel_sel *s, const char *src, const char *dst, uint8_t proto,
    uint16_t sport, uint16_t dport)
{
	memset(s, 0, sizeof(*s));
	if (src == NULL)
		return;
	prefix(src, &s->ks_af, s->ks_src, &s->ks_splen);
	prefix(dst, &s->ks_af, s->ks_dst, &s->ks_dplen);
	s->ks_proto = proto;
	s->ks_sport = sport;
	s->ks_dport = dport;
}

/* an SA with keys of the right sizes (bytes 1, 2, ...; 0x80 + i) */
static struct kernel_sa
mksa(uint8_t proto, uint8_t mode, uint32_t spi, const char *src,
    const char *dst, uint16_t enc, uint16_t encbits, uint16_t auth)
{
	struct kernel_sa	 s;
	const struct kernel_alg	*a;
	size_t			 i;

	memset(&s, 0, sizeof(s));
	s.ksa_proto = proto;
	s.ksa_mode = mode;
	s.ksa_spi = spi;
	s.ksa_reqid = REQID;
	s.ksa_replay = 32;
	addr(&s.ksa_src, src);
	addr(&s.ksa_dst, dst);
	s.ksa_enc = enc;
	s.ksa_encbits = encbits;
	s.ksa_auth = auth;
	if ((a = kernel_alg_enc(enc)) != NULL)
		s.ksa_enckeylen = encbits / 8 + a->kal_saltlen;
	for (i = 0; i < s.ksa_enckeylen; i++)
		s.ksa_enckey[i] = (uint8_t)(i + 1);
	if ((a = kernel_alg_auth(auth)) != NULL)
		s.ksa_authkeylen = a->kal_keylen;
	for (i = 0; i < s.ksa_authkeylen; i++)
		s.ksa_authkey[i] = (uint8_t)(0x80 + i);
	return (s);
}

static struct kernel_policy
mkpol(uint8_t dir, const char *src, const char *dst, const char *tsrc,
    const char *tdst, uint32_t prio)
{
	struct kernel_policy	 p;

	memset(&p, 0, sizeof(p));
	p.kp_dir = dir;
	p.kp_proto = IPPROTO_ESP;
	p.kp_mode = tsrc != NULL ? KMODE_TUNNEL : KMODE_TRANSPORT;
	p.kp_reqid = REQID;
	p.kp_priority = prio;
	sel(&p.kp_sel, src, dst, 0, 0, 0);
	if (tsrc != NULL) {
		addr(&p.kp_tsrc, tsrc);
		addr(&p.kp_tdst, tdst);
	}
	return (p);
}

static struct kernel_policy_id
polid(const struct kernel_policy *p)
{
	struct kernel_policy_id	 id;

	memset(&id, 0, sizeof(id));
	id.kpi_dir = p->kp_dir;
	id.kpi_sel = p->kp_sel;
	id.kpi_mark = p->kp_mark;
	return (id);
}

static struct kernel_said
said(const struct kernel_sa *s)
{
	struct kernel_said	 id;

	memset(&id, 0, sizeof(id));
	id.kid_proto = s->ksa_proto;
	id.kid_spi = s->ksa_spi;
	id.kid_dst = s->ksa_dst;
	id.kid_mark = s->ksa_mark;
	return (id);
}

/* --- requests through the parent's path ---------------------------------- */

static struct kernel_result	 res;
static struct kernel_sa_stats	 counters;

static int
request(struct kernel *k, uint32_t type, const uint8_t *p, size_t n)
{
	uint8_t		 reply[KERNEL_PAYLOAD_MAX];
	uint32_t	 rt;
	size_t		 rn;

	memset(&res, 0, sizeof(res));
	rn = kernel_request(k, type, p, n, &rt, reply, sizeof(reply));
	if (rt == KMSG_SA_COUNTERS) {
		if (kernel_sa_stats_decode(reply, rn, &counters) == -1) {
			res.kr_error = -1;
			snprintf(res.kr_msg, sizeof(res.kr_msg),
			    "bad counters");
		}
		return (res.kr_error);
	}
	if (rt != KMSG_RESULT || kernel_result_decode(reply, rn, &res) == -1) {
		res.kr_error = -1;
		snprintf(res.kr_msg, sizeof(res.kr_msg), "bad reply");
	}
	return (res.kr_error);
}

static int
sa_add(struct kernel *k, const struct kernel_sa *s)
{
	uint8_t	 b[KERNEL_PAYLOAD_MAX];

	return (request(k, KMSG_SA_ADD, b, kernel_sa_encode(s, b,
	    sizeof(b))));
}

static int
sa_req(struct kernel *k, uint32_t type, const struct kernel_sa *s)
{
	struct kernel_said	 id = said(s);
	uint8_t			 b[KERNEL_PAYLOAD_MAX];

	return (request(k, type, b, kernel_said_encode(&id, b, sizeof(b))));
}

static int
pol_add(struct kernel *k, const struct kernel_policy *p)
{
	uint8_t	 b[KERNEL_PAYLOAD_MAX];

	return (request(k, KMSG_POLICY_ADD, b, kernel_policy_encode(p, b,
	    sizeof(b))));
}

static int
pol_del(struct kernel *k, const struct kernel_policy *p)
{
	struct kernel_policy_id	 id = polid(p);
	uint8_t			 b[KERNEL_PAYLOAD_MAX];

	return (request(k, KMSG_POLICY_DELETE, b, kernel_policy_id_encode(&id,
	    b, sizeof(b))));
}

static struct kernel *
kopen(void)
{
	struct kernel	*k;

	if ((k = kernel_open(err, sizeof(err))) == NULL) {
		printf("not ok kernel/open %s\n", err);
		exit(0);
	}
	return (k);
}

/* --- what ip(8) says ----------------------------------------------------- */

static char *
run(const char *cmd)
{
	static char	 out[65536];
	FILE		*f;
	size_t		 n;

	out[0] = '\0';
	if ((f = popen(cmd, "r")) == NULL)
		return (out);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	pclose(f);
	return (out);
}

/* does the output of cmd match the extended regular expression? */
static int
matches(const char *cmd, const char *re)
{
	regex_t	 r;
	int	 m;

	if (regcomp(&r, re, REG_EXTENDED | REG_NEWLINE) != 0) {
		fprintf(stderr, "bad regex %s\n", re);
		exit(2);
	}
	m = regexec(&r, run(cmd), 0, NULL, 0) == 0;
	regfree(&r);
	return (m);
}

/* the first line of text, for a "not ok" reason */
static const char *
firstline(const char *s)
{
	static char	 b[256];
	size_t		 n = strcspn(s, "\n");

	if (n >= sizeof(b))
		n = sizeof(b) - 1;
	memcpy(b, s, n);
	b[n] = '\0';
	return (b);
}

/* --- msg: codecs and validation, no kernel ------------------------------- */

static struct kernel_sa
good_sa(void)
{
	struct kernel_sa	 s;

	s = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000, "192.0.2.1", "192.0.2.2",
	    KENC_AES_GCM_16, 128, KAUTH_NONE);
	s.ksa_life.kl_soft_bytes = 1000;
	s.ksa_life.kl_hard_bytes = 2000;
	s.ksa_life.kl_soft_secs = 3000;
	s.ksa_life.kl_hard_secs = 3600;
	return (s);
}

/* every shorter prefix and a longer copy of an encoding are refused */
#define TRUNCATIONS(name, type, dec, buf, n) do {			\
	type	 tv_;							\
	uint8_t	 tl_[KERNEL_PAYLOAD_MAX + 1];				\
	size_t	 ti_;							\
	int	 tbad_ = 0;						\
	for (ti_ = 0; ti_ < (n); ti_++)					\
		if (dec((buf), ti_, &tv_) == 0)				\
			tbad_ = 1;					\
	memcpy(tl_, (buf), (n));					\
	tl_[(n)] = 0;							\
	if (dec(tl_, (n) + 1, &tv_) == 0)				\
		tbad_ = 1;						\
	T(name, !tbad_, "a short or long payload decoded");		\
} while (0)

#define ROUNDTRIP(name, type, enc, dec, val) do {			\
	type	 v_;							\
	uint8_t	 b1_[KERNEL_PAYLOAD_MAX], b2_[KERNEL_PAYLOAD_MAX];	\
	size_t	 n1_, n2_;						\
	n1_ = enc((val), b1_, sizeof(b1_));				\
	n2_ = 0;							\
	if (n1_ > 0 && dec(b1_, n1_, &v_) == 0)				\
		n2_ = enc(&v_, b2_, sizeof(b2_));			\
	T(name "-roundtrip", n1_ > 0 && n1_ == n2_ &&			\
	    memcmp(b1_, b2_, n1_) == 0, "%zu/%zu bytes", n1_, n2_);	\
	TRUNCATIONS(name "-exact-length", type, dec, b1_, n1_);		\
} while (0)

#define SA_OK(name, stmt) do {						\
	struct kernel_sa s_ = good_sa();				\
	stmt;								\
	T("valid-sa-" name, kernel_sa_validate(&s_, err,		\
	    sizeof(err)) == 0, "%s", err);				\
} while (0)

#define SA_BAD(name, stmt, want) do {					\
	struct kernel_sa s_ = good_sa();				\
	err[0] = '\0';							\
	stmt;								\
	T("refuse-sa-" name, kernel_sa_validate(&s_, err,		\
	    sizeof(err)) == -1 && strstr(err, want) != NULL,		\
	    "wanted \"%s\", got \"%s\"", want, err);			\
} while (0)

#define POL_BAD(name, stmt, want) do {					\
	struct kernel_policy p_ = mkpol(KDIR_OUT, "198.51.100.0/24",	\
	    "203.0.113.0/24", "192.0.2.1", "192.0.2.2", 100);		\
	err[0] = '\0';							\
	stmt;								\
	T("refuse-policy-" name, kernel_policy_validate(&p_, err,	\
	    sizeof(err)) == -1 && strstr(err, want) != NULL,		\
	    "wanted \"%s\", got \"%s\"", want, err);			\
} while (0)

static int
ts_sel(const char *s1, const char *e1, uint16_t sp1, uint16_t ep1,
    const char *s2, const char *e2, struct kernel_sel *out)
{
	struct kernel_ts	 a, b;
	struct kernel_addr	 x;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	addr(&x, s1);
	a.kt_af = x.ka_af;
	memcpy(a.kt_start, x.ka_ip, 16);
	addr(&x, e1);
	memcpy(a.kt_end, x.ka_ip, 16);
	a.kt_sport = sp1;
	a.kt_eport = ep1;
	addr(&x, s2);
	b.kt_af = x.ka_af;
	memcpy(b.kt_start, x.ka_ip, 16);
	addr(&x, e2);
	memcpy(b.kt_end, x.ka_ip, 16);
	b.kt_eport = 0xffff;
	return (kernel_sel_from_ts(&a, &b, sp1 != 0 || ep1 != 0xffff ?
	    IPPROTO_TCP : 0, out));
}

static void
msg_events(void)
{
	union {
		struct nlmsghdr	 nlh;
		uint8_t		 b[1024];
	}			 buf;
	struct nlmsghdr		*nlh;
	struct xfrm_user_expire	*ue;
	struct xfrm_mark	 m = { 0x10, 0xff };
	struct kernel_event	 ev, ev2;
	uint8_t			 b1[KERNEL_PAYLOAD_MAX];
	size_t			 n, i;
	int			 bad = 0;

	memset(&buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf.b);
	nlh->nlmsg_type = XFRM_MSG_EXPIRE;
	ue = mnl_nlmsg_put_extra_header(nlh, sizeof(*ue));
	ue->state.family = AF_INET;
	ue->state.id.proto = IPPROTO_ESP;
	ue->state.id.spi = htonl(0x1234);
	ue->state.id.daddr.a4 = htonl(0xc0000202);
	ue->state.saddr.a4 = htonl(0xc0000201);
	ue->state.reqid = REQID + 7;
	ue->state.mode = XFRM_MODE_TUNNEL;
	ue->hard = 1;
	mnl_attr_put(nlh, XFRMA_MARK, sizeof(m), &m);
	T("event-parse-expire", kernel_event_parse(buf.b, nlh->nlmsg_len,
	    &ev) == 1 && ev.ke_type == KEV_EXPIRE_HARD &&
	    ev.ke_spi == 0x1234 && ev.ke_reqid == REQID + 7 &&
	    ev.ke_proto == IPPROTO_ESP && ev.ke_mode == KMODE_TUNNEL &&
	    ev.ke_dst.ka_af == AF_INET && ev.ke_dst.ka_ip[3] == 2 &&
	    ev.ke_mark.km_value == 0x10 && ev.ke_mark.km_mask == 0xff,
	    "fields differ");
	for (i = 0; i < nlh->nlmsg_len; i++)
		if (kernel_event_parse(buf.b, i, &ev2) != -1)
			bad = 1;
	T("event-parse-refuses-truncated", !bad, "a cut message parsed");
	ue->state.family = 99;
	T("event-parse-refuses-family", kernel_event_parse(buf.b,
	    nlh->nlmsg_len, &ev2) == -1, "family 99 parsed");
	nlh->nlmsg_type = XFRM_MSG_NEWAE;
	T("event-parse-ignores-others", kernel_event_parse(buf.b,
	    nlh->nlmsg_len, &ev2) == 0, "not ignored");
	ROUNDTRIP("event", struct kernel_event, kernel_event_encode,
	    kernel_event_decode, &ev);
	n = kernel_event_encode(&ev, b1, sizeof(b1));
	b1[0] = 0;
	T("event-decode-refuses-type-0", n > 0 &&
	    kernel_event_decode(b1, n, &ev2) == -1, "decoded");
}

static void
scen_msg(void)
{
	struct kernel_sa	 s = good_sa(), s2;
	struct kernel_said	 id = said(&s);
	struct kernel_policy	 p;
	struct kernel_policy_id	 pid;
	struct kernel_result	 r, r2;
	struct kernel_sa_stats	 st;
	struct kernel_sel	 ks;
	uint8_t			 b[KERNEL_PAYLOAD_MAX];
	size_t			 n;

	/* codecs */
	ROUNDTRIP("sa", struct kernel_sa, kernel_sa_encode, kernel_sa_decode,
	    &s);
	s2 = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x2000, "2001:db8::1",
	    "2001:db8::2", KENC_AES_CBC, 256, KAUTH_HMAC_SHA2_512_256);
	ROUNDTRIP("sa-cbc-v6", struct kernel_sa, kernel_sa_encode,
	    kernel_sa_decode, &s2);
	ROUNDTRIP("said", struct kernel_said, kernel_said_encode,
	    kernel_said_decode, &id);
	p = mkpol(KDIR_FWD, "198.51.100.0/24", "203.0.113.0/24", "192.0.2.1",
	    "192.0.2.2", 7);
	ROUNDTRIP("policy", struct kernel_policy, kernel_policy_encode,
	    kernel_policy_decode, &p);
	pid = polid(&p);
	ROUNDTRIP("policy-id", struct kernel_policy_id,
	    kernel_policy_id_encode, kernel_policy_id_decode, &pid);
	memset(&r, 0, sizeof(r));
	r.kr_error = EEXIST;
	snprintf(r.kr_msg, sizeof(r.kr_msg), "sa add: File exists");
	ROUNDTRIP("result", struct kernel_result, kernel_result_encode,
	    kernel_result_decode, &r);
	memset(&st, 0, sizeof(st));
	st.kst_id = id;
	st.kst_bytes = 1ULL << 40;
	st.kst_packets = 3;
	st.kst_add_time = 1700000000;
	ROUNDTRIP("stats", struct kernel_sa_stats, kernel_sa_stats_encode,
	    kernel_sa_stats_decode, &st);
	T("flush-empty-only", kernel_flush_decode(b, 0) == 0 &&
	    kernel_flush_decode(b, 1) == -1, "flush payload");

	n = kernel_sa_encode(&s, b, sizeof(b));
	b[3 + 12 + 1 + 5] ^= 1;		/* IPv4 src: a byte past the 4 */
	T("decode-refuses-address-padding", kernel_sa_decode(b, n, &s2) == -1,
	    "decoded");
	n = kernel_sa_encode(&s, b, sizeof(b));
	b[3 + 12 + 34 + 6] = KERNEL_ENCKEY_MAX + 1;	/* enc key length */
	T("decode-refuses-long-key", kernel_sa_decode(b, n, &s2) == -1,
	    "decoded");
	n = kernel_result_encode(&r, b, sizeof(b));
	b[3] = 0x80;			/* negative error */
	T("decode-refuses-negative-error", kernel_result_decode(b, n,
	    &r2) == -1, "decoded");
	n = kernel_result_encode(&r, b, sizeof(b));
	b[7] = '\0';			/* NUL in the text */
	T("decode-refuses-nul-in-text", kernel_result_decode(b, n,
	    &r2) == -1, "decoded");
	n = kernel_policy_id_encode(&pid, b, sizeof(b));
	b[3] = 33;			/* src prefix length of IPv4 */
	T("decode-refuses-prefix-33", kernel_policy_id_decode(b, n,
	    &pid) == -1, "decoded");

	/* algorithms and sizes the parent accepts */
	SA_OK("aes-gcm-16-128", (void)0);
	SA_OK("aes-gcm-16-256", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_AES_GCM_16, 256, KAUTH_NONE));
	SA_OK("aes-gcm-12", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_AES_GCM_12, 128, KAUTH_NONE));
	SA_OK("aes-gcm-8", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_AES_GCM_8, 256, KAUTH_NONE));
	SA_OK("aes-cbc-sha1", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_AES_CBC, 128,
	    KAUTH_HMAC_SHA1_96));
	SA_OK("aes-cbc-sha2-384", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_AES_CBC, 192,
	    KAUTH_HMAC_SHA2_384_192));
	SA_OK("chacha20-poly1305", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL,
	    0x1000, "192.0.2.1", "192.0.2.2", KENC_CHACHA20_POLY1305, 256,
	    KAUTH_NONE));
	SA_OK("ah-transport-v6", s_ = mksa(IPPROTO_AH, KMODE_TRANSPORT,
	    0x1000, "2001:db8::1", "2001:db8::2", KENC_NONE, 0,
	    KAUTH_HMAC_SHA2_256_128);
	    sel(&s_.ksa_sel, "2001:db8::1", "2001:db8::2", IPPROTO_TCP, 0,
	    443));
	SA_OK("esn", s_.ksa_flags = KSA_F_ESN; s_.ksa_replay = 1024);
	SA_OK("encap", s_.ksa_flags = KSA_F_ENCAP; s_.ksa_encap_sport = 4500;
	    s_.ksa_encap_dport = 4500);
	SA_OK("mark", s_.ksa_mark.km_value = 0x100;
	    s_.ksa_mark.km_mask = 0xf00);

	/* and what it refuses, with the reason */
	SA_BAD("proto", s_.ksa_proto = IPPROTO_TCP, "neither ESP nor AH");
	SA_BAD("mode", s_.ksa_mode = 2, "mode 2 out of range");
	SA_BAD("flags", s_.ksa_flags = 0x80, "unknown flags 0x80");
	SA_BAD("spi-0", s_.ksa_spi = 0, "SPI 0 is reserved");
	SA_BAD("spi-255", s_.ksa_spi = 255, "SPI 255 is reserved");
	SA_BAD("reqid-below", s_.ksa_reqid = KERNEL_REQID_MIN - 1,
	    "outside ikerund's");
	SA_BAD("reqid-above", s_.ksa_reqid = KERNEL_REQID_MAX + 1,
	    "outside ikerund's");
	SA_BAD("mixed-families", addr(&s_.ksa_src, "2001:db8::1"),
	    "families differ");
	SA_BAD("no-dst", memset(&s_.ksa_dst, 0, sizeof(s_.ksa_dst)),
	    "not an IPv4 or IPv6");
	SA_BAD("unspecified-dst", addr(&s_.ksa_dst, "0.0.0.0"),
	    "not an IPv4 or IPv6");
	SA_BAD("replay-window", s_.ksa_replay = KERNEL_REPLAY_MAX + 1,
	    "replay window 4097");
	SA_BAD("esn-without-window", s_.ksa_flags = KSA_F_ESN;
	    s_.ksa_replay = 0, "ESN needs a replay window");
	SA_BAD("unknown-cipher", s_.ksa_enc = 3,
	    "unknown encryption transform 3");
	SA_BAD("gcm-key-bits", s_.ksa_encbits = 100, "with a 100-bit key");
	SA_BAD("gcm-no-salt", s_.ksa_enckeylen = 16,
	    "key is 16 bytes, 128 bits need 20");
	SA_BAD("gcm-with-integrity", s_.ksa_auth = KAUTH_HMAC_SHA2_256_128;
	    s_.ksa_authkeylen = 32, "with an integrity transform");
	SA_BAD("cbc-without-integrity", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL,
	    0x1000, "192.0.2.1", "192.0.2.2", KENC_AES_CBC, 128, KAUTH_NONE),
	    "needs an integrity transform");
	SA_BAD("sha256-key-length", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL,
	    0x1000, "192.0.2.1", "192.0.2.2", KENC_AES_CBC, 128,
	    KAUTH_HMAC_SHA2_256_128); s_.ksa_authkeylen = 20,
	    "hmac(sha256) key is 20 bytes, not 32");
	SA_BAD("chacha-128", s_ = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_CHACHA20_POLY1305, 128,
	    KAUTH_NONE), "with a 128-bit key");
	SA_BAD("ah-with-cipher", s_.ksa_proto = IPPROTO_AH,
	    "AH with an encryption transform");
	SA_BAD("soft-past-hard", s_.ksa_life.kl_soft_secs = 4000,
	    "soft lifetime past the hard");
	SA_BAD("transport-any-selector", s_.ksa_mode = KMODE_TRANSPORT,
	    "selector without address family");
	SA_BAD("transport-selector-family", s_.ksa_mode = KMODE_TRANSPORT;
	    sel(&s_.ksa_sel, "2001:db8::/32", "2001:db8::/32", 0, 0, 0),
	    "selector of another family");
	SA_BAD("selector-host-bits", sel(&s_.ksa_sel, "198.51.100.1/24",
	    "203.0.113.0/24", 0, 0, 0), "bits past its prefix length");
	SA_BAD("selector-prefix-33", sel(&s_.ksa_sel, "198.51.100.1/33",
	    "203.0.113.0/24", 0, 0, 0), "prefix length");
	SA_BAD("selector-icmp-ports", sel(&s_.ksa_sel, "198.51.100.0/24",
	    "203.0.113.0/24", IPPROTO_ICMP, 8, 0), "ports with protocol 1");
	SA_BAD("selector-any-with-port", s_.ksa_sel.ks_dport = 80,
	    "without family has other fields");
	SA_BAD("mark-outside-mask", s_.ksa_mark.km_value = 0x1ff;
	    s_.ksa_mark.km_mask = 0xff, "outside its mask");
	SA_BAD("encap-ah", s_ = mksa(IPPROTO_AH, KMODE_TUNNEL, 0x1000,
	    "192.0.2.1", "192.0.2.2", KENC_NONE, 0, KAUTH_HMAC_SHA1_96);
	    s_.ksa_flags = KSA_F_ENCAP; s_.ksa_encap_sport = 4500;
	    s_.ksa_encap_dport = 4500, "UDP encapsulation of AH");
	SA_BAD("encap-no-ports", s_.ksa_flags = KSA_F_ENCAP,
	    "encapsulation without ports");
	SA_BAD("ports-no-encap", s_.ksa_encap_dport = 4500,
	    "ports without encapsulation");

	POL_BAD("dir", p_.kp_dir = 3, "direction 3 out of range");
	POL_BAD("proto", p_.kp_proto = IPPROTO_UDP, "neither ESP nor AH");
	POL_BAD("mode", p_.kp_mode = 9, "mode 9 out of range");
	POL_BAD("reqid", p_.kp_reqid = 1, "outside ikerund's");
	POL_BAD("any-selector", memset(&p_.kp_sel, 0, sizeof(p_.kp_sel)),
	    "selector without address family");
	POL_BAD("no-endpoints", memset(&p_.kp_tdst, 0, sizeof(p_.kp_tdst)),
	    "tunnel endpoints are not");
	POL_BAD("endpoint-families", addr(&p_.kp_tdst, "2001:db8::2"),
	    "families differ");
	POL_BAD("transport-endpoints", p_.kp_mode = KMODE_TRANSPORT,
	    "tunnel endpoints in transport mode");
	POL_BAD("mark", p_.kp_mark.km_value = 1, "outside its mask");
	memset(&id, 0, sizeof(id));
	id.kid_proto = IPPROTO_ESP;
	id.kid_spi = 0x1000;
	T("refuse-said-no-dst", kernel_said_validate(&id, err,
	    sizeof(err)) == -1, "accepted");
	pid.kpi_dir = KDIR_MAX;
	T("refuse-policy-id-dir", kernel_policy_id_validate(&pid, err,
	    sizeof(err)) == -1, "accepted");

	/* traffic selectors to XFRM selectors */
	T("ts-prefix-24", ts_sel("198.51.100.0", "198.51.100.255", 0, 0xffff,
	    "203.0.113.0", "203.0.113.127", &ks) == 0 && ks.ks_splen == 24 &&
	    ks.ks_dplen == 25 && ks.ks_proto == 0 && ks.ks_sport == 0,
	    "not /24 and /25");
	T("ts-host", ts_sel("198.51.100.5", "198.51.100.5", 80, 80,
	    "0.0.0.0", "255.255.255.255", &ks) == 0 && ks.ks_splen == 32 &&
	    ks.ks_dplen == 0 && ks.ks_sport == 80 &&
	    ks.ks_proto == IPPROTO_TCP, "not /32 port 80");
	T("ts-v6", ts_sel("2001:db8::", "2001:db8::ffff", 0, 0xffff,
	    "2001:db8:1::", "2001:db8:1:ffff:ffff:ffff:ffff:ffff", &ks) == 0 &&
	    ks.ks_splen == 112 && ks.ks_dplen == 48, "not /112 and /48");
	T("ts-refuses-range", ts_sel("198.51.100.1", "198.51.100.6", 0,
	    0xffff, "203.0.113.0", "203.0.113.255", &ks) == -1, "accepted");
	T("ts-refuses-port-range", ts_sel("198.51.100.0", "198.51.100.255",
	    1, 1024, "203.0.113.0", "203.0.113.255", &ks) == -1, "accepted");
	T("ts-refuses-mixed", ts_sel("198.51.100.0", "198.51.100.255", 0,
	    0xffff, "2001:db8::", "2001:db8::ffff", &ks) == -1, "accepted");

	msg_events();
}

/* --- policy: on any kernel with XFRM ------------------------------------- */

static void
scen_policy(void)
{
	struct kernel		*k;
	struct kernel_policy	 out, in, fwd, v6, foreign;
	struct kernel_sa	 s;
	uint8_t			 b[KERNEL_PAYLOAD_MAX];
	size_t			 n, nsa, npol;
	const char		*ip = "ip xfrm policy";

	k = kopen();
	out = mkpol(KDIR_OUT, "198.51.100.0/24", "203.0.113.0/24",
	    "192.0.2.1", "192.0.2.2", 2000);
	in = mkpol(KDIR_IN, "203.0.113.0/24", "198.51.100.0/24",
	    "192.0.2.2", "192.0.2.1", 2000);
	fwd = in;
	fwd.kp_dir = KDIR_FWD;
	fwd.kp_reqid = REQID + 1;
	v6 = mkpol(KDIR_OUT, "2001:db8:1::1", "2001:db8:2::1", NULL, NULL,
	    100);
	v6.kp_sel.ks_proto = IPPROTO_TCP;
	v6.kp_sel.ks_dport = 443;
	v6.kp_proto = IPPROTO_AH;
	v6.kp_mark.km_value = 0x42;
	v6.kp_mark.km_mask = 0xff;

	T("policy-add-out", pol_add(k, &out) == 0, "%s", res.kr_msg);
	T("policy-add-in", pol_add(k, &in) == 0, "%s", res.kr_msg);
	T("policy-add-fwd", pol_add(k, &fwd) == 0, "%s", res.kr_msg);
	T("policy-add-v6-transport", pol_add(k, &v6) == 0, "%s",
	    res.kr_msg);
	T("policy-readback-out", matches(ip, "src 198.51.100.0/24 dst "
	    "203.0.113.0/24 *\n\tdir out priority 2000.*\n\ttmpl src "
	    "192.0.2.1 dst 192.0.2.2\n\t\tproto esp reqid " REQID_S
	    " mode tunnel"), "%s", firstline(run(ip)));
	T("policy-readback-in", matches(ip, "src 203.0.113.0/24 dst "
	    "198.51.100.0/24 *\n\tdir in priority 2000.*\n\ttmpl src "
	    "192.0.2.2 dst 192.0.2.1\n\t\tproto esp reqid " REQID_S
	    " mode tunnel"), "in policy not listed");
	T("policy-readback-fwd", matches(ip, "dir fwd priority 2000.*\n\t"
	    "tmpl src 192.0.2.2 dst 192.0.2.1\n\t\tproto esp reqid "
	    "1769078785 mode tunnel"), "fwd policy not listed");
	T("policy-readback-v6", matches(ip, "src 2001:db8:1::1/128 dst "
	    "2001:db8:2::1/128 proto tcp dport 443 *\n\tdir out priority "
	    "100.*\n\tmark 0x42/0xff.*\n\ttmpl src :: dst ::\n\t\tproto ah "
	    "reqid " REQID_S " mode transport"), "v6 policy not listed");
	kernel_installed(k, &nsa, &npol);
	T("policy-remembered", nsa == 0 && npol == 4, "%zu SAs, %zu "
	    "policies", nsa, npol);

	T("policy-refuse-duplicate", pol_add(k, &out) == EEXIST, "%d %s",
	    res.kr_error, res.kr_msg);
	/* a policy the kernel has, but that ikerund did not install */
	foreign = out;
	foreign.kp_sel.ks_dplen = 25;
	system("ip xfrm policy add src 198.51.100.0/24 dst 203.0.113.0/25 "
	    "dir out tmpl src 192.0.2.1 dst 192.0.2.9 proto esp reqid "
	    REQID_S " mode tunnel");
	T("policy-refuse-delete-foreign", pol_del(k, &foreign) == ENOENT &&
	    matches(ip, "dst 192.0.2.9"), "%d %s", res.kr_error, res.kr_msg);
	system("ip xfrm policy delete src 198.51.100.0/24 dst 203.0.113.0/25 "
	    "dir out");

	/* refused before the kernel sees them */
	n = kernel_policy_encode(&out, b, sizeof(b));
	T("request-refuse-short", request(k, KMSG_POLICY_ADD, b, n - 1) ==
	    EBADMSG, "%d %s", res.kr_error, res.kr_msg);
	out.kp_reqid = 7;
	T("request-refuse-reqid", pol_add(k, &out) == EINVAL &&
	    strstr(res.kr_msg, "outside ikerund's") != NULL &&
	    !matches(ip, "reqid 7 "), "%d %s", res.kr_error, res.kr_msg);
	out.kp_reqid = REQID;
	s = good_sa();
	s.ksa_enckeylen = 16;
	T("request-refuse-sa-key", sa_add(k, &s) == EINVAL &&
	    strstr(res.kr_msg, "key is 16 bytes") != NULL, "%d %s",
	    res.kr_error, res.kr_msg);
	T("request-refuse-unknown-type", request(k, KMSG_RESULT, b, 0) ==
	    EOPNOTSUPP, "%d %s", res.kr_error, res.kr_msg);
	T("request-refuse-delete-unknown-sa", sa_req(k, KMSG_SA_DELETE,
	    &s) == ENOENT, "%d %s", res.kr_error, res.kr_msg);

	T("policy-delete", pol_del(k, &out) == 0 && pol_del(k, &v6) == 0 &&
	    !matches(ip, "dir out"), "%d %s", res.kr_error, res.kr_msg);
	T("policy-delete-again", pol_del(k, &out) == ENOENT, "%d %s",
	    res.kr_error, res.kr_msg);
	T("policy-flush-request", request(k, KMSG_FLUSH, b, 0) == 0 &&
	    strstr(res.kr_msg, "2 policies") != NULL &&
	    !matches(ip, "reqid " REQID_S), "%s", res.kr_msg);
	kernel_installed(k, &nsa, &npol);
	T("policy-forgotten", nsa == 0 && npol == 0, "%zu %zu", nsa, npol);
	pol_add(k, &in);
	kernel_close(k);
	T("policy-flush-on-close", !matches(ip, "reqid " REQID_S),
	    "%s", firstline(run(ip)));
}

/* --- acquire: a packet that hits a policy without an SA ------------------ */

static void
acquire_cb(const struct kernel_event *ev, void *arg)
{
	struct kernel_event	*got = arg;

	*got = *ev;
}

/* send one UDP datagram to 192.0.2.2 port, wait up to ms for events */
static int
acquire_wait(struct kernel *k, int fd, uint16_t port, int ms,
    struct kernel_event *ev)
{
	struct sockaddr_in	 to;
	struct pollfd		 pfd;
	int			 s, n = 0, i;

	memset(ev, 0, sizeof(*ev));
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	inet_pton(AF_INET, "192.0.2.2", &to.sin_addr);
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
		return (-1);
	(void)sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof(to));
	close(s);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (i = 0; i < ms / 50 && n == 0; i++)
		if (poll(&pfd, 1, 50) > 0)
			while ((s = kernel_events_read(k, acquire_cb, ev)) > 0)
				n += s;
	return (n);
}

static void
scen_acquire(void)
{
	struct kernel		*k;
	struct kernel_policy	 out;
	struct kernel_event	 ev;
	int			 fd, n;

	k = kopen();
	if ((fd = kernel_events_open(k)) == -1) {
		T("acquire-subscribe", 0, "%s", strerror(errno));
		kernel_close(k);
		return;
	}
	out = mkpol(KDIR_OUT, "192.0.2.1/32", "192.0.2.2/32", "192.0.2.1",
	    "192.0.2.2", 10);
	out.kp_sel.ks_proto = IPPROTO_UDP;
	out.kp_sel.ks_dport = 9;
	T("acquire-policy", pol_add(k, &out) == 0, "%s", res.kr_msg);
	n = acquire_wait(k, fd, 9, 2000, &ev);
	T("acquire-event", n == 1 && ev.ke_type == KEV_ACQUIRE &&
	    ev.ke_reqid == REQID && ev.ke_dir == KDIR_OUT &&
	    ev.ke_proto == IPPROTO_ESP && ev.ke_mode == KMODE_TUNNEL &&
	    ev.ke_dst.ka_af == AF_INET && ev.ke_dst.ka_ip[3] == 2 &&
	    ev.ke_src.ka_ip[3] == 1 && ev.ke_seq != 0 &&
	    ev.ke_index != 0 && kernel_sel_equal(&ev.ke_sel, &out.kp_sel) &&
	    ev.ke_pkt.ks_proto == IPPROTO_UDP && ev.ke_pkt.ks_dport == 9,
	    "%d events, type %u reqid 0x%x dir %u", n, ev.ke_type,
	    ev.ke_reqid, ev.ke_dir);
	/* an acquire for somebody else's policy is not ours to see */
	system("ip xfrm policy add src 192.0.2.1/32 dst 192.0.2.2/32 "
	    "proto udp dport 10 dir out tmpl src 192.0.2.1 dst 192.0.2.2 "
	    "proto esp reqid 7 mode tunnel");
	n = acquire_wait(k, fd, 10, 500, &ev);
	T("acquire-foreign-ignored", n == 0 &&
	    matches("ip xfrm state", "reqid 7 mode tunnel"),
	    "%d events; %s", n, firstline(run("ip xfrm state")));
	kernel_close(k);
}

/* --- leave / startup: state of a crashed run ----------------------------- */

static void
scen_leave(int sas)
{
	struct kernel		*k;
	struct kernel_policy	 out, in;
	struct kernel_sa	 s;

	k = kopen();
	out = mkpol(KDIR_OUT, "198.51.100.0/24", "203.0.113.0/24",
	    "192.0.2.1", "192.0.2.2", 2000);
	in = mkpol(KDIR_IN, "203.0.113.0/24", "198.51.100.0/24",
	    "192.0.2.2", "192.0.2.1", 2000);
	in.kp_reqid = KERNEL_REQID_MAX;
	T("leave-policies", pol_add(k, &out) == 0 && pol_add(k, &in) == 0,
	    "%s", res.kr_msg);
	if (sas) {
		s = good_sa();
		T("leave-sa", sa_add(k, &s) == 0, "%s", res.kr_msg);
		s.ksa_spi++;
		s.ksa_mark.km_value = 0x7;
		s.ksa_mark.km_mask = 0xf;
		T("leave-sa-marked", sa_add(k, &s) == 0, "%s", res.kr_msg);
	}
	fflush(stdout);
	_exit(0);	/* no kernel_close: as if killed */
}

/*
 * After "leave" (and, with sas, foreign SAs of reqid 7 and 0x69730000
 * added by the script): kernel_open() removes what leave installed and
 * nothing else.  Foreign policies: reqid 7, 0x6971ffff, 0x69730000.
 */
static void
scen_startup(int sas)
{
	struct kernel	*k;
	const char	*pol = "ip xfrm policy", *st = "ip xfrm state";

	T("startup-left-over", matches(pol, "reqid " REQID_S " mode") &&
	    (!sas || matches(st, "reqid " REQID_S " mode")),
	    "nothing left over to flush");
	k = kopen();
	/* what leave installed: the first and the last reqid of the band */
	T("startup-flush-ours", !matches(pol, "reqid (" REQID_S "|1769144319) "
	    "mode") && !matches(st, "reqid " REQID_S " mode"),
	    "ikerund state left: %s", run("ip xfrm state; ip xfrm policy"));
	T("startup-spares-others", matches(pol, "reqid 7 mode") &&
	    matches(pol, "reqid 1769078783 mode") &&
	    matches(pol, "reqid 1769144320 mode"), "a foreign policy went");
	if (sas)
		T("startup-spares-other-sas", matches(st, "reqid 7 mode") &&
		    matches(st, "reqid 1769144320 mode"), "a foreign SA went: "
		    "%s", run(st));
	kernel_close(k);
}

/* --- algos: SAs as ip(8) shows them (needs ESP) -------------------------- */

struct algo_case {
	const char	*name;
	uint8_t		 proto;
	uint16_t	 enc, encbits, auth;
	int		 esn;
	const char	*re;
};

static const struct algo_case algo_cases[] = {
	{ "aes-gcm-16-128", IPPROTO_ESP, KENC_AES_GCM_16, 128, 0, 0,
	    "aead rfc4106\\(gcm\\(aes\\)\\) 0x[0-9a-f]{40} 128" },
	{ "aes-gcm-16-256", IPPROTO_ESP, KENC_AES_GCM_16, 256, 0, 0,
	    "aead rfc4106\\(gcm\\(aes\\)\\) 0x[0-9a-f]{72} 128" },
	{ "aes-gcm-12", IPPROTO_ESP, KENC_AES_GCM_12, 128, 0, 0,
	    "aead rfc4106\\(gcm\\(aes\\)\\) 0x[0-9a-f]{40} 96" },
	{ "aes-cbc-sha2-256", IPPROTO_ESP, KENC_AES_CBC, 128,
	    KAUTH_HMAC_SHA2_256_128, 0,
	    "auth-trunc hmac\\(sha256\\) 0x[0-9a-f]{64} 128\n"
	    "\tenc cbc\\(aes\\) 0x[0-9a-f]{32}\n" },
	{ "aes-cbc-sha2-384", IPPROTO_ESP, KENC_AES_CBC, 256,
	    KAUTH_HMAC_SHA2_384_192, 0,
	    "auth-trunc hmac\\(sha384\\) 0x[0-9a-f]{96} 192\n"
	    "\tenc cbc\\(aes\\) 0x[0-9a-f]{64}\n" },
	{ "aes-cbc-sha2-512", IPPROTO_ESP, KENC_AES_CBC, 256,
	    KAUTH_HMAC_SHA2_512_256, 0,
	    "auth-trunc hmac\\(sha512\\) 0x[0-9a-f]{128} 256\n" },
	{ "aes-cbc-sha1", IPPROTO_ESP, KENC_AES_CBC, 128, KAUTH_HMAC_SHA1_96,
	    0, "auth-trunc hmac\\(sha1\\) 0x[0-9a-f]{40} 96\n" },
	{ "chacha20-poly1305", IPPROTO_ESP, KENC_CHACHA20_POLY1305, 256, 0, 0,
	    "aead rfc7539esp\\(chacha20,poly1305\\) 0x[0-9a-f]{72} 128" },
	{ "ah-sha2-256", IPPROTO_AH, KENC_NONE, 0, KAUTH_HMAC_SHA2_256_128, 0,
	    "proto ah spi 0x[0-9a-f]+ reqid " REQID_S " mode tunnel(.|\n)*"
	    "auth-trunc hmac\\(sha256\\) 0x[0-9a-f]{64} 128" },
	{ "esn", IPPROTO_ESP, KENC_AES_GCM_16, 128, 0, 1,
	    "flag (.* )?esn(.|\n)*aead rfc4106\\(gcm\\(aes\\)\\) "
	    "0x[0-9a-f]{40} 128(.|\n)*replay_window 128" },
};

static void
scen_algos(void)
{
	struct kernel		*k;
	struct kernel_sa	 s;
	const struct algo_case	*c;
	char			 name[128], cmd[256];
	size_t			 i, nsa, npol;
	uint32_t		 spi = 0x10000;

	k = kopen();
	for (i = 0; i < sizeof(algo_cases) / sizeof(algo_cases[0]); i++) {
		c = &algo_cases[i];
		s = mksa(c->proto, KMODE_TUNNEL, spi + i, "192.0.2.1",
		    "192.0.2.2", c->enc, c->encbits, c->auth);
		if (c->esn) {
			s.ksa_flags = KSA_F_ESN;
			s.ksa_replay = 128;
		}
		snprintf(name, sizeof(name), "sa-add-%s", c->name);
		if (sa_add(k, &s) != 0) {
			T(name, 0, "%s", res.kr_msg);
			continue;
		}
		snprintf(cmd, sizeof(cmd), "ip xfrm state get src 192.0.2.1 "
		    "dst 192.0.2.2 proto %s spi 0x%x 2>&1",
		    c->proto == IPPROTO_AH ? "ah" : "esp", spi + (uint32_t)i);
		T(name, matches(cmd, c->re), "ip xfrm state: %s", run(cmd));
	}
	/* lifetimes, selector, mark and UDP encapsulation in one SA */
	s = mksa(IPPROTO_ESP, KMODE_TRANSPORT, 0x20000, "192.0.2.1",
	    "192.0.2.2", KENC_AES_GCM_16, 128, KAUTH_NONE);
	sel(&s.ksa_sel, "192.0.2.1", "192.0.2.2", IPPROTO_UDP, 0, 53);
	s.ksa_life.kl_soft_bytes = 1000000;
	s.ksa_life.kl_hard_bytes = 2000000;
	s.ksa_life.kl_soft_secs = 3000;
	s.ksa_life.kl_hard_secs = 3600;
	s.ksa_mark.km_value = 0x5;
	s.ksa_mark.km_mask = 0xff;
	s.ksa_flags = KSA_F_ENCAP;
	s.ksa_encap_sport = 4500;
	s.ksa_encap_dport = 4501;
	snprintf(cmd, sizeof(cmd), "ip -s xfrm state get src 192.0.2.1 dst "
	    "192.0.2.2 proto esp spi 0x20000 mark 0x5 mask 0xff 2>&1");
	T("sa-add-attributes", sa_add(k, &s) == 0 &&
	    matches(cmd, "mode transport") && matches(cmd, "mark 0x5/0xff") &&
	    matches(cmd, "encap type espinudp sport 4500 dport 4501") &&
	    matches(cmd, "sel src 192.0.2.1/32 dst 192.0.2.2/32 proto udp "
	    "dport 53") && matches(cmd, "soft 1000000\\(bytes\\), hard "
	    "2000000\\(bytes\\)") && matches(cmd, "soft 3000\\(sec\\), "
	    "hard 3600\\(sec\\)"), "%s %s", res.kr_msg, run(cmd));
	T("sa-stats-marked", sa_req(k, KMSG_SA_STATS, &s) == 0 &&
	    counters.kst_add_time > 0 && counters.kst_bytes == 0, "%s",
	    res.kr_msg);
	T("sa-refuse-duplicate", sa_add(k, &s) == EEXIST, "%d %s",
	    res.kr_error, res.kr_msg);
	T("sa-delete", sa_req(k, KMSG_SA_DELETE, &s) == 0 &&
	    !matches("ip xfrm state", "spi 0x00020000"), "%s", res.kr_msg);
	T("sa-delete-again", sa_req(k, KMSG_SA_DELETE, &s) == ENOENT,
	    "%d %s", res.kr_error, res.kr_msg);
	kernel_installed(k, &nsa, &npol);
	T("sa-remembered", nsa == sizeof(algo_cases) / sizeof(algo_cases[0]),
	    "%zu SAs", nsa);
	kernel_close(k);
	T("sa-flush-on-close", !matches("ip xfrm state", "reqid " REQID_S),
	    "%s", run("ip xfrm state"));
}

/* --- expire: soft, then hard, as notifications --------------------------- */

static void
expire_cb(const struct kernel_event *ev, void *arg)
{
	int	*seen = arg;

	if (ev->ke_spi == 0x30000 && ev->ke_reqid == REQID &&
	    ev->ke_dst.ka_ip[3] == 2)
		seen[ev->ke_type] = 1;
}

static void
scen_expire(void)
{
	struct kernel		*k;
	struct kernel_sa	 s;
	struct pollfd		 pfd;
	struct timespec		 t0, now;
	size_t			 nsa, npol;
	int			 seen[KEV_MAX] = { 0 };

	k = kopen();
	pfd.fd = kernel_events_open(k);
	pfd.events = POLLIN;
	s = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x30000, "192.0.2.1",
	    "192.0.2.2", KENC_AES_GCM_16, 128, KAUTH_NONE);
	s.ksa_life.kl_soft_secs = 1;
	s.ksa_life.kl_hard_secs = 2;
	T("expire-sa", pfd.fd != -1 && sa_add(k, &s) == 0, "%s",
	    res.kr_msg);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (poll(&pfd, 1, 200) > 0)
			(void)kernel_events_read(k, expire_cb, seen);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!seen[KEV_EXPIRE_HARD] && now.tv_sec - t0.tv_sec < 6);
	T("expire-soft", seen[KEV_EXPIRE_SOFT], "no soft expire");
	T("expire-hard", seen[KEV_EXPIRE_HARD], "no hard expire");
	kernel_installed(k, &nsa, &npol);
	T("expire-forgotten", nsa == 0, "%zu SAs remembered", nsa);
	kernel_close(k);
}

/* --- ping: a tunnel between two namespaces ------------------------------- */

static int
enter_ns(const char *name)
{
	char	 path[256];
	int	 fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return (-1);
	r = setns(fd, CLONE_NEWNET);
	close(fd);
	return (r);
}

/*
 * One side: LAN lan (the local /24), peer LAN plan, outer addresses
 * me and peer; out SA spi_out with cipher A, in SA spi_in with B.
 */
static int
side(struct kernel *k, const char *lan, const char *plan, const char *me,
    const char *peer, struct kernel_sa *out, struct kernel_sa *in)
{
	struct kernel_policy	 p;

	p = mkpol(KDIR_OUT, lan, plan, me, peer, 1000);
	if (pol_add(k, &p) != 0)
		return (-1);
	p = mkpol(KDIR_IN, plan, lan, peer, me, 1000);
	if (pol_add(k, &p) != 0)
		return (-1);
	p.kp_dir = KDIR_FWD;
	if (pol_add(k, &p) != 0 || sa_add(k, out) != 0 || sa_add(k, in) != 0)
		return (-1);
	return (0);
}

static void
scen_ping(const char *nsl, const char *nsr)
{
	struct kernel		*kl, *kr;
	struct kernel_sa	 lr, rl;	/* left to right, back */
	uint64_t		 b[4], pk[4];
	char			 cmd[256];
	const char		*out;
	int			 ok, i;

	if (enter_ns(nsl) == -1 || (kl = kopen()) == NULL ||
	    enter_ns(nsr) == -1 || (kr = kopen()) == NULL) {
		T("ping-namespaces", 0, "%s", strerror(errno));
		return;
	}
	/* one direction AES-GCM-16, the other AES-CBC + HMAC-SHA2-256 */
	lr = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x4000, "192.0.2.10",
	    "192.0.2.20", KENC_AES_GCM_16, 256, KAUTH_NONE);
	rl = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x5000, "192.0.2.20",
	    "192.0.2.10", KENC_AES_CBC, 128, KAUTH_HMAC_SHA2_256_128);
	rl.ksa_flags = KSA_F_ESN;
	rl.ksa_replay = 64;
	ok = side(kl, "198.51.100.0/24", "203.0.113.0/24", "192.0.2.10",
	    "192.0.2.20", &lr, &rl) == 0;
	T("ping-install-left", ok, "%s", res.kr_msg);
	ok = side(kr, "203.0.113.0/24", "198.51.100.0/24", "192.0.2.20",
	    "192.0.2.10", &rl, &lr) == 0;
	T("ping-install-right", ok, "%s", res.kr_msg);

	snprintf(cmd, sizeof(cmd), "ip netns exec %s ping -q -c 3 -i 0.2 "
	    "-W 2 -I 198.51.100.1 203.0.113.1 2>&1", nsl);
	out = run(cmd);
	T("ping-through-tunnel", strstr(out, " 3 received") != NULL, "%s",
	    out);

	/* left out, left in, right in, right out */
	for (i = 0; i < 4; i++) {
		b[i] = pk[i] = 0;
		if (sa_req(i < 2 ? kl : kr, KMSG_SA_STATS, i == 0 || i == 2 ?
		    &lr : &rl) == 0 && counters.kst_add_time > 0) {
			b[i] = counters.kst_bytes;
			pk[i] = counters.kst_packets;
		}
	}
	T("ping-counters", b[0] > 0 && b[1] > 0 && b[2] > 0 && b[3] > 0 &&
	    b[0] == b[2] && b[1] == b[3] && pk[0] == 3 && pk[1] == 3 &&
	    pk[2] == 3 && pk[3] == 3, "bytes %llu %llu %llu %llu, packets "
	    "%llu %llu %llu %llu; %s", (unsigned long long)b[0],
	    (unsigned long long)b[1], (unsigned long long)b[2],
	    (unsigned long long)b[3], (unsigned long long)pk[0],
	    (unsigned long long)pk[1], (unsigned long long)pk[2],
	    (unsigned long long)pk[3], run("ip -s xfrm state"));
	snprintf(cmd, sizeof(cmd), "ip -n %s xfrm state", nsl);
	T("ping-delete", sa_req(kl, KMSG_SA_DELETE, &lr) == 0 &&
	    !matches(cmd, "spi 0x00004000") &&
	    matches(cmd, "spi 0x00005000"), "%s", res.kr_msg);
	kernel_close(kl);
	kernel_close(kr);
	snprintf(cmd, sizeof(cmd), "ip -n %s xfrm state; ip -n %s xfrm "
	    "policy; ip -n %s xfrm state; ip -n %s xfrm policy", nsl, nsl,
	    nsr, nsr);
	T("ping-flush-on-close", run(cmd)[0] == '\0', "%s", run(cmd));
}

/* --- seeds for regress/fuzz/fuzz_kernel.c ------------------------------- */

static int
seed(const char *dir, const char *name, uint8_t sel, const uint8_t *b,
    size_t n)
{
	char	 path[1024];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return (-1);
	fputc(sel, f);
	fwrite(b, 1, n, f);
	return (fclose(f) == 0 ? 0 : -1);
}

/* valid requests, each behind the fuzzer's selector byte */
static int
seeds(const char *dir)
{
	struct kernel_sa	 s = good_sa(), c;
	struct kernel_said	 id = said(&s);
	struct kernel_policy	 p;
	struct kernel_policy_id	 pid;
	uint8_t			 b[KERNEL_PAYLOAD_MAX];
	int			 r = 0;

	c = mksa(IPPROTO_ESP, KMODE_TUNNEL, 0x2000, "2001:db8::1",
	    "2001:db8::2", KENC_AES_CBC, 256, KAUTH_HMAC_SHA2_256_128);
	p = mkpol(KDIR_OUT, "198.51.100.0/24", "203.0.113.0/24", "192.0.2.1",
	    "192.0.2.2", 7);
	pid = polid(&p);
	r |= seed(dir, "sa-gcm", 0, b, kernel_sa_encode(&s, b, sizeof(b)));
	r |= seed(dir, "sa-cbc", 0, b, kernel_sa_encode(&c, b, sizeof(b)));
	r |= seed(dir, "said", 1, b, kernel_said_encode(&id, b, sizeof(b)));
	r |= seed(dir, "policy", 2, b, kernel_policy_encode(&p, b,
	    sizeof(b)));
	r |= seed(dir, "policy-id", 3, b, kernel_policy_id_encode(&pid, b,
	    sizeof(b)));
	return (r == 0 ? 0 : 1);
}

int
main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		goto usage;
	if (strcmp(argv[1], "msg") == 0)
		scen_msg();
	else if (strcmp(argv[1], "policy") == 0)
		scen_policy();
	else if (strcmp(argv[1], "acquire") == 0)
		scen_acquire();
	else if (strcmp(argv[1], "leave") == 0)
		scen_leave(argc > 2 && strcmp(argv[2], "-s") == 0);
	else if (strcmp(argv[1], "startup") == 0)
		scen_startup(argc > 2 && strcmp(argv[2], "-s") == 0);
	else if (strcmp(argv[1], "seeds") == 0 && argc == 3)
		return (seeds(argv[2]));
	else if (strcmp(argv[1], "algos") == 0)
		scen_algos();
	else if (strcmp(argv[1], "expire") == 0)
		scen_expire();
	else if (strcmp(argv[1], "ping") == 0 && argc == 4)
		scen_ping(argv[2], argv[3]);
	else
		goto usage;
	return (0);
 usage:
	fprintf(stderr, "usage: xfrmtest msg | policy | acquire | leave [-s] "
	    "| startup [-s] | algos | expire |\n"
	    "       ping nsl nsr | seeds dir\n");
	return (2);
}
