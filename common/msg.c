/*
 * Message headers and payloads: pure, bounds-checked encoders and
 * decoders.  Integers are little-endian; strings are a 16-bit length
 * and that many bytes, no NUL inside.  A decoder refuses a payload that
 * is short, long (not consumed exactly), or carries a value out of
 * range.
 */
#include <sys/socket.h>

#include <stddef.h>
#include <string.h>

#include "msg.h"
#include "util.h"
#include "wire.h"

/*
 * Returns 1 with *h filled when buf holds a whole message, 0 when more
 * bytes are needed, -1 when the header is invalid.
 */
int
msg_hdr_parse(const uint8_t *buf, size_t len, struct msg_hdr *h)
{
	struct cur	 c = { buf, len };

	if (len < MSG_HDR_LEN)
		return (0);
	(void)get_u32(&c, &h->mh_type);
	(void)get_u32(&c, &h->mh_len);
	(void)get_u32(&c, &h->mh_id);
	(void)get_u32(&c, &h->mh_flags);
	/* 1 to the last of ours, and the kernel requests: not the gap */
	if (h->mh_type == MSG_NONE || (h->mh_type >= MSG_TYPE_MAX &&
	    (h->mh_type < MSG_KERNEL_SA_ADD ||
	    h->mh_type >= MSG_KERNEL_MAX)) ||
	    h->mh_len > MSG_MAX_PAYLOAD || (h->mh_flags & ~MSG_F_ALL) != 0)
		return (-1);
	if (len - MSG_HDR_LEN < h->mh_len)
		return (0);
	return (1);
}

void
msg_hdr_encode(const struct msg_hdr *h, uint8_t *buf)
{
	struct wcur	 w;

	wcur_init(&w, buf, MSG_HDR_LEN);
	put_u32(&w, h->mh_type);
	put_u32(&w, h->mh_len);
	put_u32(&w, h->mh_id);
	put_u32(&w, h->mh_flags);
}

int
ctl_load_decode(const uint8_t *buf, size_t len, struct ctl_load *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &m->cl_flags) == -1 ||
	    (m->cl_flags & ~CTL_LOAD_ALL) != 0 ||
	    get_str(&c, m->cl_path, sizeof(m->cl_path)) == -1)
		return (-1);
	return (end(&c));
}

size_t
ctl_load_encode(const struct ctl_load *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, m->cl_flags);
	put_str(&w, m->cl_path, sizeof(m->cl_path));
	return (wcur_done(&w));
}

int
ctl_show_decode(const uint8_t *buf, size_t len, struct ctl_show *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &m->cs_what) == -1 || m->cs_what == 0 ||
	    m->cs_what >= SHOW_MAX || get_u32(&c, &m->cs_flags) == -1 ||
	    (m->cs_flags & ~CTL_SHOW_ALL) != 0)
		return (-1);
	return (end(&c));
}

size_t
ctl_show_encode(const struct ctl_show *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, m->cs_what);
	put_u32(&w, m->cs_flags);
	return (wcur_done(&w));
}

int
ctl_reset_decode(const uint8_t *buf, size_t len, struct ctl_reset *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &m->cr_what) == -1 || m->cr_what == 0 ||
	    m->cr_what >= RESET_MAX ||
	    get_str(&c, m->cr_id, sizeof(m->cr_id)) == -1)
		return (-1);
	if ((m->cr_what == RESET_ID) != (m->cr_id[0] != '\0'))
		return (-1);
	return (end(&c));
}

size_t
ctl_reset_encode(const struct ctl_reset *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, m->cr_what);
	put_str(&w, m->cr_id, sizeof(m->cr_id));
	return (wcur_done(&w));
}

int
ctl_mode_decode(const uint8_t *buf, size_t len, struct ctl_mode *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &m->cm_mode) == -1 || m->cm_mode == 0 ||
	    m->cm_mode >= MODE_MAX)
		return (-1);
	return (end(&c));
}

size_t
ctl_mode_encode(const struct ctl_mode *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, m->cm_mode);
	return (wcur_done(&w));
}

int
ctl_end_decode(const uint8_t *buf, size_t len, struct ctl_end *m)
{
	struct cur	 c = { buf, len };
	uint32_t	 st;

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &st) == -1 ||
	    get_str(&c, m->ce_msg, sizeof(m->ce_msg)) == -1)
		return (-1);
	m->ce_status = (int32_t)st;
	return (end(&c));
}

