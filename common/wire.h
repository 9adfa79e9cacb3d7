/*
 * Cursors for fixed-layout little-endian payloads (control messages,
 * kernel requests): reads fail closed at the end of the bytes, writes
 * fail (and stay failed) when the buffer is full.  A payload is
 * accepted only if end() says it was consumed exactly.
 */
#ifndef WIRE_H
#define WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cur {
	const uint8_t	*c_p;
	size_t		 c_left;
};

struct wcur {
	uint8_t		*w_p;
	size_t		 w_left;
	size_t		 w_len;
	int		 w_err;
};

static inline int
get_bytes(struct cur *c, void *dst, size_t n)
{
	if (c->c_left < n)
		return (-1);
	if (n > 0)
		memcpy(dst, c->c_p, n);
	c->c_p += n;
	c->c_left -= n;
	return (0);
}

static inline int
get_u8(struct cur *c, uint8_t *v)
{
	return (get_bytes(c, v, 1));
}

static inline int
get_u16(struct cur *c, uint16_t *v)
{
	uint8_t	 b[2];

	if (get_bytes(c, b, 2) == -1)
		return (-1);
	*v = (uint16_t)(b[0] | b[1] << 8);
	return (0);
}

static inline int
get_u32(struct cur *c, uint32_t *v)
{
	uint8_t	 b[4];

	if (get_bytes(c, b, 4) == -1)
		return (-1);
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
	return (0);
}

static inline int
get_u64(struct cur *c, uint64_t *v)
{
	uint32_t	 lo, hi;

	if (get_u32(c, &lo) == -1 || get_u32(c, &hi) == -1)
		return (-1);
	*v = (uint64_t)hi << 32 | lo;
	return (0);
}

/* a u16 length and that many bytes, no NUL, into dst (size - 1 at most) */
static inline int
get_str(struct cur *c, char *dst, size_t size)
{
	uint16_t	 n;

	if (get_u16(c, &n) == -1 || n >= size || c->c_left < n ||
	    memchr(c->c_p, '\0', n) != NULL)
		return (-1);
	memcpy(dst, c->c_p, n);
	dst[n] = '\0';
	c->c_p += n;
	c->c_left -= n;
	return (0);
}

static inline int
end(const struct cur *c)
{
	return (c->c_left == 0 ? 0 : -1);
}

static inline void
wcur_init(struct wcur *w, uint8_t *buf, size_t size)
{
	memset(w, 0, sizeof(*w));
	w->w_p = buf;
	w->w_left = size;
}

/* bytes written, or 0 if anything did not fit */
static inline size_t
wcur_done(const struct wcur *w)
{
	return (w->w_err ? 0 : w->w_len);
}

static inline void
put_bytes(struct wcur *w, const void *src, size_t n)
{
	if (w->w_err || w->w_left < n) {
		w->w_err = 1;
		return;
	}
	if (n > 0)
		memcpy(w->w_p, src, n);
	w->w_p += n;
	w->w_left -= n;
	w->w_len += n;
}

static inline void
put_u8(struct wcur *w, uint8_t v)
{
	put_bytes(w, &v, 1);
}

static inline void
put_u16(struct wcur *w, uint16_t v)
{
	uint8_t	 b[2] = { v & 0xff, v >> 8 };

	put_bytes(w, b, 2);
}

static inline void
put_u32(struct wcur *w, uint32_t v)
{
	uint8_t	 b[4] = { v, v >> 8, v >> 16, v >> 24 };

	put_bytes(w, b, 4);
}

static inline void
put_u64(struct wcur *w, uint64_t v)
{
	put_u32(w, (uint32_t)v);
	put_u32(w, (uint32_t)(v >> 32));
}

/* strings of at most max - 1 bytes */
static inline void
put_str(struct wcur *w, const char *s, size_t max)
{
	size_t	 n = strnlen(s, max);

	if (n >= max || n > 0xffff) {
		w->w_err = 1;
		return;
	}
	put_u16(w, (uint16_t)n);
	put_bytes(w, s, n);
}

#endif /* WIRE_H */
