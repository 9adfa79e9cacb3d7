/*
 * The cryptography of the IKEv2 engine; see crypto.h for the conventions.
 *
 * OpenSSL objects that are costly to make (fetched MACs and ciphers, one
 * keyed-less HMAC context per digest, one key generation context per DH
 * group) are made once, by crypto_init() before the ikev2 process chroots
 * or on first use, and reused: the daemon has one thread.
 */
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include "policy.h"
#include "util.h"
#include "crypto.h"

#define AES_BLOCK	16
#define GCM_IV_LEN	8	/* explicit IV in the SK payload, RFC 5282 */
#define AEAD_SALT_LEN	4
#define KEY_PAD		"Key Pad for IKEv2"	/* RFC 7296 2.15 */
#define IKE_KEYMAT_MAX	(3 * CRYPTO_PRF_MAX + 2 * CRYPTO_INTEG_KEY_MAX + \
			    2 * CRYPTO_ENCR_KEY_MAX)
#define CHILD_KEYMAT_MAX (2 * (CRYPTO_ENCR_KEY_MAX + CRYPTO_INTEG_KEY_MAX))

/* Digests behind the HMAC PRFs and integrity algorithms. */
enum md {
	MD_MD5 = 0,
	MD_SHA1,
	MD_SHA256,
	MD_SHA384,
	MD_SHA512,
	MD_MAX
};

static const char *const md_names[MD_MAX] = {
	"MD5", "SHA1", "SHA2-256", "SHA2-384", "SHA2-512"
};

struct prf_alg {
	uint16_t	 pa_id;
	uint8_t		 pa_md;
	uint8_t		 pa_len;	/* output, and preferred key length */
};

static const struct prf_alg prf_algs[] = {
	{ 2,	MD_SHA1,	20 },	/* PRF_HMAC_SHA1 */
	{ 5,	MD_SHA256,	32 },	/* PRF_HMAC_SHA2_256 */
	{ 6,	MD_SHA384,	48 },	/* PRF_HMAC_SHA2_384 */
	{ 7,	MD_SHA512,	64 },	/* PRF_HMAC_SHA2_512 */
};

struct integ_alg {
	uint16_t	 ia_id;
	uint8_t		 ia_md;
	uint8_t		 ia_keylen;
	uint8_t		 ia_icvlen;
	uint8_t		 ia_ike;	/* usable for the SK payload */
};

static const struct integ_alg integ_algs[] = {
	{ 1,	MD_MD5,		16, 12, 0 },	/* AUTH_HMAC_MD5_96, ESP/AH */
	{ 2,	MD_SHA1,	20, 12, 1 },	/* AUTH_HMAC_SHA1_96 */
	{ 12,	MD_SHA256,	32, 16, 1 },	/* AUTH_HMAC_SHA2_256_128 */
	{ 13,	MD_SHA384,	48, 24, 1 },	/* AUTH_HMAC_SHA2_384_192 */
	{ 14,	MD_SHA512,	64, 32, 1 },	/* AUTH_HMAC_SHA2_512_256 */
};

/* Cipher kinds: what sk_encrypt does with them, or ESP only. */
enum encr_kind {
	ENCR_K_CBC = 0,		/* AES-CBC: IKE and ESP */
	ENCR_K_GCM,		/* AES-GCM: IKE and ESP */
	ENCR_K_ESP		/* key lengths for XFRM only */
};

struct encr_alg {
	uint16_t	 ea_id;
	uint8_t		 ea_kind;
	uint8_t		 ea_aes;	/* key length attribute 128/192/256 */
	uint8_t		 ea_keylen;	/* fixed key length when !ea_aes */
	uint8_t		 ea_saltlen;
	uint8_t		 ea_icvlen;	/* AEAD tag; 0 when not AEAD */
};

static const struct encr_alg encr_algs[] = {
	{ 3,	ENCR_K_ESP,	0, 24, 0, 0 },	/* ENCR_3DES */
	{ 11,	ENCR_K_ESP,	0, 0,  0, 0 },	/* ENCR_NULL */
	{ 12,	ENCR_K_CBC,	1, 0,  0, 0 },	/* ENCR_AES_CBC */
	{ 13,	ENCR_K_ESP,	1, 0,  4, 0 },	/* ENCR_AES_CTR, RFC 3686 */
	{ 18,	ENCR_K_GCM,	1, 0,  4, 8 },	/* ENCR_AES_GCM_8 */
	{ 19,	ENCR_K_GCM,	1, 0,  4, 12 },	/* ENCR_AES_GCM_12 */
	{ 20,	ENCR_K_GCM,	1, 0,  4, 16 },	/* ENCR_AES_GCM_16 */
	{ 21,	ENCR_K_ESP,	1, 0,  4, 16 },	/* ENCR_NULL_AUTH_AES_GMAC */
	{ 28,	ENCR_K_ESP,	0, 32, 4, 16 },	/* ENCR_CHACHA20_POLY1305 */
};

enum dh_kind {
	DH_MODP = 0,
	DH_ECP,
	DH_X25519
};

struct dh_alg {
	uint16_t	 da_id;
	uint8_t		 da_kind;
	const char	*da_name;	/* OpenSSL's group name */
	uint16_t	 da_publen;	/* KE payload data */
	uint16_t	 da_secretlen;	/* g^ir */
};

static const struct dh_alg dh_algs[] = {
	{ 14,	DH_MODP,	"modp_2048",	256,	256 },
	{ 15,	DH_MODP,	"modp_3072",	384,	384 },
	{ 16,	DH_MODP,	"modp_4096",	512,	512 },
	{ 19,	DH_ECP,		"P-256",	64,	32 },
	{ 20,	DH_ECP,		"P-384",	96,	48 },
	{ 21,	DH_ECP,		"P-521",	132,	66 },
	{ 31,	DH_X25519,	"X25519",	32,	32 },
};

struct dh {
	const struct dh_alg	*dh_alg;
	EVP_PKEY		*dh_key;
	uint8_t			 dh_pub[CRYPTO_DH_MAX];
};

/* Made once, kept for the life of the process. */
static EVP_MAC		*hmac;
static EVP_MAC_CTX	*hmac_tmpl[MD_MAX];	/* digest set, no key */
static EVP_CIPHER	*aes_cbc[3], *aes_gcm[3];	/* 128, 192, 256 */
static EVP_PKEY_CTX	*dh_keygen[nitems(dh_algs)];

static char		 crypto_err[320];

static int	 crypto_fail(const char *, ...)
		    __attribute__((__format__(printf, 1, 2)));
static const struct prf_alg *prf_find(uint16_t);
static const struct integ_alg *integ_find(uint16_t);
static const struct encr_alg *encr_find(uint16_t);
static const struct dh_alg *dh_find(uint16_t);
static int	 encr_keylen(const struct encr_alg *, uint16_t, size_t *);
static EVP_MAC_CTX *mac_tmpl(enum md);
static EVP_MAC_CTX *mac_new(enum md, const uint8_t *, size_t);
static int	 mac_iov(enum md, const uint8_t *, size_t,
		    const struct iovec *, int, uint8_t *, size_t *);
static int	 prf_iov(const struct prf_alg *, const uint8_t *, size_t,
		    const struct iovec *, int, uint8_t *);
static int	 prf_plus_iov(const struct prf_alg *, const uint8_t *,
		    size_t, const struct iovec *, int, uint8_t *, size_t);
static const EVP_CIPHER *aes_get(enum encr_kind, uint16_t);
static EVP_PKEY_CTX *dh_keygen_get(size_t);
static EVP_PKEY	*dh_peer_key(const struct dh *, const uint8_t *, size_t);
static int	 nonces_check(const char *, size_t, size_t);
static int	 suite_setup(struct ike_keys *, const struct ike_suite *);
static void	 put16(uint8_t *, size_t);
static void	 put32(uint8_t *, size_t);
static uint32_t	 get32(const uint8_t *);
static int	 sk_cbc_encrypt(const struct ike_keys *, int,
		    const uint8_t *, size_t, uint8_t *, size_t, size_t);
