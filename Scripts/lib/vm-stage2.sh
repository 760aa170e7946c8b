#!/bin/bash
# Scripts/lib/vm-stage2.sh — stage 2 of Scripts/vm-run: PID 1 in the guest
# after switch_root (the root is the host's / over read-only 9p). vm-run copies
# this file into the per-run job share, which is mounted at /run/vm-job:
#
#   config   VM_* settings (sourced)       env   extra NAME=VALUE lines
#   cmd      the command (bash -c)         keep  (stage 1 only)
#   out,err  the command's stdout/stderr, appended as they come; the host
#            streams them to the caller (tail -f)
#   started  written just before the command starts
#   rc       the command's exit status, written after it ended and its output
#            was flushed; then the VM powers off.
#
# The command's stdout/stderr are pipes (not files, not ttys): reopening
# /dev/stdout, `tee /dev/stderr`, etc. behave as on a host pipeline. Relays
# copy the pipes into the 9p files. When the command exits, every other
# process still alive (daemons it started) is killed, so the relays see EOF,
# and nothing is lost at the end.

J=/run/vm-job
exec </dev/null >/dev/console 2>&1
. "$J/config"
if [[ ${VM_TRACE:-0} == 1 ]]; then # debugging: trace stage 2 on the console
  PS4='+ ${EPOCHREALTIME} '
  set -x
fi

# Startup cost matters (TCG): few external programs, and the static busybox
# for the small ones (no dynamic loading over 9p).
BB=/bin/busybox
$BB mkfifo /run/.vm-out /run/.vm-err /run/.vm-hold

# shellcheck disable=SC2317 # trap handler
poweroff_now() {
  echo o >/proc/sysrq-trigger
  # Wait for the power-off without exec'ing anything (the root is going away).
  read -r -t 30 _ <>/run/.vm-hold
}
trap poweroff_now EXIT

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
[[ -d /opt/swift/usr/bin ]] && PATH=$PATH:/opt/swift/usr/bin
export PATH HOME=/root USER=root LOGNAME=root SHELL=/bin/bash LANG=C.UTF-8 TERM=dumb
export SWIFTVS_IN_VM=1 TMPDIR=/tmp

fail() { # message -> the caller's stderr, status 125 (command not started)
  printf 'vm-run: %s\n' "$*" >>"$J/err"
  echo 125 >"$J/rc"
  exit 0
}

# Load IPVS in the background, overlapping with the rest of the setup.
modprobe_pid=""
if [[ ${VM_IPVS:-1} == 1 ]]; then
  modprobe ip_vs 2>>"$J/err" &
  modprobe_pid=$!
fi

echo swiftvs-vm >/proc/sys/kernel/hostname

while IFS= read -r kv; do
  # shellcheck disable=SC2163 # NAME=VALUE
  [[ $kv == *=* ]] && export "$kv"
done <"$J/env"

cd "$VM_CWD" 2>/dev/null || fail "working directory $VM_CWD is not visible in the VM"

$BB cat /run/.vm-out >>"$J/out" &
relay_out=$!
$BB cat /run/.vm-err >>"$J/err" &
relay_err=$!
# Open our ends now (blocks until the relays have opened theirs).
exec 3>/run/.vm-out 4>/run/.vm-err

if [[ -n $modprobe_pid ]]; then
  wait "$modprobe_pid" || fail "modprobe ip_vs failed"
fi

echo "$EPOCHREALTIME" >"$J/started"
bash -c "$(<"$J/cmd")" </dev/null >&3 2>&4 3>&- 4>&-
rc=$?
exec 3>&- 4>&-

# Kill leftovers (background daemons would keep the pipes open).
for _ in 1 2 3; do
  n=0
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [[ $pid == 1 || $pid == "$relay_out" || $pid == "$relay_err" ]] && continue
    # Skip kernel threads (no exe); they ignore signals anyway.
    [[ -e $p/exe ]] || continue
    kill -KILL "$pid" 2>/dev/null && n=$((n + 1))
  done
  ((n == 0)) && break
  read -r -t 0.2 _ <>/run/.vm-hold
done

# Wait (bounded, 10 s) for the relays to drain and exit.
for ((i = 0; i < 100; i++)); do
  kill -0 "$relay_out" 2>/dev/null || kill -0 "$relay_err" 2>/dev/null || break
  read -r -t 0.1 _ <>/run/.vm-hold
done
if kill -0 "$relay_out" 2>/dev/null || kill -0 "$relay_err" 2>/dev/null; then
  echo "vm-run: warning: output relay did not finish; output may be incomplete" >>"$J/err"
fi

# 9p (cache=none) writes are synchronous: no sync needed.
echo "$rc" >"$J/rc"
exit 0
