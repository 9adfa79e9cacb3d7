#!/bin/sh
# Reload latency: ikerund's "ikectl load" of a compiled blob beside
# OpenIKED 7.2's "ikectl reload" of the same iked.conf, at 1k, 10k and
# 100k policies, in the same run, inside the UML guest (OpenIKED needs
# PF_KEY, which this machine's kernel lacks; regress/uml/uml-run.sh).
# Prints figures only: nothing here fails on time.
#
# Configs: regress/daemon/genconf.sh N (N distinct PSK policies between
# documentation networks) is config A; config B is A with every key
# changed, so that loading B over A replaces every policy.  The blobs are
# compiled by ikecc on the host beforehand (not timed).
#
# Method, per size N, each daemon alone in namespace "left":
#   ikerund  started empty (ikerund -d -v).  "ikectl load A" (the first
#            load), then BENCH_REPS swaps (B over A, A over B, ...), each
#            timed from the start of ikectl to its exit: ikectl returns
#            when the new generation is active (the daemon's two-phase
#            commit is done) or refused.  ikectl runs directly on the
#            socket, not through "ip netns exec", whose set-up costs more
#            than a small load in UML; the cost of starting ikectl at all
#            is printed as the "round trip" floor.  Each load is checked
#            with "ikectl show stats -j" (policy count); load_ms there is
#            the daemon's own figure.
#   iked     started in the foreground (-d, no -v: as little logging as
#            -d allows; -v logs every policy's text, -vv more) with a
#            one-policy config.  A is installed as its config file and
#            "ikectl reload" sent (directly on its socket), then the swaps
#            as above (BENCH_REPS of them up to 1000 policies, one above:
#            each takes minutes).  OpenIKED's ikectl returns as soon as the
#            request is queued, before anything is parsed, and without -vv
#            iked logs nothing that marks the end of a reload, so the time
#            is taken from the start of ikectl to the last moment any of
#            iked's processes (parent, ikev2, ca, control) used CPU, once
#            they have all been idle for 2 s: utime + stime from
#            /proc/PID/stat in clock ticks, polled every 50 ms with shell
#            builtins (regress/uml/netns.sh ns_quiet), so the resolution is
#            about 50 ms.  The reload is a pipeline of parsing and
#            messages with no pause of its own, so its end is when the
#            last process falls idle.  (With -vv the ikev2 process logs
#            "config_getstatic" as its last step; in trials with -vv at 1k
#            and 5k policies the idle point came 1.7 s and 0 s after that
#            marker.  -vv itself makes a reload several times slower in
#            UML, which is why it is not used here.)
#   A swap figure is the median of its repetitions.  Each iked reload is
#   cut off after IKED_TIMEOUT seconds (default 300): the figure is then
#   "> limit" and the ratio a lower bound.  A daemon that fails (dies,
#   refuses, gives up) is reported as "failed" with the reason, and iked
#   is not tried at larger sizes.  UML maps every page of a guest process
#   on its own, so the host's vm.max_map_count (65530 by default) caps a
#   guest process at about 256 MiB: the bench says so when the guest
#   kernel reports it.
#
# Environment: BUILD, TOP; BENCH_SIZES (default "1000 10000 100000"),
# BENCH_REPS (default 3), IKED_TIMEOUT (seconds per iked reload, default
# 300), UML_MEM (guest memory, default 3072M).  UML runs guest programs on
# one CPU with slow system calls, and other work on the host shows in the
# figures: compare the two daemons within one run, not with figures from a
# real kernel.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
sizes=${BENCH_SIZES:-"1000 10000 100000"}
iked_timeout=${IKED_TIMEOUT:-300}
reps=${BENCH_REPS:-3}

