/*
 * The IKEv2 message layer: RFC 7296 section 3 and RFC 7383 fragments.
 *
 * Parsing reads through a cursor that fails closed and decodes into
 * views of the caller's buffer; every length is checked against the
 * bytes left before it is used, every section must be consumed exactly,
 * and an error names the bound that failed.  Structural checks come
 * first (lengths, counts, substructure markers), then the few semantic
 * ones a parser can make alone (proposal numbering, SPI sizes, exact
 * address lengths).
 *
 * Building writes into a bounded ibuf and fixes up next-payload and
 * length fields as it goes.  Nothing here does I/O, keeps state between
 * calls or touches key material beyond copying it into an ibuf, which
 * is wiped when freed or grown.
 */
#include <sys/types.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pld.h"
#include "util.h"

/* --- ibuf ---------------------------------------------------------------- */

/* A new empty buffer that never grows beyond max bytes (0: IBUF_MAX). */
struct ibuf *
ibuf_new(size_t max)
{
	struct ibuf	*b;

	if (max == 0 || max > IBUF_MAX)
		max = IBUF_MAX;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return (NULL);
	b->ib_max = max;
	return (b);
}

/*
 * Make room for need more bytes.  A new allocation is taken and the old
 * one wiped, never realloc(), since the buffer may hold key material.
 */
static int
ibuf_grow(struct ibuf *b, size_t need)
{
	uint8_t	*p;
	size_t	 size;

	if (need > b->ib_max - b->ib_len)
		return (-1);
	if (need <= b->ib_size - b->ib_len)
		return (0);
	size = b->ib_size == 0 ? 256 : b->ib_size;
	while (size < b->ib_len + need)
		size *= 2;
	if (size > b->ib_max)
		size = b->ib_max;
	if ((p = malloc(size)) == NULL)
		return (-1);
	if (b->ib_len > 0)
		memcpy(p, b->ib_data, b->ib_len);
	freezero(b->ib_data, b->ib_size);
	b->ib_data = p;
	b->ib_size = size;
	return (0);
}

int
ibuf_add(struct ibuf *b, const void *data, size_t len)
{
	if (len == 0)
		return (0);
	if (data == NULL || ibuf_grow(b, len) == -1)
		return (-1);
	memcpy(b->ib_data + b->ib_len, data, len);
	b->ib_len += len;
	return (0);
}

int
ibuf_add_zero(struct ibuf *b, size_t len)
{
	if (len == 0)
		return (0);
	if (ibuf_grow(b, len) == -1)
		return (-1);
	memset(b->ib_data + b->ib_len, 0, len);
	b->ib_len += len;
	return (0);
}

int
ibuf_add_u8(struct ibuf *b, uint8_t v)
{
	return (ibuf_add(b, &v, 1));
}

int
ibuf_add_u16(struct ibuf *b, uint16_t v)
{
	uint8_t	 p[2];

	p[0] = v >> 8;
	p[1] = v;
	return (ibuf_add(b, p, sizeof(p)));
}

int
ibuf_add_u32(struct ibuf *b, uint32_t v)
{
	uint8_t	 p[4];

	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return (ibuf_add(b, p, sizeof(p)));
}

int
ibuf_add_u64(struct ibuf *b, uint64_t v)
{
	if (ibuf_add_u32(b, v >> 32) == -1)
		return (-1);
	if (ibuf_add_u32(b, v) == -1) {
		b->ib_len -= 4;
		return (-1);
	}
	return (0);
}

/*
 * Append len zero bytes and return where they start, to be filled later.
 * The pointer is valid until the next addition; ibuf_seek() finds the
 * same bytes again by offset.
 */
void *
ibuf_reserve(struct ibuf *b, size_t len)
{
	size_t	 off = b->ib_len;

	if (len == 0 || ibuf_add_zero(b, len) == -1)
		return (NULL);
	return (b->ib_data + off);
}

/* The len bytes at off, or NULL when they are not all written yet. */
void *
ibuf_seek(struct ibuf *b, size_t off, size_t len)
{
	if (b->ib_data == NULL || off > b->ib_len || len > b->ib_len - off)
		return (NULL);
	return (b->ib_data + off);
}

int
ibuf_set_u8(struct ibuf *b, size_t off, uint8_t v)
{
	uint8_t	*p;

	if ((p = ibuf_seek(b, off, 1)) == NULL)
		return (-1);
	p[0] = v;
	return (0);
}

int
ibuf_set_u16(struct ibuf *b, size_t off, uint16_t v)
{
	uint8_t	*p;

	if ((p = ibuf_seek(b, off, 2)) == NULL)
		return (-1);
	p[0] = v >> 8;
	p[1] = v;
	return (0);
}

int
ibuf_set_u32(struct ibuf *b, size_t off, uint32_t v)
{
	uint8_t	*p;

	if ((p = ibuf_seek(b, off, 4)) == NULL)
		return (-1);
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
	return (0);
}

uint8_t *
ibuf_data(struct ibuf *b)
{
	return (b->ib_data);
}

size_t
ibuf_length(const struct ibuf *b)
{
	return (b->ib_len);
}

void
ibuf_free(struct ibuf *b)
{
	if (b == NULL)
		return;
	freezero(b->ib_data, b->ib_size);
	free(b);
}

/* --- parsing: cursor ----------------------------------------------------- */

/*
 * A read cursor over bytes that are all ours to read.  A read past the
 * end fails and empties the cursor, so every later read fails too.
 */
struct pld_cur {
	const uint8_t	*c_ptr;
	size_t		 c_left;
};

static void
cur_init(struct pld_cur *c, const uint8_t *p, size_t len)
{
	c->c_ptr = p;
	c->c_left = p == NULL ? 0 : len;
}

static int
cur_get(struct pld_cur *c, size_t n, const uint8_t **p)
{
	if (n > c->c_left) {
		c->c_left = 0;
		return (-1);
	}
	*p = c->c_ptr;
	c->c_ptr += n;
	c->c_left -= n;
	return (0);
}

static int
cur_u8(struct pld_cur *c, uint8_t *v)
{
	const uint8_t	*p;

	if (cur_get(c, 1, &p) == -1)
		return (-1);
	*v = p[0];
	return (0);
}

static int
cur_u16(struct pld_cur *c, uint16_t *v)
{
	const uint8_t	*p;

	if (cur_get(c, 2, &p) == -1)
		return (-1);
	*v = (uint16_t)p[0] << 8 | p[1];
	return (0);
}

static int
cur_u32(struct pld_cur *c, uint32_t *v)
{
	const uint8_t	*p;

	if (cur_get(c, 4, &p) == -1)
		return (-1);
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
	return (0);
}

static int
cur_u64(struct pld_cur *c, uint64_t *v)
{
	uint32_t	 hi, lo;

	if (cur_u32(c, &hi) == -1 || cur_u32(c, &lo) == -1)
		return (-1);
	*v = (uint64_t)hi << 32 | lo;
	return (0);
}

/* An SPI of 0, 4 or 8 bytes. */
static int
cur_spi(struct pld_cur *c, uint8_t size, uint64_t *v)
{
	uint32_t	 v32;

	*v = 0;
	switch (size) {
	case 0:
		return (0);
	case 4:
		if (cur_u32(c, &v32) == -1)
			return (-1);
		*v = v32;
		return (0);
	case 8:
		return (cur_u64(c, v));
	}
	return (-1);
}

/* Carve the next n bytes out as a cursor of their own. */
static int
cur_sub(struct pld_cur *c, size_t n, struct pld_cur *sub)
{
	const uint8_t	*p;

	if (cur_get(c, n, &p) == -1) {
		cur_init(sub, NULL, 0);
		return (-1);
	}
	cur_init(sub, p, n);
	return (0);
}

/* The rest of the cursor as a view. */
static void
cur_rest(struct pld_cur *c, struct pld_data *d)
{
	d->d_ptr = c->c_ptr;
	d->d_len = c->c_left;
	c->c_ptr += c->c_left;
	c->c_left = 0;
}

/* --- parsing: payloads --------------------------------------------------- */

struct pld_ctx {
	struct ike_msg	*x_msg;
	const uint8_t	*x_base;	/* start of the message */
	char		*x_err;
	size_t		 x_errlen;
	int		 x_inner;	/* decrypted contents of SK */
	const char	*x_name;	/* payload being decoded */
};

static int	 pld_fail(struct pld_ctx *, int, const char *, ...)
		    __attribute__((__format__(__printf__, 3, 4)));

static int
pld_fail(struct pld_ctx *x, int code, const char *fmt, ...)
{
	va_list	 ap;

	if (x->x_err != NULL && x->x_errlen > 0) {
		va_start(ap, fmt);
		(void)vsnprintf(x->x_err, x->x_errlen, fmt, ap);
		va_end(ap);
	}
	return (code);
}

/* The usual complaint: a length field claims more than is there. */
static int
pld_short(struct pld_ctx *x, const char *what, size_t have, size_t need)
{
	return (pld_fail(x, PLD_EMALFORMED,
	    "malformed %s: shorter than specified (%zu < %zu)",
	    what, have, need));
}

/* Fixed part of a payload body. */
static int
pld_need(struct pld_ctx *x, struct pld_cur *c, size_t need)
{
	if (c->c_left < need)
		return (pld_fail(x, PLD_EMALFORMED, "malformed %s payload: "
		    "body shorter than its fixed part (%zu < %zu)",
		    x->x_name, c->c_left, need));
	return (0);
}

/* Anything that failed a cursor read after its lengths were checked. */
static int
pld_trunc(struct pld_ctx *x)
{
	return (pld_fail(x, PLD_EMALFORMED, "malformed %s payload: truncated",
	    x->x_name));
}

