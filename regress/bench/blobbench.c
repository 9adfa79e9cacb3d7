/*
 * blobbench: time loading a blob against reading its bytes.
 *
 *	blobbench [-n reps] blob
 *
 * For each repetition: a plain read of the file (open, read, close), the
 * same read through blob_read_file(), blob_decode() with the digest
 * check, and SHA-256 alone (what the digest costs).  Prints the median
 * and the minimum in milliseconds, and decode/read ratios of medians
 * and of minimums.  Never fails on time.
 */
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "blob.h"
#include "util.h"

static double
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
}

static int
dbl_cmp(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return (x < y ? -1 : x > y);
}

static double
median(double *v, int n)
{
	qsort(v, n, sizeof(*v), dbl_cmp);
	return (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2);
}

static double
minimum(const double *v, int n)
{
	double	 m = v[0];
	int	 i;

	for (i = 1; i < n; i++)
		if (v[i] < m)
			m = v[i];
	return (m);
}

/* open, fstat, read whole, close: what any loader pays at least */
static size_t
plain_read(const char *path, uint8_t **bufp)
{
	struct stat	 st;
	uint8_t		*buf;
	size_t		 off = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		err(1, "%s", path);
	if (fstat(fd, &st) == -1)
		err(1, "fstat");
	if ((buf = malloc(st.st_size + 1)) == NULL)
		err(1, "malloc");
	while ((n = read(fd, buf + off, st.st_size + 1 - off)) > 0)
		off += n;
	if (n == -1)
		err(1, "read");
	close(fd);
	*bufp = buf;
	return (off);
}

static __dead void
usage(void)
{
	fprintf(stderr, "usage: blobbench [-n reps] blob\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct policy_set	*ps;
	struct blob_info	 bi;
	uint8_t			*buf, *blob, md[32];
	size_t			 len, blen;
	double			*tread, *tload, *tdec, *tsha, t0, mread, mdec;
	double			 mload;
	size_t			 heap;
	const char		*errstr;
	char			 emsg[512];
	int			 ch, reps = 10, i;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		switch (ch) {
		case 'n':
			reps = strtonum(optarg, 1, 1000, &errstr);
			if (errstr != NULL)
				errx(1, "repetitions %s: %s", optarg, errstr);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 1)
		usage();
	if ((tread = calloc(reps, sizeof(double))) == NULL ||
	    (tload = calloc(reps, sizeof(double))) == NULL ||
	    (tdec = calloc(reps, sizeof(double))) == NULL ||
	    (tsha = calloc(reps, sizeof(double))) == NULL)
		err(1, "calloc");

	/* warm the page cache and check that the blob loads at all */
	len = plain_read(argv[optind], &buf);
	free(buf);
	if (blob_read_file(argv[optind], &blob, &blen, emsg,
	    sizeof(emsg)) == -1)
		errx(1, "%s", emsg);
	heap = mallinfo2().uordblks;
	if (blob_decode(blob, blen, NULL, 0, &ps, &bi, emsg,
	    sizeof(emsg)) == -1)
		errx(1, "%s: %s", argv[optind], emsg);
	/* the policy array may be mapped apart from the heap */
	heap = mallinfo2().uordblks - heap + ps->ps_polmap;
	printf("blob: %zu bytes, %zu policies, %zu users; decoded policy "
	    "set: %.1f MB of memory\n", len, ps->ps_npolicies, ps->ps_nusers,
	    heap / 1e6);
	policy_set_free(ps);

	for (i = 0; i < reps; i++) {
		t0 = now_ms();
		len = plain_read(argv[optind], &buf);
		tread[i] = now_ms() - t0;
		free(buf);

		t0 = now_ms();
		if (blob_read_file(argv[optind], &buf, &len, emsg,
		    sizeof(emsg)) == -1)
			errx(1, "%s", emsg);
		tload[i] = now_ms() - t0;

		t0 = now_ms();
		if (blob_decode(buf, len, NULL, 0, &ps, &bi, emsg,
		    sizeof(emsg)) == -1)
			errx(1, "%s", emsg);
		tdec[i] = now_ms() - t0;
		policy_set_free(ps);

		t0 = now_ms();
		if (EVP_Digest(buf, len, md, NULL, EVP_sha256(), NULL) != 1)
			errx(1, "SHA-256");
		tsha[i] = now_ms() - t0;
		freezero(buf, len);
	}
	freezero(blob, blen);
	printf("repetitions: %d (median, min in ms)\n", reps);
	printf("plain read:              %9.2f  %9.2f\n", median(tread, reps),
	    minimum(tread, reps));
	printf("blob_read_file:          %9.2f  %9.2f\n", median(tload, reps),
	    minimum(tload, reps));
	printf("blob_decode (verified):  %9.2f  %9.2f\n", median(tdec, reps),
	    minimum(tdec, reps));
	printf("  of which SHA-256:      %9.2f  %9.2f\n", median(tsha, reps),
	    minimum(tsha, reps));
	mread = median(tread, reps);
	mload = median(tload, reps);
	mdec = median(tdec, reps);
	printf("ratio decode / read:            %6.1fx  %6.1fx (target <= 5x)"
	    "\n", mdec / mread, minimum(tdec, reps) / minimum(tread, reps));
	printf("ratio (read + decode) / read:   %6.1fx  %6.1fx\n",
	    (mload + mdec) / mread, (minimum(tload, reps) +
	    minimum(tdec, reps)) / minimum(tread, reps));
	printf("ratio SHA-256 alone / read:     %6.1fx  %6.1fx\n",
	    median(tsha, reps) / mread, minimum(tsha, reps) /
	    minimum(tread, reps));
	free(tread);
	free(tload);
	free(tdec);
	free(tsha);
	return (0);
}
