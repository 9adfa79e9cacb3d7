#!/bin/bash
# The UML harness itself: boot the guest once (regress/uml/uml-run.sh)
# and inside it prove what the interop tests rely on:
#   uml/...     the guest booted and loaded its IPsec modules
#   esp/...     ESP SAs with AES-GCM (AEAD) and with AES-CBC + HMAC-SHA2-256
#               (128-bit truncation) are accepted by XFRM; PF_KEY exists
#   swan/...    strongSwan to strongSwan, PSK, AES-GCM: a tunnel between
#               the namespaces' LANs, a ping through it, ESP in the kernel
#               counters and on the wire (dumpcap, tshark), none in clear
#   ikerund/... ikerund from the build directory in a namespace with a
#               compiled example: show stats -j, a load, privilege
#               separation (ikev2 as _ikerund, chrooted) seen from /proc
# The reference for the project's interop tests is the swan/ part.
# Prints "ok NAME" / "not ok NAME reason"; exits 0 (regress/run.sh).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}

ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+ $2}"; }

# --- host side: boot the guest, run this script in it -------------------------
if [ "${1:-}" != --guest ]; then
	if [ "$(id -u)" -ne 0 ]; then
		nok uml/boot "needs root (the guest's root uses the host's files)"
		exit 0
	fi
	if [ ! -x /usr/bin/linux.uml ]; then
		nok uml/boot "no /usr/bin/linux.uml (make deps)"
		exit 0
	fi
	for p in ikecc ikerund ikectl; do
		[ -x "$BUILD/$p" ] || { nok uml/boot "$BUILD/$p not built"; exit 0; }
	done
	t0=$(date +%s)
	out=$(mktemp) || exit 1
	trap 'rm -f "$out"' EXIT
	TOP=$TOP BUILD=$BUILD "$here/uml-run.sh" -m 768M -t "${UML_TIMEOUT:-300}" \
	    "$here/test.sh" --guest 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	grep -q '^ok uml/boot' "$out" || nok uml/boot "the guest ran nothing (uml-run.sh exit $rc)"
	[ "$rc" -eq 0 ] || nok uml/guest "uml-run.sh exited $rc"
	echo "# UML suite: $(( $(date +%s) - t0 )) s"
	exit 0
fi

# --- guest side -------------------------------------------------------------------
source "$here/netns.sh"
t0=$(date +%s)
step() { echo "# $(( $(date +%s) - t0 ))s: $*"; }

ok "uml/boot $(uname -r)"
if grep -q failed "$UML_JOB/modprobe.log" 2>/dev/null; then
	nok uml/modules "$(grep failed "$UML_JOB/modprobe.log" | tr '\n' ' ')"
else
	ok uml/modules
fi

if ! ns_up; then
	nok netns/up
	exit 0
fi
ok netns/up
if ns_exec left ping -n -q -c 1 -w 5 -I "$LEFT_LAN" "$RIGHT_LAN" >/dev/null &&
    ns_exec left ping -n -q -c 1 -w 5 "$RIGHT_ADDR6" >/dev/null; then
	ok netns/clear-text-path
else
	nok netns/clear-text-path "no ping between the namespaces"
fi

# --- (a) ESP and AEAD in the guest kernel ----------------------------------------
step "ESP SAs"
k16=0x000102030405060708090a0b0c0d0e0f
k20=${k16}10111213
k32=${k16}101112131415161718191a1b1c1d1e1f
sa="src $LEFT_ADDR dst $RIGHT_ADDR proto esp"
if ns_exec left ip xfrm state add $sa spi 0x1001 reqid 1 mode tunnel \
    aead 'rfc4106(gcm(aes))' $k20 128 2>/tmp/xfrm.err &&
    ns_exec left ip xfrm state get $sa spi 0x1001 | grep -q 'aead rfc4106(gcm(aes))'; then
	ok esp/aead-aes-gcm
