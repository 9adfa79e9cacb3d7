/*
 * Logging: stderr in the foreground (-d), syslog otherwise.  Each process
 * names itself, so a line says which part of the daemon wrote it.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#include "util.h"

void	 log_init(int, int);
void	 log_procname(const char *);
void	 log_setverbose(int);
int	 log_getverbose(void);
void	 log_warn(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	 log_info(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
void	 log_debug(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
__dead void fatal(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));
__dead void fatalx(const char *, ...)
	    __attribute__((__format__(printf, 1, 2)));

#endif /* LOG_H */
