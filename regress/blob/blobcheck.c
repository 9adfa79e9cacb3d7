/*
 * blobcheck: drive the blob decoder from the regress suite.
 *
 *	blobcheck [-irs] [-p pubkey] blob	decode; "ok DIGEST" or the error
 *	blobcheck -R blob			decode, encode again, compare
 *	blobcheck -T blob			every truncation is refused
 *	blobcheck -F [-s] blob			every single-bit flip: refused,
 *						or (with -s, which skips the
 *						digest check) decodes to a
 *						set that encodes to the same
 *						content
 *
 * -i: look every policy up through the index; -r: require a signature;
 * -s: skip the digest check (BLOB_F_SKIP_DIGEST).  Every decode reads
 * from a heap copy of exactly the bytes given, so that a sanitizer sees
 * any read past them.  Exit 0: as expected; 1: not; 2: usage or I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "util.h"

static __dead void
usage(void)
{
	fprintf(stderr, "usage: blobcheck [-irs] [-p pubkey] blob\n"
	    "       blobcheck -R | -T | -F [-s] blob\n");
	exit(2);
}

/* Decode a private copy of len bytes; 0 decoded, -1 refused. */
static int
decode_copy(const uint8_t *buf, size_t len, const char *pubkey, int flags,
    struct policy_set **psp, struct blob_info *bi, char *err, size_t errlen)
{
	uint8_t	*copy;
	int	 r;

	if ((copy = malloc(len == 0 ? 1 : len)) == NULL) {
		fprintf(stderr, "blobcheck: out of memory\n");
		exit(2);
	}
	memcpy(copy, buf, len);
	r = blob_decode(copy, len, pubkey, flags, psp, bi, err, errlen);
	freezero(copy, len == 0 ? 1 : len);
	return (r);
}

/* The length of the content (what the digest covers) of a blob. */
static size_t
content_len(const uint8_t *buf, size_t len)
{
	size_t	 tail = BLOB_DIGEST_LEN;

	if (len >= BLOB_HDR_LEN && (buf[12] & BLOB_HF_SIGNED))
		tail += BLOB_SIG_LEN;
	return (len >= tail ? len - tail : 0);
}

static int
check_one(const uint8_t *buf, size_t len, const char *pubkey, int flags,
    int index)
{
	struct policy_set	*ps;
	struct blob_info	 bi;
	const struct policy	*pol;
	char			 err[512], hex[2 * BLOB_DIGEST_LEN + 1];
	size_t			 i;

	if (decode_copy(buf, len, pubkey, flags | (index ? BLOB_F_INDEX : 0),
	    &ps, &bi, err, sizeof(err)) == -1) {
		printf("refused: %s\n", err);
		return (1);
	}
	if (index) {
		for (i = 0; i < ps->ps_npolicies; i++) {
			pol = blob_index_find(ps, bi.bi_index, bi.bi_nindex,
			    ps->ps_policies[i].pol_name);
			if (pol != &ps->ps_policies[i]) {
				printf("index: policy %zu not found\n", i);
				return (1);
			}
		}
		if (blob_index_find(ps, bi.bi_index, bi.bi_nindex,
		    "no such policy \x01") != NULL) {
			printf("index: found a policy that is not there\n");
			return (1);
		}
		free(bi.bi_index);
	}
	blob_digest_hex(&bi, hex, sizeof(hex));
	printf("ok %s version %u.%u %zu bytes, %zu users, %zu policies%s%s\n",
	    hex, bi.bi_major, bi.bi_minor, bi.bi_len, ps->ps_nusers,
	    ps->ps_npolicies, bi.bi_signed ? ", signed" : "",
	    bi.bi_verified ? ", verified" : "");
	policy_set_free(ps);
	return (0);
}

