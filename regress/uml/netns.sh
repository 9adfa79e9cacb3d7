# netns.sh: two hosts in network namespaces, and the IKE daemons on them.
# Sourced by bash scenario scripts, normally inside the UML guest that
# regress/uml/uml-run.sh boots (this machine's own kernel has no ESP):
#
#   source "$TOP/regress/uml/netns.sh"
#   ns_up                        # namespaces, addresses, EXIT trap
#   ns_start_charon right "$conf"
#   ns_start_ikerund left "$blob"
#   ns_swanctl right --initiate --child net
#   ns_ping right 203.0.113.1 198.51.100.1
#   ...                          # ns_down runs on exit, whatever happens
#
# Topology (documentation addresses only, no default route anywhere):
#
#   left                                     right
#   veth0 192.0.2.10/25     <== veth ==>     veth0 192.0.2.20/25
#         2001:db8:0:1::10/64                      2001:db8:0:1::20/64
#   lan0  198.51.100.1/24   (LANs on dummy   lan0  203.0.113.1/24
#         2001:db8:100::1/64  interfaces)          2001:db8:200::1/64
#
# Each side routes the other's LAN through the other's veth address, so
# without a tunnel the traffic crosses the veth in clear text, and never
# leaves the pair.  192.0.2.128/25 stays free for address pools (but see
# the NAT below).  Without the dummy module the LAN addresses go on lo as
# /32 and /128.
#
# NAT topology, opt-in (NS_NAT=1 ns_up, or ns_up_nat): a third namespace
# "nat" ($NS_NAT_NS) between the two, right behind it, masquerading what
# right sends towards left (iptables-legacy inside "nat" only: the UML
# kernel has no nf_tables NAT for IPv4), IPv4 only:
#
#   left                     nat                              right
#   veth0 192.0.2.10/25 <==> veth0 192.0.2.1/25
#                                  192.0.2.2/25 (ns_nat_remap)
#                            veth1 192.0.2.129/26      <==>   veth0 192.0.2.130/26
#   lan0  198.51.100.1/24                                     lan0  203.0.113.1/24
#
# RIGHT_ADDR is then 192.0.2.130 and RIGHT_PUB, the address left sees
# right's packets come from, 192.0.2.1 (RIGHT_PUB is RIGHT_ADDR without
# the NAT).  UDP leaves the NAT from ports $NS_NAT_PORTS (40000-49999:
# a NAT that changes ports as well; empty: ports kept when free).  Bare
# ESP does not cross it (Linux would NAT it like any protocol without
# ports, and a tunnel would work without UDP encapsulation; NS_NAT_ESP=1
# lets it through).  Left
# routes right's LAN to the NAT, right routes left's LAN and left's link
# to the NAT; the NAT routes neither LAN, so only a tunnel gets traffic
# between the LANs.  192.0.2.192/26 stays free for address pools.
#
# Functions (NS is "left" or "right", $NS_LEFT/$NS_RIGHT; anything else
# is refused, so that a daemon never starts in the initial namespace):
#   ns_up / ns_down              build / tear down (stops every process
#                                started in the namespaces, by pid)
#   ns_up_nat                    ns_up with the NAT between the two
#   ns_nat_remap [ADDR]          the NAT maps right to ADDR from now on
#                                (default: the one it does not use now)
#                                and forgets every mapping it has
#   ns_nat_flush                 it forgets every mapping (conntrack -F)
#   (with the NAT, "nat" is a namespace for ns_exec, ns_spawn and
#   ns_capture_start too: veth0 faces left, veth1 right)
#   ns_exec NS CMD...            run a command in a namespace
#   ns_spawn NS NAME CMD...      start a daemon there in the background,
#                                pid in $NS_RUN/NS-NAME/pid, output in
#                                $NS_RUN/NS-NAME/NAME.out
#   ns_stop NS NAME              stop it (TERM, then KILL after 5 s)
#   ns_start_charon NS SWANCTL_CONF   strongSwan charon + swanctl --load-all
#   ns_swanctl NS ARGS...        swanctl bound to that charon
#   ns_start_iked NS IKED_CONF   OpenIKED, waits until fully configured
#   ns_iked_ctl NS ARGS...       OpenIKED's ikectl bound to that iked
#   ns_start_ikerund NS [BLOB] [ARGS...]   ikerund -d -v, waits for its socket
#   ns_ikectl NS ARGS...         the project's ikectl bound to that ikerund
#   ns_capture_start NS FILE [IFACE] / ns_capture_stop NS   dumpcap
#   ns_ping NS SRC DST [COUNT]   ping from SRC, 1 s deadline per packet
#   ns_xfrm NS                   ip -s xfrm state and policy
#   ns_wait SECONDS CMD...       poll CMD every 0.1 s until it succeeds
#   ns_pids NS / ns_clean NS     every process in a namespace / stop them
#   ns_quiet MS SECONDS PID...   wait until the processes have used no CPU
#                                for MS (NS_QUIET_AT: when they last did)
#   ns_dir NS NAME               the private directory of a daemon
#
# Every daemon gets a private directory $NS_RUN/NS-NAME/ with its
# configuration, logs, pid file and control socket.  $NS_RUN is a fresh
# directory on the guest's own /tmp (or $NS_RUN when set); with KEEP=1 in
# the guest's environment (uml-run.sh passes it), ns_down copies it to
# $UML_JOB/ns for a look after the run.
#
# Variables: NS_LEFT NS_RIGHT, the address variables below, TOP BUILD
# (the project, for ikerund and ikectl), NS_CHARON_PLUGINS,
# NS_CHARON_LOGLEVEL (default 1), NS_IKED_VERBOSE (default -vv: readiness
# is read from the debug log; when set to less, e.g. empty, iked is ready
# once it has used no CPU for 1 s), NS_IKED_READY (seconds, default 60).

