/*
 * iked.conf grammar.  Statements are lines: macro definitions, include,
 * set, user and ikev2 rules.  An ikev2 rule is parsed as a list of parts
 * in whatever order they are written; ikecc/check.c then enforces
 * OpenIKED's order and says which part is out of place, instead of the
 * bare "syntax error" a positional grammar gives.
 */
%{
#include <sys/types.h>

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ast.h"
#include "lexer.h"
#include "util.h"

static struct ast_part	*part_new(struct lexer *, int, const struct loc *);
static struct ast_part	*valpart_new(struct lexer *, int, struct ast_val *,
			    struct ast_val *);
static struct ast_part	*hostpart_new(int, struct ast_val *,
			    struct ast_part *);
static void		 host_nat(struct ast_part *, struct ast_val *,
			    struct ast_val *);
static void		 part_free(struct lexer *, struct ast_part *);
static void		 part_add(struct lexer *, struct ast_part *);
static void		 stmt_begin(struct lexer *, int, const struct loc *);
static void		 stmt_end(struct lexer *);
static void		 stmt_free(struct lexer *, struct ast_stmt *);
static void		 val_free(struct ast_val *);
static void		 stmt_done(struct lexer *, int);
static void		 arena_reset(struct ast_arena *);
static void		 arena_free(struct ast_arena *);
static void		 macro_set(struct lexer *, struct ast_val *,
			    struct ast_val *);
static void		 yyerror(struct lexer *, const char *);
%}

%pure-parser
%parse-param { struct lexer *lx }
%lex-param { struct lexer *lx }

/*
 * Kept small: every token and every reduction copies one.  A host is
 * built in the part that will carry it (kind 0 until then).
 */
%union {
	struct ast_val		 val;
	struct ast_part		*part;
	struct {
		struct ast_val	*l;
		size_t		 n;
	}			 list;
}

%{
int	ikecf_lex(YYSTYPE *, void *);
static int
yylex(YYSTYPE *v, struct lexer *lx)
{
	struct lextok	*lt;
	int		 t;

	t = ikecf_lex(v, lx->lx_scanner);
	/*
	 * This token and the one before it, for syntax error messages.
	 * Their texts are in the arena, which is not reset before the
	 * next token is read (stmt_done()).
	 */
	lx->lx_tokcur ^= 1;
	lt = &lx->lx_toks[lx->lx_tokcur];
	lt->lt_tok = t;
	lt->lt_quoted = 0;
	lt->lt_str = NULL;
	if (t > 0 && t != '\n' && v->val.v_str != NULL) {
		lt->lt_str = v->val.v_str;
		lt->lt_quoted = v->val.v_quoted;
	}
	return (t);
}
%}

%token <val> ACTIVE AH ANY AUTH BYTES CERT_PARTIAL_CHAIN CHILDSA CONFIG
%token <val> COUPLE DECOUPLE DEFAULT DPD_CHECK_INTERVAL DSTID DYNAMIC EAP
%token <val> ENC ENFORCESINGLEIKESA ESN ESP FILENAME FLOW FRAGMENTATION FROM
%token <val> GROUP IFACE IKEV1 IKELIFETIME IKESA IKEV2 INCLUDE INET INET6
%token <val> IPCOMP LIFETIME LOCAL MAXAGE MOBIKE NAME NATT
%token <val> NOENFORCESINGLEIKESA NOESN NOFRAGMENTATION NOMOBIKE
%token <val> NOSTICKYADDRESS NOVENDORID OCSP PASSIVE PEER PORT PRF PROTO PSK
%token <val> QUICK RDOMAIN REQUEST SA SET SKIP SRCID STICKYADDRESS TAG TAP
%token <val> TCPMD5 TO TOLERATE TRANSPORT TUNNEL USER VENDORID
%token <val> STRING NUMBER ERROR
%token <val> '\n' '/' '(' ')' '{' '}' ',' '='

%type <val> strings setflag time word
%type <val> portopt
%type <part> part ocspopts host anyhost hostspec
%type <list> protolist

%destructor { val_free(&$$); } <val>
%destructor { if ($$ != NULL) part_free(lx, $$); } <part>
%destructor { size_t i; for (i = 0; i < $$.n; i++) val_free(&$$.l[i]); free($$.l); } <list>

%%

grammar		: /* empty */
		| grammar '\n'			{
			val_free(&$2);
			stmt_done(lx, yychar);
		}
		| grammar include		{ stmt_done(lx, yychar); }
		| grammar varset '\n'		{
			val_free(&$3);
			stmt_done(lx, yychar);
		}
		| grammar set '\n'		{
			val_free(&$3);
			stmt_done(lx, yychar);
		}
		| grammar user '\n'		{
			val_free(&$3);
			stmt_done(lx, yychar);
		}
		| grammar ikev2rule '\n'	{
			val_free(&$3);
			stmt_done(lx, yychar);
		}
		| grammar error '\n'		{
			val_free(&$3);
			if (lx->lx_stmt != NULL) {
				stmt_free(lx, lx->lx_stmt);
				lx->lx_stmt = NULL;
			}
			if (diag_stop(lx->lx_diag))
				YYABORT;
			yyerrok;
			stmt_done(lx, yychar);
		}
		;

