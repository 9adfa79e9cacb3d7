/*
 * Re-encode a parsed message with the builders of ikerund/pld.c, payload
 * by payload in the order met: what the parser decodes, the builder must
 * be able to write back (pldtest compares with real messages, fuzz_ike
 * checks that decode(encode(decode(x))) encodes to the same bytes).
 * Unknown payloads and selectors are dropped, SK/SKF bodies are copied.
 */
#ifndef REBUILD_H
#define REBUILD_H

#include "pld.h"

struct rebuild {
	size_t		 rb_i;		/* next index in m_order */
	size_t		 rb_notify;
	size_t		 rb_delete;
	size_t		 rb_vendor;
	size_t		 rb_cert;
	size_t		 rb_certreq;
};

/* rebuild.c */
ssize_t	 rebuild_outer(const struct ike_msg *, struct rebuild *,
	    struct ibuf *);
ssize_t	 rebuild_inner(const struct ike_msg *, struct rebuild *,
	    struct ibuf *, size_t *);

#endif /* REBUILD_H */
