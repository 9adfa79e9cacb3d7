#!/bin/sh
# uml-init.sh: PID 1 of the User-Mode Linux guest that uml-run.sh boots.
#
# The root file system is the host's / through hostfs, read-only.  This
# gives the guest its own /proc, /sys, /dev, /run, /tmp and /var/tmp,
# mounts the job directory $UML_JOB (from the kernel command line) from
# the host read-write, loads the IPsec modules, runs $UML_JOB/job.sh with
# bash (output to $UML_JOB/out.log, status to $UML_JOB/rc) and powers the
# guest off.  It must never exit: the kernel panics when PID 1 does.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 HOME=/tmp/home

poweroff_now() {
	sync
	echo o >/proc/sysrq-trigger
	sleep 5
	poweroff -f
	sleep 60
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
# what udev would add: bash's process substitution needs /dev/fd
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=1777 tmpfs /var/tmp
mkdir -p "$HOME" /run/netns
if [ -z "${UML_JOB:-}" ]; then
	echo "uml-init: no UML_JOB on the kernel command line" >/dev/console
	poweroff_now
fi
# the job directory may sit below /tmp on the host: mount it after /tmp
mkdir -p "$UML_JOB"
if ! mount -t hostfs -o "$UML_JOB" hostfs "$UML_JOB"; then
	echo "uml-init: cannot mount $UML_JOB" >/dev/console
	poweroff_now
fi
# so may the checkout and its build (a CI clone in /tmp): the guest's own
# /tmp, /var/tmp and /run hide them, so mount them again, read-only
for d in "${UML_TOP:-}" "${UML_BUILD:-}"; do
	case $d in
	/tmp/*|/var/tmp/*|/run/*) ;;
	*) continue ;;
	esac
	mountpoint -q "$d" && continue
	mkdir -p "$d"
	if ! mount -t hostfs -o "$d" hostfs "$d" ||
	    ! mount -o remount,ro "$d"; then
		echo "uml-init: cannot mount $d" >/dev/console
		poweroff_now
	fi
done
hostname ikerun-uml
ip link set lo up

# The kernel's modules are in /usr/lib/uml/modules/VERSION; modprobe -d
# wants ROOT/lib/modules/VERSION, so a small root in /run points there.
# The kernel's own module loader (crypto templates, xfrm algorithms
# asked for by name) goes through the same wrapper.
mkdir -p /run/uml-mods/lib
ln -s /usr/lib/uml/modules /run/uml-mods/lib/modules
printf '#!/bin/sh\nexec /sbin/modprobe -d /run/uml-mods "$@"\n' \
    >/run/uml-modprobe
chmod 0755 /run/uml-modprobe
echo /run/uml-modprobe >/proc/sys/kernel/modprobe
: >"$UML_JOB/modprobe.log"
for m in ipv6 af_key xfrm_user esp4 esp6 xfrm4_tunnel xfrm6_tunnel \
    tunnel4 tunnel6 gcm ghash_generic ctr authenc authencesn seqiv \
    echainiv cbc aes_generic sha256_generic sha512_generic hmac \
    chacha20poly1305 veth dummy; do
	/run/uml-modprobe "$m" >>"$UML_JOB/modprobe.log" 2>&1 ||
	    echo "uml-init: modprobe $m failed" >>"$UML_JOB/modprobe.log"
done

echo "uml-init: running $UML_JOB/job.sh" >/dev/console
/bin/bash "$UML_JOB/job.sh" >"$UML_JOB/out.log" 2>&1 </dev/null
echo $? >"$UML_JOB/rc"
poweroff_now
