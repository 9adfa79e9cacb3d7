/*
 * libFuzzer target for the reassembly of RFC 7383 fragments
 * (ikerund/ikev2_frag.c frag_add, frag_take, frag_free): the input is a
 * sequence of fragments as a peer could send them once each has been
 * authenticated, spread over four IKE SAs:
 *
 *	slot, msgid, num, total, first, time step, length (2 bytes), data
 *
 * Whatever the order, duplicates, lengths and totals, the bounds hold
 * (fragments, bytes per message, memory of all reassemblies), a message
 * reported whole is exactly the fragments accepted for it in order, and
 * everything is returned when the SAs go.
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define SLOTS	4

struct shadow {
	const uint8_t	*s_data[FRAG_MAX_FRAGS];
	size_t		 s_len[FRAG_MAX_FRAGS];
};

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	static uint8_t		 out[FRAG_MAX_TOTAL];
	static struct shadow	 sh[SLOTS];
	struct frag_reasm	*r[SLOTS] = { NULL };
	const uint8_t		*p = buf, *data;
	size_t			 left = len, dlen, off, i;
	time_t			 now = 0;
	ssize_t			 got;
	uint8_t			 slot, first, msgid;
	uint16_t		 num, total;
	char			 err[256];
	int			 rv, gone;

	memset(sh, 0, sizeof(sh));
	while (left >= 8) {
		slot = p[0] % SLOTS;
		msgid = p[1] % 3;
		num = p[2] % (FRAG_MAX_FRAGS + 3);
		total = p[3] % (FRAG_MAX_FRAGS + 3);
		first = p[4] & 1 ? 35 : 0;
		now += p[5] % 16;
		dlen = ((size_t)p[6] << 8 | p[7]) % 3000;
		p += 8;
		left -= 8;
		if (dlen > left)
			dlen = left;
		data = p;
		p += dlen;
		left -= dlen;

		err[0] = '\0';
		rv = frag_add(&r[slot], msgid, num, total, first,
		    data, dlen, now, &gone, err, sizeof(err));
		if (gone)
			memset(&sh[slot], 0, sizeof(sh[slot]));
		switch (rv) {
		case FRAG_DROP:
			if (err[0] == '\0')
				abort();	/* every refusal says why */
			if (r[slot] == NULL)
				memset(&sh[slot], 0, sizeof(sh[slot]));
			break;
		case FRAG_MORE:
		case FRAG_DONE:
			if (r[slot] == NULL || sh[slot].s_data[num - 1] != NULL)
				abort();
			sh[slot].s_data[num - 1] = data;
			sh[slot].s_len[num - 1] = dlen;
			break;
		case FRAG_DUP:
		case FRAG_STALE:
			if (r[slot] == NULL)
				abort();
			break;
		default:
			abort();
		}
		if (r[slot] != NULL && (r[slot]->fr_have > r[slot]->fr_total ||
		    r[slot]->fr_total > FRAG_MAX_FRAGS ||
		    r[slot]->fr_bytes > FRAG_MAX_TOTAL))
			abort();
		if (frag_mem_used() > FRAG_MEM_MAX)
			abort();
		if (rv != FRAG_DONE)
			continue;
		got = frag_take(r[slot], out, sizeof(out), &first);
		if (got < 0 || (size_t)got != r[slot]->fr_bytes ||
		    first == 0)
			abort();
		for (i = 0, off = 0; i < r[slot]->fr_total; i++) {
			if (sh[slot].s_data[i] == NULL ||
			    memcmp(out + off, sh[slot].s_data[i],
			    sh[slot].s_len[i]) != 0)
				abort();
			off += sh[slot].s_len[i];
		}
		frag_free(&r[slot]);
		memset(&sh[slot], 0, sizeof(sh[slot]));
	}
	for (i = 0; i < SLOTS; i++)
		frag_free(&r[i]);
	if (frag_mem_used() != 0)
		abort();
	return (0);
}
