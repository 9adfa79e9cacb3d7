/*
 * ikeflood: a flood of IKE_SA_INIT requests from many source addresses,
 * for regress/interop (the "flood" scenario).  Each request is a valid
 * message built by ikerund's own builder (ikerund/pld.c): one proposal
 * AES-GCM-16-128, PRF-HMAC-SHA2-256, Curve25519, with a random X25519
 * public value, nonce and SPI.  It never answers: COOKIE notifies and
 * responses go unread, as from a spoofing attacker.
 *
 *	ikeflood -s FIRST -n ADDRS -c COUNT [-r PPS] DST
 *
 * Sources are FIRST and the ADDRS - 1 IPv4 addresses after it (bound
 * with IP_FREEBIND and IP_TRANSPARENT, which needs CAP_NET_ADMIN: they
 * need not be configured), sending in turn; DST
 * is the responder (port 500).  Use documentation addresses only.
 * Prints how many requests went out.
 */
#include <sys/socket.h>
#include <sys/types.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "pld.h"
#include "util.h"

#define FLOOD_ADDRS_MAX	1024

static __dead void
usage(void)
{
	fprintf(stderr, "usage: ikeflood -c count -n addrs [-r pps] "
	    "-s first destination\n");
	exit(1);
}

static void
rnd(uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)random();
}

static ssize_t
request(struct ibuf *b)
{
	struct pld_builder	 pb;
	struct pld_prop		 pp;
	struct ike_hdr		 h;
	uint8_t			 ke[32], nonce[32], spi[8];
	size_t			 i;

	rnd(ke, sizeof(ke));
	rnd(nonce, sizeof(nonce));
	rnd(spi, sizeof(spi));
	memset(&h, 0, sizeof(h));
	for (i = 0; i < 8; i++)
		h.h_ispi = h.h_ispi << 8 | spi[i];
	h.h_version = IKE_VERSION;
	h.h_exchange = IKEV2_EXCH_IKE_SA_INIT;
	h.h_flags = IKEV2_FLAG_I;
	memset(&pp, 0, sizeof(pp));
	pp.pp_num = 1;
	pp.pp_proto = PROTO_IKE;
	pp.pp_xforms[pp.pp_nxforms++] = (struct pld_xform){ XF_ENCR, 0,
	    IKEV2_ENCR_AES_GCM_16, 128 };
	pp.pp_xforms[pp.pp_nxforms++] = (struct pld_xform){ XF_PRF, 0,
	    IKEV2_PRF_HMAC_SHA2_256, 0 };
	pp.pp_xforms[pp.pp_nxforms++] = (struct pld_xform){ XF_DH, 0,
	    IKEV2_DH_CURVE25519, 0 };
	pld_build_init(&pb, b, &h);
	pld_add_sa(&pb, &pp, 1);
	pld_add_ke(&pb, IKEV2_DH_CURVE25519, ke, sizeof(ke));
	pld_add_nonce(&pb, nonce, sizeof(nonce));
	return (pld_build_finish(&pb));
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 src, dst;
	struct timespec		 gap = { 0, 0 };
	struct ibuf		*b;
	const char		*errstr;
	long long		 count = 0, naddrs = 0, pps = 0, i, sent = 0;
	int			 ch, one = 1, *fds;
	ssize_t			 len;
	uint32_t		 first = 0;

	while ((ch = getopt(argc, argv, "c:n:r:s:")) != -1) {
		switch (ch) {
		case 'c':
			count = strtonum(optarg, 1, 100000000, &errstr);
			if (errstr != NULL)
				errx(1, "-c %s: %s", optarg, errstr);
			break;
		case 'n':
			naddrs = strtonum(optarg, 1, FLOOD_ADDRS_MAX, &errstr);
			if (errstr != NULL)
				errx(1, "-n %s: %s", optarg, errstr);
			break;
		case 'r':
			pps = strtonum(optarg, 1, 10000000, &errstr);
			if (errstr != NULL)
				errx(1, "-r %s: %s", optarg, errstr);
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &src.sin_addr) != 1)
				errx(1, "-s %s: not an IPv4 address", optarg);
			first = ntohl(src.sin_addr.s_addr);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || count == 0 || naddrs == 0 || first == 0)
		usage();
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons(500);
	if (inet_pton(AF_INET, argv[0], &dst.sin_addr) != 1)
		errx(1, "%s: not an IPv4 address", argv[0]);
	if (pps > 0)
		gap.tv_nsec = 1000000000L / pps;
	srandom(getpid() ^ time(NULL));

	if ((fds = calloc(naddrs, sizeof(*fds))) == NULL)
		err(1, "calloc");
	for (i = 0; i < naddrs; i++) {
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(first + i);
		if ((fds[i] = socket(AF_INET, SOCK_DGRAM, 0)) == -1)
			err(1, "socket");
		/* an address not configured: bind and send from it */
		if (setsockopt(fds[i], IPPROTO_IP, IP_FREEBIND, &one,
		    sizeof(one)) == -1)
			err(1, "IP_FREEBIND");
		if (setsockopt(fds[i], IPPROTO_IP, IP_TRANSPARENT, &one,
		    sizeof(one)) == -1)
			err(1, "IP_TRANSPARENT");
		if (bind(fds[i], (struct sockaddr *)&src, sizeof(src)) == -1)
			err(1, "bind %s", inet_ntoa(src.sin_addr));
	}
	if ((b = ibuf_new(0)) == NULL)
		err(1, "ibuf_new");
	for (i = 0; i < count; i++) {
		if ((len = request(b)) == -1)
			errx(1, "cannot build a request");
		if (sendto(fds[i % naddrs], ibuf_data(b), len, 0,
		    (struct sockaddr *)&dst, sizeof(dst)) == len)
			sent++;
		else if (errno != ENOBUFS && errno != EAGAIN)
			warn("sendto");
		ibuf_free(b);
		if ((b = ibuf_new(0)) == NULL)
			err(1, "ibuf_new");
		if (pps > 0)
			nanosleep(&gap, NULL);
	}
	ibuf_free(b);
	printf("%lld requests sent from %lld addresses\n", sent, naddrs);
	return (0);
}
