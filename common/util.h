/*
 * Small helpers every program needs (what OpenBSD's libc has and
 * glibc may lack).
 */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>

#ifndef __dead
#define __dead		__attribute__((__noreturn__))
#endif
#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* util.c */
size_t		 ikd_strlcpy(char *, const char *, size_t);
size_t		 ikd_strlcat(char *, const char *, size_t);
void		 freezero(void *, size_t);
void		 strzero_free(char *);
long long	 ikd_strtonum(const char *, long long, long long,
		    const char **);
void		*xcalloc(size_t, size_t);
void		*xreallocarray(void *, size_t, size_t);
char		*xstrdup(const char *);
char		*xstrndup(const char *, size_t);
int		 hex_decode(const char *, uint8_t *, size_t, size_t *);
void		 hex_encode(const uint8_t *, size_t, char *);

#define strlcpy		ikd_strlcpy
#define strlcat		ikd_strlcat
#define strtonum	ikd_strtonum

#endif /* UTIL_H */
