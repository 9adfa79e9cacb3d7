#!/bin/bash
# uml-run.sh: run a script inside a throw-away User-Mode Linux guest.
#
# Usage: regress/uml/uml-run.sh [-m MEM] [-t TIMEOUT] [-e VAR=VAL]...
#            SCRIPT [ARG...]
#
# This machine's kernel has XFRM netlink but no ESP, AEAD or PF_KEY.
# Debian's user-mode-linux package has a 6.1 kernel with all of them as
# modules, runnable as an ordinary process.  uml-run.sh boots it with:
#
#   /              the host's root through hostfs, READ-ONLY (the project
#                  checkout and the build directory are read through it)
#   $UML_JOB       a fresh per-run job directory on the host, the only
#                  writable host path (mktemp under $UML_JOBROOT, default
#                  $TMPDIR or /tmp)
#   /proc /sys /dev /run /tmp /var/tmp   the guest's own
#
# and no network device but lo: whatever the script builds (namespaces,
# veth pairs) lives inside the guest kernel.  regress/uml/uml-init.sh is
# PID 1: it mounts, loads the IPsec modules and runs SCRIPT with bash, with
# the current directory at the project's top and these in the environment:
#
#   TOP BUILD      project checkout, build directory (read-only)
#   UML_JOB        the job directory (writable, also seen by the host)
#   UML_GUEST=1    set only inside the guest
#   KEEP           as given to uml-run.sh (netns.sh then saves its files)
#   VAR=VAL        each -e option
#
# The script's output (stdout and stderr) is printed as it runs, and
# uml-run.sh exits with its status: 124 when the guest was killed after
# TIMEOUT seconds (default 600), 125 when the guest ended without a result.
# The guest is always stopped and the job directory removed, unless KEEP=1
# (then its path is printed: console.log, modprobe.log, out.log, files the
# script left there).  -m sets the guest's memory (default 1024M); it is a
# sparse file in the job directory.  UML is single-CPU and slow at system
# calls: good for function, use figures only to compare within one run.
#
# Needs root on the host (the guest runs as the host user that starts it,
# and root inside the guest needs host root to use the host's files as
# their owner does), and the packages user-mode-linux and kmod
# (scripts/deps.sh).
set -u

usage() {
	echo "usage: uml-run.sh [-m mem] [-t timeout] [-e var=val]... script [arg ...]" >&2
	exit 2
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=${TOP:-$(cd "$here/../.." && pwd)}
BUILD=${BUILD:-$TOP/build}
UML_BIN=${UML_BIN:-/usr/bin/linux.uml}

mem=1024M
tmo=600
envs=()
while getopts m:t:e: o; do
	case $o in
	m)	mem=$OPTARG ;;
	t)	tmo=$OPTARG ;;
	e)	case $OPTARG in
		[A-Za-z_]*=*) envs+=("$OPTARG") ;;
		*) echo "uml-run.sh: -e wants VAR=VAL: $OPTARG" >&2; exit 2 ;;
		esac ;;
	*)	usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case $tmo in ''|*[!0-9]*) echo "uml-run.sh: bad timeout: $tmo" >&2; exit 2 ;; esac

if [ ! -x "$UML_BIN" ]; then
	echo "uml-run.sh: $UML_BIN missing (apt-get install user-mode-linux)" >&2
	exit 2
fi
if [ ! -x /sbin/modprobe ]; then
	echo "uml-run.sh: /sbin/modprobe missing (apt-get install kmod)" >&2
	exit 2
fi
[ -f "$1" ] || { echo "uml-run.sh: no such script: $1" >&2; exit 2; }
script=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
TOP=$(cd "$TOP" && pwd)
[ -d "$BUILD" ] && BUILD=$(cd "$BUILD" && pwd)

jobroot=${UML_JOBROOT:-${TMPDIR:-/tmp}}
job=$(mktemp -d "$jobroot/ikerun-uml.XXXXXX") || exit 1
# Paths travel on the kernel command line, which splits at blanks.
case "$job$TOP$here" in
*[[:space:]]*)
	echo "uml-run.sh: paths with blanks are not supported: $job $TOP" >&2
	rm -rf "$job"
	exit 2 ;;
