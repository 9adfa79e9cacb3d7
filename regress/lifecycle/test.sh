#!/bin/bash
# The SA life cycle with real peers and real ESP: inside one UML guest
# (regress/uml/uml-run.sh), namespaces "left" and "right" from
# regress/uml/netns.sh, and for the NAT scenarios a third one, "nat",
# masquerading right behind it (ns_up_nat).  Every scenario runs
# strongSwan to strongSwan first where that proves the harness (swan-*),
# then ikerund against strongSwan and against ikerund.
#
#   swan-rekey, rekey-init, rekey-resp, rekey-self
#       CHILD and IKE SAs rekeyed by CREATE_CHILD_SA under a running ping
#       (5 per second, 40 s; CHILD SAs rekeyed about every 18 s, the IKE
#       SA about every 27 s, PFS with Curve25519): no ping lost, new ESP SPIs in
#       "ip xfrm state" over time and on the wire, CREATE_CHILD_SA requests
#       from the side that should rekey, a second IKE SPI pair on the
#       wire, the first SAs gone afterwards and one IKE SA and one CHILD
#       SA pair left on each side.  rekey-init: ikerund rekeys (its
#       lifetimes short, strongSwan's long), rekey-resp: strongSwan
#       rekeys and ikerund answers, rekey-self: ikerund to ikerund, left
#       rekeys the CHILD SA and right the IKE SA.
#   rekey-stall
#       strongSwan rekeys while ikerund's parent (which puts SAs in the
#       kernel) is stopped for 3 s: ikerund answers only once its new
#       inbound SA is in, and no ping is lost.
#   swan-simul, simul-swan, simul
#       simultaneous rekeys (RFC 7296 2.8.1/2.8.2): both sides rekey the
#       CHILD and the IKE SA at the same moment (their lifetimes 1 s
#       apart, the time by which the initiator's SAs start later), with
#       1 s of delay each way (netem) so that their CREATE_CHILD_SA
#       requests cross: a collision seen by the daemons, and afterwards
#       one IKE SA and one CHILD SA pair on each side, traffic passes.
#   swan-dpd, dpd-swan, dpd-self
#       the peer is killed (SIGKILL, no Delete); the survivor's liveness
#       checks ("set dpd_check_interval 3", strongSwan dpd_delay 3s) find
#       it dead: its SAs and kernel state go; its active policy brings the
#       tunnel back once the peer is started again (ping passes).
#   delete-self
#       ikerund to ikerund: "ikectl reset sa" on the responder, then on
#       the initiator: the other side's SAs and kernel state go too
#       (strongSwan's terminate and ikectl reset against strongSwan are
#       in regress/interop: delete/...).
#   swan-nat, nat-resp, nat-init, nat-self
#       right behind a NAT that changes addresses and ports: NAT
#       detection payloads in IKE_SA_INIT, IKE moves to UDP 4500 with the
#       non-ESP marker, ESP in UDP in the kernel (encap espinudp) and on
#       the wire, never bare ESP, a ping through, NAT keepalives from
#       behind; the Delete goes through the NAT too.  nat-resp: ikerund
#       in front (responder), nat-init: ikerund behind (initiator),
#       nat-self: both ikerund.
#   swan-nat-remap, nat-remap, nat-remap-init
#       the NAT moves right to another address and forgets its mappings
#       mid-session; the side in front follows on the same IKE SA, its
#       SAs point at the new address only, traffic passes again.
#       nat-remap: ikerund in front, nat-remap-init: ikerund behind.
# Scenarios run PAR (default 6) at a time; the whole suite takes about
# 6 minutes.  ONLY="a b" picks scenarios; KEEP=1 keeps the guest's
# files (logs, captures, configurations in $UML_JOB/lifecycle/NAME/).
# Prints "ok NAME" / "not ok NAME reason"; exits 0 (regress/run.sh).
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
uml=$TOP/regress/uml

ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+ $2}"; }

# --- host side: boot the guest, run this script in it -------------------------
if [ "${1:-}" != --guest ]; then
	if [ "$(id -u)" -ne 0 ]; then
		nok lifecycle/boot "needs root (regress/uml/uml-run.sh)"
		exit 0
	fi
	if [ ! -x /usr/bin/linux.uml ] || [ ! -x /usr/lib/ipsec/charon ] ||
	    ! command -v iptables-legacy >/dev/null ||
	    ! command -v conntrack >/dev/null; then
		nok lifecycle/boot "no linux.uml, charon, iptables or conntrack (make deps)"
		exit 0
	fi
	for p in ikecc ikerund ikectl; do
		[ -x "$BUILD/$p" ] || { nok lifecycle/boot "$BUILD/$p not built"; exit 0; }
	done
	out=$(mktemp) || exit 1
	trap 'rm -f "$out"' EXIT
	TOP=$TOP BUILD=$BUILD "$uml/uml-run.sh" ${ONLY:+-e "ONLY=$ONLY"} \
	    -m 768M -t "${UML_TIMEOUT:-1200}" "$here/test.sh" --guest 2>&1 |
	    tee "$out" | grep -v '^netns: ' | grep -E '^(ok|not ok|#)' || true
	rc=${PIPESTATUS[0]}
	grep -q '^ok lifecycle/boot' "$out" ||
	    nok lifecycle/boot "the guest ran nothing (uml-run.sh exit $rc): $(tail -n 5 "$out" | tr '\n' ' ')"
	[ "$rc" -eq 0 ] || nok lifecycle/guest "uml-run.sh exited $rc"
	exit 0
fi

# --- guest side -------------------------------------------------------------------
# Each scenario runs in a subshell of its own with namespaces of its own
# (NAME-l, NAME-r, NAME-n), PAR of them at a time (default 6): most of
# their time is spent waiting for lifetimes and timeouts, not on the
# guest's one CPU.  A scenario's lines are printed when it ends.
source "$uml/netns.sh"
t0=$(date +%s)
step() { echo "# $(( $(date +%s) - t0 ))s: $*"; }
PSK=lifecycle-regress-psk-not-a-secret-4711
W=$UML_JOB/lifecycle
mkdir -p "$W"
ok "lifecycle/boot $(uname -r)"

