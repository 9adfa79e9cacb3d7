/*
 * Policy set life cycle and the one place where defaults live.
 */
#include <sys/mman.h>

#include <openssl/crypto.h>

#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "util.h"

struct policy_set *
policy_set_new(void)
{
	struct policy_set	*ps;

	if ((ps = calloc(1, sizeof(*ps))) == NULL)
		return (NULL);
	policy_globals_init(&ps->ps_globals);
	return (ps);
}

/*
 * Room for n policies in ps->ps_policies, the new room zeroed.  A large
 * array (a config of many thousand policies) is mapped with transparent
 * huge pages where the kernel has them: filling it page fault by page
 * fault costs more than the checks of its policies.
 */
#define POL_MAP_MIN	(2UL * 1024 * 1024)

int
policy_set_reserve(struct policy_set *ps, size_t n)
{
	struct policy	*p;
	size_t		 cap, bytes;

	if (n <= ps->ps_polcap)
		return (0);
	cap = ps->ps_polcap < 8 ? 16 : ps->ps_polcap * 2;
	if (cap < n)
		cap = n;
	if (cap > SIZE_MAX / sizeof(*p) - POL_MAP_MIN)
		return (-1);
	bytes = cap * sizeof(*p);
	if (bytes < POL_MAP_MIN && ps->ps_polmap == 0) {
		if ((p = reallocarray(ps->ps_policies, cap,
		    sizeof(*p))) == NULL)
			return (-1);
		memset(p + ps->ps_polcap, 0, (cap - ps->ps_polcap) *
		    sizeof(*p));
	} else {
		bytes = (bytes + POL_MAP_MIN - 1) & ~(POL_MAP_MIN - 1);
		if (ps->ps_polmap == 0) {
			p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				return (-1);
			if (ps->ps_npolicies > 0)
				memcpy(p, ps->ps_policies, ps->ps_npolicies *
				    sizeof(*p));
			free(ps->ps_policies);
		} else {
			p = mremap(ps->ps_policies, ps->ps_polmap, bytes,
			    MREMAP_MAYMOVE);
			if (p == MAP_FAILED)
				return (-1);
		}
		/* only a hint: without huge pages it works all the same */
		(void)madvise(p, bytes, MADV_HUGEPAGE);
		ps->ps_polmap = bytes;
		cap = bytes / sizeof(*p);
	}
	ps->ps_policies = p;
	ps->ps_polcap = cap;
	return (0);
}

void
policy_globals_init(struct pol_globals *gl)
{
	memset(gl, 0, sizeof(*gl));
	gl->gl_dpd_interval = GL_DPD_DEFAULT;
	gl->gl_ocsp_maxage = GL_OCSP_MAXAGE_NONE;
}

void
policy_host_clear(struct pol_host *h)
{
	free(h->h_name);
	memset(h, 0, sizeof(*h));
}

void
policy_clear(struct policy *pol)
{
	size_t	 i;

	free(pol->pol_name);
	for (i = 0; i < pol->pol_nflows; i++) {
		policy_host_clear(&pol->pol_flows[i].fl_src);
		policy_host_clear(&pol->pol_flows[i].fl_dst);
		policy_host_clear(&pol->pol_flows[i].fl_srcnat);
	}
	free(pol->pol_flows);
	policy_host_clear(&pol->pol_local);
	policy_host_clear(&pol->pol_peer);
	if (!(pol->pol_shared & POL_SHARED_IKE))
		free(pol->pol_ikeprops);
	if (!(pol->pol_shared & POL_SHARED_CHILD))
		free(pol->pol_childprops);
	free(pol->pol_srcid.id_str);
	free(pol->pol_dstid.id_str);
	freezero(pol->pol_psk, pol->pol_psklen);
	for (i = 0; i < pol->pol_ncfg; i++)
		policy_host_clear(&pol->pol_cfg[i].pc_host);
	free(pol->pol_cfg);
	free(pol->pol_iface);
	free(pol->pol_tag);
	memset(pol, 0, sizeof(*pol));
}

/*
 * Proposal lists shared by the policies of a set: most policies carry
 * the same (often the default) lists, so each distinct list is kept
 * once.
 */
struct pol_list {
	struct pol_prop		*pl_props;
	size_t			 pl_n;
	uint64_t		 pl_hash;
};

