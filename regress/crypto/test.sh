#!/bin/bash
# ikerund/crypto.c: the unit tests of cryptotest, then its results checked
# against computations that share no code with it:
#  - prf+ against a loop of "openssl mac" runs in this script;
#  - the IKE SA keys (new and rekeyed), CHILD SA keys and PSK AUTH against
#    regress/crypto/ref.py (Python's hmac and hashlib), on fresh random
#    inputs each run;
#  - the SK payload, both ways, and Diffie-Hellman of every group against
#    ref.py on python3-cryptography (AES, the groups of RFC 3526 computed
#    from pi, the NIST curves, X25519).
# Missing python3 or its cryptography module turns those tests into
# "ok NAME # SKIP reason"; the known answers built into cryptotest (made
# by ref.py, see cryptotest.c) still run.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
CT=$BUILD/cryptotest
REF=$TOP/regress/crypto/ref.py

ok() { echo "ok $1${2:+ $2}"; }
nok() { echo "not ok $1${2:+ $2}"; }

if [ ! -x "$CT" ]; then
	nok crypto/cryptotest "(not built: make $CT)"
	exit 0
fi

# 1. the self-contained tests
"$CT" || nok crypto/cryptotest "(exit $?)"

# random hex of n bytes
rnd() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }
# hex to bytes on stdout (bash's printf knows \x)
unhex() { printf "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }

# 2. prf+ against openssl mac
openssl_prf_plus() {	# DIGEST KEYHEX SEEDHEX LEN
	local d=$1 k=$2 s=$3 len=$4 t="" out="" n=1 x
	while [ $((${#out} / 2)) -lt "$len" ]; do
		x=$(printf '%02x' $n)
		t=$(unhex "$t$s$x" | openssl mac -digest "$d" \
		    -macopt "hexkey:$k" HMAC | tr 'A-F' 'a-f')
		out=$out$t
		n=$((n + 1))
	done
	printf '%s\n' "${out:0:$((len * 2))}"
}
if openssl mac -digest SHA256 -macopt hexkey:00 HMAC </dev/null \
    >/dev/null 2>&1; then
	for p in "2 SHA1" "5 SHA256" "6 SHA384" "7 SHA512"; do
		set -- $p
		key=$(rnd 37)
		seed=$(rnd 80)00$(rnd 3)
		for len in 1 64 200; do
			a=$("$CT" prfplus "$1" "$key" "$seed" $len)
			b=$(openssl_prf_plus "$2" "$key" "$seed" $len)
			[ "$a" = "$b" ] || break
		done
		if [ "$a" = "$b" ]; then
			ok "crypto/prf-plus-prf$1-vs-openssl-mac"
		else
			nok "crypto/prf-plus-prf$1-vs-openssl-mac" "($len bytes)"
		fi
	done
else
	ok crypto/prf-plus-vs-openssl-mac "# SKIP no openssl mac"
fi

# 3. key schedule and AUTH against ref.py
if ! command -v python3 >/dev/null 2>&1; then
	ok crypto/vs-python-reference "# SKIP no python3"
	exit 0
fi
same() {	# NAME, then the arguments for both programs
	local name=$1 a b
	shift
	a=$("$CT" "$@" 2>&1)
	b=$(python3 "$REF" "$@" 2>&1)
	if [ -n "$a" ] && [ "$a" = "$b" ]; then
		ok "$name"
	else
		nok "$name" "(cryptotest: ${a:0:60}... ref.py: ${b:0:60}...)"
	fi
}
gir=$(rnd 256)
ni=$(rnd 32)
nr=$(rnd 48)
spii=$(rnd 8)
spir=$(rnd 8)
for s in "2 12 128 2" "5 12 256 12" "6 12 192 13" "7 12 256 14" \
    "5 20 128 0" "5 20 256 0" "7 19 256 0" "6 18 128 0"; do
	set -- $s
	same "crypto/ike-keys-prf$1-encr$2-$3-integ$4-vs-ref" \
	    ikekeys "$1" "$2" "$3" "$4" "$gir" "$ni" "$nr" "$spii" "$spir"
done
skd=$(rnd 32)
same crypto/ike-rekey-keys-vs-ref rekey 5 "$skd" 7 20 256 0 "$(rnd 32)" \
    "$(rnd 16)" "$(rnd 256)" "$(rnd 8)" "$(rnd 8)"
same crypto/ike-rekey-keys-other-prf-vs-ref rekey 7 "$(rnd 64)" 2 12 128 2 \
    "$(rnd 66)" "$ni" "$nr" "$spii" "$spir"
for c in "20 256 0" "20 128 0" "12 128 12" "12 256 14" "13 128 2" \
    "28 0 0" "0 0 13"; do
	set -- $c
	same "crypto/child-keys-encr$1-$2-integ$3-vs-ref" \
	    child 5 "$skd" "$1" "$2" "$3" - "$ni" "$nr"
	same "crypto/child-keys-encr$1-$2-integ$3-pfs-vs-ref" \
	    child 5 "$skd" "$1" "$2" "$3" "$gir" "$ni" "$nr"
done
msg=$(rnd 400)
id=02000000$(printf 'gw.example.org' | od -An -tx1 | tr -d ' \n')
for p in 2 5 6 7; do
	skp=$(rnd $(python3 -c "print({2:20,5:32,6:48,7:64}[$p])"))
	same "crypto/psk-auth-prf$p-vs-ref" auth $p "$skp" "$(rnd 20)" "$msg" \
	    "$nr" "$id"
done

# 4. SK payload and DH against ref.py with python3-cryptography
if [ "$(python3 "$REF" have-cryptography)" != yes ]; then
	ok crypto/sk-and-dh-vs-python-cryptography \
	    "# SKIP no python3-cryptography"
	exit 0
fi
seed=$(rnd 32)
prefix_i=${spii}${spir}2e202308000000010000000023000000
prefix_r=${spii}${spir}2e202320000000010000000024000000
for s in "5 12 128 12" "5 12 192 2" "5 12 256 13" "7 12 256 14" \
    "5 20 128 0" "5 20 256 0" "5 19 256 0" "5 18 192 0"; do
	set -- $s
	r=$(python3 "$REF" skcheck "$CT" "$1" "$2" "$3" "$4" "$seed" "$ni" \
	    "$nr" "$spii" "$spir" "$prefix_i" "$prefix_r" 2>&1)
	if [ "$r" = agree ]; then
		ok "crypto/sk-encr$2-$3-integ$4-vs-python-cryptography"
	else
		nok "crypto/sk-encr$2-$3-integ$4-vs-python-cryptography" \
		    "(${r:0:100})"
	fi
done
# a tampered ref.py message: refused
m=$(python3 "$REF" skenc 5 20 256 0 $seed $ni $nr $spii $spir 1 \
    "$prefix_i" "$(rnd 40)")
m=${m:0:100}$(printf '%x' $(( (0x${m:100:1} + 1) % 16 )))${m:101}
b=$("$CT" skdec 5 20 256 0 $seed $ni $nr $spii $spir 1 "$m" 28 32)
if [ "$b" = refused ]; then
	ok crypto/sk-tampered-ref-message-refused
else
	nok crypto/sk-tampered-ref-message-refused
fi

for g in 14 15 16 19 20 21 31; do
	r=$(python3 "$REF" dhcheck $g "$CT" 2>&1)
	if [ "$r" = agree ]; then
		ok "crypto/dh$g-agrees-with-python-cryptography"
	else
		nok "crypto/dh$g-agrees-with-python-cryptography" "(${r:0:80})"
	fi
done
exit 0
