/*
 * libFuzzer target for the iked.conf front end ("make fuzz"): scanner,
 * grammar, checks and printer, the real objects ikecc links.  Any input
 * must be refused with diagnostics or compile; what compiles must print,
 * and its canonical text (secrets included) must compile again to the
 * same text.  Each input is one whole parse: nothing may survive from
 * one to the next.
 *
 * The input is named as a file in a directory of the fuzzer's own, with
 * two files to include ("a.inc", a policy; "loop.inc", which includes
 * itself), so that relative includes run the include code without
 * reading the rest of the file system.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ast.h"
#include "../../ikecc/ikecc.h"
#include "util.h"

int	 LLVMFuzzerInitialize(int *, char ***);
int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static FILE	*devnull;
static char	 dir[] = "/tmp/fuzz_parse.XXXXXX";
static char	 confname[64];	/* in dir: includes are relative to it */

static void
put(const char *name, const char *text)
{
	FILE	*fp;
	char	 path[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF)
		abort();
	if (chmod(path, 0600) == -1)
		abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if ((devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(confname, sizeof(confname), "%s/fuzz.conf", dir);
	put("a.inc", "ikev2 \"inc\" esp from 192.0.2.1 to 192.0.2.2\n");
	put("loop.inc", "include \"loop.inc\"\n");
	return (0);
}

/* Parse and check text; the policy set, or NULL with d's errors. */
static struct policy_set *
compile(const char *text, size_t len, struct diag *d, struct ast **ap)
{
	struct macros		 macros;
	struct policy_set	*ps = NULL;
	struct ast		*a;

	TAILQ_INIT(&macros);
	diag_init(d, NULL);
	d->d_quiet = 1;
	if ((a = ast_parse_buffer(confname, text, len, &macros,
	    d)) == NULL)
		abort();	/* the scanner could not start */
	if (d->d_errors == 0)
		ps = check_ast(a, d);
	else if (!diag_stop(d))
		policy_set_free(check_ast(a, d));
	macros_free(&macros);
	*ap = a;
	return (ps);
}

static char *
print(const struct policy_set *ps, size_t *lenp)
{
	char	*buf = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&buf, lenp)) == NULL)
		abort();
	policy_print_set(ps, PRINT_GLOBALS, fp);
	if (fclose(fp) == EOF)
		abort();
	return (buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct diag		 d;
	struct ast		*a, *a2;
	struct policy_set	*ps, *ps2;
	char			*t1, *t2;
	size_t			 l1, l2;

	ps = compile((const char *)data, size, &d, &a);
	if (ps == NULL) {
		if (d.d_errors == 0)
			abort();	/* refused without a word */
		ast_free(a);
		return (0);
	}
	policy_print_set(ps, PRINT_REDACT, devnull);

	/* the canonical text is a fixed point */
	t1 = print(ps, &l1);
	ps2 = compile(t1, l1, &d, &a2);
	if (ps2 == NULL) {
		fprintf(stderr, "canonical text does not compile:\n%s", t1);
		abort();
	}
	t2 = print(ps2, &l2);
	if (l1 != l2 || memcmp(t1, t2, l1) != 0) {
		fprintf(stderr, "canonical text changes:\n%s---\n%s", t1, t2);
		abort();
	}
	freezero(t1, l1);
	freezero(t2, l2);
	policy_set_free(ps2);
	ast_free(a2);
	policy_set_free(ps);
	ast_free(a);
	return (0);
}
