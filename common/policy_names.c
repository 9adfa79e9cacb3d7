/*
 * The one table of algorithm, option and auth-method names.  The order of
 * each group is OpenIKED's, because names may be abbreviated and the
 * first entry that starts with the abbreviation wins (iked.conf(5)
 * accepts "enc aes" for aes-128), and because the canonical name of an
 * id is the first entry that carries it ("grp14" prints as "modp2048").
 */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <string.h>

#include "policy.h"

#define E(n, id, kl, w, f)	{ n, XF_ENCR, id, kl, w, f }
#define P(n, id)		{ n, XF_PRF, id, 0, XN_IKE | XN_ESP, 0 }
#define PW(n, id)		{ n, XF_PRF, id, 0, XN_IKE | XN_ESP, XN_WEAK }
#define A(n, id)		{ n, XF_INTEG, id, 0, XN_IKE | XN_ESP, 0 }
#define AW(n, id)		{ n, XF_INTEG, id, 0, XN_IKE | XN_ESP, XN_WEAK }
#define G(n, id)		{ n, XF_DH, id, 0, XN_IKE | XN_ESP, 0 }
#define GW(n, id)		{ n, XF_DH, id, 0, XN_IKE | XN_ESP, XN_WEAK }
#define B	(XN_IKE | XN_ESP)

const struct pol_xform_name policy_xform_names[] = {
	/* encryption, IKE and ESP */
	E("3des",		3,  0,	 B, XN_WEAK),
	E("3des-cbc",		3,  0,	 B, XN_WEAK),
	E("aes-128",		12, 128, B, 0),
	E("aes-192",		12, 192, B, 0),
	E("aes-256",		12, 256, B, 0),
	E("aes-128-ctr",	13, 128, XN_ESP, 0),
	E("aes-192-ctr",	13, 192, XN_ESP, 0),
	E("aes-256-ctr",	13, 256, XN_ESP, 0),
	E("aes-128-gcm",	20, 128, B, XN_AEAD),
	E("aes-192-gcm",	20, 192, XN_ESP, XN_AEAD),
	E("aes-256-gcm",	20, 256, B, XN_AEAD),
	E("aes-128-gcm-12",	19, 128, XN_IKE, XN_AEAD),
	E("aes-256-gcm-12",	19, 256, XN_IKE, XN_AEAD),
	E("aes-128-gmac",	21, 128, XN_ESP, XN_AEAD),
	E("aes-192-gmac",	21, 192, XN_ESP, XN_AEAD),
	E("aes-256-gmac",	21, 256, XN_ESP, XN_AEAD),
	E("blowfish",		7,  160, XN_ESP, XN_WEAK),
	E("cast",		6,  128, XN_ESP, XN_WEAK),
	E("chacha20-poly1305",	28, 0,	 XN_ESP, XN_AEAD),
	E("null",		11, 0,	 XN_ESP, XN_WEAK),

	/* pseudo-random functions */
	PW("hmac-md5",		1),
	PW("hmac-sha1",		2),
	P("hmac-sha2-256",	5),
	P("hmac-sha2-384",	6),
	P("hmac-sha2-512",	7),

	/* integrity */
	AW("hmac-md5",		1),
	AW("hmac-sha1",		2),
	A("hmac-sha2-256",	12),
	A("hmac-sha2-384",	13),
	A("hmac-sha2-512",	14),

	/* Diffie-Hellman groups */
	G("none",		0),
	GW("modp768",		1),
	GW("grp1",		1),
	GW("modp1024",		2),
	GW("grp2",		2),
	GW("modp1536",		5),
	GW("grp5",		5),
	G("modp2048",		14),
	G("grp14",		14),
	G("modp3072",		15),
	G("grp15",		15),
	G("modp4096",		16),
	G("grp16",		16),
	G("modp6144",		17),
	G("grp17",		17),
	G("modp8192",		18),
	G("grp18",		18),
	G("ecp256",		19),
	G("grp19",		19),
	G("ecp384",		20),
	G("grp20",		20),
	G("ecp521",		21),
	G("grp21",		21),
	GW("ecp192",		25),
	GW("grp25",		25),
	G("ecp224",		26),
	G("grp26",		26),
	G("brainpool224",	27),
	G("grp27",		27),
	G("brainpool256",	28),
	G("grp28",		28),
	G("brainpool384",	29),
	G("grp29",		29),
	G("brainpool512",	30),
	G("grp30",		30),
	G("curve25519",		31),
	G("grp31",		31),
	G("sntrup761x25519",	1035),

	/* extended sequence numbers */
	{ "noesn", XF_ESN, 0, 0, XN_ESP, 0 },
	{ "esn",   XF_ESN, 1, 0, XN_ESP, 0 },

	{ NULL, 0, 0, 0, 0, 0 }
};

