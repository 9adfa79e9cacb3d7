/*
 * Kernel requests between the ikev2 process and the parent: pure,
 * bounds-checked encoders and decoders in the manner of common/msg.c,
 * and the checks the parent runs before it touches the kernel.
 *
 * Integers are little-endian.  An address is a family byte (0, AF_INET
 * or AF_INET6) and 16 bytes, IPv4 in the first 4, unused bytes zero.  A
 * selector is family, protocol, source and destination prefix lengths
 * (one byte each), the two 16-byte addresses and the two ports (u16).
 * A mark is value and mask (u32); lifetimes are soft and hard bytes,
 * soft and hard seconds (u64).  Keys and strings are a u16 length and
 * that many bytes.  A decoder refuses a payload that is short, long, or
 * not in canonical form; what it accepts encodes back to the same bytes.
 * Decoding says nothing about meaning: the kernel_*_validate functions
 * do, and name what is wrong.
 *
 * kernel_sa (KMSG_SA_ADD):
 *	u8 proto, u8 mode, u8 flags, u32 spi, u32 reqid, u32 replay,
 *	addr src, addr dst, u16 enc, u16 encbits, u16 auth,
 *	u16 enckeylen, enckey, u16 authkeylen, authkey,
 *	lifetimes, selector, mark, u16 encap sport, u16 encap dport
 * kernel_said (KMSG_SA_DELETE, KMSG_SA_STATS):
 *	u8 proto, u32 spi, addr dst, mark
 * kernel_policy (KMSG_POLICY_ADD):
 *	u8 dir, u8 proto, u8 mode, u32 reqid, u32 priority, selector,
 *	addr tunnel src, addr tunnel dst, mark
 * kernel_policy_id (KMSG_POLICY_DELETE):
 *	u8 dir, selector, mark
 * KMSG_FLUSH: empty
 * kernel_result (KMSG_RESULT):
 *	u32 error (0 or errno), string (< KERNEL_MSG_MAX bytes)
 * kernel_sa_stats (KMSG_SA_COUNTERS):
 *	kernel_said, u64 bytes, u64 packets, u64 add time, u64 use time,
 *	u32 replay, u32 integrity failed
 * kernel_event (KMSG_EVENT):
 *	u8 type, u8 proto, u8 mode, u8 dir, u32 spi, u32 reqid,
 *	u32 index, u32 seq, addr src, addr dst, selector, packet selector,
 *	mark
 */
#include <sys/socket.h>
#include <netinet/in.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel.h"
#include "wire.h"

static const struct kernel_alg enc_algs[] = {
	{ KENC_AES_CBC, "cbc(aes)", 0, { 128, 192, 256 }, 0, 0, 0 },
	{ KENC_AES_GCM_8, "rfc4106(gcm(aes))", 1, { 128, 192, 256 }, 4, 0,
	    64 },
	{ KENC_AES_GCM_12, "rfc4106(gcm(aes))", 1, { 128, 192, 256 }, 4, 0,
	    96 },
	{ KENC_AES_GCM_16, "rfc4106(gcm(aes))", 1, { 128, 192, 256 }, 4, 0,
	    128 },
	{ KENC_CHACHA20_POLY1305, "rfc7539esp(chacha20,poly1305)", 1,
	    { 256 }, 4, 0, 128 },
};

/* Truncation as RFC 4868 says; Linux PF_KEY gets SHA2-256 wrong (96). */
static const struct kernel_alg auth_algs[] = {
	{ KAUTH_HMAC_SHA1_96, "hmac(sha1)", 0, { 0 }, 0, 20, 96 },
	{ KAUTH_HMAC_SHA2_256_128, "hmac(sha256)", 0, { 0 }, 0, 32, 128 },
	{ KAUTH_HMAC_SHA2_384_192, "hmac(sha384)", 0, { 0 }, 0, 48, 192 },
	{ KAUTH_HMAC_SHA2_512_256, "hmac(sha512)", 0, { 0 }, 0, 64, 256 },
};

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define ADDR_LEN	17
#define SEL_LEN		40