static int	 sk_gcm_encrypt(const struct ike_keys *, int,
		    const uint8_t *, size_t, uint8_t *, size_t, size_t);

/*
 * Errors.
 */

/*
 * Records why a call failed, with OpenSSL's reason when it has one (and
 * empties OpenSSL's error queue, so that it never speaks of an old
 * failure).  Returns -1 for "return (crypto_fail(...));".
 */
static int
crypto_fail(const char *fmt, ...)
{
	va_list		 ap;
	unsigned long	 e, last = 0;
	const char	*reason;
	int		 n;

	va_start(ap, fmt);
	n = vsnprintf(crypto_err, sizeof(crypto_err), fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last != 0 && n >= 0 && (size_t)n < sizeof(crypto_err) &&
	    (reason = ERR_reason_error_string(last)) != NULL)
		snprintf(crypto_err + n, sizeof(crypto_err) - n, " (%s)",
		    reason);
	return (-1);
}

/* Why the last call that failed did. */
const char *
crypto_errstr(void)
{
	return (crypto_err[0] != '\0' ? crypto_err : "no error");
}

/*
 * Fetches every algorithm and makes every context the engine can need, so
 * that nothing is loaded after the ikev2 process has chrooted.
 */
int
crypto_init(void)
{
	static const uint16_t	 bits[] = { 128, 192, 256 };
	uint8_t			 b;
	size_t			 i;

	for (i = 0; i < MD_MAX; i++)
		if (mac_tmpl(i) == NULL)
			return (-1);
	for (i = 0; i < nitems(bits); i++)
		if (aes_get(ENCR_K_CBC, bits[i]) == NULL ||
		    aes_get(ENCR_K_GCM, bits[i]) == NULL)
			return (-1);
	for (i = 0; i < nitems(dh_algs); i++)
		if (dh_keygen_get(i) == NULL)
			return (-1);
	/* seeds the DRBG now, with the files it may want still in reach */
	return (crypto_random_bytes(&b, sizeof(b)));
}

/*
 * Algorithms.
 */

static const struct prf_alg *
prf_find(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < nitems(prf_algs); i++)
		if (prf_algs[i].pa_id == id)
			return (&prf_algs[i]);
	return (NULL);
}

static const struct integ_alg *
integ_find(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < nitems(integ_algs); i++)
		if (integ_algs[i].ia_id == id)
			return (&integ_algs[i]);
	return (NULL);
}

static const struct encr_alg *
encr_find(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < nitems(encr_algs); i++)
		if (encr_algs[i].ea_id == id)
			return (&encr_algs[i]);
	return (NULL);
}

static const struct dh_alg *
dh_find(uint16_t id)
{
	size_t	 i;

	for (i = 0; i < nitems(dh_algs); i++)
		if (dh_algs[i].da_id == id)
			return (&dh_algs[i]);
	return (NULL);
}

/* The cipher key length in bytes, without salt, for a Key Length. */
static int
encr_keylen(const struct encr_alg *ea, uint16_t bits, size_t *len)
{
	if (ea->ea_aes) {
		if (bits != 128 && bits != 192 && bits != 256)
			return (crypto_fail("ENCR %u: key length %u is not "
			    "128, 192 or 256", ea->ea_id, bits));
		*len = bits / 8;
		return (0);
	}
	if (bits != 0 && bits != ea->ea_keylen * 8)
		return (crypto_fail("ENCR %u: key length %u given, the "
		    "cipher's is %u", ea->ea_id, bits, ea->ea_keylen * 8));
	*len = ea->ea_keylen;
	return (0);
}

/*
 * Whether we can do transform (type, id, key length in bits) for protocol
 * proto (PROTO_IKE, PROTO_ESP, PROTO_AH).  Proposal selection must not
 * choose what this refuses.
 */
int
xform_supported(uint8_t type, uint16_t id, uint16_t bits, uint8_t proto)
{
	const struct encr_alg	*ea;
	const struct integ_alg	*ia;
	size_t			 len;
	int			 ike = proto == PROTO_IKE;

	switch (type) {
	case XF_ENCR:
		if (proto == PROTO_AH || (ea = encr_find(id)) == NULL)
			return (0);
		if (ike && ea->ea_kind == ENCR_K_ESP)
			return (0);
		return (encr_keylen(ea, bits, &len) == 0);
	case XF_PRF:
		return (ike && prf_find(id) != NULL);
	case XF_INTEG:
		if (!ike && id == 0)
			return (1);
		if ((ia = integ_find(id)) == NULL)
			return (0);
		return (!ike || ia->ia_ike);
	case XF_DH:
		return (dh_supported(id) || (!ike && id == 0));
	case XF_ESN:
		return (!ike && (id == 0 || id == 1));
	}
	return (0);
}

/* Constant-time comparison: 1 when equal (lengths too), else 0. */
int
crypto_memeq(const void *a, size_t alen, const void *b, size_t blen)
{
	if (alen != blen)
		return (0);
	if (alen == 0)
		return (1);
	return (CRYPTO_memcmp(a, b, alen) == 0);
}

/*
 * Randomness.
 */

int
crypto_random_bytes(uint8_t *buf, size_t len)
{
	if (len > INT_MAX)
		return (crypto_fail("random: %zu bytes asked", len));
	if (len > 0 && RAND_bytes(buf, (int)len) != 1)
		return (crypto_fail("random: RAND_bytes failed"));
	return (0);
}

/* An IKE SPI: random and never zero (zero means "not known yet"). */
int
crypto_random_ike_spi(uint8_t spi[IKE_SPI_LEN])
{
	static const uint8_t	 zero[IKE_SPI_LEN];
	uint8_t			 s[IKE_SPI_LEN];

	do {
		if (crypto_random_bytes(s, sizeof(s)) == -1)
			return (-1);
	} while (memcmp(s, zero, sizeof(s)) == 0);
	memcpy(spi, s, sizeof(s));
	return (0);
}

/* An ESP/AH SPI, host order, never in the reserved range 0-255. */
int
crypto_random_child_spi(uint32_t *spi)
{
	uint8_t		 s[4];
	uint32_t	 v;

	do {
		if (crypto_random_bytes(s, sizeof(s)) == -1)
			return (-1);
		v = get32(s);
	} while (v < 256);
	*spi = v;
	return (0);
}

int
crypto_random_nonce(uint8_t *buf, size_t len)
{
	if (len < CRYPTO_NONCE_MIN || len > CRYPTO_NONCE_MAX)
		return (crypto_fail("nonce: length %zu is not in %d-%d",
		    len, CRYPTO_NONCE_MIN, CRYPTO_NONCE_MAX));
	return (crypto_random_bytes(buf, len));
}

/*
 * Diffie-Hellman.
 */

int
dh_supported(uint16_t group)
{
	return (dh_find(group) != NULL);
}

/* Length of the KE payload data of a group; 0 when unsupported. */
size_t
dh_publen(uint16_t group)
{
	const struct dh_alg	*da;

	return ((da = dh_find(group)) != NULL ? da->da_publen : 0);
}

/* Length of the shared secret g^ir of a group; 0 when unsupported. */
size_t
dh_secretlen(uint16_t group)
{
	const struct dh_alg	*da;

	return ((da = dh_find(group)) != NULL ? da->da_secretlen : 0);
}

/* The key generation context of dh_algs[i], made on first use. */
static EVP_PKEY_CTX *
dh_keygen_get(size_t i)
{
	const struct dh_alg	*da = &dh_algs[i];
	EVP_PKEY_CTX		*ctx;
	OSSL_PARAM		 p[2];
	const char		*type;

	if (dh_keygen[i] != NULL)
		return (dh_keygen[i]);
	switch (da->da_kind) {
	case DH_MODP:
		type = "DH";
		break;
	case DH_ECP:
		type = "EC";
		break;
	default:
		type = da->da_name;
		break;
	}
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL)) == NULL ||
	    EVP_PKEY_keygen_init(ctx) != 1) {
		EVP_PKEY_CTX_free(ctx);
		crypto_fail("DH group %u: no %s key generation", da->da_id,
		    type);
		return (NULL);
	}
	if (da->da_kind != DH_X25519) {
		p[0] = OSSL_PARAM_construct_utf8_string(
		    OSSL_PKEY_PARAM_GROUP_NAME, (char *)da->da_name, 0);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, p) != 1) {
			EVP_PKEY_CTX_free(ctx);
			crypto_fail("DH group %u: OpenSSL has no group %s",
			    da->da_id, da->da_name);
			return (NULL);
		}
	}
	dh_keygen[i] = ctx;
	return (ctx);
}

