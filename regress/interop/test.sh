#!/bin/bash
# Interoperability of ikerund with real peers, real ESP: inside the UML
# guest (regress/uml/uml-run.sh), two namespaces (regress/uml/netns.sh),
# ikerund on "left" (192.0.2.10, LAN 198.51.100.0/24) against strongSwan's
# charon or another ikerund on "right" (192.0.2.20, LAN 203.0.113.0/24).
# Each scenario starts its daemons, brings a tunnel up, pings between the
# LANs through it, checks the kernel state, and stops everything; the
# kernel state ikerund installed must be gone afterwards.
#   resp-gcm/...    ikerund responder, strongSwan initiator, AES-GCM-16-128,
#                   Curve25519: aead rfc4106(gcm(aes)) in the kernel
#   resp-cbc/...    AES-CBC-256 + HMAC-SHA2-256 (auth-trunc ... 128), ECP-256
#   invalid-ke/...  INVALID_KE_PAYLOAD as responder and as initiator
#   transport/...   ESP transport mode between the two hosts
#   malformed/...   garbage datagrams: dropped, counted, daemon alive
#   resp-gcm256, resp-cbc128, resp-modp: the other algorithms and groups
#   resp-v6/...     the same over IPv6
#   */tshark        tshark decodes every IKE message, none malformed
#   ah/...          AH (HMAC-SHA2-256-128) where the policy asks: negotiated
#                   and installed (no ping yet: see the scenario)
#   replace/...     a peer restarts without Delete: the new SA replaces the old
#   couple/...      decouple: SAs without flows in the kernel; couple: back
#   retransmit/...  a slow path: retransmissions with backoff, duplicate
#                   requests answered from the cached response
#   badpsk/...      a wrong PSK: fails on both sides, reason in both logs
#   noprop/...      no common proposal: NO_PROPOSAL_CHOSEN on both sides
#   init/...        ikerund initiator ("active"), strongSwan responder
#   init-*/...      ikerund initiator with every algorithm set of resp-*
#   init-badpsk/... ikerund initiator with a wrong PSK: refused, logged
#   iked-resp/...   ikerund initiator, OpenIKED responder (AES-CBC + SHA1 ESP)
#   iked-init/...   OpenIKED initiator, ikerund responder
#   self/...        ikerund to ikerund
#   delete/...      Deletes both ways: strongSwan's terminate, ikectl reset
#   reload/...      a load keeps a live SA (a ping across it loses nothing);
#                   a load without its policy deletes it, Delete to the peer;
#                   ikectl lookup names the policy and SA, and why not others
#   frag-resp/..., frag-init/...  RFC 7383 fragments both ways against
#                   strongSwan (IDs of 800 bytes), ping; frag-self/... the
#                   same between two ikerund; frag-iked-*/... OpenIKED reassembles ours
#   flood/...       IKE_SA_INIT flood from 200 spoofed addresses: cookies
#                   on, half-open SAs and memory bounded, a live SA pings
#   host/...        first, on this machine's kernel: IKE-level ikerund to
#                   ikerund (no ESP here), ikerund under 20 SAs of the
#                   load generator build/ikeload, and host/life-...: IKE
#                   SA rekeys, liveness checks, a dead peer, an active
#                   policy re-initiated; HOST_ONLY=1 runs just these,
#                   SKIP_HOST=1 skips them; ONLY="a b" picks guest scenarios
# Prints "ok NAME" / "not ok NAME reason"; exits 0 (regress/run.sh).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
uml=$TOP/regress/uml

ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+ $2}"; }

# --- host side, first: IKE-level tests in namespaces of this kernel -------------
# host/...: ikerund to ikerund in two private namespaces on the host kernel
# (no ESP here, so the SAs are refused by the kernel; the IKE exchanges,
# Deletes, lookup, counters and clean-up are what is checked).  With a
# sanitizer build (BUILD=build-asan) this is where ASan and UBSan watch:
# they cannot run inside the UML guest's address space.
host_tests() (
	export NS_LEFT=ikrl$$ NS_RIGHT=ikrr$$
	source "$uml/netns.sh"
	ns_up >/dev/null 2>&1 || { nok host/netns; exit 0; }
	W=$NS_RUN/host
	mkdir -p "$W"
	for side in l r; do
		if [ $side = l ]; then
			set -- passive "$LEFT_NET" "$RIGHT_NET" "$LEFT_ADDR" "$RIGHT_ADDR" left right
		else
			set -- active "$RIGHT_NET" "$LEFT_NET" "$RIGHT_ADDR" "$LEFT_ADDR" right left
		fi
		printf 'ikev2 "gw" %s esp from %s to %s local %s peer %s ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 childsa enc aes-128-gcm srcid %s.example dstid %s.example psk "host-test-psk-0123456789abcdef"\n' \
		    "$@" >"$W/$side.conf"
		chmod 0600 "$W/$side.conf"
		"$BUILD/ikecc" -f "$W/$side.conf" -o "$W/$side.bin" || { nok host/compile; exit 0; }
	done
	if ! ns_start_ikerund "$NS_LEFT" "$W/l.bin" >/dev/null 2>&1 ||
	    ! ns_start_ikerund "$NS_RIGHT" "$W/r.bin" >/dev/null 2>&1; then
		nok host/start
		exit 0
	fi
	est() { [ "$(ns_ikectl "$1" show sa -j | jq -r '.sas[0].state')" = established ]; }
	if ns_wait 10 est "$NS_LEFT" && ns_wait 10 est "$NS_RIGHT"; then
		ok host/established
	else
		nok host/established "$(tail -n 5 "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" | tr '\n' '|')"
	fi
	ns_ikectl "$NS_LEFT" lookup "$LEFT_LAN" "$RIGHT_LAN" | grep -q '^=> policy "gw" (outbound), sa 1' &&
	    ok host/lookup || nok host/lookup
	ns_exec "$NS_RIGHT" bash -c "printf 'not IKE, not IKE, not IKE, not IKE, not' >/dev/udp/$LEFT_ADDR/500
	    head -c 28 /dev/zero >/dev/udp/$LEFT_ADDR/500"
	sleep 0.5
	[ "$(ns_ikectl "$NS_LEFT" show stats -j | jq .ike.malformed)" -ge 2 ] &&
	    ok host/malformed-counted || nok host/malformed-counted
	ns_ikectl "$NS_RIGHT" reset sa >/dev/null
	if ns_wait 5 bash -c "[ \"\$(ip netns exec $NS_LEFT '$BUILD/ikectl' -s '$(ns_dir "$NS_LEFT" ikerund)/ikerund.sock' show sa -j | jq '.sas | length')\" = 0 ]"; then
		ok host/reset-sends-delete
	else
		nok host/reset-sends-delete
	fi
	ns_ikectl "$NS_RIGHT" active >/dev/null
	ns_wait 10 est "$NS_LEFT" && ok host/set-active || nok host/set-active
	ns_stop "$NS_RIGHT" ikerund
	if ns_wait 5 bash -c "[ \"\$(ip netns exec $NS_LEFT '$BUILD/ikectl' -s '$(ns_dir "$NS_LEFT" ikerund)/ikerund.sock' show sa -j | jq '.sas | length')\" = 0 ]"; then
		ok host/shutdown-sends-delete
	else
		nok host/shutdown-sends-delete
	fi
	ns_stop "$NS_LEFT" ikerund
	n=$(ns_exec "$NS_LEFT" ip xfrm policy | grep -c 'dir [iof][nuw]')
	[ "$n" = 0 ] && ok host/no-policy-left || nok host/no-policy-left "$n"
	# the load generator of regress/bench: 20 IKE SAs from 20 addresses
	printf 'set decouple\nikev2 "load" passive esp from %s to any local %s peer any ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 childsa enc aes-128-gcm srcid left.example dstid load.example psk "host-test-psk-0123456789abcdef"\n' \
	    "$LEFT_NET" "$LEFT_ADDR" >"$W/load.conf"
	chmod 0600 "$W/load.conf"
	for i in $(seq 2 21); do echo "addr add 203.0.113.$i/32 dev lo"; done |
	    ip -n "$NS_RIGHT" -batch -
	if [ ! -x "$BUILD/ikeload" ]; then
		nok host/ikeload "$BUILD/ikeload not built"
	elif ! "$BUILD/ikecc" -f "$W/load.conf" -o "$W/load.bin" ||
	    ! ns_start_ikerund "$NS_LEFT" "$W/load.bin" >/dev/null 2>&1; then
		nok host/ikeload "ikerund did not start"
	else
		out=$(ns_exec "$NS_RIGHT" "$BUILD/ikeload" -n 20 -c 5 \
		    -s 203.0.113.2-203.0.113.21 -i load.example -r left.example \
		    -k host-test-psk-0123456789abcdef -T "$LEFT_NET" -W 60 \
		    "$LEFT_ADDR" 2>&1)
		rc=$?
		sleep 0.5	# counters reach the parent within 100 ms
		sas=$(ns_ikectl "$NS_LEFT" show stats -j | jq .ike.ike_sas)
		if [ $rc = 0 ] && grep -q ' established=20 failed=0 ' <<<"$out" &&
		    [ "$sas" = 20 ]; then
			ok host/ikeload
		else
			nok host/ikeload "exit $rc, ikerund ike_sas $sas: $(tail -n 2 <<<"$out" | tr '\n' '|')"
		fi
		ns_stop "$NS_LEFT" ikerund
	fi
	if grep -h "AddressSanitizer\|runtime error:" "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" \
	    "$(ns_dir "$NS_RIGHT" ikerund)/ikerund.out" >/dev/null 2>&1; then
		nok host/sanitizers "$(grep -h -A4 "AddressSanitizer\|runtime error:" "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" | head -n 6 | tr '\n' '|')"
	else
		ok host/sanitizers
	fi
	exit 0
)

