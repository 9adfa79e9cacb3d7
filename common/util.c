#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

size_t
ikd_strlcpy(char *dst, const char *src, size_t dsize)
{
	size_t	 len = strlen(src);

	if (dsize != 0) {
		size_t	 n = len >= dsize ? dsize - 1 : len;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return (len);
}

size_t
ikd_strlcat(char *dst, const char *src, size_t dsize)
{
	size_t	 dlen = strnlen(dst, dsize);

	if (dlen == dsize)
		return (dlen + strlen(src));
	return (dlen + ikd_strlcpy(dst + dlen, src, dsize - dlen));
}

void
freezero(void *p, size_t len)
{
	if (p == NULL)
		return;
	explicit_bzero(p, len);
	free(p);
}

void
strzero_free(char *s)
{
	if (s == NULL)
		return;
	freezero(s, strlen(s));
}

/* strtonum(3) with OpenBSD's messages: "invalid", "too small", "too large" */
long long
ikd_strtonum(const char *s, long long min, long long max, const char **errp)
{
	long long	 ll;
	char		*ep;

	*errp = NULL;
	if (min > max || s == NULL || *s == '\0') {
		*errp = "invalid";
		return (0);
	}
	errno = 0;
	ll = strtoll(s, &ep, 10);
	if (*ep != '\0' || ep == s) {
		*errp = "invalid";
		return (0);
	}
	if ((ll == LLONG_MIN && errno == ERANGE) || ll < min) {
		*errp = "too small";
		return (0);
	}
	if ((ll == LLONG_MAX && errno == ERANGE) || ll > max) {
		*errp = "too large";
		return (0);
	}
	return (ll);
}

static __dead void
oom(void)
{
	fputs("out of memory\n", stderr);
	exit(1);
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL && n != 0 && size != 0)
		oom();
	return (p);
}

void *
xreallocarray(void *ptr, size_t n, size_t size)
{
	void	*p;

	if (size != 0 && n > SIZE_MAX / size)
		oom();
	if ((p = realloc(ptr, n * size)) == NULL && n * size != 0)
		oom();
	return (p);
}

char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		oom();
	return (p);
}

char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		oom();
	return (p);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * Decode an even number of hex digits into buf (at most size bytes).
 * Returns 0, or -1 on a bad digit, odd length or overflow.
 */
int
hex_decode(const char *s, uint8_t *buf, size_t size, size_t *outlen)
{
	size_t	 len = strlen(s), i;
	int	 hi, lo;

	if (len % 2 != 0 || len / 2 > size)
		return (-1);
	for (i = 0; i < len / 2; i++) {
		if ((hi = hexval((unsigned char)s[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)s[2 * i + 1])) == -1)
			return (-1);
		buf[i] = (hi << 4) | lo;
	}
	*outlen = len / 2;
	return (0);
}

/* out must hold 2 * len + 1 bytes */
void
hex_encode(const uint8_t *buf, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 0xf];
	}
	out[2 * len] = '\0';
}
