#!/bin/sh
# Policy blob regress.  Prints one line per test, "ok NAME" or
# "not ok NAME REASON", and exits 0.
#
#   roundtrip/CONF	every valid config (regress/parser/valid, examples,
#			regress/blob/conf) compiles to a blob that decodes
#			to the same policy set: "ikecc -d" text compiles to
#			the same bytes and prints the same "ikecc -nv" text,
#			and decoding then encoding gives the same bytes
#   determinism/CONF	two compiles, in other directories, time zones and
#			locales, give the same bytes
#   truncate/*		every truncation of sample blobs is refused
#   flip/*		every single-bit flip is refused; with the digest
#			check skipped, a flip is refused by the structure
#			checks or decodes to a set that encodes to the
#			flipped bytes (never a crash; again with the ASan
#			build of blobcheck if there is one)
#   refuse/*		bad magic, version, length, digest: messages that
#			name the place
#   sign/*		Ed25519 signing and verification
#   file/*		mode 0600, no temporary file left, the old blob
#			kept when a compile fails or is interrupted
#
# BUILD is the build directory (default $TOP/build) holding ikecc and
# blobcheck.  Usage: test.sh

set -u
here=$(cd "$(dirname "$0")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
IKECC=$BUILD/ikecc
CHECK=$BUILD/blobcheck
export TOP BUILD

for p in "$IKECC" "$CHECK"; do
	if [ ! -x "$p" ]; then
		echo "not ok blob: $p not built (make)"
		exit 0
	fi
done

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
umask 077

ok() {
	echo "ok $1"
}

notok() {
	echo "not ok $1 $2"
}

# Show a file's first lines as comments under a failed test.
show() {
	head -n "${2:-5}" "$1" | sed 's/^/# /'
}

size() {
	wc -c < "$1" | tr -d ' '
}

# patch FILE OFFSET BYTE...: overwrite bytes (given in octal) in place
patch() {
	f=$1 o=$2
	shift 2
	for b in "$@"; do
		printf "\\$b" | dd of="$f" bs=1 seek="$o" conv=notrunc \
		    2>/dev/null
		o=$((o + 1))
	done
}

# --- the configs -----------------------------------------------------------
# Copies, mode 0600 (git keeps no modes, and secrets in readable files
# make warnings), keeping each directory whole for includes and psk files.
mkdir -p "$tmp/src/parser" "$tmp/src/examples" "$tmp/src/blob"
[ -d "$TOP/regress/parser/valid" ] &&
    cp -R "$TOP/regress/parser/valid/." "$tmp/src/parser/"
[ -d "$TOP/examples" ] && cp -R "$TOP/examples/." "$tmp/src/examples/"
cp -R "$here/conf/." "$tmp/src/blob/"
chmod -R go-rwx "$tmp/src"

confs=$(cd "$tmp/src" && ls parser/*.conf blob/*.conf examples/*.conf \
    examples/*/iked.conf 2>/dev/null)

# compile CONF OUT [ENV...]: ikecc in the config's directory, with its args
compile() {
	c=$1 out=$2
	shift 2
	d=$tmp/src/$(dirname "$c")
	b=$(basename "$c" .conf)
	args=
	[ -f "$d/$b.args" ] && args=$(cat "$d/$b.args")
	# shellcheck disable=SC2086
	(cd "$d" && env "$@" "$IKECC" $args -f "$b.conf" -o "$out" \
	    2> "$tmp/compile.err")
}

nv() {
	c=$1
	d=$tmp/src/$(dirname "$c")
	b=$(basename "$c" .conf)
	args=
	[ -f "$d/$b.args" ] && args=$(cat "$d/$b.args")
	# shellcheck disable=SC2086
	(cd "$d" && "$IKECC" $args -nv -f "$b.conf" 2>/dev/null)
}

mkdir -p "$tmp/a" "$tmp/b"
n=0
for c in $confs; do
	name=${c%.conf}
	n=$((n + 1))
	b1=$tmp/a/$n.bin
	if ! compile "$c" "$b1"; then
		# not a config ikecc compiles alone (the parser suite says
		# why); nothing to round-trip
		echo "# skip $name: does not compile"
		continue
	fi

	# determinism: another directory, time zone, locale
	if ! compile "$c" "$tmp/b/$n.bin" TZ=Pacific/Chatham \
	    LC_ALL=C.UTF-8 LANG=de_DE.UTF-8; then
		notok "determinism/$name" "second compile fails"
	elif ! cmp -s "$b1" "$tmp/b/$n.bin"; then
		notok "determinism/$name" "two compiles differ"
	else
		ok "determinism/$name"
	fi

	# round trip: dump, compile again, compare bytes and text
	if ! "$IKECC" -d "$b1" > "$tmp/dump.conf" 2> "$tmp/dump.err"; then
		notok "roundtrip/$name" "ikecc -d fails"
		show "$tmp/dump.err"
		continue
	fi
	if ! (cd "$tmp" && "$IKECC" -f dump.conf -o "$tmp/rt.bin" \
	    2> "$tmp/rt.err"); then
		notok "roundtrip/$name" "the dump does not compile"
		show "$tmp/rt.err"
		continue
	fi
	nv "$c" > "$tmp/nv1"
	(cd "$tmp" && "$IKECC" -nv -f dump.conf 2>/dev/null) > "$tmp/nv2"
	if ! cmp -s "$b1" "$tmp/rt.bin"; then
		notok "roundtrip/$name" "compile(dump(blob)) differs from blob"
		diff "$tmp/nv1" "$tmp/nv2" | head -n 6 | sed 's/^/# /'
	elif ! cmp -s "$tmp/nv1" "$tmp/nv2"; then
		notok "roundtrip/$name" "ikecc -nv text differs after dump"
	elif ! "$CHECK" -R "$b1" > "$tmp/re.out"; then
		notok "roundtrip/$name" "decode+encode differs"
		show "$tmp/re.out"
	else
		ok "roundtrip/$name"
	fi
done

# --- samples ---------------------------------------------------------------
S=$tmp/s
mkdir -p "$S"
for c in full minimal empty users-only; do
	compile "blob/$c.conf" "$S/$c.bin" || notok "sample/$c" "no blob"
done

# --- truncation ------------------------------------------------------------
for c in full minimal empty users-only; do
	if "$CHECK" -T "$S/$c.bin" > "$tmp/t.out"; then
		ok "truncate/$c-every-length"
	else
		notok "truncate/$c-every-length" "$(cat "$tmp/t.out")"
	fi
done
# through ikecc -d too, at a few lengths
len=$(size "$S/full.bin")
fail=
for l in 0 1 8 31 32 100 $((len / 2)) $((len - 33)) $((len - 1)); do
	head -c "$l" "$S/full.bin" > "$tmp/trunc.bin"
	if "$IKECC" -d "$tmp/trunc.bin" > /dev/null 2>&1; then
		fail="$fail $l"
	fi
done
if [ -z "$fail" ]; then
	ok "truncate/ikecc-d"
else
	notok "truncate/ikecc-d" "decoded at lengths$fail"
fi

# --- bit flips -------------------------------------------------------------
for c in full minimal users-only; do
	if "$CHECK" -F "$S/$c.bin" > "$tmp/f.out"; then
		ok "flip/$c-every-bit-refused"
	else
		notok "flip/$c-every-bit-refused" "$(tail -n 1 "$tmp/f.out")"
		show "$tmp/f.out"
	fi
	if "$CHECK" -F -s "$S/$c.bin" > "$tmp/f.out" 2>&1; then
		ok "flip/$c-structure-no-digest"
	else
		notok "flip/$c-structure-no-digest" "$(tail -n 1 "$tmp/f.out")"
		show "$tmp/f.out"
	fi
done
asan=$TOP/build-asan/blobcheck
if [ -x "$asan" ] && [ "$(cd "$(dirname "$asan")" && pwd)" != \
    "$(cd "$BUILD" && pwd)" ]; then
	if "$asan" -F -s "$S/full.bin" > "$tmp/f.out" 2>&1 &&
	    "$asan" -T "$S/full.bin" >> "$tmp/f.out" 2>&1; then
		ok "flip/full-structure-no-digest-asan"
	else
		notok "flip/full-structure-no-digest-asan" "see below"
		show "$tmp/f.out" 20
	fi
fi

# --- refusals and their messages -------------------------------------------
# refuse NAME FILE PATTERN [blobcheck flags]: refused, message matches
refuse() {
	name=$1 f=$2 pat=$3
	shift 3
	if "$CHECK" "$@" "$f" > "$tmp/r.out"; then
		notok "refuse/$name" "decodes"
	elif ! grep -q -- "$pat" "$tmp/r.out"; then
		notok "refuse/$name" "message: $(cat "$tmp/r.out")"
	else
		ok "refuse/$name"
	fi
}

cp "$S/full.bin" "$tmp/x.bin"
patch "$tmp/x.bin" 0 130
refuse bad-magic "$tmp/x.bin" "header, offset 0: not a policy blob"

cp "$S/full.bin" "$tmp/x.bin"
patch "$tmp/x.bin" 8 2
refuse major-version "$tmp/x.bin" \
    "unsupported format version 2.0 (this loader reads version 1.0)"

cp "$S/full.bin" "$tmp/x.bin"
printf '\0' >> "$tmp/x.bin"
refuse trailing-byte "$tmp/x.bin" "trailing bytes"

cp "$S/full.bin" "$tmp/x.bin"
patch "$tmp/x.bin" $((len - 1)) 1
refuse digest "$tmp/x.bin" "digest, offset $((len - 32)): .*does not match"

# a section table entry that overlaps the one before it (the globals
# start at offset 144, where the strings do), with the digest check off
cp "$S/full.bin" "$tmp/x.bin"
patch "$tmp/x.bin" 56 220 0
refuse overlap "$tmp/x.bin" "globals section, offset 56: starts at 144, \
expected .* (overlaps" -s

# unknown header flag bits
cp "$S/full.bin" "$tmp/x.bin"
patch "$tmp/x.bin" 13 1
refuse header-flags "$tmp/x.bin" "header, offset 12: unknown flags 0x100" -s

# --- signing ---------------------------------------------------------------
K=$tmp/keys
mkdir -p "$K"
if ! command -v openssl > /dev/null; then
	notok "sign/keys" "no openssl(1)"
elif ! openssl genpkey -algorithm ed25519 -out "$K/k1.pem" 2>/dev/null ||
    ! openssl genpkey -algorithm ed25519 -out "$K/k2.pem" 2>/dev/null ||
    ! openssl pkey -in "$K/k1.pem" -pubout -out "$K/p1.pem" 2>/dev/null ||
    ! openssl pkey -in "$K/k2.pem" -pubout -out "$K/p2.pem" 2>/dev/null
then
	notok "sign/keys" "openssl genpkey -algorithm ed25519 fails"
else
	c=$tmp/src/blob/full.conf
	if (cd "$tmp/src/blob" && "$IKECC" -k "$K/k1.pem" -f full.conf \
	    -o "$S/signed.bin" 2> "$tmp/s.err") &&
	    (cd "$tmp/src/blob" && "$IKECC" -k "$K/k1.pem" -f full.conf \
	    -o "$S/signed2.bin" 2>/dev/null) &&
	    cmp -s "$S/signed.bin" "$S/signed2.bin"; then
		ok "sign/compile-deterministic"
	else
		notok "sign/compile-deterministic" "ikecc -k fails or differs"
		show "$tmp/s.err"
	fi
	if "$IKECC" -d "$S/signed.bin" -p "$K/p1.pem" > "$tmp/sd.conf" \
	    2> "$tmp/s.err" &&
	    "$IKECC" -d "$S/full.bin" > "$tmp/ud.conf" &&
	    cmp -s "$tmp/sd.conf" "$tmp/ud.conf"; then
		ok "sign/verify"
	else
		notok "sign/verify" "ikecc -d -p fails or prints otherwise"
		show "$tmp/s.err"
	fi
	if "$CHECK" -r -p "$K/p1.pem" "$S/signed.bin" | grep -q verified; then
		ok "sign/verify-required"
	else
		notok "sign/verify-required" "not verified"
	fi
	refuse wrong-key "$S/signed.bin" "signature does not verify" \
	    -p "$K/p2.pem"
	if "$IKECC" -d "$S/signed.bin" -p "$K/p2.pem" > /dev/null \
	    2> "$tmp/s.err"; then
		notok "sign/wrong-key-ikecc" "ikecc -d -p accepts a wrong key"
	else
		ok "sign/wrong-key-ikecc"
	fi
	refuse unsigned-when-required "$S/full.bin" "not signed" -r
	refuse unsigned-with-key "$S/full.bin" "not signed" -p "$K/p1.pem"
	refuse signed-required-without-key "$S/signed.bin" \
	    "no public key was given" -r
	if "$CHECK" "$S/signed.bin" | grep -q "signed$"; then
		ok "sign/unverified-without-key"
	else
		notok "sign/unverified-without-key" "signed blob refused"
	fi
	slen=$(size "$S/signed.bin")
	cp "$S/signed.bin" "$tmp/x.bin"
	# a different last byte, whatever the random signature ends with
	last=$(od -An -tu1 -j $((slen - 1)) -N 1 "$tmp/x.bin" | tr -d ' ')
	patch "$tmp/x.bin" $((slen - 1)) "$(printf %o $(( (last + 1) % 256 )))"
	refuse tampered-signature "$tmp/x.bin" "signature does not verify" \
	    -p "$K/p1.pem"
	if "$CHECK" -T "$S/signed.bin" > /dev/null; then
		ok "sign/truncations"
	else
		notok "sign/truncations" "a truncation decodes"
	fi
	if openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$K/ec.pem" 2>/dev/null; then
		if (cd "$tmp/src/blob" && "$IKECC" -k "$K/ec.pem" -f \
		    minimal.conf -o "$tmp/ec.bin" 2> "$tmp/s.err"); then
			notok "sign/refuse-non-ed25519-key" "signed"
		elif ! grep -q "not an Ed25519 key" "$tmp/s.err"; then
			notok "sign/refuse-non-ed25519-key" \
			    "message: $(cat "$tmp/s.err")"
		elif [ -e "$tmp/ec.bin" ]; then
			notok "sign/refuse-non-ed25519-key" "blob written"
		else
			ok "sign/refuse-non-ed25519-key"
		fi
	fi
fi

# --- files -----------------------------------------------------------------
F=$tmp/out
for u in 022 000; do
	rm -rf "$F"
	mkdir -p "$F"
	(umask $u && cd "$tmp/src/blob" && "$IKECC" -f full.conf \
	    -o "$F/policy.bin" 2>/dev/null)
	m=$(stat -c %a "$F/policy.bin" 2>/dev/null)
	left=$(ls -A "$F")
	if [ "$m" != 600 ]; then
		notok "file/mode-0600-umask-$u" "mode $m"
	elif [ "$left" != policy.bin ]; then
		notok "file/mode-0600-umask-$u" "left behind: $left"
	else
		ok "file/mode-0600-umask-$u"
	fi
done

# an existing, readable blob is replaced by a 0600 one
chmod 644 "$F/policy.bin"
(cd "$tmp/src/blob" && "$IKECC" -f minimal.conf -o "$F/policy.bin" \
    2>/dev/null)
m=$(stat -c %a "$F/policy.bin")
if [ "$m" = 600 ] && cmp -s "$F/policy.bin" "$S/minimal.bin"; then
	ok "file/replace-0600"
else
	notok "file/replace-0600" "mode $m"
fi

# a failing compile leaves the old blob and no temporary file
cp "$F/policy.bin" "$tmp/old.bin"
printf 'ikev2 "bad" esp from 192.0.2.1 to\n' > "$tmp/src/blob/bad.conf"
if (cd "$tmp/src/blob" && "$IKECC" -f bad.conf -o "$F/policy.bin" \
    2>/dev/null); then
	notok "file/failed-compile-keeps-old" "bad config compiles"
elif ! cmp -s "$F/policy.bin" "$tmp/old.bin" ||
    [ "$(ls -A "$F")" != policy.bin ]; then
	notok "file/failed-compile-keeps-old" "blob changed: $(ls -A "$F")"
else
	ok "file/failed-compile-keeps-old"
fi

# a write that fails (file size limit, SIGXFSZ ignored): error, old blob
# kept, temporary file removed
(cd "$tmp/src/blob" && trap '' XFSZ && ulimit -f 1 &&
    "$IKECC" -f full.conf -o "$F/policy.bin" 2> "$tmp/w.err")
rc=$?
if [ $rc = 0 ]; then
	notok "file/failed-write-cleans-up" "ikecc succeeded past ulimit -f"
elif ! cmp -s "$F/policy.bin" "$tmp/old.bin"; then
	notok "file/failed-write-cleans-up" "blob changed"
elif [ "$(ls -A "$F")" != policy.bin ]; then
	notok "file/failed-write-cleans-up" "left behind: $(ls -A "$F")"
else
	ok "file/failed-write-cleans-up"
fi

# a write interrupted by a signal (SIGXFSZ kills ikecc in mid-write):
# the target is still the old blob, never a partial one
# (the outer shell waits, so that its report of the signal goes nowhere)
( (cd "$tmp/src/blob" && ulimit -f 1 &&
    exec "$IKECC" -f full.conf -o "$F/policy.bin"); exit $? ) 2>/dev/null
rc=$?
if [ $rc = 0 ]; then
	notok "file/interrupted-write-keeps-old" "ikecc was not interrupted"
elif ! cmp -s "$F/policy.bin" "$tmp/old.bin"; then
	notok "file/interrupted-write-keeps-old" "blob changed"
else
	ok "file/interrupted-write-keeps-old"
fi
rm -f "$F"/.policy.bin.*

# no directory to write to: an error, nothing written
if (cd "$tmp/src/blob" && "$IKECC" -f minimal.conf \
    -o "$tmp/nonexistent/policy.bin" 2> "$tmp/w.err"); then
	notok "file/no-directory" "succeeded"
elif ! grep -q "nonexistent" "$tmp/w.err"; then
	notok "file/no-directory" "message: $(cat "$tmp/w.err")"
else
	ok "file/no-directory"
fi

# a blob too large to read is refused before it is read
: > "$tmp/huge.bin"
if truncate -s 1073741825 "$tmp/huge.bin" 2>/dev/null; then
	if "$IKECC" -d "$tmp/huge.bin" > /dev/null 2> "$tmp/h.err"; then
		notok "file/too-large" "decoded"
	elif grep -q "too large" "$tmp/h.err"; then
		ok "file/too-large"
	else
		notok "file/too-large" "message: $(cat "$tmp/h.err")"
	fi
	rm -f "$tmp/huge.bin"
fi

# blobs from standard input (a pipe, not a regular file)
if "$IKECC" -d /dev/stdin < "$S/full.bin" > "$tmp/stdin.conf" 2>/dev/null &&
    cat "$S/full.bin" | "$CHECK" /dev/stdin > /dev/null; then
	ok "file/read-pipe"
else
	notok "file/read-pipe" "a blob through a pipe does not load"
fi

# the index finds every policy
if "$CHECK" -i "$S/full.bin" > /dev/null; then
	ok "index/lookup"
else
	notok "index/lookup" "$("$CHECK" -i "$S/full.bin")"
fi
exit 0
