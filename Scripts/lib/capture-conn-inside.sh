#!/bin/bash
# Inside the VM for Scripts/capture-conn-fixtures: builds the scenario, then for each ipvsadm
# variant takes a snapshot of /proc/net/ip_vs_conn and has ipvsadm print exactly that text
# (Scripts/lib/frozen-conn.sh: the live file's expiry counts down between two reads, so two
# reads of it are almost never equal), and prints the lot as one base64 tar line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fx=/tmp/conn-fixtures; rm -rf $fx; mkdir -p $fx
{ cat /etc/hosts; cat <<'H'
203.0.113.2 client-a.example
203.0.113.3 a-client-with-a-very-long-host-name-beyond-ipvsadm-buffer.example
192.0.2.100 vip.example
198.51.100.11 rs1.example
2001:db8::100 vip6.example
2001:db8:c::2 client6.example
H
} >/tmp/conn-hosts
mount --bind /tmp/conn-hosts /etc/hosts
cp /tmp/conn-hosts $fx/hosts
bash $here/conn-scenario.sh setup
bash $here/conn-scenario.sh traffic
n=0
snap() {  # ARGS...: one fixture
  n=$((n + 1))
  cat /proc/net/ip_vs_conn >$fx/table-$n.proc
  bash $here/frozen-conn.sh $fx/table-$n.proc ipvsadm "$@" >$fx/table-$n.ipvsadm
  echo "$*" >$fx/table-$n.args
}
snap -L -c -n
snap -L -c
snap -L -c -n --persistent-conn
snap -L -c --persistent-conn
snap -lcn --exact
# Later states: the closed connections' TIME_WAIT/CLOSE entries age, SYN_RECV ones stay.
sleep 3
snap -L -c
snap -L -n -c
uname -r >$fx/kernel
ipvsadm --version >$fx/ipvsadm-version 2>&1 || true
echo "CONN-FIXTURES $(tar -C $fx -cz . | base64 -w0)"
bash $here/conn-scenario.sh teardown
