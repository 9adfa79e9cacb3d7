#!/bin/sh
# Compile throughput and memory of ikecc against OpenIKED's "iked -n" on
# generated configs of 1k, 10k and 100k policies, in the same run.
# Prints figures only: nothing here fails on time.
#
# Environment: BUILD (build directory, default ./build), TOP (repository),
# BENCH_SIZES (default "1000 10000 100000"), BENCH_REPS (runs of each
# program on each config, the fastest counts; default 3: single runs on
# a shared machine spread by 20%), IKED_TIMEOUT (seconds, default 900:
# "iked -n" is cut off after that and reported as such).
# Needs root for iked (it insists on root and a mode-0600 file owned by
# root); without iked or root only ikecc is measured.
set -eu
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
ikecc=$BUILD/ikecc
sizes=${BENCH_SIZES:-"1000 10000 100000"}
iked_timeout=${IKED_TIMEOUT:-900}
reps=${BENCH_REPS:-3}
TIME=/usr/bin/time
[ -x "$ikecc" ] || { echo "bench: $ikecc not built" >&2; exit 1; }
[ -x "$TIME" ] || { echo "bench: GNU time missing (apt-get install time)" >&2; exit 1; }
iked=$(command -v iked || true)
if [ -z "$iked" ] && [ -x /usr/sbin/iked ]; then iked=/usr/sbin/iked; fi
if [ -n "$iked" ] && [ "$(id -u)" -ne 0 ]; then
	echo "bench: not root: iked -n is skipped"
	iked=
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ikecc-bench.XXXXXX")
chmod 700 "$work"
trap 'rm -rf "$work"' EXIT INT TERM

# gen N: N distinct policies, documentation addresses only (192.0.2.0/24,
# 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), a mix of IPv4 and
# IPv6, one or two flows, tcp/udp ports on some, seven proposal styles
# (the default ones included), PSK, signature and EAP authentication,
# IDs, lifetimes and tags.  Also prints the bytes of the strings that a
# compiled policy keeps (name, IDs, key, tag, NULs included) to stderr.
gen() {
	awk -v n="$1" 'BEGIN {
		srand(1)
		prop[0] = ""
		prop[1] = " ikesa enc aes-256-gcm prf hmac-sha2-256 group curve25519 childsa enc aes-256-gcm"
		prop[2] = " ikesa enc aes-128-gcm prf hmac-sha2-384 group ecp384 group ecp256 childsa enc aes-128-gcm esn"
		prop[3] = " ikesa enc aes-256 prf hmac-sha2-512 auth hmac-sha2-512 group modp3072 childsa enc aes-256 auth hmac-sha2-256 group modp3072"
		prop[4] = " ikesa enc aes-256-gcm prf hmac-sha2-256 group curve25519 ikesa enc aes-256 prf hmac-sha2-256 auth hmac-sha2-256 group modp2048 childsa enc aes-256-gcm childsa enc aes-192 auth hmac-sha2-384"
		prop[5] = " childsa enc aes-256-gcm group ecp256 noesn"
		prop[6] = " ikesa enc aes-192 prf hmac-sha2-384 auth hmac-sha2-384 group ecp521"
		print "# generated: " n " policies"
		print "set dpd_check_interval 30"
		nusers = int(n / 100)
		for (u = 0; u < nusers; u++)
			printf "user \"user%06d\" \"password-%06d-Xq7\"\n", u, u
		strbytes = 0
		for (i = 0; i < n; i++) {
			a = int(i / 256) % 256; b = i % 256
			name = sprintf("pol-%07d", i)
			v6 = (i % 4 == 3)
			if (v6) {
				src = sprintf("2001:db8:%x:%x::/64", a, b)
				dst = sprintf("2001:db8:ff%02x:%x::/64", (i / 65536) % 256, b)
				src2 = sprintf("2001:db8:%x:%x:1::/80", a, b)
				peer = sprintf("2001:db8:fe::%x:%x", a, b)
				local = "2001:db8:fe::1"
			} else {
				src = sprintf("192.0.2.%d/32", b)
				dst = sprintf("198.51.100.%d/32", a)
				src2 = sprintf("192.0.2.%d/32", (b + 1) % 256)
				peer = sprintf("203.0.113.%d", 1 + (i % 253))
				local = "203.0.113.254"
			}
			port = (i % 5 == 1)
			line = "ikev2 \"" name "\"" (i % 3 == 0 ? " active" : " passive")
			line = line (i % 7 == 6 ? " transport" : " tunnel") " esp"
			if (v6) line = line " inet6"
			if (port) line = line (i % 2 ? " proto tcp" : " proto udp")
			# the third address byte keeps every policy distinct
			line = line " from " src
			if (port) line = line " port " (1024 + i % 60000)
			line = line " to " dst
			if (port) line = line " port " (i % 2 ? 443 : 53)
			if (i % 6 == 2) line = line " from " src2 " to " dst
			line = line " local " local " peer " peer
			line = line prop[i % 7]
			strbytes += length(name) + 1
			if (i % 2 == 0) {
				id = sprintf("gw-%07d.example.com", i)
				line = line " srcid \"hq.example.com\" dstid \"" id "\""
				strbytes += 15 + length(id) + 1
			}
			if (i % 3 == 1) line = line " ikelifetime " (1 + i % 24) "h"
			if (i % 4 == 2) line = line " lifetime " (10 + i % 50) "m bytes " (1 + i % 16) "G"
			m = i % 10
			if (m < 7) {
				psk = sprintf("bench-psk-%07d-%08x", i, int(rand() * 2147483647))
				line = line " psk \"" psk "\""
				strbytes += length(psk)
			} else if (m < 9) {
				line = line " rfc7427"
			} else {
				line = line " eap \"mschap-v2\""
			}
			if (i % 8 == 5) {
				tag = "ipsec-$domain-" i
				line = line " tag \"" tag "\""
				strbytes += length(tag) + 1
			}
			print line
		}
		printf "%d\n", strbytes > "/dev/stderr"
	}'
}