else
	nok esp/aead-aes-gcm "$(cat /tmp/xfrm.err)"
fi
if ns_exec left ip xfrm state add $sa spi 0x1002 reqid 2 mode tunnel \
    enc 'cbc(aes)' $k16 auth-trunc 'hmac(sha256)' $k32 128 2>/tmp/xfrm.err &&
    ns_exec left ip xfrm state get $sa spi 0x1002 |
    grep -q "auth-trunc hmac(sha256) $k32 128"; then
	ok esp/aes-cbc-hmac-sha256-128
else
	nok esp/aes-cbc-hmac-sha256-128 "$(cat /tmp/xfrm.err)"
fi
n=$(ns_exec left ip xfrm state | grep -c '^src')
ns_exec left ip xfrm state flush
[ "$(ns_exec left ip xfrm state | grep -c '^src')" = 0 ] && [ "$n" = 2 ] &&
    ok esp/state-flush || nok esp/state-flush "$n SAs before, flush left some"
if ns_exec left test -e /proc/net/pfkey; then
	ok esp/pfkey
else
	nok esp/pfkey "no /proc/net/pfkey (af_key)"
fi

# --- (b) strongSwan to strongSwan, the reference tunnel --------------------------
step "strongSwan"
pcap=$NS_RUN/swan-right.pcapng
swan_ok=1
ns_capture_start right "$pcap" || { nok swan/capture; swan_ok=0; }
if ns_start_charon left "$here/conf/swan-left-psk.conf" &&
    ns_start_charon right "$here/conf/swan-right-psk.conf"; then
	ok swan/start
else
	nok swan/start
	swan_ok=0
fi
if [ $swan_ok = 1 ] && ns_swanctl right --initiate --child lan --timeout 30 \
    >"$NS_RUN/initiate.log" 2>&1; then
	ok swan/initiate
else
	nok swan/initiate "$(tail -n 3 "$NS_RUN/initiate.log" 2>/dev/null | tr '\n' ' ')"
	swan_ok=0
fi
step "ping through the tunnel"
if [ $swan_ok = 1 ] && ns_ping right "$RIGHT_LAN" "$LEFT_LAN" 5 >"$NS_RUN/ping.log" 2>&1; then
	ok swan/ping-through-tunnel
else
	nok swan/ping-through-tunnel "$(tail -n 2 "$NS_RUN/ping.log" 2>/dev/null | tr '\n' ' ')"
fi
ns_capture_stop right
# both ends: one SA each way, AES-GCM, and the packets counted on them
for ns in left right; do
	st=$(ns_exec "$ns" ip -s xfrm state)
	nsa=$(grep -c '^src' <<<"$st")
	ngcm=$(grep -c 'aead rfc4106(gcm(aes))' <<<"$st")
	pk=$(grep -o '[0-9]*(packets)' <<<"$st" | tr -dc '0-9\n' |
	    awk '{ s += $1 } END { print s + 0 }')
	npol=$(ns_exec "$ns" ip xfrm policy | grep -c '^src')
	if [ "$nsa" = 2 ] && [ "$ngcm" = 2 ] && [ "$pk" -ge 10 ] && [ "$npol" -ge 3 ]; then
		ok "swan/kernel-state-$ns"
	else
		nok "swan/kernel-state-$ns" "SAs $nsa, AES-GCM $ngcm, packets $pk, policies $npol"
	fi
done
step "tshark"
if [ -s "$pcap" ]; then
	esp=$(tshark -n -r "$pcap" -Y esp 2>/dev/null | wc -l)
	ike=$(tshark -n -r "$pcap" -Y isakmp 2>/dev/null | wc -l)
	clear=$(tshark -n -r "$pcap" -Y "icmp && !esp && ip.src == $RIGHT_LAN" 2>/dev/null | wc -l)
	if [ "$esp" -ge 10 ] && [ "$ike" -ge 4 ] && [ "$clear" = 0 ]; then
		ok swan/capture-esp-on-the-wire
	else
		nok swan/capture-esp-on-the-wire "ESP $esp, IKE $ike, clear ICMP sent $clear"
	fi
