#!/bin/bash
# ikerund and ikectl: privilege separation, atomic stateful loads, the
# control socket, and what happens when a child dies.  Every daemon runs
# in a private temp directory (socket, pid file, key directory) and is
# stopped at the end, whatever happens.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
IKECC=$BUILD/ikecc
IKERUND=$BUILD/ikerund
IKECTL=$BUILD/ikectl

T=$(mktemp -d /tmp/ikerund-test.XXXXXX)
chmod 0755 "$T"
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+ $2}"; }
check() {	# check NAME COMMAND...: ok when the command succeeds
	local n=$1; shift
	if "$@" >/dev/null 2>&1; then ok "$n"; else nok "$n"; fi
}

SOCK=$T/ikerund.sock
ctl() { "$IKECTL" -s "$SOCK" "$@"; }

# start_daemon NAME [ikerund args]: starts, waits for the socket
start_daemon() {
	local name=$1; shift
	mkdir -p "$T/keys"
	chmod 0700 "$T/keys"
	"$IKERUND" -d -v -s "$SOCK" -P "$T/ikerund.pid" -K "$T/keys" "$@" \
	    >"$T/$name.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && ctl show stats >/dev/null 2>&1 && return 0
		kill -0 "$DPID" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

stop_daemon() {
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
}

# child_pid TYPE: pid of the "ikerund -T TYPE" child of $DPID
child_pid() {
	local p
	for p in $(pgrep -P "$DPID"); do
		if tr '\0' ' ' <"/proc/$p/cmdline" | grep -q -- "-T $1 "; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

flip() {	# flip FILE OFFSET: invert the low bit of one byte
	perl -e 'open(F, "+<", $ARGV[0]) or die; binmode F; seek(F, $ARGV[1], 0);
	    read(F, $c, 1); seek(F, $ARGV[1], 0); print F chr(ord($c) ^ 1);
	    close(F) or die' "$1" "$2"
}

stat_field() {	# stat_field KEY: from "show stats -j"
	ctl show stats -j | jq -r ".$1"
}

# compile CONF BLOB: a mode-0600 copy, compiled
compile() {
	local c=$T/conf.$$.$RANDOM
	cp "$1" "$c"
	chmod 0600 "$c"
	(cd "$(dirname "$1")" && "$IKECC" -f "$c" -o "$2") 2>/dev/null
	local rc=$?
	rm -f "$c"
	return $rc
}

# --- SA bookkeeping (unit test) ---------------------------------------------
if [ -x "$BUILD/satest" ]; then "$BUILD/satest"; else nok sa/unit-test "no $BUILD/satest"; fi

# --- start-up and privilege separation -------------------------------------
if ! start_daemon main; then
	nok "daemon/start" "$(tail -5 "$T/main.log" | tr '\n' ' ')"
	exit 0
fi
ok daemon/start

ikev2=$(child_pid ikev2)
ca=$(child_pid ca)
uid=$(id -u _ikerund)
if [ -n "$ikev2" ] && awk -v u="$uid" '/^Uid:/ { exit !($2 == u && $3 == u && $4 == u) }' \
    "/proc/$ikev2/status"; then
	ok privsep/ikev2-runs-as-_ikerund
else
	nok privsep/ikev2-runs-as-_ikerund
fi
if [ -n "$ikev2" ] && [ "$(readlink "/proc/$ikev2/root")" != / ]; then
	ok privsep/ikev2-chrooted
else
	nok privsep/ikev2-chrooted
fi
if [ -n "$ca" ] && [ "$(readlink "/proc/$ca/root")" = "$T/keys" ]; then
	ok privsep/ca-chrooted-to-keydir
else
	nok privsep/ca-chrooted-to-keydir "root=$(readlink "/proc/$ca/root" 2>/dev/null)"
fi
if [ -n "$ca" ] && ! awk '/^Uid:/ { exit !($2 == 0) }' "/proc/$ca/status"; then
	ok privsep/ca-not-root
else
	nok privsep/ca-not-root
fi
mode=$(stat -c '%a %U' "$SOCK")
[ "$mode" = "600 root" ] && ok control/socket-0600-root ||
    nok control/socket-0600-root "$mode"
check daemon/pidfile [ "$(cat "$T/ikerund.pid")" = "$DPID" ]
check daemon/starts-empty [ "$(stat_field generation)" = 0 ]

# --- every regress config: load, then show policy -j matches ikecc -nv ------
confs=$(ls "$TOP"/regress/parser/valid/*.conf "$TOP"/examples/*.conf 2>/dev/null)
n=0 bad=0
for c in $confs; do
	args=()
	[ -f "${c%.conf}.args" ] && read -r -a args <"${c%.conf}.args"
	[ ${#args[@]} -eq 0 ] || continue	# -D overrides: covered by parser tests
	cp "$c" "$T/c.conf"
	chmod 0600 "$T/c.conf"
	(cd "$(dirname "$c")" && "$IKECC" -nv -f "$T/c.conf") >"$T/want" 2>/dev/null || continue
	(cd "$(dirname "$c")" && "$IKECC" -f "$T/c.conf" -o "$T/c.bin") 2>/dev/null || continue
	n=$((n + 1))
	if ! ctl load "$T/c.bin" >"$T/load.out" 2>&1; then
		bad=$((bad + 1))
		echo "# load failed: $c: $(cat "$T/load.out")"
		continue
	fi
	ctl show policy -j | jq -r '.policies[].text' >"$T/got.pol"
	ctl show policy -j | jq -r '.users[]' >"$T/got.users"
	grep '^ikev2 ' "$T/want" >"$T/want.pol"
	grep '^user ' "$T/want" | sed 's/^user "\(.*\)" <redacted>$/\1/' >"$T/want.users"
	if ! cmp -s "$T/want.pol" "$T/got.pol" || ! cmp -s "$T/want.users" "$T/got.users"; then
		bad=$((bad + 1))
		echo "# show policy differs: $c"
	fi
	ctl show policy >"$T/got.txt"
	grep -v '^set ' "$T/want" | cmp -s - "$T/got.txt" || {
		bad=$((bad + 1)); echo "# show policy (text) differs: $c"; }
done
if [ $n -gt 0 ] && [ $bad -eq 0 ]; then
	ok "load/every-regress-config ($n configs)"
else
	nok "load/every-regress-config" "$bad of $n failed"
fi

# --- atomic loads -----------------------------------------------------------
cat >"$T/a.conf" <<'EOF'
ikev2 "a1" esp from 192.0.2.0/26 to 198.51.100.0/24 peer 192.0.2.129 psk "0123456789abcdef0123"
ikev2 "a2" esp from 192.0.2.64/26 to 203.0.113.0/24 peer 192.0.2.130 psk "0123456789abcdef0123"
EOF
cat >"$T/b.conf" <<'EOF'
ikev2 "a1" esp from 192.0.2.0/26 to 198.51.100.0/24 peer 192.0.2.129 psk "0123456789abcdef0123"
ikev2 "a2" esp from 192.0.2.64/26 to 203.0.113.0/24 peer 192.0.2.131 psk "0123456789abcdef0123"
ikev2 "b3" esp from 2001:db8:1::/48 to 2001:db8:2::/48 peer 2001:db8::1 psk "0123456789abcdef0123"
EOF
compile "$T/a.conf" "$T/a.bin" && compile "$T/b.conf" "$T/b.bin" || nok load/compile
ctl load "$T/a.bin" >"$T/out" 2>&1
gen=$(stat_field generation)
check load/good-blob-new-generation grep -q "^generation $gen loaded, digest" "$T/out"
check load/report-counts grep -q "policies: 2 added, [0-9]* removed, 0 changed, 0 kept" "$T/out"
ctl load "$T/b.bin" >"$T/out" 2>&1
check load/report-diff grep -q "policies: 1 added, 0 removed, 1 changed, 1 kept" "$T/out"
gen=$(stat_field generation)
digest=$(stat_field digest)

# a corrupted blob: refused with the loader's reason, nothing changes
cp "$T/a.bin" "$T/bad.bin"
flip "$T/bad.bin" 200
if ctl load "$T/bad.bin" >"$T/out" 2>&1; then
	nok load/corrupt-refused "exit 0"
else
	ok load/corrupt-refused
fi
check load/corrupt-reason-printed grep -qi "digest\|invalid\|malformed\|refused" "$T/out"
check load/corrupt-leaves-generation [ "$(stat_field generation)" = "$gen" ]
check load/corrupt-leaves-digest [ "$(stat_field digest)" = "$digest" ]
head -c 100 "$T/a.bin" >"$T/short.bin"
if ctl load "$T/short.bin" >/dev/null 2>&1; then nok load/truncated-refused; else ok load/truncated-refused; fi
check load/not-a-blob-refused bash -c "! $IKECTL -s $SOCK load $T/a.conf"

# dry run: a report, no switch
ctl load -n "$T/a.bin" >"$T/out" 2>&1
rc=$?
check load/dry-run-exit-0 [ $rc -eq 0 ]
check load/dry-run-report grep -q "policies: 0 added, 1 removed, 1 changed, 1 kept" "$T/out"
check load/dry-run-no-switch [ "$(stat_field generation)" = "$gen" ]

# from standard input; then "reload" has no file to reload
ctl load - <"$T/a.bin" >/dev/null 2>&1
check load/stdin [ "$(stat_field generation)" = $((gen + 1)) ]
if ctl reload >"$T/out" 2>&1; then nok reload/after-stdin-refused; else ok reload/after-stdin-refused; fi

# reload and SIGHUP load the last path again
ctl load "$T/b.bin" >/dev/null 2>&1
g=$(stat_field generation)
ctl reload >/dev/null 2>&1
check reload/ikectl-reload [ "$(stat_field generation)" = $((g + 1)) ]
kill -HUP "$DPID"
for _ in $(seq 50); do [ "$(stat_field generation)" = $((g + 2)) ] && break; sleep 0.1; done
check reload/sighup [ "$(stat_field generation)" = $((g + 2)) ]

# signed blobs: refused unsigned when ikerund has -k
# (covered with its own daemon below)

# --- one load at a time: concurrent loads are answered "busy" --------------
bash "$TOP/regress/daemon/genconf.sh" 20000 >"$T/big.conf"
compile "$T/big.conf" "$T/big.bin"
g0=$(stat_field generation)
par=()
for i in $(seq 6); do
	( ctl load "$T/big.bin" >"$T/par.$i" 2>&1; echo $? >"$T/par.$i.rc" ) &
	par+=($!)
done
wait "${par[@]}"
oks=0 busy=0 other=0
for i in $(seq 6); do
	if [ "$(cat "$T/par.$i.rc")" = 0 ]; then oks=$((oks + 1))
	elif grep -q "busy" "$T/par.$i"; then busy=$((busy + 1))
	else other=$((other + 1)); fi
done
check "load/concurrent-ok-or-busy ($oks ok, $busy busy)" [ $other -eq 0 ] 
check load/concurrent-one-generation-per-ok [ "$(stat_field generation)" = $((g0 + oks)) ]

# --- reload storm ------------------------------------------------------------
cp "$T/b.bin" "$T/flip.bin"
flip "$T/flip.bin" 77
head -c $(( $(stat -c %s "$T/b.bin") - 1 )) "$T/b.bin" >"$T/trunc.bin"
declare -A npol
ctl load "$T/a.bin" >"$T/out" 2>&1; da=$(sed -n 's/.*digest \([0-9a-f]*\).*/\1/p' "$T/out")
ctl load "$T/b.bin" >"$T/out" 2>&1; db=$(sed -n 's/.*digest \([0-9a-f]*\).*/\1/p' "$T/out")
npol[$da]=2 npol[$db]=3
g0=$(stat_field generation) ok0=$(stat_field loads) ref0=$(stat_field refused)
( while [ ! -e "$T/storm.done" ]; do
	ctl show stats -j >>"$T/polls" 2>/dev/null || echo BAD >>"$T/polls"
  done ) &
POLLER=$!
PIDS+=("$POLLER")
good=0 badloads=0 wrong=0
for i in $(seq 300); do
	case $((i % 4)) in
	0) f=a.bin; expect=0 ;;
	1) f=flip.bin; expect=1 ;;
	2) f=b.bin; expect=0 ;;
	3) f=trunc.bin; expect=1 ;;
	esac
	ctl load "$T/$f" >/dev/null 2>&1
	rc=$?
	[ $rc -eq 0 ] && rc=0 || rc=1
	[ $rc -eq $expect ] || wrong=$((wrong + 1))
	[ $expect -eq 0 ] && good=$((good + 1)) || badloads=$((badloads + 1))