const struct kernel_alg *
kernel_alg_enc(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < NITEMS(enc_algs); i++)
		if (enc_algs[i].kal_id == id)
			return (&enc_algs[i]);
	return (NULL);
}

const struct kernel_alg *
kernel_alg_auth(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < NITEMS(auth_algs); i++)
		if (auth_algs[i].kal_id == id)
			return (&auth_algs[i]);
	return (NULL);
}

int
kernel_reqid_ours(uint32_t reqid)
{
	return (reqid >= KERNEL_REQID_MIN && reqid <= KERNEL_REQID_MAX);
}

/* --- cursors (common/wire.h) and what they read here ---------------------- */

/* u16 length, then at most max bytes */
static int
get_key(struct cur *c, uint8_t *dst, uint16_t *len, size_t max)
{
	if (get_u16(c, len) == -1 || *len > max)
		return (-1);
	return (get_bytes(c, dst, *len));
}

/* bytes [from, 16) of an address must be zero */
static int
tail_zero(const uint8_t *ip, size_t from)
{
	size_t	 i;

	for (i = from; i < 16; i++)
		if (ip[i] != 0)
			return (0);
	return (1);
}

static size_t
af_len(uint8_t af)
{
	switch (af) {
	case 0:
		return (0);
	case AF_INET:
		return (4);
	case AF_INET6:
		return (16);
	}
	return (SIZE_MAX);
}

static int
get_addr(struct cur *c, struct kernel_addr *a)
{
	if (get_u8(c, &a->ka_af) == -1 || af_len(a->ka_af) == SIZE_MAX ||
	    get_bytes(c, a->ka_ip, 16) == -1 ||
	    !tail_zero(a->ka_ip, af_len(a->ka_af)))
		return (-1);
	return (0);
}

static int
get_sel(struct cur *c, struct kernel_sel *s)
{
	size_t	 alen;

	if (get_u8(c, &s->ks_af) == -1 || get_u8(c, &s->ks_proto) == -1 ||
	    get_u8(c, &s->ks_splen) == -1 || get_u8(c, &s->ks_dplen) == -1 ||
	    get_bytes(c, s->ks_src, 16) == -1 ||
	    get_bytes(c, s->ks_dst, 16) == -1 ||
	    get_u16(c, &s->ks_sport) == -1 || get_u16(c, &s->ks_dport) == -1)
		return (-1);
	alen = af_len(s->ks_af);
	if (alen == SIZE_MAX || s->ks_splen > alen * 8 ||
	    s->ks_dplen > alen * 8 || !tail_zero(s->ks_src, alen) ||
	    !tail_zero(s->ks_dst, alen))
		return (-1);
	return (0);
}

static int
get_mark(struct cur *c, struct kernel_mark *m)
{
	if (get_u32(c, &m->km_value) == -1 || get_u32(c, &m->km_mask) == -1)
		return (-1);
	return (0);
}

static void
put_key(struct wcur *w, const uint8_t *key, uint16_t len, size_t max)
{
	if (len > max) {
		w->w_err = 1;
		return;
	}
	put_u16(w, len);
	put_bytes(w, key, len);
}

static void
put_addr(struct wcur *w, const struct kernel_addr *a)
{
	put_u8(w, a->ka_af);
	put_bytes(w, a->ka_ip, 16);
}

static void
put_sel(struct wcur *w, const struct kernel_sel *s)
{
	put_u8(w, s->ks_af);
	put_u8(w, s->ks_proto);
	put_u8(w, s->ks_splen);
	put_u8(w, s->ks_dplen);
	put_bytes(w, s->ks_src, 16);
	put_bytes(w, s->ks_dst, 16);
	put_u16(w, s->ks_sport);
	put_u16(w, s->ks_dport);
}

static void
put_mark(struct wcur *w, const struct kernel_mark *m)
{
	put_u32(w, m->km_value);
	put_u32(w, m->km_mask);
}

/* --- payloads ------------------------------------------------------------ */

