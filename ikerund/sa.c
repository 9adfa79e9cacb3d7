/*
 * SA bookkeeping across generations.  An SA remembers the name of the
 * policy that made it; when a new generation comes, an SA whose policy
 * still exists is re-bound to it (and rekeyed with it at its next rekey
 * if it changed), and an SA whose policy is gone is deleted.
 */
#include <stdlib.h>
#include <string.h>

#include "ikerund.h"
#include "log.h"

struct sa *
sa_new(struct sa_list *sas, uint64_t id, const char *policy, const char *peer)
{
	struct sa	*sa;

	sa = xcalloc(1, sizeof(*sa));
	sa->sa_id = id;
	sa->sa_policy_name = xstrdup(policy);
	sa->sa_peer_id = xstrdup(peer != NULL ? peer : "");
	sa->sa_created = time(NULL);
	TAILQ_INSERT_TAIL(sas, sa, sa_entry);
	return (sa);
}

void
sa_free(struct sa *sa)
{
	free(sa->sa_policy_name);
	free(sa->sa_peer_id);
	free(sa);
}

/*
 * What moving from old to new would do: policies added, removed,
 * changed and kept (by name), and SAs kept, to rekey and to delete.
 * old may be NULL (nothing loaded yet).
 */
void
sa_diff(const struct policy_set *old, const struct policy_set *new,
    const struct sa_list *sas, struct gen_diff *d)
{
	struct policy_names	*oldn = NULL, *newn;
	const struct policy	*op, *np;
	const struct sa		*sa;
	size_t			 i;

	memset(d, 0, sizeof(*d));
	/* by name through hash tables: generations of 100k policies */
	newn = policy_names_new(new);
	if (old != NULL)
		oldn = policy_names_new(old);
	for (i = 0; i < new->ps_npolicies; i++) {
		np = &new->ps_policies[i];
		if ((op = policy_names_find(oldn, np->pol_name)) == NULL)
			d->gd_added++;
		else if (policy_cmp(op, np) != 0)
			d->gd_changed++;
		else
			d->gd_kept++;
	}
	for (i = 0; old != NULL && i < old->ps_npolicies; i++)
		if (policy_names_find(newn, old->ps_policies[i].pol_name) ==
		    NULL)
			d->gd_removed++;
	TAILQ_FOREACH(sa, sas, sa_entry) {
		if ((np = policy_names_find(newn, sa->sa_policy_name)) == NULL)
			d->gd_sa_delete++;
		else if (sa->sa_policy != NULL && policy_cmp(sa->sa_policy,
		    np) != 0)
			d->gd_sa_rekey++;
		else
			d->gd_sa_kept++;
	}
	policy_names_free(newn);
	policy_names_free(oldn);
}

/*
 * Bind every SA to its policy in new (generation gen).  SAs whose policy
 * is gone move to *gone (in state SA_DELETING) for the caller to send
 * Deletes and remove.  Returns how many moved.
 */
size_t
sa_rebind(struct sa_list *sas, const struct policy_set *new, uint64_t gen,
    struct sa_list *gone)
{
	struct policy_names	*newn;
	struct sa		*sa, *next;
	const struct policy	*np;
	size_t			 n = 0;

	newn = policy_names_new(new);
	for (sa = TAILQ_FIRST(sas); sa != NULL; sa = next) {
		next = TAILQ_NEXT(sa, sa_entry);
		if ((np = policy_names_find(newn, sa->sa_policy_name)) ==
		    NULL) {
			TAILQ_REMOVE(sas, sa, sa_entry);
			sa->sa_policy = NULL;
			sa->sa_state = SA_DELETING;
			TAILQ_INSERT_TAIL(gone, sa, sa_entry);
			n++;
			continue;
		}
		if (sa->sa_policy != NULL && policy_cmp(sa->sa_policy, np) != 0)
			sa->sa_state = SA_REKEY;
		sa->sa_policy = np;
		sa->sa_gen = gen;
	}
	policy_names_free(newn);
	return (n);
}
