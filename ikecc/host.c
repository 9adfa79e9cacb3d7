/*
 * Hosts, ports and protocols as written in iked.conf.  Numeric addresses
 * are parsed here; hostnames and interface names stay names (the daemon
 * resolves them), so compiling needs no DNS and gives the same blob on
 * every machine.
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <ctype.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include "ikecc.h"
#include "util.h"

static int
addr_parse(const char *s, uint8_t *addr, uint8_t *af)
{
	struct addrinfo	 hints, *res;
	int		 r;

	/* the usual forms, as getaddrinfo() reads them, without its cost */
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*af = POL_AF_INET;
		return (0);
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*af = POL_AF_INET6;
		return (0);
	}
	/* the rest: "10.1", "0x7f.1", scoped addresses */
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(s, NULL, &hints, &res) != 0)
		return (-1);
	r = 0;
	memset(addr, 0, 16);
	if (res->ai_family == AF_INET) {
		memcpy(addr, &((struct sockaddr_in *)res->ai_addr)->sin_addr,
		    4);
		*af = POL_AF_INET;
	} else if (res->ai_family == AF_INET6) {
		memcpy(addr,
		    &((struct sockaddr_in6 *)res->ai_addr)->sin6_addr, 16);
		*af = POL_AF_INET6;
		/* scoped addresses cannot be carried in a blob */
		if (((struct sockaddr_in6 *)res->ai_addr)->sin6_scope_id != 0)
			r = -1;
	} else
		r = -1;
	freeaddrinfo(res);
	return (r);
}

static int
name_ok(const char *s)
{
	if (*s == '\0')
		return (0);
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr(".-_:", *s) == NULL)
			return (0);
	return (1);
}

/* Digits and dots only, or hex digits with colons: meant as an address. */
static int
looks_numeric(const char *s)
{
	size_t	 n = strspn(s, "0123456789.");

	if (s[n] == '\0')
		return (1);
	return (strchr(s, ':') != NULL &&
	    s[strspn(s, "0123456789abcdefABCDEF:.")] == '\0');
}

/*
 * A host: "any", "dynamic", an address with an optional prefix length,
 * an address range "a-b" (an ikecc extension), or a name.
 */
int
host_parse(struct diag *d, const struct ast_val *v, const struct ast_val *plen,
    struct pol_host *h)
{
	char	*dash, *a;
	int	 max, i, bits;

	memset(h, 0, sizeof(*h));
	h->h_plen = POL_PLEN_NONE;
	switch (v->v_type) {
	case V_ANY:
		h->h_kind = HOST_ANY;
		return (0);
	case V_DYNAMIC:
		h->h_kind = HOST_DYNAMIC;
		return (0);
	case V_STR:
		break;
	default:
		diag_error(d, &v->v_loc, "host address expected");
		return (-1);
	}
	if (addr_parse(v->v_str, h->h_ip, &h->h_af) == 0) {
		h->h_kind = HOST_ADDR;
	} else if ((dash = strchr(v->v_str, '-')) != NULL &&
	    strchr(dash + 1, '-') == NULL) {
		uint8_t	 af2;

		a = xstrndup(v->v_str, dash - v->v_str);
		if (addr_parse(a, h->h_ip, &h->h_af) == 0 &&
		    addr_parse(dash + 1, h->h_ip2, &af2) == 0) {
			free(a);
			if (af2 != h->h_af) {
				diag_error(d, &v->v_loc, "address range %s "
				    "mixes address families", v->v_str);
				return (-1);
			}
			if (memcmp(h->h_ip, h->h_ip2, 16) > 0) {
				diag_error(d, &v->v_loc, "address range %s "
				    "ends before it starts", v->v_str);
				return (-1);
			}
			if (plen != NULL && plen->v_type != V_NONE) {
				diag_error(d, &plen->v_loc, "an address "
				    "range takes no prefix length");
				return (-1);
			}
			h->h_kind = HOST_RANGE;
			return (0);
		}
		free(a);
		goto name;
	} else {
 name:
		if (looks_numeric(v->v_str)) {
			diag_error(d, &v->v_loc, "invalid address '%s'",
			    v->v_str);
			return (-1);
		}
		if (!name_ok(v->v_str)) {
			diag_error(d, &v->v_loc, "invalid host '%s': not an "
			    "address, and not a valid host or interface name",
			    v->v_str);
			return (-1);
		}
		if (strlen(v->v_str) > 253) {
			diag_error(d, &v->v_loc, "host name too long (more "
			    "than 253 bytes)");
			return (-1);
		}
		h->h_kind = HOST_NAME;
		h->h_name = xstrdup(v->v_str);
	}
	if (plen == NULL || plen->v_type == V_NONE)
		return (0);
	max = h->h_af == POL_AF_INET6 ? 128 : 32;
	if (h->h_kind == HOST_NAME)
		max = 128;
	if (plen->v_num < 0 || plen->v_num > max) {
		diag_error(d, &plen->v_loc, "prefix length /%lld is out of "
		    "range for %s (0-%d)", plen->v_num,
		    h->h_kind == HOST_NAME ? "a name" :
		    h->h_af == POL_AF_INET6 ? "IPv6" : "IPv4", max);
		policy_host_clear(h);
		return (-1);
	}
	h->h_plen = plen->v_num;
	if (h->h_kind == HOST_ADDR) {
		bits = h->h_af == POL_AF_INET6 ? 128 : 32;
		for (i = h->h_plen; i < bits; i++)
			if (h->h_ip[i / 8] & (0x80 >> (i % 8))) {
				diag_warn(d, &v->v_loc, "%s/%u has host bits "
				    "set beyond the prefix length", v->v_str,
				    h->h_plen);
				break;
			}
	}
	return (0);
}

