/*
 * The policy blob: the binary form of a policy set, written by ikecc and
 * loaded by ikerund, ikectl and "ikecc -d".  This header is the only
 * definition of the format; BLOB.md beside it explains it for anyone
 * writing another reader.
 */
#ifndef BLOB_H
#define BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "policy.h"

#define BLOB_MAGIC		"IKEPBLOB"	/* 8 bytes, no NUL */
#define BLOB_MAJOR		1
#define BLOB_MINOR		0
#define BLOB_MAX_SIZE		(1024UL * 1024 * 1024)	/* 1 GiB */

struct blob_info {
	uint16_t	 bi_major;
	uint16_t	 bi_minor;
	uint8_t		 bi_digest[32];	/* SHA-256 of the content */
	int		 bi_signed;	/* carries a signature */
	int		 bi_verified;	/* signature checked with a key */
	size_t		 bi_len;
};

/* blob_decode flags */
#define BLOB_F_REQUIRE_SIGNED	0x01	/* refuse unsigned blobs */
#define BLOB_F_SKIP_DIGEST	0x02	/* tests only: structure checks */

/* blob.c */
int	 blob_encode(const struct policy_set *, const char *, uint8_t **,
	    size_t *, char *, size_t);
int	 blob_decode(const uint8_t *, size_t, const char *, int,
	    struct policy_set **, struct blob_info *, char *, size_t);
int	 blob_write_file(const struct policy_set *, const char *,
	    const char *, char *, size_t);
int	 blob_read_file(const char *, uint8_t **, size_t *, char *, size_t);
int	 blob_read_fd(int, uint8_t **, size_t *, char *, size_t);
void	 blob_digest_hex(const struct blob_info *, char *, size_t);

#endif /* BLOB_H */
