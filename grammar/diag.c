/*
 * Compiler diagnostics: "file:line:col: error: message", the source line
 * with a caret under the column, and the chain of includes that led to
 * the file.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

void
diag_init(struct diag *d, FILE *out)
{
	memset(d, 0, sizeof(*d));
	d->d_max_errors = 50;
	d->d_out = out;
}

int
diag_stop(const struct diag *d)
{
	return (d->d_max_errors > 0 && d->d_errors >= d->d_max_errors);
}

static void
diag_source_line(FILE *out, const struct loc *l)
{
	const struct srcfile	*sf = l->l_file;
	const char		*text, *p, *e, *end;
	size_t			 len;
	int			 line, i, col;

	if (sf == NULL || l->l_line <= 0 ||
	    (text = srcfile_text(sf, &len)) == NULL)
		return;
	/* by length: the text may hold NUL bytes */
	p = text;
	end = text + len;
	for (line = 1; line < l->l_line; line++) {
		if ((p = memchr(p, '\n', end - p)) == NULL)
			return;
		p++;
	}
	if ((e = memchr(p, '\n', end - p)) == NULL)
		e = end;
	/* keep the quoted line short: a window around the column */
	col = l->l_col;
	if (col > 120 && e - p > 160) {
		p += col - 80;
		col = 81;
		fputs("  ...", out);
	} else
		fputs("  ", out);
	if (e - p > 160)
		e = p + 160;
	for (i = 0; p + i < e; i++)
		fputc(((unsigned char)p[i] >= 0x20 &&
		    (unsigned char)p[i] < 0x7f) || p[i] == '\t' ? p[i] : '?',
		    out);
	fputs(l->l_col > col ? "\n     " : "\n  ", out);
	for (i = 0; i < col - 1 && p + i < e; i++)
		fputc(p[i] == '\t' ? '\t' : ' ', out);
	fputs("^\n", out);
}

static void
diag_vprint(struct diag *d, const struct loc *l, const char *kind,
    const char *suffix, const char *fmt, va_list ap)
{
	const struct srcfile	*sf;
	FILE			*out = d->d_out;

	if (d->d_quiet || out == NULL)
		return;
	if (l != NULL && l->l_file != NULL) {
		/* include chain, innermost first as compilers print it */
		for (sf = l->l_file; sf->sf_from.l_file != NULL;
		    sf = sf->sf_from.l_file)
			fprintf(out, "In file included from %s:%d:%d:\n",
			    sf->sf_from.l_file->sf_name, sf->sf_from.l_line,
			    sf->sf_from.l_col);
		fprintf(out, "%s:%d:%d: %s: ", l->l_file->sf_name, l->l_line,
		    l->l_col, kind);
	} else
		fprintf(out, "ikecc: %s: ", kind);
	vfprintf(out, fmt, ap);
	fputs(suffix, out);
	fputc('\n', out);
	if (l != NULL)
		diag_source_line(out, l);
}

void
diag_error(struct diag *d, const struct loc *l, const char *fmt, ...)
{
	va_list	 ap;

	if (diag_stop(d))
		return;
	d->d_errors++;
	va_start(ap, fmt);
	diag_vprint(d, l, "error", "", fmt, ap);
	va_end(ap);
	if (diag_stop(d) && !d->d_quiet && d->d_out != NULL)
		fprintf(d->d_out, "ikecc: too many errors (%d), stopping\n",
		    d->d_errors);
}

void
diag_warn(struct diag *d, const struct loc *l, const char *fmt, ...)
{
	va_list	 ap;

	if (diag_stop(d))
		return;
	if (d->d_werror)
		d->d_errors++;
	else
		d->d_warnings++;
	va_start(ap, fmt);
	if (d->d_werror)
		diag_vprint(d, l, "error", " [-W: warnings are errors]", fmt,
		    ap);
	else
		diag_vprint(d, l, "warning", "", fmt, ap);
	va_end(ap);
}

void
diag_note(struct diag *d, const struct loc *l, const char *fmt, ...)
{
	va_list	 ap;

	if (diag_stop(d))
		return;
	va_start(ap, fmt);
	diag_vprint(d, l, "note", "", fmt, ap);
	va_end(ap);
}

/*
 * Levenshtein distance between a and b, giving up (returning max + 1)
 * once it exceeds max.  For "did you mean" hints on short words.
 */
int
edit_distance(const char *a, const char *b, int max)
{
	size_t	 la = strlen(a), lb = strlen(b), i, j;
	int	 row[64], prev, cur, best;

	if (la >= 64 || lb >= 64)
		return (max + 1);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		best = row[0];
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			if (cur + 1 < row[j])
				row[j] = cur + 1;
			if (row[j] < best)
				best = row[j];
			prev = cur;
		}
		if (best > max)
			return (max + 1);
	}
	return (row[lb]);
}