/* A proposal list as written, and its expansion (a list of the pool). */
struct pol_memo {
	struct pol_prop		*pm_in;		/* a copy, NULL when empty */
	size_t			 pm_nin;
	int			 pm_protoid;
	uint64_t		 pm_hash;
	struct pol_prop		*pm_out;
	size_t			 pm_nout;
};

struct pol_pool {
	struct pol_list		*pp_lists;
	size_t			 pp_n;
	size_t			*pp_tab;	/* index + 1, open addressing */
	size_t			 pp_cap;	/* a power of two */
	struct pol_memo		*pp_memo;	/* expansions done already */
	size_t			 pp_nmemo;
	size_t			*pp_memotab;	/* index + 1, open addressing */
	size_t			 pp_memocap;	/* a power of two */
};

static void
pool_free(struct pol_pool *pp)
{
	size_t	 i;

	if (pp == NULL)
		return;
	for (i = 0; i < pp->pp_n; i++)
		free(pp->pp_lists[i].pl_props);
	free(pp->pp_lists);
	free(pp->pp_tab);
	for (i = 0; i < pp->pp_nmemo; i++)
		free(pp->pp_memo[i].pm_in);
	free(pp->pp_memo);
	free(pp->pp_memotab);
	free(pp);
}

/* over the transforms in use only: the rest of each array is zero */
static uint64_t
props_hash(const struct pol_prop *props, size_t n)
{
	const struct pol_xform	*xf;
	size_t			 i;
	int			 j;
	uint64_t		 h = 0xcbf29ce484222325ULL ^ n;

	for (i = 0; i < n; i++) {
		h = (h ^ props[i].pr_protoid ^ (uint64_t)props[i].pr_nxf << 8) *
		    0x100000001b3ULL;
		for (j = 0; j < props[i].pr_nxf; j++) {
			xf = &props[i].pr_xf[j];
			h = (h ^ ((uint64_t)xf->xf_type << 32 |
			    (uint64_t)xf->xf_id << 16 | xf->xf_keylen)) *
			    0x100000001b3ULL;
		}
	}
	return (h);
}

/* n proposals the same, transform for transform (shared lists at once) */
int
policy_props_eq(const struct pol_prop *a, const struct pol_prop *b,
    size_t n)
{
	size_t	 i;

	if (a == b)
		return (1);
	for (i = 0; i < n; i++)
		if (a[i].pr_protoid != b[i].pr_protoid ||
		    a[i].pr_nxf != b[i].pr_nxf ||
		    memcmp(a[i].pr_xf, b[i].pr_xf,
		    a[i].pr_nxf * sizeof(a[i].pr_xf[0])) != 0)
			return (0);
	return (1);
}

/* idx + 1 into an open-addressing table of cap (a power of two) slots */
static void
tab_insert(size_t *tab, size_t cap, uint64_t h, size_t idx)
{
	size_t	 i;

	for (i = h & (cap - 1); tab[i] != 0; i = (i + 1) & (cap - 1))
		;
	tab[i] = idx + 1;
}

static void
pool_insert(struct pol_pool *pp, size_t idx)
{
	tab_insert(pp->pp_tab, pp->pp_cap, pp->pp_lists[idx].pl_hash, idx);
}

/* The shared copy of a list: *props is freed or taken over. */
static struct pol_prop *
pool_get(struct pol_pool *pp, struct pol_prop *props, size_t n)
{
	struct pol_list	*pl;
	uint64_t	 h = props_hash(props, n);
	size_t		 i, m;

	if (pp->pp_cap > 0) {
		m = pp->pp_cap - 1;
		for (i = h & m; pp->pp_tab[i] != 0; i = (i + 1) & m) {
			pl = &pp->pp_lists[pp->pp_tab[i] - 1];
			if (pl->pl_hash == h && pl->pl_n == n &&
			    policy_props_eq(pl->pl_props, props, n)) {
				free(props);
				return (pl->pl_props);
			}
		}
	}
	if ((pp->pp_n + 1) * 2 > pp->pp_cap) {
		pp->pp_cap = pp->pp_cap == 0 ? 16 : pp->pp_cap * 2;
		free(pp->pp_tab);
		pp->pp_tab = xcalloc(pp->pp_cap, sizeof(*pp->pp_tab));
		for (i = 0; i < pp->pp_n; i++)
			pool_insert(pp, i);
	}
	pp->pp_lists = xreallocarray(pp->pp_lists, pp->pp_n + 1,
	    sizeof(*pp->pp_lists));
	pl = &pp->pp_lists[pp->pp_n];
	pl->pl_props = props;
	pl->pl_n = n;
	pl->pl_hash = h;
	pool_insert(pp, pp->pp_n++);
	return (props);
}