/*
 * A fresh key pair for group, its public value ready for the KE payload.
 * NULL with errno EOPNOTSUPP when the group is not one we do (dh_supported
 * tells beforehand), else with errno EIO.
 */
struct dh *
dh_new(uint16_t group)
{
	const struct dh_alg	*da;
	struct dh		*dh;
	EVP_PKEY_CTX		*kg;
	BIGNUM			*y = NULL;
	uint8_t			 pt[1 + CRYPTO_DH_MAX];
	size_t			 len;

	if ((da = dh_find(group)) == NULL) {
		crypto_fail("DH group %u is not supported", group);
		errno = EOPNOTSUPP;
		return (NULL);
	}
	if ((kg = dh_keygen_get(da - dh_algs)) == NULL) {
		errno = EIO;
		return (NULL);
	}
	if ((dh = calloc(1, sizeof(*dh))) == NULL) {
		crypto_fail("DH group %u: out of memory", group);
		errno = ENOMEM;
		return (NULL);
	}
	dh->dh_alg = da;
	if (EVP_PKEY_keygen(kg, &dh->dh_key) != 1) {
		crypto_fail("DH group %u: key generation failed", group);
		goto fail;
	}
	switch (da->da_kind) {
	case DH_MODP:
		if (EVP_PKEY_get_bn_param(dh->dh_key, OSSL_PKEY_PARAM_PUB_KEY,
		    &y) != 1 ||
		    BN_bn2binpad(y, dh->dh_pub, da->da_publen) !=
		    da->da_publen) {
			crypto_fail("DH group %u: no public value", group);
			goto fail;
		}
		break;
	case DH_ECP:
		/* X9.62 uncompressed, 04 | x | y, to RFC 5903's x | y */
		if (EVP_PKEY_get_octet_string_param(dh->dh_key,
		    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt),
		    &len) != 1 || len != 1 + (size_t)da->da_publen ||
		    pt[0] != 0x04) {
			crypto_fail("DH group %u: no uncompressed point",
			    group);
			goto fail;
		}
		memcpy(dh->dh_pub, pt + 1, da->da_publen);
		break;
	case DH_X25519:
		len = da->da_publen;
		if (EVP_PKEY_get_raw_public_key(dh->dh_key, dh->dh_pub,
		    &len) != 1 || len != da->da_publen) {
			crypto_fail("DH group %u: no public key", group);
			goto fail;
		}
		break;
	}
	BN_free(y);
	return (dh);

 fail:
	BN_free(y);
	dh_free(dh);
	errno = EIO;
	return (NULL);
}

uint16_t
dh_group(const struct dh *dh)
{
	return (dh->dh_alg->da_id);
}

/* The KE payload data: MODP padded to the prime, ECP x | y, X25519 u. */
int
dh_public(const struct dh *dh, uint8_t *out, size_t *outlen)
{
	size_t	 len = dh->dh_alg->da_publen;

	if (*outlen < len)
		return (crypto_fail("DH group %u: public value needs %zu "
		    "bytes, %zu given", dh->dh_alg->da_id, len, *outlen));
	memcpy(out, dh->dh_pub, len);
	*outlen = len;
	return (0);
}

/*
 * The peer's KE data as a key of our group, validated: exact length; MODP
 * 1 < y < p - 1; ECP coordinates below p, point on the curve and not the
 * point at infinity (which has no x | y form anyway).  OpenSSL checks
 * these as it decodes, EVP_PKEY_public_check_quick once more.
 */
static EVP_PKEY *
dh_peer_key(const struct dh *dh, const uint8_t *peer, size_t len)
{
	const struct dh_alg	*da = dh->dh_alg;
	EVP_PKEY		*pk = NULL;
	EVP_PKEY_CTX		*cc = NULL;
	uint8_t			 pt[1 + CRYPTO_DH_MAX];

	if (len != da->da_publen) {
		crypto_fail("DH group %u: peer's public value has the wrong "
		    "length (%zu != %u)", da->da_id, len, da->da_publen);
		return (NULL);
	}
	/* a key of our type and group: no algorithm fetched by name */
	if ((pk = EVP_PKEY_new()) == NULL ||
	    EVP_PKEY_copy_parameters(pk, dh->dh_key) != 1) {
		crypto_fail("DH group %u: cannot make peer key", da->da_id);
		goto fail;
	}
	if (da->da_kind == DH_ECP) {
		pt[0] = 0x04;
		memcpy(pt + 1, peer, len);
		peer = pt;
		len++;
	}
	if (EVP_PKEY_set1_encoded_public_key(pk, peer, len) != 1) {
		crypto_fail("DH group %u: peer's public value is invalid%s",
		    da->da_id, da->da_kind == DH_ECP ? " (not on the curve)" :
		    da->da_kind == DH_MODP ? " (not in 2..p-2)" : "");
		goto fail;
	}
	/* X25519 takes any u; dh_derive refuses low-order points' zero */
	if (da->da_kind == DH_X25519)
		return (pk);
	if ((cc = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL)) == NULL ||
	    EVP_PKEY_public_check_quick(cc) != 1) {
		crypto_fail("DH group %u: peer's public value fails the "
		    "check", da->da_id);
		goto fail;
	}
	EVP_PKEY_CTX_free(cc);
	return (pk);

 fail:
	EVP_PKEY_CTX_free(cc);
	EVP_PKEY_free(pk);
	return (NULL);
}

/*
 * The shared secret g^ir from the peer's KE data: MODP padded to the
 * length of the prime, ECP the x coordinate padded to the field (RFC 5903
 * 7), X25519 32 bytes and never all zero (RFC 8031 2.2).  The caller owns
 * the secret and wipes it.
 */
int
dh_derive(struct dh *dh, const uint8_t *peer, size_t peerlen, uint8_t *out,
    size_t *outlen)
{
	static const uint8_t	 zero[32];
	const struct dh_alg	*da = dh->dh_alg;
	EVP_PKEY		*pk;
	EVP_PKEY_CTX		*ctx = NULL;
	OSSL_PARAM		 p[2];
	uint8_t			 secret[CRYPTO_DH_MAX];
	size_t			 len = sizeof(secret);
	unsigned int		 pad = 1;
	int			 ret = -1;

	if (*outlen < da->da_secretlen)
		return (crypto_fail("DH group %u: shared secret needs %u "
		    "bytes, %zu given", da->da_id, da->da_secretlen,
		    *outlen));
	if ((pk = dh_peer_key(dh, peer, peerlen)) == NULL)
		return (-1);
	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->dh_key, NULL)) ==
	    NULL || EVP_PKEY_derive_init(ctx) != 1) {
		crypto_fail("DH group %u: no key agreement", da->da_id);
		goto done;
	}
	if (da->da_kind == DH_MODP) {
		p[0] = OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD,
		    &pad);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_PKEY_CTX_set_params(ctx, p) != 1) {
			crypto_fail("DH group %u: cannot pad", da->da_id);
			goto done;
		}
	}
	if (EVP_PKEY_derive_set_peer_ex(ctx, pk, 0) != 1 ||
	    EVP_PKEY_derive(ctx, secret, &len) != 1) {
		crypto_fail("DH group %u: key agreement failed", da->da_id);
		goto done;
	}
	if (len != da->da_secretlen) {
		crypto_fail("DH group %u: shared secret of %zu bytes, not %u",
		    da->da_id, len, da->da_secretlen);
		goto done;
	}
	if (da->da_kind == DH_X25519 &&
	    crypto_memeq(secret, len, zero, sizeof(zero))) {
		crypto_fail("DH group %u: all-zero shared secret (peer sent "
		    "a low-order point)", da->da_id);
		goto done;
	}
	memcpy(out, secret, len);
	*outlen = len;
	ret = 0;
 done:
	explicit_bzero(secret, sizeof(secret));
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return (ret);
}