static int
pld_decode_xform(struct pld_ctx *x, struct pld_cur *c, struct pld_prop *pp,
    struct pld_xform *xf)
{
	uint16_t	 atype, aval, alen;
	uint8_t		 reserved;
	const uint8_t	*skip;

	memset(xf, 0, sizeof(*xf));
	if (cur_u8(c, &xf->xf_type) == -1 || cur_u8(c, &reserved) == -1 ||
	    cur_u16(c, &xf->xf_id) == -1)
		return (pld_trunc(x));
	if (xf->xf_type < XF_ENCR || xf->xf_type > XF_ESN)
		pp->pp_flags |= PLD_PROP_UNUSABLE;
	while (c->c_left > 0) {
		if (c->c_left < 4)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "transform attribute: shorter than its header "
			    "(%zu < 4)", c->c_left));
		if (cur_u16(c, &atype) == -1)
			return (pld_trunc(x));
		if (atype & IKEV2_ATTR_TV) {
			if (cur_u16(c, &aval) == -1)
				return (pld_trunc(x));
			if ((atype & ~IKEV2_ATTR_TV) == IKEV2_ATTR_KEYLEN &&
			    xf->xf_keylen == 0 && aval != 0)
				xf->xf_keylen = aval;
			else	/* unknown, repeated, zero: 7296 3.3.6 */
				xf->xf_flags |= PLD_XF_UNUSABLE;
			continue;
		}
		if (cur_u16(c, &alen) == -1)
			return (pld_trunc(x));
		if (alen > c->c_left)
			return (pld_short(x, "transform attribute", c->c_left,
			    alen));
		if (cur_get(c, alen, &skip) == -1)
			return (pld_trunc(x));
		/* no TLV attribute is known */
		xf->xf_flags |= PLD_XF_UNUSABLE;
	}
	return (0);
}

static int
pld_decode_prop(struct pld_ctx *x, struct pld_cur *c, struct pld_prop *pp)
{
	struct pld_cur	 tc;
	uint16_t	 tlen;
	uint8_t		 ntrans, last, reserved;

	if (cur_u8(c, &pp->pp_num) == -1 || cur_u8(c, &pp->pp_proto) == -1 ||
	    cur_u8(c, &pp->pp_spisize) == -1 || cur_u8(c, &ntrans) == -1)
		return (pld_trunc(x));
	switch (pp->pp_proto) {
	case PROTO_IKE:
		if (pp->pp_spisize != 0 && pp->pp_spisize != 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal %u: IKE SPI size %u (must be 0 or 8)",
			    pp->pp_num, pp->pp_spisize));
		break;
	case PROTO_AH:
	case PROTO_ESP:
		if (pp->pp_spisize != 4)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal %u: %s SPI size %u (must be 4)",
			    pp->pp_num, pld_proto_name(pp->pp_proto),
			    pp->pp_spisize));
		break;
	default:
		if (pp->pp_spisize != 0 && pp->pp_spisize != 4 &&
		    pp->pp_spisize != 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal %u: SPI size %u (must be 0, 4 or 8)",
			    pp->pp_num, pp->pp_spisize));
		pp->pp_flags |= PLD_PROP_UNUSABLE;
		break;
	}
	if (c->c_left < pp->pp_spisize)
		return (pld_short(x, "proposal SPI", c->c_left,
		    pp->pp_spisize));
	if (cur_spi(c, pp->pp_spisize, &pp->pp_spi) == -1)
		return (pld_trunc(x));
	if (ntrans > PLD_XFORMS_MAX)
		return (pld_fail(x, PLD_EMALFORMED, "too many transforms in "
		    "proposal %u (%u > PLD_XFORMS_MAX %d)", pp->pp_num, ntrans,
		    PLD_XFORMS_MAX));

	last = IKEV2_SUB_TRANSFORM;
	while (c->c_left > 0) {
		if (last == IKEV2_SUB_LAST)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal %u: %zu bytes after the last transform",
			    pp->pp_num, c->c_left));
		if (pp->pp_nxforms == ntrans)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal %u: more transforms than announced (%u)",
			    pp->pp_num, ntrans));
		if (c->c_left < 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "transform: shorter than its header (%zu < 8)",
			    c->c_left));
		if (cur_u8(c, &last) == -1 || cur_u8(c, &reserved) == -1 ||
		    cur_u16(c, &tlen) == -1)
			return (pld_trunc(x));
		if (last != IKEV2_SUB_LAST && last != IKEV2_SUB_TRANSFORM)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "transform: substructure type %u (must be 0 or 3)",
			    last));
		if (tlen < 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "transform: length below its header (%u < 8)",
			    tlen));
		if ((size_t)tlen - 4 > c->c_left)
			return (pld_short(x, "transform", c->c_left + 4, tlen));
		if (cur_sub(c, tlen - 4, &tc) == -1)
			return (pld_trunc(x));
		if (pld_decode_xform(x, &tc, pp,
		    &pp->pp_xforms[pp->pp_nxforms]) != 0)
			return (PLD_EMALFORMED);
		pp->pp_nxforms++;
	}
	if (pp->pp_nxforms != ntrans)
		return (pld_fail(x, PLD_EMALFORMED, "malformed proposal %u: "
		    "%u transforms announced, %zu found", pp->pp_num, ntrans,
		    pp->pp_nxforms));
	if (ntrans > 0 && last != IKEV2_SUB_LAST)
		return (pld_fail(x, PLD_EMALFORMED, "malformed proposal %u: "
		    "last transform not marked last", pp->pp_num));
	return (0);
}

static int
pld_sa(struct pld_ctx *x, struct pld_cur *c)
{
	struct ike_msg	*m = x->x_msg;
	struct pld_sa	*sa = &m->m_sa;
	struct pld_prop	*pp;
	struct pld_cur	 pc;
	uint16_t	 plen;
	uint8_t		 last, reserved;

	if (c->c_left == 0)
		return (pld_fail(x, PLD_EMALFORMED, "malformed SA payload: "
		    "no proposal"));
	last = IKEV2_SUB_PROPOSAL;
	while (c->c_left > 0) {
		if (last == IKEV2_SUB_LAST)
			return (pld_fail(x, PLD_EMALFORMED, "malformed SA "
			    "payload: %zu bytes after the last proposal",
			    c->c_left));
		if (sa->sa_nprops == PLD_PROPS_MAX)
			return (pld_fail(x, PLD_EMALFORMED, "too many "
			    "proposals (more than PLD_PROPS_MAX %d)",
			    PLD_PROPS_MAX));
		if (c->c_left < 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal: shorter than its header (%zu < 8)",
			    c->c_left));
		if (cur_u8(c, &last) == -1 || cur_u8(c, &reserved) == -1 ||
		    cur_u16(c, &plen) == -1)
			return (pld_trunc(x));
		if (last != IKEV2_SUB_LAST && last != IKEV2_SUB_PROPOSAL)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal: substructure type %u (must be 0 or 2)",
			    last));
		if (plen < 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "proposal: length below its header (%u < 8)",
			    plen));
		if ((size_t)plen - 4 > c->c_left)
			return (pld_short(x, "proposal", c->c_left + 4, plen));
		if (cur_sub(c, plen - 4, &pc) == -1)
			return (pld_trunc(x));
		pp = &sa->sa_props[sa->sa_nprops];
		memset(pp, 0, sizeof(*pp));
		if (pld_decode_prop(x, &pc, pp) != 0)
			return (PLD_EMALFORMED);
		if (sa->sa_nprops == 0 && pp->pp_num != 1 &&
		    (m->m_hdr.h_flags & IKEV2_FLAG_R) == 0)
			return (pld_fail(x, PLD_EMALFORMED, "malformed SA "
			    "payload: first proposal number %u (must be 1)",
			    pp->pp_num));
		if (sa->sa_nprops > 0 &&
		    pp->pp_num != sa->sa_props[sa->sa_nprops - 1].pp_num + 1)
			return (pld_fail(x, PLD_EMALFORMED, "malformed SA "
			    "payload: proposal number %u after %u (must "
			    "increase by one)", pp->pp_num,
			    sa->sa_props[sa->sa_nprops - 1].pp_num));
		sa->sa_nprops++;
	}
	if (last != IKEV2_SUB_LAST)
		return (pld_fail(x, PLD_EMALFORMED, "malformed SA payload: "
		    "last proposal not marked last"));
	if ((m->m_hdr.h_flags & IKEV2_FLAG_R) && sa->sa_nprops != 1)
		return (pld_fail(x, PLD_EMALFORMED, "malformed SA payload: "
		    "%zu proposals in a response (must be 1)", sa->sa_nprops));
	return (0);
}

static int
pld_ke(struct pld_ctx *x, struct pld_cur *c)
{
	struct pld_ke	*ke = &x->x_msg->m_ke;
	uint16_t	 reserved;

	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	if (cur_u16(c, &ke->ke_group) == -1 || cur_u16(c, &reserved) == -1)
		return (pld_trunc(x));
	if (c->c_left == 0)
		return (pld_fail(x, PLD_EMALFORMED, "malformed KE payload: "
		    "no key exchange data"));
	cur_rest(c, &ke->ke_data);
	return (0);
}

static int
pld_nonce(struct pld_ctx *x, struct pld_cur *c)
{
	if (c->c_left < PLD_NONCE_MIN)
		return (pld_fail(x, PLD_EMALFORMED, "malformed Nonce payload: "
		    "nonce too short (%zu < %d)", c->c_left, PLD_NONCE_MIN));
	if (c->c_left > PLD_NONCE_MAX)
		return (pld_fail(x, PLD_EMALFORMED, "malformed Nonce payload: "
		    "nonce too long (%zu > %d)", c->c_left, PLD_NONCE_MAX));
	cur_rest(c, &x->x_msg->m_nonce);
	return (0);
}