done
touch "$T/storm.done"
wait "$POLLER"
check "storm/every-load-answered-right ($wrong wrong)" [ $wrong -eq 0 ]
check storm/one-generation-per-good-load [ "$(stat_field generation)" = $((g0 + good)) ]
check storm/loads-counted [ "$(stat_field loads)" = $((ok0 + good)) ]
check storm/refusals-counted [ "$(stat_field refused)" = $((ref0 + badloads)) ]
npolls=$(grep -c . "$T/polls")
incomplete=0
prev=0
while read -r line; do
	if [ "$line" = BAD ]; then incomplete=$((incomplete + 1)); continue; fi
	d=$(jq -r .digest <<<"$line")
	p=$(jq -r .policies <<<"$line")
	g=$(jq -r .generation <<<"$line")
	if [ "${npol[$d]:-x}" != "$p" ] || [ "$g" -lt "$prev" ]; then
		incomplete=$((incomplete + 1))
	fi
	prev=$g
done < <(grep -v '^$' "$T/polls")
check "storm/every-poll-complete-generation ($npolls polls)" [ "$npolls" -gt 0 -a $incomplete -eq 0 ]

# --- modes, reset, show sa ----------------------------------------------------
ctl passive >/dev/null && check mode/passive [ "$(stat_field mode)" = passive ]
ctl active >/dev/null && check mode/active [ "$(stat_field mode)" = active ]
ctl decouple >/dev/null && check mode/decouple [ "$(stat_field kernel)" = decouple ]
ctl couple >/dev/null && check mode/couple [ "$(stat_field kernel)" = couple ]
check show/sa-json-empty [ "$(ctl show sa -j | jq '.sas | length')" = 0 ]
check reset/sa ctl reset sa
check reset/id ctl reset id foo@example.com
g=$(stat_field generation)
check reset/policy ctl reset policy
check reset/policy-empty-generation [ "$(stat_field policies)" = 0 -a "$(stat_field generation)" = $((g + 1)) ]