# --- host: configs and blobs, then the guest -----------------------------------
if [ "${1:-}" != --guest ]; then
	for p in ikecc ikerund ikectl; do
		[ -x "$BUILD/$p" ] || { echo "reload-bench: $BUILD/$p not built" >&2; exit 1; }
	done
	if [ "$(id -u)" -ne 0 ] || [ ! -x /usr/bin/linux.uml ] || [ ! -x /usr/sbin/iked ]; then
		echo "reload-bench: needs root, user-mode-linux and openiked (make deps)" >&2
		exit 1
	fi
	# The guest sees the host's / read-only except its own /tmp: keep the
	# inputs below the build directory, which it can read.
	work=$(mktemp -d "$BUILD/reload-bench.XXXXXX") || exit 1
	chmod 0755 "$work"
	trap 'rm -rf "$work"' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	echo "reload-bench: compiling configs of $sizes policies with ikecc (not timed)"
	for n in $sizes; do
		mkdir -m 0700 "$work/$n"
		bash "$TOP/regress/daemon/genconf.sh" "$n" >"$work/$n/a.conf"
		sed 's/psk "secret-/psk "secreT-/' "$work/$n/a.conf" >"$work/$n/b.conf"
		chmod 0600 "$work/$n/a.conf" "$work/$n/b.conf"
		t0=$(date +%s)
		"$BUILD/ikecc" -f "$work/$n/a.conf" -o "$work/$n/a.bin" &
		pa=$!
		"$BUILD/ikecc" -f "$work/$n/b.conf" -o "$work/$n/b.bin" &
		pb=$!
		if ! wait $pa || ! wait $pb; then
			echo "reload-bench: ikecc failed on $n policies" >&2
			exit 1
		fi
		echo "  $n: $(( $(date +%s) - t0 )) s, blob $(( $(stat -c %s "$work/$n/a.bin") / 1024 )) KiB," \
		    "config $(( $(stat -c %s "$work/$n/a.conf") / 1024 )) KiB"
	done
	chmod -R go+rX "$work"
	"$TOP/regress/uml/uml-run.sh" -m "${UML_MEM:-3072M}" -t 5400 \
	    -e BENCH_WORK="$work" -e BENCH_SIZES="$sizes" \
	    -e IKED_TIMEOUT="$iked_timeout" -e BENCH_REPS="$reps" \
	    "$TOP/regress/bench/reload-bench.sh" --guest
	exit $?
fi

# --- guest ---------------------------------------------------------------------
source "$TOP/regress/uml/netns.sh"
ns_up || exit 1

now_us() { echo "${EPOCHREALTIME/./}"; }
ms() { awk -v u="$1" 'BEGIN { printf "%.0f", u / 1000 }'; }

# ikerund_load FILE WANT: time one "ikectl load", check the result;
# prints microseconds, or "failed"
ikerund_load() {
	local t0 t1 js
	t0=$(now_us)
	if ! "$BUILD/ikectl" -s "$(ns_dir left ikerund)/ikerund.sock" load "$1" \
	    >"$NS_RUN/load.out" 2>&1; then
		echo "# ikectl load $1: $(head -n 2 "$NS_RUN/load.out" | tr '\n' ' ')" >&2
		echo failed
		return
	fi
	t1=$(now_us)
	js=$(ns_ikectl left show stats -j)
	if [ "$(jq -r .policies <<<"$js")" != "$2" ]; then
		echo "# ikerund has $(jq -r .policies <<<"$js") policies, not $2" >&2
		echo failed
		return
	fi
	echo "# ikerund: generation $(jq -r .generation <<<"$js"), daemon's load_ms $(jq -r .load_ms <<<"$js")" >&2
	echo $((t1 - t0))
}

# iked_reload CONF: install CONF as iked's config, "ikectl reload", wait
# until iked's processes have used no CPU for 2 s; prints the microseconds
# from the start of ikectl to their last CPU use, "timeout" or "failed"
iked_reload() {
	local d t0 pids
	d=$(ns_dir left iked)
	pids=$(ns_pids left)
	install -m 0600 -o root -g root "$1" "$d/iked.conf"
	t0=$(now_us)
	"$IKED_CTL" -s "$d/iked.sock" reload >/dev/null 2>&1 || { echo failed; return; }
	if ! ns_quiet 2000 "$iked_timeout" $pids; then
		echo timeout
		return
	fi
	if ! ns_alive left iked || [ "$(ns_pids left | wc -l)" -lt "$(wc -w <<<"$pids")" ]; then
		echo "# iked died $(( (NS_QUIET_AT - t0) / 1000000 )) s into the reload:" \
		    "$(dmesg | grep -i -m 1 -E 'killed process|out of memory' | sed 's/^\[[^]]*\] //')" >&2
		if dmesg | grep -q 'ran out of memory on the host side'; then
			echo "# (UML maps each page of a guest process on its own: the host's" \
			    "vm.max_map_count, 65530 by default, bounds a guest process to about 256 MiB)" >&2
		fi
		echo failed
		return
	fi
	echo $((NS_QUIET_AT - t0))
}

fmt() {			# fmt US: milliseconds, or the word
	case $1 in
	failed) echo "failed" ;;
	timeout) echo ">$((iked_timeout * 1000))" ;;
	skipped) echo "-" ;;
	*) ms "$1" ;;
	esac
}

ratio() {		# ratio IKED_US IKERUND_US
	case $1 in
	failed|skipped) echo "-"; return ;;
	timeout) awk -v a="$((iked_timeout * 1000000))" -v b="$2" \
	    'BEGIN { if (b <= 0) b = 1; printf ">%.0fx", a / b }'; return ;;
	esac
	case $2 in failed|skipped) echo "-"; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) b = 1; printf "%.0fx", a / b }'
}

echo "reload-bench: UML guest $(uname -r), $(nproc) CPU, $(awk '/MemTotal/ { print int($2 / 1024) }' /proc/meminfo) MiB;" \
    "$(dpkg-query -W -f '${Package} ${Version}' openiked 2>/dev/null)"