static int
pld_id(struct pld_ctx *x, struct pld_cur *c, struct pld_id *id)
{
	const uint8_t	*reserved;

	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	id->id_body.d_ptr = c->c_ptr;
	id->id_body.d_len = c->c_left;
	if (cur_u8(c, &id->id_type) == -1 || cur_get(c, 3, &reserved) == -1)
		return (pld_trunc(x));
	cur_rest(c, &id->id_data);
	switch (id->id_type) {
	case IKEV2_ID_IPV4:
		if (id->id_data.d_len != 4)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: IPV4_ADDR identity of %zu bytes (must "
			    "be 4)", x->x_name, id->id_data.d_len));
		break;
	case IKEV2_ID_IPV6:
		if (id->id_data.d_len != 16)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: IPV6_ADDR identity of %zu bytes (must "
			    "be 16)", x->x_name, id->id_data.d_len));
		break;
	case IKEV2_ID_NULL:
		break;
	default:
		if (id->id_data.d_len == 0)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: empty identity", x->x_name));
		break;
	}
	return (0);
}

static int
pld_auth(struct pld_ctx *x, struct pld_cur *c)
{
	struct pld_auth	*a = &x->x_msg->m_auth;
	const uint8_t	*reserved;

	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	if (cur_u8(c, &a->auth_method) == -1 || cur_get(c, 3, &reserved) == -1)
		return (pld_trunc(x));
	if (c->c_left == 0)
		return (pld_fail(x, PLD_EMALFORMED, "malformed AUTH payload: "
		    "no authentication data"));
	cur_rest(c, &a->auth_data);
	return (0);
}

static int
pld_ts(struct pld_ctx *x, struct pld_cur *c, struct pld_ts *ts)
{
	struct pld_tsel	*sel;
	struct pld_cur	 sc;
	const uint8_t	*p;
	uint16_t	 slen;
	uint8_t		 count, i;
	size_t		 alen;

	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	if (cur_u8(c, &count) == -1 || cur_get(c, 3, &p) == -1)
		return (pld_trunc(x));
	if (count > PLD_TS_MAX)
		return (pld_fail(x, PLD_EMALFORMED, "too many traffic "
		    "selectors in %s (%u > PLD_TS_MAX %d)", x->x_name, count,
		    PLD_TS_MAX));
	for (i = 0; i < count; i++) {
		sel = &ts->ts_sel[i];
		memset(sel, 0, sizeof(*sel));
		if (c->c_left < 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: selector %u shorter than its header "
			    "(%zu < 8)", x->x_name, i + 1, c->c_left));
		if (cur_u8(c, &sel->ts_type) == -1 ||
		    cur_u8(c, &sel->ts_proto) == -1 ||
		    cur_u16(c, &slen) == -1)
			return (pld_trunc(x));
		if (slen < 8)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: selector length below its header "
			    "(%u < 8)", x->x_name, slen));
		if ((size_t)slen - 4 > c->c_left)
			return (pld_short(x, "traffic selector", c->c_left + 4,
			    slen));
		if (cur_sub(c, slen - 4, &sc) == -1 ||
		    cur_u16(&sc, &sel->ts_sport) == -1 ||
		    cur_u16(&sc, &sel->ts_eport) == -1)
			return (pld_trunc(x));
		switch (sel->ts_type) {
		case IKEV2_TS_IPV4_ADDR_RANGE:
			alen = 4;
			break;
		case IKEV2_TS_IPV6_ADDR_RANGE:
			alen = 16;
			break;
		default:
			continue;	/* unknown type: kept, no addresses */
		}
		if (slen != 8 + 2 * alen)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: %s selector of %u bytes (must be %zu)",
			    x->x_name, pld_ts_type_name(sel->ts_type), slen,
			    8 + 2 * alen));
		if (cur_get(&sc, alen, &p) == -1)
			return (pld_trunc(x));
		memcpy(sel->ts_saddr, p, alen);
		if (cur_get(&sc, alen, &p) == -1)
			return (pld_trunc(x));
		memcpy(sel->ts_eaddr, p, alen);
	}
	ts->ts_count = count;
	if (c->c_left != 0)
		return (pld_fail(x, PLD_EMALFORMED, "malformed %s payload: "
		    "%zu bytes after the last selector", x->x_name, c->c_left));
	return (0);
}

static int
pld_notify(struct pld_ctx *x, struct pld_cur *c)
{
	struct ike_msg		*m = x->x_msg;
	struct pld_notify	*n;

	if (m->m_nnotify == PLD_NOTIFY_MAX)
		return (pld_fail(x, PLD_EMALFORMED, "too many notify payloads "
		    "(more than PLD_NOTIFY_MAX %d)", PLD_NOTIFY_MAX));
	n = &m->m_notify[m->m_nnotify];
	memset(n, 0, sizeof(*n));
	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	if (cur_u8(c, &n->n_proto) == -1 || cur_u8(c, &n->n_spisize) == -1 ||
	    cur_u16(c, &n->n_type) == -1)
		return (pld_trunc(x));
	if (n->n_spisize != 0 && n->n_spisize != 4 && n->n_spisize != 8)
		return (pld_fail(x, PLD_EMALFORMED, "malformed N payload: "
		    "SPI size %u (must be 0, 4 or 8)", n->n_spisize));
	if (c->c_left < n->n_spisize)
		return (pld_short(x, "N payload SPI", c->c_left,
		    n->n_spisize));
	if (cur_spi(c, n->n_spisize, &n->n_spi) == -1)
		return (pld_trunc(x));
	cur_rest(c, &n->n_data);
	m->m_nnotify++;
	return (0);
}

static int
pld_delete(struct pld_ctx *x, struct pld_cur *c)
{
	struct ike_msg		*m = x->x_msg;
	struct pld_delete	*d;
	size_t			 need;

	if (m->m_ndelete == PLD_DELETE_MAX)
		return (pld_fail(x, PLD_EMALFORMED, "too many D payloads "
		    "(more than PLD_DELETE_MAX %d)", PLD_DELETE_MAX));
	d = &m->m_delete[m->m_ndelete];
	memset(d, 0, sizeof(*d));
	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	if (cur_u8(c, &d->d_proto) == -1 || cur_u8(c, &d->d_spisize) == -1 ||
	    cur_u16(c, &d->d_nspis) == -1)
		return (pld_trunc(x));
	switch (d->d_proto) {
	case PROTO_IKE:
		if (d->d_spisize != 0 || d->d_nspis != 0)
			return (pld_fail(x, PLD_EMALFORMED, "malformed D "
			    "payload: IKE SA delete with %u SPIs of %u bytes "
			    "(must be none)", d->d_nspis, d->d_spisize));
		break;
	case PROTO_AH:
	case PROTO_ESP:
		if (d->d_spisize != 4)
			return (pld_fail(x, PLD_EMALFORMED, "malformed D "
			    "payload: %s SPI size %u (must be 4)",
			    pld_proto_name(d->d_proto), d->d_spisize));
		break;
	default:
		return (pld_fail(x, PLD_EMALFORMED, "malformed D payload: "
		    "protocol %u (must be IKE, AH or ESP)", d->d_proto));
	}
	/* at most 65535 * 4: no overflow */
	need = (size_t)d->d_nspis * d->d_spisize;
	if (c->c_left < need)
		return (pld_short(x, "D payload", c->c_left, need));
	if (c->c_left > need)
		return (pld_fail(x, PLD_EMALFORMED, "malformed D payload: "
		    "%zu bytes after %u SPIs", c->c_left - need, d->d_nspis));
	if (cur_get(c, need, &d->d_spis) == -1)
		return (pld_trunc(x));
	m->m_ndelete++;
	return (0);
}

static int
pld_vendor(struct pld_ctx *x, struct pld_cur *c)
{
	struct ike_msg	*m = x->x_msg;

	if (m->m_nvendor == PLD_VENDOR_MAX)
		return (pld_fail(x, PLD_EMALFORMED, "too many V payloads "
		    "(more than PLD_VENDOR_MAX %d)", PLD_VENDOR_MAX));
	if (c->c_left == 0)
		return (pld_fail(x, PLD_EMALFORMED, "malformed V payload: "
		    "empty vendor id"));
	cur_rest(c, &m->m_vendor[m->m_nvendor++]);
	return (0);
}

static int
pld_cp(struct pld_ctx *x, struct pld_cur *c)
{
	struct pld_cp		*cp = &x->x_msg->m_cp;
	struct pld_cpattr	*ca;
	const uint8_t		*reserved;
	uint16_t		 len;

	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	if (cur_u8(c, &cp->cp_type) == -1 || cur_get(c, 3, &reserved) == -1)
		return (pld_trunc(x));
	while (c->c_left > 0) {
		if (cp->cp_nattrs == PLD_CP_ATTRS_MAX)
			return (pld_fail(x, PLD_EMALFORMED, "too many "
			    "configuration attributes (more than "
			    "PLD_CP_ATTRS_MAX %d)", PLD_CP_ATTRS_MAX));
		ca = &cp->cp_attrs[cp->cp_nattrs];
		if (c->c_left < 4)
			return (pld_fail(x, PLD_EMALFORMED, "malformed "
			    "configuration attribute: shorter than its header "
			    "(%zu < 4)", c->c_left));
		if (cur_u16(c, &ca->ca_type) == -1 || cur_u16(c, &len) == -1)
			return (pld_trunc(x));
		ca->ca_type &= 0x7fff;		/* reserved bit */
		if (len > c->c_left)
			return (pld_short(x, "configuration attribute",
			    c->c_left, len));
		if (cur_get(c, len, &ca->ca_value.d_ptr) == -1)
			return (pld_trunc(x));
		ca->ca_value.d_len = len;
		cp->cp_nattrs++;
	}
	return (0);
}

