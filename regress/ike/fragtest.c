/*
 * Fragmentation (ikerund/ikev2_frag.c, RFC 7383) and cookies
 * (ikerund/cookie.c, RFC 7296 2.6) under test, driven by
 * regress/ike/test.sh; prints "ok ike/NAME" / "not ok ike/NAME".
 * Fragments are sealed with real keys, parsed by the real parser,
 * authenticated and decrypted by the real SK code, then reassembled.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cookie.h"
#include "crypto.h"
#include "frag.h"
#include "pld.h"
#include "util.h"

static int	 failed;

static void
t(const char *name, int cond, const char *why)
{
	if (cond)
		printf("ok ike/%s\n", name);
	else {
		printf("not ok ike/%s%s%s\n", name, why != NULL ? " " : "",
		    why != NULL ? why : "");
		failed = 1;
	}
}

/* --- cookies ------------------------------------------------------------- */

static void
test_cookies(void)
{
	struct cookie_secrets	 cs;
	struct cookie_limits	 cl = { 10, 100, 5 };
	uint8_t			 ni[32], ip[4] = { 192, 0, 2, 10 };
	uint8_t			 ip6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint8_t			 spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	uint8_t			 c[COOKIE_MAX], c6[COOKIE_MAX], bad[COOKIE_MAX];
	uint8_t			 old[COOKIE_MAX];
	time_t			 now = 1000000;
	int			 len, len6, ok;

	memset(ni, 0x5a, sizeof(ni));
	t("cookie/init", cookie_init(&cs, now) == 0, NULL);
	len = cookie_make(&cs, ni, sizeof(ni), ip, 4, spi, c, sizeof(c));
	t("cookie/make", len == COOKIE_LEN && c[0] == cs.cs_id, NULL);
	t("cookie/make-small-buffer", cookie_make(&cs, ni, sizeof(ni), ip, 4,
	    spi, c, COOKIE_LEN - 1) == -1, NULL);
	t("cookie/check", cookie_check(&cs, c, len, ni, sizeof(ni), ip, 4,
	    spi) == 0, NULL);
	ni[31] ^= 1;
	t("cookie/other-nonce", cookie_check(&cs, c, len, ni, sizeof(ni), ip,
	    4, spi) == -1, NULL);
	ni[31] ^= 1;
	ip[3]++;
	t("cookie/other-address", cookie_check(&cs, c, len, ni, sizeof(ni),
	    ip, 4, spi) == -1, NULL);
	ip[3]--;
	spi[0]++;
	t("cookie/other-spi", cookie_check(&cs, c, len, ni, sizeof(ni), ip, 4,
	    spi) == -1, NULL);
	spi[0]--;
	memcpy(bad, c, len);
	bad[len - 1] ^= 0x80;
	t("cookie/tampered", cookie_check(&cs, bad, len, ni, sizeof(ni), ip,
	    4, spi) == -1, NULL);
	bad[len - 1] ^= 0x80;
	bad[0]++;
	t("cookie/unknown-secret-id", cookie_check(&cs, bad, len, ni,
	    sizeof(ni), ip, 4, spi) == -1, NULL);
	t("cookie/short", cookie_check(&cs, c, len - 1, ni, sizeof(ni), ip, 4,
	    spi) == -1 && cookie_check(&cs, c, 0, ni, sizeof(ni), ip, 4,
	    spi) == -1, NULL);
	len6 = cookie_make(&cs, ni, sizeof(ni), ip6, 16, spi, c6, sizeof(c6));
	t("cookie/ipv6", len6 == COOKIE_LEN && cookie_check(&cs, c6, len6, ni,
	    sizeof(ni), ip6, 16, spi) == 0 && cookie_check(&cs, c6, len6, ni,
	    sizeof(ni), ip6, 4, spi) == -1, NULL);

	/* rotation: the previous secret stays good for one period */
	t("cookie/no-early-rotation", cookie_rotate(&cs, now + COOKIE_ROTATE -
	    1) == 0, NULL);
	t("cookie/rotation", cookie_rotate(&cs, now + COOKIE_ROTATE) == 1,
	    NULL);
	t("cookie/previous-secret-accepted", cookie_check(&cs, c, len, ni,
	    sizeof(ni), ip, 4, spi) == 0, NULL);
	memcpy(old, c, len);
	len = cookie_make(&cs, ni, sizeof(ni), ip, 4, spi, c, sizeof(c));
	t("cookie/new-secret-differs", len == COOKIE_LEN &&
	    memcmp(old, c, len) != 0 && c[0] == (uint8_t)(old[0] + 1), NULL);
	t("cookie/second-rotation", cookie_rotate(&cs, now +
	    2 * COOKIE_ROTATE) == 1, NULL);
	t("cookie/older-secret-refused", cookie_check(&cs, old, len, ni,
	    sizeof(ni), ip, 4, spi) == -1, NULL);
	t("cookie/previous-accepted-again", cookie_check(&cs, c, len, ni,
	    sizeof(ni), ip, 4, spi) == 0, NULL);
	/* a long quiet: both secrets stale */
	t("cookie/rotation-after-quiet", cookie_rotate(&cs, now +
	    10 * COOKIE_ROTATE) == 1 && cookie_check(&cs, c, len, ni,
	    sizeof(ni), ip, 4, spi) == -1, NULL);
	/* a clock that went back rotates too */
	t("cookie/clock-backwards", cookie_rotate(&cs, now) == 1, NULL);
	cookie_secrets_clear(&cs);

	ok = cookie_admit(&cl, 0, 0, 0) == COOKIE_PASS &&
	    cookie_admit(&cl, 9, 4, 0) == COOKIE_PASS &&
	    cookie_admit(&cl, 9, 4, 1) == COOKIE_PASS;
	t("cookie/admit-below-threshold", ok, NULL);
	ok = cookie_admit(&cl, 10, 0, 0) == COOKIE_DEMAND &&
	    cookie_admit(&cl, 99, 4, 0) == COOKIE_DEMAND &&
	    cookie_admit(&cl, 10, 0, 1) == COOKIE_PASS &&
	    cookie_admit(&cl, 99, 4, 1) == COOKIE_PASS;
	t("cookie/admit-demands-cookie", ok, NULL);
	ok = cookie_admit(&cl, 100, 0, 1) == COOKIE_REFUSE &&
	    cookie_admit(&cl, 5000, 0, 0) == COOKIE_REFUSE &&
	    cookie_admit(&cl, 0, 5, 1) == COOKIE_REFUSE &&
	    cookie_admit(&cl, 50, 5, 0) == COOKIE_REFUSE;
	t("cookie/admit-hard-bounds", ok, NULL);
	cl.cl_threshold = 0;
	t("cookie/admit-threshold-zero", cookie_admit(&cl, 0, 0, 0) ==
	    COOKIE_DEMAND, NULL);
}