/* Frees the key pair; OpenSSL clears the private key as it frees it. */
void
dh_free(struct dh *dh)
{
	if (dh == NULL)
		return;
	EVP_PKEY_free(dh->dh_key);
	freezero(dh, sizeof(*dh));
}

/*
 * HMAC and the PRF.
 */

/* The HMAC context of a digest, without key, made on first use. */
static EVP_MAC_CTX *
mac_tmpl(enum md md)
{
	EVP_MAC_CTX	*ctx;
	OSSL_PARAM	 p[2];

	if (hmac_tmpl[md] != NULL)
		return (hmac_tmpl[md]);
	if (hmac == NULL &&
	    (hmac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL) {
		crypto_fail("HMAC: not available");
		return (NULL);
	}
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    (char *)md_names[md], 0);
	p[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_MAC_CTX_new(hmac)) == NULL ||
	    EVP_MAC_CTX_set_params(ctx, p) != 1) {
		EVP_MAC_CTX_free(ctx);
		crypto_fail("HMAC: no digest %s", md_names[md]);
		return (NULL);
	}
	hmac_tmpl[md] = ctx;
	return (ctx);
}

/* An HMAC context keyed with key (which may be empty). */
static EVP_MAC_CTX *
mac_new(enum md md, const uint8_t *key, size_t keylen)
{
	static const uint8_t	 empty[1];
	EVP_MAC_CTX		*tmpl, *ctx;

	if ((tmpl = mac_tmpl(md)) == NULL)
		return (NULL);
	if ((ctx = EVP_MAC_CTX_dup(tmpl)) == NULL ||
	    EVP_MAC_init(ctx, keylen > 0 ? key : empty, keylen, NULL) != 1) {
		EVP_MAC_CTX_free(ctx);
		crypto_fail("HMAC-%s: cannot key", md_names[md]);
		return (NULL);
	}
	return (ctx);
}

/* HMAC(key, iov[0] | ... | iov[n-1]) into out (outsz bytes at least). */
static int
mac_iov(enum md md, const uint8_t *key, size_t keylen,
    const struct iovec *iov, int n, uint8_t *out, size_t *outlen)
{
	EVP_MAC_CTX	*ctx;
	int		 i, ret = -1;

	if ((ctx = mac_new(md, key, keylen)) == NULL)
		return (-1);
	for (i = 0; i < n; i++)
		if (iov[i].iov_len > 0 &&
		    EVP_MAC_update(ctx, iov[i].iov_base, iov[i].iov_len) != 1)
			goto done;
	if (EVP_MAC_final(ctx, out, outlen, *outlen) != 1)
		goto done;
	ret = 0;
 done:
	if (ret == -1)
		crypto_fail("HMAC-%s failed", md_names[md]);
	EVP_MAC_CTX_free(ctx);
	return (ret);
}

/* prf(key, iov...) into out, which has room for pa_len bytes. */
static int
prf_iov(const struct prf_alg *pa, const uint8_t *key, size_t keylen,
    const struct iovec *iov, int n, uint8_t *out)
{
	uint8_t		 t[EVP_MAX_MD_SIZE];
	size_t		 len = sizeof(t);
	int		 ret = -1;

	if (mac_iov(pa->pa_md, key, keylen, iov, n, t, &len) == 0 &&
	    len == pa->pa_len) {
		memcpy(out, t, len);
		ret = 0;
	}
	explicit_bzero(t, sizeof(t));
	return (ret);
}

/* The output (and preferred key) length of a PRF; 0: unsupported. */
size_t
prf_len(uint16_t id)
{
	const struct prf_alg	*pa;

	return ((pa = prf_find(id)) != NULL ? pa->pa_len : 0);
}

/* prf(key, data), RFC 7296 2.13. */
int
prf(uint16_t id, const uint8_t *key, size_t keylen, const uint8_t *data,
    size_t datalen, uint8_t *out, size_t *outlen)
{
	const struct prf_alg	*pa;
	struct iovec		 iov;

	if ((pa = prf_find(id)) == NULL)
		return (crypto_fail("PRF %u is not supported", id));
	if (*outlen < pa->pa_len)
		return (crypto_fail("PRF %u: output needs %u bytes, %zu "
		    "given", id, pa->pa_len, *outlen));
	iov.iov_base = (void *)data;
	iov.iov_len = datalen;
	if (prf_iov(pa, key, keylen, &iov, 1, out) == -1)
		return (-1);
	*outlen = pa->pa_len;
	return (0);
}

/*
 * prf+ (RFC 7296 2.13): T1 | T2 | ... cut to outlen, where
 * T1 = prf(K, S | 0x01) and Tn = prf(K, Tn-1 | S | n), n at most 255.
 */
static int
prf_plus_iov(const struct prf_alg *pa, const uint8_t *key, size_t keylen,
    const struct iovec *seed, int nseed, uint8_t *out, size_t outlen)
{
	EVP_MAC_CTX	*ctx;
	uint8_t		 t[EVP_MAX_MD_SIZE], n;
	size_t		 off, len, tlen = 0;
	int		 i, ret = -1;

	if (outlen > (size_t)CRYPTO_PRFPLUS_BLOCKS * pa->pa_len)
		return (crypto_fail("prf+: %zu bytes asked, %u blocks of %u "
		    "at most", outlen, CRYPTO_PRFPLUS_BLOCKS, pa->pa_len));
	if ((ctx = mac_new(pa->pa_md, key, keylen)) == NULL)
		return (-1);
	for (off = 0, n = 1; off < outlen; off += len, n++) {
		/* the same key again: HMAC restarts from its inner state */
		if (n > 1 && (EVP_MAC_init(ctx, NULL, 0, NULL) != 1 ||
		    EVP_MAC_update(ctx, t, tlen) != 1))
			goto done;
		for (i = 0; i < nseed; i++)
			if (seed[i].iov_len > 0 && EVP_MAC_update(ctx,
			    seed[i].iov_base, seed[i].iov_len) != 1)
				goto done;
		if (EVP_MAC_update(ctx, &n, 1) != 1 ||
		    EVP_MAC_final(ctx, t, &tlen, sizeof(t)) != 1 ||
		    tlen != pa->pa_len)
			goto done;
		len = outlen - off < tlen ? outlen - off : tlen;
		memcpy(out + off, t, len);
	}
	ret = 0;
 done:
	if (ret == -1) {
		crypto_fail("prf+ failed");
		explicit_bzero(out, outlen);
	}
	explicit_bzero(t, sizeof(t));
	EVP_MAC_CTX_free(ctx);
	return (ret);
}

/* prf+(key, seed) into outlen bytes of out. */
int
prf_plus(uint16_t id, const uint8_t *key, size_t keylen, const uint8_t *seed,
    size_t seedlen, uint8_t *out, size_t outlen)
{
	const struct prf_alg	*pa;
	struct iovec		 iov;

	if ((pa = prf_find(id)) == NULL)
		return (crypto_fail("PRF %u is not supported", id));
	iov.iov_base = (void *)seed;
	iov.iov_len = seedlen;
	return (prf_plus_iov(pa, key, keylen, &iov, 1, out, outlen));
}

/*
 * IKE SA keys.
 */

static int
nonces_check(const char *what, size_t nilen, size_t nrlen)
{
	if (nilen < CRYPTO_NONCE_MIN || nilen > CRYPTO_NONCE_MAX ||
	    nrlen < CRYPTO_NONCE_MIN || nrlen > CRYPTO_NONCE_MAX)
		return (crypto_fail("%s: nonce lengths %zu and %zu, each "
		    "must be in %d-%d", what, nilen, nrlen, CRYPTO_NONCE_MIN,
		    CRYPTO_NONCE_MAX));
	return (0);
}

