#!/bin/sh
# What "make check" runs: every suite against the normal build, then the
# suites of pure code (parsers, blob, crypto, message layer) and the
# host part of the interop suite (two ikerund daemons in namespaces of
# this kernel: handshakes, rekeys, dead peers) against an ASan+UBSan
# build with leak detection.  The last line adds both up: "N passed,
# N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
B=${B:-build}
ASAN_SUITES=${ASAN_SUITES:-"parser blob crypto ike interop"}

out=$(mktemp) || exit 1
trap 'rm -f "$out"' EXIT INT TERM

regress/run.sh -b "$B" | tee "$out"
set -- $(tail -n 1 "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
pass=${1:-0} fail=${2:-1}

if [ "${NO_ASAN:-0}" != 1 ]; then
	echo "== ASan+UBSan build: $ASAN_SUITES"
	if make -s B=build-asan OPT="-O1 -g" SAN="-fsanitize=address,undefined \
	    -fno-omit-frame-pointer -fno-sanitize-recover=all" all tests \
	    >"$out.log" 2>&1; then
		ASAN_OPTIONS=detect_leaks=1 HOST_ONLY=1 regress/run.sh -b build-asan \
		    $ASAN_SUITES | sed 's/^\(not \)\{0,1\}ok /&asan: /' | tee "$out"
		set -- $(tail -n 1 "$out" |
		    sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p')
		pass=$((pass + ${1:-0})) fail=$((fail + ${2:-1}))
	else
		tail -20 "$out.log"
		echo "not ok asan/build"
		fail=$((fail + 1))
	fi
	rm -f "$out.log"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
