#!/bin/sh
# ikecc parser regress: golden files.
#
#   valid/NAME.conf	must compile: exit 0, stdout of "ikecc -nv" is
#			NAME.out, stderr is NAME.err if there is one (the
#			warnings) and "configuration OK" otherwise
#   invalid/NAME.conf	must fail: exit 1, stdout empty, stderr of
#			"ikecc -n" is NAME.err
#   NAME.globals	for a valid config that has "set" lines: the
#			"set" lines of its blob, dumped by "ikecc -d"
#   NAME.args		extra arguments (-D macro=value, -W), optional
#   NAME.mode		modes for the run, one "MODE [FILE]" a line; FILE
#			is relative to the test's directory and defaults
#			to NAME.conf (every file is 600 otherwise)
#
# Other files (includes under inc/, psk files) are data of the tests.
# Each valid config is also compiled again from its own canonical output
# (roundtrip/NAME: the printer's text parses back to the same text) and
# compared with OpenIKED by oracle.sh (oracle/NAME).
#
# The configs are copied to a temporary directory and made mode 0600
# there (git keeps no modes), and ikecc runs inside it with a relative
# -f, so that messages carry the names given on the command line.
#
# Usage: test.sh [-u] [NAME...]
#	-u	write the golden files from what ikecc prints now (review
#		the diff before committing it)
# Prints one line per test: "ok NAME" or "not ok NAME REASON".

set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
IKECC=$BUILD/ikecc
export TOP BUILD

update=0
if [ "${1:-}" = "-u" ]; then
	update=1
	shift
fi
only="$*"

if [ ! -x "$IKECC" ]; then
	echo "not ok parser: $IKECC not built"
	exit 0
