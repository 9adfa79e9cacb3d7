/*
 * Stateless cookies (RFC 7296 2.6).  A cookie is
 *
 *	<secret id> | SHA-256(Ni | IPi | SPIi | <secret>)
 *
 * The secret is random and replaced every COOKIE_ROTATE seconds; the one
 * before stays valid until the next replacement, so that a cookie handed
 * out just before a rotation still works.  The id byte says which secret
 * made a cookie, so checking one costs a single hash.
 *
 * cookie_admit() decides what to do with an IKE_SA_INIT request from the
 * number of half-open SAs (responder SAs waiting for IKE_AUTH) in all and
 * of the request's source address, and whether the request carried a
 * valid cookie.
 */
#include <sys/types.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cookie.h"
#include "crypto.h"

int
cookie_init(struct cookie_secrets *cs, time_t now)
{
	memset(cs, 0, sizeof(*cs));
	cs->cs_rotated = now;
	return (crypto_random_bytes(cs->cs_cur, sizeof(cs->cs_cur)));
}

/* Replaces the secret when it is due; returns 1 if it did, -1 on error. */
int
cookie_rotate(struct cookie_secrets *cs, time_t now)
{
	uint8_t	 fresh[COOKIE_SECRET_LEN];

	if (now >= cs->cs_rotated && now - cs->cs_rotated < COOKIE_ROTATE)
		return (0);
	if (crypto_random_bytes(fresh, sizeof(fresh)) == -1)
		return (-1);
	/* two periods or more without a cookie: the old one is stale too */
	cs->cs_hasprev = now >= cs->cs_rotated &&
	    now - cs->cs_rotated < 2 * COOKIE_ROTATE;
	memcpy(cs->cs_prev, cs->cs_cur, sizeof(cs->cs_prev));
	memcpy(cs->cs_cur, fresh, sizeof(cs->cs_cur));
	explicit_bzero(fresh, sizeof(fresh));
	cs->cs_id++;
	cs->cs_rotated = now;
	return (1);
}

static int
cookie_hash(const uint8_t *secret, const uint8_t *ni, size_t nilen,
    const uint8_t *ip, size_t iplen, const uint8_t spii[8], uint8_t *out)
{
	EVP_MD_CTX	*ctx;
	unsigned int	 len = 0;
	int		 ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (-1);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, ni, nilen) == 1 &&
	    EVP_DigestUpdate(ctx, ip, iplen) == 1 &&
	    EVP_DigestUpdate(ctx, spii, 8) == 1 &&
	    EVP_DigestUpdate(ctx, secret, COOKIE_SECRET_LEN) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &len) == 1 &&
	    len == COOKIE_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return (ok ? 0 : -1);
}

/*
 * The cookie for (Ni, IPi, SPIi) under the current secret into out
 * (size bytes); returns its length, or -1.
 */
int
cookie_make(const struct cookie_secrets *cs, const uint8_t *ni, size_t nilen,
    const uint8_t *ip, size_t iplen, const uint8_t spii[8], uint8_t *out,
    size_t size)
{
	if (size < COOKIE_LEN || (iplen != 4 && iplen != 16))
		return (-1);
	out[0] = cs->cs_id;
	if (cookie_hash(cs->cs_cur, ni, nilen, ip, iplen, spii, out + 1) == -1)
		return (-1);
	return (COOKIE_LEN);
}

/* Is the cookie (len bytes, from the peer) ours for (Ni, IPi, SPIi)? */
int
cookie_check(const struct cookie_secrets *cs, const uint8_t *cookie,
    size_t len, const uint8_t *ni, size_t nilen, const uint8_t *ip,
    size_t iplen, const uint8_t spii[8])
{
	const uint8_t	*secret;
	uint8_t		 want[COOKIE_HASH_LEN];
	int		 ok;

	if (len != COOKIE_LEN || (iplen != 4 && iplen != 16))
		return (-1);
	if (cookie[0] == cs->cs_id)
		secret = cs->cs_cur;
	else if (cs->cs_hasprev && cookie[0] == (uint8_t)(cs->cs_id - 1))
		secret = cs->cs_prev;
	else
		return (-1);
	if (cookie_hash(secret, ni, nilen, ip, iplen, spii, want) == -1)
		return (-1);
	ok = crypto_memeq(want, sizeof(want), cookie + 1, COOKIE_HASH_LEN);
	return (ok ? 0 : -1);
}