int
kernel_sa_decode(const uint8_t *buf, size_t len, struct kernel_sa *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u8(&c, &m->ksa_proto) == -1 ||
	    get_u8(&c, &m->ksa_mode) == -1 ||
	    get_u8(&c, &m->ksa_flags) == -1 ||
	    get_u32(&c, &m->ksa_spi) == -1 ||
	    get_u32(&c, &m->ksa_reqid) == -1 ||
	    get_u32(&c, &m->ksa_replay) == -1 ||
	    get_addr(&c, &m->ksa_src) == -1 ||
	    get_addr(&c, &m->ksa_dst) == -1 ||
	    get_u16(&c, &m->ksa_enc) == -1 ||
	    get_u16(&c, &m->ksa_encbits) == -1 ||
	    get_u16(&c, &m->ksa_auth) == -1 ||
	    get_key(&c, m->ksa_enckey, &m->ksa_enckeylen,
	    sizeof(m->ksa_enckey)) == -1 ||
	    get_key(&c, m->ksa_authkey, &m->ksa_authkeylen,
	    sizeof(m->ksa_authkey)) == -1 ||
	    get_u64(&c, &m->ksa_life.kl_soft_bytes) == -1 ||
	    get_u64(&c, &m->ksa_life.kl_hard_bytes) == -1 ||
	    get_u64(&c, &m->ksa_life.kl_soft_secs) == -1 ||
	    get_u64(&c, &m->ksa_life.kl_hard_secs) == -1 ||
	    get_sel(&c, &m->ksa_sel) == -1 ||
	    get_mark(&c, &m->ksa_mark) == -1 ||
	    get_u16(&c, &m->ksa_encap_sport) == -1 ||
	    get_u16(&c, &m->ksa_encap_dport) == -1)
		goto fail;
	if (end(&c) == 0)
		return (0);
 fail:
	explicit_bzero(m, sizeof(*m));
	return (-1);
}

size_t
kernel_sa_encode(const struct kernel_sa *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u8(&w, m->ksa_proto);
	put_u8(&w, m->ksa_mode);
	put_u8(&w, m->ksa_flags);
	put_u32(&w, m->ksa_spi);
	put_u32(&w, m->ksa_reqid);
	put_u32(&w, m->ksa_replay);
	put_addr(&w, &m->ksa_src);
	put_addr(&w, &m->ksa_dst);
	put_u16(&w, m->ksa_enc);
	put_u16(&w, m->ksa_encbits);
	put_u16(&w, m->ksa_auth);
	put_key(&w, m->ksa_enckey, m->ksa_enckeylen, sizeof(m->ksa_enckey));
	put_key(&w, m->ksa_authkey, m->ksa_authkeylen,
	    sizeof(m->ksa_authkey));
	put_u64(&w, m->ksa_life.kl_soft_bytes);
	put_u64(&w, m->ksa_life.kl_hard_bytes);
	put_u64(&w, m->ksa_life.kl_soft_secs);
	put_u64(&w, m->ksa_life.kl_hard_secs);
	put_sel(&w, &m->ksa_sel);
	put_mark(&w, &m->ksa_mark);
	put_u16(&w, m->ksa_encap_sport);
	put_u16(&w, m->ksa_encap_dport);
	return (wcur_done(&w));
}

static int
get_said(struct cur *c, struct kernel_said *m)
{
	if (get_u8(c, &m->kid_proto) == -1 || get_u32(c, &m->kid_spi) == -1 ||
	    get_addr(c, &m->kid_dst) == -1 || get_mark(c, &m->kid_mark) == -1)
		return (-1);
	return (0);
}

static void
put_said(struct wcur *w, const struct kernel_said *m)
{
	put_u8(w, m->kid_proto);
	put_u32(w, m->kid_spi);
	put_addr(w, &m->kid_dst);
	put_mark(w, &m->kid_mark);
}

int
kernel_said_decode(const uint8_t *buf, size_t len, struct kernel_said *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_said(&c, m) == -1)
		return (-1);
	return (end(&c));
}

size_t
kernel_said_encode(const struct kernel_said *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_said(&w, m);
	return (wcur_done(&w));
}

