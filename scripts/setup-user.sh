#!/bin/sh
# Create the unprivileged user ikerund's ca and ikev2 processes run as,
# and the empty directory the ikev2 process is chrooted to.  Idempotent.
# Used by scripts/deps.sh and "make install"; run as root.
set -eu
user=${IKERUND_USER:-_ikerund}
empty=${IKERUND_EMPTY:-/var/lib/ikerund/empty}
[ "$(id -u)" -eq 0 ] || { echo "setup-user: not root, skipped" >&2; exit 0; }
if ! getent passwd "$user" >/dev/null; then
	useradd --system --user-group --no-create-home --home-dir "$empty" \
	    --shell /usr/sbin/nologin --comment "ikerund privilege separation" \
	    "$user"
	echo "setup-user: created user $user"
fi
install -d -m 0755 -o root -g root "$empty"
