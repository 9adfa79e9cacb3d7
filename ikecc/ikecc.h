/*
 * ikecc: the iked.conf compiler.  The header is the table of contents.
 */
#ifndef IKECC_H
#define IKECC_H

#include "ast.h"
#include "policy.h"

#define IKECC_DEFAULT_OUT	"policy.bin"
#define IKECC_PROPS_MAX		16	/* written proposals per list */

/* check.c: syntax tree to policy set, with every semantic check */
struct checker;
struct policy_set	*check_ast(struct ast *, struct diag *);
#define CHECK_LINT	0x01	/* checks only: keep no more than they need */
struct checker		*check_begin(struct diag *, int);
void			 check_stmt(struct checker *, const struct ast_stmt *);
size_t			 check_npolicies(const struct checker *);
struct policy_set	*check_end(struct checker *);

/* host.c: addresses, ports, protocols */
int	 host_parse(struct diag *, const struct ast_val *,
	    const struct ast_val *, struct pol_host *);
int	 host_port(struct diag *, const struct ast_val *, uint16_t *);
int	 host_proto(struct diag *, const struct ast_val *, uint8_t *);
int	 host_proto_has_ports(uint8_t);
int	 host_covers(const struct pol_host *, const struct pol_host *);
int	 host_is_network(const struct pol_host *);
void	 host_any_for(struct pol_host *, int);

#endif /* IKECC_H */
