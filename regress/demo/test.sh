#!/bin/sh
# The tunnel of "make demo" (scripts/demo-tunnel.sh): examples/gateway-psk.conf
# compiled by ikecc, ikerund initiating to strongSwan in a UML guest, a
# ping through the tunnel, nothing left behind.  The example's childsa
# names a group (PFS for rekeys), which IKE_AUTH must leave out.
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT
if TOP=$TOP BUILD=$BUILD bash "$TOP/scripts/demo-tunnel.sh" >"$out" 2>&1; then
	echo "ok demo/tunnel-ping"
else
	echo "not ok demo/tunnel-ping $(tail -n 5 "$out" | tr '\n' '|')"
fi
grep -q "aead rfc4106(gcm(aes))" "$out" && echo "ok demo/aes-gcm-in-kernel" ||
    echo "not ok demo/aes-gcm-in-kernel"
grep -q "SAs left in the kernel on left: 0" "$out" && echo "ok demo/clean" ||
    echo "not ok demo/clean"
exit 0