/* Algorithms and lengths of an IKE SA's keys; no key material yet. */
static int
suite_setup(struct ike_keys *k, const struct ike_suite *s)
{
	const struct prf_alg	*pa;
	const struct integ_alg	*ia = NULL;
	const struct encr_alg	*ea;
	size_t			 klen;

	if ((pa = prf_find(s->is_prf)) == NULL)
		return (crypto_fail("IKE SA: PRF %u is not supported",
		    s->is_prf));
	if ((ea = encr_find(s->is_encr)) == NULL ||
	    ea->ea_kind == ENCR_K_ESP)
		return (crypto_fail("IKE SA: ENCR %u is not supported",
		    s->is_encr));
	if (encr_keylen(ea, s->is_encr_bits, &klen) == -1)
		return (-1);
	if (ea->ea_kind == ENCR_K_GCM) {
		if (s->is_integ != 0)
			return (crypto_fail("IKE SA: INTEG %u with AEAD "
			    "cipher %u", s->is_integ, s->is_encr));
	} else if ((ia = integ_find(s->is_integ)) == NULL || !ia->ia_ike)
		return (crypto_fail("IKE SA: INTEG %u is not supported",
		    s->is_integ));

	memset(k, 0, sizeof(*k));
	k->ik_prf = pa->pa_id;
	k->ik_prflen = pa->pa_len;
	k->ik_encr = ea->ea_id;
	k->ik_encr_bits = s->is_encr_bits;
	k->ik_saltlen = ea->ea_saltlen;
	k->ik_elen = klen + ea->ea_saltlen;
	if (ea->ea_kind == ENCR_K_GCM) {
		k->ik_aead = 1;
		k->ik_ivlen = GCM_IV_LEN;
		k->ik_blocklen = 1;
		k->ik_icvlen = ea->ea_icvlen;
	} else {
		k->ik_integ = ia->ia_id;
		k->ik_alen = ia->ia_keylen;
		k->ik_ivlen = AES_BLOCK;
		k->ik_blocklen = AES_BLOCK;
		k->ik_icvlen = ia->ia_icvlen;
	}
	return (0);
}

/* SKEYSEED = prf(Ni | Nr, g^ir) (RFC 7296 2.14), prf_len(prf) bytes. */
int
ike_skeyseed(uint16_t id, const uint8_t *ni, size_t nilen, const uint8_t *nr,
    size_t nrlen, const uint8_t *gir, size_t girlen, uint8_t *out,
    size_t *outlen)
{
	const struct prf_alg	*pa;
	uint8_t			 key[2 * CRYPTO_NONCE_MAX];
	struct iovec		 iov;

	if ((pa = prf_find(id)) == NULL)
		return (crypto_fail("SKEYSEED: PRF %u is not supported", id));
	if (nonces_check("SKEYSEED", nilen, nrlen) == -1)
		return (-1);
	if (*outlen < pa->pa_len)
		return (crypto_fail("SKEYSEED: needs %u bytes, %zu given",
		    pa->pa_len, *outlen));
	memcpy(key, ni, nilen);
	memcpy(key + nilen, nr, nrlen);
	iov.iov_base = (void *)gir;
	iov.iov_len = girlen;
	if (prf_iov(pa, key, nilen + nrlen, &iov, 1, out) == -1)
		return (-1);
	*outlen = pa->pa_len;
	return (0);
}

/*
 * SKEYSEED of an IKE SA rekeyed by CREATE_CHILD_SA (RFC 7296 2.18):
 * prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF.
 */
int
ike_skeyseed_rekey(const struct ike_keys *old, const uint8_t *gir,
    size_t girlen, const uint8_t *ni, size_t nilen, const uint8_t *nr,
    size_t nrlen, uint8_t *out, size_t *outlen)
{
	const struct prf_alg	*pa;
	struct iovec		 iov[3];

	if ((pa = prf_find(old->ik_prf)) == NULL)
		return (crypto_fail("SKEYSEED: old SA's PRF %u is not "
		    "supported", old->ik_prf));
	if (nonces_check("SKEYSEED", nilen, nrlen) == -1)
		return (-1);
	if (*outlen < pa->pa_len)
		return (crypto_fail("SKEYSEED: needs %u bytes, %zu given",
		    pa->pa_len, *outlen));
	iov[0].iov_base = (void *)gir;
	iov[0].iov_len = girlen;
	iov[1].iov_base = (void *)ni;
	iov[1].iov_len = nilen;
	iov[2].iov_base = (void *)nr;
	iov[2].iov_len = nrlen;
	if (prf_iov(pa, old->ik_d, old->ik_prflen, iov, 3, out) == -1)
		return (-1);
	*outlen = pa->pa_len;
	return (0);
}

/*
 * {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} =
 *     prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)	(RFC 7296 2.14)
 * with the lengths of suite s: SK_d and SK_p the PRF's key length, SK_a
 * the integrity key (none with AEAD), SK_e the cipher key plus the 4-byte
 * salt of an AEAD cipher (RFC 5282 7.1).
 */
int
ike_keys_derive(struct ike_keys *k, const struct ike_suite *s,
    const uint8_t *skeyseed, size_t skeyseedlen, const uint8_t *ni,
    size_t nilen, const uint8_t *nr, size_t nrlen,
    const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN])
{
	struct ike_keys		 nk;
	struct iovec		 iov[4];
	uint8_t			 km[IKE_KEYMAT_MAX];
	uint8_t			*p = km;
	size_t			 total;
	int			 ret = -1;

	if (suite_setup(&nk, s) == -1)
		return (-1);
	if (nonces_check("IKE SA keys", nilen, nrlen) == -1)
		return (-1);
	total = 3 * nk.ik_prflen + 2 * nk.ik_alen + 2 * nk.ik_elen;
	iov[0].iov_base = (void *)ni;
	iov[0].iov_len = nilen;
	iov[1].iov_base = (void *)nr;
	iov[1].iov_len = nrlen;
	iov[2].iov_base = (void *)spii;
	iov[2].iov_len = IKE_SPI_LEN;
	iov[3].iov_base = (void *)spir;
	iov[3].iov_len = IKE_SPI_LEN;
	if (prf_plus_iov(prf_find(nk.ik_prf), skeyseed, skeyseedlen, iov, 4,
	    km, total) == -1)
		goto done;
	memcpy(nk.ik_d, p, nk.ik_prflen);
	p += nk.ik_prflen;
	memcpy(nk.ik_ai, p, nk.ik_alen);
	p += nk.ik_alen;
	memcpy(nk.ik_ar, p, nk.ik_alen);
	p += nk.ik_alen;
	memcpy(nk.ik_ei, p, nk.ik_elen);
	p += nk.ik_elen;
	memcpy(nk.ik_er, p, nk.ik_elen);
	p += nk.ik_elen;
	memcpy(nk.ik_pi, p, nk.ik_prflen);
	p += nk.ik_prflen;
	memcpy(nk.ik_pr, p, nk.ik_prflen);
	*k = nk;
	ret = 0;
 done:
	explicit_bzero(km, sizeof(km));
	explicit_bzero(&nk, sizeof(nk));
	return (ret);
}

/* The keys of a new IKE SA from IKE_SA_INIT: SKEYSEED, then the keys. */
int
ike_keys_new(struct ike_keys *k, const struct ike_suite *s,
    const uint8_t *gir, size_t girlen, const uint8_t *ni, size_t nilen,
    const uint8_t *nr, size_t nrlen, const uint8_t spii[IKE_SPI_LEN],
    const uint8_t spir[IKE_SPI_LEN])
{
	uint8_t		 seed[CRYPTO_PRF_MAX];
	size_t		 len = sizeof(seed);
	int		 ret;

	if (ike_skeyseed(s->is_prf, ni, nilen, nr, nrlen, gir, girlen, seed,
	    &len) == -1)
		return (-1);
	ret = ike_keys_derive(k, s, seed, len, ni, nilen, nr, nrlen, spii,
	    spir);
	explicit_bzero(seed, sizeof(seed));
	return (ret);
}

/*
 * The keys of the IKE SA that replaces old (RFC 7296 2.18): s is the new
 * SA's suite, gir the new exchange's shared secret, Ni and Nr its nonces,
 * SPIi and SPIr the new SA's SPIs.
 */