static int
pld_cert(struct pld_ctx *x, struct pld_cur *c, struct pld_cert *cert,
    int req)
{
	if (pld_need(x, c, 1) != 0)
		return (PLD_EMALFORMED);
	if (cur_u8(c, &cert->cert_enc) == -1)
		return (pld_trunc(x));
	cur_rest(c, &cert->cert_data);
	if (req) {
		/* a list of SHA-1 hashes of CA public keys */
		if (cert->cert_enc == IKEV2_CERT_X509_SIG &&
		    cert->cert_data.d_len % 20 != 0)
			return (pld_fail(x, PLD_EMALFORMED, "malformed CERTREQ "
			    "payload: %zu bytes of authorities (must be a "
			    "multiple of 20)", cert->cert_data.d_len));
	} else if (cert->cert_data.d_len == 0)
		return (pld_fail(x, PLD_EMALFORMED, "malformed CERT payload: "
		    "no certificate data"));
	return (0);
}

static int
pld_eap(struct pld_ctx *x, struct pld_cur *c)
{
	uint16_t	 len;

	if (pld_need(x, c, 4) != 0)
		return (PLD_EMALFORMED);
	len = (uint16_t)c->c_ptr[2] << 8 | c->c_ptr[3];
	if (len != c->c_left)
		return (pld_fail(x, PLD_EMALFORMED, "malformed EAP payload: "
		    "EAP length %u does not match the payload (%zu)", len,
		    c->c_left));
	cur_rest(c, &x->x_msg->m_eap);
	return (0);
}

/* SK (RFC 7296 3.14) or SKF (RFC 7383 2.5): opaque, and last. */
static int
pld_sk(struct pld_ctx *x, uint8_t type, uint8_t first, struct pld_cur *c)
{
	struct pld_sk	*sk = &x->x_msg->m_sk;

	sk->sk_first = first;
	if (type == IKEV2_PLD_SKF) {
		if (pld_need(x, c, 4) != 0)
			return (PLD_EMALFORMED);
		if (cur_u16(c, &sk->sk_fragnum) == -1 ||
		    cur_u16(c, &sk->sk_fragtotal) == -1)
			return (pld_trunc(x));
		if (sk->sk_fragnum == 0 || sk->sk_fragtotal == 0 ||
		    sk->sk_fragnum > sk->sk_fragtotal)
			return (pld_fail(x, PLD_EMALFORMED, "malformed SKF "
			    "payload: fragment %u of %u", sk->sk_fragnum,
			    sk->sk_fragtotal));
		if ((sk->sk_fragnum == 1) != (first != IKEV2_PLD_NONE))
			return (pld_fail(x, PLD_EMALFORMED, "malformed SKF "
			    "payload: fragment %u with next payload %u (only "
			    "fragment 1 names one)", sk->sk_fragnum, first));
	}
	sk->sk_off = c->c_ptr - x->x_base;
	cur_rest(c, &sk->sk_data);
	return (0);
}

/* Payload types that may appear once in a message. */
static int
pld_single(uint8_t type)
{
	switch (type) {
	case IKEV2_PLD_SA:
	case IKEV2_PLD_KE:
	case IKEV2_PLD_IDI:
	case IKEV2_PLD_IDR:
	case IKEV2_PLD_AUTH:
	case IKEV2_PLD_NONCE:
	case IKEV2_PLD_TSI:
	case IKEV2_PLD_TSR:
	case IKEV2_PLD_SK:
	case IKEV2_PLD_CP:
	case IKEV2_PLD_EAP:
	case IKEV2_PLD_SKF:
		return (1);
	}
	return (0);
}

static int
pld_known(uint8_t type)
{
	return ((type >= IKEV2_PLD_SA && type <= IKEV2_PLD_EAP) ||
	    type == IKEV2_PLD_SKF);
}

/* Walk a chain of payloads that must fill the cursor exactly. */
static int
pld_chain(struct pld_ctx *x, uint8_t next, struct pld_cur *c)
{
	struct ike_msg	*m = x->x_msg;
	struct pld_cur	 body;
	uint16_t	 len;
	uint8_t		 type, flags;
	const char	*name;
	char		 unknown[32];
	int		 rv;

	while (next != IKEV2_PLD_NONE) {
		type = next;
		if ((name = pld_payload_name(type)) == NULL) {
			(void)snprintf(unknown, sizeof(unknown), "type %u",
			    type);
			name = unknown;
		}
		x->x_name = name;
		if (m->m_npayloads == PLD_PAYLOADS_MAX)
			return (pld_fail(x, PLD_EMALFORMED, "too many payloads "
			    "(more than PLD_PAYLOADS_MAX %d)",
			    PLD_PAYLOADS_MAX));
		if (c->c_left < IKE_GEN_LEN)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: shorter than the generic header "
			    "(%zu < %d)", name, c->c_left, IKE_GEN_LEN));
		if (cur_u8(c, &next) == -1 || cur_u8(c, &flags) == -1 ||
		    cur_u16(c, &len) == -1)
			return (pld_trunc(x));
		if (len < IKE_GEN_LEN)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: length below the generic header "
			    "(%u < %d)", name, len, IKE_GEN_LEN));
		if ((size_t)len - IKE_GEN_LEN > c->c_left)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: shorter than specified (%zu < %u)",
			    name, c->c_left + IKE_GEN_LEN, len));
		if (cur_sub(c, len - IKE_GEN_LEN, &body) == -1)
			return (pld_trunc(x));
		if (!pld_known(type)) {
			if (flags & IKEV2_PLD_CRITICAL) {
				m->m_critical = type;
				return (pld_fail(x, PLD_ECRITICAL,
				    "unsupported critical payload %u", type));
			}
			m->m_order[m->m_npayloads++] = type;
			continue;
		}
		if (x->x_inner &&
		    (type == IKEV2_PLD_SK || type == IKEV2_PLD_SKF))
			return (pld_fail(x, PLD_EMALFORMED, "%s payload inside "
			    "an encrypted payload", name));
		if (pld_single(type) && PLD_SEEN(m, type))
			return (pld_fail(x, PLD_EMALFORMED, "more than one "
			    "%s payload", name));
		/* last, so neither can follow the other */
		if ((type == IKEV2_PLD_SK || type == IKEV2_PLD_SKF) &&
		    c->c_left != 0)
			return (pld_fail(x, PLD_EMALFORMED, "%s payload not "
			    "last (%zu bytes follow)", name, c->c_left));
		m->m_order[m->m_npayloads++] = type;
		m->m_seen |= 1ULL << type;

		switch (type) {
		case IKEV2_PLD_SA:
			rv = pld_sa(x, &body);
			break;
		case IKEV2_PLD_KE:
			rv = pld_ke(x, &body);
			break;
		case IKEV2_PLD_IDI:
			rv = pld_id(x, &body, &m->m_idi);
			break;
		case IKEV2_PLD_IDR:
			rv = pld_id(x, &body, &m->m_idr);
			break;
		case IKEV2_PLD_CERT:
			if (m->m_ncert == PLD_CERT_MAX)
				return (pld_fail(x, PLD_EMALFORMED, "too many "
				    "CERT payloads (more than PLD_CERT_MAX "
				    "%d)", PLD_CERT_MAX));
			rv = pld_cert(x, &body, &m->m_cert[m->m_ncert++], 0);
			break;
		case IKEV2_PLD_CERTREQ:
			if (m->m_ncertreq == PLD_CERT_MAX)
				return (pld_fail(x, PLD_EMALFORMED, "too many "
				    "CERTREQ payloads (more than PLD_CERT_MAX "
				    "%d)", PLD_CERT_MAX));
			rv = pld_cert(x, &body,
			    &m->m_certreq[m->m_ncertreq++], 1);
			break;
		case IKEV2_PLD_AUTH:
			rv = pld_auth(x, &body);
			break;
		case IKEV2_PLD_NONCE:
			rv = pld_nonce(x, &body);
			break;
		case IKEV2_PLD_NOTIFY:
			rv = pld_notify(x, &body);
			break;
		case IKEV2_PLD_DELETE:
			rv = pld_delete(x, &body);
			break;
		case IKEV2_PLD_VENDOR:
			rv = pld_vendor(x, &body);
			break;
		case IKEV2_PLD_TSI:
			rv = pld_ts(x, &body, &m->m_tsi);
			break;
		case IKEV2_PLD_TSR:
			rv = pld_ts(x, &body, &m->m_tsr);
			break;
		case IKEV2_PLD_CP:
			rv = pld_cp(x, &body);
			break;
		case IKEV2_PLD_EAP:
			rv = pld_eap(x, &body);
			break;
		case IKEV2_PLD_SK:
		case IKEV2_PLD_SKF:
			/* the next payload field names the first inner one */
			return (pld_sk(x, type, next, &body));
		default:
			rv = pld_fail(x, PLD_EMALFORMED, "payload type %u not "
			    "handled", type);
			break;
		}
		if (rv != 0)
			return (rv);
		if (body.c_left != 0)
			return (pld_fail(x, PLD_EMALFORMED, "malformed %s "
			    "payload: %zu bytes not consumed", name,
			    body.c_left));
	}
	if (c->c_left != 0)
		return (pld_fail(x, PLD_EMALFORMED, "%zu bytes after the last "
		    "payload", c->c_left));
	return (PLD_OK);
}

/*
 * Parse one IKE message of len bytes (without the non-ESP marker of
 * port 4500) into m, whose views point into buf.  Returns PLD_OK or a
 * PLD_E* code with a message in err.
 */