include		: INCLUDE STRING '\n' {
			/* at the end of the line: the file is read next */
			(void)lex_push_file(lx, $2.v_str, &$1.v_loc);
			val_free(&$1);
			val_free(&$2);
			val_free(&$3);
		}
		;

strings		: strings STRING {
			size_t	 l1 = strlen($1.v_str), l2 = strlen($2.v_str);

			$$ = $1;
			$$.v_str = xcalloc(1, l1 + l2 + 2);
			$$.v_arena = 0;
			memcpy($$.v_str, $1.v_str, l1);
			$$.v_str[l1] = ' ';
			memcpy($$.v_str + l1 + 1, $2.v_str, l2);
			val_free(&$1);
			val_free(&$2);
		}
		| STRING
		;

varset		: STRING '=' strings {
			macro_set(lx, &$1, &$3);
			val_free(&$2);
		}
		;

setflag		: ACTIVE | PASSIVE | COUPLE | DECOUPLE | FRAGMENTATION
		| NOFRAGMENTATION | MOBIKE | NOMOBIKE | VENDORID | NOVENDORID
		| ENFORCESINGLEIKESA | NOENFORCESINGLEIKESA | STICKYADDRESS
		| NOSTICKYADDRESS | CERT_PARTIAL_CHAIN
		;

set		: SET setflag {
			struct ast_part	*p;

			stmt_begin(lx, ST_SET, &$1.v_loc);
			p = part_new(lx, PT_SET_FLAG, &$2.v_loc);
			p->p_v[0] = $2;
			p->p_v[0].v_str = xstrdup(lex_token_name($2.v_num));
			part_add(lx, p);
			stmt_end(lx);
			val_free(&$1);
		}
		| SET DPD_CHECK_INTERVAL NUMBER {
			struct ast_part	*p;

			stmt_begin(lx, ST_SET, &$1.v_loc);
			p = part_new(lx, PT_SET_DPD, &$2.v_loc);
			p->p_v[0] = $3;
			part_add(lx, p);
			stmt_end(lx);
			val_free(&$1);
			val_free(&$2);
		}
		| SET OCSP STRING ocspopts {
			struct ast_part	*p = $4;

			stmt_begin(lx, ST_SET, &$1.v_loc);
			p->p_loc = $2.v_loc;
			p->p_v[0] = $3;
			part_add(lx, p);
			stmt_end(lx);
			val_free(&$1);
			val_free(&$2);
		}
		;

ocspopts	: /* empty */ {
			$$ = part_new(lx, PT_SET_OCSP, NULL);
		}
		| TOLERATE time {
			$$ = part_new(lx, PT_SET_OCSP, NULL);
			$$->p_v[1] = $2;
			val_free(&$1);
		}
		| TOLERATE time MAXAGE time {
			$$ = part_new(lx, PT_SET_OCSP, NULL);
			$$->p_v[1] = $2;
			$$->p_v[2] = $4;
			val_free(&$1);
			val_free(&$3);
		}
		;

time		: NUMBER | STRING
		;

user		: USER STRING STRING {
			struct ast_part	*p;

			stmt_begin(lx, ST_USER, &$1.v_loc);
			p = part_new(lx, PT_NAME, &$2.v_loc);
			p->p_v[0] = $2;
			p->p_v[1] = $3;
			part_add(lx, p);
			stmt_end(lx);
			val_free(&$1);
		}
		;

ikev2rule	: ikev2start parts {
			stmt_end(lx);
		}
		;

ikev2start	: IKEV2 {
			stmt_begin(lx, ST_IKEV2, &$1.v_loc);
			val_free(&$1);
		}
		;

parts		: /* empty */
		| parts part		{ part_add(lx, $2); }
		| parts ',' part	{
			/* between two from/to pairs: checked later */
			$3->p_comma = 1;
			part_add(lx, $3);
			val_free(&$2);
		}
		;

word		: STRING | NUMBER
		;

