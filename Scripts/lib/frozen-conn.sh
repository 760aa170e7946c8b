#!/bin/bash
# frozen-conn.sh SNAPSHOT COMMAND ARGS... — runs COMMAND with /proc/net/ip_vs_conn reading
# SNAPSHOT (a copy of the kernel's text), so that two tools can be given the same moment of
# the table (the live file's expiry counts down between two reads). In a private mount
# namespace, /proc becomes a tmpfs holding net/ip_vs_conn and, for everything else
# (/proc/self/cmdline, which the Swift runtime reads for the arguments, …), links into a
# real procfs mounted beside it. ipvsadm -L -c opens /proc/net/ip_vs_conn by name and talks
# to the kernel through netlink only, so it prints exactly what it prints for that text.
set -euo pipefail
snapshot=$1; shift
exec unshare -m /bin/sh -ec '
  real=$(mktemp -d /tmp/frozen-proc.XXXXXX)
  mount -t proc proc "$real"
  mount -t tmpfs swiftvs-frozen /proc
  for e in "$real"/*; do
    case ${e##*/} in net) ;; *) ln -s "$e" "/proc/${e##*/}" ;; esac
  done
  mkdir /proc/net
  cp "$0" /proc/net/ip_vs_conn
  exec "$@"' "$snapshot" "$@"