/* Keep a list in the set's pool; returns the shared copy. */
struct pol_prop *
policy_pool_add(struct policy_set *ps, struct pol_prop *props, size_t n)
{
	if (ps->ps_pool == NULL)
		ps->ps_pool = xcalloc(1, sizeof(*ps->ps_pool));
	return (pool_get(ps->ps_pool, props, n));
}

/* Let pol, about to join ps, use the set's shared proposal lists. */
void
policy_share_props(struct policy_set *ps, struct policy *pol)
{
	if (ps->ps_pool == NULL)
		ps->ps_pool = xcalloc(1, sizeof(*ps->ps_pool));
	if (!(pol->pol_shared & POL_SHARED_IKE) && pol->pol_nikeprops > 0) {
		pol->pol_ikeprops = pool_get(ps->ps_pool, pol->pol_ikeprops,
		    pol->pol_nikeprops);
		pol->pol_shared |= POL_SHARED_IKE;
	}
	if (!(pol->pol_shared & POL_SHARED_CHILD) &&
	    pol->pol_nchildprops > 0) {
		pol->pol_childprops = pool_get(ps->ps_pool,
		    pol->pol_childprops, pol->pol_nchildprops);
		pol->pol_shared |= POL_SHARED_CHILD;
	}
}

void
policy_set_free(struct policy_set *ps)
{
	size_t	 i;

	if (ps == NULL)
		return;
	for (i = 0; i < ps->ps_npolicies; i++)
		policy_clear(&ps->ps_policies[i]);
	if (ps->ps_polmap > 0)
		munmap(ps->ps_policies, ps->ps_polmap);
	else
		free(ps->ps_policies);
	for (i = 0; i < ps->ps_nusers; i++) {
		free(ps->ps_users[i].u_name);
		strzero_free(ps->ps_users[i].u_pass);
	}
	free(ps->ps_users);
	free(ps->ps_globals.gl_ocsp_url);
	pool_free(ps->ps_pool);
	free(ps);
}

/*
 * Default proposals, as documented in iked.conf(5).  Each line is one
 * proposal; names are looked up in policy_xform_names[].
 */
static const char *const default_ike[] = {
	"enc aes-128-gcm enc aes-256-gcm "
	"prf hmac-sha2-256 prf hmac-sha2-384 prf hmac-sha2-512 prf hmac-sha1 "
	"group curve25519 group ecp521 group ecp384 group ecp256 "
	"group modp4096 group modp3072 group modp2048 group modp1536 "
	"group modp1024",
	"enc aes-256 enc aes-192 enc aes-128 enc 3des "
	"prf hmac-sha2-256 prf hmac-sha2-384 prf hmac-sha2-512 prf hmac-sha1 "
	"auth hmac-sha2-256 auth hmac-sha2-384 auth hmac-sha2-512 "
	"auth hmac-sha1 "
	"group curve25519 group ecp521 group ecp384 group ecp256 "
	"group modp4096 group modp3072 group modp2048 group modp1536 "
	"group modp1024",
	NULL
};

static const char *const default_child[] = {
	"enc aes-128-gcm enc aes-256-gcm group none esn noesn",
	"enc aes-256 enc aes-192 enc aes-128 "
	"auth hmac-sha2-256 auth hmac-sha2-384 auth hmac-sha2-512 "
	"auth hmac-sha1 group none esn noesn",
	NULL
};