# ONLY="swan-rekey nat-resp ...": run just those scenarios
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }

# setup NAME plain|nat: this scenario's namespaces, L and R (and N, the
# NAT's); they go when the scenario's subshell exits.  Either side drops
# what comes from the other's LAN outside IPsec (xt_policy), so that a
# ping between the LANs passes only through a tunnel, with or without
# the NAT.
setup() {
	NS_LEFT=$1-l NS_RIGHT=$1-r NS_NAT_NS=$1-n NS_RUN=
	L=$NS_LEFT R=$NS_RIGHT N=$NS_NAT_NS
	if [ "$2" = nat ]; then
		NS_NAT=1 ns_up || { nok "$1/netns"; return 1; }
	else
		NS_NAT=0 ns_up || { nok "$1/netns"; return 1; }
	fi
	if ! ns_exec "$L" "$IPTABLES" -A INPUT -s "$RIGHT_NET" -d "$LEFT_NET" \
	    -m policy --dir in --pol none -j DROP ||
	    ! ns_exec "$R" "$IPTABLES" -A INPUT -s "$LEFT_NET" -d "$RIGHT_NET" \
	    -m policy --dir in --pol none -j DROP; then
		nok "$1/netns" "cannot drop clear text"
		return 1
	fi
}

# wait_for SECONDS CMD...: CMD every 0.5 s until it succeeds, for
# SECONDS however long CMD takes (ns_wait polls every 0.1 s: too often
# for several scenarios on one UML CPU)
wait_for() {
	local end=$((SECONDS + $1)); shift
	while :; do
		"$@" && return 0
		[ "$SECONDS" -ge "$end" ] && return 1
		sleep 0.5
	done
}

# --- the two sides ------------------------------------------------------------
# Each scenario says, for each side (keys $L and $R): KIND (ikerund or
# swan), MODE (active: it initiates; passive), and optionally LIFE_C /
# LIFE_I (seconds until this side rekeys the CHILD / IKE SA; unset: the
# daemon's long default), DPD (seconds between liveness checks), PFS (1:
# a DH group in the CHILD SA proposals, so rekeys exchange KE payloads),
# PEER (the other side's address, default what it looks like from here:
# the NAT's for left).
declare -A KIND=() MODE=() LIFE_C=() LIFE_I=() DPD=() PFS=() PEER=()
sides() {		# sides LEFT_KIND LEFT_MODE RIGHT_KIND RIGHT_MODE
	KIND=([$L]=$1 [$R]=$3) MODE=([$L]=$2 [$R]=$4)
	LIFE_C=() LIFE_I=() DPD=() PFS=() PEER=()
}
side() { [ "$1" = "$L" ] && echo left || echo right; }
# strongSwan settings for every charon: quick retransmissions (1 s, then
# x1.4: a dead peer is given up after about 7 s), rekeyed inbound SAs
# kept 2 s
CHARON_EXTRA='retransmit_timeout = 1
		retransmit_base = 1.4
		delete_rekeyed_delay = 2'
CHARON_SLOW='retransmit_timeout = 4
		delete_rekeyed_delay = 2'

side_addrs() {		# sets laddr raddr lnet rnet lid rid for side $1
	if [ "$1" = "$L" ]; then
		laddr=$LEFT_ADDR raddr=${PEER[$L]:-$RIGHT_PUB}
		lnet=$LEFT_NET rnet=$RIGHT_NET lid=left.example rid=right.example
	else
		laddr=$RIGHT_ADDR raddr=${PEER[$R]:-$LEFT_ADDR}
		lnet=$RIGHT_NET rnet=$LEFT_NET lid=right.example rid=left.example
	fi
}

# side_conf SIDE: its configuration, $W/NAME-SIDE.{conf,bin} (ikerund)
# or $W/NAME-SIDE.swan (strongSwan)
side_conf() {
	local s=$1 f laddr raddr lnet rnet lid rid
	local c=${LIFE_C[$1]:-} i=${LIFE_I[$1]:-} d=${DPD[$1]:-} pfs=${PFS[$1]:-}
	side_addrs "$s"
	f=$W/$s
	if [ "${KIND[$s]}" = ikerund ]; then
		[ "$raddr" = %any ] && raddr=any
		{
			[ -n "$d" ] && echo "set dpd_check_interval $d"
			echo "ikev2 \"gw\" ${MODE[$s]} esp from $lnet to $rnet \\"
			echo "	local $laddr peer $raddr \\"
			echo "	ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 \\"
			echo "	childsa enc aes-128-gcm${pfs:+ group curve25519} \\"
			echo "	srcid $lid dstid $rid${i:+ ikelifetime $i}${c:+ lifetime $c} \\"
			echo "	psk \"$PSK\""
		} >"$f.conf"
		chmod 0600 "$f.conf"
		"$BUILD/ikecc" -f "$f.conf" -o "$f.bin" >"$f.ikecc" 2>&1
		return
	fi
	# strongSwan: rand_time 0, so that it rekeys when told; hard limits
	# twice the rekey times
	{
		echo "connections {"
		echo "	gw {"
		echo "		version = 2"
		echo "		local_addrs = $laddr"
		echo "		remote_addrs = $raddr"
		echo "		proposals = aes128gcm16-prfsha256-x25519"
		echo "		reauth_time = 0"
		if [ -n "$i" ]; then
			echo "		rekey_time = ${i}s"
			echo "		over_time = $((i * ${SWAN_OVER:-1}))s"
			echo "		rand_time = 0s"
		fi
		[ -n "$d" ] && echo "		dpd_delay = ${d}s"
		[ "${MODE[$s]}" = active ] && echo "		keyingtries = 0"
		echo "		local {"
		echo "			auth = psk"
		echo "			id = $lid"
		echo "		}"
		echo "		remote {"
		echo "			auth = psk"
		echo "			id = $rid"
		echo "		}"
		echo "		children {"
		echo "			lan {"
		echo "				mode = tunnel"
		echo "				local_ts = $lnet"
		echo "				remote_ts = $rnet"
		echo "				esp_proposals = aes128gcm16${pfs:+-x25519}"
		if [ -n "$c" ]; then
			echo "				rekey_time = ${c}s"
			echo "				life_time = $((c * 2))s"
			echo "				rand_time = 0s"
		fi
		if [ "${MODE[$s]}" = active ] && [ -n "$d" ]; then
			echo "				dpd_action = restart"
		fi
		echo "			}"
		echo "		}"
		echo "	}"
		echo "}"
		echo "secrets {"
		echo "	ike-gw {"
		echo "		id-1 = left.example"
		echo "		id-2 = right.example"
		echo "		secret = \"$PSK\""
		echo "	}"
		echo "}"
	} >"$f.swan"
	chmod 0600 "$f.swan"
}

