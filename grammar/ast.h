/*
 * The syntax tree of an iked.conf: what the parser (grammar/parse.y and
 * grammar/lex.l) hands to the checks in ikecc/.  Macros and includes are
 * resolved while parsing; everything else is kept as written, with the
 * place it was written, so the checks can point at it.
 */
#ifndef AST_H
#define AST_H

#include <sys/queue.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

struct srcfile;

struct loc {
	const struct srcfile	*l_file;
	int			 l_line;	/* 1-based */
	int			 l_col;		/* 1-based, in bytes */
};

struct srcfile {
	char			*sf_name;	/* as shown in messages */
	char			*sf_path;	/* as opened */
	char			*sf_text;	/* whole content, NUL-ended; for a
						   file read only for diagnostics
						   (srcfile_text()) */
	size_t			 sf_len;
	struct loc		 sf_from;	/* include statement, or none */
	unsigned int		 sf_mode;	/* st_mode, for secret checks */
	int			 sf_noreread;	/* srcfile_text() tried already */
	TAILQ_ENTRY(srcfile)	 sf_entry;
};
TAILQ_HEAD(srcfiles, srcfile);

/* A value as written: a word, a quoted string or a number. */
enum ast_vtype {
	V_NONE = 0,
	V_STR,
	V_NUM,
	V_ANY,
	V_DYNAMIC
};

struct ast_val {
	int			 v_type;	/* enum ast_vtype */
	char			*v_str;		/* V_STR, also V_NUM's text */
	long long		 v_num;		/* V_NUM */
	short			 v_quoted;	/* V_STR was quoted */
	short			 v_arena;	/* v_str is in the tree's arena */
	struct loc		 v_loc;
};

/* Parts of a statement, in the order written. */
enum ast_part_kind {
	/* ikev2 rule */
	PT_NAME = 1,
	PT_QUICK, PT_SKIP, PT_DEFAULT,
	PT_ACTIVE, PT_PASSIVE,
	PT_IPCOMP,
	PT_TUNNEL, PT_TRANSPORT,
	PT_NATT,
	PT_ESP, PT_AH,
	PT_INET, PT_INET6,
	PT_PROTO,		/* p_list: protocols */
	PT_RDOMAIN,		/* v[0] number */
	PT_FROM, PT_TO,		/* v: HOST_V_* */
	PT_LOCAL, PT_PEER,	/* v: HOST_V_ADDR, HOST_V_PLEN */
	PT_IKESA, PT_CHILDSA,
	PT_ENC, PT_PRF, PT_AUTH, PT_GROUP, PT_ESN, PT_NOESN,
	PT_SRCID, PT_DSTID,
	PT_IKELIFETIME, PT_LIFETIME, PT_BYTES,
	PT_PSK, PT_PSKFILE, PT_EAP, PT_AUTHMETHOD,
	PT_CONFIG, PT_REQUEST,	/* v[0] option, v[1..] host */
	PT_IFACE,
	PT_TAG, PT_TAP,
	/* set options: v[0.. ] arguments */
	PT_SET_FLAG,		/* v[0] keyword as text */
	PT_SET_DPD,
	PT_SET_OCSP,		/* v[0] url, v[1] tolerate, v[2] maxage */
	PT_MAX
};

/* Indexes into p_v for host parts. */
#define HOST_V_ADDR	0	/* V_STR, V_NUM, V_ANY, V_DYNAMIC */
#define HOST_V_PLEN	1	/* V_NUM or V_NONE */
#define HOST_V_PORT	2	/* V_STR, V_NUM or V_NONE */
#define HOST_V_NAT	3	/* srcnat address, V_STR or V_NONE */
#define HOST_V_NATPLEN	4
#define PART_NVALS	5

struct ast_part {
	int			 p_kind;	/* enum ast_part_kind */
	struct loc		 p_loc;		/* of its keyword */
	struct ast_val		 p_v[PART_NVALS];
	struct ast_val		*p_list;
	size_t			 p_nlist;
	int			 p_comma;	/* written after a ',' */
	TAILQ_ENTRY(ast_part)	 p_entry;
};
TAILQ_HEAD(ast_parts, ast_part);

enum ast_stmt_kind {
	ST_SET = 1,
	ST_USER,
	ST_IKEV2
};

struct ast_stmt {
	int			 s_kind;
	struct loc		 s_loc;
	struct ast_parts	 s_parts;
	TAILQ_ENTRY(ast_stmt)	 s_entry;
};
TAILQ_HEAD(ast_stmts, ast_stmt);

struct macro {
	char			*m_name;
	char			*m_value;
	int			 m_persist;	/* from -D: file cannot change */
	int			 m_used;
	struct loc		 m_loc;
	TAILQ_ENTRY(macro)	 m_entry;
};
TAILQ_HEAD(macros, macro);

/* The result of a parse. */
/*
 * The text of the tokens: strings cut from chunks, freed all at once.
 * A parse that hands each statement on (ast_parse_stream()) wipes and
 * reuses them after each statement.
 */
struct ast_chunk {
	struct ast_chunk	*ac_next;
	size_t			 ac_size;
	size_t			 ac_used;
	char			 ac_data[];
};

struct ast_arena {
	struct ast_chunk	*aa_first;
	struct ast_chunk	*aa_cur;
};

struct ast {
	struct ast_stmts	 a_stmts;
	struct srcfiles		 a_files;
	struct macros		 a_macros;
	struct ast_arena	 a_arena;
};

/* Diagnostics (diag.c). */
struct diag {
	int			 d_errors;
	int			 d_warnings;
	int			 d_max_errors;	/* stop after this many */
	int			 d_werror;	/* warnings count as errors */
	int			 d_quiet;	/* count only (fuzzing) */
	FILE			*d_out;
};

/* parse.y */
struct ast	*ast_parse(const char *, struct macros *, struct diag *);
struct ast	*ast_parse_stream(const char *, struct macros *, struct diag *,
		    void (*)(const struct ast_stmt *, void *), void *);
void		 ast_free(struct ast *);
int		 macro_define_cmdline(struct macros *, const char *);
void		 macros_free(struct macros *);
struct ast	*ast_parse_buffer(const char *, const char *, size_t,
		    struct macros *, struct diag *);

const char	*parse_keyword_near(const char *, int);
int		 parse_keyword(const char *);
int		 parse_keyword_len(const char *, size_t);

/* lex.l */
const char	*srcfile_text(const struct srcfile *, size_t *);

/* diag.c */
void	 diag_init(struct diag *, FILE *);
void	 diag_error(struct diag *, const struct loc *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	 diag_warn(struct diag *, const struct loc *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	 diag_note(struct diag *, const struct loc *, const char *, ...)
	    __attribute__((__format__(printf, 3, 4)));
int	 diag_stop(const struct diag *);
int	 edit_distance(const char *, const char *, int);

#endif /* AST_H */
