#!/bin/sh
# The docs and what they promise: every config in examples/ compiles
# with no warning (and OpenIKED accepts it too, when it is installed and
# we are root), the man pages are clean mdoc, and "make install" puts
# the programs and man pages under DESTDIR.
# Prints "ok NAME" or "not ok NAME [reason]" per test.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
ikecc=$BUILD/ikecc
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

# configs hold secrets: ikecc warns (and iked refuses) unless they are
# private, and git does not keep modes
cp -R "$TOP/examples" "$tmp/examples"
find "$tmp/examples" -type f -exec chmod 600 {} +
cd "$tmp/examples" || exit 1
configs=$(ls *.conf; echo site/iked.conf)
for f in $configs; do
	if "$ikecc" -n -W -f "$f" > "$tmp/out" 2>&1; then
		echo "ok docs/example/$f"
	else
		echo "not ok docs/example/$f $(head -n 1 "$tmp/out")"
	fi
done

iked=$(command -v iked || echo /usr/sbin/iked)
for f in $configs; do
	if [ ! -x "$iked" ] || [ "$(id -u)" -ne 0 ]; then
		echo "ok docs/example-iked/$f # skip iked not installed or not root"
		continue
	fi
	# OpenIKED takes includes from the working directory
	if (cd "$(dirname "$f")" && "$iked" -n -f "$(basename "$f")") \
	    > "$tmp/out" 2>&1; then
		echo "ok docs/example-iked/$f"
	else
		echo "not ok docs/example-iked/$f OpenIKED rejects it:" \
		    "$(grep -v 'configuration OK' "$tmp/out" | head -n 1)"
	fi
done

cd "$TOP" || exit 1
for m in ikecc/ikecc.8 ikecc/iked.conf.5; do
	if ! command -v mandoc > /dev/null 2>&1; then
		echo "ok docs/man/$m # skip mandoc not installed"
		continue
	fi
	# warnings and errors; STYLE notes (such as a reference to a page
	# not installed here yet) do not count
	mandoc -Tlint -Wwarning "$m" 2>&1 | grep -v 'mandoc\.db' > "$tmp/lint"
	if [ -s "$tmp/lint" ]; then
		echo "not ok docs/man/$m $(head -n 1 "$tmp/lint")"
	else
		echo "ok docs/man/$m"
	fi
done

dest=$tmp/dest
if make -s -C "$TOP" B="$BUILD" DESTDIR="$dest" PREFIX=/usr/local install \
    > "$tmp/out" 2>&1 &&
    [ -x "$dest/usr/local/sbin/ikecc" ] &&
    [ -f "$dest/usr/local/share/man/man8/ikecc.8" ] &&
    [ -f "$dest/usr/local/share/man/man5/iked.conf.5" ]; then
	echo "ok docs/install"
else
	echo "not ok docs/install $(tail -n 1 "$tmp/out")"
fi
exit 0
