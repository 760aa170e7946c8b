#!/bin/bash
# Inside the test VM (Scripts/make-order-file runs it): swiftvs-healthd on a director's usual
# work, with the kernel's fault-around turned down to one page, then the pages of its code
# that are mapped: the code it ran. Prints "KIND OFFSET" lines (Scripts/lib/order-pages.py),
# the offset in bytes, in three kinds:
#
#   vrrp     a VRRP pair running (the seed's swarm nodes: unicast, PASS, a tracked script),
#            after start-up, master and backup;
#   steady   the LVS work below after start-up (checks, transitions, a reload, status);
#   startup  the LVS daemon's start-up, until it releases its start-up code.
#
# Scripts/lib/order-map.py lays the code out in that order: what a running director keeps
# mapped comes first and together, so the pages it faults back in after the release (the
# kernel maps 64 KB around each) hold little else.
#
# The LVS work: the seed's firewall-mark service (lc, direct routing, a mark rule) and a TCP
# service, MISC_CHECK (passing and failing), TCP_CHECK and HTTP_GET against a local listener,
# a hundred more MISC_CHECK real servers, a listener that stops and comes back (removal and
# re-adding), a control-socket status query, a SIGHUP reload of a changed file, and SIGTERM.
set -euo pipefail
BIN=${1:?usage: order-profile.sh BIN_DIR}
HEALTHD=$BIN/swiftvs-healthd
PAGES="python3 $(dirname "$0")/order-pages.py"
W=/tmp/order-profile
mkdir -p "$W"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
echo 4096 > /sys/kernel/debug/fault_around_bytes

ip link add swvs0 type dummy; ip link set swvs0 up
ip addr add 192.0.2.1/24 dev swvs0
ip addr add 203.0.113.254/24 dev swvs0
modprobe ip_vs_lc; modprobe ip_vs_wlc

mkdir -p "$W/www"; echo ok > "$W/www/index.html"
start_http() {
  python3 -m http.server --bind 192.0.2.1 --directory "$W/www" 8080 >/dev/null 2>&1 &
  HTTP_PID=$!
  local i
  for ((i = 0; i < 100; i++)); do
    python3 -c 'import socket; socket.create_connection(("192.0.2.1", 8080), 1)' 2>/dev/null && return 0
    sleep 0.1
  done
  echo "order-profile: the HTTP listener did not start" >&2; return 1
}
start_http

config() { # EXTRA-WEIGHT
  cat <<EOF
global_defs {
  router_id swiftvs_order
}
virtual_server fwmark 80 {
  delay_loop 1
  lb_algo lc
  lb_kind DR
  protocol TCP
  real_server 192.0.2.11 80 {
    weight $1
    MISC_CHECK {
      misc_path "/bin/true"
      misc_timeout 3
    }
  }
  real_server 192.0.2.12 80 {
    weight 1
    MISC_CHECK {
      misc_path "/bin/false"
      misc_timeout 3
    }
  }
}
virtual_server 203.0.113.10 80 {
  delay_loop 1
  lb_algo wlc
  lb_kind DR
  protocol TCP
  real_server 192.0.2.1 8080 {
    weight 1
    TCP_CHECK {
      connect_port 8080
      connect_timeout 1
    }
  }
  real_server 192.0.2.2 8080 {
    weight 1
    HTTP_GET {
      url {
        path /
        status_code 200
      }
      connect_ip 192.0.2.1
      connect_port 8080
      connect_timeout 1
    }
  }
}
EOF
  local v r
  for ((v = 0; v < 25; v++)); do
    echo "virtual_server 203.0.113.$((20 + v)) 2000 {"
    echo "  delay_loop 1"; echo "  lb_algo wlc"; echo "  lb_kind DR"; echo "  protocol TCP"
    for ((r = 0; r < 4; r++)); do
      echo "  real_server 192.0.2.$((20 + (v * 4 + r) % 200)) 2000 {"
      echo "    weight 1"
      echo "    MISC_CHECK {"; echo "      misc_path \"/bin/true\""; echo "      misc_timeout 3"; echo "    }"
      echo "  }"
    done
    echo "}"
  done
}
config 1 > "$W/conf"