int
ike_keys_rekey(struct ike_keys *k, const struct ike_suite *s,
    const struct ike_keys *old, const uint8_t *gir, size_t girlen,
    const uint8_t *ni, size_t nilen, const uint8_t *nr, size_t nrlen,
    const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN])
{
	uint8_t		 seed[CRYPTO_PRF_MAX];
	size_t		 len = sizeof(seed);
	int		 ret;

	if (ike_skeyseed_rekey(old, gir, girlen, ni, nilen, nr, nrlen, seed,
	    &len) == -1)
		return (-1);
	ret = ike_keys_derive(k, s, seed, len, ni, nilen, nr, nrlen, spii,
	    spir);
	explicit_bzero(seed, sizeof(seed));
	return (ret);
}

void
ike_keys_clear(struct ike_keys *k)
{
	explicit_bzero(k, sizeof(*k));
}

/*
 * CHILD SA keys.
 */

/*
 * KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) (RFC 7296 2.17), taken as
 * encryption then integrity key from initiator to responder, then the
 * same from responder to initiator.  encr is 0 for AH; integ is 0 with an
 * AEAD cipher; gir is NULL without PFS.
 */
int
child_keys_derive(struct child_keys *ck, const struct ike_keys *ike,
    uint16_t encr, uint16_t bits, uint16_t integ, const uint8_t *gir,
    size_t girlen, const uint8_t *ni, size_t nilen, const uint8_t *nr,
    size_t nrlen)
{
	const struct encr_alg	*ea = NULL;
	const struct integ_alg	*ia = NULL;
	const struct prf_alg	*pa;
	struct child_keys	 nk;
	struct iovec		 iov[3];
	uint8_t			 km[CHILD_KEYMAT_MAX];
	uint8_t			*p = km;
	size_t			 klen = 0;
	int			 aead = 0, ret = -1;

	if ((pa = prf_find(ike->ik_prf)) == NULL)
		return (crypto_fail("CHILD SA keys: PRF %u is not "
		    "supported", ike->ik_prf));
	if (nonces_check("CHILD SA keys", nilen, nrlen) == -1)
		return (-1);
	if (encr != 0) {
		if ((ea = encr_find(encr)) == NULL)
			return (crypto_fail("CHILD SA: ENCR %u is not "
			    "supported", encr));
		if (encr_keylen(ea, bits, &klen) == -1)
			return (-1);
		aead = ea->ea_icvlen != 0;
	}
	if (integ != 0 && (ia = integ_find(integ)) == NULL)
		return (crypto_fail("CHILD SA: INTEG %u is not supported",
		    integ));
	if (aead && ia != NULL)
		return (crypto_fail("CHILD SA: INTEG %u with AEAD cipher %u",
		    integ, encr));
	if (!aead && ia == NULL)
		return (crypto_fail("CHILD SA: ENCR %u without integrity",
		    encr));

	memset(&nk, 0, sizeof(nk));
	nk.ck_encr = encr;
	nk.ck_encr_bits = bits;
	nk.ck_integ = integ;
	if (ea != NULL) {
		nk.ck_saltlen = ea->ea_saltlen;
		nk.ck_elen = klen + ea->ea_saltlen;
		nk.ck_icvlen = ea->ea_icvlen;
	}
	if (ia != NULL) {
		nk.ck_alen = ia->ia_keylen;
		nk.ck_icvlen = ia->ia_icvlen;
	}
	iov[0].iov_base = (void *)gir;
	iov[0].iov_len = gir != NULL ? girlen : 0;
	iov[1].iov_base = (void *)ni;
	iov[1].iov_len = nilen;
	iov[2].iov_base = (void *)nr;
	iov[2].iov_len = nrlen;
	if (prf_plus_iov(pa, ike->ik_d, ike->ik_prflen, iov, 3, km,
	    2 * (nk.ck_elen + nk.ck_alen)) == -1)
		goto done;
	memcpy(nk.ck_ei, p, nk.ck_elen);
	p += nk.ck_elen;
	memcpy(nk.ck_ai, p, nk.ck_alen);
	p += nk.ck_alen;
	memcpy(nk.ck_er, p, nk.ck_elen);
	p += nk.ck_elen;
	memcpy(nk.ck_ar, p, nk.ck_alen);
	*ck = nk;
	ret = 0;
 done:
	explicit_bzero(km, sizeof(km));
	explicit_bzero(&nk, sizeof(nk));
	return (ret);
}

void
child_keys_clear(struct child_keys *ck)
{
	explicit_bzero(ck, sizeof(*ck));
}

/*
 * The Encrypted payload (RFC 7296 3.14; RFC 5282 for AES-GCM).
 *
 * The message is in one buffer: the IKE header at offset 0, the SK
 * payload's generic header at hdroff, its body (IV, ciphertext, ICV) at
 * bodyoff, and nothing after the body.  bodyoff - hdroff is 4 for SK and
 * 8 for an RFC 7383 Encrypted Fragment (its Fragment Number and Total
 * Fragments are then authenticated with the header).  The AES-GCM AAD is
 * msg[0, bodyoff); the HMAC ICV covers msg[0, end of ciphertext).
 */

static void
put16(uint8_t *p, size_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void
put32(uint8_t *p, size_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

static uint32_t
get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3]);
}

static const EVP_CIPHER *
aes_get(enum encr_kind kind, uint16_t bits)
{
	EVP_CIPHER	**slot;
	char		 name[16];
	int		 i;

	switch (bits) {
	case 128:
		i = 0;
		break;
	case 192:
		i = 1;
		break;
	case 256:
		i = 2;
		break;
	default:
		crypto_fail("AES: no %u-bit keys", bits);
		return (NULL);
	}
	slot = kind == ENCR_K_GCM ? &aes_gcm[i] : &aes_cbc[i];
	if (*slot == NULL) {
		snprintf(name, sizeof(name), "AES-%u-%s", bits,
		    kind == ENCR_K_GCM ? "GCM" : "CBC");
		if ((*slot = EVP_CIPHER_fetch(NULL, name, NULL)) == NULL)
			crypto_fail("%s: not available", name);
	}
	return (*slot);
}

/*
 * The SK payload body length (IV, ciphertext with padding and Pad Length,
 * ICV) for innerlen bytes of inner payloads; 0 when too long.
 */
size_t
sk_bodylen(const struct ike_keys *k, size_t innerlen)
{
	size_t	 ctlen;

	if (innerlen > UINT16_MAX)
		return (0);
	ctlen = (innerlen + 1 + k->ik_blocklen - 1) / k->ik_blocklen *
	    k->ik_blocklen;
	return (k->ik_ivlen + ctlen + k->ik_icvlen);
}

/* AES-CBC, then HMAC over the message; IV already in place. */
static int
sk_cbc_encrypt(const struct ike_keys *k, int ini, const uint8_t *inner,
    size_t innerlen, uint8_t *msg, size_t bodyoff, size_t total)
{
	const struct integ_alg	*ia = integ_find(k->ik_integ);
	const EVP_CIPHER	*c;
	EVP_CIPHER_CTX		*ctx = NULL;
	struct iovec		 iov;
	uint8_t			 pad[AES_BLOCK], icv[EVP_MAX_MD_SIZE];
	uint8_t			*ct = msg + bodyoff + k->ik_ivlen;
	size_t			 padlen, ivlen = k->ik_ivlen;
	size_t			 icvlen = sizeof(icv);
	int			 n1, n2, n3, ret = -1;

	padlen = total - k->ik_icvlen - (bodyoff + ivlen) - innerlen;
	memset(pad, 0, sizeof(pad));
	pad[padlen - 1] = padlen - 1;	/* Pad Length */
	if ((c = aes_get(ENCR_K_CBC, k->ik_encr_bits)) == NULL)
		return (-1);
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(ctx, c, ini ? k->ik_ei : k->ik_er,
	    msg + bodyoff, NULL) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &n1, inner, innerlen) != 1 ||
	    EVP_EncryptUpdate(ctx, ct + n1, &n2, pad, padlen) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n1 + n2, &n3) != 1 ||
	    (size_t)(n1 + n2 + n3) != innerlen + padlen) {
		crypto_fail("SK payload: AES-CBC encryption failed");
		goto done;
	}
	iov.iov_base = msg;
	iov.iov_len = total - k->ik_icvlen;
	if (mac_iov(ia->ia_md, ini ? k->ik_ai : k->ik_ar, k->ik_alen, &iov,
	    1, icv, &icvlen) == -1)
		goto done;
	memcpy(msg + total - k->ik_icvlen, icv, k->ik_icvlen);
	ret = 0;
 done:
	explicit_bzero(icv, sizeof(icv));
	EVP_CIPHER_CTX_free(ctx);
	return (ret);
}

