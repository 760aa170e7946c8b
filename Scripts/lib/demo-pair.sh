# Scripts/lib/demo-pair.sh — the director pair, played after the single-director demo.
# Sourced by Scripts/lib/demo-inside.sh (inside the VM), whose helpers it uses (step, say,
# run, check, $SWIFTVS). The same building blocks as the kernel test
# Tests/KernelTests/DirectorPairKernelTests.swift: every node a network namespace on a
# bridge of its own, so nothing here touches the single-director topology.
#
#   ha-cl  192.0.2.50          ha-br: bridge br0
#   ha-d1  192.0.2.2  prio 150 VIP 192.0.2.100 on the VRRP master's eth0, mark rule on both
#   ha-d2  192.0.2.3  prio 100 lvs_sync_daemon eth0 VI_1: master on the master, backup elsewhere
#   ha-rs1..3  192.0.2.101-103 VIP on lo, arp_ignore/arp_announce, a line server on :80

HA=/tmp/demo-ha
HA_VIP=192.0.2.100
HA_PAIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/pair
declare -A HA_IP=([cl]=192.0.2.50 [d1]=192.0.2.2 [d2]=192.0.2.3 [rs1]=192.0.2.101 [rs2]=192.0.2.102 [rs3]=192.0.2.103)
declare -A HA_PRIO=([d1]=150 [d2]=100)
declare -A HA_PID=()

ha_config() { # DIRECTOR
  local d=$1 peer=d2
  [[ $d == d2 ]] && peer=d1
  cat <<EOF
global_defs {
  router_id $d
  lvs_sync_daemon eth0 VI_1
}

vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${HA_PRIO[$d]}
  advert_int 1
  unicast_src_ip ${HA_IP[$d]}
  unicast_peer {
    ${HA_IP[$peer]}
  }
  authentication {
    auth_type PASS
    auth_pass swiftvs1
  }
  virtual_ipaddress {
    $HA_VIP/24 dev eth0
  }
}

virtual_server fwmark 80 {
  delay_loop 2
  lb_algo lc
  lb_kind DR
EOF
  for rs in rs1 rs2 rs3; do
    printf '\n  real_server %s {\n    weight 1\n    TCP_CHECK {\n      connect_port 80\n      connect_timeout 3\n    }\n  }\n' "${HA_IP[$rs]}"
  done
  printf '}\n'
}

ha_start() { # DIRECTOR
  local d=$1
  ip netns exec "ha-$d" "$SWIFTVS" daemon --config "$HA/$d.conf" --state "$HA/$d.rules" \
    --control "$HA/$d.sock" --vip-mark "$HA_VIP=80" --mark-backend iptables </dev/null >>"$HA/$d.log" 2>&1 &
  HA_PID[$d]=$!
  disown "${HA_PID[$d]}"   # killed on purpose below: no job-control notice
  say "started swiftvs daemon in netns ha-$d (pid ${HA_PID[$d]})"
}

ha_holds_vip() { ip -n "ha-$1" -o -4 addr show dev eth0 | grep -q " $HA_VIP/"; }
ha_owners() { local d o=; for d in d1 d2; do ha_holds_vip "$d" && o+="$d "; done; echo "${o% }"; }
ha_state() { "$SWIFTVS" status --control "$HA/$1.sock" | awk '/^vrrp_instance/ { print $3 }'; }
ha_answered() { [[ -f $HA/stream.log ]] || { echo 0; return; }; awk '/^ok / { n++ } END { print n + 0 }' "$HA/stream.log"; }
ha_server() { awk '/^ok / { s = $3 } END { print s }' "$HA/stream.log"; }
ha_port() { awk '/^port / { print $2; exit }' "$HA/stream.log"; }