# --- unprivileged clients -----------------------------------------------------
if setpriv --reuid=nobody --regid=nogroup --clear-groups "$IKECTL" -s "$SOCK" show stats \
    >"$T/out" 2>&1; then
	nok control/socket-mode-keeps-users-out
else
	ok control/socket-mode-keeps-users-out
fi
r0=$(stat_field clients_refused)
chmod 0666 "$SOCK"
setpriv --reuid=nobody --regid=nogroup --clear-groups "$IKECTL" -s "$SOCK" show stats \
    >"$T/out" 2>&1
rc=$?
chmod 0600 "$SOCK"
check control/peercred-refuses-non-root [ $rc -ne 0 ]
check control/peercred-says-why grep -q "permission denied" "$T/out"
check control/refusal-counted [ "$(stat_field clients_refused)" = $((r0 + 1)) ]

# a client sending garbage is dropped and counted; the daemon lives on
m0=$(stat_field malformed_messages)
printf '\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377\377' |
    timeout 5 socat - UNIX-CONNECT:"$SOCK" >/dev/null 2>&1
check control/garbage-counted [ "$(stat_field malformed_messages)" -gt "$m0" ]
check control/daemon-survives-garbage ctl show stats

# --- shutdown, child death ------------------------------------------------------
stop_daemon
check daemon/sigterm-removes-socket [ ! -e "$SOCK" ]
check daemon/sigterm-removes-pidfile [ ! -e "$T/ikerund.pid" ]