# run OUT CMD...: wall-clock seconds (from date, ns resolution) and peak
# RSS in KiB (GNU time's maximum resident set size) into OUT as
# "secs kib status".
run() {
	run_out=$1; shift
	t0=$(date +%s%N)
	st=0
	"$TIME" -f "%M" -o "$work/time.out" "$@" >/dev/null 2>"$work/err" ||
	    st=$?
	t1=$(date +%s%N)
	kib=$(tail -n 1 "$work/time.out")
	case $kib in ''|*[!0-9]*) kib=0 ;; esac
	echo "$(( (t1 - t0) / 1000 )) $kib $st" > "$run_out"
}

# best N OUT CMD...: the fastest of N runs (the peak RSS of that run)
best() {
	reps=$1 best_out=$2; shift 2
	bestus=
	i=0
	while [ $i -lt "$reps" ]; do
		run "$work/one" "$@"
		read -r us kib st < "$work/one"
		if [ -z "$bestus" ] || [ "$us" -lt "$bestus" ]; then
			bestus=$us; echo "$us $kib $st" > "$best_out"
		fi
		[ "$st" -eq 0 ] || break
		i=$((i + 1))
	done
}

rate() {	# policies per second from N and microseconds
	awk -v n="$1" -v us="$2" 'BEGIN { if (us <= 0) us = 1;
	    printf "%.0f", n / (us / 1e6) }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "-";
	    else if (a / b < 1) printf "%.2gx", a / b;
	    else printf "%.1fx", a / b }'
}

# baselines: the peak RSS of each program on a config of one policy
printf 'ikev2 "one" esp from 192.0.2.1 to 198.51.100.1 psk "base-psk-0123456789"\n' \
    > "$work/one.conf"
chmod 600 "$work/one.conf"
best 3 "$work/r" "$ikecc" -n -f "$work/one.conf"
read -r _ ikecc_base _ < "$work/r"
iked_base=0
if [ -n "$iked" ]; then
	best 3 "$work/r" "$iked" -n -f "$work/one.conf"
	read -r _ iked_base _ < "$work/r"
fi

echo "ikecc benchmark: $(nproc) cores, $(uname -r); ikecc $ikecc"
[ -n "$iked" ] && echo "against: $iked ($(dpkg-query -W -f '${Package} ${Version}' openiked 2>/dev/null || echo '?'))"
echo "baseline peak RSS on a one-policy config: ikecc ${ikecc_base} KiB${iked:+, iked ${iked_base} KiB}"
echo "times: best of $reps runs of each program on each config"
echo