# Waits (polling the kernel table, up to 30 s) until ipvsadm-save has exactly N real servers.
servers_are() {
  local i
  for ((i = 0; i < 300; i++)); do
    (($(ipvsadm-save -n | grep -c '^-a') == $1)) && return 0
    sleep 0.1
  done
  echo "order-profile: the table never had $1 real servers" >&2; ipvsadm-save -n | head >&2; return 1
}

# The VRRP pair: two nodes on a bridge in its own namespace, 20 instances, n2 master of all.
vrrp_config() { # NODE STATE PRIORITY PEER
  printf 'vrrp_script alive {\n  script "/bin/true"\n  interval 1\n  weight 10\n}\n'
  local v
  for ((v = 1; v <= 20; v++)); do
    cat <<EOF
vrrp_instance VI_$v {
  state $2
  interface eth0
  virtual_router_id $v
  priority $3
  advert_int 1
  unicast_src_ip 198.51.100.1$1
  unicast_peer {
    198.51.100.1$4
  }
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  track_script {
    alive
  }
  virtual_ipaddress {
    203.0.113.$v/32
  }
}
EOF
  done
}
ip netns add op-sw; ip -n op-sw link add br0 type bridge; ip -n op-sw link set br0 up
for n in 1 2; do
  ip netns add op-n$n
  ip -n op-sw link add n$n-p type veth peer name eth0 netns op-n$n
  ip -n op-sw link set n$n-p master br0 up
  ip -n op-n$n addr add 198.51.100.1$n/24 dev eth0
  ip -n op-n$n link set eth0 up; ip -n op-n$n link set lo up
done
vrrp_config 2 MASTER 110 1 > "$W/n2.conf"; vrrp_config 1 BACKUP 100 2 > "$W/n1.conf"
ip netns exec op-n2 "$BIN/swiftvs" daemon --config "$W/n2.conf" --no-state --control "$W/n2.sock" >"$W/n2.log" 2>&1 &
VRRP2=$!
ip netns exec op-n1 "$BIN/swiftvs" daemon --config "$W/n1.conf" --no-state --control "$W/n1.sock" >"$W/n1.log" 2>&1 &
VRRP1=$!
for ((i = 0; i < 300; i++)); do
  (($(ip -n op-n2 -4 addr show dev eth0 | grep -c 'inet 203\.0\.113\.') == 20)) && break
  sleep 0.1
done
((i < 300)) || { echo "order-profile: n2 never held the 20 VIPs" >&2; tail "$W/n2.log" >&2; exit 1; }
sleep 5                              # the steady state: adverts both ways, the tracked script
$PAGES snapshot "$VRRP2" vrrp "$HEALTHD"
$PAGES snapshot "$VRRP1" vrrp "$HEALTHD"
kill -TERM "$VRRP1" "$VRRP2"; wait "$VRRP1" "$VRRP2" || { echo "order-profile: a VRRP daemon exited with $?" >&2; exit 1; }
ip netns del op-n1; ip netns del op-n2; ip netns del op-sw

"$HEALTHD" --config "$W/conf" --state "$W/state" --control "$W/ctl.sock" \
  --vip-mark 203.0.113.100=80 >"$W/log" 2>&1 &
PID=$!
$PAGES startup "$PID" startup "$HEALTHD"
servers_are 103                      # all but the failing MISC_CHECK
python3 - "$W/ctl.sock" <<'EOF' >/dev/null
import socket, sys
for request in (b"status\n", b"status json\n", b"ping\n"):
    s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(request)
    while s.recv(65536): pass
EOF
kill "$HTTP_PID"; wait "$HTTP_PID" 2>/dev/null || true
servers_are 101                      # TCP_CHECK and HTTP_GET fail
start_http
servers_are 103                      # and pass again
config 5 > "$W/conf"; kill -HUP "$PID"
for ((i = 0; i < 300; i++)); do ipvsadm-save -n | grep -qE -- '-r 192\.0\.2\.11:[0-9]+ -g -w 5$' && break; sleep 0.1; done
((i < 300)) || { echo "order-profile: the reload did not change the weight" >&2; exit 1; }

$PAGES snapshot "$PID" steady "$HEALTHD"
kill -TERM "$PID"; wait "$PID" || { echo "order-profile: swiftvs-healthd exited with $?" >&2; tail "$W/log" >&2; exit 1; }
kill "$HTTP_PID" 2>/dev/null || true