/* AES-GCM with salt | IV as nonce and msg[0, bodyoff) as AAD. */
static int
sk_gcm_encrypt(const struct ike_keys *k, int ini, const uint8_t *inner,
    size_t innerlen, uint8_t *msg, size_t bodyoff, size_t total)
{
	const EVP_CIPHER	*c;
	EVP_CIPHER_CTX		*ctx = NULL;
	OSSL_PARAM		 p[2];
	const uint8_t		*key = ini ? k->ik_ei : k->ik_er;
	uint8_t			 nonce[AEAD_SALT_LEN + GCM_IV_LEN];
	uint8_t			 pad[1] = { 0 };	/* Pad Length 0 */
	uint8_t			*ct = msg + bodyoff + k->ik_ivlen;
	size_t			 keylen = k->ik_elen - k->ik_saltlen;
	int			 n1, n2, n3, n4, ret = -1;

	memcpy(nonce, key + keylen, AEAD_SALT_LEN);
	memcpy(nonce + AEAD_SALT_LEN, msg + bodyoff, GCM_IV_LEN);
	if ((c = aes_get(ENCR_K_GCM, k->ik_encr_bits)) == NULL)
		return (-1);
	p[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
	    msg + total - k->ik_icvlen, k->ik_icvlen);
	p[1] = OSSL_PARAM_construct_end();
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(ctx, c, key, nonce, NULL) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n1, msg, bodyoff) != 1 ||
	    EVP_EncryptUpdate(ctx, ct, &n2, inner, innerlen) != 1 ||
	    EVP_EncryptUpdate(ctx, ct + n2, &n3, pad, sizeof(pad)) != 1 ||
	    EVP_EncryptFinal_ex(ctx, ct + n2 + n3, &n4) != 1 ||
	    (size_t)(n2 + n3 + n4) != innerlen + 1 ||
	    EVP_CIPHER_CTX_get_params(ctx, p) != 1) {
		crypto_fail("SK payload: AES-GCM encryption failed");
		goto done;
	}
	ret = 0;
 done:
	EVP_CIPHER_CTX_free(ctx);
	return (ret);
}

/*
 * Encrypts innerlen bytes of inner payloads into the SK payload whose
 * generic header is at hdroff and body at bodyoff of msg (msgsz bytes of
 * room), the message sent by the original initiator when ini is 1.  The
 * caller has written msg[0, bodyoff) but the two length fields, which
 * this sets: the IKE header's Length and the SK payload's.  inner lies
 * outside msg, or exactly at msg + bodyoff + ik_ivlen (in place).  The
 * message's length is returned in *msglen.  On failure the body is wiped
 * and the length fields restored.  IVs are random: AES-GCM needs them
 * unique per key (RFC 5282 3.1), and 64 random bits repeat only after
 * some 2^32 messages, far beyond an IKE SA's life.
 */
int
sk_encrypt(const struct ike_keys *k, int ini, const uint8_t *inner,
    size_t innerlen, uint8_t *msg, size_t msgsz, size_t hdroff,
    size_t bodyoff, size_t *msglen)
{
	uint8_t		 oldlen[2 + 4];
	size_t		 bodylen, total;
	int		 ret;

	if (k->ik_ivlen == 0)
		return (crypto_fail("SK payload: no keys"));
	if (hdroff < IKE_HDR_LEN || bodyoff < hdroff + 4 || bodyoff > msgsz)
		return (crypto_fail("SK payload: bad offsets (header %zu, "
		    "body %zu, buffer %zu)", hdroff, bodyoff, msgsz));
	if ((bodylen = sk_bodylen(k, innerlen)) == 0 ||
	    bodylen > msgsz - bodyoff)
		return (crypto_fail("SK payload: %zu bytes of payloads need "
		    "%zu bytes, %zu left", innerlen, bodylen,
		    msgsz - bodyoff));
	total = bodyoff + bodylen;
	if (total - hdroff > UINT16_MAX)
		return (crypto_fail("SK payload: longer than 65535 (%zu)",
		    total - hdroff));

	memcpy(oldlen, msg + hdroff + 2, 2);
	memcpy(oldlen + 2, msg + IKE_HDR_LENGTH_OFF, 4);
	put16(msg + hdroff + 2, total - hdroff);
	put32(msg + IKE_HDR_LENGTH_OFF, total);
	if ((ret = crypto_random_bytes(msg + bodyoff, k->ik_ivlen)) == 0) {
		if (k->ik_aead)
			ret = sk_gcm_encrypt(k, ini, inner, innerlen, msg,
			    bodyoff, total);
		else
			ret = sk_cbc_encrypt(k, ini, inner, innerlen, msg,
			    bodyoff, total);
	}
	if (ret == -1) {
		explicit_bzero(msg + bodyoff, bodylen);
		memcpy(msg + hdroff + 2, oldlen, 2);
		memcpy(msg + IKE_HDR_LENGTH_OFF, oldlen + 2, 4);
		return (-1);
	}
	*msglen = total;
	return (0);
}

/*
 * Checks and decrypts the SK payload of a received message of msglen
 * bytes (sent by the original initiator when ini is 1).  The ICV is
 * checked first, in constant time; nothing of msg changes unless all is
 * well, and then the inner payloads are decrypted in place, at
 * [*inneroff, *inneroff + *innerlen) of msg.
 */
