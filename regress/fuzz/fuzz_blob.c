/*
 * libFuzzer target for the blob decoder ("make fuzz").  Any input must
 * decode cleanly or be refused; what decodes must encode back to the
 * same content.  Most inputs cannot carry a right SHA-256 digest, so
 * the structural and semantic checks run with BLOB_F_SKIP_DIGEST; the
 * full check (digest included) runs too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "util.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Bytes covered by the digest, and the header fields signing changes. */
static size_t
content_len(const uint8_t *buf, size_t len)
{
	size_t	 tail = BLOB_DIGEST_LEN;

	if (len >= BLOB_HDR_LEN && (buf[12] & BLOB_HF_SIGNED))
		tail += BLOB_SIG_LEN;
	return (len >= tail ? len - tail : 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_set	*ps;
	struct blob_info	 bi;
	uint8_t			*out;
	size_t			 outlen, content;
	char			 err[512];

	if (blob_decode(data, size, NULL, 0, &ps, NULL, err,
	    sizeof(err)) == 0)
		policy_set_free(ps);
	if (blob_decode(data, size, NULL, BLOB_F_SKIP_DIGEST | BLOB_F_INDEX,
	    &ps, &bi, err, sizeof(err)) == -1)
		return (0);
	if (blob_encode(ps, NULL, &out, &outlen, err, sizeof(err)) == -1)
		abort();	/* decoded, so it must encode */
	content = content_len(data, size);
	if (content_len(out, outlen) != content ||
	    memcmp(out, data, 12) != 0 ||
	    memcmp(out + 20, data + 20, content - 20) != 0)
		abort();	/* not canonical: the decoder let it through */
	if (bi.bi_nindex > 0 && blob_index_find(ps, bi.bi_index,
	    bi.bi_nindex, ps->ps_policies[0].pol_name) !=
	    &ps->ps_policies[0])
		abort();
	free(bi.bi_index);
	freezero(out, outlen);
	policy_set_free(ps);
	return (0);
}