# host/dos/...: cookies and fragmentation between two ikerund on the host
# kernel.  The responder (left) demands a cookie of every IKE_SA_INIT
# (ikerund -C 0), the initiator must answer it; both have "set
# fragmentation" and IDs of 800 bytes, so that IKE_AUTH goes in RFC 7383
# fragments both ways.  Under ASan this is where reassembly is watched.
host_dos_tests() (
	export NS_LEFT=ikdl$$ NS_RIGHT=ikdr$$
	source "$uml/netns.sh"
	ns_up >/dev/null 2>&1 || { nok host/dos/netns; exit 0; }
	W=$NS_RUN/hostdos
	mkdir -p "$W"
	long() { local i; for i in 1 2 3 4 5 6 7 8 9 10 11 12 13; do printf 'label%02d-%s.' $i "$(printf '%052d' 0)"; done; printf '%s.example' "$1"; }
	for side in l r; do
		if [ $side = l ]; then
			set -- passive "$LEFT_NET" "$RIGHT_NET" "$LEFT_ADDR" "$RIGHT_ADDR" "$(long left)" "$(long right)"
		else
			set -- active "$RIGHT_NET" "$LEFT_NET" "$RIGHT_ADDR" "$LEFT_ADDR" "$(long right)" "$(long left)"
		fi
		printf 'set fragmentation\nikev2 "gw" %s esp from %s to %s local %s peer %s ikesa enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group ecp256 childsa enc aes-128-gcm srcid %s dstid %s psk "host-dos-psk-0123456789abcdef"\n' \
		    "$@" >"$W/$side.conf"
		# road warriors from 203.0.113.0/24: what the flood below aims at
		[ $side = l ] && printf 'ikev2 "rw" passive esp from %s to 192.0.2.128/25 local %s peer 203.0.113.0/24 ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 childsa enc aes-128-gcm psk "host-dos-rw-psk-0123456789abcdef"\n' \
		    "$LEFT_NET" "$LEFT_ADDR" >>"$W/$side.conf"
		chmod 0600 "$W/$side.conf"
		"$BUILD/ikecc" -f "$W/$side.conf" -o "$W/$side.bin" || { nok host/dos/compile; exit 0; }
	done
	if ! ns_start_ikerund "$NS_LEFT" "$W/l.bin" -C 0 >/dev/null 2>&1 ||
	    ! ns_start_ikerund "$NS_RIGHT" "$W/r.bin" >/dev/null 2>&1; then
		nok host/dos/start
		exit 0
	fi
	est() { [ "$(ns_ikectl "$1" show sa -j | jq -r '.sas[0].state')" = established ]; }
	if ns_wait 10 est "$NS_LEFT" && ns_wait 10 est "$NS_RIGHT"; then
		ok host/dos/established
	else
		nok host/dos/established "$(tail -n 5 "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" | tr '\n' '|')"
	fi
	l=$(ns_ikectl "$NS_LEFT" show stats -j | jq -c .ike)
	r=$(ns_ikectl "$NS_RIGHT" show stats -j | jq -c .ike)
	if [ "$(jq '.cookies_sent >= 1 and .cookies_verified >= 1 and .cookies_refused == 0' <<<"$l")" = true ] &&
	    [ "$(jq '.cookies_answered >= 1' <<<"$r")" = true ]; then
		ok host/dos/cookie
	else
		nok host/dos/cookie "left $l right $r"
	fi
	# IKE_AUTH request right -> left and response left -> right in pieces
	if [ "$(jq '.fragments_sent >= 2 and .reassembled >= 1' <<<"$l")" = true ] &&
	    [ "$(jq '.fragments_sent >= 2 and .reassembled >= 1' <<<"$r")" = true ] &&
	    [ "$(jq '.fragments_received' <<<"$l")" = "$(jq '.fragments_sent' <<<"$r")" ]; then
		ok host/dos/fragments-both-ways
	else
		nok host/dos/fragments-both-ways "left $l right $r"
	fi
	ns_ikectl "$NS_LEFT" show stats | grep -q '^cookies asked for: [1-9]' &&
	    ns_ikectl "$NS_LEFT" show stats | grep -q '^messages reassembled: [1-9]' &&
	    ok host/dos/show-stats-text || nok host/dos/show-stats-text
	# the peer ID made it whole through reassembly: the policy's dstid
	# matched it (established); "show sa" shows its first 255 bytes
	[ "$(ns_ikectl "$NS_LEFT" show sa -j | jq -r '.sas[0].peer_id')" = "$(long right | cut -c1-255)" ] &&
	    ok host/dos/long-id || nok host/dos/long-id "$(ns_ikectl "$NS_LEFT" show sa -j | jq -r '.sas[0].peer_id' | cut -c1-60)"
	# a flood from 100 spoofed addresses: every request gets a cookie
	# (threshold 0), none leaves state, the SA stays
	c0=$(ns_ikectl "$NS_LEFT" show stats -j | jq .ike.cookies_sent)
	ns_exec "$NS_RIGHT" "$BUILD/ikeflood" -s 203.0.113.20 -n 100 -c 3000 -r 20000 "$LEFT_ADDR" >"$W/flood.out" 2>&1
	sleep 1
	c1=$(ns_ikectl "$NS_LEFT" show stats -j | jq .ike.cookies_sent)
	js=$(ns_ikectl "$NS_LEFT" show sa -j)
	if [ $((c1 - c0)) -ge 1000 ] && [ "$(jq '[.sas[] | select(.state != "established")] | length' <<<"$js")" = 0 ] &&
	    [ "$(jq '.sas | length' <<<"$js")" = 1 ]; then
		ok host/dos/flood-cookies
	else
		nok host/dos/flood-cookies "$((c1 - c0)) cookies for $(cat "$W/flood.out"), $(jq '.sas | length' <<<"$js") SAs"
	fi
	ns_stop "$NS_RIGHT" ikerund
	ns_stop "$NS_LEFT" ikerund
	cp "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" "$W/left-first.out"
	# no cookies (-C 10000): one address floods; its half-open SAs stop
	# at the per-address bound (1024), the rest is refused and counted
	if ns_start_ikerund "$NS_LEFT" "$W/l.bin" -C 10000 >/dev/null 2>&1; then
		ns_exec "$NS_RIGHT" "$BUILD/ikeflood" -s 203.0.113.7 -n 1 -c 1500 -r 5000 "$LEFT_ADDR" >"$W/flood1.out" 2>&1
		sleep 1
		js=$(ns_ikectl "$NS_LEFT" show stats -j | jq -c .ike)
		ho=$(ns_ikectl "$NS_LEFT" show sa -j | jq '[.sas[] | select(.state == "larval")] | length')
		if [ "$ho" = 1024 ] && [ "$(jq '.halfopen_refused >= 1 and .cookies_sent == 0' <<<"$js")" = true ]; then
			ok host/dos/per-peer-bound
		else
			nok host/dos/per-peer-bound "$ho half-open, $js, $(cat "$W/flood1.out")"
		fi
		ns_stop "$NS_LEFT" ikerund
	else
		nok host/dos/per-peer-bound "start"
	fi
	if grep -h "AddressSanitizer\|runtime error:" "$W/left-first.out" "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" \
	    "$(ns_dir "$NS_RIGHT" ikerund)/ikerund.out" >/dev/null 2>&1; then
		nok host/dos/sanitizers "$(grep -h -A4 "AddressSanitizer\|runtime error:" "$W/left-first.out" "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" "$(ns_dir "$NS_RIGHT" ikerund)/ikerund.out" | head -n 6 | tr '\n' '|')"
	else
		ok host/dos/sanitizers
	fi
	exit 0
)

