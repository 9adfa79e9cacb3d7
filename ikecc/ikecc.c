/*
 * ikecc: compile iked.conf into a validated policy blob.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ikecc.h"
#include "blob.h"
#include "util.h"

static __dead void
usage(void)
{
	fprintf(stderr, "usage: ikecc [-nvW] [-D macro=value] [-f file] "
	    "[-k key] [-o blob]\n"
	    "       ikecc -d blob [-p pubkey]\n");
	exit(1);
}

/* -d: print a blob back as canonical iked.conf, secrets included */
static int
dump(const char *path, const char *pubkey)
{
	struct policy_set	*ps;
	struct blob_info	 bi;
	char			 err[256];
	uint8_t			*buf;
	size_t			 len;

	if (blob_read_file(path, &buf, &len, err, sizeof(err)) == -1) {
		fprintf(stderr, "ikecc: %s\n", err);
		return (1);
	}
	if (blob_decode(buf, len, pubkey, 0, &ps, &bi, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "ikecc: %s: %s\n", path, err);
		freezero(buf, len);
		return (1);
	}
	freezero(buf, len);
	if (isatty(STDOUT_FILENO))
		fprintf(stderr, "ikecc: warning: the dump holds the blob's "
		    "secrets (pre-shared keys, passwords)\n");
	policy_print_set(ps, PRINT_GLOBALS, stdout);
	policy_set_free(ps);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "ikecc: stdout: %s\n", strerror(errno));
		return (1);
	}
	return (0);
}

/*
 * A large config's policies fill tens of megabytes of heap, and faulting
 * it in 4 KiB pages cost more than some of the checks.  Once the heap
 * passes HEAP_BIG, it grows HEAP_STEP at a time, each step backed by
 * transparent huge pages where the system allows them (what glibc's
 * malloc.hugetlb tunable does).  Small configs keep the small pages, so
 * that they do not pay for a huge one.
 */
#define HEAP_BIG	(4UL << 20)
#define HEAP_STEP	(64UL << 20)
#define HUGE_PAGE	(2UL << 20)

static void
heap_grow_huge(void)
{
	static uintptr_t	 start, done;
	uintptr_t		 cur, from;

	cur = (uintptr_t)sbrk(0);
	if (start == 0) {
		start = cur;
		return;
	}
	if (done == 0) {
		if (cur - start < HEAP_BIG)
			return;
		(void)mallopt(M_TOP_PAD, HEAP_STEP);
		done = start;
	}
	if (cur <= done)
		return;
	/* what the heap gained since, from the first whole huge page */
	from = (done + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	if (from < cur)
		(void)madvise((void *)from, cur - from, MADV_HUGEPAGE);
	done = cur;
}

static void
check_cb(const struct ast_stmt *st, void *arg)
{
	check_stmt(arg, st);
	heap_grow_huge();
}

int
main(int argc, char *argv[])
{
	struct checker		*c;
	struct macros		 macros;
	struct diag		 d;
	struct ast		*a;
	struct policy_set	*ps = NULL;
	size_t			 npol;
	const char		*file = "/etc/iked.conf", *out = NULL;
	const char		*key = NULL, *dumpfile = NULL, *pubkey = NULL;
	char			 err[256];
	int			 ch, noaction = 0, verbose = 0, werror = 0;

	TAILQ_INIT(&macros);
	while ((ch = getopt(argc, argv, "D:d:f:k:no:p:vW")) != -1) {
		switch (ch) {
		case 'D':
			if (macro_define_cmdline(&macros, optarg) == -1) {
				fprintf(stderr, "ikecc: could not parse macro "
				    "definition %s\n", optarg);
				return (1);
			}
			break;
		case 'd':
			dumpfile = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'k':
			key = optarg;
			break;
		case 'n':
			noaction = 1;
			break;
		case 'o':
			out = optarg;
			break;
		case 'p':
			pubkey = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'W':
			werror = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (dumpfile != NULL)
		return (dump(dumpfile, pubkey));

	diag_init(&d, stderr);
	d.d_werror = werror;
	/* each statement is checked as soon as it is parsed, then freed */
	/*
	 * A check alone (-n without -v) keeps what later checks need, not
	 * every compiled policy.
	 */
	if ((c = check_begin(&d, noaction && !verbose ? CHECK_LINT : 0)) ==
	    NULL) {
		fprintf(stderr, "ikecc: out of memory\n");
		return (1);
	}
	a = ast_parse_stream(file, &macros, &d, check_cb, c);
	npol = check_npolicies(c);
	ps = check_end(c);
	if (ps != NULL && npol == 0 && ps->ps_nusers == 0)
		diag_warn(&d, NULL, "%s: no valid configuration rules found",
		    file);
	if (ps == NULL || d.d_errors > 0) {
		fprintf(stderr, "ikecc: %s: %d error%s%s\n", file, d.d_errors,
		    d.d_errors == 1 ? "" : "s", d.d_warnings > 0 ?
		    ", warnings above" : "");
		policy_set_free(ps);
		ast_free(a);
		macros_free(&macros);
		return (1);
	}
	if (verbose)
		policy_print_set(ps, PRINT_REDACT, stdout);
	if (!noaction) {
		if (out == NULL)
			out = IKECC_DEFAULT_OUT;
		if (blob_write_file(ps, out, key, err, sizeof(err)) == -1) {
			fprintf(stderr, "ikecc: %s\n", err);
			policy_set_free(ps);
			ast_free(a);
			macros_free(&macros);
			return (1);
		}
	} else {
		fflush(stdout);
		fprintf(stderr, "configuration OK\n");
	}
	policy_set_free(ps);
	ast_free(a);
	macros_free(&macros);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "ikecc: stdout: %s\n", strerror(errno));
		return (1);
	}
	return (0);
}
