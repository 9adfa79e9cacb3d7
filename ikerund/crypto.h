/*
 * The cryptography of the IKEv2 engine, on OpenSSL 3's EVP interfaces:
 * Diffie-Hellman (RFC 7296, RFC 3526, RFC 5903, RFC 8031), the PRF and
 * prf+ (RFC 7296 2.13), IKE and CHILD SA keys (2.14, 2.17, 2.18), the
 * Encrypted payload (3.14, RFC 5282) and PSK authentication (2.15).
 *
 * Conventions:
 * - Algorithms are IANA IKEv2 transform ids (common/policy.h XF_*); cipher
 *   key lengths are in bits, as in the Key Length attribute.
 * - A function that can fail returns 0 (or a pointer) on success and -1
 *   (or NULL) on any failure, with no partial output: output buffers are
 *   left untouched or wiped, out-lengths unchanged.  crypto_errstr() says
 *   why, for the caller's log line that names the SA; nothing here logs.
 *   Predicates (xform_supported, dh_supported, crypto_memeq) return 1 or
 *   0; length functions return 0 for what is not supported.
 * - "size_t *outlen" is in/out: the size of the buffer on entry, the bytes
 *   written on return.
 * - Key material lives in fixed arrays inside the structs below (no
 *   allocation per SA); the _clear functions and dh_free wipe it.
 * - "ini" selects a side: 1 for the IKE SA's original initiator, 0 for the
 *   original responder.
 */
#ifndef CRYPTO_H
#define CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define CRYPTO_PRF_MAX		64	/* HMAC-SHA2-512: output and key */
#define CRYPTO_INTEG_KEY_MAX	64
#define CRYPTO_ICV_MAX		32
#define CRYPTO_ENCR_KEY_MAX	36	/* AES-256 or ChaCha20 key + salt */
#define CRYPTO_DH_MAX		512	/* MODP-4096 public value */
#define CRYPTO_NONCE_MIN	16	/* RFC 7296 2.10 */
#define CRYPTO_NONCE_MAX	256
#define CRYPTO_NONCE_LEN	32	/* what we send */
#define CRYPTO_PRFPLUS_BLOCKS	255	/* prf+ counter is one octet */

#define IKE_HDR_LEN		28	/* RFC 7296 3.1 */
#define IKE_HDR_LENGTH_OFF	24	/* its Length field */
#define IKE_SPI_LEN		8

/* A negotiated IKE SA transform set. */
struct ike_suite {
	uint16_t	 is_encr;	/* ENCR id */
	uint16_t	 is_encr_bits;	/* Key Length attribute */
	uint16_t	 is_integ;	/* INTEG id, 0 with an AEAD cipher */
	uint16_t	 is_prf;
	uint16_t	 is_dh;		/* not used for keys; for the record */
};

/* The keys of an IKE SA (RFC 7296 2.14), and what the SK payload needs. */
struct ike_keys {
	uint16_t	 ik_prf;
	uint16_t	 ik_encr;
	uint16_t	 ik_encr_bits;
	uint16_t	 ik_integ;	/* 0 with an AEAD cipher */
	uint8_t		 ik_prflen;	/* SK_d, SK_pi, SK_pr */
	uint8_t		 ik_alen;	/* SK_ai, SK_ar; 0 with AEAD */
	uint8_t		 ik_elen;	/* SK_ei, SK_er, salt included */
	uint8_t		 ik_saltlen;	/* 4 with AEAD (RFC 5282), else 0 */
	uint8_t		 ik_ivlen;	/* IV in the SK payload */
	uint8_t		 ik_blocklen;	/* padding unit */
	uint8_t		 ik_icvlen;
	uint8_t		 ik_aead;
	uint8_t		 ik_d[CRYPTO_PRF_MAX];
	uint8_t		 ik_ai[CRYPTO_INTEG_KEY_MAX];
	uint8_t		 ik_ar[CRYPTO_INTEG_KEY_MAX];
	uint8_t		 ik_ei[CRYPTO_ENCR_KEY_MAX];
	uint8_t		 ik_er[CRYPTO_ENCR_KEY_MAX];
	uint8_t		 ik_pi[CRYPTO_PRF_MAX];
	uint8_t		 ik_pr[CRYPTO_PRF_MAX];
};

/*
 * The keys of a CHILD SA (RFC 7296 2.17) in the form XFRM takes them: the
 * encryption key with its salt or nonce appended (RFC 4106, RFC 3686,
 * RFC 7634), the integrity key full length.
 */