size_t
ctl_end_encode(const struct ctl_end *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, (uint32_t)m->ce_status);
	put_str(&w, m->ce_msg, sizeof(m->ce_msg));
	return (wcur_done(&w));
}

int
gen_prepare_decode(const uint8_t *buf, size_t len, struct gen_prepare *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u64(&c, &m->gp_gen) == -1 || m->gp_gen == 0 ||
	    get_u32(&c, &m->gp_flags) == -1 ||
	    (m->gp_flags & ~GEN_PREPARE_ALL) != 0 ||
	    get_u64(&c, &m->gp_size) == -1 ||
	    get_bytes(&c, m->gp_digest, sizeof(m->gp_digest)) == -1)
		return (-1);
	return (end(&c));
}

size_t
gen_prepare_encode(const struct gen_prepare *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u64(&w, m->gp_gen);
	put_u32(&w, m->gp_flags);
	put_u64(&w, m->gp_size);
	put_bytes(&w, m->gp_digest, sizeof(m->gp_digest));
	return (wcur_done(&w));
}

int
gen_result_decode(const uint8_t *buf, size_t len, struct gen_result *m)
{
	struct cur	 c = { buf, len };
	uint32_t	 st;

	memset(m, 0, sizeof(*m));
	if (get_u64(&c, &m->gr_gen) == -1 || get_u32(&c, &st) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_added) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_removed) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_changed) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_kept) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_sa_kept) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_sa_rekey) == -1 ||
	    get_u32(&c, &m->gr_diff.gd_sa_delete) == -1 ||
	    get_str(&c, m->gr_msg, sizeof(m->gr_msg)) == -1)
		return (-1);
	m->gr_status = (int32_t)st;
	return (end(&c));
}

size_t
gen_result_encode(const struct gen_result *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u64(&w, m->gr_gen);
	put_u32(&w, (uint32_t)m->gr_status);
	put_u32(&w, m->gr_diff.gd_added);
	put_u32(&w, m->gr_diff.gd_removed);
	put_u32(&w, m->gr_diff.gd_changed);
	put_u32(&w, m->gr_diff.gd_kept);
	put_u32(&w, m->gr_diff.gd_sa_kept);
	put_u32(&w, m->gr_diff.gd_sa_rekey);
	put_u32(&w, m->gr_diff.gd_sa_delete);
	put_str(&w, m->gr_msg, sizeof(m->gr_msg));
	return (wcur_done(&w));
}

int
gen_id_decode(const uint8_t *buf, size_t len, struct gen_id *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u64(&c, &m->gi_gen) == -1 || m->gi_gen == 0)
		return (-1);
	return (end(&c));
}

size_t
gen_id_encode(const struct gen_id *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u64(&w, m->gi_gen);
	return (wcur_done(&w));
}

int
ike_socket_decode(const uint8_t *buf, size_t len, struct ike_socket *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &m->is_af) == -1 || get_u32(&c, &m->is_port) == -1)
		return (-1);
	if ((m->is_af != AF_INET && m->is_af != AF_INET6) ||
	    m->is_port == 0 || m->is_port > 65535)
		return (-1);
	return (end(&c));
}

size_t
ike_socket_encode(const struct ike_socket *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, m->is_af);
	put_u32(&w, m->is_port);
	return (wcur_done(&w));
}

