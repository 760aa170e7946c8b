#!/bin/bash
# Scripts/lib/demo-inside.sh — the swiftvs IPVS demo scenario. Runs INSIDE the
# throwaway VM; start it with Scripts/demo (= Scripts/vm-run 'bash
# Scripts/lib/demo-inside.sh'). Exits 0 only if every check passed.
#
# Topology (all inside the VM; addresses from 192.0.2.0/24 only):
#
#   netns client  192.0.2.50 ──┐            route 192.0.2.100 via 192.0.2.1
#                              │
#   director (VM root netns)  br0 192.0.2.1 + VIP 192.0.2.100/32
#     iptables mangle: -d VIP -j MARK 80;  IPVS: fwmark 80, lc, direct routing
#                              │
#   netns rs1/rs2/rs3  192.0.2.101-103 ─┘  VIP on lo, arp_ignore=1,
#                                          arp_announce=2, HTTP server on :80
set -euo pipefail

if [[ ${SWIFTVS_IN_VM:-} != 1 ]]; then
  echo "demo-inside: this runs inside the VM; use Scripts/demo" >&2
  exit 2
fi

# ===========================================================================
# The director is driven by swiftvs (Scripts/demo builds it and passes its path
# in SWIFTVS). Everything the demo *checks* is read from the kernel
# (/proc/net/ip_vs_stats, packet counters in the real servers) or from ipvsadm,
# never parsed from swiftvs's own output.
SWIFTVS=${SWIFTVS:?Scripts/demo passes the swiftvs binary in SWIFTVS}
ipvs_show()        { run "$SWIFTVS" list -n; }
ipvs_stats()       { run "$SWIFTVS" list -n --stats; }
# ===========================================================================

VIP=192.0.2.100
DIRECTOR_IP=192.0.2.1
CLIENT_IP=192.0.2.50
MARK=80
SCHED=lc
RS_NAMES=(rs1 rs2 rs3)
declare -A RS_IP=([rs1]=192.0.2.101 [rs2]=192.0.2.102 [rs3]=192.0.2.103)
declare -A HTTPD_PID=()
FETCHES=6
WORK=/tmp/demo
DELAY=2          # the daemon's delay_loop (seed 003 has 6; shorter keeps the demo brisk)
DAEMON_PID=

# ---- narration and checks ----------------------------------------------------
step() { printf '\n==> %s\n' "$*"; }
say()  { printf '    %s\n' "$*"; }
run() { # show the command like a tutorial, then run it (output indented)
  printf '    $ %s\n' "$*"
  "$@" 2>&1 | sed 's/^/      /'
  return "${PIPESTATUS[0]}"
}
PASSED=0 FAILED=0 FINISHED=0
trap 'rc=$?; ((FINISHED)) || echo "demo: ABORTED (exit $rc) after $PASSED passed and $FAILED failed checks" >&2' EXIT
check() { # DESCRIPTION COMMAND...
  local desc=$1; shift
  if "$@"; then
    PASSED=$((PASSED + 1)); say "[ok]   $desc"
  else
    FAILED=$((FAILED + 1)); say "[FAIL] $desc"
  fi
}

in_ns() { # NS COMMAND... ("director" = the VM's root netns)
  local ns=$1; shift
  if [[ $ns == director ]]; then "$@"; else ip netns exec "$ns" "$@"; fi
}

