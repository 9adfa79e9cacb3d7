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

/*
 * Layout of version 1.0.  Every integer is little-endian and of the
 * width given; there is no pointer and no host-dependent field.
 *
 *	header		BLOB_HDR_LEN bytes
 *	section table	BLOB_NSECT entries of BLOB_SECT_LEN bytes, one per
 *			section type, in type order
 *	sections	in type order, each starting on a BLOB_ALIGN
 *			boundary, zero bytes in between
 *	zero padding	up to the next BLOB_ALIGN boundary
 *	digest		SHA-256 of every byte before it (BLOB_DIGEST_LEN)
 *	signature	with BLOB_HF_SIGNED: Ed25519 of every byte before
 *			it, digest included (BLOB_SIG_LEN)
 *
 * Header:
 *	0	8	magic, BLOB_MAGIC
 *	8	u16	major version
 *	10	u16	minor version
 *	12	u32	flags, BLOB_HF_*
 *	16	u32	total length of the blob in bytes
 *	20	u32	number of sections, BLOB_NSECT
 *	24	u64	reserved, zero
 *
 * Section table entry:
 *	0	u16	type, BLOB_S_*
 *	2	u16	reserved, zero
 *	4	u32	count of records
 *	8	u32	offset of the section from the start of the blob
 *	12	u32	length of the section in bytes
 *
 * A string reference (sref) is u32 offset into the string table and u16
 * length; BLOB_SREF_NONE with length 0 stands for "no string" (NULL).
 * A host is u8 kind, u8 af, u8 prefix length, then for HOST_ADDR the
 * address (4 bytes for POL_AF_INET, 16 for POL_AF_INET6), for
 * HOST_RANGE both ends, for HOST_NAME an sref, else nothing.  Records
 * of every section are in BLOB.md.
 */
#define BLOB_HDR_LEN		32
#define BLOB_SECT_LEN		16
#define BLOB_ALIGN		8
#define BLOB_DIGEST_LEN		32
#define BLOB_SIG_LEN		64	/* Ed25519 */

#define BLOB_HF_SIGNED		0x00000001	/* signature follows digest */
#define BLOB_HF_ALL		0x00000001

#define BLOB_S_STRINGS		1	/* string table */
#define BLOB_S_GLOBALS		2	/* one record: "set" options */
#define BLOB_S_USERS		3	/* user records, in config order */
#define BLOB_S_USER_INDEX	4	/* u32 user numbers, sorted by name */
#define BLOB_S_PROPOSALS	5	/* proposal lists, sorted, unique */
#define BLOB_S_POLICIES		6	/* policy records, in config order */
#define BLOB_S_POLICY_INDEX	7	/* u32 number, u32 offset, by name */
#define BLOB_NSECT		7

#define BLOB_SREF_NONE		0xffffffffU
#define BLOB_SREF_LEN		6	/* u32 offset, u16 length */
#define BLOB_GLOBALS_LEN	26
#define BLOB_USER_LEN		(2 * BLOB_SREF_LEN)
#define BLOB_USER_INDEX_LEN	4
#define BLOB_POLICY_INDEX_LEN	8
#define BLOB_XFORM_LEN		5	/* u8 type, u16 id, u16 key length */

struct blob_info {
	uint16_t	 bi_major;
	uint16_t	 bi_minor;
	uint8_t		 bi_digest[32];	/* SHA-256 of the content */
	int		 bi_signed;	/* carries a signature */
	int		 bi_verified;	/* signature checked with a key */
	size_t		 bi_len;
	uint32_t	*bi_index;	/* BLOB_F_INDEX: policy numbers sorted
					   by name, bi_nindex of them; the
					   caller free()s it */
	size_t		 bi_nindex;
};

/*
 * blob_decode flags.  Given a public key, blob_decode accepts only a
 * blob signed with the matching private key.  Without one, a signed
 * blob decodes unverified (bi_signed set, bi_verified not), unless
 * BLOB_F_REQUIRE_SIGNED asks for a verified signature.
 */
#define BLOB_F_REQUIRE_SIGNED	0x01	/* refuse unsigned blobs */
#define BLOB_F_SKIP_DIGEST	0x02	/* tests only: structure checks */
#define BLOB_F_INDEX		0x04	/* fill in bi_index */

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
const struct policy *blob_index_find(const struct policy_set *,
	    const uint32_t *, size_t, const char *);

#endif /* BLOB_H */