static int
default_parse(const char *line, int where, struct pol_prop *pr)
{
	char				 buf[512], *p, *kw, *val;
	const struct pol_xform_name	*xn;
	int				 type, abbrev;

	if (strlcpy(buf, line, sizeof(buf)) >= sizeof(buf))
		return (-1);
	p = buf;
	while ((kw = strsep(&p, " ")) != NULL) {
		if (*kw == '\0')
			continue;
		if (strcmp(kw, "esn") == 0 || strcmp(kw, "noesn") == 0) {
			type = XF_ESN;
			val = kw;
		} else {
			if ((val = strsep(&p, " ")) == NULL)
				return (-1);
			if (strcmp(kw, "enc") == 0)
				type = XF_ENCR;
			else if (strcmp(kw, "prf") == 0)
				type = XF_PRF;
			else if (strcmp(kw, "auth") == 0)
				type = XF_INTEG;
			else if (strcmp(kw, "group") == 0)
				type = XF_DH;
			else
				return (-1);
		}
		xn = policy_xform_byname(type, val, where, &abbrev);
		if (xn == NULL || abbrev || pr->pr_nxf >= POL_XFORMS_MAX)
			return (-1);
		pr->pr_xf[pr->pr_nxf].xf_type = xn->xn_type;
		pr->pr_xf[pr->pr_nxf].xf_id = xn->xn_id;
		pr->pr_xf[pr->pr_nxf].xf_keylen = xn->xn_keylen;
		pr->pr_nxf++;
	}
	return (0);
}

/*
 * The default proposal list for PROTO_IKE or PROTO_ESP/AH, freshly
 * allocated.
 */
int
policy_default_props(int protoid, struct pol_prop **props, size_t *nprops)
{
	/* parsed once: the tables never change */
	static struct pol_prop	 cache[2][4];
	static size_t		 ncache[2];
	const char *const	*lines;
	struct pol_prop		*pr;
	size_t			 n, i;
	int			 where, k = protoid == PROTO_IKE ? 0 : 1;

	if (ncache[k] == 0) {
		lines = protoid == PROTO_IKE ? default_ike : default_child;
		where = protoid == PROTO_IKE ? XN_IKE : XN_ESP;
		for (n = 0; lines[n] != NULL && n < nitems(cache[k]); n++) {
			memset(&cache[k][n], 0, sizeof(cache[k][n]));
			if (default_parse(lines[n], where, &cache[k][n]) == -1)
				return (-1);
		}
		ncache[k] = n;
	}
	n = ncache[k];
	if ((pr = calloc(n, sizeof(*pr))) == NULL)
		return (-1);
	for (i = 0; i < n; i++) {
		pr[i] = cache[k][i];
		pr[i].pr_protoid = protoid;
	}
	*props = pr;
	*nprops = n;
	return (0);
}

static int
prop_has(const struct pol_prop *pr, int type)
{
	int	 i;

	for (i = 0; i < pr->pr_nxf; i++)
		if (pr->pr_xf[i].xf_type == type)
			return (1);
	return (0);
}

static int
prop_is_aead(const struct pol_prop *pr)
{
	int	 i;

	for (i = 0; i < pr->pr_nxf; i++)
		if (policy_xform_is_aead(&pr->pr_xf[i]))
			return (1);
	return (0);
}

/*
 * Complete proposal pr from default def: every transform type pr leaves
 * out is taken from def.  Transforms come out in the canonical order
 * enc, prf, auth, group, esn; an AEAD cipher has no separate auth.
 */
static void
prop_complete(const struct pol_prop *pr, const struct pol_prop *def,
    struct pol_prop *out)
{
	static const int	 order[] = { XF_ENCR, XF_PRF, XF_INTEG, XF_DH,
				    XF_ESN };
	const struct pol_prop	*src;
	size_t			 t;
	int			 aead, i;

	memset(out, 0, sizeof(*out));
	out->pr_protoid = pr->pr_protoid;
	aead = prop_has(pr, XF_ENCR) ? prop_is_aead(pr) : prop_is_aead(def);
	for (t = 0; t < nitems(order); t++) {
		if (pr->pr_protoid == PROTO_IKE && order[t] == XF_ESN)
			continue;
		if (pr->pr_protoid != PROTO_IKE && order[t] == XF_PRF)
			continue;
		if (order[t] == XF_INTEG && aead)
			continue;
		if (pr->pr_protoid == PROTO_AH && order[t] == XF_ENCR &&
		    !prop_has(pr, XF_ENCR))
			continue;
		src = prop_has(pr, order[t]) ? pr : def;
		for (i = 0; i < src->pr_nxf; i++) {
			if (src->pr_xf[i].xf_type != order[t] ||
			    out->pr_nxf >= POL_XFORMS_MAX)
				continue;
			out->pr_xf[out->pr_nxf++] = src->pr_xf[i];
		}
	}
}

/*
 * Expand a proposal list against the defaults.  A proposal that names a
 * cipher (or any AH proposal) is completed from the default of its kind,
 * AEAD or not; one that names no cipher stands for every default
 * proposal it fits (those without AEAD when it names an auth), as in
 * OpenIKED.  An empty list is the default list.
 */
