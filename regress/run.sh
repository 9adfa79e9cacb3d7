#!/bin/sh
# Run every test suite under regress/: each regress/*/test.sh prints one
# line per test, "ok NAME" or "not ok NAME [reason]", and exits 0 even when
# tests fail (a non-zero exit counts as one failure of the suite itself).
# Usage: regress/run.sh [-b BUILD_DIR] [SUITE...]
# The last line is "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
if [ "${1:-}" = "-b" ]; then BUILD=$(cd "$2" && pwd); shift 2; fi
export BUILD TOP="$top"

suites="$*"
[ -n "$suites" ] || suites=$(cd "$top/regress" && for d in */test.sh; do dirname "$d"; done)

pass=0 fail=0
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT INT TERM
for s in $suites; do
	t="$top/regress/$s/test.sh"
	[ -x "$t" ] || { echo "not ok $s (no test.sh)"; fail=$((fail + 1)); continue; }
	echo "== $s"
	"$t" > "$out/$s.log" 2>&1
	rc=$?
	cat "$out/$s.log"
	p=$(grep -c '^ok ' "$out/$s.log")
	f=$(grep -c '^not ok ' "$out/$s.log")
	if [ $rc -ne 0 ]; then
		echo "not ok $s: test.sh exited $rc"
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
