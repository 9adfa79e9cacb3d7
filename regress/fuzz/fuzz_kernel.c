/*
 * libFuzzer target: what the parent decodes from the ikev2 process
 * before it touches the kernel (ikerund/kernel_msg.c), and the parser of
 * the kernel's notifications (ikerund/kernel.c).  The first byte picks
 * the decoder.  Whatever decodes must encode back to the same bytes and
 * go through validation without a fault; a valid SA must also name a
 * known algorithm with keys of its exact size.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ROUNDTRIP(type, dec, enc, check) do {				\
	type	 v;							\
	uint8_t	 out[KERNEL_PAYLOAD_MAX];				\
	size_t	 n;							\
	if (dec(data, size, &v) == 0) {					\
		n = enc(&v, out, sizeof(out));				\
		if (n != size || memcmp(out, data, size) != 0)		\
			abort();					\
		check;							\
	}								\
} while (0)

static void
check_sa(const struct kernel_sa *sa)
{
	const struct kernel_alg	*enc, *auth;
	char			 err[256];

	if (kernel_sa_validate(sa, err, sizeof(err)) == -1)
		return;
	enc = kernel_alg_enc(sa->ksa_enc);
	auth = kernel_alg_auth(sa->ksa_auth);
	if (!kernel_reqid_ours(sa->ksa_reqid) || sa->ksa_spi == 0 ||
	    sa->ksa_src.ka_af != sa->ksa_dst.ka_af)
		abort();
	if (enc != NULL && sa->ksa_enckeylen != sa->ksa_encbits / 8 +
	    enc->kal_saltlen)
		abort();
	if (auth != NULL && sa->ksa_authkeylen != auth->kal_keylen)
		abort();
	if (enc == NULL && auth == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	union {
		uint32_t	 align;
		uint8_t		 b[4096];
	}			 nl;
	struct kernel_event	 ev;
	struct kernel_policy_id	 pid;
	struct kernel_ts	 ts[2];
	const uint8_t		*data = buf + 1;
	size_t			 size;
	char			 err[256];

	if (len < 1)
		return (0);
	size = len - 1;
	switch (buf[0] % 10) {
	case 0:
		ROUNDTRIP(struct kernel_sa, kernel_sa_decode, kernel_sa_encode,
		    check_sa(&v));
		break;
	case 1:
		ROUNDTRIP(struct kernel_said, kernel_said_decode,
		    kernel_said_encode,
		    (void)kernel_said_validate(&v, err, sizeof(err)));
		break;
	case 2:
		ROUNDTRIP(struct kernel_policy, kernel_policy_decode,
		    kernel_policy_encode,
		    (void)kernel_policy_validate(&v, err, sizeof(err)));
		break;
	case 3:
		ROUNDTRIP(struct kernel_policy_id, kernel_policy_id_decode,
		    kernel_policy_id_encode,
		    (void)kernel_policy_id_validate(&v, err, sizeof(err)));
		break;
	case 4:
		ROUNDTRIP(struct kernel_result, kernel_result_decode,
		    kernel_result_encode, (void)0);
		break;
	case 5:
		ROUNDTRIP(struct kernel_sa_stats, kernel_sa_stats_decode,
		    kernel_sa_stats_encode, (void)0);
		break;
	case 6:
		ROUNDTRIP(struct kernel_event, kernel_event_decode,
		    kernel_event_encode, (void)0);
		break;
	case 7:
		(void)kernel_flush_decode(data, size);
		break;
	case 8:
		/* a notification, aligned as the kernel's are */
		if (size > sizeof(nl.b))
			break;
		memcpy(nl.b, data, size);
		if (kernel_event_parse(nl.b, size, &ev) == 1) {
			uint8_t	 out[KERNEL_PAYLOAD_MAX];
			size_t	 n;

			/* what the parent forwards must decode again */
			n = kernel_event_encode(&ev, out, sizeof(out));
			if (n == 0 || kernel_event_decode(out, n, &ev) == -1)
				abort();
		}
		break;
	case 9:
		if (size != sizeof(ts))
			break;
		memcpy(ts, data, sizeof(ts));
		memset(&pid, 0, sizeof(pid));
		if (kernel_sel_from_ts(&ts[0], &ts[1], ts[0].kt_sport & 0xff,
		    &pid.kpi_sel) == 0 &&
		    kernel_policy_id_validate(&pid, err, sizeof(err)) == -1)
			abort();
		break;
	}
	return (0);
}