NS_LEFT=${NS_LEFT:-left}
NS_RIGHT=${NS_RIGHT:-right}
NS_IF=${NS_IF:-veth0}
NS_LAN_IF=${NS_LAN_IF:-lan0}

LEFT_ADDR=${LEFT_ADDR:-192.0.2.10}
RIGHT_ADDR=${RIGHT_ADDR:-192.0.2.20}
LINK_PLEN=${LINK_PLEN:-25}
LEFT_LAN=${LEFT_LAN:-198.51.100.1}
RIGHT_LAN=${RIGHT_LAN:-203.0.113.1}
LEFT_NET=${LEFT_NET:-198.51.100.0/24}
RIGHT_NET=${RIGHT_NET:-203.0.113.0/24}
LEFT_ADDR6=${LEFT_ADDR6:-2001:db8:0:1::10}
RIGHT_ADDR6=${RIGHT_ADDR6:-2001:db8:0:1::20}
LEFT_LAN6=${LEFT_LAN6:-2001:db8:100::1}
RIGHT_LAN6=${RIGHT_LAN6:-2001:db8:200::1}
LEFT_NET6=${LEFT_NET6:-2001:db8:100::/64}
RIGHT_NET6=${RIGHT_NET6:-2001:db8:200::/64}

NS_NAT_NS=${NS_NAT_NS:-nat}
NAT_OUT_ADDR=${NAT_OUT_ADDR:-192.0.2.1}
NAT_OUT_ADDR2=${NAT_OUT_ADDR2:-192.0.2.2}
NAT_OUT_NET=${NAT_OUT_NET:-192.0.2.0/25}
NAT_IN_ADDR=${NAT_IN_ADDR:-192.0.2.129}
NAT_RIGHT_ADDR=${NAT_RIGHT_ADDR:-192.0.2.130}
NAT_IN_PLEN=${NAT_IN_PLEN:-26}
NS_NAT_PORTS=${NS_NAT_PORTS-40000-49999}
NS__RIGHT_ADDR=$RIGHT_ADDR
RIGHT_PUB=$RIGHT_ADDR
IPTABLES=${IPTABLES:-iptables-legacy}

TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
CHARON=${CHARON:-/usr/lib/ipsec/charon}
SWANCTL=${SWANCTL:-/usr/sbin/swanctl}
IKED=${IKED:-/usr/sbin/iked}
IKED_CTL=${IKED_CTL:-/usr/sbin/ikectl}

# No "resolve" (rewrites /etc/resolv.conf), "updown" (runs scripts) or
# "stroke"; kernel-netlink installs the SAs through XFRM.
NS_CHARON_PLUGINS=${NS_CHARON_PLUGINS:-"random nonce openssl aes sha1 sha2 hmac gcm kdf gmp pem pkcs1 pkcs8 x509 pubkey revocation constraints kernel-netlink socket-default vici eap-identity eap-mschapv2"}

NS_RUN=${NS_RUN:-}
NS_ISUP=0
NS_ISNAT=0

ns_log() { printf 'netns: %s\n' "$*" >&2; }
ns_err() { printf 'netns: error: %s\n' "$*" >&2; return 1; }

ns_check() {		# ns_check NS: one of ours, and it exists
	case $1 in
	"$NS_LEFT"|"$NS_RIGHT") ;;
	"$NS_NAT_NS") [ "$NS_ISNAT" = 1 ] ||
	    { ns_err "no NAT in this topology: $1"; return 1; } ;;
	*) ns_err "not a test namespace: $1"; return 1 ;;
	esac
	[ -e "/run/netns/$1" ] || { ns_err "no namespace $1"; return 1; }
}

ns_exec() {
	local ns=$1; shift
	ns_check "$ns" || return 1
	ip netns exec "$ns" "$@"
}