static int
props_fill(struct pol_prop **props, size_t *nprops, int protoid)
{
	struct pol_prop		*defs, *out, empty;
	const struct pol_prop	*pr;
	size_t			 ndefs, i, d, n = 0, in;

	if (policy_default_props(protoid == PROTO_AH ? PROTO_ESP : protoid,
	    &defs, &ndefs) == -1)
		return (-1);
	memset(&empty, 0, sizeof(empty));
	empty.pr_protoid = protoid;
	in = *nprops == 0 ? 1 : *nprops;
	if ((out = calloc(in * ndefs, sizeof(*out))) == NULL) {
		free(defs);
		return (-1);
	}
	for (i = 0; i < in; i++) {
		pr = *nprops == 0 ? &empty : &(*props)[i];
		if (prop_has(pr, XF_ENCR) || protoid == PROTO_AH) {
			for (d = 0; d < ndefs - 1; d++)
				if (prop_is_aead(&defs[d]) == prop_is_aead(pr))
					break;
			prop_complete(pr, &defs[d], &out[n++]);
			continue;
		}
		for (d = 0; d < ndefs; d++) {
			if (prop_has(pr, XF_INTEG) && prop_is_aead(&defs[d]))
				continue;
			prop_complete(pr, &defs[d], &out[n++]);
		}
	}
	free(defs);
	free(*props);
	*props = out;
	*nprops = n;
	return (0);
}

/*
 * Fill in the proposals a policy left out, or the transform types a
 * proposal left out.  Together with the initial values the parser gives
 * (lifetimes, auth), the one place where defaults live.
 */
int
policy_defaults(struct policy *pol)
{
	int	 child = (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP;

	if (props_fill(&pol->pol_ikeprops, &pol->pol_nikeprops,
	    PROTO_IKE) == -1)
		return (-1);
	return (props_fill(&pol->pol_childprops, &pol->pol_nchildprops,
	    child));
}

static void
memo_insert(struct pol_pool *pp, size_t idx)
{
	tab_insert(pp->pp_memotab, pp->pp_memocap, pp->pp_memo[idx].pm_hash,
	    idx);
}

/*
 * props_fill() through the pool: a list as written that was expanded
 * before gets the same shared expansion without working it out again
 * (a large config repeats a few proposal styles many times).
 */
static int
props_fill_shared(struct pol_pool *pp, struct pol_prop **props,
    size_t *nprops, int protoid)
{
	struct pol_memo	*pm;
	struct pol_prop	*copy = NULL;
	uint64_t	 h;
	size_t		 i, m, nin = *nprops;

	h = props_hash(*props, *nprops) ^ (uint64_t)protoid << 56;
	if (pp->pp_memocap > 0) {
		m = pp->pp_memocap - 1;
		for (i = h & m; pp->pp_memotab[i] != 0; i = (i + 1) & m) {
			pm = &pp->pp_memo[pp->pp_memotab[i] - 1];
			if (pm->pm_hash == h && pm->pm_protoid == protoid &&
			    pm->pm_nin == nin &&
			    policy_props_eq(pm->pm_in, *props, nin)) {
				free(*props);
				*props = pm->pm_out;
				*nprops = pm->pm_nout;
				return (0);
			}
		}
	}
	if (nin > 0) {
		if ((copy = calloc(nin, sizeof(*copy))) == NULL)
			return (-1);
		memcpy(copy, *props, nin * sizeof(*copy));
	}
	if (props_fill(props, nprops, protoid) == -1) {
		free(copy);
		return (-1);
	}
	*props = pool_get(pp, *props, *nprops);
	if ((pp->pp_nmemo + 1) * 2 > pp->pp_memocap) {
		pp->pp_memocap = pp->pp_memocap == 0 ? 16 :
		    pp->pp_memocap * 2;
		free(pp->pp_memotab);
		pp->pp_memotab = xcalloc(pp->pp_memocap,
		    sizeof(*pp->pp_memotab));
		for (i = 0; i < pp->pp_nmemo; i++)
			memo_insert(pp, i);
	}
	pp->pp_memo = xreallocarray(pp->pp_memo, pp->pp_nmemo + 1,
	    sizeof(*pp->pp_memo));
	pm = &pp->pp_memo[pp->pp_nmemo];
	pm->pm_in = copy;
	pm->pm_nin = nin;
	pm->pm_protoid = protoid;
	pm->pm_hash = h;
	pm->pm_out = *props;
	pm->pm_nout = *nprops;
	memo_insert(pp, pp->pp_nmemo++);
	return (0);
}

/*
 * policy_defaults() for a policy about to join ps: its lists end up
 * expanded and shared in the set's pool, as policy_share_props() would
 * leave them.
 */
int
policy_defaults_shared(struct policy_set *ps, struct policy *pol)
{
	int	 child = (pol->pol_flags & POL_F_AH) ? PROTO_AH : PROTO_ESP;

	if (ps->ps_pool == NULL)
		ps->ps_pool = xcalloc(1, sizeof(*ps->ps_pool));
	if (!(pol->pol_shared & POL_SHARED_IKE)) {
		if (props_fill_shared(ps->ps_pool, &pol->pol_ikeprops,
		    &pol->pol_nikeprops, PROTO_IKE) == -1)
			return (-1);
		pol->pol_shared |= POL_SHARED_IKE;
	}
	if (!(pol->pol_shared & POL_SHARED_CHILD)) {
		if (props_fill_shared(ps->ps_pool, &pol->pol_childprops,
		    &pol->pol_nchildprops, child) == -1)
			return (-1);
		pol->pol_shared |= POL_SHARED_CHILD;
	}
	return (0);
}

/* The values of a policy before the config says anything. */
void
policy_init(struct policy *pol)
{
	memset(pol, 0, sizeof(*pol));
	pol->pol_lifetime = POL_LIFETIME_DEFAULT;
	pol->pol_bytes = POL_BYTES_DEFAULT;
	pol->pol_auth = AUTH_SIGNATURE;
	pol->pol_local.h_plen = POL_PLEN_NONE;
	pol->pol_peer.h_plen = POL_PLEN_NONE;
}

const struct pol_user *
policy_find_user(const struct policy_set *ps, const char *name)
{
	size_t	 i;

	for (i = 0; i < ps->ps_nusers; i++)
		if (strcmp(ps->ps_users[i].u_name, name) == 0)
			return (&ps->ps_users[i]);
	return (NULL);
}

/*
 * A hash table of a set's policy names, for finding many policies by
 * name (comparing two generations of 100k policies).
 */
struct policy_names {
	const struct policy_set	*pn_ps;
	size_t			*pn_tab;	/* index + 1 */
	size_t			 pn_cap;	/* a power of two */
};

static uint64_t
name_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (h);
}