# wait_for SECONDS COMMAND...: poll every 100 ms until COMMAND succeeds.
wait_for() {
  local limit=$1 i; shift
  for ((i = 0; i < limit * 10; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}
ha_flows() { local want=$1; (($(ha_answered) >= want)); }   # the stream has answered WANT lines
ha_owner_is() { [[ $(ha_owners) == "$1" ]]; }
ha_is_master() { [[ $(ha_state "$1") == MASTER ]]; }

# The stream's entry in a director's connection table (/proc/net/ip_vs_conn, hex).
ha_entry() { # DIRECTOR
  local key
  key=$(printf '%02X%02X%02X%02X %04X' 192 0 2 50 "$(ha_port)")
  ip netns exec "ha-$1" grep "$key" /proc/net/ip_vs_conn
}

ha_has_entry() { ha_entry "$1" >/dev/null; }

ha_transition_ms() { # DIRECTOR: the last transition's wall time (status json), in ms since the epoch
  local at
  at=$("$SWIFTVS" status --json --control "$HA/$1.sock" | grep -o '"last_transition_at":"[^"]*"' | cut -d'"' -f4)
  echo $(($(date -d "$at" +%s%N) / 1000000))
}

ha_teardown() {
  local ns
  for ns in ha-cl ha-d1 ha-d2 ha-rs1 ha-rs2 ha-rs3 ha-br; do
    ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

step "9. Two directors: the VIP moves by VRRP, the kernel syncs the connections"
rm -rf "$HA"; mkdir -p "$HA"
run ip netns add ha-br
run ip -n ha-br link add br0 type bridge
run ip -n ha-br link set br0 up
for n in cl d1 d2 rs1 rs2 rs3; do
  ip netns add "ha-$n"
  ip -n ha-br link add "v-$n" type veth peer name eth0 netns "ha-$n"
  ip -n ha-br link set "v-$n" master br0 up
  ip -n "ha-$n" link set lo up
  ip -n "ha-$n" addr add "${HA_IP[$n]}/24" dev eth0
  ip -n "ha-$n" link set eth0 up
done
say "netns ha-cl, ha-d1, ha-d2, ha-rs1..3 on bridge br0 (netns ha-br), 192.0.2.0/24"
for rs in rs1 rs2 rs3; do
  ip -n "ha-$rs" addr add "$HA_VIP/32" dev lo
  ip netns exec "ha-$rs" sysctl -q -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
    net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
  ip netns exec "ha-$rs" python3 "$HA_PAIR/lineserver.py" "$rs" </dev/null >"$HA/$rs.log" 2>&1 &
  disown $!
done
say "real servers: VIP on lo (no ARP), a line server on :80 that answers 'rsN LINE'"
for rs in rs1 rs2 rs3; do
  wait_for 30 ip netns exec ha-cl bash -c "exec 3<>/dev/tcp/${HA_IP[$rs]}/80" 2>/dev/null ||
    { echo "demo: line server $rs did not start" >&2; exit 1; }
done
ha_config d1 >"$HA/d1.conf"
ha_config d2 >"$HA/d2.conf"
say "d1's configuration (d2's differs in router_id, priority 100, unicast_src_ip and peer):"
run cat "$HA/d1.conf"
check "swiftvs check-config accepts it" run "$SWIFTVS" check-config "$HA/d1.conf"
ha_start d1
check "d1 becomes MASTER and holds the VIP" wait_for 40 ha_owner_is d1
ha_start d2
check "d2 becomes BACKUP" wait_for 40 bash -c "grep -q 'Entering BACKUP' $HA/d2.log"
check "the kernel sync daemons follow VRRP: master on d1, backup on d2" \
  wait_for 20 bash -c "ip netns exec ha-d1 ipvsadm -L --daemon | grep -q master && ip netns exec ha-d2 ipvsadm -L --daemon | grep -q backup"
for d in d1 d2; do
  run ip netns exec "ha-$d" "$SWIFTVS" list --daemon
  "$SWIFTVS" status --control "$HA/$d.sock" | sed -n '/^vrrp_instance/,$p' | sed 's/^/      /'
done
check "both directors have the same table" cmp -s <(ip netns exec ha-d1 ipvsadm-save -n) <(ip netns exec ha-d2 ipvsadm-save -n)

step "10. A long-lived stream through the VIP: a line every 100 ms, each answer checked"
ip netns exec ha-cl python3 "$HA_PAIR/stream.py" "$HA_VIP" 80 "$HA/stream.log" "$HA/stream.stop" </dev/null >"$HA/stream.err" 2>&1 &
disown $!
check "the stream flows" wait_for 30 ha_flows 10
SERVED=$(ha_server)
say "the stream is served by $SERVED (client port $(ha_port))"
check "its connection entry is on the backup d2 before any failover (the sync daemon's work)" wait_for 15 ha_has_entry d2
say "d2's /proc/net/ip_vs_conn: $(ha_entry d2)"

step "11. d1 dies: its daemon is killed -9 and its link cut (a crashed machine)"
n=$(ha_answered)
t_kill=$(($(date +%s%N) / 1000000))
run kill -9 "${HA_PID[d1]}"
run ip -n ha-d1 link set eth0 down
check "d2 takes over (MASTER)" wait_for 20 ha_is_master d2
say "$(awk -v a="$t_kill" -v b="$(ha_transition_ms d2)" 'BEGIN { printf "d2 MASTER %.2f s after the kill (Master_Down_Interval 3.61 s: 3 adverts + skew (256-100)/256)", (b - a) / 1000 }')"
grep -E 'Entering MASTER|lvs_sync_daemon' "$HA/d2.log" | tail -2 | sed 's/^/      /'
check "the stream flows on through d2" wait_for 30 ha_flows $((n + 20))
check "the same real server serves it ($SERVED)" test "$(ha_server)" = "$SERVED"
say "new connections are balanced by the new master:"
for i in 1 2 3; do
  ans=$(ip netns exec ha-cl bash -c "exec 3<>/dev/tcp/$HA_VIP/80; echo new-$i >&3; head -n 1 <&3") || ans=FAILED
  say "new connection $i: $ans"
done
say "d1 comes back: the daemon restarts (its leftover VIP is removed before its first election),"
say "then the link; with the higher priority it takes the VIP back (preemption):"
ha_start d1
check "the restarted daemon removed its leftover VIP" wait_for 30 ha_owner_is d2
n=$(ha_answered)
run ip -n ha-d1 link set eth0 up
check "d1 is MASTER again, the VIP on d1 alone" wait_for 40 ha_owner_is d1
check "the stream flows on through d1" wait_for 30 ha_flows $((n + 20))

step "12. A clean stop of the master (SIGTERM): it sends priority 0, the backup takes over after its skew"
check "the connection entry is on d2" wait_for 15 ha_has_entry d2
say "d2's /proc/net/ip_vs_conn: $(ha_entry d2)"
n=$(ha_answered)
t_stop=$(($(date +%s%N) / 1000000))
run kill -TERM "${HA_PID[d1]}"
check "d2 takes over (MASTER)" wait_for 20 ha_is_master d2
say "$(awk -v a="$t_stop" -v b="$(ha_transition_ms d2)" 'BEGIN { printf "d2 MASTER %.2f s after the stop (skew 0.61 s)", (b - a) / 1000 }')"
check "the VIP is on d2 alone" wait_for 10 ha_owner_is d2
check "the stream flows on through d2" wait_for 30 ha_flows $((n + 20))

step "13. The stream, from start to end"
touch "$HA/stream.stop"
wait_for 40 grep -q '^summary ' "$HA/stream.log" || true
summary=$(sed -n 's/^summary //p' "$HA/stream.log")
say "client: $summary"
gap=$(grep -o '"max_gap": [0-9.]*' <<<"$summary" | awk '{ printf "%.2f", $2 }')
say "three failovers (kill -9, preemption, clean stop); longest gap ${gap} s"
check "not one line lost, no reset" grep -q '"error": null' <<<"$summary"
check "the same real server ($SERVED) answered every line" \
  test "$(awk '/^ok / { print $3 }' "$HA/stream.log" | sort -u)" = "$SERVED"
kill -TERM "${HA_PID[d2]}" 2>/dev/null || true
ha_teardown
