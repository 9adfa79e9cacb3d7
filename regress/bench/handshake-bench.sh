#!/bin/bash
# IKE handshake benchmark: IKE SAs established per second by a responder,
# for ikerund, strongSwan's charon and OpenIKED's iked, all driven by the
# same load generator (build/ikeload, regress/bench/ikeload.c: an IKEv2
# initiator on ikerund's own message layer and crypto) in the same run.
# Prints figures only: nothing here fails on time.
#
# Suite: PSK, IKE SA ENCR AES-GCM-16 128-bit, PRF HMAC-SHA2-256, DH group
# 31 (curve25519); IKE_AUTH carries CHILD SA proposals (ESP AES-GCM-16
# 128-bit, and AES-CBC-128 with HMAC-SHA1-96 second, which iked takes:
# OpenIKED 7.2 on Linux has no AEAD ESP) with TSi = the initiator's
# address, TSr = 198.51.100.0/24.
#
# Two parts, one run:
#   host  this machine's kernel, two private namespaces (regress/uml/
#         netns.sh): ikerund ("set decouple") and charon.  The kernel has
#         no ESP, so both daemons' CHILD SA install fails (ENOSYS) after
#         the IKE SA is up; the IKE SA counts, as in the lab's
#         measurements (/work/shared/lab/RESULTS.md section 3).
#   uml   the User-Mode Linux guest (regress/uml/uml-run.sh), where
#         OpenIKED can run (it needs PF_KEY): iked, ikerund and charon in
#         the same guest run, CHILD SAs installed for real.  UML has one
#         CPU and slow system calls: compare the daemons with each other
#         there, never with the host's figures.
#
# Topology: the responder in "left" (192.0.2.10, LAN 198.51.100.0/24),
# ikeload in "right" with the source addresses 203.0.113.2-254 (its LAN,
# documentation addresses, /32 each on its LAN interface), an ephemeral
# port per SA, at most HB_CONC SAs under way.  ikerund replaces an older
# IKE SA of the same policy from the same peer address (ikev2_exch.c
# ikesa_replace_older, a restarted peer), so SA k uses source k mod 253
# and IDi "load<k div 253>.example", and ikerund gets one policy per such
# ID (bench0, bench1, ...: the ID picks the policy at IKE_AUTH); charon
# ("unique = never", remote id %any) and iked (no dstid) get one
# connection for any ID.  Cookies stay off in charon (cookie_threshold),
# the lab's settings; ikerund has none yet; iked keeps its defaults.
#
# Per responder: its processes (every process in "left": ikerund's
# parent, ca and ikev2; charon; iked's four) are idle, their CPU time
# (utime + stime, /proc/PID/stat) and RSS (VmRSS) are read, ikeload opens
# N SAs, the responder is let fall idle again (its follow-up work
# counts), and CPU and RSS are read again while ikeload still holds every
# SA (it answers the responder's INFORMATIONAL requests).  Reported:
#   cpu_us_per_sa   responder CPU / established SAs (the generator's own
#                   cost stays out); CPU resolution 1 clock tick
#   rate            established / wall time of ikeload (generator and
#                   responder share the machine: a lower bound)
#   lat_*           INIT sent to AUTH verified, per SA, in ms (ikeload)
#   mem_per_sa      RSS growth / established SAs, bytes
# and ikerund's ratios to charon (host, uml) and iked (uml).  DH limit:
# "openssl speed ecdhx25519" on the host; one responder SA costs two
# X25519 operations (key pair, shared secret), so one core's limit is
# ops/2 SAs per second and the machine's nproc times that.  ikerund's
# fraction of it is given from its CPU per SA (SAs per CPU-second against
# one core's limit: the target's figure) and from its wall rate against
# the whole machine's limit.
#
# Targets (issue 6), reported met / not met: CPU per SA at most half of
# charon's and of iked's; at least 30% of the DH limit; under 4 KiB of
# daemon memory per IKE SA.
#
# Environment: BUILD, TOP; HB_N (host SAs per responder, a list of sizes,
# default "1000 3000"),
# HB_UML_N (guest, default 400), HB_CONC (default 50), HB_UML_CONC
# (default 20), HB_RESP (host responders, default "ikerund charon";
# empty: no host part),
# HB_UML_RESP (default "ikerund charon iked"; empty: no guest part),
# HB_REPS (rounds, the responders in turn in each, default 3),
# HB_TIMEOUT (seconds per responder, default 300), HB_UML_TIMEOUT (whole
# guest, default 1800).  Results: $BUILD/handshake-bench.txt.
#
# One run (2026-11-28 21:16 UTC, 2-CPU VM, load average 1.8 with another
# session's UML guest running) is summed up in regress/bench/README.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
PSK=handshake-bench-psk-not-a-secret-4711
SRC_LO=2 SRC_HI=254
SRCS=203.0.113.$SRC_LO-203.0.113.$SRC_HI
NSRCS=$((SRC_HI - SRC_LO + 1))
timeout_s=${HB_TIMEOUT:-300}

