#!/bin/bash
# frozen-conn.sh SNAPSHOT COMMAND ARGS... — runs COMMAND with /proc/net/ip_vs_conn reading
# SNAPSHOT (a copy of the kernel's text): in a private mount namespace, /proc is replaced by a
# tmpfs holding only net/ip_vs_conn. ipvsadm -L -c opens that path by name and talks to the
# kernel through netlink only, so it prints exactly what it prints for that text, and two
# tools can be given the same moment of the table (the live file's expiry counts down).
set -euo pipefail
snapshot=$1; shift
exec unshare -m /bin/sh -ec 'mount -t tmpfs swiftvs-frozen /proc; mkdir /proc/net; cp "$0" /proc/net/ip_vs_conn; exec "$@"' "$snapshot" "$@"