part		: STRING {
			/* the rule's name if first, else an auth method */
			$$ = part_new(lx, PT_AUTHMETHOD, &$1.v_loc);
			$$->p_v[0] = $1;
		}
		| QUICK		{ $$ = part_new(lx, PT_QUICK, &$1.v_loc); val_free(&$1); }
		| SKIP		{ $$ = part_new(lx, PT_SKIP, &$1.v_loc); val_free(&$1); }
		| DEFAULT	{ $$ = part_new(lx, PT_DEFAULT, &$1.v_loc); val_free(&$1); }
		| ACTIVE	{ $$ = part_new(lx, PT_ACTIVE, &$1.v_loc); val_free(&$1); }
		| PASSIVE	{ $$ = part_new(lx, PT_PASSIVE, &$1.v_loc); val_free(&$1); }
		| IPCOMP	{ $$ = part_new(lx, PT_IPCOMP, &$1.v_loc); val_free(&$1); }
		| TUNNEL	{ $$ = part_new(lx, PT_TUNNEL, &$1.v_loc); val_free(&$1); }
		| TRANSPORT	{ $$ = part_new(lx, PT_TRANSPORT, &$1.v_loc); val_free(&$1); }
		| NATT		{ $$ = part_new(lx, PT_NATT, &$1.v_loc); val_free(&$1); }
		| ESP		{ $$ = part_new(lx, PT_ESP, &$1.v_loc); val_free(&$1); }
		| AH		{ $$ = part_new(lx, PT_AH, &$1.v_loc); val_free(&$1); }
		| INET		{ $$ = part_new(lx, PT_INET, &$1.v_loc); val_free(&$1); }
		| INET6		{ $$ = part_new(lx, PT_INET6, &$1.v_loc); val_free(&$1); }
		| PROTO word {
			$$ = part_new(lx, PT_PROTO, &$1.v_loc);
			$$->p_list = xcalloc(1, sizeof(struct ast_val));
			$$->p_list[0] = $2;
			$$->p_nlist = 1;
			val_free(&$1);
		}
		| PROTO '{' protolist '}' {
			$$ = part_new(lx, PT_PROTO, &$1.v_loc);
			$$->p_list = $3.l;
			$$->p_nlist = $3.n;
			val_free(&$1);
			val_free(&$2);
			val_free(&$4);
		}
		| RDOMAIN NUMBER {
			$$ = part_new(lx, PT_RDOMAIN, &$1.v_loc);
			$$->p_v[0] = $2;
			val_free(&$1);
		}
		| FROM hostspec portopt {
			$$ = hostpart_new(PT_FROM, &$1, $2);
			$$->p_v[HOST_V_PORT] = $3;
		}
		| TO hostspec portopt {
			$$ = hostpart_new(PT_TO, &$1, $2);
			$$->p_v[HOST_V_PORT] = $3;
		}
		| LOCAL anyhost		{ $$ = hostpart_new(PT_LOCAL, &$1, $2); }
		| PEER anyhost		{ $$ = hostpart_new(PT_PEER, &$1, $2); }
		| IKESA		{ $$ = part_new(lx, PT_IKESA, &$1.v_loc); val_free(&$1); }
		| CHILDSA	{ $$ = part_new(lx, PT_CHILDSA, &$1.v_loc); val_free(&$1); }
		| ENC word		{ $$ = valpart_new(lx, PT_ENC, &$1, &$2); }
		| PRF word		{ $$ = valpart_new(lx, PT_PRF, &$1, &$2); }
		| AUTH word		{ $$ = valpart_new(lx, PT_AUTH, &$1, &$2); }
		| GROUP word		{ $$ = valpart_new(lx, PT_GROUP, &$1, &$2); }
		| ESN		{ $$ = part_new(lx, PT_ESN, &$1.v_loc); val_free(&$1); }
		| NOESN		{ $$ = part_new(lx, PT_NOESN, &$1.v_loc); val_free(&$1); }
		| SRCID STRING		{ $$ = valpart_new(lx, PT_SRCID, &$1, &$2); }
		| DSTID STRING		{ $$ = valpart_new(lx, PT_DSTID, &$1, &$2); }
		| IKELIFETIME time	{ $$ = valpart_new(lx, PT_IKELIFETIME, &$1, &$2); }
		| LIFETIME time		{ $$ = valpart_new(lx, PT_LIFETIME, &$1, &$2); }
		| BYTES time		{ $$ = valpart_new(lx, PT_BYTES, &$1, &$2); }
		| PSK STRING		{ $$ = valpart_new(lx, PT_PSK, &$1, &$2); }
		| PSK FILENAME STRING {
			$$ = valpart_new(lx, PT_PSKFILE, &$1, &$3);
			val_free(&$2);
		}
		| EAP STRING		{ $$ = valpart_new(lx, PT_EAP, &$1, &$2); }
		| CONFIG STRING anyhost {
			$$ = hostpart_new(PT_CONFIG, &$1, $3);
			$$->p_v[HOST_V_PORT] = $2;	/* the option */
		}
		| REQUEST STRING anyhost {
			$$ = hostpart_new(PT_REQUEST, &$1, $3);
			$$->p_v[HOST_V_PORT] = $2;
		}
		| IFACE STRING		{ $$ = valpart_new(lx, PT_IFACE, &$1, &$2); }
		| TAG STRING		{ $$ = valpart_new(lx, PT_TAG, &$1, &$2); }
		| TAP STRING		{ $$ = valpart_new(lx, PT_TAP, &$1, &$2); }
		;

protolist	: word {
			$$.l = xcalloc(1, sizeof(struct ast_val));
			$$.l[0] = $1;
			$$.n = 1;
		}
		| protolist comma word {
			$$ = $1;
			if ($$.n >= 256) {
				diag_error(lx->lx_diag, &$3.v_loc,
				    "too many protocols");
				val_free(&$3);
			} else {
				$$.l = xreallocarray($$.l, $$.n + 1,
				    sizeof(struct ast_val));
				$$.l[$$.n++] = $3;
			}
		}
		;

