/*
 * Defence of the responder against IKE_SA_INIT floods (RFC 7296 2.6):
 * stateless cookies once half-open SAs pass a threshold, and hard bounds
 * on half-open SAs in all and per peer address.  Pure functions: the
 * caller passes the time and the counts.
 */
#ifndef COOKIE_H
#define COOKIE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define COOKIE_SECRET_LEN	32
#define COOKIE_HASH_LEN		32	/* SHA-256 */
#define COOKIE_LEN		(1 + COOKIE_HASH_LEN)	/* secret id, hash */
#define COOKIE_MAX		64	/* RFC 7296 3.10.1: 1 to 64 octets */
#define COOKIE_ROTATE		120	/* seconds a secret makes cookies */

/* Defaults of the bounds (ikerund -C changes the threshold). */
#define COOKIE_THRESHOLD	100	/* half-open SAs before cookies */
#define COOKIE_HALFOPEN_MAX	10000	/* half-open SAs, then refused */
#define COOKIE_PEER_MAX		1024	/* half-open SAs of one address */

struct cookie_secrets {
	uint8_t		 cs_id;		/* of cs_cur; cs_prev is cs_id - 1 */
	int		 cs_hasprev;
	time_t		 cs_rotated;	/* when cs_cur was made */
	uint8_t		 cs_cur[COOKIE_SECRET_LEN];
	uint8_t		 cs_prev[COOKIE_SECRET_LEN];
};

struct cookie_limits {
	size_t		 cl_threshold;	/* cookies at this many half-open */
	size_t		 cl_max;	/* refuse at this many */
	size_t		 cl_peer_max;	/* refuse at this many from one IP */
};

/*
 * Half-open SAs counted in all and by peer address, so that admission
 * costs no walk over the SAs: a salted hash of the address (the peer
 * chooses it) to a chain of entries, one per address with half-open SAs.
 */
#define COOKIE_PEER_BUCKETS	4096	/* a power of two */

struct cookie_peer {
	struct cookie_peer	*cp_next;
	size_t			 cp_count;
	size_t			 cp_len;	/* 4 or 16 */
	uint8_t			 cp_ip[16];
};

struct cookie_peers {
	uint64_t		 cp_salt;
	size_t			 cp_total;	/* half-open SAs */
	size_t			 cp_addrs;	/* entries */
	struct cookie_peer	*cp_bucket[COOKIE_PEER_BUCKETS];
};

enum cookie_verdict {
	COOKIE_PASS = 0,	/* make the half-open SA */
	COOKIE_DEMAND,		/* answer with a COOKIE notify, no state */
	COOKIE_REFUSE		/* drop: a bound is reached */
};

/* cookie.c */
int	 cookie_init(struct cookie_secrets *, time_t);
int	 cookie_rotate(struct cookie_secrets *, time_t);
int	 cookie_make(const struct cookie_secrets *, const uint8_t *, size_t,
	    const uint8_t *, size_t, const uint8_t [8], uint8_t *, size_t);
int	 cookie_check(const struct cookie_secrets *, const uint8_t *, size_t,
	    const uint8_t *, size_t, const uint8_t *, size_t,
	    const uint8_t [8]);
enum cookie_verdict cookie_admit(const struct cookie_limits *, size_t,
	    size_t, int);
void	 cookie_secrets_clear(struct cookie_secrets *);
int	 cookie_peers_init(struct cookie_peers *);
int	 cookie_peer_add(struct cookie_peers *, const uint8_t *, size_t);
void	 cookie_peer_del(struct cookie_peers *, const uint8_t *, size_t);
size_t	 cookie_peer_count(const struct cookie_peers *, const uint8_t *,
	    size_t);

#endif /* COOKIE_H */