int
pld_parse(const uint8_t *buf, size_t len, struct ike_msg *m, char *err,
    size_t errlen)
{
	struct pld_ctx	 x;
	struct pld_cur	 c;
	struct ike_hdr	*h = &m->m_hdr;

	memset(m, 0, sizeof(*m));
	memset(&x, 0, sizeof(x));
	x.x_msg = m;
	x.x_base = buf;
	x.x_err = err;
	x.x_errlen = errlen;
	x.x_name = "IKE header";
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	cur_init(&c, buf, len);
	if (c.c_left < IKE_HDR_LEN)
		return (pld_fail(&x, PLD_EMALFORMED, "malformed message: "
		    "shorter than the IKE header (%zu < %d)", c.c_left,
		    IKE_HDR_LEN));
	if (cur_u64(&c, &h->h_ispi) == -1 || cur_u64(&c, &h->h_rspi) == -1 ||
	    cur_u8(&c, &h->h_next) == -1 || cur_u8(&c, &h->h_version) == -1 ||
	    cur_u8(&c, &h->h_exchange) == -1 || cur_u8(&c, &h->h_flags) == -1 ||
	    cur_u32(&c, &h->h_msgid) == -1 || cur_u32(&c, &h->h_length) == -1)
		return (pld_trunc(&x));
	if (IKE_MAJOR(h->h_version) != IKE_MAJOR(IKE_VERSION))
		return (pld_fail(&x, PLD_EVERSION, "IKE version %u.%u (major "
		    "must be 2)", IKE_MAJOR(h->h_version),
		    h->h_version & 0x0f));
	if (h->h_length > len)
		return (pld_fail(&x, PLD_EMALFORMED, "malformed message: "
		    "shorter than specified (%zu < %u)", len, h->h_length));
	if (h->h_length < len)
		return (pld_fail(&x, PLD_EMALFORMED, "malformed message: "
		    "longer than specified (%zu > %u)", len, h->h_length));
	return (pld_chain(&x, h->h_next, &c));
}

/*
 * Parse the decrypted contents of an SK payload (padding and pad length
 * removed), whose first payload is of type first, into the m that
 * pld_parse() filled from the message.  Views point into buf.
 */
int
pld_parse_inner(uint8_t first, const uint8_t *buf, size_t len,
    struct ike_msg *m, char *err, size_t errlen)
{
	struct pld_ctx	 x;
	struct pld_cur	 c;

	memset(&x, 0, sizeof(x));
	x.x_msg = m;
	x.x_base = buf;
	x.x_err = err;
	x.x_errlen = errlen;
	x.x_inner = 1;
	x.x_name = "inner";
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	cur_init(&c, buf, len);
	return (pld_chain(&x, first, &c));
}

/* --- building ------------------------------------------------------------ */

static int
pb_fail(struct pld_builder *pb, const char *why)
{
	if (pb->pb_err == NULL)
		pb->pb_err = why;
	return (-1);
}

static void
pb_u8(struct pld_builder *pb, uint8_t v)
{
	if (pb->pb_err == NULL && ibuf_add_u8(pb->pb_buf, v) == -1)
		(void)pb_fail(pb, "message too large");
}

static void
pb_u16(struct pld_builder *pb, uint16_t v)
{
	if (pb->pb_err == NULL && ibuf_add_u16(pb->pb_buf, v) == -1)
		(void)pb_fail(pb, "message too large");
}

static void
pb_u32(struct pld_builder *pb, uint32_t v)
{
	if (pb->pb_err == NULL && ibuf_add_u32(pb->pb_buf, v) == -1)
		(void)pb_fail(pb, "message too large");
}

static void
pb_u64(struct pld_builder *pb, uint64_t v)
{
	if (pb->pb_err == NULL && ibuf_add_u64(pb->pb_buf, v) == -1)
		(void)pb_fail(pb, "message too large");
}

static void
pb_data(struct pld_builder *pb, const void *p, size_t len)
{
	if (pb->pb_err == NULL && ibuf_add(pb->pb_buf, p, len) == -1)
		(void)pb_fail(pb, "message too large");
}

static void
pb_zero(struct pld_builder *pb, size_t len)
{
	if (pb->pb_err == NULL && ibuf_add_zero(pb->pb_buf, len) == -1)
		(void)pb_fail(pb, "message too large");
}

static void
pb_spi(struct pld_builder *pb, uint8_t size, uint64_t spi)
{
	if (size == 4)
		pb_u32(pb, (uint32_t)spi);
	else if (size == 8)
		pb_u64(pb, spi);
}

/* Data given as pointer and length: NULL only when empty. */
static int
pb_check(struct pld_builder *pb, const void *p, size_t len)
{
	if (pb->pb_err != NULL)
		return (-1);
	if (p == NULL && len > 0)
		return (pb_fail(pb, "data missing"));
	if (len > UINT16_MAX)
		return (pb_fail(pb, "payload longer than 65535 bytes"));
	return (0);
}

/* Start a payload: fix up the previous next-payload field. */
static ssize_t
pb_begin(struct pld_builder *pb, uint8_t type, int critical)
{
	size_t	 off;

	if (pb->pb_err != NULL)
		return (-1);
	if (pb->pb_nochain)
		return (pb_fail(pb, "payload after an SKF payload"));
	off = ibuf_length(pb->pb_buf);
	if (ibuf_set_u8(pb->pb_buf, pb->pb_next, type) == -1)
		return (pb_fail(pb, "builder not initialised"));
	pb_u8(pb, IKEV2_PLD_NONE);
	pb_u8(pb, critical ? IKEV2_PLD_CRITICAL : 0);
	pb_u16(pb, 0);
	if (pb->pb_err != NULL)
		return (-1);
	pb->pb_next = off;
	return (off);
}

/* End the payload that starts at off: write its length. */
static int
pb_end(struct pld_builder *pb, ssize_t off)
{
	size_t	 len;

	if (pb->pb_err != NULL || off < 0)
		return (-1);
	len = ibuf_length(pb->pb_buf) - off;
	if (len > UINT16_MAX)
		return (pb_fail(pb, "payload longer than 65535 bytes"));
	if (ibuf_set_u16(pb->pb_buf, off + 2, len) == -1)
		return (pb_fail(pb, "payload vanished"));
	return (0);
}

/*
 * Start a message in b (after whatever b holds, e.g. a non-ESP marker):
 * the header with next payload and length to be fixed up.
 */
int
pld_build_init(struct pld_builder *pb, struct ibuf *b,
    const struct ike_hdr *h)
{
	memset(pb, 0, sizeof(*pb));
	pb->pb_buf = b;
	pb->pb_start = ibuf_length(b);
	pb->pb_next = pb->pb_start + 16;
	pb_u64(pb, h->h_ispi);
	pb_u64(pb, h->h_rspi);
	pb_u8(pb, IKEV2_PLD_NONE);
	pb_u8(pb, h->h_version != 0 ? h->h_version : IKE_VERSION);
	pb_u8(pb, h->h_exchange);
	pb_u8(pb, h->h_flags);
	pb_u32(pb, h->h_msgid);
	pb_u32(pb, 0);
	return (pb->pb_err != NULL ? -1 : 0);
}

/* SA from proposals; a proposal number of 0 is taken as its position. */
int
pld_add_sa(struct pld_builder *pb, const struct pld_prop *props, size_t n)
{
	const struct pld_prop	*pp;
	const struct pld_xform	*xf;
	ssize_t			 off;
	size_t			 i, j, poff;

	if (pb_check(pb, props, n) == -1)
		return (-1);
	if (n == 0 || n > PLD_PROPS_MAX)
		return (pb_fail(pb, "SA: 1 to PLD_PROPS_MAX proposals"));
	for (i = 0; i < n; i++) {
		pp = &props[i];
		if (pp->pp_nxforms > PLD_XFORMS_MAX)
			return (pb_fail(pb, "SA: too many transforms"));
		if (pp->pp_spisize != 0 && pp->pp_spisize != 4 &&
		    pp->pp_spisize != 8)
			return (pb_fail(pb, "SA: SPI size must be 0, 4 or 8"));
	}
	if ((off = pb_begin(pb, IKEV2_PLD_SA, 0)) == -1)
		return (-1);
	for (i = 0; i < n; i++) {
		pp = &props[i];
		poff = ibuf_length(pb->pb_buf);
		pb_u8(pb, i + 1 == n ? IKEV2_SUB_LAST : IKEV2_SUB_PROPOSAL);
		pb_u8(pb, 0);
		pb_u16(pb, 0);
		pb_u8(pb, pp->pp_num != 0 ? pp->pp_num : i + 1);
		pb_u8(pb, pp->pp_proto);
		pb_u8(pb, pp->pp_spisize);
		pb_u8(pb, pp->pp_nxforms);
		pb_spi(pb, pp->pp_spisize, pp->pp_spi);
		for (j = 0; j < pp->pp_nxforms; j++) {
			xf = &pp->pp_xforms[j];
			pb_u8(pb, j + 1 == pp->pp_nxforms ? IKEV2_SUB_LAST :
			    IKEV2_SUB_TRANSFORM);
			pb_u8(pb, 0);
			pb_u16(pb, xf->xf_keylen != 0 ? 12 : 8);
			pb_u8(pb, xf->xf_type);
			pb_u8(pb, 0);
			pb_u16(pb, xf->xf_id);
			if (xf->xf_keylen != 0) {
				pb_u16(pb, IKEV2_ATTR_TV | IKEV2_ATTR_KEYLEN);
				pb_u16(pb, xf->xf_keylen);
			}
		}
		/* at most 16 + 64 * 12 bytes */
		if (pb->pb_err == NULL)
			(void)ibuf_set_u16(pb->pb_buf, poff + 2,
			    ibuf_length(pb->pb_buf) - poff);
	}
	return (pb_end(pb, off));
}

