#!/bin/bash
# Scripts/lib/conn-scenario.sh setup|traffic|teardown — a director with connection entries of
# every kind, in the test VM (root namespace = director; needs ip_vs, iptables, python3).
#
#   cn-cl  client namespace  203.0.113.2-5, 2001:db8:c::2   --veth-- director 203.0.113.1, 2001:db8:c::1
#   cn-rs  real servers      198.51.100.11/.12, 2001:db8:5::11 --veth-- director 198.51.100.1, 2001:db8:5::1
#   VIPs on the director's dummy cnvip: 192.0.2.100, .101 (fwmark 80), .102 (tunnel), 2001:db8::100
#
# Services: TCP :80 DR, TCP :8080 NAT, TCP :443 persistent DR (no listener: RST), UDP :53 NAT,
# SCTP :5672 DR, fwmark 80 persistent DR, TCP .102:80 tunnel, IPv6 TCP :80 DR, IPv6 UDP :53 NAT,
# UDP :5060 --pe sip persistent NAT (when ip_vs_pe_sip exists).
# Traffic: held, closed and half-open TCP connections, UDP flows, SCTP INITs, a SIP INVITE.
set -euo pipefail
# The servers and held connections started here outlive this script: they must not keep a
# caller's descriptors open (a test harness waits for its output pipes to close).
for fd in /proc/$$/fd/*; do
  n=${fd##*/}
  ((n > 2)) && eval "exec $n>&-" 2>/dev/null || true
done
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
cl="ip netns exec cn-cl"
rs="ip netns exec cn-rs"

setup() {
  sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
  # The real servers answer direct-routed connections from the VIP through the director (their
  # only router here), which holds the VIP itself: without accept_local it drops those answers
  # as martians (source address local), and IPv4 DR connections never get past SYN_RECV.
  sysctl -qw net.ipv4.conf.all.accept_local=1
  sysctl -qw net.ipv4.vs.conntrack=1 2>/dev/null || true
  modprobe sctp 2>/dev/null || true
  ip link add cnvip type dummy && ip link set cnvip up
  for a in 192.0.2.100 192.0.2.101 192.0.2.102; do ip addr add $a/32 dev cnvip; done
  ip -6 addr add 2001:db8::100/128 dev cnvip nodad
  ip netns add cn-cl; ip netns add cn-rs
  ip link add cncl0 type veth peer name eth0 netns cn-cl
  ip link add cnrs0 type veth peer name eth0 netns cn-rs
  ip addr add 203.0.113.1/24 dev cncl0; ip -6 addr add 2001:db8:c::1/64 dev cncl0 nodad; ip link set cncl0 up
  ip addr add 198.51.100.1/24 dev cnrs0; ip -6 addr add 2001:db8:5::1/64 dev cnrs0 nodad; ip link set cnrs0 up
  # The kernel suites' shared dummy (swvs0, Tests/KernelTests/Support.swift) may hold
  # 198.51.100.1/24 too, and its route came first: the real servers' packets went into the
  # dummy. Host routes to them through cnrs0 win over either /24.
  ip route replace 198.51.100.11/32 dev cnrs0; ip route replace 198.51.100.12/32 dev cnrs0
  $cl sh -ec 'ip link set lo up; ip link set eth0 up
    for a in 2 3 4 5; do ip addr add 203.0.113.$a/24 dev eth0; done
    ip -6 addr add 2001:db8:c::2/64 dev eth0 nodad
    ip route add default via 203.0.113.1; ip -6 route add default via 2001:db8:c::1'
  $rs sh -ec 'ip link set lo up; ip link set eth0 up
    ip addr add 198.51.100.11/24 dev eth0; ip addr add 198.51.100.12/24 dev eth0
    ip -6 addr add 2001:db8:5::11/64 dev eth0 nodad
    for a in 192.0.2.100 192.0.2.101; do ip addr add $a/32 dev lo; done
    ip -6 addr add 2001:db8::100/128 dev lo nodad
    sysctl -qw net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.eth0.rp_filter=0
    ip route add default via 198.51.100.1; ip -6 route add default via 2001:db8:5::1'
  # Real servers: HTTP on 80 and 8080 (IPv4 and IPv6).
  $rs $py -m http.server 80 --bind :: >/dev/null 2>&1 &
  $rs $py -m http.server 8080 --bind :: >/dev/null 2>&1 &
  # Python's start in a loaded TCG VM can take tens of seconds: wait up to 180 s, then say so
  # (a scenario without listeners leaves only SYN_RECV entries, and the tests would say less).
  local deadline=$((SECONDS + 180))
  until $rs sh -c 'l=$(ss -ltnH); echo "$l" | grep -q ":8080 " && echo "$l" | grep -q ":80 "'; do
    ((SECONDS < deadline)) || { echo "conn-scenario: the real servers do not listen on :80 and :8080 after 180 s" >&2; exit 1; }
    sleep 0.2
  done

  ipvsadm -A -t 192.0.2.100:80 -s rr
  ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.11 -g
  ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.12 -g
  ipvsadm -A -t 192.0.2.100:8080 -s rr
  ipvsadm -a -t 192.0.2.100:8080 -r 198.51.100.11:8080 -m
  ipvsadm -A -t 192.0.2.100:443 -s rr -p 300
  ipvsadm -a -t 192.0.2.100:443 -r 198.51.100.12 -g
  ipvsadm -A -u 192.0.2.100:53 -s rr
  ipvsadm -a -u 192.0.2.100:53 -r 198.51.100.11:53 -m
  ipvsadm -A --sctp-service 192.0.2.100:5672 -s rr
  ipvsadm -a --sctp-service 192.0.2.100:5672 -r 198.51.100.11 -g
  iptables -t mangle -A PREROUTING -d 192.0.2.101 -p tcp --dport 80 -j MARK --set-mark 80
  ipvsadm -A -f 80 -s lc -p 120
  ipvsadm -a -f 80 -r 198.51.100.11 -g
  ipvsadm -A -t 192.0.2.102:80 -s rr
  ipvsadm -a -t 192.0.2.102:80 -r 198.51.100.12 -i
  ipvsadm -A -t [2001:db8::100]:80 -s rr
  ipvsadm -a -t [2001:db8::100]:80 -r [2001:db8:5::11]:80 -g
  ipvsadm -A -u [2001:db8::100]:53 -s rr
  ipvsadm -a -u [2001:db8::100]:53 -r [2001:db8:5::11]:53 -m
  if modprobe ip_vs_pe_sip 2>/dev/null; then
    ipvsadm -A -u 192.0.2.100:5060 -s rr -p 60 --pe sip
    ipvsadm -a -u 192.0.2.100:5060 -r 198.51.100.12:5060 -m
  fi
}