comma		: /* empty */
		| ','			{ val_free(&$1); }
		;

hostspec	: host
		| STRING '(' host ')' {
			/* the address in parentheses is the NAT one */
			$$ = $3;
			host_nat($$, &$1, NULL);
			val_free(&$2);
			val_free(&$4);
		}
		| STRING '/' NUMBER '(' host ')' {
			$$ = $5;
			host_nat($$, &$1, &$3);
			val_free(&$2);
			val_free(&$4);
			val_free(&$6);
		}
		| ANY {
			$$ = part_new(lx, 0, NULL);
			$$->p_v[HOST_V_ADDR] = $1;
			$$->p_v[HOST_V_ADDR].v_type = V_ANY;
		}
		| DYNAMIC {
			$$ = part_new(lx, 0, NULL);
			$$->p_v[HOST_V_ADDR] = $1;
			$$->p_v[HOST_V_ADDR].v_type = V_DYNAMIC;
		}
		;

anyhost		: host
		| ANY {
			$$ = part_new(lx, 0, NULL);
			$$->p_v[HOST_V_ADDR] = $1;
			$$->p_v[HOST_V_ADDR].v_type = V_ANY;
		}
		;

host		: STRING {
			$$ = part_new(lx, 0, NULL);
			$$->p_v[HOST_V_ADDR] = $1;
		}
		| STRING '/' NUMBER {
			$$ = part_new(lx, 0, NULL);
			$$->p_v[HOST_V_ADDR] = $1;
			$$->p_v[HOST_V_PLEN] = $3;
			val_free(&$2);
		}
		;

portopt		: /* empty */		{ memset(&$$, 0, sizeof($$)); }
		| PORT word {
			$$ = $2;
			val_free(&$1);
		}
		;

%%

/* The keyword table: sorted, searched with bsearch(3). */
struct keyword {
	const char	*k_name;
	int		 k_token;
};

static const struct keyword keywords[] = {
	{ "active",			ACTIVE },
	{ "ah",				AH },
	{ "any",			ANY },
	{ "auth",			AUTH },
	{ "bytes",			BYTES },
	{ "cert_partial_chain",		CERT_PARTIAL_CHAIN },
	{ "childsa",			CHILDSA },
	{ "config",			CONFIG },
	{ "couple",			COUPLE },
	{ "decouple",			DECOUPLE },
	{ "default",			DEFAULT },
	{ "dpd_check_interval",		DPD_CHECK_INTERVAL },
	{ "dstid",			DSTID },
	{ "dynamic",			DYNAMIC },
	{ "eap",			EAP },
	{ "enc",			ENC },
	{ "enforcesingleikesa",		ENFORCESINGLEIKESA },
	{ "esn",			ESN },
	{ "esp",			ESP },
	{ "file",			FILENAME },
	{ "flow",			FLOW },
	{ "fragmentation",		FRAGMENTATION },
	{ "from",			FROM },
	{ "group",			GROUP },
	{ "iface",			IFACE },
	{ "ike",			IKEV1 },
	{ "ikelifetime",		IKELIFETIME },
	{ "ikesa",			IKESA },
	{ "ikev2",			IKEV2 },
	{ "include",			INCLUDE },
	{ "inet",			INET },
	{ "inet6",			INET6 },
	{ "ipcomp",			IPCOMP },
	{ "lifetime",			LIFETIME },
	{ "local",			LOCAL },
	{ "maxage",			MAXAGE },
	{ "mobike",			MOBIKE },
	{ "name",			NAME },
	{ "natt",			NATT },
	{ "noenforcesingleikesa",	NOENFORCESINGLEIKESA },
	{ "noesn",			NOESN },
	{ "nofragmentation",		NOFRAGMENTATION },
	{ "nomobike",			NOMOBIKE },
	{ "nostickyaddress",		NOSTICKYADDRESS },
	{ "novendorid",			NOVENDORID },
	{ "ocsp",			OCSP },
	{ "passive",			PASSIVE },
	{ "peer",			PEER },
	{ "port",			PORT },
	{ "prf",			PRF },
	{ "proto",			PROTO },
	{ "psk",			PSK },
	{ "quick",			QUICK },
	{ "rdomain",			RDOMAIN },
	{ "request",			REQUEST },
	{ "sa",				SA },
	{ "set",			SET },
	{ "skip",			SKIP },
	{ "srcid",			SRCID },
	{ "stickyaddress",		STICKYADDRESS },
	{ "tag",			TAG },
	{ "tap",			TAP },
	{ "tcpmd5",			TCPMD5 },
	{ "to",				TO },
	{ "tolerate",			TOLERATE },
	{ "transport",			TRANSPORT },
	{ "tunnel",			TUNNEL },
	{ "user",			USER },
	{ "vendorid",			VENDORID },
};

/*
 * Keyword lookup: a small hash table over the sorted table above, built
 * on first use (every word of a config goes through here, and most words
 * are not keywords: the table is kept about a quarter full, so that a
 * miss rarely looks past one slot, and a slot is compared by length
 * first).
 */
#define KW_HASH_SIZE	256

