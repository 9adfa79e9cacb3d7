#!/bin/sh
# The OpenIKED oracle: for each valid config, compare the policy lines of
# "ikecc -nv" with those of OpenIKED's "iked -nv" on the same file, after
# normalising the differences that are deliberate.  Every such difference
# is one rule of normalise() below, with its reason; the docs list the
# same ones (ikecc(8), DIFFERENCES WITH OPENIKED).
#
# Usage: oracle.sh DIR [NAME...]
# DIR holds the configs (NAME.conf, optional NAME.args), already mode 0600
# and owned by the caller, as iked insists.  Prints "ok oracle/NAME",
# "ok oracle/NAME # skip REASON" or "not ok oracle/NAME REASON", with the
# normalised difference as "#" lines after a failure.
#
# A config OpenIKED cannot load here says so in a comment of its own:
#	# oracle-skip: REASON
# (rdomain on Linux, hostnames that do not resolve, ikecc extensions...).
# A valid config that iked rejects without such a line is a failure: ikecc
# should accept nothing that OpenIKED refuses.

set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
IKECC=${IKECC:-$BUILD/ikecc}
IKED=${IKED:-iked}

[ $# -ge 1 ] || { echo "usage: oracle.sh dir [name ...]" >&2; exit 2; }
dir=$1
shift

# normalise SIDE: read "-nv" output on stdin, print the comparable form.
# SIDE is "ikecc" or "iked".  These are all the deliberate differences
# between the two outputs, each marked N1..N15 where the awk code below
# applies it.  The docs list the same ones; keep both lists in step.
#
# N1  Secrets: ikecc -v prints "psk <redacted>" and "user NAME <redacted>"
#     (lint output ends up in CI logs); iked -nv prints the key in hex and
#     the password in clear.
# N2  Default childsa: ikecc uses the two proposals of iked.conf(5)
#     (AES-GCM; AES-CBC with hmac-sha2-256 first; "esn noesn"); the Linux
#     build of iked has one smaller proposal without hmac-sha2-256 and
#     without ESN, and fills a written childsa proposal from it.  Both
#     sides: the man page's auth list loses hmac-sha2-256, "esn noesn" at
#     the end becomes "noesn".
# N3  AEAD childsa proposals: iked on Linux drops them (written or
#     default) without a word; ikecc keeps them.  Both sides: dropped.
# N4  AH proposals: ikecc gives them no "enc" (AH does not encrypt,
#     RFC 7296 3.3.3); iked fills in its default ciphers.  Both sides:
#     no "enc" in an ah policy's childsa.
# N5  Hostnames stay names in ikecc (the daemon resolves them, so that a
#     blob is the same on every machine and linting needs no DNS); iked
#     prints what they resolved to.  The tests use only "localhost".
# N6  "dynamic" is printed as such by ikecc, as 0.0.0.0 or :: by iked.
# N7  Source NAT "from A (B)": ikecc prints it, iked -nv does not.
# N8  Flows: ikecc prints each written pair once, in the order written;
#     iked prints its sorted flow tree, once per protocol of a proto
#     list.  Compared as sets.
# N9  inet|inet6: ikecc prints it before "proto", where the grammar wants
#     it (so the text parses back); iked prints it after.  Protocols whose
#     names are keywords (esp, ah, skip, ipcomp) are quoted by ikecc, and
#     one listed twice is printed once (with a warning).
# N10 srcid, dstid and iface are quoted by ikecc (a DN starts with "/"
#     and must be quoted to parse back); iked prints them bare.
# N11 "request" is printed as "request" by ikecc, as "config" by iked.
# N12 A config address keeps its /prefix (an address pool) in ikecc;
#     iked prints the address alone.
# N13 Quotes inside strings, and a space or tab after a backslash, are
#     escaped by ikecc (so the text parses back); a tag is kept whole
#     where iked cuts it to 63 bytes.
# N14 Order of statements: ikecc prints the users, then the policies;
#     iked prints each as it reads it.  Each list is compared in order.
# N15 config/request attributes: iked keeps the first 16 and drops the
#     rest without a word; ikecc keeps them all (up to 64, more is an
#     error).  Only the first 16 are compared.
normalise() {
	awk -v side="$1" '
	# Split a line into words; a quoted string is one word.  Only ikecc
	# escapes quotes inside strings (N13: undone in each word).
	function tokenize(s, t,    n, i, c, w, q) {
		n = 0; w = ""; q = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (q) {
				if (c == "\\" && side == "ikecc" &&
				    substr(s, i + 1, 1) == "\"") {
					w = w c substr(s, i + 1, 1); i++
					continue
				}
				w = w c
				if (c == "\"") q = 0
				continue
			}
			if (c == " ") {
				if (w != "") t[++n] = w
				w = ""
				continue
			}
			if (c == "\"") q = 1
			w = w c
		}
		if (w != "") t[++n] = w
		for (i = 1; i <= n && side == "ikecc"; i++) {
			gsub(/\\"/, "\"", t[i])
			t[i] = unescblank(t[i])
		}
		return n
	}
	# A doubled backslash before a blank becomes one.  Not with gsub():
	# awks read backslashes in its replacement differently (mawk makes
	# "\\\\" one backslash, gawk two).
	function unescblank(s,    o, i, c, d) {
		o = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			d = substr(s, i + 2, 1)
			if (c == "\\" && substr(s, i + 1, 1) == "\\" &&
			    (d == " " || d == "\t"))
				i++
			o = o c
		}
		return o
	}
	function isaead(p) {
		return p ~ / enc [^ ]*(gcm|gmac|chacha20)/
	}
	function fam(h) {
		if (h ~ /:/) return 6
		if (h ~ /^[0-9.\/]+$/) return 4
		return 0
	}
	# N5
	function host(h) {
		if (side == "ikecc" && h == "\"localhost\"") return "127.0.0.1"
		return h
	}
	# N6: the unspecified address of the family of the other end
	function dyn(h, other, af) {
		if (side != "ikecc" || h != "dynamic") return h
		if (fam(other) == 6 || (fam(other) == 0 && af == 6)) return "::"
		return "0.0.0.0"
	}
	function flownorm(f, af,    t, n, i, src, dst, a, b) {
		n = split(f, t, " ")
		for (i = 1; i <= n; i++) {
			if (t[i] == "from") src = i + 1
			if (t[i] == "to") dst = i + 1
		}
		# N7
		if (side == "ikecc" && t[src + 1] ~ /^\(/) {
			for (i = src + 1; i < n; i++) t[i] = t[i + 1]
			n--; dst--
		}
		t[src] = host(t[src]); t[dst] = host(t[dst])
		a = t[src]; b = t[dst]
		t[src] = dyn(a, b, af); t[dst] = dyn(b, a, af)
		f = t[1]
		for (i = 2; i <= n; i++) f = f " " t[i]
		return f
	}
	# N2, N3, N4 (both sides)
	function childnorm(p, ah) {
		if (isaead(p)) return ""
		if (ah) gsub(/ enc [^ ]+/, "", p)
		sub(/ auth hmac-sha2-256 auth hmac-sha2-384 auth hmac-sha2-512 auth hmac-sha1/,
		    " auth hmac-sha2-384 auth hmac-sha2-512 auth hmac-sha1", p)
		sub(/ esn noesn$/, " noesn", p)
		return p
	}
	/^user / {
		n = tokenize($0, t)
		# N1
		if (side == "iked") t[3] = "<redacted>"
		users[++nusers] = t[1] " " t[2] " " t[3]
		next
	}
	/^ikev2 / {
		delete t
		n = tokenize($0, t)
		out = ""; af = 0; afw = ""; ah = 0; inproto = 0
		for (i = 1; i <= n && t[i] != "from"; i++) {
			if (t[i] == "ah") ah = 1
			if (t[i] == "inet") af = 4
			if (t[i] == "inet6") af = 6
			# N9
			if (t[i] == "{") {
				inproto = 1; np = 0; delete seen
				continue
			}
			if (inproto && t[i] != "}") {
				w = t[i]; sub(/,$/, "", w)
				if (side == "ikecc") gsub(/"/, "", w)
				if (!(w in seen))
					plist[++np] = w
				seen[w] = 1
				continue
			}
			if (inproto) {
				inproto = 0; w = "{"
				for (j = 1; j <= np; j++)
					w = w " " plist[j] (j < np ? "," : "")
				out = out " " w
			}
			if (side == "ikecc" && t[i] ~ /^inet6?$/) {
				afw = t[i]
				continue
			}
			if (afw != "" && t[i] == "rdomain") {
				out = out " " afw; afw = ""
			}
			out = out (out == "" ? "" : " ") t[i]
		}
		if (afw != "") out = out " " afw
		# N8
		nf = 0; f = ""
		for (; i <= n; i++) {
			if (t[i] ~ /^(local|peer|ikesa|childsa|srcid|dstid|ikelifetime|lifetime)$/)
				break
			if (t[i] == "from" && f != "") {
				flows[++nf] = flownorm(f, af); f = ""
			}
			f = f (f == "" ? "" : " ") t[i]
		}
		if (f != "") flows[++nf] = flownorm(f, af)
		for (j = 2; j <= nf; j++)	# insertion sort, then unique
			for (k = j; k > 1 && flows[k - 1] > flows[k]; k--) {
				x = flows[k]; flows[k] = flows[k - 1]
				flows[k - 1] = x
			}
		for (j = 1; j <= nf; j++)
			if (j == 1 || flows[j] != flows[j - 1])
				out = out " " flows[j]
		for (; i <= n && t[i] ~ /^(local|peer)$/; i += 2)
			out = out " " t[i] " " host(t[i + 1])
		# proposals
		p = ""
		for (; i <= n; i++) {
			if (t[i] ~ /^(srcid|dstid|ikelifetime|lifetime)$/)
				break
			if (t[i] ~ /^(ikesa|childsa)$/ && p != "") {
				out = out (p ~ /^childsa/ ? childnorm(" " p, ah) : " " p)
				p = ""
			}
			p = p (p == "" ? "" : " ") t[i]
		}
		if (p != "")
			out = out (p ~ /^childsa/ ? childnorm(" " p, ah) : " " p)
		ncfg = 0
		for (; i <= n; i++) {
			w = t[i]
			# N15
			if (w ~ /^(config|request)$/ && ++ncfg > 16) {
				i += 2
				continue
			}
			if (side == "ikecc") {
				# N10
				if (t[i - 1] ~ /^(srcid|dstid|iface)$/ &&
				    w ~ /^".*"$/)
					w = substr(w, 2, length(w) - 2)
				# N11
				if (w == "request") w = "config"
				# N12
				if (t[i - 2] ~ /^(config|request)$/)
					sub(/\/[0-9]+$/, "", w)
				# N13
				if (t[i - 1] == "tag" && length(w) > 65)
					w = substr(w, 1, 64) "\""
			}
			# N1
			if (side == "iked" && t[i - 1] == "psk" && w ~ /^0x/)
				w = "<redacted>"
			out = out " " w
		}
		pols[++npols] = out
		next
	}
	END {
		# N14
		for (i = 1; i <= nusers; i++) print users[i]
		for (i = 1; i <= npols; i++) print pols[i]
	}'
}

cd "$dir" || exit 1
if [ $# -eq 0 ]; then
	set -- $(ls *.conf 2>/dev/null | sed 's/\.conf$//')
fi
have_iked=1
command -v "$IKED" >/dev/null 2>&1 || have_iked=0
[ "$(id -u)" = 0 ] || have_iked=0
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM

for name in "$@"; do
	conf=$name.conf
	reason=$(sed -n 's/^# oracle-skip: *//p' "$conf" | head -n 1)
	if [ -n "$reason" ]; then
		echo "ok oracle/$name # skip $reason"
		continue
	fi
	if [ $have_iked = 0 ]; then
		echo "ok oracle/$name # skip iked not installed or not root"
		continue
	fi
	args=
	[ -f "$name.args" ] && args=$(cat "$name.args")
	# shellcheck disable=SC2086
	"$IKECC" -nv $args -f "$conf" > "$tmp/ikecc" 2> "$tmp/ikecc.err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok oracle/$name ikecc exited $rc"
		continue
	fi
	# iked refuses a config others can read; ikecc only warns when it
	# holds secrets.  Give iked a private copy of such a test.
	iconf=$conf
	if [ -f "$name.mode" ]; then
		iconf=.oracle.conf
		cp "$conf" "$iconf" && chmod 600 "$iconf"
	fi
	# iked -nv prints the policies with its log, on stderr
	# shellcheck disable=SC2086
	"$IKED" -nv $args -f "$iconf" > "$tmp/iked" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "not ok oracle/$name OpenIKED rejects it:" \
		    "$(grep -aEv '^(ikev2|user) ' "$tmp/iked" | head -n 1)"
		continue
	fi
	normalise ikecc < "$tmp/ikecc" > "$tmp/a"
	grep -aE '^(ikev2|user) ' "$tmp/iked" | normalise iked > "$tmp/b"
	if cmp -s "$tmp/a" "$tmp/b"; then
		echo "ok oracle/$name"
	else
		echo "not ok oracle/$name policy lines differ"
		# word by word: "<" is iked's, ">" is ikecc's
		tr ' ' '\n' < "$tmp/b" > "$tmp/bw"
		tr ' ' '\n' < "$tmp/a" > "$tmp/aw"
		diff "$tmp/bw" "$tmp/aw" | head -n 20 | sed 's/^/# /'
	fi
done
exit 0