int
pld_add_ke(struct pld_builder *pb, uint16_t group, const void *data,
    size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (len == 0)
		return (pb_fail(pb, "KE: no key exchange data"));
	if ((off = pb_begin(pb, IKEV2_PLD_KE, 0)) == -1)
		return (-1);
	pb_u16(pb, group);
	pb_u16(pb, 0);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

int
pld_add_nonce(struct pld_builder *pb, const void *data, size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (len < PLD_NONCE_MIN || len > PLD_NONCE_MAX)
		return (pb_fail(pb, "Nonce: 16 to 256 bytes"));
	if ((off = pb_begin(pb, IKEV2_PLD_NONCE, 0)) == -1)
		return (-1);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

/* IDi or IDr (type), of an identity type and its data. */
int
pld_add_id(struct pld_builder *pb, uint8_t type, uint8_t idtype,
    const void *data, size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (type != IKEV2_PLD_IDI && type != IKEV2_PLD_IDR)
		return (pb_fail(pb, "ID: payload type must be IDi or IDr"));
	if ((idtype == IKEV2_ID_IPV4 && len != 4) ||
	    (idtype == IKEV2_ID_IPV6 && len != 16) ||
	    (idtype != IKEV2_ID_NULL && len == 0))
		return (pb_fail(pb, "ID: identity length wrong for its type"));
	if ((off = pb_begin(pb, type, 0)) == -1)
		return (-1);
	pb_u8(pb, idtype);
	pb_zero(pb, 3);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

int
pld_add_auth(struct pld_builder *pb, uint8_t method, const void *data,
    size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (len == 0)
		return (pb_fail(pb, "AUTH: no authentication data"));
	if ((off = pb_begin(pb, IKEV2_PLD_AUTH, 0)) == -1)
		return (-1);
	pb_u8(pb, method);
	pb_zero(pb, 3);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

/* TSi or TSr (type) from IPv4 and IPv6 range selectors. */
int
pld_add_ts(struct pld_builder *pb, uint8_t type, const struct pld_tsel *sel,
    size_t n)
{
	ssize_t	 off;
	size_t	 i, alen;

	if (pb_check(pb, sel, n) == -1)
		return (-1);
	if (type != IKEV2_PLD_TSI && type != IKEV2_PLD_TSR)
		return (pb_fail(pb, "TS: payload type must be TSi or TSr"));
	if (n > PLD_TS_MAX)
		return (pb_fail(pb, "TS: more than PLD_TS_MAX selectors"));
	for (i = 0; i < n; i++)
		if (sel[i].ts_type != IKEV2_TS_IPV4_ADDR_RANGE &&
		    sel[i].ts_type != IKEV2_TS_IPV6_ADDR_RANGE)
			return (pb_fail(pb, "TS: selector type not 7 or 8"));
	if ((off = pb_begin(pb, type, 0)) == -1)
		return (-1);
	pb_u8(pb, n);
	pb_zero(pb, 3);
	for (i = 0; i < n; i++) {
		alen = sel[i].ts_type == IKEV2_TS_IPV4_ADDR_RANGE ? 4 : 16;
		pb_u8(pb, sel[i].ts_type);
		pb_u8(pb, sel[i].ts_proto);
		pb_u16(pb, 8 + 2 * alen);
		pb_u16(pb, sel[i].ts_sport);
		pb_u16(pb, sel[i].ts_eport);
		pb_data(pb, sel[i].ts_saddr, alen);
		pb_data(pb, sel[i].ts_eaddr, alen);
	}
	return (pb_end(pb, off));
}

int
pld_add_notify(struct pld_builder *pb, uint8_t proto, uint8_t spisize,
    uint64_t spi, uint16_t type, const void *data, size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (spisize != 0 && spisize != 4 && spisize != 8)
		return (pb_fail(pb, "N: SPI size must be 0, 4 or 8"));
	if ((off = pb_begin(pb, IKEV2_PLD_NOTIFY, 0)) == -1)
		return (-1);
	pb_u8(pb, proto);
	pb_u8(pb, spisize);
	pb_u16(pb, type);
	pb_spi(pb, spisize, spi);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

/* D: nspis SPIs of spisize bytes each, in network order, at spis. */
int
pld_add_delete(struct pld_builder *pb, uint8_t proto, uint8_t spisize,
    const void *spis, uint16_t nspis)
{
	ssize_t	 off;
	size_t	 len = (size_t)nspis * spisize;

	if (pb_check(pb, spis, len) == -1)
		return (-1);
	if ((proto == PROTO_IKE && (spisize != 0 || nspis != 0)) ||
	    ((proto == PROTO_AH || proto == PROTO_ESP) && spisize != 4) ||
	    (proto != PROTO_IKE && proto != PROTO_AH && proto != PROTO_ESP))
		return (pb_fail(pb, "D: IKE without SPIs, AH or ESP with "
		    "4-byte SPIs"));
	if ((off = pb_begin(pb, IKEV2_PLD_DELETE, 0)) == -1)
		return (-1);
	pb_u8(pb, proto);
	pb_u8(pb, spisize);
	pb_u16(pb, nspis);
	pb_data(pb, spis, len);
	return (pb_end(pb, off));
}

int
pld_add_vendor(struct pld_builder *pb, const void *data, size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (len == 0)
		return (pb_fail(pb, "V: empty vendor id"));
	if ((off = pb_begin(pb, IKEV2_PLD_VENDOR, 0)) == -1)
		return (-1);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

int
pld_add_cp(struct pld_builder *pb, uint8_t type, const struct pld_cpattr *ca,
    size_t n)
{
	ssize_t	 off;
	size_t	 i;

	if (pb_check(pb, ca, n) == -1)
		return (-1);
	if (n > PLD_CP_ATTRS_MAX)
		return (pb_fail(pb, "CP: more than PLD_CP_ATTRS_MAX "
		    "attributes"));
	for (i = 0; i < n; i++)
		if (ca[i].ca_type > 0x7fff || pb_check(pb,
		    ca[i].ca_value.d_ptr, ca[i].ca_value.d_len) == -1)
			return (pb_fail(pb, "CP: bad attribute"));
	if ((off = pb_begin(pb, IKEV2_PLD_CP, 0)) == -1)
		return (-1);
	pb_u8(pb, type);
	pb_zero(pb, 3);
	for (i = 0; i < n; i++) {
		pb_u16(pb, ca[i].ca_type);
		pb_u16(pb, ca[i].ca_value.d_len);
		pb_data(pb, ca[i].ca_value.d_ptr, ca[i].ca_value.d_len);
	}
	return (pb_end(pb, off));
}

/* CERT or CERTREQ (type). */
int
pld_add_cert(struct pld_builder *pb, uint8_t type, uint8_t enc,
    const void *data, size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (type != IKEV2_PLD_CERT && type != IKEV2_PLD_CERTREQ)
		return (pb_fail(pb, "CERT: payload type must be CERT or "
		    "CERTREQ"));
	if (type == IKEV2_PLD_CERT && len == 0)
		return (pb_fail(pb, "CERT: no certificate data"));
	if (type == IKEV2_PLD_CERTREQ && enc == IKEV2_CERT_X509_SIG &&
	    len % 20 != 0)
		return (pb_fail(pb, "CERTREQ: authorities are 20-byte "
		    "hashes"));
	if ((off = pb_begin(pb, type, 0)) == -1)
		return (-1);
	pb_u8(pb, enc);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

/* EAP: one whole EAP packet, whose length field must match. */
int
pld_add_eap(struct pld_builder *pb, const void *data, size_t len)
{
	const uint8_t	*p = data;
	ssize_t		 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (len < 4 || ((size_t)p[2] << 8 | p[3]) != len)
		return (pb_fail(pb, "EAP: length field does not match"));
	if ((off = pb_begin(pb, IKEV2_PLD_EAP, 0)) == -1)
		return (-1);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

/* Any payload body as given, with the critical bit if asked. */
int
pld_add_raw(struct pld_builder *pb, uint8_t type, int critical,
    const void *data, size_t len)
{
	ssize_t	 off;

	if (pb_check(pb, data, len) == -1)
		return (-1);
	if (type == IKEV2_PLD_NONE || type == IKEV2_PLD_SK ||
	    type == IKEV2_PLD_SKF)
		return (pb_fail(pb, "raw: not for SK, SKF or type 0"));
	if ((off = pb_begin(pb, type, critical)) == -1)
		return (-1);
	pb_data(pb, data, len);
	return (pb_end(pb, off));
}

/*
 * Open an SK payload followed by ivlen zero bytes for the IV.  Payloads
 * added afterwards are its inner payloads (the first one's type goes in
 * the SK header).  Returns the offset where they begin: the caller adds
 * padding and pad length, reserves the ICV, calls pld_build_finish(),
 * then encrypts from there and writes IV and ICV in place (ibuf_seek).
 */
ssize_t
pld_sk_begin(struct pld_builder *pb, size_t ivlen)
{
	ssize_t	 off;

	if (pb->pb_err != NULL)
		return (-1);
	if (pb->pb_sk != 0)
		return (pb_fail(pb, "SK: already open"));
	if ((off = pb_begin(pb, IKEV2_PLD_SK, 0)) == -1)
		return (-1);
	pb->pb_sk = off;
	pb_zero(pb, ivlen);
	if (pb->pb_err != NULL)
		return (-1);
	return (ibuf_length(pb->pb_buf));
}

/*
 * Open fragment num of total (RFC 7383), whose next payload is first in
 * fragment 1 and 0 in the others, followed by ivlen bytes of IV.  The
 * caller appends its slice of the inner payloads with ibuf_add(); no
 * payload may follow.  Returns where the slice begins.
 */
ssize_t
pld_skf_begin(struct pld_builder *pb, uint8_t first, uint16_t num,
    uint16_t total, size_t ivlen)
{
	ssize_t	 off;

	if (pb->pb_err != NULL)
		return (-1);
	if (pb->pb_sk != 0)
		return (pb_fail(pb, "SKF: SK or SKF already open"));
	if (num == 0 || num > total)
		return (pb_fail(pb, "SKF: fragment number out of range"));
	if ((num == 1) != (first != IKEV2_PLD_NONE))
		return (pb_fail(pb, "SKF: only fragment 1 names a payload"));
	if ((off = pb_begin(pb, IKEV2_PLD_SKF, 0)) == -1)
		return (-1);
	(void)ibuf_set_u8(pb->pb_buf, off, first);
	pb->pb_sk = off;
	pb->pb_nochain = 1;
	pb_u16(pb, num);
	pb_u16(pb, total);
	pb_zero(pb, ivlen);
	if (pb->pb_err != NULL)
		return (-1);
	return (ibuf_length(pb->pb_buf));
}

/*
 * Write the length of an open SK/SKF payload (all that follows it) and
 * of the message.  Returns the message length, or -1 if anything failed
 * (pb_err says what).
 */
ssize_t
pld_build_finish(struct pld_builder *pb)
{
	size_t	 len;

	if (pb->pb_err != NULL)
		return (-1);
	if (pb->pb_sk != 0 && pb_end(pb, pb->pb_sk) == -1)
		return (-1);
	len = ibuf_length(pb->pb_buf) - pb->pb_start;
	if (ibuf_set_u32(pb->pb_buf, pb->pb_start + 24, len) == -1)
		return (pb_fail(pb, "builder not initialised"));
	return (len);
}

/* --- names --------------------------------------------------------------- */

struct pld_name {
	unsigned int	 pn_value;
	const char	*pn_name;
};

static const char *
pld_lookup(const struct pld_name *t, size_t n, unsigned int v)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (t[i].pn_value == v)
			return (t[i].pn_name);
	return (NULL);
}

#define LOOKUP(t, v)	pld_lookup((t), nitems(t), (v))

static const struct pld_name exchange_names[] = {
	{ 34, "IKE_SA_INIT" },
	{ 35, "IKE_AUTH" },
	{ 36, "CREATE_CHILD_SA" },
	{ 37, "INFORMATIONAL" },
	{ 38, "IKE_SESSION_RESUME" },
	{ 39, "GSA_AUTH" },
	{ 40, "GSA_REGISTRATION" },
	{ 41, "GSA_REKEY" },
	{ 43, "IKE_INTERMEDIATE" },
	{ 44, "IKE_FOLLOWUP_KE" },
};

static const struct pld_name payload_names[] = {
	{ 33, "SA" },
	{ 34, "KE" },
	{ 35, "IDi" },
	{ 36, "IDr" },
	{ 37, "CERT" },
	{ 38, "CERTREQ" },
	{ 39, "AUTH" },
	{ 40, "Nonce" },
	{ 41, "N" },
	{ 42, "D" },
	{ 43, "V" },
	{ 44, "TSi" },
	{ 45, "TSr" },
	{ 46, "SK" },
	{ 47, "CP" },
	{ 48, "EAP" },
	{ 49, "GSPM" },
	{ 50, "IDg" },
	{ 51, "GSA" },
	{ 52, "KD" },
	{ 53, "SKF" },
	{ 54, "PS" },
};

static const struct pld_name notify_names[] = {
	/* errors (RFC 7296 3.10.1, RFC 4555, RFC 7383, RFC 9370) */
	{ 1, "UNSUPPORTED_CRITICAL_PAYLOAD" },
	{ 4, "INVALID_IKE_SPI" },
	{ 5, "INVALID_MAJOR_VERSION" },
	{ 7, "INVALID_SYNTAX" },
	{ 9, "INVALID_MESSAGE_ID" },
	{ 11, "INVALID_SPI" },
	{ 14, "NO_PROPOSAL_CHOSEN" },
	{ 17, "INVALID_KE_PAYLOAD" },
	{ 24, "AUTHENTICATION_FAILED" },
	{ 34, "SINGLE_PAIR_REQUIRED" },
	{ 35, "NO_ADDITIONAL_SAS" },
	{ 36, "INTERNAL_ADDRESS_FAILURE" },
	{ 37, "FAILED_CP_REQUIRED" },
	{ 38, "TS_UNACCEPTABLE" },
	{ 39, "INVALID_SELECTORS" },
	{ 40, "UNACCEPTABLE_ADDRESSES" },
	{ 41, "UNEXPECTED_NAT_DETECTED" },
	{ 42, "USE_ASSIGNED_HoA" },
	{ 43, "TEMPORARY_FAILURE" },
	{ 44, "CHILD_SA_NOT_FOUND" },
	{ 45, "INVALID_GROUP_ID" },
	{ 46, "AUTHORIZATION_FAILED" },
	{ 47, "STATE_NOT_FOUND" },
	/* status */
	{ 16384, "INITIAL_CONTACT" },
	{ 16385, "SET_WINDOW_SIZE" },
	{ 16386, "ADDITIONAL_TS_POSSIBLE" },
	{ 16387, "IPCOMP_SUPPORTED" },
	{ 16388, "NAT_DETECTION_SOURCE_IP" },
	{ 16389, "NAT_DETECTION_DESTINATION_IP" },
	{ 16390, "COOKIE" },
	{ 16391, "USE_TRANSPORT_MODE" },
	{ 16392, "HTTP_CERT_LOOKUP_SUPPORTED" },
	{ 16393, "REKEY_SA" },
	{ 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" },
	{ 16395, "NON_FIRST_FRAGMENTS_ALSO" },
	{ 16396, "MOBIKE_SUPPORTED" },
	{ 16397, "ADDITIONAL_IP4_ADDRESS" },
	{ 16398, "ADDITIONAL_IP6_ADDRESS" },
	{ 16399, "NO_ADDITIONAL_ADDRESSES" },
	{ 16400, "UPDATE_SA_ADDRESSES" },
	{ 16401, "COOKIE2" },
	{ 16402, "NO_NATS_ALLOWED" },
	{ 16403, "AUTH_LIFETIME" },
	{ 16404, "MULTIPLE_AUTH_SUPPORTED" },
	{ 16405, "ANOTHER_AUTH_FOLLOWS" },
	{ 16406, "REDIRECT_SUPPORTED" },
	{ 16407, "REDIRECT" },
	{ 16408, "REDIRECTED_FROM" },
	{ 16409, "TICKET_LT_OPAQUE" },
	{ 16410, "TICKET_REQUEST" },
	{ 16411, "TICKET_ACK" },
	{ 16412, "TICKET_NACK" },
	{ 16413, "TICKET_OPAQUE" },
	{ 16414, "LINK_ID" },
	{ 16415, "USE_WESP_MODE" },
	{ 16416, "ROHC_SUPPORTED" },
	{ 16417, "EAP_ONLY_AUTHENTICATION" },
	{ 16418, "CHILDLESS_IKEV2_SUPPORTED" },
	{ 16419, "QUICK_CRASH_DETECTION" },
	{ 16420, "IKEV2_MESSAGE_ID_SYNC_SUPPORTED" },
	{ 16421, "IPSEC_REPLAY_COUNTER_SYNC_SUPPORTED" },
	{ 16422, "IKEV2_MESSAGE_ID_SYNC" },
	{ 16423, "IPSEC_REPLAY_COUNTER_SYNC" },
	{ 16424, "SECURE_PASSWORD_METHODS" },
	{ 16425, "PSK_PERSIST" },
	{ 16426, "PSK_CONFIRM" },
	{ 16427, "ERX_SUPPORTED" },
	{ 16428, "IFOM_CAPABILITY" },
	{ 16429, "SENDER_REQUEST_ID" },
	{ 16430, "IKEV2_FRAGMENTATION_SUPPORTED" },
	{ 16431, "SIGNATURE_HASH_ALGORITHMS" },
	{ 16432, "CLONE_IKE_SA_SUPPORTED" },
	{ 16433, "CLONE_IKE_SA" },
	{ 16434, "PUZZLE" },
	{ 16435, "USE_PPK" },
	{ 16436, "PPK_IDENTITY" },
	{ 16437, "NO_PPK_AUTH" },
	{ 16438, "INTERMEDIATE_EXCHANGE_SUPPORTED" },
	{ 16439, "IP4_ALLOWED" },
	{ 16440, "IP6_ALLOWED" },
	{ 16441, "ADDITIONAL_KEY_EXCHANGE" },
	{ 16442, "USE_AGGFRAG" },
};

static const struct pld_name proto_names[] = {
	{ PROTO_IKE, "IKE" },
	{ PROTO_AH, "AH" },
	{ PROTO_ESP, "ESP" },
};

static const struct pld_name xform_type_names[] = {
	{ XF_ENCR, "ENCR" },
	{ XF_PRF, "PRF" },
	{ XF_INTEG, "INTEG" },
	{ XF_DH, "DH" },
	{ XF_ESN, "ESN" },
};

static const struct pld_name encr_names[] = {
	{ 1, "DES_IV64" },
	{ 2, "DES" },
	{ 3, "3DES" },
	{ 4, "RC5" },
	{ 5, "IDEA" },
	{ 6, "CAST" },
	{ 7, "BLOWFISH" },
	{ 8, "3IDEA" },
	{ 9, "DES_IV32" },
	{ 11, "NULL" },
	{ 12, "AES_CBC" },
	{ 13, "AES_CTR" },
	{ 14, "AES_CCM_8" },
	{ 15, "AES_CCM_12" },
	{ 16, "AES_CCM_16" },
	{ 18, "AES_GCM_8" },
	{ 19, "AES_GCM_12" },
	{ 20, "AES_GCM_16" },
	{ 21, "NULL_AUTH_AES_GMAC" },
	{ 23, "CAMELLIA_CBC" },
	{ 24, "CAMELLIA_CTR" },
	{ 25, "CAMELLIA_CCM_8" },
	{ 26, "CAMELLIA_CCM_12" },
	{ 27, "CAMELLIA_CCM_16" },
	{ 28, "CHACHA20_POLY1305" },
};

static const struct pld_name prf_names[] = {
	{ 1, "HMAC_MD5" },
	{ 2, "HMAC_SHA1" },
	{ 3, "HMAC_TIGER" },
	{ 4, "AES128_XCBC" },
	{ 5, "HMAC_SHA2_256" },
	{ 6, "HMAC_SHA2_384" },
	{ 7, "HMAC_SHA2_512" },
	{ 8, "AES128_CMAC" },
};

static const struct pld_name integ_names[] = {
	{ 0, "NONE" },
	{ 1, "HMAC_MD5_96" },
	{ 2, "HMAC_SHA1_96" },
	{ 3, "DES_MAC" },
	{ 4, "KPDK_MD5" },
	{ 5, "AES_XCBC_96" },
	{ 6, "HMAC_MD5_128" },
	{ 7, "HMAC_SHA1_160" },
	{ 8, "AES_CMAC_96" },
	{ 9, "AES_128_GMAC" },
	{ 10, "AES_192_GMAC" },
	{ 11, "AES_256_GMAC" },
	{ 12, "HMAC_SHA2_256_128" },
	{ 13, "HMAC_SHA2_384_192" },
	{ 14, "HMAC_SHA2_512_256" },
};

/* with the public value length of each group, for pld_dh_publen() */
static const struct {
	unsigned int	 dh_id;
	const char	*dh_name;
	size_t		 dh_publen;
} dh_groups[] = {
	{ 0, "NONE", 0 },
	{ 1, "MODP_768", 96 },
	{ 2, "MODP_1024", 128 },
	{ 5, "MODP_1536", 192 },
	{ 14, "MODP_2048", 256 },
	{ 15, "MODP_3072", 384 },
	{ 16, "MODP_4096", 512 },
	{ 17, "MODP_6144", 768 },
	{ 18, "MODP_8192", 1024 },
	{ 19, "ECP_256", 64 },
	{ 20, "ECP_384", 96 },
	{ 21, "ECP_521", 132 },
	{ 22, "MODP_1024_160", 128 },
	{ 23, "MODP_2048_224", 256 },
	{ 24, "MODP_2048_256", 256 },
	{ 25, "ECP_192", 48 },
	{ 26, "ECP_224", 56 },
	{ 27, "BRAINPOOL_P224", 56 },
	{ 28, "BRAINPOOL_P256", 64 },
	{ 29, "BRAINPOOL_P384", 96 },
	{ 30, "BRAINPOOL_P512", 128 },
	{ 31, "CURVE25519", 32 },
	{ 32, "CURVE448", 56 },
};

static const struct pld_name esn_names[] = {
	{ 0, "NO_ESN" },
	{ 1, "ESN" },
};

static const struct pld_name id_type_names[] = {
	{ 1, "IPV4_ADDR" },
	{ 2, "FQDN" },
	{ 3, "RFC822_ADDR" },
	{ 5, "IPV6_ADDR" },
	{ 9, "DER_ASN1_DN" },
	{ 10, "DER_ASN1_GN" },
	{ 11, "KEY_ID" },
	{ 12, "FC_NAME" },
	{ 13, "NULL" },
};

static const struct pld_name auth_method_names[] = {
	{ 1, "RSA_SIG" },
	{ 2, "SHARED_KEY_MIC" },
	{ 3, "DSS_SIG" },
	{ 9, "ECDSA_SHA256_P256" },
	{ 10, "ECDSA_SHA384_P384" },
	{ 11, "ECDSA_SHA512_P521" },
	{ 12, "GSPAM" },
	{ 13, "NULL_AUTH" },
	{ 14, "DIGITAL_SIGNATURE" },
};

static const struct pld_name ts_type_names[] = {
	{ 7, "TS_IPV4_ADDR_RANGE" },
	{ 8, "TS_IPV6_ADDR_RANGE" },
	{ 9, "TS_FC_ADDR_RANGE" },
	{ 10, "TS_SECLABEL" },
};

static const struct pld_name cp_type_names[] = {
	{ 1, "CFG_REQUEST" },
	{ 2, "CFG_REPLY" },
	{ 3, "CFG_SET" },
	{ 4, "CFG_ACK" },
};

static const struct pld_name cfg_attr_names[] = {
	{ 1, "INTERNAL_IP4_ADDRESS" },
	{ 2, "INTERNAL_IP4_NETMASK" },
	{ 3, "INTERNAL_IP4_DNS" },
	{ 4, "INTERNAL_IP4_NBNS" },
	{ 6, "INTERNAL_IP4_DHCP" },
	{ 7, "APPLICATION_VERSION" },
	{ 8, "INTERNAL_IP6_ADDRESS" },
	{ 10, "INTERNAL_IP6_DNS" },
	{ 12, "INTERNAL_IP6_DHCP" },
	{ 13, "INTERNAL_IP4_SUBNET" },
	{ 14, "SUPPORTED_ATTRIBUTES" },
	{ 15, "INTERNAL_IP6_SUBNET" },
	{ 25, "INTERNAL_DNS_DOMAIN" },
};

static const struct pld_name cert_enc_names[] = {
	{ 1, "PKCS7_X509" },
	{ 2, "PGP" },
	{ 3, "DNS_SIGNED_KEY" },
	{ 4, "X509_SIG" },
	{ 6, "KERBEROS" },
	{ 7, "CRL" },
	{ 8, "ARL" },
	{ 9, "SPKI" },
	{ 10, "X509_ATTR" },
	{ 11, "RAW_RSA_KEY" },
	{ 12, "HASH_URL_X509_CERT" },
	{ 13, "HASH_URL_X509_BUNDLE" },
	{ 14, "OCSP_CONTENT" },
	{ 15, "RAW_PUBLIC_KEY" },
};

/* Each returns the name of a number, or NULL when it has none. */
const char *
pld_exchange_name(unsigned int v)
{
	return (LOOKUP(exchange_names, v));
}

const char *
pld_payload_name(unsigned int v)
{
	return (LOOKUP(payload_names, v));
}

const char *
pld_notify_name(unsigned int v)
{
	return (LOOKUP(notify_names, v));
}

const char *
pld_proto_name(unsigned int v)
{
	return (LOOKUP(proto_names, v));
}

const char *
pld_xform_type_name(unsigned int v)
{
	return (LOOKUP(xform_type_names, v));
}

const char *
pld_xform_id_name(unsigned int type, unsigned int id)
{
	size_t	 i;

	switch (type) {
	case XF_ENCR:
		return (LOOKUP(encr_names, id));
	case XF_PRF:
		return (LOOKUP(prf_names, id));
	case XF_INTEG:
		return (LOOKUP(integ_names, id));
	case XF_DH:
		for (i = 0; i < nitems(dh_groups); i++)
			if (dh_groups[i].dh_id == id)
				return (dh_groups[i].dh_name);
		return (NULL);
	case XF_ESN:
		return (LOOKUP(esn_names, id));
	}
	return (NULL);
}

/* Length of a KE payload's data for a group, 0 if unknown. */
size_t
pld_dh_publen(unsigned int group)
{
	size_t	 i;

	for (i = 0; i < nitems(dh_groups); i++)
		if (dh_groups[i].dh_id == group)
			return (dh_groups[i].dh_publen);
	return (0);
}

const char *
pld_id_type_name(unsigned int v)
{
	return (LOOKUP(id_type_names, v));
}

const char *
pld_auth_method_name(unsigned int v)
{
	return (LOOKUP(auth_method_names, v));
}

const char *
pld_ts_type_name(unsigned int v)
{
	return (LOOKUP(ts_type_names, v));
}

const char *
pld_cp_type_name(unsigned int v)
{
	return (LOOKUP(cp_type_names, v));
}

const char *
pld_cfg_attr_name(unsigned int v)
{
	return (LOOKUP(cfg_attr_names, v));
}

const char *
pld_cert_enc_name(unsigned int v)
{
	return (LOOKUP(cert_enc_names, v));
}

static void
pld_cat(char *buf, size_t size, size_t *used, const char *fmt, ...)
    __attribute__((__format__(__printf__, 4, 5)));

static void
pld_cat(char *buf, size_t size, size_t *used, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*used >= size) {
		*used = size;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, size - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *used)
		*used = size;
	else
		*used += n;
}

/*
 * One line for logs: "IKE_SA_INIT request 0 [ SA KE Nonce
 * N(NAT_DETECTION_SOURCE_IP) ]".  Returns -1 if it was cut to fit.
 */
int
pld_describe(const struct ike_msg *m, char *buf, size_t size)
{
	const struct ike_hdr	*h = &m->m_hdr;
	const char		*name;
	size_t			 used = 0, i, n = 0;
	uint8_t			 type;

	if (size == 0)
		return (-1);
	buf[0] = '\0';
	if ((name = pld_exchange_name(h->h_exchange)) != NULL)
		pld_cat(buf, size, &used, "%s", name);
	else
		pld_cat(buf, size, &used, "exchange %u", h->h_exchange);
	pld_cat(buf, size, &used, " %s %u [", (h->h_flags & IKEV2_FLAG_R) ?
	    "response" : "request", h->h_msgid);
	for (i = 0; i < m->m_npayloads; i++) {
		type = m->m_order[i];
		if (type == IKEV2_PLD_NOTIFY && n < m->m_nnotify) {
			if ((name = pld_notify_name(m->m_notify[n].n_type)) !=
			    NULL)
				pld_cat(buf, size, &used, " N(%s)", name);
			else
				pld_cat(buf, size, &used, " N(%u)",
				    m->m_notify[n].n_type);
			n++;
		} else if ((name = pld_payload_name(type)) != NULL)
			pld_cat(buf, size, &used, " %s", name);
		else
			pld_cat(buf, size, &used, " type %u", type);
	}
	pld_cat(buf, size, &used, " ]");
	return (used >= size ? -1 : 0);
}
