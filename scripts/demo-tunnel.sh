#!/bin/bash
# The tunnel part of "make demo": inside a User-Mode Linux guest (this
# host's kernel has no ESP), two network namespaces joined by a veth
# pair; ikerund on "left" runs examples/gateway-psk.conf compiled by
# ikecc, strongSwan on "right" is its peer.  ikerund starts the exchange
# (the policy is "active"), then: ikectl show sa, the kernel's SAs, a
# ping between the two LANs through the tunnel, and everything stopped.
# Documentation addresses only; nothing leaves the guest.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TOP:-$(cd "$here/.." && pwd)}
BUILD=${BUILD:-$TOP/build}

if [ "${1:-}" != --guest ]; then
	if [ ! -x /usr/bin/linux.uml ] || [ ! -x /usr/lib/ipsec/charon ]; then
		echo "demo-tunnel: needs user-mode-linux and strongSwan" \
		    "(scripts/deps.sh installs them)" >&2
		exit 1
	fi
	exec env TOP="$TOP" BUILD="$BUILD" "$TOP/regress/uml/uml-run.sh" \
	    -m 512M -t 180 "$here/demo-tunnel.sh" --guest
fi

# --- inside the guest ---------------------------------------------------------
source "$TOP/regress/uml/netns.sh"
W=$UML_JOB/demo
mkdir -p "$W"
trap 'ns_down >/dev/null 2>&1' EXIT
say() { printf '\n### %s\n' "$*"; }

say "two namespaces, documentation addresses, no way out of the guest"
ns_up >/dev/null 2>&1 || { echo "demo-tunnel: cannot set up namespaces"; exit 1; }
echo "left:  $LEFT_ADDR (LAN $LEFT_NET)    right: $RIGHT_ADDR (LAN $RIGHT_NET)"

say "ikecc compiles examples/gateway-psk.conf for left"
key=$(sed -n 's/^key[[:space:]]*=[[:space:]]*"\(.*\)"$/\1/p' \
    "$TOP/examples/gateway-psk.conf")
cp "$TOP/examples/gateway-psk.conf" "$W/left.conf"
chmod 0600 "$W/left.conf"
"$BUILD/ikecc" -f "$W/left.conf" -o "$W/left.bin" \
    -D local_gw="$LEFT_ADDR" -D remote_gw="$RIGHT_ADDR" \
    -D local_lan="$LEFT_NET" -D remote_lan="$RIGHT_NET" || exit 1
"$BUILD/ikecc" -d "$W/left.bin" | sed 's/psk 0x[0-9a-f]*/psk <redacted>/' |
    fold -s -w 76 | sed 's/^/  /'

say "strongSwan on right, the mirror image (its own swanctl.conf)"
cat >"$W/right.swan" <<EOF
connections {
	gw {
		version = 2
		local_addrs = $RIGHT_ADDR
		remote_addrs = $LEFT_ADDR
		proposals = aes256gcm16-prfsha256-x25519
		local {
			auth = psk
			id = gw-b.example.com
		}
		remote {
			auth = psk
			id = gw-a.example.com
		}
		children {
			lan {
				local_ts = $RIGHT_NET
				remote_ts = $LEFT_NET
				esp_proposals = aes256gcm16-x25519
			}
		}
	}
}
secrets {
	ike-gw {
		id-1 = gw-a.example.com
		id-2 = gw-b.example.com
		secret = "$key"
	}
}
EOF
chmod 0600 "$W/right.swan"
ns_start_charon right "$W/right.swan" >/dev/null 2>&1 ||
    { echo "demo-tunnel: charon did not start"; exit 1; }
echo "charon is listening on $RIGHT_ADDR"

say "ikerund on left loads the blob and, the policy being active, starts"
ns_start_ikerund left "$W/left.bin" >/dev/null 2>&1 ||
    { echo "demo-tunnel: ikerund did not start"; exit 1; }
if ! ns_wait 20 bash -c "ip netns exec $NS_LEFT ip xfrm state | grep -q rfc4106"; then
	echo "demo-tunnel: no tunnel; the last lines of ikerund's log:"
	tail -n 15 "$(ns_dir left ikerund)/ikerund.out"
	exit 1
fi
ns_ikectl left show stats | sed 's/^/  /'

say "ikectl show sa"
ns_ikectl left show sa | fold -s -w 76 | sed 's/^/  /'

say "the kernel's SAs on left (ip xfrm state, keys hidden)"
ns_exec left ip xfrm state | grep -E '^src|proto esp|aead|mode' |
    sed 's/0x[0-9a-f]\{16,\}/<key>/' | sed 's/^/  /'

say "ping from left's LAN ($LEFT_LAN) to right's LAN ($RIGHT_LAN), through ESP"
ns_ping left "$LEFT_LAN" "$RIGHT_LAN" 3 | sed 's/^/  /'
ok=${PIPESTATUS[0]}
echo "  ESP packets counted on left's SAs:" \
    "$(ns_exec left ip -s xfrm state | sed -n 's/.* \([0-9]*\)(packets).*/\1/p' | tr '\n' ' ')"

say "stopping: ikerund removes what it installed"
ns_stop left ikerund
ns_stop right charon
echo "  SAs left in the kernel on left: $(ns_exec left ip xfrm state | grep -c '^src')"
exit "$ok"