# host/life-...: the SA life cycle at the IKE level on the host kernel:
# both sides rekey the IKE SA (ikelifetime 6), liveness checks find a
# peer killed without a word (SIGKILL) dead, and the "active" side tries
# again until the peer is back.
host_life_tests() (
	export NS_LEFT=iklf$$ NS_RIGHT=ikrf$$
	source "$uml/netns.sh"
	ns_up >/dev/null 2>&1 || { nok host/life-netns; exit 0; }
	W=$NS_RUN/life
	mkdir -p "$W"
	for side in l r; do
		if [ $side = l ]; then
			set -- passive "$LEFT_NET" "$RIGHT_NET" "$LEFT_ADDR" "$RIGHT_ADDR" left right
		else
			set -- active "$RIGHT_NET" "$LEFT_NET" "$RIGHT_ADDR" "$LEFT_ADDR" right left
		fi
		{ echo "set dpd_check_interval 2"
		printf 'ikev2 "gw" %s esp from %s to %s local %s peer %s ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 childsa enc aes-128-gcm srcid %s.example dstid %s.example ikelifetime 6 psk "host-test-psk-0123456789abcdef"\n' "$@"
		} >"$W/$side.conf"
		chmod 0600 "$W/$side.conf"
		"$BUILD/ikecc" -f "$W/$side.conf" -o "$W/$side.bin" || { nok host/life-compile; exit 0; }
	done
	if ! ns_start_ikerund "$NS_LEFT" "$W/l.bin" >/dev/null 2>&1 ||
	    ! ns_start_ikerund "$NS_RIGHT" "$W/r.bin" >/dev/null 2>&1; then
		nok host/life-start
		exit 0
	fi
	stat() { ns_ikectl "$1" show stats -j | jq ".ike.$2"; }
	nsas() { ns_ikectl "$1" show sa -j | jq '[.sas[] | select(.state == "established")] | length'; }
	rekeyed() { [ "$(stat "$1" ike_rekeys)" -ge 2 ] && [ "$(nsas "$1")" = 1 ]; }
	if ns_wait 30 rekeyed "$NS_LEFT" && ns_wait 5 rekeyed "$NS_RIGHT"; then
		ok host/life-ike-rekey
	else
		nok host/life-ike-rekey "left $(stat "$NS_LEFT" ike_rekeys) rekeys, $(nsas "$NS_LEFT") SAs; right $(stat "$NS_RIGHT" ike_rekeys), $(nsas "$NS_RIGHT")"
	fi
	dpd() { [ "$(stat "$NS_LEFT" dpd_sent)" -ge 1 ] ||
	    [ "$(stat "$NS_RIGHT" dpd_sent)" -ge 1 ]; }
	ns_wait 15 dpd && ok host/life-dpd-sent || nok host/life-dpd-sent
	# the passive side dies without a Delete
	kill -9 $(ns_pids "$NS_LEFT") 2>/dev/null
	dead() { [ "$(stat "$1" dead_peers)" -ge 1 ] && [ "$(nsas "$1")" = 0 ]; }
	if ns_wait 40 dead "$NS_RIGHT"; then
		ok host/life-dead-peer
	else
		nok host/life-dead-peer "$(stat "$NS_RIGHT" dead_peers) dead, $(nsas "$NS_RIGHT") SAs"
	fi
	ns_stop "$NS_LEFT" ikerund >/dev/null 2>&1
	ns_start_ikerund "$NS_LEFT" "$W/l.bin" >/dev/null 2>&1 || nok host/life-restart
	back() { [ "$(nsas "$1")" = 1 ] && [ "$(stat "$1" reinitiated)" -ge 1 ]; }
	if ns_wait 30 back "$NS_RIGHT" && ns_wait 5 bash -c "[ \"\$(ip netns exec $NS_LEFT '$BUILD/ikectl' -s '$(ns_dir "$NS_LEFT" ikerund)/ikerund.sock' show sa -j | jq '.sas | length')\" -ge 1 ]"; then
		ok host/life-reinitiate
	else
		nok host/life-reinitiate "$(nsas "$NS_RIGHT") SAs, $(stat "$NS_RIGHT" reinitiated) reinitiated"
	fi
	ns_stop "$NS_RIGHT" ikerund
	ns_stop "$NS_LEFT" ikerund
	if grep -h "AddressSanitizer\|runtime error:" "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" \
	    "$(ns_dir "$NS_RIGHT" ikerund)/ikerund.out" >/dev/null 2>&1; then
		nok host/life-sanitizers "$(grep -h -A4 "AddressSanitizer\|runtime error:" "$(ns_dir "$NS_RIGHT" ikerund)/ikerund.out" "$(ns_dir "$NS_LEFT" ikerund)/ikerund.out" | head -n 6 | tr '\n' '|')"
	else
		ok host/life-sanitizers
	fi
	exit 0
)

# --- host side: boot the guest, run this script in it -------------------------
if [ "${1:-}" != --guest ]; then
	if [ "$(id -u)" -ne 0 ]; then
		nok interop/boot "needs root (regress/uml/uml-run.sh)"
		exit 0
	fi
	[ "${SKIP_HOST:-}" = 1 ] || { host_tests; host_life_tests; host_dos_tests; }
	[ "${HOST_ONLY:-}" = 1 ] && exit 0
	if [ ! -x /usr/bin/linux.uml ] || [ ! -x /usr/lib/ipsec/charon ]; then
		nok interop/boot "no linux.uml or charon (make deps)"
		exit 0
	fi
	for p in ikecc ikerund ikectl; do
		[ -x "$BUILD/$p" ] || { nok interop/boot "$BUILD/$p not built"; exit 0; }
	done
	out=$(mktemp) || exit 1
	trap 'rm -f "$out"' EXIT
	# a bound on the whole guest run, not a measure: on a slow day its
	# scenarios took close to 600 s, so leave room
	TOP=$TOP BUILD=$BUILD "$uml/uml-run.sh" ${ONLY:+-e "ONLY=$ONLY"} \
	    ${ASAN_OPTIONS:+-e "ASAN_OPTIONS=$ASAN_OPTIONS"} \
	    ${UBSAN_OPTIONS:+-e "UBSAN_OPTIONS=$UBSAN_OPTIONS"} -m 768M -t "${UML_TIMEOUT:-1200}" \
	    "$here/test.sh" --guest 2>&1 | tee "$out" | grep -v '^netns: ' |
	    grep -E '^(ok|not ok|#)' || true
	rc=${PIPESTATUS[0]}
	grep -q '^ok interop/boot' "$out" ||
	    nok interop/boot "the guest ran nothing (uml-run.sh exit $rc): $(tail -n 5 "$out" | tr '\n' ' ')"
	[ "$rc" -eq 0 ] || nok interop/guest "uml-run.sh exited $rc"
	exit 0
fi

# --- guest side -------------------------------------------------------------------
source "$uml/netns.sh"
t0=$(date +%s)
step() { echo "# $(( $(date +%s) - t0 ))s: $*"; }
PSK=interop-regress-psk-not-a-secret-0815
W=$UML_JOB/interop
mkdir -p "$W"

ok "interop/boot $(uname -r)"
ns_up || { nok interop/netns; exit 0; }

# ikerund's config for one side: NAME MODE(active|passive) SIDE IKE CHILD [PSK] [EXTRA]
ikerund_conf() {
	local name=$1 mode=$2 side=$3 ike=$4 child=$5 psk=${6:-$PSK} extra=${7:-}
	local lnet rnet laddr raddr lid rid
	if [ "$side" = left ]; then
		lnet=$LEFT_NET rnet=$RIGHT_NET laddr=$LEFT_ADDR raddr=$RIGHT_ADDR
		lid=left.example rid=right.example
		[ "${V6:-}" = 1 ] && lnet=$LEFT_NET6 rnet=$RIGHT_NET6 \
		    laddr=$LEFT_ADDR6 raddr=$RIGHT_ADDR6
	else
		lnet=$RIGHT_NET rnet=$LEFT_NET laddr=$RIGHT_ADDR raddr=$LEFT_ADDR
		lid=right.example rid=left.example
		[ "${V6:-}" = 1 ] && lnet=$RIGHT_NET6 rnet=$LEFT_NET6 \
		    laddr=$RIGHT_ADDR6 raddr=$LEFT_ADDR6
	fi
	cat >"$W/$name.conf" <<-EOF
	ikev2 "gw" $mode $extra esp from $lnet to $rnet \\
		local $laddr peer $raddr \\
		ikesa $ike \\
		childsa $child \\
		srcid $lid dstid $rid \\
		psk "$psk"
	EOF
	chmod 0600 "$W/$name.conf"
	"$BUILD/ikecc" -f "$W/$name.conf" -o "$W/$name.bin" >"$W/$name.ikecc" 2>&1
}