traffic() {
  t="$cl $py $here/conn-traffic.py"
  $t hold 600 192.0.2.100 80 3 >/dev/null 2>&1 &
  $t hold 600 2001:db8::100 80 2 >/dev/null 2>&1 &
  $t hold 600 192.0.2.100 8080 2 >/dev/null 2>&1 &
  $t hold 600 192.0.2.101 80 2 >/dev/null 2>&1 &
  $t close 192.0.2.100 80 2
  $t close 192.0.2.100 8080 2
  $t close 192.0.2.100 443 2
  $t syn 192.0.2.102 80 2
  $t udp 192.0.2.100 53 3
  $t udp 2001:db8::100 53 2
  $t sctp 192.0.2.100 5672 2 || true
  ipvsadm -L -u 192.0.2.100:5060 -n >/dev/null 2>&1 && $t sip 192.0.2.100 5060 a84b4c76e66710@client.example
  # Wait for the held connections (3 + 2 + 2 + 2) to be established in the table.
  local deadline=$((SECONDS + 180))
  until [ "$(grep -c ESTABLISHED /proc/net/ip_vs_conn)" -ge 9 ]; do
    ((SECONDS < deadline)) || { echo "conn-scenario: the held connections are not all ESTABLISHED after 180 s:" >&2; cat /proc/net/ip_vs_conn >&2; exit 1; }
    sleep 0.2
  done
}

teardown() {
  ip netns pids cn-cl 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns pids cn-rs 2>/dev/null | xargs -r kill 2>/dev/null || true
  ip netns del cn-cl 2>/dev/null || true
  ip netns del cn-rs 2>/dev/null || true
  ip link del cnvip 2>/dev/null || true
  # The veths' root ends go with their namespaces, but asynchronously: remove them now.
  ip link del cncl0 2>/dev/null || true
  ip link del cnrs0 2>/dev/null || true
  iptables -t mangle -D PREROUTING -d 192.0.2.101 -p tcp --dport 80 -j MARK --set-mark 80 2>/dev/null || true
  ipvsadm -C
}

"$@"