/*
 * What to do with an IKE_SA_INIT request when halfopen responder SAs are
 * half-open, peer of them from its address, and it brought a valid
 * cookie (cookie_ok) or not.  The bounds come first: a valid cookie
 * proves the address, not that the peer may hold more state.
 */
enum cookie_verdict
cookie_admit(const struct cookie_limits *cl, size_t halfopen, size_t peer,
    int cookie_ok)
{
	if (halfopen >= cl->cl_max || peer >= cl->cl_peer_max)
		return (COOKIE_REFUSE);
	if (halfopen >= cl->cl_threshold && !cookie_ok)
		return (COOKIE_DEMAND);
	return (COOKIE_PASS);
}

void
cookie_secrets_clear(struct cookie_secrets *cs)
{
	explicit_bzero(cs, sizeof(*cs));
}

/* --- half-open SAs by address ------------------------------------------- */

int
cookie_peers_init(struct cookie_peers *cp)
{
	memset(cp, 0, sizeof(*cp));
	return (crypto_random_bytes((uint8_t *)&cp->cp_salt,
	    sizeof(cp->cp_salt)));
}

static size_t
cookie_peer_index(const struct cookie_peers *cp, const uint8_t *ip,
    size_t len)
{
	uint64_t	 h = cp->cp_salt;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ ip[i]) * 0x100000001b3ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return ((size_t)h & (COOKIE_PEER_BUCKETS - 1));
}

static struct cookie_peer *
cookie_peer_find(const struct cookie_peers *cp, const uint8_t *ip, size_t len,
    size_t *idx)
{
	struct cookie_peer	*p;

	*idx = cookie_peer_index(cp, ip, len);
	for (p = cp->cp_bucket[*idx]; p != NULL; p = p->cp_next)
		if (p->cp_len == len && memcmp(p->cp_ip, ip, len) == 0)
			return (p);
	return (NULL);
}

/* One more half-open SA of the address ip (4 or 16 bytes). */
int
cookie_peer_add(struct cookie_peers *cp, const uint8_t *ip, size_t len)
{
	struct cookie_peer	*p;
	size_t			 idx;

	if (len != 4 && len != 16)
		return (-1);
	if ((p = cookie_peer_find(cp, ip, len, &idx)) == NULL) {
		if ((p = calloc(1, sizeof(*p))) == NULL)
			return (-1);
		p->cp_len = len;
		memcpy(p->cp_ip, ip, len);
		p->cp_next = cp->cp_bucket[idx];
		cp->cp_bucket[idx] = p;
		cp->cp_addrs++;
	}
	p->cp_count++;
	cp->cp_total++;
	return (0);
}

/* One half-open SA of ip less (it completed or went away). */
void
cookie_peer_del(struct cookie_peers *cp, const uint8_t *ip, size_t len)
{
	struct cookie_peer	**pp, *p;
	size_t			 idx;

	if (len != 4 && len != 16)
		return;
	idx = cookie_peer_index(cp, ip, len);
	for (pp = &cp->cp_bucket[idx]; (p = *pp) != NULL; pp = &p->cp_next)
		if (p->cp_len == len && memcmp(p->cp_ip, ip, len) == 0)
			break;
	if (p == NULL)
		return;
	cp->cp_total--;
	if (--p->cp_count == 0) {
		*pp = p->cp_next;
		free(p);
		cp->cp_addrs--;
	}
}

size_t
cookie_peer_count(const struct cookie_peers *cp, const uint8_t *ip, size_t len)
{
	struct cookie_peer	*p;
	size_t			 idx;

	if ((len != 4 && len != 16) ||
	    (p = cookie_peer_find(cp, ip, len, &idx)) == NULL)
		return (0);
	return (p->cp_count);
}