# strongSwan's config on "right": NAME IKE ESP [PSK] [START]
swan_conf() {
	local name=$1 ike=$2 esp=$3 psk=${4:-$PSK} start=${5:-}
	local RIGHT_ADDR=$RIGHT_ADDR LEFT_ADDR=$LEFT_ADDR
	local RIGHT_NET=$RIGHT_NET LEFT_NET=$LEFT_NET
	[ "${V6:-}" = 1 ] && RIGHT_ADDR=$RIGHT_ADDR6 LEFT_ADDR=$LEFT_ADDR6 \
	    RIGHT_NET=$RIGHT_NET6 LEFT_NET=$LEFT_NET6
	cat >"$W/$name.swan" <<-EOF
	connections {
		gw {
			version = 2
			local_addrs = $RIGHT_ADDR
			remote_addrs = $LEFT_ADDR
			proposals = $ike
			local {
				auth = psk
				id = right.example
			}
			remote {
				auth = psk
				id = left.example
			}
			children {
				lan {
					mode = tunnel
					local_ts = $RIGHT_NET
					remote_ts = $LEFT_NET
					esp_proposals = $esp
					$start
				}
			}
		}
	}
	secrets {
		ike-gw {
			id-1 = left.example
			id-2 = right.example
			secret = "$psk"
		}
	}
	EOF
	chmod 0600 "$W/$name.swan"
}

stop_all() {
	ns_stop left ikerund
	ns_stop right ikerund
	ns_stop right charon
}

# no state left behind by ikerund (reqid band 0x6972....) in NS
check_clean() {
	local name=$1 ns=$2 n
	n=$(ns_exec "$ns" ip xfrm state | grep -c '^src')
	p=$(ns_exec "$ns" ip xfrm policy | grep -c '^src')
	if [ "$n" = 0 ] && [ "$p" = 0 ]; then
		ok "$name"
	else
		nok "$name" "$n SAs, $p policies left"
		ns_exec "$ns" ip xfrm state flush
		ns_exec "$ns" ip xfrm policy flush
	fi
}

logs() {	# the last lines of both daemons' logs, for a failure
	tail -n 8 "$(ns_dir left ikerund)/ikerund.out" 2>/dev/null | tr '\n' '|'
	tail -n 8 "$(ns_dir right charon)/charon.log" 2>/dev/null | tr '\n' '|'
}

left_has_no_sa() {
	[ "$(ns_ikectl left show sa -j | jq '.sas | length')" = 0 ]
}

save_logs() {
	cp "$(ns_dir left ikerund)/ikerund.out" "$W/$1-left-ikerund.log" 2>/dev/null
	cp "$(ns_dir right charon)/charon.log" "$W/$1-right-charon.log" 2>/dev/null
	cp "$(ns_dir right ikerund)/ikerund.out" "$W/$1-right-ikerund.log" 2>/dev/null
}

# ping from the right LAN to the left one, through the tunnel: the
# inbound ESP SA on the left counts the packets
esp_packets() {
	ns_exec left ip -s xfrm state | sed -n 's/.* \([0-9]*\)(packets).*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }'
}
ping_through() {
	local before
	before=$(esp_packets)
	if [ "${V6:-}" = 1 ]; then
		ns_ping right "$RIGHT_LAN6" "$LEFT_LAN6" 3 >/dev/null 2>&1
	else
		ns_ping right "$RIGHT_LAN" "$LEFT_LAN" 3 >/dev/null 2>&1
	fi && [ "$(esp_packets)" -ge $((before + 3)) ]
}

# ONLY="resp-gcm init ...": run just those scenarios
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

# --- responder scenarios ---------------------------------------------------------
# responder NAME IKECC_IKE IKECC_CHILD SWAN_IKE SWAN_ESP XFRM_PATTERN
responder() {
	local n=$1
	want "$n" || return 0
	step "$n"
	ikerund_conf "$n" passive left "$2" "$3" ||
	    { nok "$n/compile" "$(cat "$W/$n.ikecc")"; return; }
	swan_conf "$n" "$4" "$5"
	ns_capture_start right "$W/$n.pcapng" >/dev/null 2>&1
	if ! ns_start_ikerund left "$W/$n.bin" || ! ns_start_charon right "$W/$n.swan"; then
		nok "$n/start" "$(logs)"
		stop_all
		return
	fi
	if ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1; then
		ok "$n/initiate"
	else
		nok "$n/initiate" "$(logs)"
	fi
	if ping_through; then ok "$n/ping"; else nok "$n/ping" "$(ns_xfrm left | tr '\n' '|')"; fi
	if ns_exec left ip xfrm state | grep -q -- "$6"; then
		ok "$n/xfrm-state"
	else
		nok "$n/xfrm-state" "no '$6' in: $(ns_exec left ip xfrm state | tr '\n' '|')"
	fi
	js=$(ns_ikectl left show sa -j 2>/dev/null)
	if [ "$(jq -r '.sas[0].child.bytes_in > 0 and .sas[0].peer_id == "right.example"' <<<"$js" 2>/dev/null)" = true ]; then
		ok "$n/show-sa"
	else
		nok "$n/show-sa" "$js"
	fi
	save_logs "$n"
	stop_all
	ns_capture_stop right
	check_clean "$n/clean-left" left
	# tshark's dissector as an independent judge of the wire format
	if [ -s "$W/$n.pcapng" ]; then
		local ike mal
		ike=$(tshark -n -r "$W/$n.pcapng" -Y isakmp 2>/dev/null | grep -c "IKE_SA_INIT\|IKE_AUTH\|INFORMATIONAL")
		mal=$(tshark -n -r "$W/$n.pcapng" -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null | wc -l)
		if [ "$ike" -ge 5 ] && [ "$mal" = 0 ]; then
			ok "$n/tshark"
		else
			nok "$n/tshark" "$ike IKE messages, $mal malformed"
		fi
	fi
}

responder resp-gcm "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm" aes128gcm16-prfsha256-x25519 aes128gcm16 \
    'aead rfc4106(gcm(aes))'
responder resp-cbc "enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group ecp256" \
    "enc aes-256 auth hmac-sha2-256" aes256-sha256-prfsha256-ecp256 \
    aes256-sha256 'auth-trunc hmac(sha256) 0x[0-9a-f]* 128'

responder resp-gcm256 "enc aes-256-gcm prf hmac-sha2-384 group ecp384" \
    "enc aes-256-gcm" aes256gcm16-prfsha384-ecp384 aes256gcm16 \
    'aead rfc4106(gcm(aes)) 0x[0-9a-f]\{72\} 128'
responder resp-cbc128 "enc aes-128 auth hmac-sha2-512 prf hmac-sha2-512 group ecp521" \
    "enc aes-128 auth hmac-sha2-384" aes128-sha512-prfsha512-ecp521 \
    aes128-sha384 'auth-trunc hmac(sha384) 0x[0-9a-f]* 192'
responder resp-modp "enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group modp2048" \
    "enc aes-256 auth hmac-sha2-512" aes256-sha256-prfsha256-modp2048 \
    aes256-sha512 'auth-trunc hmac(sha512) 0x[0-9a-f]* 256'
V6=1 responder resp-v6 "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm" aes128gcm16-prfsha256-x25519 aes128gcm16 \
    'aead rfc4106(gcm(aes))'

# --- the same algorithm sets with ikerund as the initiator --------------------
# initiator NAME IKECC_IKE IKECC_CHILD SWAN_IKE SWAN_ESP XFRM_PATTERN:
# the policy is active, strongSwan only answers.
initiator() {
	local n=$1 js
	want "$n" || return 0
	step "$n"
	ikerund_conf "$n" active left "$2" "$3" ||
	    { nok "$n/compile" "$(cat "$W/$n.ikecc")"; return; }
	swan_conf "$n" "$4" "$5"
	if ! ns_start_charon right "$W/$n.swan" || ! ns_start_ikerund left "$W/$n.bin"; then
		nok "$n/start" "$(logs)"
		stop_all
		return
	fi
	if ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q -- '$6'"; then
		ok "$n/established"
	else
		nok "$n/established" "$(logs)"
	fi
	if ping_through; then ok "$n/ping"; else nok "$n/ping" "$(ns_xfrm left | tr '\n' '|')"; fi
	js=$(ns_ikectl left show sa -j 2>/dev/null)
	if [ "$(jq -r '.sas[0].child.bytes_in > 0 and .sas[0].peer_id == "right.example"' <<<"$js" 2>/dev/null)" = true ]; then
		ok "$n/show-sa"
	else
		nok "$n/show-sa" "$js"
	fi
	save_logs "$n"
	stop_all
	check_clean "$n/clean-left" left
}

initiator init-cbc "enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group ecp256" \
    "enc aes-256 auth hmac-sha2-256" aes256-sha256-prfsha256-ecp256 \
    aes256-sha256 'auth-trunc hmac(sha256) 0x[0-9a-f]* 128'
initiator init-gcm256 "enc aes-256-gcm prf hmac-sha2-384 group ecp384" \
    "enc aes-256-gcm" aes256gcm16-prfsha384-ecp384 aes256gcm16 \
    'aead rfc4106(gcm(aes)) 0x[0-9a-f]\{72\} 128'
initiator init-cbc128 "enc aes-128 auth hmac-sha2-512 prf hmac-sha2-512 group ecp521" \
    "enc aes-128 auth hmac-sha2-384" aes128-sha512-prfsha512-ecp521 \
    aes128-sha384 'auth-trunc hmac(sha384) 0x[0-9a-f]* 192'