int
kernel_policy_decode(const uint8_t *buf, size_t len, struct kernel_policy *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u8(&c, &m->kp_dir) == -1 || get_u8(&c, &m->kp_proto) == -1 ||
	    get_u8(&c, &m->kp_mode) == -1 ||
	    get_u32(&c, &m->kp_reqid) == -1 ||
	    get_u32(&c, &m->kp_priority) == -1 ||
	    get_sel(&c, &m->kp_sel) == -1 ||
	    get_addr(&c, &m->kp_tsrc) == -1 ||
	    get_addr(&c, &m->kp_tdst) == -1 ||
	    get_mark(&c, &m->kp_mark) == -1)
		return (-1);
	return (end(&c));
}

size_t
kernel_policy_encode(const struct kernel_policy *m, uint8_t *buf,
    size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u8(&w, m->kp_dir);
	put_u8(&w, m->kp_proto);
	put_u8(&w, m->kp_mode);
	put_u32(&w, m->kp_reqid);
	put_u32(&w, m->kp_priority);
	put_sel(&w, &m->kp_sel);
	put_addr(&w, &m->kp_tsrc);
	put_addr(&w, &m->kp_tdst);
	put_mark(&w, &m->kp_mark);
	return (wcur_done(&w));
}

int
kernel_policy_id_decode(const uint8_t *buf, size_t len,
    struct kernel_policy_id *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u8(&c, &m->kpi_dir) == -1 || get_sel(&c, &m->kpi_sel) == -1 ||
	    get_mark(&c, &m->kpi_mark) == -1)
		return (-1);
	return (end(&c));
}

size_t
kernel_policy_id_encode(const struct kernel_policy_id *m, uint8_t *buf,
    size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u8(&w, m->kpi_dir);
	put_sel(&w, &m->kpi_sel);
	put_mark(&w, &m->kpi_mark);
	return (wcur_done(&w));
}

int
kernel_flush_decode(const uint8_t *buf, size_t len)
{
	(void)buf;
	return (len == 0 ? 0 : -1);
}

int
kernel_result_decode(const uint8_t *buf, size_t len, struct kernel_result *m)
{
	struct cur	 c = { buf, len };
	uint32_t	 e;

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &e) == -1 || e > INT32_MAX ||
	    get_str(&c, m->kr_msg, sizeof(m->kr_msg)) == -1)
		return (-1);
	m->kr_error = (int32_t)e;
	return (end(&c));
}

size_t
kernel_result_encode(const struct kernel_result *m, uint8_t *buf,
    size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	if (m->kr_error < 0)
		return (0);
	put_u32(&w, (uint32_t)m->kr_error);
	put_str(&w, m->kr_msg, sizeof(m->kr_msg));
	return (wcur_done(&w));
}

int
kernel_sa_stats_decode(const uint8_t *buf, size_t len,
    struct kernel_sa_stats *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_said(&c, &m->kst_id) == -1 ||
	    get_u64(&c, &m->kst_bytes) == -1 ||
	    get_u64(&c, &m->kst_packets) == -1 ||
	    get_u64(&c, &m->kst_add_time) == -1 ||
	    get_u64(&c, &m->kst_use_time) == -1 ||
	    get_u32(&c, &m->kst_replay) == -1 ||
	    get_u32(&c, &m->kst_integrity_failed) == -1)
		return (-1);
	return (end(&c));
}

size_t
kernel_sa_stats_encode(const struct kernel_sa_stats *m, uint8_t *buf,
    size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_said(&w, &m->kst_id);
	put_u64(&w, m->kst_bytes);
	put_u64(&w, m->kst_packets);
	put_u64(&w, m->kst_add_time);
	put_u64(&w, m->kst_use_time);
	put_u32(&w, m->kst_replay);
	put_u32(&w, m->kst_integrity_failed);
	return (wcur_done(&w));
}

