#!/bin/sh
# "make demo": what ikerun does today, on the configs in examples/.
#  1. lint each config (ikecc -n, warnings fatal) and print its policies
#     in canonical, fully expanded form (ikecc -nv: secrets redacted);
#  2. show what a mistake looks like;
#  3. compile each config to a policy blob, dump one back (ikecc -d) and
#     check that the dump compiles to the same bytes;
#  4. sign a blob with an Ed25519 key and check the signature.
# Later the demo brings up a real tunnel with ikerund.
# Usage: scripts/demo.sh [-b BUILD_DIR]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
if [ "${1:-}" = "-b" ]; then build=$(cd "$2" && pwd); fi
ikecc=$build/ikecc
[ -x "$ikecc" ] || { echo "demo: $ikecc not built (run make)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/ikerun-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

heading() {
	printf '\n==== %s\n\n' "$*"
}

# Canonical lines are long: wrap them at a word boundary for reading,
# continuation lines indented.  (ikecc prints each policy on one line.)
wrap() {
	awk -v w="${COLUMNS:-100}" '{
		n = split($0, f, " "); line = ""; ind = ""
		for (i = 1; i <= n; i++) {
			if (line != "" && length(line) + 1 + length(f[i]) > w) {
				print line; line = "    " f[i]; continue
			}
			line = (line == "" ? f[i] : line " " f[i])
		}
		if (line != "") print line
	}'
}

# Configs hold secrets, so ikecc wants them readable by their owner only
# (git does not keep file modes): work on a private copy.
cp -R "$top/examples" "$work/examples"
chmod 700 "$work/examples"
find "$work/examples" -type f -name '*.conf' -exec chmod 600 {} +
cd "$work/examples"
# the top-level configs: every *.conf here, and site/iked.conf (whose
# other files are included by it)
configs=$(ls *.conf; echo site/iked.conf)

heading "ikecc $(basename "$build")/ikecc: lint every example (-n -W: warnings are errors)"
for f in $configs; do
	printf '%-28s ' "$f"
	"$ikecc" -n -W -f "$f" 2>"$work/lint.err" || {
		echo "FAILED"; cat "$work/lint.err"; exit 1; }
	echo "ok"
done

for f in $configs; do
	heading "ikecc -nv -f $f  (canonical policies, secrets redacted)"
	"$ikecc" -nv -f "$f" 2>/dev/null | wrap
done

heading "a config with mistakes: every error in one run, with its place"
cat > "$work/broken.conf" <<'EOF'
lan = "192.0.2.0/24"
ikev2 aktive esp from $lan to 198.51.100.0/33 \
	peer 203.0.113.2 lifetime 1hour psk "short"
ikev2 "web" passive esp from $lan to 198.51.100.0/24 port 443 \
	peer 203.0.113.2 childsa enc aes-256-gcm auth hmac-sha2-256
ikev2 "mail" esp peer 203.0.113.3 from $lan to 198.51.100.25
EOF
chmod 600 "$work/broken.conf"
sed 's/^/    | /' "$work/broken.conf"
echo
if (cd "$work" && "$ikecc" -n -f broken.conf); then
	echo "demo: broken.conf was accepted" >&2
	exit 1
fi

heading "compile each example to a policy blob (ikecc -o)"
mkdir "$work/blobs"
for f in $configs; do
	b=$work/blobs/$(echo "$f" | sed 's,/,-,g; s,\.conf$,,').bin
	"$ikecc" -f "$f" -o "$b" || {
		echo "demo: ikecc could not write a blob for $f" >&2; exit 1; }
	printf '%-28s -> %s (%s bytes, mode %s)\n' "$f" "blobs/${b##*/}" \
	    "$(wc -c < "$b" | tr -d ' ')" "$(stat -c %a "$b")"
done

b=$work/blobs/site-iked.bin
heading "ikecc -d blobs/site-iked.bin  (the blob read back, secrets included)"
"$ikecc" -d "$b" > "$work/dump.conf"
chmod 600 "$work/dump.conf"
# the dump carries the keys: show them masked here all the same
sed 's/\(psk 0x\)[0-9a-f]*/\1.../; s/^\(user "[^"]*"\) .*/\1 .../' \
    "$work/dump.conf" | wrap

heading "round trip: compile(dump(blob)) gives the same bytes"
"$ikecc" -f "$work/dump.conf" -o "$work/again.bin"
if cmp -s "$b" "$work/again.bin"; then
	echo "identical: $(sha256sum < "$b" | cut -c1-16)..."
else
	echo "demo: the blob of the dump differs from the original" >&2
	exit 1
fi

heading "sign a blob (ikecc -k) and check the signature (ikecc -d -p)"
if command -v openssl > /dev/null 2>&1; then
	openssl genpkey -algorithm ed25519 -out "$work/cm.key" 2>/dev/null
	openssl pkey -in "$work/cm.key" -pubout -out "$work/cm.pub"
	openssl genpkey -algorithm ed25519 -out "$work/other.key" 2>/dev/null
	openssl pkey -in "$work/other.key" -pubout -out "$work/other.pub"
	"$ikecc" -f gateway-psk.conf -k "$work/cm.key" -o "$work/signed.bin"
	echo "signed with cm.key: $(wc -c < "$work/signed.bin" | tr -d ' ') bytes"
	"$ikecc" -d "$work/signed.bin" -p "$work/cm.pub" > /dev/null
	echo "ikecc -d -p cm.pub: the signature verifies"
	if (cd "$work" && "$ikecc" -d signed.bin -p other.pub > /dev/null); then
		echo "demo: a signature verified with the wrong key" >&2
		exit 1
	fi
	echo "ikecc -d -p other.pub: refused, as it must be"
else
	echo "(openssl not installed: skipped)"
fi

heading "a real tunnel: ikerund (this example) against strongSwan, in a UML guest"
TOP=$top BUILD=$build bash "$top/scripts/demo-tunnel.sh" || {
	echo "demo: the tunnel did not come up" >&2
	exit 1
}

heading "done"
