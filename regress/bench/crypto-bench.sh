#!/bin/sh
# The crypto one responder spends per IKE SA (PSK, X25519, AES-GCM-16-256,
# PRF HMAC-SHA2-256): its X25519 key pair and shared secret, SKEYSEED with
# the IKE and first CHILD SA keys, one SK payload decrypted and one
# encrypted (IKE_AUTH request and response), the initiator's PSK AUTH
# checked and its own made.  CPU microseconds per step, measured by
# "cryptotest bench", beside "openssl speed ecdhx25519" run just before
# as the machine's reference: one X25519 operation, and our total in
# such operations.  Prints figures only: nothing here fails on time.
#
# Environment: BUILD (build directory, default ./build), TOP (repository),
# CRYPTO_BENCH_N (iterations of each step, default 3000).
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
ct=$BUILD/cryptotest
n=${CRYPTO_BENCH_N:-3000}
[ -x "$ct" ] || { echo "bench: $ct not built" >&2; exit 1; }

# "253 bits ecdh (X25519)   0.0000s  37593.5": operations per second
ops=$(openssl speed -seconds 1 ecdhx25519 2>/dev/null |
    awk '/X25519/ && $NF ~ /^[0-9.]+$/ { v = $NF } END { print v }')
out=$("$ct" bench "$n")
get() { printf '%s\n' "$out" | awk -v k="$1" '$1 == k { print $2 }'; }

echo "crypto per IKE SA, responder, PSK X25519 AES-GCM-16-256 PRF-SHA2-256"
printf '  %-36s %8s\n' "step" "CPU us"
printf '  %-36s %8.2f\n' "X25519 key pair + shared secret" \
    "$(get x25519_keygen_derive_us)"
printf '  %-36s %8.2f\n' "SKEYSEED, IKE SA and CHILD SA keys" \
    "$(get key_derivation_us)"
printf '  %-36s %8.2f\n' "SK payload decrypt + encrypt" \
    "$(get sk_decrypt_encrypt_us)"
printf '  %-36s %8.2f\n' "PSK AUTH verify + make" "$(get psk_auth_us)"
printf '  %-36s %8.2f\n' "total" "$(get total_us)"
if [ -n "$ops" ]; then
	awk -v ops="$ops" -v total="$(get total_us)" \
	    -v dh="$(get x25519_keygen_derive_us)" 'BEGIN {
		op = 1e6 / ops
		printf "  %-36s %8.2f  (%.0f op/s)\n",
		    "openssl speed: one X25519 derive", op, ops
		printf "  %-36s %8.2f\n", "ours: X25519 pair+secret / op", \
		    dh / op
		printf "  %-36s %8.2f\n", "ours: total / X25519 op", total / op
		printf "  %-36s %8.0f\n", "ours: IKE SAs/s at this cost, 1 CPU",
		    1e6 / total
	}'
else
	echo "  openssl speed ecdhx25519: no figure"
fi