/* Half-open SAs counted by address, added and removed in any order. */
static void
test_peers(void)
{
	struct cookie_peers	*cp;
	uint8_t			 a[4] = { 203, 0, 113, 0 }, b[16];
	size_t			 i;
	int			 ok;

	if ((cp = calloc(1, sizeof(*cp))) == NULL ||
	    cookie_peers_init(cp) == -1) {
		t("cookie/peers-init", 0, NULL);
		free(cp);
		return;
	}
	memset(b, 0, sizeof(b));
	memcpy(b, "\x20\x01\x0d\xb8", 4);
	ok = 1;
	for (i = 0; i < 3000; i++) {
		a[3] = i % 250;
		a[2] = 113 - (i / 250) % 2;	/* two /24s */
		ok = ok && cookie_peer_add(cp, a, 4) == 0;
	}
	ok = ok && cp->cp_total == 3000 && cp->cp_addrs == 500;
	a[2] = 113;
	a[3] = 7;
	ok = ok && cookie_peer_count(cp, a, 4) == 6;
	/* the same 4 bytes as an IPv6 prefix are another address */
	memcpy(b, a, 4);
	ok = ok && cookie_peer_count(cp, b, 16) == 0 &&
	    cookie_peer_add(cp, b, 16) == 0 && cookie_peer_count(cp, b, 16) == 1 &&
	    cookie_peer_count(cp, a, 4) == 6;
	t("cookie/peers-count", ok, NULL);
	ok = cookie_peer_add(cp, a, 5) == -1 && cookie_peer_count(cp, a, 5) == 0;
	t("cookie/peers-bad-length", ok, NULL);
	cookie_peer_del(cp, b, 16);
	cookie_peer_del(cp, b, 16);	/* not there: nothing happens */
	for (i = 0; i < 3000; i++) {
		a[3] = i % 250;
		a[2] = 113 - (i / 250) % 2;
		cookie_peer_del(cp, a, 4);
	}
	ok = cp->cp_total == 0 && cp->cp_addrs == 0;
	for (i = 0; i < COOKIE_PEER_BUCKETS; i++)
		ok = ok && cp->cp_bucket[i] == NULL;
	t("cookie/peers-all-gone", ok, NULL);
	free(cp);
}