int
kernel_event_decode(const uint8_t *buf, size_t len, struct kernel_event *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u8(&c, &m->ke_type) == -1 || m->ke_type == 0 ||
	    m->ke_type >= KEV_MAX || get_u8(&c, &m->ke_proto) == -1 ||
	    get_u8(&c, &m->ke_mode) == -1 || get_u8(&c, &m->ke_dir) == -1 ||
	    get_u32(&c, &m->ke_spi) == -1 ||
	    get_u32(&c, &m->ke_reqid) == -1 ||
	    get_u32(&c, &m->ke_index) == -1 ||
	    get_u32(&c, &m->ke_seq) == -1 ||
	    get_addr(&c, &m->ke_src) == -1 ||
	    get_addr(&c, &m->ke_dst) == -1 ||
	    get_sel(&c, &m->ke_sel) == -1 ||
	    get_sel(&c, &m->ke_pkt) == -1 ||
	    get_mark(&c, &m->ke_mark) == -1)
		return (-1);
	return (end(&c));
}

size_t
kernel_event_encode(const struct kernel_event *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u8(&w, m->ke_type);
	put_u8(&w, m->ke_proto);
	put_u8(&w, m->ke_mode);
	put_u8(&w, m->ke_dir);
	put_u32(&w, m->ke_spi);
	put_u32(&w, m->ke_reqid);
	put_u32(&w, m->ke_index);
	put_u32(&w, m->ke_seq);
	put_addr(&w, &m->ke_src);
	put_addr(&w, &m->ke_dst);
	put_sel(&w, &m->ke_sel);
	put_sel(&w, &m->ke_pkt);
	put_mark(&w, &m->ke_mark);
	return (wcur_done(&w));
}

/* --- validation ---------------------------------------------------------- */

static int
fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((__format__(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return (-1);
}

static const char *
proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_ESP:
		return ("ESP");
	case IPPROTO_AH:
		return ("AH");
	}
	return (NULL);
}

/* the bits past the first plen of ip are zero */
static int
host_bits_zero(const uint8_t *ip, uint8_t plen, size_t alen)
{
	size_t	 i;

	for (i = 0; i < alen; i++) {
		if (plen >= 8) {
			plen -= 8;
			continue;
		}
		if ((ip[i] & (0xff >> plen)) != 0)
			return (0);
		plen = 0;
	}
	return (1);
}

static int
addr_valid(const struct kernel_addr *a, int none_ok)
{
	size_t	 alen = af_len(a->ka_af);

	if (alen == SIZE_MAX || !tail_zero(a->ka_ip, alen))
		return (0);
	if (a->ka_af == 0)
		return (none_ok);
	return (!tail_zero(a->ka_ip, 0));	/* not unspecified */
}

static int
mark_check(const struct kernel_mark *m, const char *what, char *err,
    size_t errlen)
{
	if ((m->km_value & ~m->km_mask) != 0)
		return (fail(err, errlen, "%s: mark 0x%x has bits outside its "
		    "mask 0x%x", what, m->km_value, m->km_mask));
	return (0);
}

static int
sel_check(const struct kernel_sel *s, int any_ok, const char *what,
    char *err, size_t errlen)
{
	size_t	 alen = af_len(s->ks_af);

	if (alen == SIZE_MAX)
		return (fail(err, errlen, "%s: selector family %u unknown",
		    what, s->ks_af));
	if (s->ks_af == 0) {
		if (!any_ok)
			return (fail(err, errlen, "%s: selector without "
			    "address family", what));
		if (s->ks_proto != 0 || s->ks_splen != 0 || s->ks_dplen != 0 ||
		    !tail_zero(s->ks_src, 0) || !tail_zero(s->ks_dst, 0) ||
		    s->ks_sport != 0 || s->ks_dport != 0)
			return (fail(err, errlen, "%s: selector without "
			    "family has other fields set", what));
		return (0);
	}
	if (s->ks_splen > alen * 8 || s->ks_dplen > alen * 8)
		return (fail(err, errlen, "%s: selector prefix length "
		    "%u/%u > %zu", what, s->ks_splen, s->ks_dplen, alen * 8));
	if (!tail_zero(s->ks_src, alen) || !tail_zero(s->ks_dst, alen) ||
	    !host_bits_zero(s->ks_src, s->ks_splen, alen) ||
	    !host_bits_zero(s->ks_dst, s->ks_dplen, alen))
		return (fail(err, errlen, "%s: selector address has bits "
		    "past its prefix length", what));
	switch (s->ks_proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	default:
		if (s->ks_sport != 0 || s->ks_dport != 0)
			return (fail(err, errlen, "%s: ports with protocol %u",
			    what, s->ks_proto));
	}
	return (0);
}