initiator init-modp "enc aes-256 auth hmac-sha2-256 prf hmac-sha2-256 group modp2048" \
    "enc aes-256 auth hmac-sha2-512" aes256-sha256-prfsha256-modp2048 \
    aes256-sha512 'auth-trunc hmac(sha512) 0x[0-9a-f]* 256'
V6=1 initiator init-v6 "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm" aes128gcm16-prfsha256-x25519 aes128gcm16 \
    'aead rfc4106(gcm(aes))'

# --- reload under a running ping ------------------------------------------------
# reload/kept-*: a load that keeps the policy keeps the SA, and a ping
# running across it loses nothing; reload/removed-*: a load without the
# policy deletes the SA, with a Delete to strongSwan.
n=reload
if want $n; then
step $n
ike="enc aes-128-gcm prf hmac-sha2-256 group curve25519"
ikerund_conf $n passive left "$ike" "enc aes-128-gcm"
other='ikev2 "other" passive esp from 198.51.100.0/24 to 192.0.2.128/25 peer 192.0.2.30 psk "another-psk-for-another-peer"'
{ cat "$W/$n.conf"; echo "$other"; } >"$W/$n-2.conf"
echo "$other" >"$W/$n-3.conf"
chmod 0600 "$W/$n-2.conf" "$W/$n-3.conf"
"$BUILD/ikecc" -f "$W/$n-2.conf" -o "$W/$n-2.bin" 2>/dev/null
"$BUILD/ikecc" -f "$W/$n-3.conf" -o "$W/$n-3.bin" 2>/dev/null
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan" &&
    ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1; then
	before=$(esp_packets)
	ns_exec right ping -n -q -i 0.1 -c 40 -w 10 -I "$RIGHT_LAN" "$LEFT_LAN" \
	    >"$W/$n.ping" 2>&1 &
	ppid=$!
	sleep 1
	ns_ikectl left load "$W/$n-2.bin" >"$W/$n.load" 2>&1 &&
	    grep -q "SAs: 1 kept" "$W/$n.load" && ok reload/kept-sa ||
	    nok reload/kept-sa "$(tr '\n' '|' <"$W/$n.load")"
	ns_ikectl left lookup "$LEFT_LAN" "$RIGHT_LAN" >"$W/$n.lookup" 2>&1
	if grep -q '^=> policy "gw" (outbound), sa 1 with 192.0.2.20, esp aes-128-gcm spi 0x' "$W/$n.lookup" &&
	    grep -q '^policy "other": no: none of its 1 flow covers' "$W/$n.lookup"; then
		ok reload/lookup
	else
		nok reload/lookup "$(tr '\n' '|' <"$W/$n.lookup")"
	fi
	wait $ppid
	if grep -q " 0% packet loss" "$W/$n.ping" &&
	    [ "$(esp_packets)" -ge $((before + 40)) ]; then
		ok reload/kept-ping-lost-nothing
	else
		nok reload/kept-ping-lost-nothing "$(tr '\n' '|' <"$W/$n.ping")"
	fi
	ns_ikectl left load "$W/$n-3.bin" >"$W/$n.load3" 2>&1 &&
	    grep -q "SAs: 0 kept, 0 to rekey, 1 deleted" "$W/$n.load3" &&
	    ok reload/removed-sa-deleted ||
	    nok reload/removed-sa-deleted "$(tr '\n' '|' <"$W/$n.load3")"
	if ns_wait 10 grep -q "received DELETE for IKE_SA" "$(ns_dir right charon)/charon.log"; then
		ok reload/removed-delete-to-peer
	else
		nok reload/removed-delete-to-peer "$(logs)"
	fi
	if ns_wait 10 bash -c "! ip netns exec $NS_LEFT ip xfrm state | grep -q '^src'"; then
		ok reload/removed-kernel-state
	else
		nok reload/removed-kernel-state "$(ns_exec left ip xfrm state | tr '\n' '|')"
	fi
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- INVALID_KE_PAYLOAD both ways, transport mode, malformed datagrams ----------
# invalid-ke/responder: strongSwan sends a KE for ECP-256 first, ikerund
# wants Curve25519 only; invalid-ke/initiator: ikerund sends ECP-256 first,
# strongSwan wants Curve25519.  transport/...: host to host, ESP transport
# mode.  malformed/...: garbage to port 500 is dropped and counted.
n=invalid-ke
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm"
swan_conf $n aes128gcm16-prfsha256-ecp256-x25519 aes128gcm16
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan" &&
    ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1 &&
    grep -q "INVALID_KE_PAYLOAD" "$(ns_dir left ikerund)/ikerund.out"; then
	ok $n/responder
else
	nok $n/responder "$(logs)"
fi
save_logs $n-r
stop_all
check_clean $n/clean-left left
ikerund_conf $n-2 active left "enc aes-128-gcm prf hmac-sha2-256 group ecp256 group curve25519" \
    "enc aes-128-gcm"
swan_conf $n-2 aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_charon right "$W/$n-2.swan" && ns_start_ikerund left "$W/$n-2.bin" &&
    ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q rfc4106" &&
    grep -q "wants DH group 31" "$(ns_dir left ikerund)/ikerund.out"; then
	ok $n/initiator
else
	nok $n/initiator "$(logs)"
fi
save_logs $n-i
stop_all
check_clean $n/clean-left-2 left
fi

n=transport
if want $n; then
step $n
printf '%s\n' "ikev2 \"host\" passive transport esp from $LEFT_ADDR to $RIGHT_ADDR \\" \
    "	local $LEFT_ADDR peer $RIGHT_ADDR \\" \
    "	ikesa enc aes-256-gcm prf hmac-sha2-256 group curve25519 \\" \
    "	childsa enc aes-256-gcm \\" \
    "	srcid left.example dstid right.example psk \"$PSK\"" >"$W/$n.conf"
chmod 0600 "$W/$n.conf"
"$BUILD/ikecc" -f "$W/$n.conf" -o "$W/$n.bin" 2>/dev/null
swan_conf $n aes256gcm16-prfsha256-x25519 aes256gcm16
sed -i -e 's/mode = tunnel/mode = transport/' \
    -e "s|local_ts = $RIGHT_NET|local_ts = $RIGHT_ADDR|" \
    -e "s|remote_ts = $LEFT_NET|remote_ts = $LEFT_ADDR|" "$W/$n.swan"
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan" &&
    ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1; then
	ok $n/initiate
	ns_exec left ip xfrm state | grep -q "mode transport" &&
	    ok $n/xfrm-mode || nok $n/xfrm-mode "$(ns_exec left ip xfrm state | tr '\n' '|')"
	before=$(esp_packets)
	ns_ping right "$RIGHT_ADDR" "$LEFT_ADDR" 3 >"$W/$n.ping" 2>&1 &&
	    [ "$(esp_packets)" -ge $((before + 3)) ] && ok $n/ping ||
	    nok $n/ping "$(tr "\n" "|" <"$W/$n.ping") $(ns_exec left ip -s xfrm state | tr "\n" "|")"
else
	nok $n/initiate "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

n=malformed
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm"
malformed_count() {
	ns_ikectl left show stats -j | jq .ike.malformed
}
if ns_start_ikerund left "$W/$n.bin"; then
	ns_exec right bash -c "
	    printf 'not an IKE message at all, 40 bytes long' >/dev/udp/$LEFT_ADDR/500
	    head -c 28 /dev/zero >/dev/udp/$LEFT_ADDR/500
	    printf '01234567\0\0\0\0\0\0\0\0\x21\x20\x22\x08\0\0\0\0\0\0\0\xff' >/dev/udp/$LEFT_ADDR/500"
	sleep 1
	c=$(malformed_count)
	if [ "${c:-0}" -ge 3 ]; then ok $n/counted; else nok $n/counted "malformed: $c"; fi
	ns_alive left ikerund && ns_ikectl left show stats >/dev/null &&
	    ok $n/daemon-alive || nok $n/daemon-alive
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
fi

# --- AH where a policy asks ---------------------------------------------------------
n=ah
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "auth hmac-sha2-256"
sed -i 's/ esp from / ah from /' "$W/$n.conf"
"$BUILD/ikecc" -f "$W/$n.conf" -o "$W/$n.bin" >"$W/$n.ikecc" 2>&1
swan_conf $n aes128gcm16-prfsha256-x25519 sha256
sed -i 's/esp_proposals = sha256/ah_proposals = sha256/' "$W/$n.swan"
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan" &&
    ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1; then
	ok $n/initiate
	ns_exec left ip xfrm state | grep -q "proto ah" &&
	    ns_exec left ip xfrm state | grep -q 'auth-trunc hmac(sha256) 0x[0-9a-f]* 128' &&
	    ok $n/xfrm-state || nok $n/xfrm-state "$(ns_exec left ip xfrm state | tr '\n' '|')"
	# AH over IPv4 needs XFRM_STATE_ALIGN4 on both sides (RFC 4302
	# 3.3.3.2.1), or every ICV check fails (XfrmInStateProtoError)
	if ping_through; then ok $n/ping; else nok $n/ping "$(logs)"; fi
