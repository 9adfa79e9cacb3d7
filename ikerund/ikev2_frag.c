/*
 * IKEv2 fragmentation (RFC 7383).
 *
 * Sending: frag_seal() cuts the inner payloads of an encrypted message
 * into slices that fit the path (frag_mtu(): RFC 7383 2.5.1 suggests 576
 * bytes of IPv4 and 1280 of IPv6 datagrams; the 4 bytes of a non-ESP
 * marker are kept free) and seals each into its own message with one SKF
 * payload.  The result is a "train": the datagrams back to back, each
 * with its own IKE header whose Length says where the next one begins
 * (frag_train_next()).  The train is what the sender keeps for
 * retransmission, so a retransmission resends every fragment.
 *
 * Receiving: the caller authenticates and decrypts each fragment (its
 * ICV covers it alone), then hands the plaintext to frag_add(), which
 * keeps at most one reassembly per IKE SA and enforces the bounds:
 * FRAG_MAX_FRAGS fragments, FRAG_MAX_TOTAL bytes, FRAG_TIMEOUT seconds,
 * FRAG_MEM_MAX bytes for all reassemblies of the process together.
 * Duplicates are ignored; a fragmentation with more fragments than the
 * one under way replaces it, one with fewer is stale (RFC 7383 2.6.2).
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "frag.h"
#include "pld.h"
#include "util.h"

#define SKF_HDR_LEN	(IKE_GEN_LEN + 4)	/* generic header, numbers */

static size_t	 frag_mem;	/* bytes held by all reassemblies */

/* The largest IKE message of one fragment for an address family. */
size_t
frag_mtu(int af)
{
	return (af == AF_INET6 ? FRAG_MTU_INET6 : FRAG_MTU_INET);
}

/*
 * The length of the first message of a train of len bytes (its IKE
 * header's Length), or 0 when that is not a sane length.
 */
size_t
frag_train_next(const uint8_t *buf, size_t len)
{
	size_t	 l;

	if (len < IKE_HDR_LEN)
		return (0);
	l = (size_t)buf[24] << 24 | (size_t)buf[25] << 16 |
	    (size_t)buf[26] << 8 | buf[27];
	if (l < IKE_HDR_LEN || l > len)
		return (0);
	return (l);
}

/* The most inner bytes one fragment of at most mtu bytes carries. */
static size_t
frag_slice(const struct ike_keys *k, size_t mtu)
{
	size_t	 n, over = IKE_HDR_LEN + SKF_HDR_LEN;

	if (mtu <= over + 64)
		return (0);
	for (n = mtu - over; n > 0; n--)
		if (sk_bodylen(k, n) != 0 && over + sk_bodylen(k, n) <= mtu)
			return (n);
	return (0);
}

/*
 * Seals innerlen bytes of inner payloads (whose first has type first)
 * as fragments of at most mtu bytes, each under a copy of the IKE header
 * hdr (IKE_HDR_LEN bytes; Next Payload and Length are rewritten), sent
 * by the original initiator when ini is 1.  Returns the train (malloc'd,
 * *lenp bytes, *nfrags fragments) or NULL.
 */
uint8_t *
frag_seal(const struct ike_keys *k, int ini, const uint8_t *hdr,
    uint8_t first, const uint8_t *inner, size_t innerlen, size_t mtu,
    size_t *lenp, uint16_t *nfrags)
{
	uint8_t		*train, *p;
	size_t		 slice, n, i, off, size, mlen, s;

	if ((slice = frag_slice(k, mtu)) == 0 || innerlen == 0)
		return (NULL);
	n = (innerlen + slice - 1) / slice;
	if (n > FRAG_MAX_FRAGS)
		return (NULL);
	size = 0;
	for (i = 0; i < n; i++) {
		s = i + 1 < n ? slice : innerlen - i * slice;
		size += IKE_HDR_LEN + SKF_HDR_LEN + sk_bodylen(k, s);
	}
	if ((train = calloc(1, size)) == NULL)
		return (NULL);
	for (i = 0, off = 0; i < n; i++) {
		s = i + 1 < n ? slice : innerlen - i * slice;
		p = train + off;
		memcpy(p, hdr, IKE_HDR_LEN);
		p[16] = IKEV2_PLD_SKF;
		p[IKE_HDR_LEN] = i == 0 ? first : IKEV2_PLD_NONE;
		p[IKE_HDR_LEN + 1] = 0;
		p[IKE_HDR_LEN + 4] = (i + 1) >> 8;
		p[IKE_HDR_LEN + 5] = (i + 1) & 0xff;
		p[IKE_HDR_LEN + 6] = n >> 8;
		p[IKE_HDR_LEN + 7] = n & 0xff;
		if (sk_encrypt(k, ini, inner + i * slice, s, p, size - off,
		    IKE_HDR_LEN, IKE_HDR_LEN + SKF_HDR_LEN, &mlen) == -1) {
			explicit_bzero(train, size);
			free(train);
			return (NULL);
		}
		off += mlen;
	}
	*lenp = off;
	*nfrags = n;
	return (train);
}

static void
frag_err(char *err, size_t errlen, const char *fmt, unsigned long a,
    unsigned long b)
{
	if (errlen > 0)
		(void)snprintf(err, errlen, fmt, a, b);
}