start_side() {		# its daemon, with the configuration of side_conf
	if [ "${KIND[$1]}" = ikerund ]; then
		ns_start_ikerund "$1" "$W/$1.bin"
	else
		ns_start_charon "$1" "$W/$1.swan" "${SWAN_EXTRA:-$CHARON_EXTRA}"
	fi
}

initiate() {		# a strongSwan side that is active initiates
	[ "${MODE[$1]}" = active ] && [ "${KIND[$1]}" = swan ] || return 0
	ns_swanctl "$1" --initiate --child lan --timeout 30 \
	    >"$W/$1.initiate" 2>&1 &
}

# bring_up NAME: configure and start both sides, passive ones first, and
# have the active side initiate (ikerund does by itself); 1 when any
# part fails
bring_up() {
	local n=$1 s
	for s in "$L" "$R"; do
		if ! side_conf "$s"; then
			nok "$n/config" "$(cat "$W/$s.ikecc" 2>/dev/null)"
			return 1
		fi
	done
	for s in "$L" "$R"; do
		[ "${MODE[$s]}" = passive ] || continue
		start_side "$s" || { nok "$n/start" "$(side "$s"): $(logs)"; return 1; }
	done
	for s in "$L" "$R"; do
		[ "${MODE[$s]}" = active ] || continue
		start_side "$s" || { nok "$n/start" "$(side "$s"): $(logs)"; return 1; }
	done
	initiate "$L"
	initiate "$R"
	if wait_for 40 up; then
		ok "$n/established"
	else
		nok "$n/established" "$(logs)"
		return 1
	fi
}

logfile() {		# the log of side $1's daemon
	if [ "${KIND[$1]}" = ikerund ]; then
		echo "$(ns_dir "$1" ikerund)/ikerund.out"
	else
		echo "$(ns_dir "$1" charon)/charon.log"
	fi
}
logs() {		# their last lines, for a failure
	local s
	for s in "$L" "$R"; do
		echo "[$(side "$s") ${KIND[$s]}]"
		tail -n 6 "$(logfile "$s")" 2>/dev/null
	done | tr '\n' '|'
}
save_logs() {
	local s
	for s in "$L" "$R"; do
		cp "$(logfile "$s")" "$W/$s-${KIND[$s]}.log" 2>/dev/null
	done
}

# kill_side SIDE: SIGKILL its daemon and the daemon's children: no
# Delete.  All are stopped first: killed one by one, the survivors may
# see the others die and shut down cleanly (ikerund's parent stops its
# ikev2 process, which sends Deletes) before their own SIGKILL.
kill_side() {
	local d pid kids
	if [ "${KIND[$1]}" = ikerund ]; then
		d=$(ns_dir "$1" ikerund)
	else
		d=$(ns_dir "$1" charon)
	fi
	pid=$(cat "$d/pid")
	kids=$(pgrep -P "$pid")
	kill -STOP "$pid" $kids 2>/dev/null
	kill -KILL "$pid" $kids 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$d/pid"
	cp "$(logfile "$1")" "$W/$1-${KIND[$1]}-killed.log" 2>/dev/null
}

