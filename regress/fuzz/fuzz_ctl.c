/*
 * libFuzzer target: the decoders of every control and inter-process
 * message (common/msg.c).  The first byte picks the decoder; whatever
 * decodes must encode back to the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define ROUNDTRIP(type, dec, enc) do {					\
	type	 v;							\
	uint8_t	 out[sizeof(type) + 64];				\
	size_t	 n;							\
	if (dec(data, size, &v) == 0) {					\
		n = enc(&v, out, sizeof(out));				\
		if (n != size || memcmp(out, data, size) != 0)		\
			abort();					\
	}								\
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t len)
{
	struct msg_hdr	 h;
	const uint8_t	*data = buf + 1;
	size_t		 size;

	if (len < 1)
		return (0);
	size = len - 1;
	switch (buf[0] % 9) {
	case 0:
		(void)msg_hdr_parse(data, size, &h);
		break;
	case 1:
		ROUNDTRIP(struct ctl_load, ctl_load_decode, ctl_load_encode);
		break;
	case 2:
		ROUNDTRIP(struct ctl_show, ctl_show_decode, ctl_show_encode);
		break;
	case 3:
		ROUNDTRIP(struct ctl_reset, ctl_reset_decode,
		    ctl_reset_encode);
		break;
	case 4:
		ROUNDTRIP(struct ctl_mode, ctl_mode_decode, ctl_mode_encode);
		break;
	case 5:
		ROUNDTRIP(struct ctl_end, ctl_end_decode, ctl_end_encode);
		break;
	case 6:
		ROUNDTRIP(struct gen_prepare, gen_prepare_decode,
		    gen_prepare_encode);
		break;
	case 7:
		ROUNDTRIP(struct gen_result, gen_result_decode,
		    gen_result_encode);
		break;
	case 8:
		ROUNDTRIP(struct gen_id, gen_id_decode, gen_id_encode);
		break;
	}
	return (0);
}