static uint32_t
kw_hash(const char *s, size_t len)
{
	uint32_t	 h = 2166136261U;
	size_t		 i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619U;
	return (h);
}

/* The token of the keyword s of len bytes, or -1. */
int
parse_keyword_len(const char *s, size_t len)
{
	static int16_t	 tab[KW_HASH_SIZE];	/* index + 1 */
	static uint8_t	 klen[nitems(keywords)];
	static int	 ready;
	size_t		 i, h, n;

	if (!ready) {
		for (i = 0; i < nitems(keywords); i++) {
			n = strlen(keywords[i].k_name);
			klen[i] = n;
			h = kw_hash(keywords[i].k_name, n) % KW_HASH_SIZE;
			while (tab[h] != 0)
				h = (h + 1) % KW_HASH_SIZE;
			tab[h] = i + 1;
		}
		ready = 1;
	}
	for (h = kw_hash(s, len) % KW_HASH_SIZE; tab[h] != 0;
	    h = (h + 1) % KW_HASH_SIZE) {
		i = tab[h] - 1;
		if (klen[i] == len && memcmp(keywords[i].k_name, s, len) == 0)
			return (keywords[i].k_token);
	}
	return (-1);
}

int
parse_keyword(const char *s)
{
	return (parse_keyword_len(s, strlen(s)));
}

/*
 * The keyword closest to s, if it is one edit away (or two for long
 * words): for "did you mean".  Only keywords of the ikev2 rule header
 * are candidates when header is set.
 */
const char *
parse_keyword_near(const char *s, int header)
{
	static const char *const head[] = { "active", "passive", "quick",
	    "skip", "default", "ipcomp", "tunnel", "transport", "esp", "ah",
	    "inet", "inet6", "proto", "rdomain", "from", "to", "local",
	    "peer", "ikesa", "childsa", "natt" };
	size_t	 i, n = header ? nitems(head) : nitems(keywords);
	int	 d, best = 3, max;
	const char *name, *found = NULL;

	if (parse_keyword(s) != -1)
		return (NULL);
	for (i = 0; i < n; i++) {
		/* keywords are lower case: "IKEV2" */
		name = header ? head[i] : keywords[i].k_name;
		if (strcasecmp(s, name) == 0)
			return (name);
	}
	if (!isalpha((unsigned char)*s))
		return (NULL);
	max = strlen(s) > 6 ? 2 : 1;
	for (i = 0; i < n; i++) {
		name = header ? head[i] : keywords[i].k_name;
		/* short words: a letter missing or extra, not another one */
		if (strlen(s) <= 3 && strlen(s) == strlen(name))
			continue;
		d = edit_distance(s, name, max);
		if (d <= max && d < best && d > 0) {
			best = d;
			found = name;
		}
	}
	return (found);
}

/* The keyword of a token, or NULL: a table by token, built on first use. */
const char *
lex_token_name(int t)
{
	static const char	*names[YYMAXTOKEN + 1];
	static int		 ready;
	size_t			 i;

	if (!ready) {
		for (i = 0; i < nitems(keywords); i++)
			names[keywords[i].k_token] = keywords[i].k_name;
		ready = 1;
	}
	if (t < 0 || t > YYMAXTOKEN)
		return (NULL);
	return (names[t]);
}

/* Tokens after which a keyword may have been meant as a value. */
static int
takes_value(int t)
{
	switch (t) {
	case PROTO: case TAP: case TAG: case SRCID: case DSTID: case PSK:
	case EAP: case IFACE: case PORT: case ENC: case PRF: case AUTH:
	case GROUP: case USER: case INCLUDE: case OCSP: case '{':
		return (1);
	}
	return (0);
}

/* The text of a token for a message, cut to fit in buf. */
static const char *
lextok_text(const struct lextok *lt, char *buf, size_t size)
{
	const char	*text = NULL;

	buf[0] = '\0';
	if (lt->lt_str != NULL)
		text = lt->lt_str;
	else if (lt->lt_tok >= 256)
		text = lex_token_name(lt->lt_tok);
	else if (lt->lt_tok > 0 && lt->lt_tok != '\n') {
		buf[0] = lt->lt_tok;
		buf[1] = '\0';
	}
	if (text != NULL)
		strlcpy(buf, text, size);
	return (buf);
}