# --- what the kernel and the daemons hold ----------------------------------------
nstates() { ns_exec "$1" ip xfrm state | grep -c '^src'; }
spis() {		# the ESP SPIs in the kernel of side $1, sorted
	ns_exec "$1" ip xfrm state | sed -n 's/.* spi \(0x[0-9a-f]*\) .*/\1/p' | sort
}
ike_sas() {		# established IKE SAs of side $1
	if [ "${KIND[$1]}" = ikerund ]; then
		ns_ikectl "$1" show sa -j 2>/dev/null |
		    jq '[.sas[] | select(.state == "established")] | length' 2>/dev/null ||
		    echo 0
	else
		ns_swanctl "$1" --list-sas 2>/dev/null |
		    grep -c '^gw: #[0-9]*, ESTABLISHED'
	fi
}
ike_spis() {		# the SPIs of side $1's established IKE SAs
	if [ "${KIND[$1]}" = ikerund ]; then
		ns_ikectl "$1" show sa -j 2>/dev/null |
		    jq -r '.sas[] | select(.state == "established") | .ispi + "_" + .rspi' |
		    sort | tr '\n' ' '
	else
		ns_swanctl "$1" --list-sas 2>/dev/null |
		    sed -n 's/^gw: #[0-9]*, ESTABLISHED, IKEv2, \([0-9a-f]*\)_i\*\{0,1\} \([0-9a-f]*\)_r.*/\1_\2/p' |
		    sort | tr '\n' ' '
	fi
}
stat_of() {		# stat_of SIDE COUNTER: one of ikerund's IKE counters
	ns_ikectl "$1" show stats -j 2>/dev/null | jq -r ".ike.$2 // \"none\""
}
# stat_ge SIDE COUNTER MIN: the counter is there and at least MIN
stat_ge() {
	local v; v=$(stat_of "$1" "$2")
	case $v in ''|*[!0-9]*) return 1 ;; esac
	[ "$v" -ge "$3" ]
}
# stats NAME SIDE COUNTER...: ok when each counter of side's ikerund >= 1
stats() {
	local n=$1 s=$2 c bad=; shift 2
	[ "${KIND[$s]}" = ikerund ] || return 0
	for c; do
		stat_ge "$s" "$c" 1 || bad="$bad $c=$(stat_of "$s" "$c")"
	done
	if [ -z "$bad" ]; then
		ok "$n/stats-$(side "$s")"
	else
		nok "$n/stats-$(side "$s")" "show stats -j:$bad"
	fi
}
# up: both sides have an IKE SA and a CHILD SA pair in the kernel
up() {
	local s
	for s in "$L" "$R"; do
		[ "$(nstates "$s")" -ge 2 ] && [ "$(ike_sas "$s")" -ge 1 ] || return 1
	done
}
# settled: exactly one IKE SA and one CHILD SA pair on each side
settled() {
	local s
	for s in "$L" "$R"; do
		[ "$(nstates "$s")" = 2 ] && [ "$(ike_sas "$s")" = 1 ] || return 1
	done
}
state_of() {		# for a failure: SAs and IKE SAs of both sides
	echo "left $(nstates "$L") SAs, $(ike_sas "$L") IKE SAs; right $(nstates "$R") SAs, $(ike_sas "$R") IKE SAs"
}
gone() {		# side $1 has no SA in its kernel and no established IKE SA
	[ "$(nstates "$1")" = 0 ] && [ "$(ike_sas "$1")" = 0 ]
}

# ping from the right LAN to the left one: COUNT packets, 5 a second;
# the output in $W/NAME.ping, a line per answer.  0 when none was lost.
ping_run() {
	ns_exec "$R" ping -n -i 0.2 -c "$2" -w $(($2 / 5 + 10)) \
	    -I "$RIGHT_LAN" "$LEFT_LAN" >"$W/$1.ping" 2>&1
	grep -q " $2 received, 0% packet loss" "$W/$1.ping"
}
ping_ok() {		# three pings pass
	ns_exec "$R" ping -n -q -i 0.2 -c 3 -w 5 -I "$RIGHT_LAN" "$LEFT_LAN" \
	    >/dev/null 2>&1
}
# for a failure: ping's summary, the sequence numbers never answered
# (sent 0.2 s apart) and the kernel's IPsec counters that moved meanwhile
# on each side (xstat_mark before the ping)
ping_summary() {
	local n sent lost
	n=$(grep "packet loss" "$W/$1.ping" 2>/dev/null)
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$W/$1.ping")
	lost=$(seq 1 "${sent:-0}" | grep -vxF -f <(sed -n \
	    's/.* icmp_seq=\([0-9]*\) .*/\1/p' "$W/$1.ping") | head -n 20 |
	    tr '\n' ' ')
	echo "$n; no answer to icmp_seq ${lost:-none}; left xfrm_stat: $(xstat_diff "$L"); right: $(xstat_diff "$R")"
}
xstat() { ns_exec "$1" cat /proc/net/xfrm_stat 2>/dev/null; }
xstat_mark() { xstat "$L" >"$W/xstat-l"; xstat "$R" >"$W/xstat-r"; }
xstat_diff() {		# the counters of side $1 that moved since xstat_mark
	local f=$W/xstat-r
	[ "$1" = "$L" ] && f=$W/xstat-l
	join <(sort "$f") <(xstat "$1" | sort) |
	    awk '$3 != $2 { printf "%s +%d ", $1, $3 - $2 }'
}