/* Decode, encode again (unsigned): the same bytes as an unsigned blob. */
static int
check_reencode(const uint8_t *buf, size_t len)
{
	struct policy_set	*ps;
	uint8_t			*out = NULL;
	size_t			 outlen = 0;
	char			 err[512];
	int			 r = 1;

	if (decode_copy(buf, len, NULL, 0, &ps, NULL, err,
	    sizeof(err)) == -1) {
		printf("refused: %s\n", err);
		return (1);
	}
	if (blob_encode(ps, NULL, &out, &outlen, err, sizeof(err)) == -1)
		printf("encode: %s\n", err);
	else if (outlen != len || memcmp(out, buf, len) != 0)
		printf("re-encoded blob differs (%zu bytes, was %zu)\n",
		    outlen, len);
	else {
		printf("ok re-encoded to the same %zu bytes\n", len);
		r = 0;
	}
	freezero(out, outlen);
	policy_set_free(ps);
	return (r);
}

static int
check_truncations(const uint8_t *buf, size_t len)
{
	struct policy_set	*ps;
	char			 err[512];
	size_t			 n;

	for (n = 0; n < len; n++) {
		if (decode_copy(buf, n, NULL, BLOB_F_SKIP_DIGEST, &ps, NULL,
		    err, sizeof(err)) == 0) {
			printf("truncation to %zu bytes decodes\n", n);
			policy_set_free(ps);
			return (1);
		}
	}
	printf("ok %zu truncations refused\n", len);
	return (0);
}

static int
check_flips(const uint8_t *buf, size_t len, int skip)
{
	struct policy_set	*ps;
	uint8_t			*flip, *out;
	size_t			 outlen, content, bit, refused = 0;
	size_t			 decoded = 0;
	char			 err[512];
	int			 r = 0;

	if ((flip = malloc(len)) == NULL)
		return (2);
	memcpy(flip, buf, len);
	for (bit = 0; bit < 8 * len; bit++) {
		flip[bit / 8] ^= 1 << (bit % 8);
		if (decode_copy(flip, len, NULL, skip ? BLOB_F_SKIP_DIGEST :
		    0, &ps, NULL, err, sizeof(err)) == -1)
			refused++;
		else if (!skip) {
			printf("flip of bit %zu (byte %zu) decodes\n", bit,
			    bit / 8);
			policy_set_free(ps);
			r = 1;
		} else {
			/* what decodes must be what the encoder writes */
			decoded++;
			content = content_len(flip, len);
			if (blob_encode(ps, NULL, &out, &outlen, err,
			    sizeof(err)) == -1) {
				printf("flip of bit %zu decodes but does not "
				    "encode: %s\n", bit, err);
				r = 1;
			} else {
				if (content_len(out, outlen) != content ||
				    memcmp(out, flip, content) != 0 ||
				    (flip[12] & BLOB_HF_SIGNED) != 0) {
					printf("flip of bit %zu (byte %zu) "
					    "decodes to a set that encodes "
					    "differently\n", bit, bit / 8);
					r = 1;
				}
				freezero(out, outlen);
			}
			policy_set_free(ps);
		}
		flip[bit / 8] ^= 1 << (bit % 8);
	}
	free(flip);
	printf("%s %zu flips: %zu refused, %zu decoded to a canonical "
	    "blob\n", r == 0 ? "ok" : "not ok", 8 * len, refused, decoded);
	return (r);
}

int
main(int argc, char *argv[])
{
	const char	*pubkey = NULL;
	uint8_t		*buf;
	size_t		 len;
	char		 err[512];
	int		 ch, flags = 0, index = 0, mode = 0, r;

	while ((ch = getopt(argc, argv, "FirRsTp:")) != -1) {
		switch (ch) {
		case 'F':
		case 'R':
		case 'T':
			mode = ch;
			break;
		case 'i':
			index = 1;
			break;
		case 'p':
			pubkey = optarg;
			break;
		case 'r':
			flags |= BLOB_F_REQUIRE_SIGNED;
			break;
		case 's':
			flags |= BLOB_F_SKIP_DIGEST;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage();
	if (blob_read_file(argv[0], &buf, &len, err, sizeof(err)) == -1) {
		fprintf(stderr, "blobcheck: %s\n", err);
		return (2);
	}
	switch (mode) {
	case 'R':
		r = check_reencode(buf, len);
		break;
	case 'T':
		r = check_truncations(buf, len);
		break;
	case 'F':
		r = check_flips(buf, len, (flags & BLOB_F_SKIP_DIGEST) != 0);
		break;
	default:
		r = check_one(buf, len, pubkey, flags, index);
		break;
	}
	freezero(buf, len);
	return (r);
}
