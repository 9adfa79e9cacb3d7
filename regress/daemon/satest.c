/*
 * SA bookkeeping across generations (ikerund/sa.c), on policy sets built
 * here: which SAs are kept, rekeyed or deleted when a generation
 * replaces another.  Prints "ok NAME" / "not ok NAME" lines.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ikerund.h"

static int	 failed;

static void
t(const char *name, int cond)
{
	printf("%s sa/%s\n", cond ? "ok" : "not ok", name);
	if (!cond)
		failed = 1;
}

static struct policy_set *
set_of(const char *names, uint64_t lifetime)
{
	struct policy_set	*ps = policy_set_new();
	char			*copy = xstrdup(names), *p = copy, *n;

	while ((n = strsep(&p, " ")) != NULL) {
		ps->ps_policies = xreallocarray(ps->ps_policies,
		    ps->ps_npolicies + 1, sizeof(struct policy));
		policy_init(&ps->ps_policies[ps->ps_npolicies]);
		ps->ps_policies[ps->ps_npolicies].pol_name = xstrdup(n);
		ps->ps_policies[ps->ps_npolicies].pol_lifetime = lifetime;
		ps->ps_npolicies++;
	}
	free(copy);
	return (ps);
}

int
main(void)
{
	struct policy_set	*g1, *g2, *g3;
	struct sa_list		 sas, gone;
	struct gen_diff		 d;
	struct sa		*sa;
	size_t			 n;

	TAILQ_INIT(&sas);
	TAILQ_INIT(&gone);
	g1 = set_of("a b c", 3600);
	sa_diff(NULL, g1, &sas, &d);
	t("first-generation-all-added", d.gd_added == 3 && d.gd_kept == 0 &&
	    d.gd_removed == 0);
	sa_rebind(&sas, g1, 1, &gone);
	sa_new(&sas, 1, "a", "peer-a");
	sa_new(&sas, 2, "b", "peer-b");
	sa_new(&sas, 3, "c", "peer-c");
	sa_new(&sas, 4, "c", "peer-c2");
	sa_rebind(&sas, g1, 1, &gone);
	TAILQ_FOREACH(sa, &sas, sa_entry)
		if (sa->sa_policy == NULL || strcmp(sa->sa_policy->pol_name,
		    sa->sa_policy_name) != 0)
			break;
	t("bound-by-name", sa == NULL);

	/* a kept, b changed (lifetime), c removed, d added */
	g2 = set_of("a b d", 3600);
	g2->ps_policies[1].pol_lifetime = 7200;
	sa_diff(g1, g2, &sas, &d);
	t("diff-policies", d.gd_added == 1 && d.gd_removed == 1 &&
	    d.gd_changed == 1 && d.gd_kept == 1);
	t("diff-sas", d.gd_sa_kept == 1 && d.gd_sa_rekey == 1 &&
	    d.gd_sa_delete == 2);
	n = sa_rebind(&sas, g2, 2, &gone);
	t("rebind-moves-orphans", n == 2 && !TAILQ_EMPTY(&gone));
	TAILQ_FOREACH(sa, &gone, sa_entry)
		if (sa->sa_state != SA_DELETING || strcmp(sa->sa_policy_name,
		    "c") != 0)
			break;
	t("orphans-deleting", sa == NULL);
	n = 0;
	TAILQ_FOREACH(sa, &sas, sa_entry) {
		n++;
		if (sa->sa_gen != 2 || sa->sa_policy == NULL)
			break;
	}
	t("survivors-rebound", sa == NULL && n == 2);
	sa = TAILQ_FIRST(&sas);
	t("kept-sa-untouched", sa->sa_id == 1 && sa->sa_state == SA_LARVAL);
	sa = TAILQ_NEXT(sa, sa_entry);
	t("changed-sa-rekeys", sa->sa_id == 2 && sa->sa_state == SA_REKEY);
	/* the old generation can go: nothing points into it any more */
	policy_set_free(g1);
	g3 = set_of("a b d", 3600);
	g3->ps_policies[1].pol_lifetime = 7200;
	sa_diff(g2, g3, &sas, &d);
	t("identical-generation-keeps-all", d.gd_kept == 3 &&
	    d.gd_sa_kept == 2 && d.gd_sa_rekey == 0 && d.gd_sa_delete == 0);
	sa_rebind(&sas, g3, 3, &gone);
	policy_set_free(g2);
	while ((sa = TAILQ_FIRST(&sas)) != NULL) {
		TAILQ_REMOVE(&sas, sa, sa_entry);
		sa_free(sa);
	}
	while ((sa = TAILQ_FIRST(&gone)) != NULL) {
		TAILQ_REMOVE(&gone, sa, sa_entry);
		sa_free(sa);
	}
	policy_set_free(g3);
	return (0);
}