# tshark over a capture: FILE FILTER [FIELD...]
tsh() {
	local f=$1 y=$2; shift 2
	if [ $# -gt 0 ]; then
		tshark -n -r "$f" -Y "$y" -T fields $(printf -- '-e %s ' "$@") \
		    2>/dev/null
	else
		tshark -n -r "$f" -Y "$y" 2>/dev/null
	fi
}
tshc() { tsh "$@" | wc -l; }

# every 0.5 s, the ESP SPIs in left's kernel, one sample a line
spi_sampler_start() {
	ns_spawn "$L" spis bash -c \
	    'while :; do echo $(ip xfrm state | sed -n "s/.* spi \(0x[0-9a-f]*\) .*/\1/p"); sleep 0.5; done'
}
spi_samples() { cat "$(ns_dir "$L" spis)/spis.out" 2>/dev/null; }

# charon's log of side $1: CHILD SAs set up (initial and rekeyed), IKE
# SAs rekeyed, collisions
swan_children() { grep -o 'CHILD_SA lan{[0-9]*} established' "$(logfile "$1")" | sort -u | wc -l; }
swan_ike_rekeys() { grep -c 'IKE_SA gw\[[0-9]*\] rekeyed' "$(logfile "$1")"; }
swan_collisions() { grep -c -i 'collision' "$(logfile "$1")"; }

# --- rekeying under a running ping ------------------------------------------------
# rekey NAME REKEYER: REKEYER is the side whose lifetimes are short
# (left, right, or both: the CHILD SA by left, the IKE SA by right).
# ikerund's "lifetime 20 ikelifetime 30" are hard limits, with the soft
# expiry that starts the rekey at 80-90% (17-18 s, 25-27 s; whole
# seconds); strongSwan is given 18 s and 27 s as rekey times.  The CHILD
# and IKE rekeys stay apart, and 2 s or more between soft and hard
# expiry leave room for a loaded guest's late timers (the kernel sends
# only the hard expiry when its timer runs after both).
rekey() {
	local n=$1 who=$2 cap first last nspi nwire req reqfrom ikespi init s c i
	cap=$W/$n.pcapng
	ns_capture_start "$R" "$cap" >/dev/null 2>&1
	bring_up "$n" || return
	first=$(spis "$L" | tr '\n' ' ')
	spi_sampler_start
	xstat_mark
	step "$n: ping for 40 s"
	if ping_run "$n" 200; then
		ok "$n/no-ping-lost"
	else
		nok "$n/no-ping-lost" "$(ping_summary "$n")"
	fi
	ns_stop "$L" spis
	# CHILD rekeys: new SPIs in left's kernel over time
	nspi=$(spi_samples | tr ' ' '\n' | grep . | sort -u | wc -l)
	if [ "$nspi" -ge 4 ]; then
		ok "$n/child-rekeyed-in-kernel"
	else
		nok "$n/child-rekeyed-in-kernel" "$nspi ESP SPIs seen in 40 s (first $first)"
	fi
	if wait_for 20 settled; then
		ok "$n/settled"
	else
		nok "$n/settled" "$(state_of)"
	fi
	last=$(spis "$L" | tr '\n' ' ')
	if [ -n "$first" ] && [ -n "$last" ] &&
	    [ -z "$(comm -12 <(tr ' ' '\n' <<<"$first" | grep . | sort) \
	    <(tr ' ' '\n' <<<"$last" | grep . | sort))" ]; then
		ok "$n/first-sas-gone"
	else
		nok "$n/first-sas-gone" "first: $first, now: $last"
	fi
	ns_capture_stop "$R"
	# the wire: ESP SPIs, CREATE_CHILD_SA requests and from whom, IKE SPIs
	nwire=$(tsh "$cap" esp esp.spi | sort -u | wc -l)
	req=$(tsh "$cap" "isakmp.exchangetype == 36 && isakmp.flag_r == 0" ip.src)
	ikespi=$(tsh "$cap" "isakmp" isakmp.ispi | sort -u | wc -l)
	init=$(tsh "$cap" "isakmp.exchangetype == 34" isakmp.ispi | sort -u | wc -l)
	echo "# $n: $nwire ESP SPIs on the wire, CREATE_CHILD_SA requests: $(sort <<<"$req" | uniq -c | tr -s ' \n' ' '), $ikespi IKE SPIs, $init IKE_SA_INIT"
	[ "$nwire" -ge 4 ] && ok "$n/child-rekeyed-on-the-wire" ||
	    nok "$n/child-rekeyed-on-the-wire" "$nwire ESP SPIs"
	case $who in
	left) reqfrom=$(grep -c "^$LEFT_ADDR\$" <<<"$req") ;;
	right) reqfrom=$(grep -c "^$RIGHT_ADDR\$" <<<"$req") ;;
	both) reqfrom=$(( $(grep -c "^$LEFT_ADDR\$" <<<"$req") > 0 &&
	    $(grep -c "^$RIGHT_ADDR\$" <<<"$req") > 0 ? 2 : 0 )) ;;
	esac
	# at least two CHILD rekeys and one IKE rekey in 40 s
	[ "$reqfrom" -ge 2 ] && ok "$n/rekeyed-by-$who" ||
	    nok "$n/rekeyed-by-$who" "CREATE_CHILD_SA requests from: $(tr '\n' ' ' <<<"$req")"
	# a new IKE SA that did not come from a new IKE_SA_INIT
	[ "$ikespi" -ge 2 ] && [ "$init" = 1 ] && ok "$n/ike-rekeyed" ||
	    nok "$n/ike-rekeyed" "$ikespi IKE SPIs on the wire, $init of them from IKE_SA_INIT"
	c=$(tshc "$cap" "icmp && !esp && ip.src == $RIGHT_LAN")
	[ "$c" = 0 ] && ok "$n/no-clear-text" || nok "$n/no-clear-text" "$c ICMP"
	# the daemons' own account
	for s in "$L" "$R"; do
		if [ "${KIND[$s]}" = ikerund ]; then
			stats "$n" "$s" child_rekeys ike_rekeys
			continue
		fi
		c=$(swan_children "$s") i=$(swan_ike_rekeys "$s")
		if [ "$c" -ge 3 ] && [ "$i" -ge 1 ]; then
			ok "$n/charon-log-$(side "$s")"
		else
			nok "$n/charon-log-$(side "$s")" "$c CHILD SAs set up, $i IKE rekeys logged"
		fi
	done
}

sc_swan-rekey() {
	setup "$1" plain || return
	sides swan passive swan active
	LIFE_C[$R]=18 LIFE_I[$R]=27 PFS=([$L]=1 [$R]=1)
	rekey "$1" right
}
sc_rekey-init() {
	setup "$1" plain || return
	sides ikerund active swan passive
	LIFE_C[$L]=20 LIFE_I[$L]=30 PFS=([$L]=1 [$R]=1)
	rekey "$1" left
}
sc_rekey-resp() {
	setup "$1" plain || return
	sides ikerund passive swan active
	LIFE_C[$R]=18 LIFE_I[$R]=27 PFS=([$L]=1 [$R]=1)
	rekey "$1" right
}
sc_rekey-self() {
	setup "$1" plain || return
	sides ikerund passive ikerund active
	LIFE_C[$L]=20 LIFE_I[$R]=30
	rekey "$1" both
}