/* --- fragments ----------------------------------------------------------- */

static int
keys(struct ike_keys *k, int gcm)
{
	struct ike_suite	 s;
	uint8_t			 gir[32], ni[32], nr[32];
	uint8_t			 spii[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	uint8_t			 spir[8] = { 2, 2, 2, 2, 2, 2, 2, 2 };

	memset(&s, 0, sizeof(s));
	if (gcm) {
		s.is_encr = IKEV2_ENCR_AES_GCM_16;
		s.is_encr_bits = 128;
	} else {
		s.is_encr = IKEV2_ENCR_AES_CBC;
		s.is_encr_bits = 256;
		s.is_integ = IKEV2_AUTH_HMAC_SHA2_256_128;
	}
	s.is_prf = IKEV2_PRF_HMAC_SHA2_256;
	s.is_dh = IKEV2_DH_CURVE25519;
	memset(gir, 0x11, sizeof(gir));
	memset(ni, 0x22, sizeof(ni));
	memset(nr, 0x33, sizeof(nr));
	return (ike_keys_new(k, &s, gir, sizeof(gir), ni, sizeof(ni), nr,
	    sizeof(nr), spii, spir));
}

static void
hdr(uint8_t *h, uint32_t msgid)
{
	memset(h, 0, IKE_HDR_LEN);
	memset(h, 1, 8);
	memset(h + 8, 2, 8);
	h[16] = IKEV2_PLD_SK;
	h[17] = IKE_VERSION;
	h[18] = IKEV2_EXCH_IKE_AUTH;
	h[19] = IKEV2_FLAG_I;
	h[20] = msgid >> 24;
	h[21] = msgid >> 16;
	h[22] = msgid >> 8;
	h[23] = msgid;
}

/*
 * Seals inner as fragments, then receives them in the given order
 * (indices into the train, may repeat) as a responder would.  Returns
 * 0 when the reassembled bytes equal inner; fills *nfrags.
 */
static int
roundtrip(const struct ike_keys *k, const uint8_t *inner, size_t innerlen,
    size_t mtu, const int *order, size_t norder, uint16_t *nfrags,
    int *dups, char *why, size_t whylen)
{
	struct frag_reasm	*r = NULL;
	struct ike_msg		*m;
	uint8_t			 h[IKE_HDR_LEN], *train, *dg[FRAG_MAX_FRAGS];
	uint8_t			 out[IBUF_MAX], first;
	size_t			 len, dglen[FRAG_MAX_FRAGS], off, one, i;
	size_t			 inoff, inl;
	ssize_t			 got;
	char			 err[128];
	int			 rv = -1, res = FRAG_MORE, gone;

	*dups = 0;
	hdr(h, 1);
	if ((train = frag_seal(k, 1, h, IKEV2_PLD_IDI, inner, innerlen, mtu,
	    &len, nfrags)) == NULL) {
		snprintf(why, whylen, "frag_seal failed");
		return (-1);
	}
	for (i = 0, off = 0; off < len; i++, off += one) {
		if ((one = frag_train_next(train + off, len - off)) == 0 ||
		    one > mtu || i == FRAG_MAX_FRAGS) {
			snprintf(why, whylen, "train: bad datagram %zu", i);
			goto done;
		}
		dg[i] = train + off;
		dglen[i] = one;
	}
	if (i != *nfrags) {
		snprintf(why, whylen, "%zu datagrams, %u fragments", i,
		    *nfrags);
		goto done;
	}
	m = calloc(1, sizeof(*m));
	for (i = 0; i < norder; i++) {
		uint8_t	 copy[2048];
		size_t	 n = order[i];

		memcpy(copy, dg[n], dglen[n]);
		memset(m, 0, sizeof(*m));
		if (pld_parse(copy, dglen[n], m, err, sizeof(err)) != PLD_OK ||
		    !PLD_SEEN(m, IKEV2_PLD_SKF) ||
		    m->m_sk.sk_fragnum != n + 1 ||
		    m->m_sk.sk_fragtotal != *nfrags) {
			snprintf(why, whylen, "fragment %zu: %.100s", n + 1,
			    err);
			free(m);
			goto done;
		}
		if (sk_decrypt(k, 1, copy, dglen[n], m->m_sk.sk_off - 8,
		    m->m_sk.sk_off, &inoff, &inl) == -1) {
			snprintf(why, whylen, "fragment %zu: %s", n + 1,
			    crypto_errstr());
			free(m);
			goto done;
		}
		res = frag_add(&r, 1, m->m_sk.sk_fragnum, m->m_sk.sk_fragtotal,
		    m->m_sk.sk_first, copy + inoff, inl, 100, &gone, err,
		    sizeof(err));
		if (res == FRAG_DUP)
			(*dups)++;
		if (res == FRAG_DROP || gone) {
			snprintf(why, whylen, "frag_add: %s", err);
			free(m);
			goto done;
		}
	}
	free(m);
	if (res != FRAG_DONE) {
		snprintf(why, whylen, "not complete (%d)", res);
		goto done;
	}
	got = frag_take(r, out, sizeof(out), &first);
	if (got != (ssize_t)innerlen || first != IKEV2_PLD_IDI ||
	    memcmp(out, inner, innerlen) != 0) {
		snprintf(why, whylen, "reassembled %zd bytes differ", got);
		goto done;
	}
	rv = 0;
 done:
	frag_free(&r);
	free(train);
	return (rv);
}

static void
test_seal(void)
{
	struct ike_keys	 k;
	uint8_t		 inner[4000], h[IKE_HDR_LEN], *train;
	char		 why[256] = "", name[64];
	int		 order[FRAG_MAX_FRAGS * 2], gcm, dups, i, n;
	uint16_t	 nf;
	size_t		 len, mtu;

	for (i = 0; i < (int)sizeof(inner); i++)
		inner[i] = (uint8_t)(i * 7 + 3);
	for (gcm = 0; gcm <= 1; gcm++) {
		if (keys(&k, gcm) == -1) {
			t(gcm ? "frag/gcm-keys" : "frag/cbc-keys", 0,
			    crypto_errstr());
			continue;
		}
		for (mtu = FRAG_MTU_INET; mtu <= FRAG_MTU_INET6;
		    mtu += FRAG_MTU_INET6 - FRAG_MTU_INET) {
			/* in order */
			for (i = 0; i < FRAG_MAX_FRAGS; i++)
				order[i] = i;
			nf = 0;
			n = roundtrip(&k, inner, sizeof(inner), mtu, order,
			    mtu == FRAG_MTU_INET ? 9 : 4, &nf, &dups, why,
			    sizeof(why));
			snprintf(name, sizeof(name), "frag/%s-%zu-in-order",
			    gcm ? "gcm" : "cbc", mtu);
			t(name, n == 0 && nf == (mtu == FRAG_MTU_INET ? 9 : 4),
			    why);
			/* reversed, every fragment twice */
			for (i = 0; i < nf; i++) {
				order[2 * i] = nf - 1 - i;
				order[2 * i + 1] = nf - 1 - i;
			}
			n = roundtrip(&k, inner, sizeof(inner), mtu, order,
			    2 * nf - 1, &nf, &dups, why, sizeof(why));
			snprintf(name, sizeof(name), "frag/%s-%zu-reversed-"
			    "duplicates", gcm ? "gcm" : "cbc", mtu);
			t(name, n == 0 && dups == nf - 1, why);
		}
		/* one byte of payloads: one fragment */
		for (i = 0; i < 1; i++)
			order[i] = 0;
		n = roundtrip(&k, inner, 1, FRAG_MTU_INET, order, 1, &nf,
		    &dups, why, sizeof(why));
		t(gcm ? "frag/gcm-single" : "frag/cbc-single", n == 0 &&
		    nf == 1, why);
		/* too many fragments for the bound: refused to seal */
		hdr(h, 1);
		train = frag_seal(&k, 1, h, IKEV2_PLD_IDI, inner,
		    sizeof(inner), 100, &len, &nf);
		t(gcm ? "frag/gcm-tiny-mtu-refused" : "frag/cbc-tiny-mtu-"
		    "refused", train == NULL, NULL);
		free(train);
		ike_keys_clear(&k);
	}
	t("frag/memory-returned", frag_mem_used() == 0, NULL);
}

/* A fragment that fails authentication never reaches reassembly. */
static void
test_tamper(void)
{
	struct ike_keys	 k;
	struct ike_msg	*m;
	uint8_t		 inner[1500], h[IKE_HDR_LEN], *train;
	size_t		 len, one, inoff, inl;
	uint16_t	 nf;
	char		 err[256];
	int		 gcm, ok;

	memset(inner, 0x41, sizeof(inner));
	m = calloc(1, sizeof(*m));
	for (gcm = 0; gcm <= 1; gcm++) {
		if (keys(&k, gcm) == -1)
			continue;
		hdr(h, 7);
		train = frag_seal(&k, 1, h, IKEV2_PLD_IDI, inner,
		    sizeof(inner), FRAG_MTU_INET, &len, &nf);
		ok = train != NULL;
		if (ok) {
			one = frag_train_next(train, len);
			/* the fragment numbers are associated data */
			train[IKE_HDR_LEN + 7]++;
			memset(m, 0, sizeof(*m));
			ok = pld_parse(train, one, m, err, sizeof(err)) ==
			    PLD_OK && sk_decrypt(&k, 1, train, one,
			    m->m_sk.sk_off - 8, m->m_sk.sk_off, &inoff,
			    &inl) == -1;
			train[IKE_HDR_LEN + 7]--;
			train[one - 1] ^= 1;
			memset(m, 0, sizeof(*m));
			ok = ok && pld_parse(train, one, m, err,
			    sizeof(err)) == PLD_OK && sk_decrypt(&k, 1, train,
			    one, m->m_sk.sk_off - 8, m->m_sk.sk_off, &inoff,
			    &inl) == -1;
			/* the other direction's keys do not open it */
			train[one - 1] ^= 1;
			ok = ok && sk_decrypt(&k, 0, train, one,
			    m->m_sk.sk_off - 8, m->m_sk.sk_off, &inoff,
			    &inl) == -1;
		}
		t(gcm ? "frag/gcm-tampered-refused" :
		    "frag/cbc-tampered-refused", ok, NULL);
		free(train);
		ike_keys_clear(&k);
	}
	free(m);
}

/* The bounds of reassembly, on plain bytes. */
static void
test_bounds(void)
{
	struct frag_reasm	*r = NULL, **many;
	uint8_t			 data[2000], out[IBUF_MAX], first;
	char			 err[256];
	int			 gone, rv, ok, i, drops;
	size_t			 n, kept;

	memset(data, 0xab, sizeof(data));
	t("frag/bound-too-many", frag_add(&r, 1, 1, FRAG_MAX_FRAGS + 1, 35,
	    data, 10, 0, &gone, err, sizeof(err)) == FRAG_DROP && r == NULL,
	    NULL);
	t("frag/bound-number-above-total", frag_add(&r, 1, 3, 2, 0, data, 10,
	    0, &gone, err, sizeof(err)) == FRAG_DROP && frag_add(&r, 1, 0, 2,
	    0, data, 10, 0, &gone, err, sizeof(err)) == FRAG_DROP, NULL);
	t("frag/bound-first-payload", frag_add(&r, 1, 2, 2, 35, data, 10, 0,
	    &gone, err, sizeof(err)) == FRAG_DROP && frag_add(&r, 1, 1, 2, 0,
	    data, 10, 0, &gone, err, sizeof(err)) == FRAG_DROP, NULL);

	/* a bigger fragmentation replaces, a smaller one is stale */
	rv = frag_add(&r, 1, 1, 3, 35, data, 10, 0, &gone, err, sizeof(err));
	ok = rv == FRAG_MORE && !gone;
	rv = frag_add(&r, 1, 2, 2, 0, data, 10, 0, &gone, err, sizeof(err));
	ok = ok && rv == FRAG_STALE && !gone && r->fr_total == 3;
	rv = frag_add(&r, 1, 2, 4, 0, data, 10, 0, &gone, err, sizeof(err));
	ok = ok && rv == FRAG_MORE && gone && r->fr_total == 4 &&
	    r->fr_have == 1;
	t("frag/refragmented", ok, NULL);
	/* another message ID starts over */
	rv = frag_add(&r, 2, 1, 4, 35, data, 10, 0, &gone, err, sizeof(err));
	t("frag/new-message-id", rv == FRAG_MORE && gone &&
	    r->fr_msgid == 2 && r->fr_have == 1, NULL);
	/* the timeout */
	rv = frag_add(&r, 2, 2, 4, 0, data, 10, FRAG_TIMEOUT, &gone, err,
	    sizeof(err));
	ok = rv == FRAG_MORE && !gone && r->fr_have == 2;
	rv = frag_add(&r, 2, 3, 4, 0, data, 10, FRAG_TIMEOUT + 1, &gone, err,
	    sizeof(err));
	ok = ok && rv == FRAG_MORE && gone && r->fr_have == 1;
	t("frag/timeout", ok, NULL);
	t("frag/take-incomplete", frag_take(r, out, sizeof(out), &first) ==
	    -1, NULL);
	frag_free(&r);

	/* FRAG_MAX_TOTAL: the fragment that passes it ends the reassembly */
	ok = 1;
	for (i = 1; i <= FRAG_MAX_FRAGS && ok; i++) {
		rv = frag_add(&r, 3, i, FRAG_MAX_FRAGS, i == 1 ? 35 : 0, data,
		    sizeof(data), 0, &gone, err, sizeof(err));
		if ((size_t)i * sizeof(data) <= FRAG_MAX_TOTAL)
			ok = rv == FRAG_MORE;
		else {
			ok = rv == FRAG_DROP && gone && r == NULL;
			break;
		}
	}
	t("frag/bound-total-bytes", ok && i <= FRAG_MAX_FRAGS, err);

	/* a fragment whose slot is filled: a duplicate, ignored */
	rv = frag_add(&r, 4, 1, 2, 35, data, 5, 0, &gone, err, sizeof(err));
	ok = rv == FRAG_MORE;
	rv = frag_add(&r, 4, 1, 2, 35, data, 9, 0, &gone, err, sizeof(err));
	ok = ok && rv == FRAG_DUP && r->fr_bytes == 5;
	rv = frag_add(&r, 4, 2, 2, 0, data, 0, 0, &gone, err, sizeof(err));
	ok = ok && rv == FRAG_DONE && frag_take(r, out, sizeof(out),
	    &first) == 5 && first == 35;
	ok = ok && frag_take(r, out, 4, &first) == -1;
	t("frag/duplicate-and-empty-fragment", ok, NULL);
	frag_free(&r);

	/* FRAG_MEM_MAX over all reassemblies */
	n = FRAG_MEM_MAX / (60 * 1000) * 2;
	many = calloc(n, sizeof(*many));
	drops = 0;
	for (kept = 0; kept < n; kept++)
		for (i = 1; i <= 30; i++)
			if (frag_add(&many[kept], 5, i, 31, i == 1 ? 35 : 0,
			    data, sizeof(data), 0, &gone, err,
			    sizeof(err)) == FRAG_DROP)
				drops++;
	t("frag/bound-memory", drops > 0 && frag_mem_used() <= FRAG_MEM_MAX,
	    NULL);
	for (kept = 0; kept < n; kept++)
		frag_free(&many[kept]);
	free(many);
	t("frag/memory-returned-after-bounds", frag_mem_used() == 0, NULL);

	t("frag/train-one", frag_train_next((const uint8_t *)
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\034",
	    28) == 28 && frag_train_next(data, 28) == 0 &&
	    frag_train_next(data, 10) == 0, NULL);
}

int
main(void)
{
	if (crypto_init() == -1) {
		printf("not ok ike/frag/crypto-init %s\n", crypto_errstr());
		return (0);
	}
	test_cookies();
	test_peers();
	test_seal();
	test_tamper();
	test_bounds();
	return (failed);
}