static int
keybits_ok(const struct kernel_alg *a, uint16_t bits)
{
	size_t	 i;

	for (i = 0; i < NITEMS(a->kal_keybits); i++)
		if (a->kal_keybits[i] != 0 && a->kal_keybits[i] == bits)
			return (1);
	return (0);
}

static int
sa_algs_check(const struct kernel_sa *m, char *err, size_t errlen)
{
	const struct kernel_alg	*enc = NULL, *auth = NULL;
	size_t			 want;

	if (m->ksa_proto == IPPROTO_AH) {
		if (m->ksa_enc != KENC_NONE || m->ksa_encbits != 0 ||
		    m->ksa_enckeylen != 0)
			return (fail(err, errlen, "sa: AH with an encryption "
			    "transform"));
	} else {
		if ((enc = kernel_alg_enc(m->ksa_enc)) == NULL)
			return (fail(err, errlen, "sa: unknown encryption "
			    "transform %u", m->ksa_enc));
		if (!keybits_ok(enc, m->ksa_encbits))
			return (fail(err, errlen, "sa: %s with a %u-bit key",
			    enc->kal_name, m->ksa_encbits));
		want = m->ksa_encbits / 8 + enc->kal_saltlen;
		if (m->ksa_enckeylen != want)
			return (fail(err, errlen, "sa: %s key is %u bytes, "
			    "%u bits need %zu", enc->kal_name,
			    m->ksa_enckeylen, m->ksa_encbits, want));
	}
	if (enc != NULL && enc->kal_aead) {
		if (m->ksa_auth != KAUTH_NONE || m->ksa_authkeylen != 0)
			return (fail(err, errlen, "sa: %s with an integrity "
			    "transform", enc->kal_name));
		return (0);
	}
	if ((auth = kernel_alg_auth(m->ksa_auth)) == NULL)
		return (fail(err, errlen, "sa: %s needs an integrity "
		    "transform, %u is not one", enc != NULL ? enc->kal_name :
		    "AH", m->ksa_auth));
	if (m->ksa_authkeylen != auth->kal_keylen)
		return (fail(err, errlen, "sa: %s key is %u bytes, not %u",
		    auth->kal_name, m->ksa_authkeylen, auth->kal_keylen));
	return (0);
}