# rekey-stall: strongSwan rekeys the CHILD SA (swanctl --rekey) while
# ikerund's parent, the process that puts SAs in the kernel, is stopped
# for 3 s.  strongSwan sends on the new SA as soon as it has ikerund's
# answer, so that answer must wait until the new inbound SA is in the
# kernel: no ping lost (15 would be, answered at once), the SA rekeyed
# after all, its old SPIs gone.
sc_rekey-stall() {
	local n=$1 pid first last pp
	setup "$n" plain || return
	sides ikerund passive swan active
	bring_up "$n" || return
	first=$(spis "$L" | tr '\n' ' ')
	pid=$(cat "$(ns_dir "$L" ikerund)/pid")
	xstat_mark
	step "$n: ping for 12 s, parent stopped from 3 to 6 s"
	ping_run "$n" 60 &
	pp=$!
	sleep 3
	kill -STOP "$pid"
	ns_swanctl "$R" --rekey --child lan >"$W/rekey.out" 2>&1
	sleep 3
	kill -CONT "$pid"
	if wait "$pp"; then
		ok "$n/no-ping-lost"
	else
		nok "$n/no-ping-lost" "$(ping_summary "$n")"
	fi
	if wait_for 20 settled; then
		ok "$n/settled"
	else
		nok "$n/settled" "$(state_of)"
	fi
	last=$(spis "$L" | tr '\n' ' ')
	if [ -n "$last" ] && [ -z "$(comm -12 <(tr ' ' '\n' <<<"$first" |
	    grep . | sort) <(tr ' ' '\n' <<<"$last" | grep . | sort))" ]; then
		ok "$n/rekeyed"
	else
		nok "$n/rekeyed" "SPIs before: $first, now: $last ($(cat "$W/rekey.out"))"
	fi
	stats "$n" "$L" child_rekeys
}

# --- simultaneous rekeys ----------------------------------------------------------
# simul NAME: both sides rekey the CHILD SA about every 10 s and the IKE
# SA about every 15 s, and each side's packets take 1 s to arrive (netem
# on both veths).  The responder installs its SAs one delay before the
# initiator, so the initiator is given lifetimes 1 s shorter: both send
# their CREATE_CHILD_SA at the same moment and each gets the other's
# while it waits for its answer, 1 s of margin either way (RFC 7296
# 2.8.1, 2.8.2).  ikerund's soft expiry is at 80-90% of "lifetime",
# whole seconds: 9 s of 10, 10 of 11, 14 of 15, 15 of 16 (no jitter
# below 20 s); strongSwan's rekey_time is its soft expiry.  ikerund's
# hard expiry follows 1 s after its soft one, less than the 2 s round
# trip: its SAs also expire while their rekey is in flight, which it
# must survive as well.  strongSwan retransmits after 4 s here (the
# quick 1 s of the other scenarios is shorter than the round trip).
# Lost pings are reported, not judged (an SA deleted while packets on
# it are still in the delayed link loses them); the end state is.
simul() {
	local n=$1 s c
	for s in "$L" "$R"; do
		ns_exec "$s" tc qdisc add dev "$NS_IF" root netem delay 1s ||
		    { nok "$n/netem"; return; }
	done
	# strongSwan's IKE SA ends at rekey_time + over_time when it could
	# not be rekeyed; with CHILD rekeys always under way both sides
	# refuse each other's IKE rekey (TEMPORARY_FAILURE) for a while on a
	# loaded guest, so it is given two more rekey times than elsewhere
	SWAN_OVER=2 SWAN_EXTRA=$CHARON_SLOW bring_up "$n" || return
	xstat_mark
	step "$n: ping for 26 s"
	ping_run "$n" 130
	echo "# $n: $(ping_summary "$n")"
	for s in "$L" "$R"; do
		ns_exec "$s" tc qdisc del dev "$NS_IF" root
	done
	# a loaded guest takes its time over the Delete exchanges the
	# collisions leave
	if wait_for 90 settled; then
		ok "$n/one-ike-sa-one-child-pair"
	else
		nok "$n/one-ike-sa-one-child-pair" "$(state_of)"
	fi
	if ping_ok; then
		ok "$n/ping"
	else
		nok "$n/ping" "$(state_of)"
	fi
	# it was simultaneous: the daemons saw the other's request cross theirs
	c=
	for s in "$L" "$R"; do
		if [ "${KIND[$s]}" = ikerund ]; then
			c="$c $(side "$s"):$(stat_of "$s" rekey_collisions)"
		else
			c="$c $(side "$s"):$(swan_collisions "$s")"
		fi
	done
	echo "# $n: collisions$c"
	if [[ "$c" =~ :[1-9] ]]; then
		ok "$n/collision-seen"
	else
		nok "$n/collision-seen" "no collision logged or counted:$c"
	fi
}

sc_swan-simul() {
	setup "$1" plain || return
	sides swan passive swan active
	LIFE_C=([$L]=10 [$R]=9) LIFE_I=([$L]=15 [$R]=14)
	simul "$1"
}
sc_simul-swan() {		# ikerund soft expiries at 9 and 14 s
	setup "$1" plain || return
	sides ikerund passive swan active
	LIFE_C=([$L]=10 [$R]=8) LIFE_I=([$L]=15 [$R]=13)
	simul "$1"
}
sc_simul() {			# soft expiries at 10 and 15 s, 9 and 14 s
	setup "$1" plain || return
	sides ikerund passive ikerund active
	LIFE_C=([$L]=11 [$R]=10) LIFE_I=([$L]=16 [$R]=15)
	simul "$1"
}

