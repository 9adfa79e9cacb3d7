/*
 * libFuzzer target for the IKEv2 message layer (ikerund/pld.c).  Every
 * input is tried twice: as a whole message (pld_parse), and as the
 * decrypted contents of an SK payload whose first payload type is the
 * first byte (pld_parse_inner).  Either must fail with a message or
 * parse; what parses must re-encode with the builders to bytes that
 * parse and re-encode to themselves (the SK/SKF body of a message is
 * also tried as inner payloads, so mutations of real messages reach
 * the inner decoders).
 */
#include <sys/types.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pld.h"
#include "rebuild.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct ike_msg	 m1, m2;

static void
check(int rv, const char *err)
{
	if (rv != PLD_OK && rv != PLD_EMALFORMED && rv != PLD_ECRITICAL &&
	    rv != PLD_EVERSION)
		abort();
	if (rv != PLD_OK && err[0] == '\0')
		abort();		/* every failure says why */
}

/* encode(decode(x)) is a fixed point of encode . decode */
static void
fixed_point(int inner)
{
	struct rebuild	 rb;
	struct ibuf	*b1, *b2;
	size_t		 o1 = 0, o2 = 0;
	ssize_t		 n1, n2;
	char		 err[256], line[2048];

	(void)pld_describe(&m1, line, sizeof(line));
	b1 = ibuf_new(0);
	b2 = ibuf_new(0);
	if (b1 == NULL || b2 == NULL)
		abort();
	memset(&rb, 0, sizeof(rb));
	n1 = inner ? rebuild_inner(&m1, &rb, b1, &o1) :
	    rebuild_outer(&m1, &rb, b1);
	if (n1 == -1)
		abort();
	if (inner)
		memset(&m2, 0, sizeof(m2));
	if ((inner ? pld_parse_inner(ibuf_data(b1)[o1 - IKE_GEN_LEN],
	    ibuf_data(b1) + o1, n1 - o1, &m2, err, sizeof(err)) :
	    pld_parse(ibuf_data(b1), n1, &m2, err, sizeof(err))) != PLD_OK)
		abort();
	memset(&rb, 0, sizeof(rb));
	n2 = inner ? rebuild_inner(&m2, &rb, b2, &o2) :
	    rebuild_outer(&m2, &rb, b2);
	if (n2 != n1 || memcmp(ibuf_data(b1), ibuf_data(b2), n1) != 0)
		abort();
	ibuf_free(b1);
	ibuf_free(b2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pld_data	 sk;
	uint8_t		 first;
	char		 err[256];
	int		 rv;

	err[0] = '\0';
	rv = pld_parse(data, size, &m1, err, sizeof(err));
	check(rv, err);
	if (rv == PLD_OK && size <= IBUF_MAX) {
		sk = m1.m_sk.sk_data;
		first = m1.m_sk.sk_first;
		fixed_point(0);
		if (PLD_SEEN(&m1, IKEV2_PLD_SK) ||
		    PLD_SEEN(&m1, IKEV2_PLD_SKF)) {
			memset(&m1, 0, sizeof(m1));
			err[0] = '\0';
			rv = pld_parse_inner(first, sk.d_ptr, sk.d_len, &m1,
			    err, sizeof(err));
			check(rv, err);
			if (rv == PLD_OK)
				fixed_point(1);
		}
	}

	if (size < 1)
		return (0);
	memset(&m1, 0, sizeof(m1));
	err[0] = '\0';
	rv = pld_parse_inner(data[0], data + 1, size - 1, &m1, err,
	    sizeof(err));
	check(rv, err);
	if (rv == PLD_OK && size <= IBUF_MAX / 2)
		fixed_point(1);
	return (0);
}
