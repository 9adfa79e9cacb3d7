#!/bin/bash
# The kernel interface of ikerund's parent (ikerund/kernel.c, XFRM
# netlink through libmnl), driven by $BUILD/xfrmtest:
#   on this machine's kernel, in private network namespaces:
#     request codecs and validation (no kernel); policies in, out, fwd
#     added, read back with ip(8), refused when bad, deleted; an acquire
#     notification; the start-up flush after a "crash" removes only
#     ikerund's reqid band (foreign policies added with ip survive)
#   in the UML guest (regress/uml/uml-run.sh; this kernel has no ESP):
#     SAs with every algorithm, checked in "ip xfrm state" (RFC 4868
#     truncation: hmac(sha256) 128, sha384 192, sha512 256), ESN, expire
#     notifications, the start-up flush with SAs, and a ping through a
#     tunnel between two namespaces with counters read back, a deletion
#     and the flush on exit.
# Prints "ok NAME" / "not ok NAME reason"; exits 0 (regress/run.sh).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
X=${XFRMTEST:-$BUILD/xfrmtest}
UML_RUN=$TOP/regress/uml/uml-run.sh
BAND='reqid (1769078784|1769144319) '	# what "leave" installs

ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+ $2}"; }

# drive SCENARIO [NS]: xfrmtest in namespace NS; a crash is a failure
drive() {
	local s=$1 ns=${2:-} rc
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$X" $s
	else
		"$X" $s
	fi
	rc=$?
	[ $rc -eq 0 ] || nok "kernel/${s%% *}-driver" "xfrmtest exited $rc"
}

# foreign_policies NS: policies that are not ikerund's: reqid 7, and the
# two reqids just outside its band
foreign_policies() {
	local ns=$1 r n=0
	for r in 7 1769078783 1769144320; do
		n=$((n + 1))
		ip -n "$ns" xfrm policy add src 198.51.100.0/$((24 + n)) \
		    dst 203.0.113.0/24 dir out tmpl src 192.0.2.1 \
		    dst 192.0.2.2 proto esp reqid $r mode tunnel || return 1
	done
}

spared() {	# spared NS: the foreign state is all there is
	local ns=$1 p
	p=$(ip -n "$ns" xfrm policy)
	echo "$p" | grep -q 'reqid 7 mode' &&
	    echo "$p" | grep -q 'reqid 1769078783 mode' &&
	    echo "$p" | grep -q 'reqid 1769144320 mode' &&
	    ! ip -n "$ns" xfrm policy | grep -Eq "$BAND" &&
	    ! ip -n "$ns" xfrm state | grep -Eq "$BAND"
}

# --- inside the UML guest -----------------------------------------------------
if [ "${1:-}" = --guest ]; then
	NS_LEFT=kleft NS_RIGHT=kright NS_NO_TRAP=1
	source "$TOP/regress/uml/netns.sh"
	K=kone
	trap 'ns_down; ip netns del $K 2>/dev/null' EXIT
	ip netns add $K && ip -n $K link set lo up || {
		nok kernel/uml-namespace; exit 0; }
	drive algos $K
	drive expire $K
	drive "leave -s" $K
	key=0x0102030405060708090a0b0c0d0e0f1011121314
	for r in 7 1769144320; do
		ip -n $K xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp \
		    spi $((0x7000 + ${#r})) reqid $r mode tunnel \
		    aead 'rfc4106(gcm(aes))' $key 128
	done
	foreign_policies $K || nok kernel/uml-foreign "ip xfrm add failed"
	drive "startup -s" $K
	if spared $K && ip -n $K xfrm state | grep -q 'reqid 7 mode' &&
	    ip -n $K xfrm state | grep -q 'reqid 1769144320 mode'; then
		ok kernel/uml-exit-spares-others
	else
		nok kernel/uml-exit-spares-others \
		    "$(ip -n $K xfrm state; ip -n $K xfrm policy)"
	fi
	if ns_up; then
		drive "ping $NS_LEFT $NS_RIGHT"
	else
		nok kernel/uml-ping "ns_up failed"
	fi
	exit 0
fi

# --- on this machine ----------------------------------------------------------
if [ ! -x "$X" ]; then
	nok kernel/build "$X not built (make tests)"
	exit 0
fi
drive msg
if [ "$(id -u)" -ne 0 ]; then
	nok kernel/namespaces "needs root for network namespaces"
	exit 0
fi

NSS=()
cleanup() {
	local ns
	for ns in "${NSS[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
newns() {	# newns NAME: a fresh namespace with lo up, in $ns
	ns=ikerun-kernel-$$-$1
	ip netns add "$ns" || return 1
	NSS+=("$ns")
	ip -n "$ns" link set lo up
}

if newns policy; then
	drive policy "$ns"
else
	nok kernel/namespaces "ip netns add failed"
	exit 0
fi

# the lo of a namespace bypasses IPsec unless told otherwise
newns acquire &&
    ip netns exec "$ns" sysctl -q -w net.ipv4.conf.lo.disable_xfrm=0 \
    net.ipv4.conf.lo.disable_policy=0 &&
    ip -n "$ns" addr add 192.0.2.1/24 dev lo &&
    drive acquire "$ns"

newns startup && drive leave "$ns"
foreign_policies "$ns" || nok kernel/foreign "ip xfrm policy add failed"
drive startup "$ns"
if spared "$ns"; then
	ok kernel/exit-spares-others
else
	nok kernel/exit-spares-others "$(ip -n "$ns" xfrm policy)"
fi

# --- in the UML guest ---------------------------------------------------------
uml_skip() {
	local n
	for n in uml-algos uml-expire uml-startup uml-ping; do
		echo "ok kernel/$n # skip $1"
	done
}
# ASan cannot map its shadow memory in a UML process: the guest runs
# the plain build's driver then, when there is one
asan() { grep -qa __asan_init "$1"; }
UX=$X
if asan "$UX" && [ -x "$TOP/build/xfrmtest" ] &&
    ! asan "$TOP/build/xfrmtest"; then
	UX=$TOP/build/xfrmtest
fi
if [ ! -x "$UML_RUN" ]; then
	uml_skip "no UML harness yet"
elif [ ! -x /usr/bin/linux.uml ]; then
	uml_skip "no /usr/bin/linux.uml (make deps)"
elif asan "$UX"; then
	uml_skip "an ASan build cannot run in UML (make tests first)"
else
	out=$(mktemp) || exit 1
	trap 'cleanup; rm -f "$out"' EXIT
	TOP=$TOP BUILD=$BUILD "$UML_RUN" -m 512M -t "${UML_TIMEOUT:-300}" \
	    -e XFRMTEST="$UX" "$here/test.sh" --guest >"$out" 2>&1
	rc=$?
	cat "$out"
	grep -q '^ok kernel/ping-flush-on-close' "$out" ||
	    grep -q '^not ok kernel/ping' "$out" ||
	    nok kernel/uml "the guest did not finish (uml-run.sh exit $rc)"
	[ $rc -eq 0 ] || nok kernel/uml-run "uml-run.sh exited $rc"
fi
exit 0