else
	nok $n/initiate "$(cat "$W/$n.ikecc") $(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- a peer that restarts -----------------------------------------------------
# replace/...: strongSwan is killed (no Delete), restarts and initiates
# again: ikerund's new IKE SA replaces the old one, kernel state included.
n=replace
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm"
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan" &&
    ns_swanctl right --initiate --child lan --timeout 20 >/dev/null 2>&1; then
	kill -9 "$(cat "$(ns_dir right charon)/pid")" 2>/dev/null
	sleep 0.5
	ns_exec right ip xfrm state flush
	ns_exec right ip xfrm policy flush
	if ns_start_charon right "$W/$n.swan" &&
	    ns_swanctl right --initiate --child lan --timeout 20 >/dev/null 2>&1; then
		sleep 1
		if ping_through; then ok $n/ping; else nok $n/ping "$(logs)"; fi
		[ "$(ns_exec left ip xfrm state | grep -c '^src')" = 2 ] &&
		    ok $n/one-pair-of-sas || nok $n/one-pair-of-sas "$(ns_exec left ip xfrm state | grep -c '^src') SAs"
		[ "$(ns_ikectl left show sa -j | jq '.sas | length')" = 1 ] &&
		    ok $n/one-ike-sa || nok $n/one-ike-sa "$(ns_ikectl left show sa)"
	else
		nok $n/restart "$(logs)"
	fi
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- couple / decouple ----------------------------------------------------------
# couple/...: "ikectl decouple" takes the flows (XFRM policies) out of the
# kernel and leaves the SAs; "ikectl couple" puts them back.
n=couple
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm"
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan" &&
    ns_swanctl right --initiate --child lan --timeout 20 >/dev/null 2>&1; then
	ns_ikectl left decouple >/dev/null
	if ns_wait 5 bash -c "[ \$(ip netns exec $NS_LEFT ip xfrm policy | grep -c 'dir [iof][nuw]') = 0 ]" &&
	    [ "$(ns_exec left ip xfrm state | grep -c '^src')" = 2 ]; then
		ok $n/decouple-keeps-sas-only
	else
		nok $n/decouple-keeps-sas-only "$(ns_xfrm left | tr '\n' '|')"
	fi
	ns_ikectl left couple >/dev/null
	if ns_wait 5 bash -c "[ \$(ip netns exec $NS_LEFT ip xfrm policy | grep -c 'dir [iof][nuw]') = 3 ]" &&
	    ping_through; then
		ok $n/couple-restores-flows
	else
		nok $n/couple-restores-flows "$(ns_xfrm left | tr '\n' '|')"
	fi
	# delete/child-from-peer: the CHILD SA goes, the IKE SA stays
	ns_swanctl right --terminate --child lan --timeout 10 >/dev/null 2>&1
	if ns_wait 10 bash -c "! ip netns exec $NS_LEFT ip xfrm state | grep -q '^src'" &&
	    [ "$(ns_ikectl left show sa -j | jq -r '.sas | length, .[0].state, .[0].child == null' | tr '\n' ' ')" = "1 established true " ]; then
		ok delete/child-from-peer
	else
		nok delete/child-from-peer "$(ns_ikectl left show sa -j)"
	fi
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- retransmission and duplicate requests ---------------------------------------
# retransmit/...: ikerund to ikerund with every packet from the responder
# delayed 3 s (netem on its veth): the initiator retransmits (backoff from
# 2 s), the responder answers the duplicates from its cached responses,
# and the SA still comes up.
n=retransmit
if want $n; then
step $n
ike="enc aes-256-gcm prf hmac-sha2-256 group curve25519" child="enc aes-256-gcm"
ikerund_conf $n-l passive left "$ike" "$child"
ikerund_conf $n-r active right "$ike" "$child"
if ! ns_exec left tc qdisc add dev "$NS_IF" root netem delay 3s 2>"$W/$n.tc"; then
	nok $n/netem "$(cat "$W/$n.tc")"
elif ns_start_ikerund left "$W/$n-l.bin" && ns_start_ikerund right "$W/$n-r.bin"; then
	if ns_wait 30 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q rfc4106"; then
		ok $n/established
	else
		nok $n/established "$(logs)"
	fi
	# the initiator sees its IKE_AUTH answer 3 s after the responder
	# has sent it, and retransmitted meanwhile
	rest() { [ "$(ns_ikectl right show sa -j | jq -r '.sas[0].state')" = established ]; }
	ns_wait 15 rest
	sleep 1
	d=$(ns_ikectl left show stats -j | jq .ike.duplicates_answered)
	r=$(ns_ikectl right show stats -j | jq .ike.retransmits)
	[ "${d:-0}" -ge 1 ] && ok $n/duplicates-answered || nok $n/duplicates-answered "$d"
	[ "${r:-0}" -ge 1 ] && ok $n/retransmits || nok $n/retransmits "$r"
	ns_exec left tc qdisc del dev "$NS_IF" root
	sleep 3
	if ping_through; then ok $n/ping; else nok $n/ping "$(logs)"; fi
else
	nok $n/start "$(logs)"
fi
ns_exec left tc qdisc del dev "$NS_IF" root 2>/dev/null
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- a wrong PSK -------------------------------------------------------------------
n=badpsk
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm"
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16 wrong-psk-wrong-psk-wrong-psk
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan"; then
	if ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1; then
		nok $n/refused "the tunnel came up"
	else
		ok $n/refused
	fi
	grep -q "authentication failed.*wrong pre-shared key" \
	    "$(ns_dir left ikerund)/ikerund.out" && ok $n/ikerund-log ||
	    nok $n/ikerund-log "$(logs)"
	grep -q "AUTHENTICATION_FAILED" "$(ns_dir right charon)/charon.log" &&
	    ok $n/charon-log || nok $n/charon-log "$(logs)"
	[ "$(ns_ikectl left show stats -j | jq .ike.authentication_failed)" -ge 1 ] 2>/dev/null &&
	    ok $n/stats || nok $n/stats
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- no common proposal ---------------------------------------------------------
n=noprop
if want $n; then
step $n
ikerund_conf $n passive left "enc aes-256-gcm prf hmac-sha2-384 group ecp384" \
    "enc aes-256-gcm"
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_ikerund left "$W/$n.bin" && ns_start_charon right "$W/$n.swan"; then
	ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1 &&
	    nok $n/refused "the tunnel came up" || ok $n/refused
	grep -q "NO_PROPOSAL_CHOSEN" "$(ns_dir left ikerund)/ikerund.out" &&
	    ok $n/ikerund-log || nok $n/ikerund-log "$(logs)"
	grep -q "NO_PROPOSAL_CHOSEN" "$(ns_dir right charon)/charon.log" &&
	    ok $n/charon-log || nok $n/charon-log "$(logs)"
	[ "$(ns_ikectl left show stats -j | jq .ike.no_proposal_chosen)" -ge 1 ] 2>/dev/null &&
	    ok $n/stats || nok $n/stats
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
fi

# --- ikerund as initiator -----------------------------------------------------------
n=init
if want $n; then
step $n
ikerund_conf $n active left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm"
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_charon right "$W/$n.swan" && ns_start_ikerund left "$W/$n.bin"; then
	if ns_wait 20 bash -c \
	    "ip netns exec $NS_LEFT ip xfrm state | grep -q rfc4106"; then
		ok $n/established
	else
		nok $n/established "$(logs)"
	fi
	if ping_through; then ok $n/ping; else nok $n/ping "$(logs)"; fi
	ns_swanctl right --list-sas 2>/dev/null | grep -q ESTABLISHED &&
	    ok $n/charon-sees-it || nok $n/charon-sees-it
	# delete/...: strongSwan terminates, ikerund removes its state
	step "$n: terminate"
	ns_swanctl right --terminate --ike gw --timeout 10 >/dev/null 2>&1
	if ns_wait 10 bash -c "! ip netns exec $NS_LEFT ip xfrm state | grep -q '^src'"; then
		ok delete/from-peer
	else
		nok delete/from-peer "$(ns_exec left ip xfrm state | tr '\n' '|')"
	fi
	# the ikev2 process asks the parent to remove the kernel state,
	# then drops the SA from its list in its next loop turn: on a
	# loaded machine the state can go first, so wait for both
	if ns_wait 5 left_has_no_sa; then
		ok delete/from-peer-sa-gone
	else
		nok delete/from-peer-sa-gone "$(ns_ikectl left show sa 2>&1 |
		    tr '\n' '|')"
	fi
	# set active again: a new SA; then ikectl reset sa deletes it both ways
	ns_ikectl left active >/dev/null
	if ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q rfc4106"; then
		ok $n/set-active
	else
		nok $n/set-active "$(logs)"
	fi
	step "$n: reset sa"
	ns_ikectl left reset sa >/dev/null
	if ns_wait 10 bash -c "! ip netns exec $NS_RIGHT ip xfrm state | grep -q '^src'"; then
		ok delete/to-peer
	else
		nok delete/to-peer "$(ns_exec right ip xfrm state | tr '\n' '|')"
	fi
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- ikerund as initiator with a wrong PSK --------------------------------------
n=init-badpsk
if want $n; then
step $n
ikerund_conf $n active left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
    "enc aes-128-gcm" wrong-psk-wrong-psk-wrong-psk
swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
if ns_start_charon right "$W/$n.swan" && ns_start_ikerund left "$W/$n.bin"; then
	if ns_wait 20 grep -q "AUTHENTICATION_FAILED from the peer" \
	    "$(ns_dir left ikerund)/ikerund.out"; then
		ok $n/ikerund-log
	else
		nok $n/ikerund-log "$(logs)"
	fi
	grep -q "MAC mismatched\|authentication of .* failed\|AUTH_FAILED\|AUTHENTICATION_FAILED" \
	    "$(ns_dir right charon)/charon.log" && ok $n/charon-log ||
	    nok $n/charon-log "$(logs)"
	[ "$(ns_exec left ip xfrm state | grep -c '^src')" = 0 ] &&
	    ok $n/no-kernel-state || nok $n/no-kernel-state
	[ "$(ns_ikectl left show stats -j | jq .ike.authentication_failed)" -ge 1 ] 2>/dev/null &&
	    ok $n/stats || nok $n/stats
else
	nok $n/start "$(logs)"
fi
save_logs $n
stop_all
check_clean $n/clean-left left
fi

# --- OpenIKED (7.2 on Linux installs only SHA1-based ESP) ---------------------------
# iked-resp: ikerund initiates to iked; iked-init: iked initiates to ikerund.
for role in resp init; do
	n=iked-$role
	want $n || continue
	[ -x "$IKED" ] || { nok $n/start "no $IKED"; continue; }
	step $n
	ike="enc aes-128-gcm prf hmac-sha2-256 group curve25519"
	child="enc aes-128 auth hmac-sha1"
	if [ $role = resp ]; then
		ikerund_conf $n-l active left "$ike" "$child"
		ikerund_conf $n-r passive right "$ike" "$child"
	else
		ikerund_conf $n-l passive left "$ike" "$child"
		ikerund_conf $n-r active right "$ike" "$child"
	fi
	if ns_start_iked right "$W/$n-r.conf" && ns_start_ikerund left "$W/$n-l.bin"; then
		if ns_wait 40 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q 'hmac(sha1)'"; then
			ok $n/established
		else
			nok $n/established "$(tail -n 8 "$(ns_dir left ikerund)/ikerund.out" | tr '\n' '|') $(tail -n 8 "$(ns_dir right iked)/iked.out" | tr '\n' '|')"
		fi
		sleep 1
		if ping_through; then ok $n/ping; else nok $n/ping "$(ns_xfrm right | tr '\n' '|')"; fi
		ns_exec left ip xfrm state | grep -q 'auth-trunc hmac(sha1) 0x[0-9a-f]* 96' &&
		    ok $n/xfrm-state || nok $n/xfrm-state
	else
		nok $n/start "$(tail -n 5 "$(ns_dir right iked)/iked.out" 2>/dev/null | tr '\n' '|')"
	fi
	cp "$(ns_dir right iked)/iked.out" "$W/$n-right-iked.log" 2>/dev/null
	save_logs $n
	ns_stop right iked
	stop_all
	check_clean $n/clean-left left
done

# --- ikerund to ikerund ---------------------------------------------------------------
for v in gcm cbc; do
	n=self-$v
	want $n || continue
	step $n
	if [ $v = gcm ]; then
		ike="enc aes-256-gcm prf hmac-sha2-256 group curve25519" child="enc aes-256-gcm"
		pat='aead rfc4106(gcm(aes))'
	else
		ike="enc aes-128 auth hmac-sha2-256 prf hmac-sha2-256 group modp2048" child="enc aes-128 auth hmac-sha2-256"
		pat='auth-trunc hmac(sha256) 0x[0-9a-f]* 128'
	fi
	ikerund_conf $n-l passive left "$ike" "$child"
	ikerund_conf $n-r active right "$ike" "$child"
	if ns_start_ikerund left "$W/$n-l.bin" && ns_start_ikerund right "$W/$n-r.bin"; then
		if ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q -- '$pat'"; then
			ok $n/established
		else
			nok $n/established "$(logs)"
		fi
		if ping_through; then ok $n/ping; else nok $n/ping "$(logs)"; fi
		# shutdown sends a Delete: the peer removes its state too
		ns_stop right ikerund
		if ns_wait 10 bash -c "! ip netns exec $NS_LEFT ip xfrm state | grep -q '^src'"; then
			ok $n/shutdown-delete
		else
			nok $n/shutdown-delete "$(ns_exec left ip xfrm state | tr '\n' '|')"
		fi
		check_clean $n/clean-right right
	else
		nok $n/start "$(logs)"
	fi
	save_logs $n
	stop_all
	check_clean $n/clean-left left
done

# --- fragmentation (RFC 7383) ---------------------------------------------------
# frag-resp/..., frag-init/...: ikerund with "set fragmentation" against
# strongSwan (fragmentation = yes, fragment_size = 400), ikerund's ID of
# some 800 bytes, strongSwan's of 196 (swanctl keeps 255 bytes of an id;
# it matches ours as "*.left.example"), so that IKE_AUTH is
# certificate-sized: both sides must send it in SKF fragments (tshark
# sees payload 53 both ways), reassemble, and carry a ping.
# frag-self/...: the same between two ikerund, 800-byte IDs both ways.
long_id() {	# SIDE [LABELS]
	local i
	for i in $(seq 1 "${2:-13}"); do
		printf 'label%02d-%s.' "$i" "$(printf '%052d' 0)"
	done
	printf '%s.example' "$1"
}

frag_ikerund_conf() {	# NAME MODE SIDE [PEER_LABELS [CHILD]]
	local lid rid
	if [ "$3" = left ]; then lid=$(long_id left) rid=$(long_id right "${4:-13}")
	else lid=$(long_id right) rid=$(long_id left "${4:-13}"); fi
	ikerund_conf "$1" "$2" "$3" "enc aes-128-gcm prf hmac-sha2-256 group curve25519" \
	    "${5:-enc aes-128-gcm}" || return 1
	{ echo "set fragmentation"; sed "s/srcid [^ ]* dstid [^ ]*/srcid $lid dstid $rid/" "$W/$1.conf"; } >"$W/$1.conf.new"
	mv "$W/$1.conf.new" "$W/$1.conf"
	chmod 0600 "$W/$1.conf"
	"$BUILD/ikecc" -f "$W/$1.conf" -o "$W/$1.bin" >"$W/$1.ikecc" 2>&1
}

# SKF datagrams from SRC in the capture
skf_from() {
	tshark -n -r "$1" -Y "ip.src == $2 && (udp.port == 500 || udp.port == 4500) && isakmp.nextpayload == 53" 2>/dev/null | wc -l
}

frag_check() {	# NAME PCAP: counters of left, fragments on the wire
	local n=$1 js l r mal
	js=$(ns_ikectl left show stats -j | jq -c .ike)
	if [ "$(jq '.fragments_sent >= 2 and .fragments_received >= 2 and .reassembled >= 1 and .reassembly_dropped == 0' <<<"$js")" = true ]; then
		ok "$n/counters"
	else
		nok "$n/counters" "$js"
	fi
	if [ -s "$2" ]; then
		l=$(skf_from "$2" "$LEFT_ADDR") r=$(skf_from "$2" "$RIGHT_ADDR")
		mal=$(tshark -n -r "$2" -Y "_ws.malformed || _ws.expert.severity >= error" 2>/dev/null | wc -l)
		if [ "$l" -ge 2 ] && [ "$r" -ge 2 ] && [ "$mal" = 0 ]; then
			ok "$n/tshark-skf-both-ways"
		else
			nok "$n/tshark-skf-both-ways" "$l SKF from left, $r from right, $mal malformed"
		fi
	else
		nok "$n/tshark-skf-both-ways" "no capture"
	fi
}

frag_swan() {	# NAME MODE(passive: strongSwan initiates; active: ikerund does)
	local n=$1 mode=$2 lid rid
	want "$n" || return 0
	step "$n"
	frag_ikerund_conf "$n" "$mode" left 3 || { nok "$n/compile" "$(cat "$W/$n.ikecc")"; return; }
	swan_conf "$n" aes128gcm16-prfsha256-x25519 aes128gcm16
	rid=$(long_id right 3)
	sed -i -e "s/id = right.example/id = $rid/" -e "s/id = left.example/id = *.left.example/" \
	    -e "/id-[12] = /d" \
	    -e "s/version = 2/version = 2\n\t\t\tfragmentation = yes/" "$W/$n.swan"
	ns_capture_start right "$W/$n.pcapng" >/dev/null 2>&1
	if [ "$mode" = passive ]; then
		ns_start_ikerund left "$W/$n.bin" &&
		    ns_start_charon right "$W/$n.swan" "fragment_size = 400"
	else
		ns_start_charon right "$W/$n.swan" "fragment_size = 400" &&
		    ns_start_ikerund left "$W/$n.bin"
	fi || { nok "$n/start" "$(logs)"; stop_all; ns_capture_stop right; return; }
	if [ "$mode" = passive ]; then
		ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1
	fi
	if ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q 'aead rfc4106(gcm(aes))'"; then
		ok "$n/established"
	else
		nok "$n/established" "$(logs)"
	fi
	if ping_through; then ok "$n/ping"; else nok "$n/ping" "$(ns_xfrm left | tr '\n' '|')"; fi
	save_logs "$n"
	ns_capture_stop right
	frag_check "$n" "$W/$n.pcapng"
	stop_all
	check_clean "$n/clean-left" left
}