static void
yyerror(struct lexer *lx, const char *msg)
{
	const struct lextok	*lt = &lx->lx_toks[lx->lx_tokcur];
	const struct lextok	*pt = &lx->lx_toks[lx->lx_tokcur ^ 1];
	const char		*near = NULL, *pnear = NULL;
	char			 hint[160], ltext[64], ptext[64];

	if (lt->lt_tok == ERROR)
		return;		/* the scanner said why */
	lextok_text(lt, ltext, sizeof(ltext));
	lextok_text(pt, ptext, sizeof(ptext));
	hint[0] = '\0';
	if (lt->lt_tok == STRING && !lt->lt_quoted)
		near = parse_keyword_near(ltext, 0);
	if (pt->lt_tok == STRING && !pt->lt_quoted)
		pnear = parse_keyword_near(ptext, 0);
	if (near != NULL)
		snprintf(hint, sizeof(hint), " (did you mean '%s'?)", near);
	else if (pnear != NULL)
		snprintf(hint, sizeof(hint), " (is '%s' a typo for '%s'?)",
		    ptext, pnear);
	else if (lt->lt_tok > 255 && lt->lt_tok != STRING &&
	    lt->lt_tok != NUMBER && !lt->lt_quoted && takes_value(pt->lt_tok))
		snprintf(hint, sizeof(hint), " (a keyword: quote it to use it "
		    "as a value)");

	if (lt->lt_tok == '\n')
		diag_error(lx->lx_diag, &lx->lx_tokloc, "%s: unexpected end "
		    "of line%s", msg, hint);
	else if (lt->lt_tok == 0)
		diag_error(lx->lx_diag, &lx->lx_tokloc, "%s: unexpected end "
		    "of file%s", msg, hint);
	else if (ltext[0] != '\0')
		diag_error(lx->lx_diag, &lx->lx_tokloc, "%s: unexpected "
		    "%s'%s'%s", msg, lt->lt_tok > 255 && lt->lt_tok != STRING &&
		    lt->lt_tok != NUMBER && !lt->lt_quoted ? "keyword " : "",
		    ltext, hint);
	else
		diag_error(lx->lx_diag, &lx->lx_tokloc, "%s: unexpected '%c'%s",
		    msg, lt->lt_tok, hint);
}

static void
val_free(struct ast_val *v)
{
	if (v == NULL)
		return;
	if (!v->v_arena)	/* the arena's are wiped with it */
		strzero_free(v->v_str);
	v->v_str = NULL;
	v->v_arena = 0;
}