/* 0.0.0.0/0 or ::/0: "any" once its family is known */
void
host_any_for(struct pol_host *h, int af)
{
	policy_host_clear(h);
	h->h_kind = HOST_ADDR;
	h->h_af = af;
	h->h_plen = 0;
}

/*
 * Names looked up in /etc/services and /etc/protocols, remembered: the
 * C library reads the whole file on every call, and a large config
 * names the same few services again and again.
 */
struct name_cache {
	char		*nc_name;
	int		 nc_value;	/* -1: unknown */
};

static int
cache_lookup(struct name_cache **tab, size_t *n, const char *name,
    int (*resolve)(const char *))
{
	size_t	 i;

	for (i = 0; i < *n; i++)
		if (strcmp((*tab)[i].nc_name, name) == 0)
			return ((*tab)[i].nc_value);
	if (*n >= 256)		/* bounded: past this, ask every time */
		return (resolve(name));
	*tab = xreallocarray(*tab, *n + 1, sizeof(**tab));
	(*tab)[*n].nc_name = xstrdup(name);
	(*tab)[*n].nc_value = resolve(name);
	return ((*tab)[(*n)++].nc_value);
}

static int
resolve_port(const char *name)
{
	struct servent	*se;

	if ((se = getservbyname(name, "tcp")) == NULL &&
	    (se = getservbyname(name, "udp")) == NULL)
		return (-1);
	return (ntohs(se->s_port));
}

static int
resolve_proto(const char *name)
{
	struct protoent	*pe;

	if ((pe = getprotobyname(name)) == NULL)
		return (-1);
	return (pe->p_proto);
}

static struct name_cache	*port_cache, *proto_cache;
static size_t			 nport_cache, nproto_cache;

int
host_port(struct diag *d, const struct ast_val *v, uint16_t *port)
{
	int		 p;

	if (v->v_type == V_NUM) {
		if (v->v_num < 0 || v->v_num > 65535) {
			diag_error(d, &v->v_loc, "port %lld outside range "
			    "(0-65535)", v->v_num);
			return (-1);
		}
		*port = v->v_num;
		return (0);
	}
	if ((p = cache_lookup(&port_cache, &nport_cache, v->v_str,
	    resolve_port)) == -1) {
		diag_error(d, &v->v_loc, "unknown port '%s'", v->v_str);
		return (-1);
	}
	*port = p;
	return (0);
}

int
host_proto(struct diag *d, const struct ast_val *v, uint8_t *proto)
{
	int		 p;

	if (v->v_type == V_NUM) {
		if (v->v_num < 0 || v->v_num > 255) {
			diag_error(d, &v->v_loc, "protocol %lld outside "
			    "range (0-255)", v->v_num);
			return (-1);
		}
		*proto = v->v_num;
		return (0);
	}
	if ((p = cache_lookup(&proto_cache, &nproto_cache, v->v_str,
	    resolve_proto)) == -1) {
		diag_error(d, &v->v_loc, "unknown protocol '%s'", v->v_str);
		return (-1);
	}
	*proto = p;
	return (0);
}

/* Protocols whose selectors carry ports: TCP, UDP, DCCP, SCTP, UDP-Lite. */
int
host_proto_has_ports(uint8_t p)
{
	return (p == 6 || p == 17 || p == 33 || p == 132 || p == 136);
}

int
host_is_network(const struct pol_host *h)
{
	return (h->h_kind == HOST_RANGE || h->h_kind == HOST_ANY ||
	    (h->h_kind == HOST_ADDR && h->h_plen != POL_PLEN_NONE));
}

static int
prefix_match(const uint8_t *a, const uint8_t *b, int plen)
{
	int	 i;

	for (i = 0; i < plen; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80 >> (i % 8)))
			return (0);
	return (1);
}

/*
 * Does a cover every address of b?  Only numeric hosts are judged; a
 * name covers nothing and is covered by nothing but "any".
 */
int
host_covers(const struct pol_host *a, const struct pol_host *b)
{
	int	 alen, blen, full;

	if (a->h_kind == HOST_ANY || a->h_kind == HOST_NONE)
		return (1);
	if (a->h_kind != HOST_ADDR || (b->h_kind != HOST_ADDR &&
	    b->h_kind != HOST_RANGE))
		return (0);
	if (a->h_af != b->h_af)
		return (0);
	full = a->h_af == POL_AF_INET6 ? 128 : 32;
	alen = a->h_plen == POL_PLEN_NONE ? full : a->h_plen;
	if (b->h_kind == HOST_RANGE)
		return (prefix_match(a->h_ip, b->h_ip, alen) &&
		    prefix_match(a->h_ip, b->h_ip2, alen));
	blen = b->h_plen == POL_PLEN_NONE ? full : b->h_plen;
	return (alen <= blen && prefix_match(a->h_ip, b->h_ip, alen));
}
