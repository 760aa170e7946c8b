#!/bin/bash
# Inside the test VM (Scripts/make-order-file runs it): swiftvs-healthd on a director's usual
# work, with the kernel's fault-around turned down to one page, then the pages of its code
# that are mapped: the code it ran. Prints one file offset per line, in bytes.
#
# The work: the seed's firewall-mark service (lc, direct routing, a mark rule) and a TCP
# service, MISC_CHECK (passing and failing), TCP_CHECK and HTTP_GET against a local listener,
# a hundred more MISC_CHECK real servers, a listener that stops and comes back (removal and
# re-adding), a control-socket status query, a SIGHUP reload of a changed file, and SIGTERM.
set -euo pipefail
BIN=${1:?usage: order-profile.sh BIN_DIR}
HEALTHD=$BIN/swiftvs-healthd
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

"$HEALTHD" --config "$W/conf" --state "$W/state" --control "$W/ctl.sock" \
  --vip-mark 203.0.113.100=80 >"$W/log" 2>&1 &
PID=$!
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

# The mapped pages of the executable's code, as file offsets.
python3 - "$PID" "$(readlink -f "$HEALTHD")" <<'EOF'
import struct, sys
pid, exe = sys.argv[1], sys.argv[2]
with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
    for line in open(f"/proc/{pid}/maps"):
        f = line.split()
        if len(f) < 6 or f[5] != exe or "x" not in f[1]:
            continue
        start, end = (int(x, 16) for x in f[0].split("-"))
        offset, pages = int(f[2], 16), (end - start) // 4096
        pagemap.seek(start // 4096 * 8)
        entries = pagemap.read(pages * 8)
        for i in range(pages):
            if struct.unpack_from("<Q", entries, i * 8)[0] >> 63:
                print(offset + i * 4096)
EOF
kill -TERM "$PID"; wait "$PID" || { echo "order-profile: swiftvs-healthd exited with $?" >&2; tail "$W/log" >&2; exit 1; }
kill "$HTTP_PID" 2>/dev/null || true