# --- dead peers ---------------------------------------------------------------------
# dpd NAME: left is active with liveness checks every 3 s; right is
# killed.  Left must notice within 45 s (the checks go after 3 s
# without traffic, then the retransmissions run out), remove its SAs
# and kernel state, and bring the tunnel back within 60 s of right's
# restart.
dpd() {
	local n=$1 t
	bring_up "$n" || return
	ping_ok && ok "$n/ping" || nok "$n/ping" "$(state_of)"
	kill_side "$R"
	t=$(date +%s)
	step "$n: right killed"
	if wait_for 45 gone "$L"; then
		ok "$n/dead-peer-removed"
		echo "# $n: dead peer removed after $(( $(date +%s) - t )) s"
	else
		nok "$n/dead-peer-removed" "after 45 s: $(nstates "$L") SAs, $(ike_sas "$L") IKE SAs: $(tail -n 5 "$(logfile "$L")" | tr '\n' '|')"
	fi
	# what the killed daemon left in right's kernel goes; right answers
	# IKE once it has its configuration again (strongSwan loads it after
	# it starts, and an IKE_SA_INIT in between gets NO_PROPOSAL_CHOSEN,
	# which makes strongSwan's initiator give up for good)
	ns_exec "$R" ip xfrm state flush
	ns_exec "$R" ip xfrm policy flush
	ns_exec "$R" "$IPTABLES" -I INPUT -p udp -j DROP
	start_side "$R" || { nok "$n/restart" "$(logs)"; return; }
	ns_exec "$R" "$IPTABLES" -D INPUT -p udp -j DROP
	t=$(date +%s)
	if wait_for 60 up && wait_for 10 ping_ok; then
		ok "$n/reinitiated"
		echo "# $n: back after $(( $(date +%s) - t )) s"
	else
		nok "$n/reinitiated" "$(state_of): $(logs)"
	fi
	stats "$n" "$L" dpd_sent dead_peers reinitiated
}
sc_swan-dpd() {
	setup "$1" plain || return
	sides swan active swan passive
	DPD[$L]=3
	dpd "$1"
}
sc_dpd-swan() {
	setup "$1" plain || return
	sides ikerund active swan passive
	DPD[$L]=3
	dpd "$1"
}
sc_dpd-self() {
	setup "$1" plain || return
	sides ikerund active ikerund passive
	DPD[$L]=3
	dpd "$1"
}

# --- deletes between two ikerund ----------------------------------------------------
# "ikectl reset sa" on the responder, then on the initiator; the active
# side is made passive first each time (it would set up a new SA at once)
sc_delete-self() {
	local n=$1
	setup "$n" plain || return
	sides ikerund passive ikerund active
	bring_up "$n" || return
	ns_ikectl "$R" passive >/dev/null
	ns_ikectl "$L" reset sa >/dev/null
	if wait_for 10 gone "$R" && wait_for 5 gone "$L"; then
		ok "$n/from-responder"
	else
		nok "$n/from-responder" "$(state_of)"
	fi
	stats "$n" "$R" deletes_received
	ns_ikectl "$R" active >/dev/null
	if wait_for 20 up; then
		ns_ikectl "$R" passive >/dev/null
		ns_ikectl "$R" reset sa >/dev/null
		if wait_for 10 gone "$L" && wait_for 5 gone "$R"; then
			ok "$n/from-initiator"
		else
			nok "$n/from-initiator" "$(state_of)"
		fi
		stats "$n" "$L" deletes_received
	else
		nok "$n/from-initiator" "no new SA after ikectl active: $(logs)"
	fi
}

# --- NAT traversal ----------------------------------------------------------------
# nat NAME: right, behind the NAT, initiates; captures outside the NAT
# (left's veth) show what crosses it.
nat() {
	local n=$1 cap s c e dp t
	cap=$W/$n.pcapng
	ns_capture_start "$L" "$cap" >/dev/null 2>&1
	bring_up "$n" || return
	t=$SECONDS
	if wait_for 5 ping_ok; then ok "$n/ping"; else nok "$n/ping" "$(state_of)"; fi
	for s in "$L" "$R"; do
		e=$(ns_exec "$s" ip xfrm state | grep -c 'encap type espinudp sport [0-9]* dport [0-9]* ')
		if [ "$e" = 2 ]; then
			ok "$n/espinudp-$(side "$s")"
		else
			nok "$n/espinudp-$(side "$s")" "$(ns_exec "$s" ip xfrm state | grep -v 'enc \|aead\|auth' | tr '\n' '|')"
		fi
	done
	# left sends to the port the NAT chose, not to 4500
	dp=$(ns_exec "$L" ip xfrm state | sed -n 's/.*encap type espinudp sport 4500 dport \([0-9]*\) .*/\1/p' | sort -u | tr '\n' ' ')
	echo "# $n: left's ESP-in-UDP ports: sport 4500, dport $dp"
	case $dp in
	*4500*) if [ -n "$NS_NAT_PORTS" ]; then nok "$n/nat-port" "dport $dp"
		else ok "$n/nat-port"; fi ;;
	[0-9]*) ok "$n/nat-port" ;;
	*) nok "$n/nat-port" "no dport" ;;
	esac
	# NAT keepalives from behind it (RFC 3948 2.3): both daemons send
	# one after 20 s, ikerund every 20 s, strongSwan after 20 s without
	# sending anything else; give them 25 s after the SA came up
	sleep $((t + 25 - SECONDS > 0 ? t + 25 - SECONDS : 0))
	ns_capture_stop "$L"
	c=$(tshc "$cap" "udpencap.nat_keepalive && ip.src == $RIGHT_PUB && udp.dstport == 4500")
	[ "$c" -ge 1 ] && ok "$n/keepalives" || nok "$n/keepalives" "none on the wire in 25 s"
	c="$(tshc "$cap" 'isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16388') $(tshc "$cap" 'isakmp.exchangetype == 34 && isakmp.notify.msgtype == 16389')"
	if [ "${c% *}" -ge 2 ] && [ "${c#* }" -ge 2 ]; then
		ok "$n/nat-detection-payloads"
	else
		nok "$n/nat-detection-payloads" "IKE_SA_INIT with NAT_DETECTION_SOURCE_IP, _DESTINATION_IP: $c"
	fi
	c="$(tshc "$cap" 'isakmp.exchangetype == 35 && udp.port == 4500 && udpencap.non_esp_marker') $(tshc "$cap" 'isakmp.exchangetype == 35 && udp.port == 500')"
	if [ "${c% *}" -ge 2 ] && [ "${c#* }" = 0 ]; then
		ok "$n/ike-on-4500"
	else
		nok "$n/ike-on-4500" "IKE_AUTH on 4500 with the marker, on 500: $c"
	fi
	c="$(tshc "$cap" 'udpencap && esp') $(tshc "$cap" 'ip.proto == 50')"
	if [ "${c% *}" -ge 6 ] && [ "${c#* }" = 0 ]; then
		ok "$n/esp-in-udp-on-the-wire"
	else
		nok "$n/esp-in-udp-on-the-wire" "ESP in UDP, bare ESP: $c"
	fi
	for s in "$L" "$R"; do
		if [ "${KIND[$s]}" = ikerund ] && [ "$s" = "$R" ]; then
			stats "$n" "$s" nat_detected nat_keepalives
		elif [ "${KIND[$s]}" = ikerund ]; then
			stats "$n" "$s" nat_detected
		elif [ "$s" = "$L" ]; then
			grep -q "remote host is behind NAT" "$(logfile "$s")" &&
			    ok "$n/charon-log-left" || nok "$n/charon-log-left" "$(logs)"
		else
			grep -q "local host is behind NAT" "$(logfile "$s")" &&
			    ok "$n/charon-log-right" || nok "$n/charon-log-right" "$(logs)"
		fi
	done
	# a Delete through the NAT: from ikerund where there is one (an
	# active ikerund made passive first: it would set up a new SA at once)
	for s in "$L" "$R"; do
		[ "${KIND[$s]}" = ikerund ] && [ "${MODE[$s]}" = active ] &&
		    ns_ikectl "$s" passive >/dev/null
	done
	if [ "${KIND[$L]}" = ikerund ]; then
		ns_ikectl "$L" reset sa >/dev/null
	elif [ "${KIND[$R]}" = ikerund ]; then
		ns_ikectl "$R" reset sa >/dev/null
	else
		ns_swanctl "$R" --terminate --ike gw --timeout 10 >/dev/null 2>&1
	fi
	if wait_for 10 gone "$L" && wait_for 10 gone "$R"; then
		ok "$n/delete-through-nat"
	else
		nok "$n/delete-through-nat" "$(state_of)"
	fi
}
sc_swan-nat() {
	setup "$1" nat || return
	sides swan passive swan active
	nat "$1"
}
sc_nat-resp() {
	setup "$1" nat || return
	sides ikerund passive swan active
	nat "$1"
}
sc_nat-init() {
	setup "$1" nat || return
	sides swan passive ikerund active
	nat "$1"
}
sc_nat-self() {
	setup "$1" nat || return
	sides ikerund passive ikerund active
	nat "$1"
}