struct policy_names *
policy_names_new(const struct policy_set *ps)
{
	struct policy_names	*pn;
	size_t			 i, h;

	pn = xcalloc(1, sizeof(*pn));
	pn->pn_ps = ps;
	for (pn->pn_cap = 16; pn->pn_cap < 2 * ps->ps_npolicies;
	    pn->pn_cap *= 2)
		;
	pn->pn_tab = xcalloc(pn->pn_cap, sizeof(*pn->pn_tab));
	for (i = 0; i < ps->ps_npolicies; i++) {
		for (h = name_hash(ps->ps_policies[i].pol_name) &
		    (pn->pn_cap - 1); pn->pn_tab[h] != 0;
		    h = (h + 1) & (pn->pn_cap - 1))
			;
		pn->pn_tab[h] = i + 1;
	}
	return (pn);
}

const struct policy *
policy_names_find(const struct policy_names *pn, const char *name)
{
	const struct policy	*pol;
	size_t			 h;

	if (pn == NULL)
		return (NULL);
	for (h = name_hash(name) & (pn->pn_cap - 1); pn->pn_tab[h] != 0;
	    h = (h + 1) & (pn->pn_cap - 1)) {
		pol = &pn->pn_ps->ps_policies[pn->pn_tab[h] - 1];
		if (strcmp(pol->pol_name, name) == 0)
			return (pol);
	}
	return (NULL);
}

void
policy_names_free(struct policy_names *pn)
{
	if (pn == NULL)
		return;
	free(pn->pn_tab);
	free(pn);
}

const struct policy *
policy_find(const struct policy_set *ps, const char *name)
{
	size_t	 i;

	for (i = 0; i < ps->ps_npolicies; i++)
		if (strcmp(ps->ps_policies[i].pol_name, name) == 0)
			return (&ps->ps_policies[i]);
	return (NULL);
}