for victim in ca ikev2; do
	start_daemon "kill-$victim" || { nok "death/$victim-start"; continue; }
	p=$(child_pid "$victim")
	kill -9 "$p"
	for _ in $(seq 100); do kill -0 "$DPID" 2>/dev/null || break; sleep 0.05; done
	if kill -0 "$DPID" 2>/dev/null; then
		nok "death/$victim-killed-daemon-exits"
		stop_daemon
	else
		ok "death/$victim-killed-daemon-exits"
	fi
	wait "$DPID" 2>/dev/null
	check "death/$victim-logged" grep -q "$victim process (pid $p) was killed by signal 9: exiting" \
	    "$T/kill-$victim.log"
	check "death/$victim-no-orphans" bash -c "! pgrep -u _ikerund -f -- '-K $T/keys' >/dev/null"
	check "death/$victim-socket-removed" [ ! -e "$SOCK" ]
done

# --- signed blobs -----------------------------------------------------------------
openssl genpkey -algorithm ed25519 -out "$T/sign.key" 2>/dev/null
openssl pkey -in "$T/sign.key" -pubout -out "$T/sign.pub" 2>/dev/null
cp "$T/a.conf" "$T/s.conf"; chmod 0600 "$T/s.conf"
"$IKECC" -f "$T/s.conf" -k "$T/sign.key" -o "$T/signed.bin" 2>/dev/null
if start_daemon signed -k "$T/sign.pub"; then
	check sign/signed-accepted ctl load "$T/signed.bin"
	if ctl load "$T/a.bin" >"$T/out" 2>&1; then nok sign/unsigned-refused; else ok sign/unsigned-refused; fi
	check sign/reset-policy-still-works ctl reset policy
	stop_daemon
else
	nok sign/start
fi

# --- a second daemon cannot steal a live socket ---------------------------------------
start_daemon first
"$IKERUND" -d -s "$SOCK" -P "$T/second.pid" -K "$T/keys" >"$T/second.log" 2>&1
check daemon/second-instance-refused grep -q "in use" "$T/second.log"
check daemon/first-still-serving ctl show stats
stop_daemon
exit 0