/*
 * The arena of token texts.  Under AddressSanitizer what is not handed
 * out is poisoned, so that a string kept past its statement is caught.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ARENA_ASAN	1
#endif
#endif
#ifdef ARENA_ASAN
#include <sanitizer/asan_interface.h>
#define ARENA_POISON(p, n)	ASAN_POISON_MEMORY_REGION((p), (n))
#define ARENA_UNPOISON(p, n)	ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ARENA_POISON(p, n)	do { } while (0)
#define ARENA_UNPOISON(p, n)	do { } while (0)
#endif
#define ARENA_CHUNK	(64UL << 10)

/* v's string becomes a copy of the len bytes at s, NUL-ended. */
char *
ast_strdup(struct lexer *lx, struct ast_val *v, const char *s, size_t len)
{
	struct ast_arena	*aa = &lx->lx_ast->a_arena;
	struct ast_chunk	*ac = aa->aa_cur, *nc;
	char			*p;
	size_t			 size;

	while (ac == NULL || ac->ac_size - ac->ac_used < len + 1) {
		if (ac != NULL && ac->ac_next != NULL) {
			/* the chunks after aa_cur are empty since a reset */
			ac = aa->aa_cur = ac->ac_next;
			continue;
		}
		size = len + 1 > ARENA_CHUNK ? len + 1 : ARENA_CHUNK;
		nc = xcalloc(1, sizeof(*nc) + size);
		nc->ac_size = size;
		ARENA_POISON(nc->ac_data, size);
		if (ac == NULL)
			aa->aa_first = nc;
		else
			ac->ac_next = nc;
		ac = aa->aa_cur = nc;
	}
	p = ac->ac_data + ac->ac_used;
	ARENA_UNPOISON(p, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	ac->ac_used += len + 1;
	v->v_str = p;
	v->v_arena = 1;
	return (p);
}

/* Wipe what was handed out (keys, passwords) and hand it out again. */
static void
arena_reset(struct ast_arena *aa)
{
	struct ast_chunk	*ac;

	/* all: a chunk may have been skipped (too small for a string) */
	for (ac = aa->aa_first; ac != NULL; ac = ac->ac_next) {
		if (ac->ac_used == 0)
			continue;
		explicit_bzero(ac->ac_data, ac->ac_used);
		ARENA_POISON(ac->ac_data, ac->ac_used);
		ac->ac_used = 0;
	}
	aa->aa_cur = aa->aa_first;
}

static void
arena_free(struct ast_arena *aa)
{
	struct ast_chunk	*ac, *next;

	for (ac = aa->aa_first; ac != NULL; ac = next) {
		next = ac->ac_next;
		ARENA_UNPOISON(ac->ac_data, ac->ac_size);
		explicit_bzero(ac->ac_data, ac->ac_used);
		free(ac);
	}
	memset(aa, 0, sizeof(*aa));
}

/*
 * A line is done.  When each statement is handed on and freed, and no
 * token is read ahead (lookahead is YYEMPTY), no value holds a string
 * of the arena any more.
 */
static void
stmt_done(struct lexer *lx, int lookahead)
{
	if (lx->lx_stmt_cb != NULL && lx->lx_stmt == NULL &&
	    lookahead == YYEMPTY)
		arena_reset(&lx->lx_ast->a_arena);
}

/*
 * Parts are many and short-lived (a statement is checked and freed as
 * soon as it is parsed): freed ones wait on the lexer's list for reuse.
 */
static struct ast_part *
part_new(struct lexer *lx, int kind, const struct loc *l)
{
	struct ast_part	*p;

	if ((p = TAILQ_FIRST(&lx->lx_spare)) != NULL) {
		TAILQ_REMOVE(&lx->lx_spare, p, p_entry);
		lx->lx_nspare--;
		memset(p, 0, sizeof(*p));
	} else
		p = xcalloc(1, sizeof(*p));
	p->p_kind = kind;
	if (l != NULL)
		p->p_loc = *l;
	return (p);
}

static struct ast_part *
valpart_new(struct lexer *lx, int kind, struct ast_val *kw, struct ast_val *v)
{
	struct ast_part	*p;

	p = part_new(lx, kind, &kw->v_loc);
	p->p_v[0] = *v;
	val_free(kw);
	return (p);
}

/* A host built by the grammar becomes a part of kind, at keyword kw. */
static struct ast_part *
hostpart_new(int kind, struct ast_val *kw, struct ast_part *p)
{
	p->p_kind = kind;
	p->p_loc = kw->v_loc;
	val_free(kw);
	return (p);
}

/*
 * "addr[/plen] (nat[/natplen])": the host parsed so far is the NAT
 * address; addr and plen (NULL: none) go in front of it.
 */
static void
host_nat(struct ast_part *p, struct ast_val *addr, struct ast_val *plen)
{
	p->p_v[HOST_V_NAT] = p->p_v[HOST_V_ADDR];
	p->p_v[HOST_V_NATPLEN] = p->p_v[HOST_V_PLEN];
	p->p_v[HOST_V_ADDR] = *addr;
	if (plen != NULL)
		p->p_v[HOST_V_PLEN] = *plen;
	else
		memset(&p->p_v[HOST_V_PLEN], 0, sizeof(p->p_v[HOST_V_PLEN]));
}

static void
part_free(struct lexer *lx, struct ast_part *p)
{
	size_t	 i;

	/* most values are in the arena, or have no text */
	for (i = 0; i < PART_NVALS; i++)
		if (p->p_v[i].v_str != NULL && !p->p_v[i].v_arena)
			val_free(&p->p_v[i]);
	for (i = 0; i < p->p_nlist; i++)
		val_free(&p->p_list[i]);
	free(p->p_list);
	p->p_list = NULL;
	p->p_nlist = 0;
	if (lx != NULL && lx->lx_nspare < LEX_SPARE_MAX) {
		TAILQ_INSERT_HEAD(&lx->lx_spare, p, p_entry);
		lx->lx_nspare++;
	} else
		free(p);
}

static void
part_add(struct lexer *lx, struct ast_part *p)
{
	if (lx->lx_stmt == NULL) {
		part_free(lx, p);
		return;
	}
	TAILQ_INSERT_TAIL(&lx->lx_stmt->s_parts, p, p_entry);
}

static void
stmt_begin(struct lexer *lx, int kind, const struct loc *l)
{
	if (lx->lx_stmt != NULL)
		stmt_free(lx, lx->lx_stmt);
	lx->lx_stmt = xcalloc(1, sizeof(*lx->lx_stmt));
	lx->lx_stmt->s_kind = kind;
	lx->lx_stmt->s_loc = *l;
	TAILQ_INIT(&lx->lx_stmt->s_parts);
}

static void
stmt_end(struct lexer *lx)
{
	if (lx->lx_stmt == NULL)
		return;
	if (lx->lx_stmt_cb != NULL) {
		/* streaming: the caller checks it now, then it is gone */
		lx->lx_stmt_cb(lx->lx_stmt, lx->lx_stmt_arg);
		stmt_free(lx, lx->lx_stmt);
	} else
		TAILQ_INSERT_TAIL(&lx->lx_ast->a_stmts, lx->lx_stmt, s_entry);
	lx->lx_stmt = NULL;
}

static void
stmt_free(struct lexer *lx, struct ast_stmt *s)
{
	struct ast_part	*p;

	while ((p = TAILQ_FIRST(&s->s_parts)) != NULL) {
		TAILQ_REMOVE(&s->s_parts, p, p_entry);
		part_free(lx, p);
	}
	free(s);
}

struct macro *
macro_find(struct macros *ms, const char *name)
{
	struct macro	*m;

	TAILQ_FOREACH(m, ms, m_entry)
		if (strcmp(m->m_name, name) == 0)
			return (m);
	return (NULL);
}

static int
macro_name_ok(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return (0);
	return (1);
}

static void
macro_set(struct lexer *lx, struct ast_val *name, struct ast_val *value)
{
	struct macro	*m;

	if (!macro_name_ok(name->v_str)) {
		diag_error(lx->lx_diag, &name->v_loc, "invalid macro name "
		    "'%s': use letters, digits and '_'", name->v_str);
		goto done;
	}
	if ((m = macro_find(lx->lx_macros, name->v_str)) != NULL) {
		if (m->m_persist)	/* -D on the command line wins */
			goto done;
		strzero_free(m->m_value);	/* may hold a PSK */
		m->m_value = xstrdup(value->v_str);
		m->m_loc = name->v_loc;
		goto done;
	}
	m = xcalloc(1, sizeof(*m));
	m->m_name = xstrdup(name->v_str);
	m->m_value = xstrdup(value->v_str);
	m->m_loc = name->v_loc;
	TAILQ_INSERT_TAIL(lx->lx_macros, m, m_entry);
 done:
	val_free(name);
	val_free(value);
}

/* -D name=value: the name is everything before the last '=' */
int
macro_define_cmdline(struct macros *ms, const char *def)
{
	struct macro	*m;
	const char	*eq;

	if ((eq = strrchr(def, '=')) == NULL || eq == def)
		return (-1);
	m = xcalloc(1, sizeof(*m));
	m->m_name = xstrndup(def, eq - def);
	if (!macro_name_ok(m->m_name)) {
		free(m->m_name);
		free(m);
		return (-1);
	}
	m->m_value = xstrdup(eq + 1);
	m->m_persist = 1;
	m->m_used = 1;	/* not worth a warning if unused */
	TAILQ_INSERT_TAIL(ms, m, m_entry);
	return (0);
}

void
macros_free(struct macros *ms)
{
	struct macro	*m;

	while ((m = TAILQ_FIRST(ms)) != NULL) {
		TAILQ_REMOVE(ms, m, m_entry);
		free(m->m_name);
		strzero_free(m->m_value);	/* may hold a PSK */
		free(m);
	}
}

void
ast_free(struct ast *a)
{
	struct ast_stmt	*s;
	struct srcfile	*sf;

	if (a == NULL)
		return;
	while ((s = TAILQ_FIRST(&a->a_stmts)) != NULL) {
		TAILQ_REMOVE(&a->a_stmts, s, s_entry);
		stmt_free(NULL, s);
	}
	while ((sf = TAILQ_FIRST(&a->a_files)) != NULL) {
		TAILQ_REMOVE(&a->a_files, sf, sf_entry);
		free(sf->sf_name);
		free(sf->sf_path);
		freezero(sf->sf_text, sf->sf_len);
		free(sf);
	}
	arena_free(&a->a_arena);
	free(a);
}

static struct ast *
ast_run(struct lexer *lx)
{
	struct ast_part	*p;
	int		 r;

	r = yyparse(lx);
	if (lx->lx_stmt != NULL) {
		stmt_free(lx, lx->lx_stmt);
		lx->lx_stmt = NULL;
	}
	while ((p = TAILQ_FIRST(&lx->lx_spare)) != NULL) {
		TAILQ_REMOVE(&lx->lx_spare, p, p_entry);
		free(p);
	}
	lx->lx_nspare = 0;
	lex_destroy(lx);
	if (r != 0 && lx->lx_diag->d_errors == 0)
		diag_error(lx->lx_diag, NULL, "parse failed");
	return (lx->lx_ast);
}

static int
ast_start(struct lexer *lx, struct macros *ms, struct diag *d)
{
	memset(lx, 0, sizeof(*lx));
	TAILQ_INIT(&lx->lx_spare);
	lx->lx_ast = xcalloc(1, sizeof(*lx->lx_ast));
	TAILQ_INIT(&lx->lx_ast->a_stmts);
	TAILQ_INIT(&lx->lx_ast->a_files);
	lx->lx_diag = d;
	lx->lx_macros = ms;
	return (lex_init(lx));
}

/*
 * Parse a file ("-" for standard input) into a syntax tree.  Errors go
 * to d; the tree holds every statement that parsed, so that the checks
 * can report more errors in the same run.
 */
struct ast *
ast_parse(const char *path, struct macros *ms, struct diag *d)
{
	struct lexer	 lx;

	if (ast_start(&lx, ms, d) == -1)
		return (NULL);
	if (lex_push_file(&lx, path, NULL) == -1) {
		lex_destroy(&lx);
		return (lx.lx_ast);
	}
	return (ast_run(&lx));
}

/*
 * Parse a file, handing each statement to cb as soon as it is complete
 * and freeing it afterwards: the returned tree has no statements, only
 * the files (which the locations in diagnostics refer to).
 */
struct ast *
ast_parse_stream(const char *path, struct macros *ms, struct diag *d,
    void (*cb)(const struct ast_stmt *, void *), void *arg)
{
	struct lexer	 lx;

	if (ast_start(&lx, ms, d) == -1)
		return (NULL);
	lx.lx_stmt_cb = cb;
	lx.lx_stmt_arg = arg;
	if (lex_push_file(&lx, path, NULL) == -1) {
		lex_destroy(&lx);
		return (lx.lx_ast);
	}
	return (ast_run(&lx));
}

struct ast *
ast_parse_buffer(const char *name, const char *data, size_t len,
    struct macros *ms, struct diag *d)
{
	struct lexer	 lx;

	if (ast_start(&lx, ms, d) == -1)
		return (NULL);
	lex_push_buffer(&lx, name, data, len);
	return (ast_run(&lx));
}