int
sk_decrypt(const struct ike_keys *k, int ini, uint8_t *msg, size_t msglen,
    size_t hdroff, size_t bodyoff, size_t *inneroff, size_t *innerlen)
{
	const struct integ_alg	*ia;
	const EVP_CIPHER	*c;
	EVP_CIPHER_CTX		*ctx = NULL;
	OSSL_PARAM		 p[2];
	struct iovec		 iov;
	const uint8_t		*key = ini ? k->ik_ei : k->ik_er;
	uint8_t			 icv[EVP_MAX_MD_SIZE];
	uint8_t			 nonce[AEAD_SALT_LEN + GCM_IV_LEN];
	uint8_t			*pt = NULL, *ct;
	size_t			 body, ctlen, padlen, icvlen = sizeof(icv);
	int			 n1, n2, n3, ret = -1;

	if (k->ik_ivlen == 0)
		return (crypto_fail("SK payload: no keys"));
	if (hdroff < IKE_HDR_LEN || bodyoff < hdroff + 4 || bodyoff > msglen)
		return (crypto_fail("SK payload: bad offsets (header %zu, "
		    "body %zu, message %zu)", hdroff, bodyoff, msglen));
	if (get32(msg + IKE_HDR_LENGTH_OFF) != msglen)
		return (crypto_fail("SK payload: IKE header length %u is "
		    "not the message's %zu", get32(msg + IKE_HDR_LENGTH_OFF),
		    msglen));
	if ((size_t)(msg[hdroff + 2] << 8 | msg[hdroff + 3]) !=
	    msglen - hdroff)
		return (crypto_fail("SK payload: length %u does not reach "
		    "the end of the message (%zu)",
		    msg[hdroff + 2] << 8 | msg[hdroff + 3], msglen - hdroff));
	body = msglen - bodyoff;
	if (body < (size_t)k->ik_ivlen + k->ik_blocklen + k->ik_icvlen)
		return (crypto_fail("SK payload: body shorter than IV, one "
		    "block and ICV (%zu < %u)", body,
		    k->ik_ivlen + k->ik_blocklen + k->ik_icvlen));
	ctlen = body - k->ik_ivlen - k->ik_icvlen;
	if (ctlen % k->ik_blocklen != 0)
		return (crypto_fail("SK payload: ciphertext of %zu bytes is "
		    "not whole blocks of %u", ctlen, k->ik_blocklen));
	ct = msg + bodyoff + k->ik_ivlen;

	if (!k->ik_aead) {
		ia = integ_find(k->ik_integ);
		iov.iov_base = msg;
		iov.iov_len = msglen - k->ik_icvlen;
		if (mac_iov(ia->ia_md, ini ? k->ik_ai : k->ik_ar, k->ik_alen,
		    &iov, 1, icv, &icvlen) == -1)
			goto done;
		if (!crypto_memeq(icv, k->ik_icvlen,
		    msg + msglen - k->ik_icvlen, k->ik_icvlen)) {
			crypto_fail("SK payload: ICV mismatch");
			goto done;
		}
	}

	if ((pt = malloc(ctlen)) == NULL) {
		crypto_fail("SK payload: out of memory");
		goto done;
	}
	if ((c = aes_get(k->ik_aead ? ENCR_K_GCM : ENCR_K_CBC,
	    k->ik_encr_bits)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto done;
	if (k->ik_aead) {
		memcpy(nonce, key + k->ik_elen - k->ik_saltlen,
		    AEAD_SALT_LEN);
		memcpy(nonce + AEAD_SALT_LEN, msg + bodyoff, GCM_IV_LEN);
		p[0] = OSSL_PARAM_construct_octet_string(
		    OSSL_CIPHER_PARAM_AEAD_TAG, msg + msglen - k->ik_icvlen,
		    k->ik_icvlen);
		p[1] = OSSL_PARAM_construct_end();
		if (EVP_DecryptInit_ex2(ctx, c, key, nonce, NULL) != 1 ||
		    EVP_DecryptUpdate(ctx, NULL, &n1, msg, bodyoff) != 1 ||
		    EVP_DecryptUpdate(ctx, pt, &n2, ct, ctlen) != 1 ||
		    EVP_CIPHER_CTX_set_params(ctx, p) != 1) {
			crypto_fail("SK payload: AES-GCM decryption failed");
			goto done;
		}
		if (EVP_DecryptFinal_ex(ctx, pt + n2, &n3) != 1) {
			crypto_fail("SK payload: ICV mismatch");
			goto done;
		}
	} else if (EVP_DecryptInit_ex2(ctx, c, key, msg + bodyoff,
	    NULL) != 1 || EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_DecryptUpdate(ctx, pt, &n2, ct, ctlen) != 1 ||
	    EVP_DecryptFinal_ex(ctx, pt + n2, &n3) != 1) {
		crypto_fail("SK payload: AES-CBC decryption failed");
		goto done;
	}
	if ((size_t)(n2 + n3) != ctlen) {
		crypto_fail("SK payload: decrypted %d of %zu bytes", n2 + n3,
		    ctlen);
		goto done;
	}
	padlen = pt[ctlen - 1];
	if (padlen + 1 > ctlen) {
		crypto_fail("SK payload: pad length %zu exceeds the "
		    "plaintext (%zu)", padlen, ctlen - 1);
		goto done;
	}
	memcpy(ct, pt, ctlen);
	*inneroff = ct - msg;
	*innerlen = ctlen - padlen - 1;
	ret = 0;
 done:
	if (pt != NULL)
		freezero(pt, ctlen);
	explicit_bzero(icv, sizeof(icv));
	EVP_CIPHER_CTX_free(ctx);
	return (ret);
}

/*
 * PSK authentication (RFC 7296 2.15).
 */

/*
 * AUTH = prf(prf(Shared Secret, "Key Pad for IKEv2"), <SignedOctets>),
 * SignedOctets = RealMessage | Nonce | prf(SK_p, RestOfIDPayload), for the
 * side ini: its first message (IKE_SA_INIT request of the initiator,
 * response of the responder), the other side's nonce, its own SK_pi or
 * SK_pr, and its ID payload body (ID type, 3 reserved bytes, data).
 */
int
psk_auth(const struct ike_keys *k, int ini, const uint8_t *psk,
    size_t psklen, const uint8_t *realmsg, size_t realmsglen,
    const uint8_t *nonce, size_t noncelen, const uint8_t *id, size_t idlen,
    uint8_t *out, size_t *outlen)
{
	const struct prf_alg	*pa;
	struct iovec		 iov[3];
	uint8_t			 kp[CRYPTO_PRF_MAX], mac[CRYPTO_PRF_MAX];
	int			 ret = -1;

	if ((pa = prf_find(k->ik_prf)) == NULL)
		return (crypto_fail("AUTH: PRF %u is not supported",
		    k->ik_prf));
	if (*outlen < pa->pa_len)
		return (crypto_fail("AUTH: needs %u bytes, %zu given",
		    pa->pa_len, *outlen));
	iov[0].iov_base = (void *)KEY_PAD;
	iov[0].iov_len = sizeof(KEY_PAD) - 1;
	if (prf_iov(pa, psk, psklen, iov, 1, kp) == -1)
		goto done;
	iov[0].iov_base = (void *)id;
	iov[0].iov_len = idlen;
	if (prf_iov(pa, ini ? k->ik_pi : k->ik_pr, k->ik_prflen, iov, 1,
	    mac) == -1)
		goto done;
	iov[0].iov_base = (void *)realmsg;
	iov[0].iov_len = realmsglen;
	iov[1].iov_base = (void *)nonce;
	iov[1].iov_len = noncelen;
	iov[2].iov_base = mac;
	iov[2].iov_len = pa->pa_len;
	if (prf_iov(pa, kp, pa->pa_len, iov, 3, out) == -1)
		goto done;
	*outlen = pa->pa_len;
	ret = 0;
 done:
	explicit_bzero(kp, sizeof(kp));
	explicit_bzero(mac, sizeof(mac));
	return (ret);
}

/*
 * Checks the peer's AUTH data (authlen bytes) against the value expected
 * for side ini, in constant time.  0 when it matches.
 */
int
psk_auth_verify(const struct ike_keys *k, int ini, const uint8_t *psk,
    size_t psklen, const uint8_t *realmsg, size_t realmsglen,
    const uint8_t *nonce, size_t noncelen, const uint8_t *id, size_t idlen,
    const uint8_t *auth, size_t authlen)
{
	uint8_t		 want[CRYPTO_PRF_MAX];
	size_t		 len = sizeof(want);
	int		 ret = -1;

	if (psk_auth(k, ini, psk, psklen, realmsg, realmsglen, nonce,
	    noncelen, id, idlen, want, &len) == -1)
		return (-1);
	if (crypto_memeq(want, len, auth, authlen))
		ret = 0;
	else
		crypto_fail("AUTH: mismatch (wrong PSK or ID?)");
	explicit_bzero(want, sizeof(want));
	return (ret);
}

/*
 * The data of a NAT_DETECTION_*_IP notification: SHA-1 over both SPIs,
 * the address and the port (network order).
 */
int
nat_hash(const uint8_t spii[IKE_SPI_LEN], const uint8_t spir[IKE_SPI_LEN],
    const uint8_t *ip, size_t iplen, uint16_t port,
    uint8_t out[NAT_HASH_LEN])
{
	EVP_MD_CTX	*ctx;
	uint8_t		 p[2];
	unsigned int	 len = 0;
	int		 ok;

	p[0] = port >> 8;
	p[1] = port & 0xff;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return (crypto_fail("NAT detection: out of memory"));
	ok = EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, spii, IKE_SPI_LEN) == 1 &&
	    EVP_DigestUpdate(ctx, spir, IKE_SPI_LEN) == 1 &&
	    EVP_DigestUpdate(ctx, ip, iplen) == 1 &&
	    EVP_DigestUpdate(ctx, p, sizeof(p)) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == NAT_HASH_LEN;
	EVP_MD_CTX_free(ctx);
	return (ok ? 0 : crypto_fail("NAT detection: SHA-1 failed"));
}