esac
chmod 0755 "$job"
mkdir "$job/mem" "$job/uml"
: >"$job/out.log"
# The guest has its own /tmp, /var/tmp and /run; uml-init.sh mounts the
# checkout and the build directory again when they are there, but any
# other script from there is copied into the job directory (it then
# cannot source its neighbours).
case $script in
"$TOP"/*|"$BUILD"/*) ;;
/tmp/*|/var/tmp/*|/run/*|/dev/shm/*)
	cp "$script" "$job/script.sh" || exit 1
	script=$job/script.sh ;;
esac

upid= tpid=
cleanup() {
	local rc=$?
	if [ -n "$upid" ] && kill -0 "$upid" 2>/dev/null; then
		# timeout(1) passes TERM on to the guest's whole process group
		kill -TERM "$upid" 2>/dev/null
		wait "$upid" 2>/dev/null
	fi
	[ -n "$tpid" ] && kill "$tpid" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then
		echo "uml-run.sh: kept $job" >&2
	else
		rm -rf "$job"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

{
	echo "# written by uml-run.sh, run by uml-init.sh"
	printf 'export TOP=%q BUILD=%q UML_JOB=%q UML_GUEST=1 KEEP=%q\n' \
	    "$TOP" "$BUILD" "$job" "${KEEP:-0}"
	for e in ${envs[@]+"${envs[@]}"}; do
		printf 'export %q\n' "$e"
	done
	printf 'cd %q || exit 1\n' "$TOP"
	printf 'exec bash %q' "$script"
	[ $# -gt 0 ] && printf ' %q' "$@"
	echo
} >"$job/job.sh"

# Debian's linux.uml 6.1 cannot restore the FPU state of its processes on
# hosts with AVX-512 or AMX (see xstate-shim.c): preload a fix, built here.
shim=
if [ "${UML_XSTATE_SHIM:-1}" = 1 ]; then
	if ! ${CC:-cc} -O2 -Wall -shared -fPIC -o "$job/xstate-shim.so" \
	    "$here/xstate-shim.c" -ldl >"$job/shim.log" 2>&1; then
		echo "uml-run.sh: cannot build xstate-shim.so:" >&2
		cat "$job/shim.log" >&2
		exit 2
	fi
	shim=$job/xstate-shim.so
fi

# The guest's memory is a sparse, unlinked file in TMPDIR; uml_dir holds
# its pid file and management socket.  timeout(1) runs the kernel in a
# process group of its own and, when the time is up, signals all of that
# group (the kernel and the host processes that run guest programs).
TMPDIR="$job/mem" LD_PRELOAD=$shim timeout -k 10 "$tmo" "$UML_BIN" \
    mem="$mem" umid="ikerun-$$" uml_dir="$job/uml" \
    root=/dev/root rootfstype=hostfs rootflags=/ ro \
    init="$here/uml-init.sh" con=null ssl=null con0=null,fd:1 \
    UML_JOB="$job" UML_TOP="$TOP" UML_BUILD="$BUILD" \
    </dev/null >"$job/console.log" 2>&1 &
upid=$!

# hostfs writes go through to the host file at once: follow it live.
# Both in the background: "wait" gives way to a signal's trap at once,
# where a command in the foreground would hold it back.
tail -n +1 -s 0.2 --pid="$upid" -f "$job/out.log" 2>/dev/null &
tpid=$!
wait "$upid"
urc=$?
upid=
wait "$tpid"
tpid=

if [ -f "$job/rc" ]; then
	rc=$(cat "$job/rc")
	case $rc in ''|*[!0-9]*) rc=125 ;; esac
	exit "$rc"
fi
if [ "$urc" -eq 124 ] || [ "$urc" -eq 137 ]; then
	echo "uml-run.sh: guest killed after ${tmo}s" >&2
	urc=124
else
	echo "uml-run.sh: guest ended without a result (linux.uml exit $urc)" >&2
	urc=125
fi
echo "uml-run.sh: last lines of the guest console:" >&2
tail -n 15 "$job/console.log" >&2
exit "$urc"