# Total connections IPVS has scheduled (kernel counter, hex in /proc).
ipvs_total_conns() {
  local hex
  hex=$(awk 'NR == 3 { print $1 }' /proc/net/ip_vs_stats)
  echo $((16#$hex))
}

# wait_ipvs_conns N: IPVS folds its per-CPU counters into the totals every
# 2 s (estimator); poll until the total reaches N (bounded).
wait_ipvs_conns() {
  local want=$1 i
  for ((i = 1; i <= 50; i++)); do
    (($(ipvs_total_conns) >= want)) && return 0
    sleep 0.2
  done
  return 1
}

# wait_table_has N: poll (bounded, 15 s) until fwmark MARK has N real servers in the kernel.
wait_table_has() {
  local want=$1 i
  for ((i = 1; i <= 75; i++)); do
    (($(ipvsadm-save -n | grep -c "^-a -f $MARK ") == want)) && return 0
    sleep 0.2
  done
  return 1
}

# wait_table_lacks ADDR: poll (bounded, 20 s) until no real server ADDR is in the table.
wait_table_lacks() {
  local i
  for ((i = 1; i <= 100; i++)); do
    ipvsadm-save -n | grep -q -- "-r $1:" || return 0
    sleep 0.2
  done
  return 1
}

# Packets that reached real server $1 for VIP:80 (iptables counter in its netns).
rs_packets() {
  in_ns "$1" iptables -v -S INPUT | awk '/-d 192\.0\.2\.100\/32/ { for (i = 1; i < NF; i++) if ($i == "-c") print $(i + 1) }'
}

# wait_http FROM_NS URL EXPECTED: poll until URL answers with EXPECTED (bounded).
wait_http() {
  local ns=$1 url=$2 expect=$3 i body
  for ((i = 1; i <= 100; i++)); do
    if body=$(in_ns "$ns" curl -s --max-time 2 "$url") && [[ $body == *"$expect"* ]]; then
      say "ready: $url answered '$body' (attempt $i)"
      return 0
    fi
    sleep 0.2
  done
  say "not ready after $((i - 1)) attempts: $url"
  return 1
}

start_httpd() { # NAME
  local rs=$1
  # Not via a function: $! must be the server itself (ip netns exec execs it).
  ip netns exec "$rs" busybox httpd -f -vv -p 80 -h "$WORK/$rs" 2>>"$WORK/$rs.log" &
  HTTPD_PID[$rs]=$!
  say "started busybox httpd in netns $rs (pid ${HTTPD_PID[$rs]})"
}

# fetch_round LABEL: $FETCHES fetches of http://VIP/ from the client.
# Sets OK_COUNT, FAIL_COUNT and SERVED[rsN].
declare -A SERVED=()
fetch_round() {
  local i body rc who
  OK_COUNT=0 FAIL_COUNT=0
  SERVED=([rs1]=0 [rs2]=0 [rs3]=0)
  for ((i = 1; i <= FETCHES; i++)); do
    rc=0
    body=$(in_ns client curl -s --max-time 3 "http://$VIP/") || rc=$?
    if ((rc == 0)) && [[ $body == "served by "* ]]; then
      who=${body#served by }
      OK_COUNT=$((OK_COUNT + 1))
      SERVED[$who]=$((${SERVED[$who]:-0} + 1))
      say "fetch $i: $body"
    else
      FAIL_COUNT=$((FAIL_COUNT + 1))
      say "fetch $i: FAILED (curl exit $rc)"
    fi
  done
  say "=> $OK_COUNT/$FETCHES succeeded; served by rs1: ${SERVED[rs1]}, rs2: ${SERVED[rs2]}, rs3: ${SERVED[rs3]}"
}

# ---- the scenario ---------------------------------------------------------------
printf 'swiftvs demo: an IPVS direct-routing load balancer on a firewall mark\n'
printf '(director: %s, kernel %s)\n' "$SWIFTVS" "$(uname -r)"
mkdir -p "$WORK"

step "1. Network: bridge br0 on the director, netns client + rs1..rs3 on veth"
run ip link add br0 type bridge
run ip addr add "$DIRECTOR_IP/24" dev br0
run ip link set br0 up
for ns in client "${RS_NAMES[@]}"; do
  if [[ $ns == client ]]; then ip=$CLIENT_IP; else ip=${RS_IP[$ns]}; fi
  run ip netns add "$ns"
  run ip link add "veth-$ns" type veth peer name eth0 netns "$ns"
  run ip link set "veth-$ns" master br0 up
  run ip -n "$ns" link set lo up
  run ip -n "$ns" addr add "$ip/24" dev eth0
  run ip -n "$ns" link set eth0 up
done
say "the client reaches the VIP through the director:"
run ip -n client route add "$VIP/32" via "$DIRECTOR_IP"

step "2. Real servers: VIP on lo, no ARP for it, an HTTP server each"
for rs in "${RS_NAMES[@]}"; do
  run ip -n "$rs" addr add "$VIP/32" dev lo
  run ip netns exec "$rs" sysctl -q -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
  # Count packets for VIP:80 that reach this server (proof of who got traffic).
  run ip netns exec "$rs" iptables -A INPUT -d "$VIP/32" -p tcp --dport 80
  mkdir -p "$WORK/$rs"
  echo "served by $rs" >"$WORK/$rs/index.html"
  start_httpd "$rs"
done
say "waiting for the servers (polling, not sleeping):"
for rs in "${RS_NAMES[@]}"; do
  wait_http client "http://${RS_IP[$rs]}/" "served by $rs" || { echo "demo: $rs did not come up" >&2; exit 1; }
done

step "3. Director: VIP, and the swiftvs health-check daemon with seed 003's configuration"
run ip addr add "$VIP/32" dev br0
say "seed 003's keepalived block, as written (192.168.1.x there), passes swiftvs check-config;"
say "its warnings say what keepalived itself would do with it:"
sed -e 's/192\.168\.1\./192.0.2./g' >"$WORK/seed.conf" <<'SEED'
global_defs {
  router_id io
}

virtual_server fwmark 80 {
  delay_loop 6
  lb_algo lc
  lb_kind DR

  real_server 192.168.1.101 {
    weight 1
    MISC_CHECK {
      misc_path '"/usr/bin/ping -c 3"'
      misc_timeout 5
      warmup 5
    }
  }
}
SEED
check "swiftvs check-config accepts seed 003's block" run "$SWIFTVS" check-config "$WORK/seed.conf"
say "keepalived reads '\"/usr/bin/ping -c 3\"' as one program name and never runs it; the demo"
say "passes the arguments in double quotes, with the address to ping, and checks every ${DELAY}s:"
{
  printf 'virtual_server fwmark %s {\n  delay_loop %s\n  lb_algo %s\n  lb_kind DR\n' "$MARK" "$DELAY" "$SCHED"
  for rs in "${RS_NAMES[@]}"; do
    printf '\n  real_server %s {\n    weight 1\n    MISC_CHECK {\n' "${RS_IP[$rs]}"
    printf '      misc_path "/usr/bin/ping -c 1 -W 1 %s"\n      misc_timeout 3\n    }\n  }\n' "${RS_IP[$rs]}"
  done
  printf '}\n'
} >"$WORK/swiftvs.conf"
run cat "$WORK/swiftvs.conf"
check "swiftvs check-config accepts the demo's configuration" run "$SWIFTVS" check-config "$WORK/swiftvs.conf"
say "the daemon: checks, the IPVS table, the mark rule for the VIP, a state file after every change:"
printf '    $ %s\n' "$SWIFTVS daemon --config $WORK/swiftvs.conf --vip-mark $VIP=$MARK --state $WORK/state --control $WORK/control.sock &"
"$SWIFTVS" daemon --config "$WORK/swiftvs.conf" --vip-mark "$VIP=$MARK" --state "$WORK/state" \
  --control "$WORK/control.sock" 2>"$WORK/daemon.log" &
DAEMON_PID=$!
check "the daemon puts all three real servers in (within 15 s)" wait_table_has 3
run iptables -t mangle -S PREROUTING
ipvs_show
run "$SWIFTVS" status --control "$WORK/control.sock"

step "4. Client: $FETCHES fetches of http://$VIP/"
conns0=$(ipvs_total_conns)
fetch_round
say "(IPVS updates its counters every 2 s; waiting for them to catch up)"
wait_ipvs_conns $((conns0 + FETCHES)) || true
conns1=$(ipvs_total_conns)
ipvs_stats
check "all $FETCHES fetches succeeded" test "$FAIL_COUNT" -eq 0
check "every real server answered at least once (lc spreads the load)" \
  test "${SERVED[rs1]}" -ge 1 -a "${SERVED[rs2]}" -ge 1 -a "${SERVED[rs3]}" -ge 1
check "IPVS connection counter moved by $FETCHES ($conns0 -> $conns1)" test $((conns1 - conns0)) -eq "$FETCHES"

step "5. rs2 fails its health check, but stays up"
say "rs2 drops the check's pings and nothing else: its link is up and its HTTP server still"
say "answers, so if the daemon got the check wrong, traffic would still reach rs2:"
run ip netns exec rs2 iptables -I INPUT -p icmp --icmp-type echo-request -j DROP
t0=$(date +%s.%N)
say "the daemon's ping check fails and it takes rs2 out (polling the kernel's table):"
check "rs2 is removed from the table" wait_table_lacks "${RS_IP[rs2]}"
say "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "removed %.1f s after the failure (delay_loop %s s)", b - a, '"$DELAY"' }')"
ipvs_show
run "$SWIFTVS" status --control "$WORK/control.sock"
say "what the daemon logged:"
grep -E 'down|removed|DOWN' "$WORK/daemon.log" | sed 's/^/      /' | tail -5 || true

step "6. Traffic continues on rs1 and rs3"
check "rs2 is up: it answers HTTP from the client directly" \
  bash -c "ip netns exec client curl -s --max-time 3 http://${RS_IP[rs2]}/ | grep -qx 'served by rs2'"
rs2_before=$(rs_packets rs2)
fetch_round
rs2_after=$(rs_packets rs2)
wait_ipvs_conns $((conns1 + OK_COUNT)) || true
conns1=$(ipvs_total_conns)
ipvs_stats
check "all $FETCHES fetches succeeded without rs2" test "$FAIL_COUNT" -eq 0
check "no fetch was served by rs2" test "${SERVED[rs2]}" -eq 0
check "rs2 received no packets while removed ($rs2_before -> $rs2_after)" test "$rs2_before" -eq "$rs2_after"

step "7. rs2 passes its check again"
run ip netns exec rs2 iptables -D INPUT -p icmp --icmp-type echo-request -j DROP
check "the daemon puts rs2 back (its check passes again)" wait_table_has 3
grep -E ' up|added|UP' "$WORK/daemon.log" | sed 's/^/      /' | tail -3 || true
ipvs_show
say "lc = least connections: rs1/rs3 hold more inactive (TIME_WAIT) entries than"
say "rs2, so rs2 gets the next connections until the counts even out."
rs2_before=$(rs_packets rs2)
fetch_round
rs2_after=$(rs_packets rs2)
wait_ipvs_conns $((conns1 + OK_COUNT)) || true
ipvs_stats
check "all $FETCHES fetches succeeded after re-adding rs2" test "$FAIL_COUNT" -eq 0
check "rs2 serves traffic again (${SERVED[rs2]} fetches, packets $rs2_before -> $rs2_after)" \
  test "${SERVED[rs2]}" -ge 1 -a "$rs2_after" -gt "$rs2_before"

step "8. The table survives a reboot: the daemon's state file, restored"
say "after every change the daemon wrote the table and its mark rule to $WORK/state:"
run cat "$WORK/state"
check "the state file is ipvsadm-save -n, plus the mark line" \
  cmp -s "$WORK/state" <(ipvsadm-save -n; echo "# swiftvs-mark -d $VIP/32 --mark $MARK")
ipvsadm-save -n >"$WORK/before.ipvsadm"
say "SIGTERM: the daemon stops and leaves the table as it is (no omega)"
run kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || true
check "the table is unchanged after the daemon stopped" cmp -s "$WORK/before.ipvsadm" <(ipvsadm-save -n)
say "a 'reboot': the table and the mark rule are gone"
run "$SWIFTVS" clear
check "the mark rule is there before the 'reboot'" \
  bash -c "iptables -t mangle -S PREROUTING | grep -q -- '-d $VIP/32 .*--set-xmark 0x50/0xffffffff'"
run "$SWIFTVS" mark delete -d "$VIP" --mark "$MARK"
check "the table is empty after the 'reboot'" test -z "$(ipvsadm-save -n)"
check "and the mark rule is gone (iptables -t mangle -S PREROUTING has no rule for the VIP)" \
  bash -c "! iptables -t mangle -S PREROUTING | grep -q -- '-d $VIP/32'"
run "$SWIFTVS" restore "$WORK/state"
ipvs_show
run iptables -t mangle -S PREROUTING
check "restore gives back the same table (ipvsadm-save -n before = after)" \
  cmp -s "$WORK/before.ipvsadm" <(ipvsadm-save -n)
check "restore gives back the mark rule" \
  bash -c "iptables -t mangle -S PREROUTING | grep -q -- '-d $VIP/32 .*--set-xmark 0x50/0xffffffff'"
fetch_round
check "all $FETCHES fetches succeed after the restore" test "$FAIL_COUNT" -eq 0

# ---- the director pair: the same scenario made highly available ---------------------------
# shellcheck source=demo-pair.sh
. "$(dirname "${BASH_SOURCE[0]}")/demo-pair.sh"

step "Done"
# shellcheck disable=SC2034 # read by the EXIT trap
FINISHED=1
for rs in "${RS_NAMES[@]}"; do kill "${HTTPD_PID[$rs]}" 2>/dev/null || true; done
[[ -n $DAEMON_PID ]] && kill "$DAEMON_PID" 2>/dev/null || true
if ((FAILED == 0)); then
  printf 'demo: all %d checks passed\n' "$PASSED"
  exit 0
fi
printf 'demo: %d of %d checks FAILED\n' "$FAILED" $((PASSED + FAILED))
exit 1
