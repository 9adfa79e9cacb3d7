#!/bin/sh
# Blob benchmark ("make bench"): generate an iked.conf of N policies
# (default 100000; documentation addresses only), compile it, and time
# loading and verifying the blob (blob_decode: digest, structure and
# every semantic check) against a plain read of the same file's bytes.
# Prints milliseconds and ratios, and the blob's size against the
# config text's.  Targets: decode <= 5x read, blob smaller than text.
# Prints figures only; never fails on time.
#
# Environment: BUILD (build directory, default $TOP/build), TOP,
# BLOB_BENCH_POLICIES (N), BLOB_BENCH_REPS (repetitions, default 10).

set -eu
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
N=${BLOB_BENCH_POLICIES:-100000}
REPS=${BLOB_BENCH_REPS:-10}

for p in "$BUILD/ikecc" "$BUILD/blobbench"; do
	if [ ! -x "$p" ]; then
		echo "blob-bench: $p not built (make bench builds it)" >&2
		exit 1
	fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
umask 077
conf=$work/bench.conf
blob=$work/policy.bin

# A mix of what gateways carry: site-to-site with PSK and written
# proposals, IPv6 with certificates, several flows with ports, and short
# one-line rules on defaults.  Names, PSKs and IPv6 prefixes are unique.
awk -v n="$N" 'BEGIN {
	for (i = 1; i <= n; i++) {
		a = (i % 254) + 1
		b = int(i / 254) % 254 + 1
		k = i % 5
		name = sprintf("site-%06d", i)
		if (k == 0 || k == 1) {
			printf("ikev2 \"%s\" active esp \\\n", name)
			printf("\tfrom 192.0.2.%d to 198.51.100.%d/32 \\\n",
			    a, b)
			printf("\tlocal 203.0.113.1 peer 203.0.113.%d \\\n", a)
			printf("\tikesa enc aes-256-gcm prf hmac-sha2-256 " \
			    "group curve25519 \\\n")
			printf("\tchildsa enc aes-256-gcm \\\n")
			printf("\tsrcid gw.example.com dstid %s.example.com " \
			    "\\\n", name)
			printf("\tlifetime 1h \\\n")
			printf("\tpsk \"%s-%08x-key\"\n", name, i * 2654435761 \
			    % 4294967296)
		} else if (k == 2) {
			printf("ikev2 \"%s\" passive esp inet6 \\\n", name)
			printf("\tfrom 2001:db8:%x:%x::/64 to " \
			    "2001:db8:ffff:%x::/64 \\\n", int(i / 65536) + 1,
			    i % 65536, i % 65536)
			printf("\tlocal 2001:db8::1 peer 2001:db8::%x \\\n",
			    i % 65536 + 2)
			printf("\tikesa enc aes-128-gcm prf hmac-sha2-256 " \
			    "group ecp256 \\\n")
			printf("\tsrcid gw.example.com dstid %s.example.com\n",
			    name)
		} else if (k == 3) {
			printf("ikev2 \"%s\" esp proto tcp \\\n", name)
			printf("\tfrom 192.0.2.%d to 198.51.100.%d port 443 " \
			    "\\\n", a, b)
			printf("\tfrom 192.0.2.%d to 198.51.100.%d port 22 " \
			    "\\\n", a, b)
			printf("\tpeer 203.0.113.%d \\\n", b)
			printf("\tpsk \"%s-%08x-key\"\n", name, i * 40503 % \
			    4294967296)
		} else {
			printf("ikev2 \"%s\" esp from 192.0.2.%d to " \
			    "198.51.100.%d peer 203.0.113.%d psk " \
			    "\"%s-secret\"\n", name, a, b, a, name)
		}
	}
}' > "$conf"

now() {
	date +%s.%N
}

echo "config: $N policies, $(wc -c < "$conf" | tr -d ' ') bytes"
t0=$(now)
if ! "$BUILD/ikecc" -f "$conf" -o "$blob" 2> "$work/warn"; then
	sed 's/^/  /' "$work/warn" | head -n 20 >&2
	echo "blob-bench: the generated config does not compile" >&2
	exit 1
fi
t1=$(now)
textsz=$(wc -c < "$conf" | tr -d ' ')
blobsz=$(wc -c < "$blob" | tr -d ' ')
awk -v t0="$t0" -v t1="$t1" -v ts="$textsz" -v bs="$blobsz" 'BEGIN {
	printf("compile (ikecc -o): %.2f s\n", t1 - t0)
	printf("size: config text %d bytes, blob %d bytes: blob/text " \
	    "%.2f (target < 1)\n", ts, bs, bs / ts)
}'
"$BUILD/blobbench" -n "$REPS" "$blob"
