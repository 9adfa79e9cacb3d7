/* Re-encoding of parsed messages: see rebuild.h. */
#include <sys/types.h>

#include "rebuild.h"

/* Payloads from m_order[rb_i] to the end, or through SK/SKF. */
static int
rebuild_chain(const struct ike_msg *m, struct rebuild *rb,
    struct pld_builder *pb)
{
	struct pld_tsel		 sel[PLD_TS_MAX];
	const struct pld_ts	*ts;
	const struct pld_id	*id;
	const struct pld_data	*v;
	const struct pld_notify	*n;
	const struct pld_delete	*d;
	const struct pld_cert	*c;
	ssize_t			 off;
	size_t			 i, nsel;
	uint8_t			 type;
	int			 rv = 0;

	while (rv == 0 && rb->rb_i < m->m_npayloads) {
		type = m->m_order[rb->rb_i++];
		switch (type) {
		case IKEV2_PLD_SA:
			rv = pld_add_sa(pb, m->m_sa.sa_props,
			    m->m_sa.sa_nprops);
			break;
		case IKEV2_PLD_KE:
			rv = pld_add_ke(pb, m->m_ke.ke_group,
			    m->m_ke.ke_data.d_ptr, m->m_ke.ke_data.d_len);
			break;
		case IKEV2_PLD_IDI:
		case IKEV2_PLD_IDR:
			id = type == IKEV2_PLD_IDI ? &m->m_idi : &m->m_idr;
			rv = pld_add_id(pb, type, id->id_type,
			    id->id_data.d_ptr, id->id_data.d_len);
			break;
		case IKEV2_PLD_CERT:
			c = &m->m_cert[rb->rb_cert++];
			rv = pld_add_cert(pb, type, c->cert_enc,
			    c->cert_data.d_ptr, c->cert_data.d_len);
			break;
		case IKEV2_PLD_CERTREQ:
			c = &m->m_certreq[rb->rb_certreq++];
			rv = pld_add_cert(pb, type, c->cert_enc,
			    c->cert_data.d_ptr, c->cert_data.d_len);
			break;
		case IKEV2_PLD_AUTH:
			rv = pld_add_auth(pb, m->m_auth.auth_method,
			    m->m_auth.auth_data.d_ptr,
			    m->m_auth.auth_data.d_len);
			break;
		case IKEV2_PLD_NONCE:
			rv = pld_add_nonce(pb, m->m_nonce.d_ptr,
			    m->m_nonce.d_len);
			break;
		case IKEV2_PLD_NOTIFY:
			n = &m->m_notify[rb->rb_notify++];
			rv = pld_add_notify(pb, n->n_proto, n->n_spisize,
			    n->n_spi, n->n_type, n->n_data.d_ptr,
			    n->n_data.d_len);
			break;
		case IKEV2_PLD_DELETE:
			d = &m->m_delete[rb->rb_delete++];
			rv = pld_add_delete(pb, d->d_proto, d->d_spisize,
			    d->d_spis, d->d_nspis);
			break;
		case IKEV2_PLD_VENDOR:
			v = &m->m_vendor[rb->rb_vendor++];
			rv = pld_add_vendor(pb, v->d_ptr, v->d_len);
			break;
		case IKEV2_PLD_TSI:
		case IKEV2_PLD_TSR:
			ts = type == IKEV2_PLD_TSI ? &m->m_tsi : &m->m_tsr;
			for (i = nsel = 0; i < ts->ts_count; i++)
				if (ts->ts_sel[i].ts_type ==
				    IKEV2_TS_IPV4_ADDR_RANGE ||
				    ts->ts_sel[i].ts_type ==
				    IKEV2_TS_IPV6_ADDR_RANGE)
					sel[nsel++] = ts->ts_sel[i];
			rv = pld_add_ts(pb, type, sel, nsel);
			break;
		case IKEV2_PLD_CP:
			rv = pld_add_cp(pb, m->m_cp.cp_type, m->m_cp.cp_attrs,
			    m->m_cp.cp_nattrs);
			break;
		case IKEV2_PLD_EAP:
			rv = pld_add_eap(pb, m->m_eap.d_ptr, m->m_eap.d_len);
			break;
		case IKEV2_PLD_SK:
			if ((off = pld_sk_begin(pb, 0)) == -1 ||
			    ibuf_set_u8(pb->pb_buf, pb->pb_sk,
			    m->m_sk.sk_first) == -1 ||
			    ibuf_add(pb->pb_buf, m->m_sk.sk_data.d_ptr,
			    m->m_sk.sk_data.d_len) == -1)
				return (-1);
			return (0);
		case IKEV2_PLD_SKF:
			if ((off = pld_skf_begin(pb, m->m_sk.sk_first,
			    m->m_sk.sk_fragnum, m->m_sk.sk_fragtotal, 0)) ==
			    -1 ||
			    ibuf_add(pb->pb_buf, m->m_sk.sk_data.d_ptr,
			    m->m_sk.sk_data.d_len) == -1)
				return (-1);
			return (0);
		default:
			break;		/* unknown: skipped */
		}
	}
	return (rv);
}

/* Header and payloads through SK/SKF into b. Returns the length or -1. */
ssize_t
rebuild_outer(const struct ike_msg *m, struct rebuild *rb, struct ibuf *b)
{
	struct pld_builder	 pb;

	if (pld_build_init(&pb, b, &m->m_hdr) == -1 ||
	    rebuild_chain(m, rb, &pb) == -1)
		return (-1);
	return (pld_build_finish(&pb));
}

/*
 * The payloads that follow (the decrypted contents of an SK payload) as
 * the inner payloads of a new SK payload; *inner is where they start.
 * Returns the length of the whole message, or -1.
 */
ssize_t
rebuild_inner(const struct ike_msg *m, struct rebuild *rb, struct ibuf *b,
    size_t *inner)
{
	struct pld_builder	 pb;
	ssize_t			 off;

	if (pld_build_init(&pb, b, &m->m_hdr) == -1 ||
	    (off = pld_sk_begin(&pb, 0)) == -1 ||
	    rebuild_chain(m, rb, &pb) == -1)
		return (-1);
	*inner = off;
	return (pld_build_finish(&pb));
}
