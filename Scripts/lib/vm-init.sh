#!/bin/sh
# Scripts/lib/vm-init.sh — stage 1 of Scripts/vm-run: /init of the initramfs,
# run by busybox sh as PID 1 in the guest. Everything printed here goes to the
# console (ttyS0 -> console.log on the host), never to the caller.
#
# 1. load the virtio + 9p modules (list and order in /mods/order),
# 2. mount the job share (writable 9p, tag "job") and read its config,
# 3. mount the host's / (9p, tag "hostroot") read-only on /newroot,
# 4. writable tmpfs on /tmp /run /var/tmp /root /dev/shm, guest modules on
#    /lib/modules/$VM_KVER, host paths that tmpfs would hide kept visible,
# 5. switch_root into /newroot and exec stage 2 (/run/vm-job/stage2.sh).
#
# Any failure powers the VM off; the host then reports a boot failure.

export PATH=/bin
/bin/busybox --install -s /bin 2>/dev/null
exec </dev/null >/dev/console 2>&1

die() {
  echo "vm-init: FATAL: $*"
  echo o >/proc/sysrq-trigger
  sleep 5
  poweroff -f
}

mount -t proc proc /proc || die "mount /proc"
mount -t sysfs sysfs /sys || die "mount /sys"
mount -t devtmpfs devtmpfs /dev || die "mount /dev"

while read -r m; do
  [ -n "$m" ] || continue
  insmod "/mods/$m.ko" || die "insmod $m"
done </mods/order

P9="trans=virtio,version=9p2000.L,msize=262144"
mount -t 9p -o "$P9" job /job || die "mount job share"
[ -f /job/config ] || die "no /job/config"
. /job/config

# The root: read-only, with page cache (cache=loose) — the host tree does not
# change under a throwaway VM in ways the tests care about, and it makes exec
# of big binaries (swift toolchain, test bundles) much faster.
mount -t 9p -o "$P9,ro,cache=${VM_ROOT_CACHE:-loose}" hostroot /newroot || die "mount host root"

# Host paths that the tmpfs mounts below would hide (e.g. a repo cloned under
# /tmp): bind them aside now, put them back after. Same for the modules tree.
i=0
if [ -f /job/keep ]; then
  while IFS= read -r p; do
    [ -n "$p" ] && [ -d "/newroot$p" ] || continue
    mkdir -p "/keep/$i" && mount --bind "/newroot$p" "/keep/$i" || die "bind $p"
    echo "$p" >"/keep/$i.path"
    i=$((i + 1))
  done </job/keep
fi
mkdir -p /keep/modules
mount --bind "/newroot$VM_MODDIR" /keep/modules || die "bind modules $VM_MODDIR"

R=/newroot
for d in /tmp /run /var/tmp /root /lib/modules; do
  [ -d "$R$d" ] || die "$d missing in host root"
done
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/tmp || die "tmpfs /tmp"
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs $R/run || die "tmpfs /run"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/var/tmp || die "tmpfs /var/tmp"
mount -t tmpfs -o mode=700 tmpfs $R/root || die "tmpfs /root"
mount -t tmpfs -o mode=755 tmpfs $R/lib/modules || die "tmpfs /lib/modules"
mkdir -p "$R/lib/modules/$VM_KVER" && mount --move /keep/modules "$R/lib/modules/$VM_KVER" ||
  die "modules"
mkdir -p $R/run/lock $R/run/vm-job && chmod 1777 $R/run/lock
mount --move /job $R/run/vm-job || die "move job share"

j=0
while [ "$j" -lt "$i" ]; do
  p=$(cat "/keep/$j.path")
  mkdir -p "$R$p" 2>/dev/null
  mount --move "/keep/$j" "$R$p" || echo "vm-init: warning: could not keep $p visible"
  j=$((j + 1))
done

mount --move /dev $R/dev || die "move /dev"
mkdir -p $R/dev/pts $R/dev/shm
# devtmpfs lacks these (udev makes them on a normal system).
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin
ln -sf /proc/self/fd/1 $R/dev/stdout
ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $R/dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs $R/dev/shm
mount --move /sys $R/sys || die "move /sys"
mount --move /proc $R/proc || die "move /proc"

ip link set lo up

# shellcheck disable=SC2093
exec switch_root $R /bin/bash /run/vm-job/stage2.sh
die "switch_root failed"