else
	nok swan/capture-esp-on-the-wire "no capture"
fi
if [ $swan_ok = 0 ]; then
	for ns in left right; do
		echo "# charon.log ($ns):"
		tail -n 15 "$(ns_dir "$ns" charon)/charon.log" 2>/dev/null | sed 's/^/#   /'
	done
fi
ns_stop left charon
ns_stop right charon

# --- (c) ikerund in a namespace --------------------------------------------------
step "ikerund"
ex=$TOP/examples/gateway-psk.conf
blob=$NS_RUN/gateway-psk.bin
mkdir -p "$NS_RUN/conf"
install -m 0600 "$ex" "$NS_RUN/conf/gateway-psk.conf"
want=$( (cd "$TOP/examples" && "$BUILD/ikecc" -nv -f "$NS_RUN/conf/gateway-psk.conf") 2>/dev/null |
    grep -c '^ikev2 ')
if (cd "$TOP/examples" && "$BUILD/ikecc" -f "$NS_RUN/conf/gateway-psk.conf" -o "$blob") \
    2>"$NS_RUN/ikecc.err"; then
	ok ikerund/compile-example
else
	nok ikerund/compile-example "$(head -n 2 "$NS_RUN/ikecc.err" | tr '\n' ' ')"
fi
if ns_start_ikerund left "$blob"; then
	ok ikerund/start
	js=$(ns_ikectl left show stats -j 2>&1)
	if [ "$(jq -r .generation <<<"$js" 2>/dev/null)" = 1 ] &&
	    [ "$(jq -r .policies <<<"$js")" = "$want" ] && [ "$want" -ge 1 ]; then
		ok ikerund/show-stats-json
	else
		nok ikerund/show-stats-json "want generation 1, $want policies: $js"
	fi
	if ns_ikectl left load "$blob" >"$NS_RUN/load.out" 2>&1 &&
	    [ "$(ns_ikectl left show stats -j | jq -r .generation)" = 2 ]; then
		ok ikerund/load
	else
		nok ikerund/load "$(head -n 2 "$NS_RUN/load.out" | tr '\n' ' ')"
	fi
	dpid=$(cat "$(ns_dir left ikerund)/pid")
	ikev2= ca=
	for p in $(pgrep -P "$dpid"); do
		c=$(tr '\0' ' ' <"/proc/$p/cmdline")
		case $c in
		*"-T ikev2 "*) ikev2=$p ;;
		*"-T ca "*) ca=$p ;;
		esac
	done
	uid=$(id -u _ikerund)
	if [ -n "$ikev2" ] && awk -v u="$uid" \
	    '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u) }' "/proc/$ikev2/status"; then
		ok ikerund/ikev2-runs-as-_ikerund
	else
		nok ikerund/ikev2-runs-as-_ikerund "pid ${ikev2:-none}"
	fi
	root=$(readlink "/proc/${ikev2:-0}/root" 2>/dev/null)
	if [ -n "$ikev2" ] && [ -n "$root" ] && [ "$root" != / ]; then
		ok ikerund/ikev2-chrooted
	else
		nok ikerund/ikev2-chrooted "root ${root:-unknown}"
	fi
	if [ -n "$ca" ] && [ "$(readlink "/proc/$ca/root")" = "$(ns_dir left ikerund)/keys" ]; then
		ok ikerund/ca-chrooted
	else
		nok ikerund/ca-chrooted "pid ${ca:-none}"
	fi
	if [ "$(readlink "/proc/$dpid/ns/net")" = "$(ns_exec left readlink /proc/self/ns/net)" ]; then
		ok ikerund/in-namespace
	else
		nok ikerund/in-namespace
	fi
else
	nok ikerund/start
fi
ns_stop left ikerund
step "done"
exit 0