const char *const policy_cfg_names[CFG_MAX] = {
	"address",
	"netmask",
	"name-server",
	"netbios-server",
	"dhcp-server",
	"protected-subnet",
	"access-server",
};

const char *const policy_auth_names[AUTH_MAX] = {
	"signature",
	"psk",
	"eap",
	"rsa",
	"ecdsa256",
	"ecdsa384",
	"ecdsa521",
	"rfc7427",
};

/*
 * Find a transform by name for an IKE (XN_IKE) or ESP/AH (XN_ESP)
 * proposal.  An exact match wins; otherwise the first entry the name is a
 * prefix of, as OpenIKED does, with *abbrev set so the caller can warn.
 */
const struct pol_xform_name *
policy_xform_byname(int type, const char *name, int where, int *abbrev)
{
	const struct pol_xform_name	*xn;
	size_t				 len;

	*abbrev = 0;
	/* the name in full (most are): one byte compared per entry */
	for (xn = policy_xform_names; xn->xn_name != NULL; xn++) {
		if (xn->xn_type != type || (xn->xn_where & where) == 0)
			continue;
		if (xn->xn_name[0] == name[0] && strcmp(xn->xn_name, name) == 0)
			return (xn);
	}
	/* else the first name it begins */
	len = strlen(name);
	for (xn = policy_xform_names; xn->xn_name != NULL; xn++) {
		if (xn->xn_type != type || (xn->xn_where & where) == 0)
			continue;
		if (strncmp(xn->xn_name, name, len) == 0) {
			*abbrev = 1;
			return (xn);
		}
	}
	return (NULL);
}

const struct pol_xform_name *
policy_xform_byid(int where, const struct pol_xform *xf)
{
	const struct pol_xform_name	*xn;

	for (xn = policy_xform_names; xn->xn_name != NULL; xn++) {
		if (xn->xn_type == xf->xf_type && xn->xn_id == xf->xf_id &&
		    xn->xn_keylen == xf->xf_keylen &&
		    (where == 0 || (xn->xn_where & where) != 0))
			return (xn);
	}
	return (NULL);
}

int
policy_xform_is_aead(const struct pol_xform *xf)
{
	const struct pol_xform_name	*xn;

	if (xf->xf_type != XF_ENCR)
		return (0);
	if ((xn = policy_xform_byid(0, xf)) == NULL)
		return (0);
	return ((xn->xn_flags & XN_AEAD) != 0);
}

/* The type of an ID written in a config, as OpenIKED decides it. */
int
policy_id_type_of(const char *s)
{
	uint8_t	 a[16];

	if (*s == '/')
		return (ID_ASN1_DN);
	if (inet_pton(AF_INET, s, a) == 1)
		return (ID_IPV4);
	if (inet_pton(AF_INET6, s, a) == 1)
		return (ID_IPV6);
	if (strchr(s, '@') != NULL)
		return (ID_UFQDN);
	return (ID_FQDN);
}

const char *
policy_id_type_name(int type)
{
	switch (type) {
	case ID_IPV4:
		return ("IPV4");
	case ID_FQDN:
		return ("FQDN");
	case ID_UFQDN:
		return ("UFQDN");
	case ID_IPV6:
		return ("IPV6");
	case ID_ASN1_DN:
		return ("ASN1_DN");
	}
	return ("NONE");
}