int
kernel_sa_validate(const struct kernel_sa *m, char *err, size_t errlen)
{
	const struct kernel_life	*l = &m->ksa_life;

	if (proto_name(m->ksa_proto) == NULL)
		return (fail(err, errlen, "sa: protocol %u is neither ESP nor "
		    "AH", m->ksa_proto));
	if (m->ksa_mode >= KMODE_MAX)
		return (fail(err, errlen, "sa: mode %u out of range",
		    m->ksa_mode));
	if ((m->ksa_flags & ~KSA_F_ALL) != 0)
		return (fail(err, errlen, "sa: unknown flags 0x%x",
		    m->ksa_flags & ~KSA_F_ALL));
	if (m->ksa_spi < KERNEL_SPI_MIN)
		return (fail(err, errlen, "sa: SPI %u is reserved",
		    m->ksa_spi));
	if (!kernel_reqid_ours(m->ksa_reqid))
		return (fail(err, errlen, "sa: reqid 0x%x outside ikerund's "
		    "0x%x-0x%x", m->ksa_reqid, KERNEL_REQID_MIN,
		    KERNEL_REQID_MAX));
	if (!addr_valid(&m->ksa_src, 0) || !addr_valid(&m->ksa_dst, 0))
		return (fail(err, errlen, "sa: source or destination is not "
		    "an IPv4 or IPv6 address"));
	if (m->ksa_src.ka_af != m->ksa_dst.ka_af)
		return (fail(err, errlen, "sa: source and destination "
		    "families differ"));
	if (m->ksa_replay > KERNEL_REPLAY_MAX)
		return (fail(err, errlen, "sa: replay window %u > %u",
		    m->ksa_replay, KERNEL_REPLAY_MAX));
	if ((m->ksa_flags & KSA_F_ESN) && m->ksa_replay == 0)
		return (fail(err, errlen, "sa: ESN needs a replay window"));
	if (sa_algs_check(m, err, errlen) == -1)
		return (-1);
	if ((l->kl_soft_bytes > l->kl_hard_bytes && l->kl_hard_bytes != 0) ||
	    (l->kl_soft_secs > l->kl_hard_secs && l->kl_hard_secs != 0))
		return (fail(err, errlen, "sa: soft lifetime past the hard "
		    "one"));
	if (sel_check(&m->ksa_sel, m->ksa_mode == KMODE_TUNNEL, "sa", err,
	    errlen) == -1)
		return (-1);
	if (m->ksa_sel.ks_af != 0 && m->ksa_mode == KMODE_TRANSPORT &&
	    m->ksa_sel.ks_af != m->ksa_dst.ka_af)
		return (fail(err, errlen, "sa: transport mode selector of "
		    "another family"));
	if (mark_check(&m->ksa_mark, "sa", err, errlen) == -1)
		return (-1);
	if (m->ksa_flags & KSA_F_ENCAP) {
		if (m->ksa_proto != IPPROTO_ESP)
			return (fail(err, errlen, "sa: UDP encapsulation of "
			    "AH"));
		if (m->ksa_encap_sport == 0 || m->ksa_encap_dport == 0)
			return (fail(err, errlen, "sa: UDP encapsulation "
			    "without ports"));
	} else if (m->ksa_encap_sport != 0 || m->ksa_encap_dport != 0)
		return (fail(err, errlen, "sa: encapsulation ports without "
		    "encapsulation"));
	return (0);
}

int
kernel_said_validate(const struct kernel_said *m, char *err, size_t errlen)
{
	if (proto_name(m->kid_proto) == NULL)
		return (fail(err, errlen, "sa: protocol %u is neither ESP nor "
		    "AH", m->kid_proto));
	if (m->kid_spi < KERNEL_SPI_MIN)
		return (fail(err, errlen, "sa: SPI %u is reserved",
		    m->kid_spi));
	if (!addr_valid(&m->kid_dst, 0))
		return (fail(err, errlen, "sa: destination is not an IPv4 or "
		    "IPv6 address"));
	return (mark_check(&m->kid_mark, "sa", err, errlen));
}

int
kernel_policy_validate(const struct kernel_policy *m, char *err,
    size_t errlen)
{
	if (m->kp_dir >= KDIR_MAX)
		return (fail(err, errlen, "policy: direction %u out of range",
		    m->kp_dir));
	if (proto_name(m->kp_proto) == NULL)
		return (fail(err, errlen, "policy: protocol %u is neither ESP "
		    "nor AH", m->kp_proto));
	if (m->kp_mode >= KMODE_MAX)
		return (fail(err, errlen, "policy: mode %u out of range",
		    m->kp_mode));
	if (!kernel_reqid_ours(m->kp_reqid))
		return (fail(err, errlen, "policy: reqid 0x%x outside "
		    "ikerund's 0x%x-0x%x", m->kp_reqid, KERNEL_REQID_MIN,
		    KERNEL_REQID_MAX));
	if (sel_check(&m->kp_sel, 0, "policy", err, errlen) == -1)
		return (-1);
	if (m->kp_mode == KMODE_TUNNEL) {
		if (!addr_valid(&m->kp_tsrc, 0) || !addr_valid(&m->kp_tdst, 0))
			return (fail(err, errlen, "policy: tunnel endpoints "
			    "are not IPv4 or IPv6 addresses"));
		if (m->kp_tsrc.ka_af != m->kp_tdst.ka_af)
			return (fail(err, errlen, "policy: tunnel endpoint "
			    "families differ"));
	} else if (m->kp_tsrc.ka_af != 0 || m->kp_tdst.ka_af != 0 ||
	    !addr_valid(&m->kp_tsrc, 1) || !addr_valid(&m->kp_tdst, 1))
		return (fail(err, errlen, "policy: tunnel endpoints in "
		    "transport mode"));
	return (mark_check(&m->kp_mark, "policy", err, errlen));
}