one=$NS_RUN/one.conf
echo 'ikev2 "one" esp from 198.51.100.1 to 203.0.113.1 peer 192.0.2.20 psk "bench-one-0123456789"' >"$one"
chmod 0600 "$one"
# series KIND N REPS: the first load (A), then REPS swaps (B over A, A over
# B, ...); sets FIRST and SWAP (the median swap), or the failure's word
series() {
	local kind=$1 n=$2 reps=$3 w=$BENCH_WORK/$2 i f r all=()
	if [ "$kind" = ikerund ]; then
		FIRST=$(ikerund_load "$w/a.bin" "$n")
	else
		FIRST=$(iked_reload "$w/a.conf")
	fi
	SWAP=skipped
	case $FIRST in failed|timeout) return ;; esac
	for i in $(seq "$reps"); do
		if [ $((i % 2)) = 1 ]; then f=b; else f=a; fi
		if [ "$kind" = ikerund ]; then
			r=$(ikerund_load "$w/$f.bin" "$n")
		else
			r=$(iked_reload "$w/$f.conf")
		fi
		case $r in failed|timeout) SWAP=$r; return ;; esac
		all+=("$r")
	done
	SWAP=$(printf '%s\n' "${all[@]}" | sort -n | awk '{ v[NR] = $1 }
	    END { print v[int((NR + 1) / 2)] }')
	echo "#  $kind swaps (ms): $(for r in "${all[@]}"; do printf '%s ' "$(ms "$r")"; done)" >&2
}

results=()
iked_dead=0
for n in $BENCH_SIZES; do
	echo "== $n policies"
	# ikerund: started empty
	k1=failed k2=skipped
	if ns_start_ikerund left; then
		t0=$(now_us)
		"$BUILD/ikectl" -s "$(ns_dir left ikerund)/ikerund.sock" show stats >/dev/null
		echo "#  ikectl show stats round trip (the floor: starting a process in UML): $(ms $(( $(now_us) - t0 ))) ms"
		series ikerund "$n" "$reps"
		k1=$FIRST k2=$SWAP
		echo "   ikerund: load A $(fmt "$k1") ms, swap $(fmt "$k2") ms"
	fi
	ns_stop left ikerund
	# a child still busy with a load outlives a killed parent: no
	# leftover may compete with iked for the guest's one CPU
	left=$(ns_pids left | wc -l)
	[ "$left" -eq 0 ] || echo "#  $left ikerund processes left behind its parent: stopped"
	ns_clean left
	# iked: started with one policy
	i1=skipped i2=skipped
	ireps=$reps
	[ "$n" -gt 1000 ] && ireps=1
	if [ "$iked_dead" = 1 ]; then
		echo "   iked: skipped (cut off at a smaller size)"
	elif NS_IKED_VERBOSE= ns_start_iked left "$one"; then
		series iked "$n" "$ireps"
		i1=$FIRST i2=$SWAP
		case "$i1 $i2" in *timeout*|*failed*) iked_dead=1 ;; esac
		echo "   iked: reload A $(fmt "$i1") ms, swap $(fmt "$i2") ms"
		if [ "$iked_dead" = 1 ]; then
			tail -n 3 "$(ns_dir left iked)/iked.out" | sed 's/^/#   iked: /'
		fi
	else
		i1=failed
		iked_dead=1
	fi
	ns_stop left iked
	ns_clean left
	results+=("$n $k1 $k2 $i1 $i2")
done

echo
echo "reload latency, milliseconds (A: first load of N policies; swap: the median of the"
echo "loads that then replace every policy, B over A, A over B, ...)"
printf '%9s | %10s %12s | %10s %12s | %9s %11s\n' policies "ikerund A" "ikerund swap" \
    "iked A" "iked swap" "ratio A" "ratio swap"
for r in "${results[@]}"; do
	read -r n k1 k2 i1 i2 <<<"$r"
	printf '%9s | %10s %12s | %10s %12s | %9s %11s\n' "$n" "$(fmt "$k1")" "$(fmt "$k2")" \
	    "$(fmt "$i1")" "$(fmt "$i2")" "$(ratio "$i1" "$k1")" "$(ratio "$i2" "$k2")"
done
echo "ratio: iked's time over ikerund's (target: at least 10x); '>' marks a cut-off iked reload"
best=
for r in "${results[@]}"; do
	read -r n k1 k2 i1 i2 <<<"$r"
	case "$k2 $i2" in *failed*|*skipped*|*timeout*) ;; *) best=$n ;; esac
done
if [ -n "$best" ]; then
	echo "largest size both daemons loaded completely: $best policies"
else
	echo "no size at which both daemons loaded completely"
fi
exit 0
