#!/bin/sh
# The IKEv2 message layer (ikerund/pld.c), through build/pldtest:
#   ike/NAME		unit tests of the buffer, builders and parser
#   ike/decode/MSG	a real strongSwan message (MSG.hex, with its
#			decrypted SK contents MSG.inner.hex if present)
#			decodes to the fields in MSG.expect
#   ike/roundtrip/MSG	the builders re-encode it byte for byte
#   ike/mutate/MSG	every truncation and every one-byte change fails
#			cleanly or parses, and re-encodes to a fixed point
#   ike/tshark/N	tshark's dissector decodes what the builders write
#			with no malformed-packet or error warning
#   ike/frag/NAME	build/fragtest: RFC 7383 fragments sealed, parsed,
#			authenticated and reassembled; reassembly bounds
#   ike/cookie/NAME	build/fragtest: RFC 7296 2.6 cookies and admission
# Usage: test.sh [-u]; -u rewrites the .expect files from the current
# decoder (review the diff before committing it).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
P=$BUILD/pldtest
D=$TOP/regress/ike
update=0
[ "${1:-}" = "-u" ] && update=1

ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+ $2}"; }

if [ ! -x "$P" ]; then
	nok ike/pldtest "no $P (make tests)"
	exit 0
fi

T=$(mktemp -d /tmp/ike-test.XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

"$P" unit || true
# fragments (RFC 7383) and cookies (RFC 7296 2.6): ike/frag/*, ike/cookie/*
if [ -x "$BUILD/fragtest" ]; then
	"$BUILD/fragtest" || true
else
	nok ike/fragtest "no $BUILD/fragtest (make tests)"
fi

for f in "$D"/*.hex; do
	n=${f##*/}; n=${n%.hex}
	case "$n" in *.inner) continue ;; esac
	inner=
	[ -f "$D/$n.inner.hex" ] && inner=$D/$n.inner.hex

	"$P" dump "$f" $inner >"$T/$n.out" 2>&1
	if [ $update = 1 ]; then
		cp "$T/$n.out" "$D/$n.expect"
	fi
	if [ ! -f "$D/$n.expect" ]; then
		nok "ike/decode/$n" "no $n.expect (test.sh -u)"
	elif cmp -s "$D/$n.expect" "$T/$n.out"; then
		ok "ike/decode/$n"
	else
		nok "ike/decode/$n" "differs from $n.expect:"
		diff -u "$D/$n.expect" "$T/$n.out" | sed 's/^/# /'
	fi

	for c in roundtrip mutate; do
		"$P" $c "$f" $inner >"$T/$n.$c" 2>&1
		if [ -s "$T/$n.$c" ] && ! grep -qv '^ok ' "$T/$n.$c"; then
			ok "ike/$c/$n"
		else
			nok "ike/$c/$n" "$(grep -v '^ok ' "$T/$n.$c" | head -1)"
		fi
	done
done

# What the builders write, as UDP datagrams to port 500, for tshark.
if command -v tshark >/dev/null 2>&1 && command -v text2pcap >/dev/null 2>&1
then
	"$P" build "$D/x509/cert.hex" >"$T/build.hex"
	i=0
	while read -r hex; do
		i=$((i + 1))
		echo "$hex" | sed 's/../& /g' | fold -w 48 |
		    awk '{ printf "%06x %s\n", (NR - 1) * 16, $0 }' >"$T/$i.txt"
		text2pcap -q -u 500,500 "$T/$i.txt" "$T/$i.pcap" 2>/dev/null
		tshark -r "$T/$i.pcap" -V >"$T/$i.dis" 2>/dev/null
		if ! grep -q 'Internet Security Association' "$T/$i.dis"; then
			nok "ike/tshark/$i" "not dissected"
		elif grep -qi 'malformed\|Expert Info (Error\|Expert Info (Warn' \
		    "$T/$i.dis"; then
			nok "ike/tshark/$i" "$(grep -i -m1 \
			    'malformed\|Expert Info' "$T/$i.dis")"
		else
			ok "ike/tshark/$i"
		fi
	done <"$T/build.hex"
	# every payload kind was there and named as we name it
	for want in 'Security Association (33)' 'Key Exchange (34)' \
	    'Nonce (40)' 'NAT_DETECTION_SOURCE_IP' 'SIGNATURE_HASH_ALGORITHMS' \
	    'Vendor ID (43)' 'Certificate Request (38)' \
	    'Identification - Initiator (35)' 'ID_FQDN: left.example' \
	    'Identification - Responder (36)' 'Certificate (37)' \
	    'Authentication (39)' 'Configuration (47)' \
	    'Starting Addr: 203.0.113.0' 'Ending Addr: 2001:db8:ffff:ffff' \
	    'REKEY_SA' 'USE_TRANSPORT_MODE' 'Delete (42)' \
	    'Extensible Authentication (48)' 'Key Length: 256' \
	    'Encrypted and Authenticated (46)'; do
		if cat "$T"/*.dis | grep -qF "$want"; then
			ok "ike/tshark/has-$(echo "$want" | tr -c 'A-Za-z0-9\n' - |
			    tr 'A-Z' 'a-z' | sed 's/--*/-/g; s/-$//')"
		else
			nok "ike/tshark/has $want"
		fi
	done
else
	ok "ike/tshark # skip: no tshark or text2pcap"
fi
exit 0