fi

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
cp -R "$here/valid" "$here/invalid" "$tmp/"
chmod -R go-rwx "$tmp"
for m in "$tmp"/valid/*.mode "$tmp"/invalid/*.mode; do
	[ -f "$m" ] || continue
	while read -r mode file; do
		[ -n "$file" ] || file=$(basename "${m%.mode}.conf")
		chmod "$mode" "$(dirname "$m")/$file"
	done < "$m"
done

selected() {
	[ -z "$only" ] && return 0
	for o in $only; do
		[ "$o" = "$1" ] && return 0
	done
	return 1
}

# Show a difference under a failed test, as comments.
showdiff() {
	diff "$1" "$2" | head -n 20 | sed 's/^/# /'
}

# run DIR NAME OPTS: run ikecc on DIR/NAME.conf, output in $tmp/out.*
run() {
	args=
	[ -f "$1/$2.args" ] && args=$(cat "$1/$2.args")
	# shellcheck disable=SC2086
	(cd "$1" && "$IKECC" $3 $args -f "$2.conf" \
	    > "$tmp/out.stdout" 2> "$tmp/out.stderr")
	echo $? > "$tmp/out.rc"
}

printf 'configuration OK\n' > "$tmp/ok.stderr"
: > "$tmp/empty"
valid=
for f in "$here"/valid/*.conf; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .conf)
	selected "$name" || selected "valid/$name" || continue
	valid="$valid $name"
	run "$tmp/valid" "$name" -nv
	rc=$(cat "$tmp/out.rc")
	if [ "$rc" != 0 ]; then
		echo "not ok valid/$name exit status $rc"
		sed 's/^/# /' "$tmp/out.stderr" | head -n 10
		continue
	fi
	if [ $update = 1 ]; then
		cp "$tmp/out.stdout" "$here/valid/$name.out"
		if cmp -s "$tmp/out.stderr" "$tmp/ok.stderr"; then
			rm -f "$here/valid/$name.err"
		else
			cp "$tmp/out.stderr" "$here/valid/$name.err"
		fi
	fi
	experr="$here/valid/$name.err"
	[ -f "$experr" ] || experr="$tmp/ok.stderr"
	if ! cmp -s "$tmp/out.stdout" "$here/valid/$name.out"; then
		echo "not ok valid/$name stdout differs from $name.out"
		showdiff "$here/valid/$name.out" "$tmp/out.stdout"
	elif ! cmp -s "$tmp/out.stderr" "$experr"; then
		echo "not ok valid/$name stderr differs"
		showdiff "$experr" "$tmp/out.stderr"
	else
		# a check alone (-n) keeps less: it must say the same
		run "$tmp/valid" "$name" -n
		if [ "$(cat "$tmp/out.rc")" != 0 ]; then
			echo "not ok valid/$name -n: exit status" \
			    "$(cat "$tmp/out.rc")"
		elif ! cmp -s "$tmp/out.stdout" "$tmp/empty"; then
			echo "not ok valid/$name -n wrote to stdout"
		elif ! cmp -s "$tmp/out.stderr" "$experr"; then
			echo "not ok valid/$name -n: stderr differs from -nv"
			showdiff "$experr" "$tmp/out.stderr"
		else
			echo "ok valid/$name"
		fi
	fi
done

for f in "$here"/invalid/*.conf; do
	[ -f "$f" ] || continue
	name=$(basename "$f" .conf)
	selected "$name" || selected "invalid/$name" || continue
	run "$tmp/invalid" "$name" -n
	rc=$(cat "$tmp/out.rc")
	if [ "$rc" != 1 ]; then
		echo "not ok invalid/$name exit status $rc, not 1"
		continue
	fi
	[ $update = 1 ] && cp "$tmp/out.stderr" "$here/invalid/$name.err"
	if ! cmp -s "$tmp/out.stdout" "$tmp/empty"; then
		echo "not ok invalid/$name wrote to stdout"
	elif ! cmp -s "$tmp/out.stderr" "$here/invalid/$name.err"; then
		echo "not ok invalid/$name stderr differs from $name.err"
		showdiff "$here/invalid/$name.err" "$tmp/out.stderr"
	else
		echo "ok invalid/$name"
	fi
done

# Global options: "set" lines are not printed by -v (nor by iked -nv);
# compile to a blob and dump it (-d) to see them.  NAME.globals holds the
# expected "set" lines of a config that changes any.
for name in $valid; do
	(cd "$tmp/valid" && "$IKECC" $(cat "$name.args" 2>/dev/null) \
	    -o "$tmp/g.bin" -f "$name.conf" > /dev/null 2>&1 &&
	    "$IKECC" -d "$tmp/g.bin") > "$tmp/g.out" 2> "$tmp/g.err"
	rc=$?
	grep '^set ' "$tmp/g.out" > "$tmp/g.set"
	g=$here/valid/$name.globals
	if [ $update = 1 ]; then
		if [ -s "$tmp/g.set" ]; then
			cp "$tmp/g.set" "$g"
		else
			rm -f "$g"
		fi
	fi
	[ -f "$g" ] || [ -s "$tmp/g.set" ] || continue
	if [ $rc != 0 ]; then
		echo "not ok globals/$name blob round trip failed"
		sed 's/^/# /' "$tmp/g.err" | head -n 5
	elif [ ! -f "$g" ] || ! cmp -s "$tmp/g.set" "$g"; then
		echo "not ok globals/$name set lines differ from $name.globals"
		[ -f "$g" ] && showdiff "$g" "$tmp/g.set"
	else
		echo "ok globals/$name"
	fi
done

# Round trip: the canonical text of a valid config compiles to itself.
# Secrets are redacted in it; put stand-ins back so that it parses.
for name in $valid; do
	(cd "$tmp/valid" && "$IKECC" -nv $(cat "$name.args" 2>/dev/null) \
	    -f "$name.conf" 2>/dev/null) |
	    sed -e 's/ psk <redacted>/ psk "redacted-secret-stand-in"/' \
	    -e 's/^\(user "[^"]*"\) <redacted>$/\1 "redacted"/' \
	    > "$tmp/rt.conf"
	chmod 600 "$tmp/rt.conf"
	(cd "$tmp" && "$IKECC" -nv -f rt.conf > rt.out 2> rt.err)
	rc=$?
	if [ $rc != 0 ]; then
		echo "not ok roundtrip/$name canonical text does not compile"
		sed 's/^/# /' "$tmp/rt.err" | head -n 10
	elif ! cmp -s "$tmp/rt.out" "$here/valid/$name.out"; then
		echo "not ok roundtrip/$name canonical text compiles differently"
		showdiff "$here/valid/$name.out" "$tmp/rt.out"
	else
		echo "ok roundtrip/$name"
	fi
done

# shellcheck disable=SC2086
[ -n "$valid" ] && "$here/oracle.sh" "$tmp/valid" $valid
exit 0
