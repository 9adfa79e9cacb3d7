/*
 * State shared by the flex scanner (lex.l) and the byacc grammar
 * (parse.y).  Nothing here is global: each parse has its own, so parsing
 * many times in one process (the fuzzer) starts from scratch each time.
 */
#ifndef LEXER_H
#define LEXER_H

#include "ast.h"

#define LEX_TOKEN_MAX	8095	/* longest word or string, as OpenIKED */
#define LEX_INCLUDE_MAX	16	/* include depth */
#define LEX_SPARE_MAX	256	/* freed syntax tree parts kept for reuse */

/*
 * One input on the stack: a file, or the value of a macro being used.
 * A file is read as the scanner goes (lex_input()), from its descriptor
 * or, for standard input and buffers, from the text kept in memory.
 */
struct lexfile {
	struct srcfile	*lf_file;	/* NULL for a macro expansion */
	void		*lf_buf;	/* YY_BUFFER_STATE */
	int		 lf_fd;		/* -1: read from lf_file->sf_text */
	size_t		 lf_off;	/* bytes given to the scanner so far */
	int		 lf_done;	/* the final newline was given */
	int		 lf_line;
	int		 lf_col;
	struct loc	 lf_use;	/* expansion: where "$name" was */
	dev_t		 lf_dev;
	ino_t		 lf_ino;
};

/* A token as the parser saw it, for syntax error messages. */
struct lextok {
	int		 lt_tok;
	int		 lt_quoted;
	const char	*lt_str;	/* its text, if it has one */
};

struct lexer {
	struct ast	*lx_ast;
	struct diag	*lx_diag;
	struct macros	*lx_macros;
	struct lexfile	 lx_stack[LEX_INCLUDE_MAX + 2];
	int		 lx_depth;	/* index of the current input */
	struct loc	 lx_tokloc;	/* the last token */
	struct lextok	 lx_toks[2];	/* the last two tokens, for syntax */
	int		 lx_tokcur;	/* error messages: the last is this */
	int		 lx_ntok;	/* tokens so far on this line */
	char		*lx_str;	/* quoted string being read */
	size_t		 lx_strlen;
	int		 lx_strquote;
	int		 lx_strbad;
	struct loc	 lx_strloc;
	char		*lx_scratch;	/* a word without its backslashes */
	size_t		 lx_scratchsz;
	void		*lx_scanner;
	struct ast_stmt	*lx_stmt;	/* statement being built */
	struct ast_parts lx_spare;	/* freed parts, for part_new() */
	int		 lx_nspare;
	void		(*lx_stmt_cb)(const struct ast_stmt *, void *);
	void		*lx_stmt_arg;
};

/* lex.l */
size_t	 lex_input(struct lexer *, char *, size_t);
int	 lex_init(struct lexer *);
void	 lex_destroy(struct lexer *);
int	 lex_push_file(struct lexer *, const char *, const struct loc *);
int	 lex_push_buffer(struct lexer *, const char *, const char *, size_t);

/* parse.y */
struct macro	*macro_find(struct macros *, const char *);
char		*ast_strdup(struct lexer *, struct ast_val *, const char *,
		    size_t);
const char	*lex_token_name(int);

#endif /* LEXER_H */