printf '%8s %9s | %12s %9s | %12s %9s | %12s %9s %8s %8s | %12s\n' \
    policies "text/pol" "ikecc -n p/s" "peak KiB" "ikecc -o p/s" "peak KiB" \
    "iked -n p/s" "peak KiB" "speed" "memory" "B/pol ikecc"
for n in $sizes; do
	conf=$work/bench-$n.conf
	gen "$n" > "$conf" 2>"$work/strbytes"
	chmod 600 "$conf"
	strb=$(cat "$work/strbytes")
	size=$(wc -c < "$conf")

	best $reps "$work/r" "$ikecc" -n -f "$conf"
	read -r n_us n_kib n_st < "$work/r"
	if [ "$n_st" -ne 0 ]; then
		echo "bench: ikecc -n failed on $n policies:" >&2
		head -n 5 "$work/err" >&2
		exit 1
	fi
	warns=$(grep -c ': warning: ' "$work/err" || true)

	best $reps "$work/r" "$ikecc" -f "$conf" -o "$work/bench.bin"
	read -r o_us o_kib o_st < "$work/r"
	if [ "$o_st" -ne 0 ]; then
		o_rate="n/a"; o_kib="-"
		o_why=$(head -n 1 "$work/err")
	else
		o_rate=$(rate "$n" "$o_us"); o_why=
	fi
	rm -f "$work/bench.bin"

	k_rate="-"; k_kib="-"; k_note=
	if [ -n "$iked" ]; then
		best $reps "$work/r" timeout "$iked_timeout" "$iked" -n -f "$conf"
		read -r k_us k_kib k_st < "$work/r"
		if [ "$k_st" -eq 124 ]; then
			k_rate="<$(rate "$n" "$k_us")"
			k_note="iked -n cut off after ${iked_timeout}s"
		elif [ "$k_st" -ne 0 ]; then
			k_rate="failed"
			k_note="iked -n: $(head -n 1 "$work/err")"
		else
			k_rate=$(rate "$n" "$k_us")
		fi
	fi
	speed=$(ratio "$k_us" "$n_us")
	[ "$k_rate" = "-" ] || [ "$k_rate" = failed ] && speed="-"
	mem="-"
	[ "$k_kib" != "-" ] && [ "$k_kib" -gt 0 ] && mem=$(ratio "$n_kib" "$k_kib")
	# per policy: what the compiled set costs, so from -o (-n alone
	# keeps only names and quick policies)
	pk=$n_kib
	case $o_kib in ''|*[!0-9]*) ;; *) pk=$o_kib ;; esac
	perpol=$(awk -v p="$pk" -v b="$ikecc_base" -v n="$n" \
	    'BEGIN { printf "%.0f", (p - b) * 1024 / n }')

	printf '%8d %9d | %12s %9s | %12s %9s | %12s %9s %8s %8s | %12s\n' \
	    "$n" $((size / n)) "$(rate "$n" "$n_us")" "$n_kib" "$o_rate" "$o_kib" \
	    "$k_rate" "$k_kib" "$speed" "$mem" "$perpol"
	echo "         ikecc -n: $(awk -v u="$n_us" 'BEGIN{printf "%.3f", u/1e6}')s," \
	    "$warns warnings; policy strings $((strb / n)) B/policy," \
	    "config text $((size / n)) B/policy (read in chunks, not held)${k_note:+; $k_note}${o_why:+; -o: $o_why}"
	if [ "$k_rate" != "-" ] && [ "$k_rate" != failed ]; then
		echo "         iked -n: $(awk -v u="$k_us" 'BEGIN{printf "%.3f", u/1e6}')s," \
		    "$(awk -v p="$k_kib" -v b="$iked_base" -v n="$n" \
		    'BEGIN { printf "%.0f", (p - b) * 1024 / n }') B/policy over its baseline"
	fi
done
echo
echo "speed: ikecc -n throughput over iked -n; memory: ikecc peak RSS over iked's"
echo "B/pol ikecc: (peak RSS of ikecc -o - baseline) / policies, the policies' strings included"