struct child_keys {
	uint16_t	 ck_encr;	/* ENCR id, 0 for AH */
	uint16_t	 ck_encr_bits;
	uint16_t	 ck_integ;	/* INTEG id, 0 with AEAD */
	uint8_t		 ck_elen;	/* salt included */
	uint8_t		 ck_saltlen;
	uint8_t		 ck_alen;
	uint8_t		 ck_icvlen;	/* bytes: AEAD tag or truncated MAC */
	uint8_t		 ck_ei[CRYPTO_ENCR_KEY_MAX];	/* initiator to */
	uint8_t		 ck_ai[CRYPTO_INTEG_KEY_MAX];	/* responder */
	uint8_t		 ck_er[CRYPTO_ENCR_KEY_MAX];	/* responder to */
	uint8_t		 ck_ar[CRYPTO_INTEG_KEY_MAX];	/* initiator */
};

struct dh;

/* crypto.c: setup, errors, algorithms */
int		 crypto_init(void);
const char	*crypto_errstr(void);
int		 xform_supported(uint8_t, uint16_t, uint16_t, uint8_t);
int		 crypto_memeq(const void *, size_t, const void *, size_t);

/* crypto.c: randomness */
int		 crypto_random_bytes(uint8_t *, size_t);
int		 crypto_random_ike_spi(uint8_t [IKE_SPI_LEN]);
int		 crypto_random_child_spi(uint32_t *);
int		 crypto_random_nonce(uint8_t *, size_t);

/* crypto.c: Diffie-Hellman */
int		 dh_supported(uint16_t);
size_t		 dh_publen(uint16_t);
size_t		 dh_secretlen(uint16_t);
struct dh	*dh_new(uint16_t);
uint16_t	 dh_group(const struct dh *);
int		 dh_public(const struct dh *, uint8_t *, size_t *);
int		 dh_derive(struct dh *, const uint8_t *, size_t, uint8_t *,
		    size_t *);
void		 dh_free(struct dh *);

/* crypto.c: PRF */
size_t		 prf_len(uint16_t);
int		 prf(uint16_t, const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *, size_t *);
int		 prf_plus(uint16_t, const uint8_t *, size_t, const uint8_t *,
		    size_t, uint8_t *, size_t);

/* crypto.c: IKE SA keys */
int		 ike_skeyseed(uint16_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *, size_t *);
int		 ike_skeyseed_rekey(const struct ike_keys *, const uint8_t *,
		    size_t, const uint8_t *, size_t, const uint8_t *, size_t,
		    uint8_t *, size_t *);
int		 ike_keys_derive(struct ike_keys *, const struct ike_suite *,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t [IKE_SPI_LEN],
		    const uint8_t [IKE_SPI_LEN]);
int		 ike_keys_new(struct ike_keys *, const struct ike_suite *,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t [IKE_SPI_LEN],
		    const uint8_t [IKE_SPI_LEN]);
int		 ike_keys_rekey(struct ike_keys *, const struct ike_suite *,
		    const struct ike_keys *, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t [IKE_SPI_LEN], const uint8_t [IKE_SPI_LEN]);
void		 ike_keys_clear(struct ike_keys *);

/* crypto.c: CHILD SA keys */
int		 child_keys_derive(struct child_keys *,
		    const struct ike_keys *, uint16_t, uint16_t, uint16_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t);
void		 child_keys_clear(struct child_keys *);

/* crypto.c: NAT detection (RFC 7296 2.23) */
#define NAT_HASH_LEN	20
int		 nat_hash(const uint8_t [IKE_SPI_LEN],
		    const uint8_t [IKE_SPI_LEN], const uint8_t *, size_t,
		    uint16_t, uint8_t [NAT_HASH_LEN]);

/* crypto.c: the Encrypted (SK) payload */
size_t		 sk_bodylen(const struct ike_keys *, size_t);
int		 sk_encrypt(const struct ike_keys *, int, const uint8_t *,
		    size_t, uint8_t *, size_t, size_t, size_t, size_t *);
int		 sk_decrypt(const struct ike_keys *, int, uint8_t *, size_t,
		    size_t, size_t, size_t *, size_t *);

/* crypto.c: PSK authentication */
int		 psk_auth(const struct ike_keys *, int, const uint8_t *,
		    size_t, const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, uint8_t *, size_t *);
int		 psk_auth_verify(const struct ike_keys *, int,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t, const uint8_t *, size_t,
		    const uint8_t *, size_t);

#endif /* CRYPTO_H */