/*
 * Keeps fragment num of total of message msgid (len bytes of decrypted
 * inner payloads; first is the Next Payload of fragment 1) in *rp, which
 * is created, replaced or freed as needed.  *discarded is set when a
 * reassembly under way was given up (timed out, replaced, or over a
 * bound).  Returns FRAG_DONE, FRAG_MORE, FRAG_DUP, FRAG_STALE, or
 * FRAG_DROP with the reason in err.
 */
int
frag_add(struct frag_reasm **rp, uint32_t msgid, uint16_t num, uint16_t total,
    uint8_t first, const uint8_t *data, size_t len, time_t now,
    int *discarded, char *err, size_t errlen)
{
	struct frag_reasm	*r = *rp;
	uint8_t			*copy;

	*discarded = 0;
	if (total == 0 || num == 0 || num > total) {
		frag_err(err, errlen, "fragment %lu of %lu", num, total);
		return (FRAG_DROP);
	}
	if (total > FRAG_MAX_FRAGS) {
		frag_err(err, errlen, "%lu fragments (more than "
		    "FRAG_MAX_FRAGS %lu)", total, FRAG_MAX_FRAGS);
		return (FRAG_DROP);
	}
	if ((num == 1) != (first != IKEV2_PLD_NONE)) {
		frag_err(err, errlen, "fragment %lu names next payload %lu",
		    num, first);
		return (FRAG_DROP);
	}
	if (len > FRAG_MAX_TOTAL) {
		frag_err(err, errlen, "fragment of %lu bytes (more than "
		    "FRAG_MAX_TOTAL %lu)", len, FRAG_MAX_TOTAL);
		return (FRAG_DROP);
	}
	if (r != NULL && (now < r->fr_started ||
	    now - r->fr_started > FRAG_TIMEOUT || msgid != r->fr_msgid ||
	    total > r->fr_total)) {
		frag_free(rp);
		r = NULL;
		*discarded = 1;
	}
	if (r != NULL && total < r->fr_total)
		return (FRAG_STALE);
	if (r == NULL) {
		if (frag_mem + sizeof(*r) > FRAG_MEM_MAX) {
			frag_err(err, errlen, "reassemblies hold %lu bytes "
			    "(FRAG_MEM_MAX %lu)", frag_mem, FRAG_MEM_MAX);
			return (FRAG_DROP);
		}
		if ((r = calloc(1, sizeof(*r))) == NULL) {
			(void)strlcpy(err, "out of memory", errlen);
			return (FRAG_DROP);
		}
		frag_mem += sizeof(*r);
		r->fr_msgid = msgid;
		r->fr_total = total;
		r->fr_started = now;
		*rp = r;
	}
	if (r->fr_data[num - 1] != NULL)
		return (FRAG_DUP);
	if (r->fr_bytes + len > FRAG_MAX_TOTAL ||
	    frag_mem + len > FRAG_MEM_MAX) {
		frag_err(err, errlen, "reassembly of %lu bytes and more (bound "
		    "FRAG_MAX_TOTAL %lu, or FRAG_MEM_MAX)", r->fr_bytes + len,
		    FRAG_MAX_TOTAL);
		frag_free(rp);
		*discarded = 1;
		return (FRAG_DROP);
	}
	/* one byte at least, so that a present fragment is never NULL */
	if ((copy = malloc(len + 1)) == NULL) {
		(void)strlcpy(err, "out of memory", errlen);
		return (FRAG_DROP);
	}
	if (len > 0)
		memcpy(copy, data, len);
	r->fr_data[num - 1] = copy;
	r->fr_len[num - 1] = len;
	r->fr_bytes += len;
	frag_mem += len + 1;
	if (num == 1)
		r->fr_first = first;
	if (++r->fr_have == r->fr_total)
		return (FRAG_DONE);
	return (FRAG_MORE);
}

/*
 * The whole message's inner payloads into out (size bytes) and the type
 * of the first into *first; returns the length, or -1 if the reassembly
 * is not complete or does not fit.
 */
ssize_t
frag_take(const struct frag_reasm *r, uint8_t *out, size_t size,
    uint8_t *first)
{
	size_t	 i, off = 0;

	if (r == NULL || r->fr_have != r->fr_total || r->fr_bytes > size)
		return (-1);
	for (i = 0; i < r->fr_total; i++) {
		if (r->fr_data[i] == NULL)
			return (-1);
		memcpy(out + off, r->fr_data[i], r->fr_len[i]);
		off += r->fr_len[i];
	}
	*first = r->fr_first;
	return (off);
}

void
frag_free(struct frag_reasm **rp)
{
	struct frag_reasm	*r = *rp;
	size_t			 i;

	if (r == NULL)
		return;
	for (i = 0; i < FRAG_MAX_FRAGS; i++)
		if (r->fr_data[i] != NULL) {
			explicit_bzero(r->fr_data[i], r->fr_len[i]);
			free(r->fr_data[i]);
			frag_mem -= r->fr_len[i] + 1;
		}
	frag_mem -= sizeof(*r);
	explicit_bzero(r, sizeof(*r));
	free(r);
	*rp = NULL;
}

/* Bytes all reassemblies hold now (for tests and "show stats"). */
size_t
frag_mem_used(void)
{
	return (frag_mem);
}
