/*
 * Generations: a decoded, verified policy set with its number.  The
 * parent decodes a blob first; each child decodes the same bytes again
 * from a sealed memory file, so no process trusts another's decoding.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ikerund.h"
#include "log.h"

/* A sealed, read-only memory file holding buf. */
int
gen_memfd(const uint8_t *buf, size_t len)
{
	size_t	 off = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = memfd_create("ikerund-blob", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return (-1);
	while (off < len) {
		if ((n = write(fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return (-1);
		}
		off += n;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) == -1) {
		close(fd);
		return (-1);
	}
	return (fd);
}

/*
 * Read the blob behind fd (exactly size bytes, digest as announced) and
 * decode it into g.  Returns 0, or -1 with a reason in err.
 */
int
gen_load_fd(int fd, uint64_t size, const uint8_t *digest, struct generation *g,
    char *err, size_t errlen)
{
	uint8_t		*buf;
	size_t		 len;

	memset(g, 0, sizeof(*g));
	if (blob_read_fd(fd, &buf, &len, err, errlen) == -1)
		return (-1);
	if (len != size) {
		snprintf(err, errlen, "blob is %zu bytes, %llu announced", len,
		    (unsigned long long)size);
		freezero(buf, len);
		return (-1);
	}
	if (blob_decode(buf, len, NULL, 0, &g->g_ps, &g->g_info, err,
	    errlen) == -1) {
		freezero(buf, len);
		return (-1);
	}
	freezero(buf, len);
	if (memcmp(g->g_info.bi_digest, digest, 32) != 0) {
		snprintf(err, errlen, "blob digest differs from the one the "
		    "parent verified");
		policy_set_free(g->g_ps);
		g->g_ps = NULL;
		return (-1);
	}
	g->g_loaded = time(NULL);
	return (0);
}

void
gen_free(struct generation *g)
{
	policy_set_free(g->g_ps);
	memset(g, 0, sizeof(*g));
}
