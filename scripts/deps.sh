#!/bin/sh
# Install what building, the demo and the tests need, on Debian, as root.
# Does nothing when everything is there already.
set -eu
# mandoc lints the man pages (make check); GNU time measures make bench;
# iptables (legacy) and conntrack make the NAT of regress/uml/netns.sh;
# regress/uml builds a small preload for linux.uml with gcc and libc6-dev;
# the charon peers of the tests load the openssl plugin (X25519, ECP, GCM),
# which is in libstrongswan-standard-plugins (only recommended by charon)
pkgs="make gcc libc6-dev clang byacc flex pkg-config libssl-dev libevent-dev libmnl-dev
openssl iproute2 iputils-ping kmod procps psmisc
openiked strongswan-charon strongswan-swanctl libcharon-extra-plugins
libstrongswan-standard-plugins
tshark user-mode-linux iptables conntrack
mandoc time jq socat util-linux passwd"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: missing packages:$missing (run as root to install" \
		    "them)" >&2
		exit 1
	fi
	echo "deps: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# tshark asks whether non-root users may capture; the answer is no
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
	    debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
# the unprivileged user ikerund's children run as
sh "$(dirname "$0")/setup-user.sh"