int
kernel_policy_id_validate(const struct kernel_policy_id *m, char *err,
    size_t errlen)
{
	if (m->kpi_dir >= KDIR_MAX)
		return (fail(err, errlen, "policy: direction %u out of range",
		    m->kpi_dir));
	if (sel_check(&m->kpi_sel, 0, "policy", err, errlen) == -1)
		return (-1);
	return (mark_check(&m->kpi_mark, "policy", err, errlen));
}

/* --- helpers ------------------------------------------------------------- */

int
kernel_addr_equal(const struct kernel_addr *a, const struct kernel_addr *b)
{
	return (a->ka_af == b->ka_af &&
	    memcmp(a->ka_ip, b->ka_ip, sizeof(a->ka_ip)) == 0);
}

int
kernel_sel_equal(const struct kernel_sel *a, const struct kernel_sel *b)
{
	return (a->ks_af == b->ks_af && a->ks_proto == b->ks_proto &&
	    a->ks_splen == b->ks_splen && a->ks_dplen == b->ks_dplen &&
	    memcmp(a->ks_src, b->ks_src, sizeof(a->ks_src)) == 0 &&
	    memcmp(a->ks_dst, b->ks_dst, sizeof(a->ks_dst)) == 0 &&
	    a->ks_sport == b->ks_sport && a->ks_dport == b->ks_dport);
}

/* The prefix length of the range start-end, or -1 if it is not one. */
static int
range_plen(const uint8_t *start, const uint8_t *end, size_t alen)
{
	size_t	 i;
	int	 plen = 0, inhost = 0;
	uint8_t	 diff, mask;

	for (i = 0; i < alen; i++) {
		diff = start[i] ^ end[i];
		if (inhost) {
			if (start[i] != 0x00 || end[i] != 0xff)
				return (-1);
			continue;
		}
		if (diff == 0) {
			plen += 8;
			continue;
		}
		/* diff must be a run of low ones: the host part */
		if ((diff & (diff + 1)) != 0 || (start[i] & diff) != 0 ||
		    (end[i] & diff) != diff)
			return (-1);
		for (mask = 0x80; (diff & mask) == 0; mask >>= 1)
			plen++;
		inhost = 1;
	}
	return (plen);
}

static int
ports_of(const struct kernel_ts *t, uint16_t *port)
{
	if (t->kt_sport == 0 && t->kt_eport == 0xffff)
		*port = 0;
	else if (t->kt_sport == t->kt_eport && t->kt_sport != 0)
		*port = t->kt_sport;
	else
		return (-1);
	return (0);
}

/*
 * The XFRM selector for a pair of IKEv2 traffic selectors (source and
 * destination side) and an IP protocol (0: any): -1 when an address
 * range is not one prefix, or a port range neither one port nor all.
 */
int
kernel_sel_from_ts(const struct kernel_ts *src, const struct kernel_ts *dst,
    uint8_t proto, struct kernel_sel *s)
{
	size_t	 alen = af_len(src->kt_af);
	int	 sp, dp;

	memset(s, 0, sizeof(*s));
	if (src->kt_af != dst->kt_af || alen == 0 || alen == SIZE_MAX ||
	    (sp = range_plen(src->kt_start, src->kt_end, alen)) == -1 ||
	    (dp = range_plen(dst->kt_start, dst->kt_end, alen)) == -1 ||
	    ports_of(src, &s->ks_sport) == -1 ||
	    ports_of(dst, &s->ks_dport) == -1)
		return (-1);
	s->ks_af = src->kt_af;
	s->ks_proto = proto;
	s->ks_splen = (uint8_t)sp;
	s->ks_dplen = (uint8_t)dp;
	memcpy(s->ks_src, src->kt_start, alen);
	memcpy(s->ks_dst, dst->kt_start, alen);
	if (sel_check(s, 0, "ts", NULL, 0) == -1) {
		memset(s, 0, sizeof(*s));
		return (-1);
	}
	return (0);
}