frag_swan frag-resp passive
frag_swan frag-init active

n=frag-self
if want $n; then
	step $n
	frag_ikerund_conf $n-l passive left && frag_ikerund_conf $n-r active right ||
	    nok $n/compile "$(cat "$W/$n-l.ikecc" "$W/$n-r.ikecc")"
	ns_capture_start right "$W/$n.pcapng" >/dev/null 2>&1
	if ns_start_ikerund left "$W/$n-l.bin" && ns_start_ikerund right "$W/$n-r.bin"; then
		if ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q 'aead rfc4106(gcm(aes))'"; then
			ok $n/established
		else
			nok $n/established "$(logs)"
		fi
		if ping_through; then ok $n/ping; else nok $n/ping "$(logs)"; fi
		ns_capture_stop right
		frag_check $n "$W/$n.pcapng"
	else
		nok $n/start "$(logs)"
		ns_capture_stop right
	fi
	save_logs $n
	stop_all
	check_clean $n/clean-left left
fi

# frag-iked-resp/..., frag-iked-init/...: OpenIKED with "set fragmentation"
# reassembles ikerund's IKE_AUTH, made of SKF fragments by our 800-byte
# ID, either side initiating.  OpenIKED 7.2 keeps 38 bytes of an ID, so
# it uses its default ID and neither side asks for the other's; its own
# IKE_AUTH stays small and whole.
for role in resp init; do
	n=frag-iked-$role
	want $n || continue
	[ -x "$IKED" ] || { nok $n/start "no $IKED"; continue; }
	step $n
	child="enc aes-128 auth hmac-sha1"
	if [ $role = resp ]; then lm=active rm=passive; else lm=passive rm=active; fi
	frag_ikerund_conf $n-l $lm left 13 "$child" &&
	    ikerund_conf $n-r $rm right "enc aes-128-gcm prf hmac-sha2-256 group curve25519" "$child" ||
	    nok $n/compile "$(cat "$W/$n-l.ikecc" "$W/$n-r.ikecc")"
	sed -i 's/ dstid [^ ]*//' "$W/$n-l.conf"
	"$BUILD/ikecc" -f "$W/$n-l.conf" -o "$W/$n-l.bin" >"$W/$n-l.ikecc" 2>&1 ||
	    nok $n/compile "$(cat "$W/$n-l.ikecc")"
	{ echo "set fragmentation"; sed 's/srcid [^ ]* dstid [^ ]*//' "$W/$n-r.conf"; } >"$W/$n-r.new"
	mv "$W/$n-r.new" "$W/$n-r.conf"
	chmod 0600 "$W/$n-r.conf"
	ns_capture_start right "$W/$n.pcapng" >/dev/null 2>&1
	if ns_start_iked right "$W/$n-r.conf" && ns_start_ikerund left "$W/$n-l.bin"; then
		if ns_wait 40 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q 'hmac(sha1)'"; then
			ok $n/established
		else
			nok $n/established "$(tail -n 8 "$(ns_dir left ikerund)/ikerund.out" | tr '\n' '|') $(tail -n 8 "$(ns_dir right iked)/iked.out" | tr '\n' '|')"
		fi
		sleep 1
		if ping_through; then ok $n/ping; else nok $n/ping "$(ns_xfrm right | tr '\n' '|')"; fi
		ns_capture_stop right
		js=$(ns_ikectl left show stats -j | jq -c .ike)
		l=$(skf_from "$W/$n.pcapng" "$LEFT_ADDR")
		if [ "$(jq '.fragments_sent >= 2 and .reassembly_dropped == 0' <<<"$js")" = true ] && [ "$l" -ge 2 ]; then
			ok $n/fragments-to-iked
		else
			nok $n/fragments-to-iked "$l SKF on the wire; $js"
		fi
	else
		nok $n/start "$(tail -n 5 "$(ns_dir right iked)/iked.out" 2>/dev/null | tr '\n' '|')"
		ns_capture_stop right
	fi
	cp "$(ns_dir right iked)/iked.out" "$W/$n-right-iked.log" 2>/dev/null
	save_logs $n
	ns_stop right iked
	stop_all
	check_clean $n/clean-left left
done

# --- a flood of IKE_SA_INIT requests (RFC 7296 2.6) --------------------------------
# flood/...: ikerund on the left answers strongSwan (a "gw" SA that carries
# a ping) and road warriors from 203.0.113.0/24 ("rw", passive).  ikeflood
# sends IKE_SA_INIT requests from 200 addresses of 203.0.113.0/24 (spoofed:
# bound with IP_FREEBIND in the right namespace; the answers die there).
# Past the threshold (ikerund -C 20) every request gets a COOKIE and no
# state: half-open SAs stay at the threshold, the ikev2 process's memory
# stays flat, the established SA keeps carrying pings during the flood.
n=flood
if want $n; then
	step $n
	ikerund_conf $n passive left "enc aes-128-gcm prf hmac-sha2-256 group curve25519" "enc aes-128-gcm" ||
	    nok $n/compile "$(cat "$W/$n.ikecc")"
	cat >>"$W/$n.conf" <<-EOF
	ikev2 "rw" passive esp from $LEFT_NET to 192.0.2.128/25 \\
		local $LEFT_ADDR peer 203.0.113.0/24 \\
		ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 \\
		childsa enc aes-128-gcm psk "$PSK-rw"
	EOF
	"$BUILD/ikecc" -f "$W/$n.conf" -o "$W/$n.bin" >"$W/$n.ikecc" 2>&1 ||
	    nok $n/compile "$(cat "$W/$n.ikecc")"
	swan_conf $n aes128gcm16-prfsha256-x25519 aes128gcm16
	if ns_start_ikerund left "$W/$n.bin" -C 20 && ns_start_charon right "$W/$n.swan" &&
	    ns_swanctl right --initiate --child lan --timeout 20 >"$W/$n.initiate" 2>&1; then
		ok $n/established
		ik=$(for p in $(ns_pids left); do
			tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- '-T ikev2' && echo "$p"
		done | head -n 1)
		rss() { awk '/^VmRSS/ { print $2 }' "/proc/$ik/status"; }
		rss0=$(rss)
		ns_exec right "$BUILD/ikeflood" -s 203.0.113.20 -n 200 -c 20000 -r 2000 \
		    "$LEFT_ADDR" >"$W/$n.flood" 2>&1 &
		fpid=$!
		sleep 2
		if ping_through; then ok $n/ping-during-flood; else nok $n/ping-during-flood "$(logs)"; fi
		maxho=0
		while kill -0 $fpid 2>/dev/null; do
			ho=$(ns_ikectl left show sa -j | jq '[.sas[] | select(.state == "larval")] | length')
			[ "${ho:-0}" -gt "$maxho" ] && maxho=$ho
			sleep 1
		done
		wait $fpid
		rss1=$(rss)
		js=$(ns_ikectl left show stats -j | jq -c .ike)
		if [ "$(jq '.cookies_sent >= 1000' <<<"$js")" = true ]; then
			ok $n/cookies-on
		else
			nok $n/cookies-on "$js $(cat "$W/$n.flood")"
		fi
		[ "$maxho" -le 20 ] && ok $n/half-open-bounded || nok $n/half-open-bounded "$maxho half-open SAs"
		# 20000 half-open SAs would take some 40 MB; allow 2 MB of noise
		if [ -n "$rss0" ] && [ -n "$rss1" ] && [ $((rss1 - rss0)) -lt 2048 ]; then
			ok $n/memory-bounded
		else
			nok $n/memory-bounded "ikev2 RSS ${rss0:-?} kB before, ${rss1:-?} kB after"
		fi
		echo "# $n: $(cat "$W/$n.flood"); ikev2 RSS $rss0 kB -> $rss1 kB; at most $maxho half-open; $js"
		if ping_through; then ok $n/ping-after-flood; else nok $n/ping-after-flood "$(logs)"; fi
		[ "$(ns_ikectl left show sa -j | jq '[.sas[] | select(.state == "established")] | length')" = 1 ] &&
		    ok $n/sa-kept || nok $n/sa-kept
	else
		nok $n/start "$(logs)"
	fi
	save_logs $n
	stop_all
	check_clean $n/clean-left left
fi

step done
exit 0