# --- both sides ------------------------------------------------------------------

# rss_kb PID...: the sum of their VmRSS
rss_kb() {
	local p s=0 k v
	for p; do
		while read -r k v _; do
			[ "$k" = VmRSS: ] && s=$((s + v))
		done <"/proc/$p/status" 2>/dev/null
	done
	echo "$s"
}

# the responder's configurations, for N SAs, into directory $1
write_confs() {
	local d=$1 n=$2 p i
	p=$(( (n + NSRCS - 1) / NSRCS ))
	{
		echo "set decouple"
		for i in $(seq 0 $((p - 1))); do
			echo "ikev2 \"bench$i\" passive esp from 198.51.100.0/24 to any \\"
			echo "	local 192.0.2.10 peer any \\"
			echo "	ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 \\"
			echo "	childsa enc aes-128-gcm \\"
			echo "	srcid left.example dstid load$i.example psk \"$PSK\""
		done
	} >"$d/ikerund.conf"
	cat >"$d/swanctl.conf" <<-EOF
	connections {
		bench {
			version = 2
			local_addrs = 192.0.2.10
			remote_addrs = %any
			unique = never
			proposals = aes128gcm16-prfsha256-x25519
			local {
				auth = psk
				id = left.example
			}
			remote {
				auth = psk
				id = %any
			}
			children {
				net {
					local_ts = 198.51.100.0/24
					remote_ts = dynamic
					esp_proposals = aes128gcm16
				}
			}
		}
	}
	secrets {
		ike-bench {
			id-l = left.example
			secret = "$PSK"
		}
	}
	EOF
	cat >"$d/iked.conf" <<-EOF
	set decouple
	ikev2 "bench" passive esp from 198.51.100.0/24 to any \\
		local 192.0.2.10 peer any \\
		ikesa enc aes-128-gcm prf hmac-sha2-256 group curve25519 \\
		childsa enc aes-128 auth hmac-sha1 \\
		srcid left.example psk "$PSK"
	EOF
	chmod 0600 "$d"/*.conf
}

# the generator's source addresses in "right"
add_sources() {
	local dev=lo i
	ip -n "$NS_RIGHT" link show "$NS_LAN_IF" >/dev/null 2>&1 && dev=$NS_LAN_IF
	for i in $(seq "$SRC_LO" "$SRC_HI"); do
		echo "addr add 203.0.113.$i/32 dev $dev"
	done | ip -n "$NS_RIGHT" -batch - 2>/dev/null
	# 203.0.113.1 is the LAN address already; the rest are new
	[ "$(ip -n "$NS_RIGHT" -4 -o addr show dev "$dev" | grep -c ' 203\.0\.113\.')" -ge "$NSRCS" ]
}

# start_resp NAME DIR: the responder in "left"; RP = its pids
start_resp() {
	local name=$1 d=$2
	case $name in
	ikerund)
		"$BUILD/ikecc" -f "$d/ikerund.conf" -o "$d/ikerund.bin" || return 1
		# info logging, as charon's level 1: no -v
		NS_IKERUND_V= ns_start_ikerund "$NS_LEFT" "$d/ikerund.bin" >/dev/null 2>&1 || return 1
		;;
	charon)
		NS_CHARON_LOGLEVEL=${HB_CHARON_LOGLEVEL:-1} ns_start_charon \
		    "$NS_LEFT" "$d/swanctl.conf" "ikesa_table_size = 4096
		ikesa_table_segments = 16
		cookie_threshold = 1000000
		block_threshold = 1000000
		init_limit_half_open = 0" >/dev/null 2>&1 || return 1
		;;
	iked)
		# -vv: ready once "config_getstatic" is logged (OpenIKED 7.2
		# opens its sockets before it has its policies, and frees the
		# SAs begun before: "sa_free: reload"); then "log brief"
		ns_start_iked "$NS_LEFT" "$d/iked.conf" >/dev/null 2>&1 &&
		    ns_iked_ctl "$NS_LEFT" log brief >/dev/null 2>&1 || return 1
		;;
	esac
	RP=$(ns_pids "$NS_LEFT" | tr '\n' ' ')
	[ -n "$RP" ]
}

# run_one WHERE NAME N CONC RTO_MS TRIES: one responder, one result line
run_one() {
	local where=$1 name=$2 n=$3 conc=$4 rto=$5 tries=$6
	local d out line c0 c1 m0 m1 hz p alive
	d=$NS_RUN/hb-$name
	mkdir -p "$d"
	write_confs "$d" "$n"
	if ! start_resp "$name" "$d"; then
		echo "HB where=$where responder=$name status=failed reason=start"
		ns_clean "$NS_LEFT"
		return
	fi
	ns_quiet 500 60 $RP
	ns_cpu $RP
	c0=$NS_CPU
	m0=$(rss_kb $RP)
	out=$(ns_dir "$NS_RIGHT" ikeload)/ikeload.out
	rm -f "$out"	# the last round's: ns_spawn truncates in the background
	ns_spawn "$NS_RIGHT" ikeload "$BUILD/ikeload" -n "$n" -c "$conc" \
	    -s "$SRCS" -i 'load%d.example' -r left.example -k "$PSK" \
	    -T 198.51.100.0/24 -t "$rto" -R "$tries" -W "$timeout_s" -H 3600 \
	    192.0.2.10
	ns_wait $((timeout_s + 60)) grep -q '^ikeload mode=sa' "$out"
	ns_quiet 500 60 $RP
	ns_cpu $RP
	c1=$NS_CPU
	m1=$(rss_kb $RP)
	line=$(grep '^ikeload mode=sa' "$out")
	grep '^ikeload: ' "$out" | sed 's/^ikeload: SA [0-9a-f]*: //' |
	    sort | uniq -c | head -n 5 | sed "s/^ */# $where $name failures: /"
	alive=1
	for p in $RP; do kill -0 "$p" 2>/dev/null || alive=0; done
	ns_stop "$NS_RIGHT" ikeload
	case $name in
	ikerund) ns_ikectl "$NS_LEFT" show stats -j >"$d/stats.json" 2>/dev/null ;;
	esac
	ns_stop "$NS_LEFT" "$name"
	ns_clean "$NS_LEFT"
	hz=$(getconf CLK_TCK)
	if [ -z "$line" ]; then
		echo "HB where=$where responder=$name status=failed reason=no-summary alive=$alive"
		tail -n 3 "$out" | sed 's/^/# /'
		return
	fi
	awk -v w="$where" -v r="$name" -v c=$((c1 - c0)) -v hz="$hz" \
	    -v m=$((m1 - m0)) -v m0="$m0" -v alive="$alive" -v l="$line" 'BEGIN {
		n = split(l, f, " ")
		for (i = 2; i <= n; i++) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
		e = v["established"]
		printf "HB where=%s responder=%s status=ok alive=%d n=%d established=%d failed=%d child_ok=%d child_failed=%d cookies=%d retransmits=%d cpu_s=%.2f cpu_us_per_sa=%.1f rate=%s wall_s=%s rate_to_last=%s lat_min_ms=%s lat_p50_ms=%s lat_p90_ms=%s lat_p99_ms=%s lat_max_ms=%s rss0_kb=%d rss_growth_kb=%d mem_per_sa=%.0f\n",
		    w, r, alive, v["n"], e, v["failed"], v["child_ok"], v["child_failed"],
		    v["cookies"], v["retransmits"], c / hz,
		    (e > 0 ? 1e6 * c / hz / e : 0), v["rate"], v["wall_s"], v["rate_to_last"],
		    v["lat_min_ms"], v["lat_p50_ms"], v["lat_p90_ms"],
		    v["lat_p99_ms"], v["lat_max_ms"], m0, m,
		    (e > 0 ? m * 1024 / e : 0)
	}'
	if [ "$name" = ikerund ] && [ -s "$d/stats.json" ]; then
		echo "# ikerund stats: $(jq -c .ike "$d/stats.json")"
	fi
}