#define ICN(f, j, t)	{ j, t, offsetof(struct ike_counters, f) }
const struct ike_counter_name ike_counter_names[] = {
	ICN(ic_rx, "received", "ike messages received"),
	ICN(ic_tx, "sent", "ike messages sent"),
	ICN(ic_malformed, "malformed", "ike malformed messages"),
	ICN(ic_dropped, "dropped", "ike dropped messages"),
	ICN(ic_retransmits, "retransmits", "requests retransmitted"),
	ICN(ic_dup_answered, "duplicates_answered", "duplicates answered"),
	ICN(ic_no_proposal, "no_proposal_chosen", "no proposal chosen"),
	ICN(ic_auth_failed, "authentication_failed",
	    "authentication failed"),
	ICN(ic_ts_unacceptable, "ts_unacceptable", "ts unacceptable"),
	ICN(ic_ike_sas, "ike_sas", "ike sas established"),
	ICN(ic_child_sas, "child_sas", "child sas established"),
	ICN(ic_kernel_errors, "kernel_errors", "kernel errors"),
	ICN(ic_child_rekeys, "child_rekeys", "child sas rekeyed"),
	ICN(ic_ike_rekeys, "ike_rekeys", "ike sas rekeyed"),
	ICN(ic_rekey_collisions, "rekey_collisions",
	    "simultaneous rekeys"),
	ICN(ic_expired, "expired", "sas expired in the kernel"),
	ICN(ic_deletes_rx, "deletes_received", "deletes received"),
	ICN(ic_dpd_sent, "dpd_sent", "liveness checks sent"),
	ICN(ic_dead_peers, "dead_peers", "dead peers"),
	ICN(ic_reinitiated, "reinitiated", "active sas reinitiated"),
	ICN(ic_nat_detected, "nat_detected", "nat detected"),
	ICN(ic_nat_keepalives, "nat_keepalives", "nat keepalives sent"),
	ICN(ic_peer_moved, "peer_moved", "peer address changes"),
	ICN(ic_cookies_sent, "cookies_sent", "cookies asked for"),
	ICN(ic_cookies_verified, "cookies_verified", "cookies verified"),
	ICN(ic_cookies_refused, "cookies_refused", "cookies refused"),
	ICN(ic_cookies_answered, "cookies_answered",
	    "cookies answered as initiator"),
	ICN(ic_halfopen_refused, "halfopen_refused",
	    "half-open sas refused"),
	ICN(ic_frags_sent, "fragments_sent", "fragments sent"),
	ICN(ic_frags_received, "fragments_received", "fragments received"),
	ICN(ic_reasm_done, "reassembled", "messages reassembled"),
	ICN(ic_reasm_dropped, "reassembly_dropped", "reassemblies dropped"),
};
#undef ICN
const size_t ike_counter_nnames = nitems(ike_counter_names);

#define IKE_COUNTERS_N	(sizeof(struct ike_counters) / sizeof(uint64_t))
_Static_assert(nitems(ike_counter_names) == IKE_COUNTERS_N,
    "every IKE counter needs a name");

/* The i-th counter, in ike_counter_names[] order. */
uint64_t
ike_counter(const struct ike_counters *c, size_t i)
{
	uint64_t	 v;

	memcpy(&v, (const uint8_t *)c + ike_counter_names[i].icn_off,
	    sizeof(v));
	return (v);
}

int
ike_counters_decode(const uint8_t *buf, size_t len, struct ike_counters *m)
{
	struct cur	 c = { buf, len };
	uint64_t	 v[IKE_COUNTERS_N];
	size_t		 i;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < IKE_COUNTERS_N; i++)
		if (get_u64(&c, &v[i]) == -1)
			return (-1);
	if (end(&c) == -1)
		return (-1);
	memcpy(m, v, sizeof(*m));
	return (0);
}

size_t
ike_counters_encode(const struct ike_counters *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;
	uint64_t	 v[IKE_COUNTERS_N];
	size_t		 i;

	memcpy(v, m, sizeof(v));
	wcur_init(&w, buf, size);
	for (i = 0; i < IKE_COUNTERS_N; i++)
		put_u64(&w, v[i]);
	return (wcur_done(&w));
}

int
ctl_lookup_decode(const uint8_t *buf, size_t len, struct ctl_lookup *m)
{
	struct cur	 c = { buf, len };

	memset(m, 0, sizeof(*m));
	if (get_u32(&c, &m->cl_af) == -1 ||
	    (m->cl_af != AF_INET && m->cl_af != AF_INET6) ||
	    get_bytes(&c, m->cl_src, 16) == -1 ||
	    get_bytes(&c, m->cl_dst, 16) == -1)
		return (-1);
	return (end(&c));
}

size_t
ctl_lookup_encode(const struct ctl_lookup *m, uint8_t *buf, size_t size)
{
	struct wcur	 w;

	wcur_init(&w, buf, size);
	put_u32(&w, m->cl_af);
	put_bytes(&w, m->cl_src, 16);
	put_bytes(&w, m->cl_dst, 16);
	return (wcur_done(&w));
}