ns_wait() {		# ns_wait SECONDS CMD...
	local n=$(($1 * 10)); shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

ns_dir() { echo "$NS_RUN/$1-$2"; }

# ns_spawn NS NAME CMD...: CMD is exec'ed all the way down (ip netns exec,
# unshare, sh -c 'exec ...'), so the recorded pid is the daemon's own.
# Background jobs of a script ignore SIGINT: stop them with SIGTERM.
ns_spawn() {
	local ns=$1 name=$2 d; shift 2
	ns_check "$ns" || return 1
	d=$(ns_dir "$ns" "$name")
	mkdir -p "$d"
	ip netns exec "$ns" "$@" >"$d/$name.out" 2>&1 </dev/null &
	echo $! >"$d/pid"
}

ns_alive() {		# ns_alive NS NAME
	local f; f=$(ns_dir "$1" "$2")/pid
	[ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

ns__kill() {		# one pid: TERM, up to 5 s, KILL
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

ns_pids() {		# ns_pids NS: every process in the namespace
	ns_check "$1" && ip netns pids "$1"
}

# ns_clean NS: stop every process still in the namespace, by pid (a
# daemon's children may outlive it)
ns_clean() {
	local pid
	for pid in $(ns_pids "$1"); do
		ns__kill "$pid"
	done
}

# ns_cpu PID...: NS_CPU = their utime + stime, in clock ticks.  Shell
# builtins only, so that polling costs the (single) guest CPU little.
ns_cpu() {
	local p f a s=0
	for p; do
		read -r f 2>/dev/null <"/proc/$p/stat" || continue
		f=${f##*) }
		read -r -a a <<<"$f"
		s=$((s + a[11] + a[12]))
	done
	NS_CPU=$s
}

# ns_quiet QUIET_MS TIMEOUT_S PID...: wait until the processes have used
# no CPU for QUIET_MS, polling every 50 ms; NS_QUIET_AT is the time
# (microseconds, EPOCHREALTIME) at which their CPU time last changed.
# Returns 1 after TIMEOUT_S seconds.
ns_quiet() {
	local q=$(($1 * 1000)) lim last=-1 t fd rc=1
	lim=$((${EPOCHREALTIME/./} + $2 * 1000000))
	shift 2
	rm -f "$NS_RUN/.tick"
	mkfifo "$NS_RUN/.tick" || return 1
	exec {fd}<>"$NS_RUN/.tick"	# never written: read -t is a sleep
	NS_QUIET_AT=${EPOCHREALTIME/./}
	while :; do
		ns_cpu "$@"
		t=${EPOCHREALTIME/./}
		if [ "$NS_CPU" != "$last" ]; then
			last=$NS_CPU
			NS_QUIET_AT=$t
		fi
		[ $((t - NS_QUIET_AT)) -ge $q ] && { rc=0; break; }
		[ "$t" -ge "$lim" ] && break
		read -r -t 0.05 -u "$fd"
	done
	exec {fd}<&-
	rm -f "$NS_RUN/.tick"
	return $rc
}

ns_stop() {		# ns_stop NS NAME
	local f; f=$(ns_dir "$1" "$2")/pid
	[ -f "$f" ] || return 0
	ns__kill "$(cat "$f")"
	rm -f "$f"
}

# --- topology ---------------------------------------------------------------
ns_up() {
	local ns
	for ns in "$NS_LEFT" "$NS_RIGHT" "$NS_NAT_NS"; do
		[ "$ns" = "$NS_NAT_NS" ] && [ "${NS_NAT:-0}" != 1 ] && continue
		[ -e "/run/netns/$ns" ] &&
		    { ns_err "namespace $ns exists already"; return 1; }
	done
	if [ -z "$NS_RUN" ]; then
		NS_RUN=$(mktemp -d /tmp/netns.XXXXXX) || return 1
	fi
	mkdir -p "$NS_RUN"
	chmod 0755 "$NS_RUN"
	NS_ISUP=1
	if [ -z "${NS_NO_TRAP:-}" ]; then
		trap 'ns_down' EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
	fi
	if [ "${NS_NAT:-0}" = 1 ]; then
		ns__up_nat
		return
	fi
	NS_ISNAT=0 RIGHT_ADDR=$NS__RIGHT_ADDR RIGHT_PUB=$NS__RIGHT_ADDR
	ip netns add "$NS_LEFT" && ip netns add "$NS_RIGHT" || return 1
	ip -n "$NS_LEFT" link add "$NS_IF" type veth peer name "$NS_IF" \
	    netns "$NS_RIGHT" || return 1
	ns__host "$NS_LEFT" "$LEFT_ADDR" "$LEFT_LAN" "$LEFT_NET" \
	    "$LEFT_ADDR6" "$LEFT_LAN6" "$LEFT_NET6" || return 1
	ns__host "$NS_RIGHT" "$RIGHT_ADDR" "$RIGHT_LAN" "$RIGHT_NET" \
	    "$RIGHT_ADDR6" "$RIGHT_LAN6" "$RIGHT_NET6" || return 1
	ip -n "$NS_LEFT" route add "$RIGHT_NET" via "$RIGHT_ADDR" &&
	ip -n "$NS_RIGHT" route add "$LEFT_NET" via "$LEFT_ADDR" &&
	ip -n "$NS_LEFT" -6 route add "$RIGHT_NET6" via "$RIGHT_ADDR6" &&
	ip -n "$NS_RIGHT" -6 route add "$LEFT_NET6" via "$LEFT_ADDR6"
}

ns_up_nat() { NS_NAT=1 ns_up; }

# left - nat - right, see the top; IPv4 only on the links
ns__up_nat() {
	NS_ISNAT=1 RIGHT_ADDR=$NAT_RIGHT_ADDR RIGHT_PUB=$NAT_OUT_ADDR
	local n=$NS_NAT_NS
	ip netns add "$NS_LEFT" && ip netns add "$NS_RIGHT" &&
	    ip netns add "$n" || return 1
	ip -n "$NS_LEFT" link add "$NS_IF" type veth peer name veth0 \
	    netns "$n" || return 1
	ip -n "$NS_RIGHT" link add "$NS_IF" type veth peer name veth1 \
	    netns "$n" || return 1
	LINK_PLEN=${NAT_OUT_NET#*/} ns__host "$NS_LEFT" "$LEFT_ADDR" "$LEFT_LAN" "$LEFT_NET" \
	    "" "$LEFT_LAN6" "$LEFT_NET6" || return 1
	LINK_PLEN=$NAT_IN_PLEN ns__host "$NS_RIGHT" "$RIGHT_ADDR" "$RIGHT_LAN" \
	    "$RIGHT_NET" "" "$RIGHT_LAN6" "$RIGHT_NET6" || return 1
	ip -n "$n" link set lo up &&
	ip -n "$n" link set veth0 up &&
	ip -n "$n" link set veth1 up &&
	ip -n "$n" addr add "$NAT_OUT_ADDR/${NAT_OUT_NET#*/}" dev veth0 &&
	ip -n "$n" addr add "$NAT_OUT_ADDR2/${NAT_OUT_NET#*/}" dev veth0 &&
	ip -n "$n" addr add "$NAT_IN_ADDR/$NAT_IN_PLEN" dev veth1 &&
	ip netns exec "$n" sysctl -q -w net.ipv4.ip_forward=1 || return 1
	ip -n "$NS_LEFT" route add "$RIGHT_NET" via "$NAT_OUT_ADDR" &&
	ip -n "$NS_RIGHT" route add "$LEFT_NET" via "$NAT_IN_ADDR" &&
	ip -n "$NS_RIGHT" route add "$NAT_OUT_NET" via "$NAT_IN_ADDR" ||
	    return 1
	if ! command -v "$IPTABLES" >/dev/null; then
		ns_err "no $IPTABLES (scripts/deps.sh installs iptables)"
		return 1
	fi
	if [ "${NS_NAT_ESP:-0}" != 1 ]; then
		ns_exec "$n" "$IPTABLES" -A FORWARD -p esp -j DROP || return 1
	fi
	ns__nat_rules MASQUERADE
}

# ns__nat_rules MASQUERADE | SNAT ADDR: what the NAT does to packets that
# leave it towards left, UDP from $NS_NAT_PORTS when set
ns__nat_rules() {
	local to=${2:-} p=
	ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -F POSTROUTING || return 1
	if [ "$1" = MASQUERADE ]; then
		[ -n "$NS_NAT_PORTS" ] && p="--to-ports $NS_NAT_PORTS"
		ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -A POSTROUTING \
		    -o veth0 -p udp -j MASQUERADE $p &&
		ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -A POSTROUTING \
		    -o veth0 -j MASQUERADE
	else
		ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -A POSTROUTING \
		    -o veth0 -p udp -j SNAT \
		    --to-source "$to${NS_NAT_PORTS:+:$NS_NAT_PORTS}" &&
		ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -A POSTROUTING \
		    -o veth0 -j SNAT --to-source "$to"
	fi
}

# ns__nat_swap ADDR: the same rules with another source address, each
# replaced in place (-R), so that no packet leaves un-NATed meanwhile
ns__nat_swap() {
	local to=$1
	ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -R POSTROUTING 1 \
	    -o veth0 -p udp -j SNAT \
	    --to-source "$to${NS_NAT_PORTS:+:$NS_NAT_PORTS}" &&
	ns_exec "$NS_NAT_NS" "$IPTABLES" -t nat -R POSTROUTING 2 \
	    -o veth0 -j SNAT --to-source "$to"
}

ns_nat_flush() {
	ns_exec "$NS_NAT_NS" conntrack -F >/dev/null 2>&1
}

ns_nat_remap() {	# ns_nat_remap [ADDR]
	local to=${1:-}
	if [ -z "$to" ]; then
		to=$NAT_OUT_ADDR2
		[ "$RIGHT_PUB" = "$NAT_OUT_ADDR2" ] && to=$NAT_OUT_ADDR
	fi
	ns__nat_swap "$to" || ns__nat_rules SNAT "$to" || return 1
	RIGHT_PUB=$to
	ns_nat_flush
}

ns__host() {		# NS ADDR LAN NET ADDR6 LAN6 NET6 (no ADDR6: none)
	local ns=$1
	ip -n "$ns" link set lo up
	ip -n "$ns" link set "$NS_IF" up
	ip -n "$ns" addr add "$2/$LINK_PLEN" dev "$NS_IF" || return 1
	if [ -n "$5" ]; then
		ip -n "$ns" addr add "$5/64" dev "$NS_IF" nodad || return 1
	fi
	if ip -n "$ns" link add "$NS_LAN_IF" type dummy 2>/dev/null; then
		ip -n "$ns" link set "$NS_LAN_IF" up
		ip -n "$ns" addr add "$3/${4#*/}" dev "$NS_LAN_IF" &&
		ip -n "$ns" addr add "$6/${7#*/}" dev "$NS_LAN_IF" nodad
	else
		ip -n "$ns" addr add "$3/32" dev lo &&
		ip -n "$ns" addr add "$6/128" dev lo
	fi
}

# Stop every process this library started, then every process still in
# the namespaces (by pid, never by name), then delete the namespaces.
ns_down() {
	local f ns pid
	[ "$NS_ISUP" = 1 ] || return 0
	NS_ISUP=0
	for f in "$NS_RUN"/*/pid; do
		[ -f "$f" ] || continue
		ns__kill "$(cat "$f")"
		rm -f "$f"
	done
	for ns in "$NS_LEFT" "$NS_RIGHT" "$NS_NAT_NS"; do
		[ "$ns" = "$NS_NAT_NS" ] && [ "$NS_ISNAT" != 1 ] && continue
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			ns__kill "$pid"
		done
		ip netns del "$ns"
	done
	if [ "${KEEP:-0}" = 1 ] && [ -n "${UML_JOB:-}" ]; then
		mkdir -p "$UML_JOB/ns"
		cp -r "$NS_RUN"/. "$UML_JOB/ns/" 2>/dev/null
	fi
	case $NS_RUN in /tmp/netns.*) rm -rf "$NS_RUN" ;; esac
	return 0
}

# --- strongSwan ---------------------------------------------------------------
# ns_start_charon NS SWANCTL_CONF [EXTRA]: charon with a private
# strongswan.conf (STRONGSWAN_CONF), swanctl directory (SWANCTL_DIR) and
# /run (its pid file /var/run/charon.pid is compiled in: a second charon
# would refuse to start), then swanctl --load-all.  EXTRA goes inside the
# charon { } section.
ns_start_charon() {
	local ns=$1 conf=$2 extra=${3:-} d sub
	ns_check "$ns" || return 1
	d=$(ns_dir "$ns" charon)
	rm -rf "$d"
	mkdir -p "$d/run"
	for sub in x509 x509ca x509aa x509ocsp x509crl x509ac pubkey private \
	    rsa ecdsa pkcs8 pkcs12 conf.d; do
		mkdir -p "$d/swanctl/$sub"
	done
	chmod 0700 "$d/swanctl/private"
	install -m 0600 "$conf" "$d/swanctl/swanctl.conf" || return 1
	cat >"$d/strongswan.conf" <<-EOF
	# written by netns.sh for namespace $ns
	charon {
		load = $NS_CHARON_PLUGINS
		install_routes = no
		retransmit_tries = 3
		filelog {
			log {
				path = $d/charon.log
				time_format = %H:%M:%S
				ike_name = yes
				default = ${NS_CHARON_LOGLEVEL:-1}
				flush_line = yes
			}
		}
		plugins {
			vici {
				socket = unix://$d/charon.vici
			}
		}
		$extra
	}
	swanctl {
		socket = unix://$d/charon.vici
		load = random nonce openssl pem pkcs1 pkcs8 x509 pubkey
	}
	EOF
	ns_spawn "$ns" charon unshare -m --propagation private sh -c \
	    'mount --bind "$1" /run && STRONGSWAN_CONF=$2 exec "$3"' \
	    sh "$d/run" "$d/strongswan.conf" "$CHARON" || return 1
	if ! ns_wait 30 test -S "$d/charon.vici"; then
		ns_err "charon in $ns: no vici socket (see $d/charon.log)"
		return 1
	fi
	if ! ns_swanctl "$ns" --load-all --noprompt >"$d/load.log" 2>&1; then
		cat "$d/load.log" >&2
		ns_err "charon in $ns: swanctl --load-all failed"
		return 1
	fi
}

ns_swanctl() {
	local ns=$1 d; shift
	d=$(ns_dir "$ns" charon)
	ns_exec "$ns" env STRONGSWAN_CONF="$d/strongswan.conf" \
	    SWANCTL_DIR="$d/swanctl" "$SWANCTL" "$@"
}

# --- OpenIKED -----------------------------------------------------------------
# ns_start_iked NS IKED_CONF: iked -d with a private /etc/iked (keys and
# certificates are looked up there, compiled in) in its own mount
# namespace.  iked wants the _iked user of its package, a config file
# owned by root and not readable by others, and PF_KEY (af_key).
# OpenIKED 7.2 enables its IKE sockets before its ikev2 process has the
# whole configuration (fixed in 7.3 by IMSG_CTL_PROCREADY): a request in
# that window is answered with empty traffic selectors.  The static
# settings come last, so wait for "config_getstatic" in the debug log.
ns_start_iked() {
	local ns=$1 conf=$2 d sub
	ns_check "$ns" || return 1
	getent passwd _iked >/dev/null || { ns_err "no user _iked"; return 1; }
	d=$(ns_dir "$ns" iked)
	rm -rf "$d"
	mkdir -p "$d/etc"
	for sub in ca certs crls private pubkeys/fqdn pubkeys/ipv4 \
	    pubkeys/ipv6 pubkeys/ufqdn; do
		mkdir -p "$d/etc/$sub"
	done
	chmod 0700 "$d/etc/private"
	# iked loads private/local.key at start; each instance gets its own
	openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$d/etc/private/local.key" 2>/dev/null &&
	openssl pkey -in "$d/etc/private/local.key" -pubout \
	    -out "$d/etc/local.pub" 2>/dev/null || return 1
	chmod 0600 "$d/etc/private/local.key"
	install -m 0600 -o root -g root "$conf" "$d/iked.conf" || return 1
	if ! "$IKED" -n -f "$d/iked.conf" >"$d/check.log" 2>&1; then
		cat "$d/check.log" >&2
		ns_err "iked -n refused $conf"
		return 1
	fi
	ns_spawn "$ns" iked unshare -m --propagation private sh -c \
	    'mount --bind "$1" /etc/iked && exec "$2" -d $5 -f "$3" -s "$4"' \
	    sh "$d/etc" "$IKED" "$d/iked.conf" "$d/iked.sock" \
	    "${NS_IKED_VERBOSE--vv}" || return 1
	if ! ns_wait 30 test -S "$d/iked.sock"; then
		ns_err "iked in $ns: no control socket (see $d/iked.out)"
		return 1
	fi
	case ${NS_IKED_VERBOSE--vv} in
	*vv*)
		if ! ns_wait "${NS_IKED_READY:-60}" ns__iked_ready "$ns" "$d"; then
			ns_log "iked in $ns: no config_getstatic in its log yet"
		fi ;;
	*)	# no debug log to read: wait until iked has used no CPU for 1 s
		if ! ns_quiet 1000 "${NS_IKED_READY:-60}" $(ns_pids "$ns"); then
			ns_log "iked in $ns: still busy after ${NS_IKED_READY:-60} s"
		fi ;;
	esac
	ns_alive "$ns" iked ||
	    { tail -n 5 "$d/iked.out" >&2; ns_err "iked in $ns exited"; }
}

ns__iked_ready() {
	grep -q config_getstatic "$2/iked.out" || ! ns_alive "$1" iked
}

ns_iked_ctl() {
	local ns=$1; shift
	ns_exec "$ns" "$IKED_CTL" -s "$(ns_dir "$ns" iked)/iked.sock" "$@"
}

# --- ikerund --------------------------------------------------------------------
# ns_start_ikerund NS [BLOB] [ARGS...]: ikerund -d -v with its socket, pid
# file and key directory in $NS_RUN/NS-ikerund/; ready when
# "ikectl show stats" answers.
ns_start_ikerund() {
	local ns=$1 blob=${2:-} d; shift; [ $# -gt 0 ] && shift
	ns_check "$ns" || return 1
	d=$(ns_dir "$ns" ikerund)
	rm -rf "$d"
	mkdir -p "$d/keys"
	chmod 0700 "$d/keys"
	# NS_IKERUND_V: its verbosity flag ("-v" unless set; "" for benchmarks)
	ns_spawn "$ns" ikerund "$BUILD/ikerund" -d ${NS_IKERUND_V--v} -s "$d/ikerund.sock" \
	    -P "$d/ikerund.pid" -K "$d/keys" ${blob:+-f "$blob"} "$@" ||
	    return 1
	if ! ns_wait 30 ns__ikerund_ready "$ns" "$blob"; then
		tail -n 5 "$d/ikerund.out" >&2
		ns_err "ikerund in $ns did not answer on $d/ikerund.sock"
		return 1
	fi
	if [ -n "$blob" ] && [ "$(ns__ikerund_gen "$ns")" = 0 ]; then
		tail -n 5 "$d/ikerund.out" >&2
		ns_err "ikerund in $ns did not load $blob"
		return 1
	fi
}

# Ready: the control socket answers and, when started with a blob, that
# blob is the running generation or was refused (the first load runs
# after the socket opens).
ns__ikerund_ready() {
	local js
	ns_alive "$1" ikerund || return 1
	js=$(ns_ikectl "$1" show stats -j 2>/dev/null) || return 1
	[ -z "$2" ] && return 0
	[ "$(jq -r '.generation > 0 or .refused > 0' <<<"$js")" = true ]
}

ns__ikerund_gen() {
	ns_ikectl "$1" show stats -j 2>/dev/null | jq -r .generation
}

ns_ikectl() {
	local ns=$1; shift
	ns_exec "$ns" "$BUILD/ikectl" -s "$(ns_dir "$ns" ikerund)/ikerund.sock" "$@"
}

# --- observing ------------------------------------------------------------------
# ns_capture_start NS FILE [IFACE]: dumpcap until ns_capture_stop NS.
# With kernel IPsec, the receiving side's capture also shows every
# decrypted inner packet (XFRM passes it up the same interface): judge
# clear text by what a host sends.
ns_capture_start() {
	local ns=$1 file=$2 ifc=${3:-$NS_IF}
	rm -f "$file"
	ns_spawn "$ns" capture dumpcap -q -i "$ifc" -w "$file" || return 1
	echo "$file" >"$(ns_dir "$ns" capture)/file"
	ns_wait 30 test -s "$file" ||
	    { ns_err "dumpcap in $ns did not start"; return 1; }
}

# dumpcap finishes its file on SIGTERM, but drops what it has not read
# from the kernel yet: first wait until the file has stopped growing
# (0.4 s without a change, 5 s at most).
ns_capture_stop() {
	local f sz last=-1 same=0 i
	ns_alive "$1" capture || return 0
	f=$(ns_dir "$1" capture)/file
	for i in $(seq 25); do
		sz=$(stat -c %s "$(cat "$f" 2>/dev/null)" 2>/dev/null || echo 0)
		if [ "$sz" = "$last" ]; then
			same=$((same + 1))
			[ $same -ge 2 ] && break
		else
			same=0 last=$sz
		fi
		sleep 0.2
	done
	ns_stop "$1" capture
}

ns_ping() {		# ns_ping NS SRC DST [COUNT]
	ns_exec "$1" ping -n -q -c "${4:-3}" -i 0.2 -w "$(( ${4:-3} + 2 ))" \
	    -I "$2" "$3"
}

ns_xfrm() {
	echo "--- ip -s xfrm state ($1)"
	ns_exec "$1" ip -s xfrm state
	echo "--- ip xfrm policy ($1)"
	ns_exec "$1" ip xfrm policy
}