# all_resp WHERE "N..." CONC RTO TRIES REPS RESPONDERS...: for each size,
# REPS rounds, the responders in turn in each
all_resp() {
	local where=$1 sizes=$2 conc=$3 rto=$4 tries=$5 reps=$6 r i n
	shift 6
	for n in $sizes; do
		for i in $(seq "$reps"); do
			for r; do
				run_one "$where" "$r" "$n" "$conc" "$rto" "$tries"
			done
		done
	done
}

# --- guest -------------------------------------------------------------------------
if [ "${1:-}" = --guest ]; then
	source "$TOP/regress/uml/netns.sh"
	ns_up >/dev/null || { echo "HB where=uml status=failed reason=netns"; exit 1; }
	add_sources || { echo "HB where=uml status=failed reason=addresses"; exit 1; }
	echo "# guest kernel $(uname -r), $(nproc) CPU"
	all_resp uml "${HB_UML_N:-400}" "${HB_UML_CONC:-20}" 4000 4 \
	    "${HB_REPS:-3}" \
	    ${HB_UML_RESP-ikerund charon iked}
	exit 0
fi

# --- host --------------------------------------------------------------------------
for p in ikecc ikerund ikectl ikeload; do
	[ -x "$BUILD/$p" ] || { echo "handshake-bench: $BUILD/$p not built" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	echo "handshake-bench: needs root (namespaces)" >&2
	exit 1
fi
res=$BUILD/handshake-bench.txt
tmp=$(mktemp) || exit 1
trap 'rm -f "$tmp"' EXIT
{
	echo "# handshake-bench $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -r), $(nproc) CPU, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# ikerund $(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo '?'), $(/usr/lib/ipsec/charon --version 2>/dev/null | head -n 1 || echo 'charon ?')"
} | tee "$tmp"

ops=$(openssl speed -seconds 1 ecdhx25519 2>/dev/null |
    awk '/X25519/ && $NF ~ /^[0-9.]+$/ { v = $NF } END { print v }')
echo "HB where=host dh=x25519 ops_per_s=${ops:-0} nproc=$(nproc)" | tee -a "$tmp"

# host part, in a subshell: netns.sh's EXIT trap tears it down
[ -n "${HB_RESP-ikerund charon}" ] && (
	export NS_LEFT=hbl$$ NS_RIGHT=hbr$$
	source "$TOP/regress/uml/netns.sh"
	ns_up >/dev/null 2>&1 || { echo "HB where=host status=failed reason=netns"; exit 0; }
	add_sources || { echo "HB where=host status=failed reason=addresses"; exit 0; }
	all_resp host "${HB_N:-1000 3000}" "${HB_CONC:-50}" 1000 6 "${HB_REPS:-3}" \
	    ${HB_RESP-ikerund charon}
) 2>&1 | grep -v '^netns: ' | tee -a "$tmp"

if [ -n "${HB_UML_RESP-ikerund charon iked}" ]; then
	if [ -x /usr/bin/linux.uml ]; then
		"$TOP/regress/uml/uml-run.sh" -m "${UML_MEM:-1024M}" \
		    -t "${HB_UML_TIMEOUT:-1800}" \
		    -e HB_UML_N="${HB_UML_N:-400}" \
		    -e HB_UML_CONC="${HB_UML_CONC:-20}" \
		    -e HB_UML_RESP="${HB_UML_RESP-ikerund charon iked}" \
		    -e HB_TIMEOUT="$timeout_s" -e HB_REPS="${HB_REPS:-3}" \
		    "$TOP/regress/bench/handshake-bench.sh" --guest 2>&1 |
		    grep -E '^(HB|#)' | tee -a "$tmp"
	else
		echo "HB where=uml status=failed reason=no-linux.uml" | tee -a "$tmp"
	fi
fi

# --- summary: ratios and targets ---------------------------------------------------
awk '
function kv(line, a,   n, f, i, p) {
	delete a
	n = split(line, f, " ")
	for (i = 2; i <= n; i++) {
		p = index(f[i], "=")
		if (p > 0) a[substr(f[i], 1, p - 1)] = substr(f[i], p + 1)
	}
}
/^HB / {
	kv($0, a)
	if (a["dh"] == "x25519") { ops = a["ops_per_s"]; nproc = a["nproc"]; next }
	if (a["status"] != "ok" || a["established"] == 0) next
	# rounds summed: CPU over all SAs, rate and memory averaged
	g = a["where"] "/n=" a["n"]; grp[g] = 1
	k = g "/" a["responder"]
	cpus[k] += a["cpu_us_per_sa"] * a["established"]
	est[k] += a["established"]; nn[k] += a["n"]; reps[k]++
	rates[k] += a["rate"]; mems[k] += a["mem_per_sa"]
	cpu[k] = cpus[k] / est[k]; rate[k] = rates[k] / reps[k]
	mem[k] = mems[k] / reps[k]
}
function verdict(c) { return c ? "met" : "NOT met" }
# the keys of a in out[1..n], by size where they differ in a number
function sortkeys(a, out,   n, k, i, j, t) {
	n = 0
	for (k in a) out[++n] = k
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && before(out[j], out[j - 1]); j--) {
			t = out[j]; out[j] = out[j - 1]; out[j - 1] = t
		}
	return n
}
function before(x, y,   nx, ny) {
	nx = x; ny = y
	sub(/.*n=/, "", nx); sub(/\/.*/, "", nx)
	sub(/.*n=/, "", ny); sub(/\/.*/, "", ny)
	if (substr(x, 1, 4) != substr(y, 1, 4)) return x < y
	if (nx + 0 != ny + 0) return nx + 0 < ny + 0
	return x < y
}
END {
	print ""
	print "summary (CPU per SA: responder utime+stime / established SAs, over all"
	print "rounds; SA/s wall and memory per SA: mean of the rounds)"
	printf "  %-22s %10s %10s %10s %10s\n", "where/N/responder", "SAs", "CPU us/SA", "SA/s wall", "B/SA mem"
	nk = sortkeys(cpu, ks)
	for (i = 1; i <= nk; i++) {
		k = ks[i]
		printf "  %-22s %10s %10.1f %10.1f %10.0f\n", k, est[k] "/" nn[k], cpu[k], rate[k], mem[k]
	}
	ng = sortkeys(grp, gs)
	for (gi = 1; gi <= ng; gi++) {
		w = gs[gi]; me = w "/ikerund"
		if (!(me in cpu)) continue
		split("charon iked", ps, " ")
		for (pi = 1; pi <= 2; pi++) {
			o = w "/" ps[pi]
			if (!(o in cpu) || cpu[o] == 0) continue
			r = cpu[me] / cpu[o]
			printf "  %s: ikerund CPU per SA / %s = %.3f (%.1fx less); wall rate ratio %.2f; target <= 0.5: %s\n",
			    w, ps[pi], r, (r > 0 ? 1 / r : 0), (rate[o] > 0 ? rate[me] / rate[o] : 0), verdict(r <= 0.5)
		}
		printf "  %s: ikerund memory per IKE SA %.0f bytes; target < 4096: %s\n", w, mem[me], verdict(mem[me] < 4096)
	}
	if (ops > 0) {
		lim1 = ops / 2
		printf "  host: DH limit %.0f X25519 ops/s = %.0f SA/s per core, %.0f SA/s on %d cores\n", ops, lim1, lim1 * nproc, nproc
	}
	for (gi = 1; gi <= ng; gi++) {
		w = gs[gi]; me = w "/ikerund"
		if (ops == 0 || w !~ /^host/ || !(me in cpu) || cpu[me] == 0) continue
		f1 = (1e6 / cpu[me]) / lim1
		fw = rate[me] / (lim1 * nproc)
		printf "  %s: ikerund %.0f SA/s per CPU-second = %.1f%% of one core'"'"'s DH limit (target >= 30%%: %s); wall %.1f SA/s = %.1f%% of the machine'"'"'s\n",
		    w, 1e6 / cpu[me], 100 * f1, verdict(f1 >= 0.3), rate[me], 100 * fw
	}
}' "$tmp" | tee -a "$tmp"
cp "$tmp" "$res"
echo "results: $res"
exit 0