# remap NAME: mid-session the NAT moves right to its other address and
# forgets every mapping.  Right's next packets reach left from a new
# address and port; right checks liveness every 2 s, so an IKE message
# from the new mapping follows at once.  Left must follow (RFC 7296
# 2.23): its SAs then point at the new address, and traffic passes.
remap() {
	local n=$1 t old=$RIGHT_PUB spi
	bring_up "$n" || return
	ping_ok || { nok "$n/ping" "$(state_of)"; return; }
	spi=$(ike_spis "$L")
	ns_nat_remap
	t=$(date +%s)
	step "$n: the NAT now maps right to $RIGHT_PUB"
	if wait_for 40 ping_ok; then
		ok "$n/recovered"
		echo "# $n: traffic back after $(( $(date +%s) - t )) s"
	else
		nok "$n/recovered" "$(ns_exec "$L" ip xfrm state | grep '^src' | tr '\n' '|') $(logs)"
	fi
	# left's SAs now go to the new address, none to the old one
	if ns_exec "$L" ip xfrm state | grep -q "^src $LEFT_ADDR dst $RIGHT_PUB\$" &&
	    ! ns_exec "$L" ip xfrm state | grep -q " $old\$"; then
		ok "$n/sa-follows-peer"
	else
		nok "$n/sa-follows-peer" "$(ns_exec "$L" ip xfrm state | grep '^src' | tr '\n' '|')"
	fi
	# the same IKE SA: moved, not set up anew
	if [ -n "$spi" ] && [ "$(ike_spis "$L")" = "$spi" ]; then
		ok "$n/same-ike-sa"
	else
		nok "$n/same-ike-sa" "IKE SPIs before: $spi, now: $(ike_spis "$L")"
	fi
	stats "$n" "$L" peer_moved
}
sc_swan-nat-remap() {
	setup "$1" nat || return
	sides swan passive swan active
	PEER[$L]=%any DPD[$R]=2
	remap "$1"
}
sc_nat-remap() {
	setup "$1" nat || return
	sides ikerund passive swan active
	PEER[$L]=%any DPD[$R]=2
	remap "$1"
}
sc_nat-remap-init() {
	setup "$1" nat || return
	sides swan passive ikerund active
	PEER[$L]=%any DPD[$R]=2
	remap "$1"
}

# --- the pool ---------------------------------------------------------------------
# Each scenario in a subshell with its own files in $W/NAME/, its output
# in $W/NAME.out; at most PAR (6) at once; "wait" only for their pids.
SCENARIOS="swan-rekey rekey-init rekey-resp rekey-self rekey-stall
	swan-simul simul-swan simul
	swan-dpd dpd-swan dpd-self delete-self
	swan-nat nat-resp nat-init nat-self
	swan-nat-remap nat-remap nat-remap-init"
PAR=${PAR:-6}
declare -A running=()
reap() {
	local pid n
	wait -n -p pid "${!running[@]}"
	n=${running[$pid]}
	unset "running[$pid]"
	cat "$W/$n.out"
}
for n in $SCENARIOS; do
	want "$n" || continue
	while [ ${#running[@]} -ge "$PAR" ]; do reap; done
	(
		W=$W/$n
		mkdir -p "$W"
		step "$n"
		"sc_$n" "$n"
		save_logs "$n" 2>/dev/null
		step "$n: done"
		exit 0
	) >"$W/$n.out" 2>&1 &
	running[$!]=$n
done
while [ ${#running[@]} -gt 0 ]; do reap; done
step done
exit 0
