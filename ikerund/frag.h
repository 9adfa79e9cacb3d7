/*
 * IKEv2 message fragmentation (RFC 7383): an encrypted message too long
 * for the path is sent as a train of SKF fragments, each encrypted and
 * authenticated on its own; fragments received are authenticated one by
 * one by the caller, then reassembled here under strict bounds.
 */
#ifndef FRAG_H
#define FRAG_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define FRAG_MTU_INET		544	/* 576 - IPv4 - UDP - non-ESP marker */
#define FRAG_MTU_INET6		1228	/* 1280 - IPv6 - UDP - marker */
#define FRAG_MAX_FRAGS		64	/* fragments of one message */
#define FRAG_MAX_TOTAL		(65535 - 28)	/* reassembled inner bytes */
#define FRAG_TIMEOUT		30	/* seconds for a reassembly */
#define FRAG_MEM_MAX		(8 * 1024 * 1024)	/* all reassemblies */

/* frag_add() results */
#define FRAG_DROP	(-1)	/* refused: a bound, or inconsistent */
#define FRAG_MORE	0	/* kept, more to come */
#define FRAG_DONE	1	/* the message is whole: frag_take() it */
#define FRAG_DUP	2	/* had it already: ignored */
#define FRAG_STALE	3	/* of an older fragmentation: ignored */

/* One message being reassembled; an IKE SA has at most one. */
struct frag_reasm {
	uint32_t	 fr_msgid;
	uint16_t	 fr_total;
	uint16_t	 fr_have;
	uint8_t		 fr_first;	/* from fragment 1 */
	size_t		 fr_bytes;
	time_t		 fr_started;
	uint8_t		*fr_data[FRAG_MAX_FRAGS];
	uint16_t	 fr_len[FRAG_MAX_FRAGS];
};

struct ike_keys;

/* ikev2_frag.c */
size_t	 frag_mtu(int);
size_t	 frag_train_next(const uint8_t *, size_t);
uint8_t	*frag_seal(const struct ike_keys *, int, const uint8_t *, uint8_t,
	    const uint8_t *, size_t, size_t, size_t *, uint16_t *);
int	 frag_add(struct frag_reasm **, uint32_t, uint16_t, uint16_t,
	    uint8_t, const uint8_t *, size_t, time_t, int *, char *, size_t);
ssize_t	 frag_take(const struct frag_reasm *, uint8_t *, size_t, uint8_t *);
void	 frag_free(struct frag_reasm **);
size_t	 frag_mem_used(void);

#endif /* FRAG_H */
