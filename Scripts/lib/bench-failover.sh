# Scripts/lib/bench-failover.sh — the `failover` case of Scripts/bench: a director pair (the
# README's "Two directors"), one long-lived TCP stream through the VIP (a line every 100 ms,
# each answer awaited and checked: Scripts/lib/pair/stream.py), and FO_RUNS crashes of the
# VRRP master, alternating between the two directors; swiftvs's pair and keepalived's pair
# (Debian's keepalived 2.2.7 running VRRP and LVS with `lvs_sync_daemon` from the same file),
# one after the other in the same VM. Sourced by Scripts/lib/bench-inside.sh (its helpers:
# detail, sanity, goal, line, median, fmt, list, ge, le).
#
#   fo-cl   192.0.2.50            fo-br: bridge br0
#   fo-d1   192.0.2.2  prio 100   VIP 192.0.2.100 on the VRRP master's eth0, mark rule on both
#   fo-d2   192.0.2.3  prio 100   lvs_sync_daemon eth0 VI_1
#   fo-rs1..3  192.0.2.101-103    VIP on lo (no ARP), a line server on :80
#
# Equal priorities: a director that comes back stays BACKUP (no preemption), so the next crash
# is of the other one. A crash: every process of the director's namespace frozen (SIGSTOP: no
# clean-stop advert can leave, keepalived's children included), its link cut, then SIGKILL.
# The director then "reboots": its namespace is deleted (the kernel drops its IPVS table,
# connection entries and sync threads) and made afresh, and the daemon starts again.

FO_VIP=192.0.2.100
FO_PAIR=$LIB/pair
declare -A FO_IP=([cl]=192.0.2.50 [d1]=192.0.2.2 [d2]=192.0.2.3 [rs1]=192.0.2.101 [rs2]=192.0.2.102 [rs3]=192.0.2.103)
FO_IMPL=""   # swiftvs | keepalived: the pair under test
FO_LOG=""    # the current stream's log

fo_wait() { # SECONDS COMMAND...: poll every 100 ms until COMMAND succeeds
  local limit=$1 i; shift
  for ((i = 0; i < limit * 10; i++)); do "$@" && return 0; sleep 0.1; done
  return 1
}

fo_config() { # DIRECTOR: the same file for both implementations
  local d=$1 peer=d2 rs
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
  priority 100
  advert_int 1
  unicast_src_ip ${FO_IP[$d]}
  unicast_peer {
    ${FO_IP[$peer]}
  }
  authentication {
    auth_type PASS
    auth_pass swiftvs1
  }
  virtual_ipaddress {
    $FO_VIP/24 dev eth0
  }
}

virtual_server fwmark 80 {
  delay_loop 2
  lb_algo lc
  lb_kind DR
EOF
  for rs in rs1 rs2 rs3; do
    printf '\n  real_server %s {\n    weight 1\n    TCP_CHECK {\n      connect_port 80\n      connect_timeout 3\n    }\n  }\n' "${FO_IP[$rs]}"
  done
  printf '}\n'
}

fo_node() { # NAME: a namespace on the bridge with its address
  local n=$1
  ip netns add "fo-$n"
  ip -n fo-br link add "v-$n" type veth peer name eth0 netns "fo-$n"
  ip -n fo-br link set "v-$n" master br0 up
  ip -n "fo-$n" link set lo up
  ip -n "fo-$n" addr add "${FO_IP[$n]}/24" dev eth0
  ip -n "fo-$n" link set eth0 up
}

fo_director_start() { # DIRECTOR: the daemon of the pair under test, in the background
  local d=$1
  fo_config "$d" >"$W/fo-$d.conf"
  if [[ $FO_IMPL == keepalived ]]; then
    # keepalived installs no mark rule: the same rule swiftvs's --vip-mark keeps, by hand.
    ip netns exec "fo-$d" iptables -t mangle -A PREROUTING -d "$FO_VIP/32" -j MARK --set-xmark 0x50/0xffffffff
    ip netns exec "fo-$d" keepalived -n -l -D -f "$W/fo-$d.conf" -p "$W/fo-$d-kd.pid" \
      -r "$W/fo-$d-vrrp.pid" -c "$W/fo-$d-chk.pid" </dev/null >>"$W/fo-$FO_IMPL-$d.log" 2>&1 &
  else
    ip netns exec "fo-$d" "$SV" daemon --config "$W/fo-$d.conf" --state "$W/fo-$d.rules" \
      --control "$W/fo-$d.sock" --vip-mark "$FO_VIP=80" --mark-backend iptables \
      </dev/null >>"$W/fo-$FO_IMPL-$d.log" 2>&1 &
  fi
  disown $!
}

fo_crash() { # DIRECTOR: freeze every process of the namespace, cut the link, kill them
  local d=$1 pids
  pids=$(ip netns pids "fo-$d")
  [[ -z $pids ]] || kill -STOP $pids || true
  ip -n "fo-$d" link set eth0 down
  [[ -z $pids ]] || kill -KILL $pids || true
}

fo_reboot() { # DIRECTOR: the crashed director's machine comes back empty, its daemon starts
  local d=$1 pids
  pids=$(ip netns pids "fo-$d")
  [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
  ip netns del "fo-$d"
  rm -f "$W/fo-$d.rules" "$W/fo-$d.sock"
  fo_node "$d"
  fo_director_start "$d"
}

fo_holds_vip() { ip -n "fo-$1" -o -4 addr show dev eth0 2>/dev/null | grep -q " $FO_VIP/"; }
fo_owners() { local d o=; for d in d1 d2; do fo_holds_vip "$d" && o+="$d "; done; echo "${o% }"; }
fo_owner_is() { [[ $(fo_owners) == "$1" ]]; }
fo_sync_role() { ip netns exec "fo-$1" ipvsadm -L --daemon 2>/dev/null | grep -q "^$2 sync daemon"; }
fo_servers() { ip netns exec "fo-$1" ipvsadm -Ln 2>/dev/null | grep -c -- '-> 192.0.2.10[123]:'; }
fo_table_full() { (($(fo_servers "$1") == 3)); }
fo_answered() { awk '/^ok / { n++ } END { print n + 0 }' "$FO_LOG" 2>/dev/null || echo 0; }
fo_flows() { (($(fo_answered) >= $1)); }
fo_server() { awk '/^ok / { s = $3 } END { print s }' "$FO_LOG"; }
fo_port() { awk '/^port / { print $2; exit }' "$FO_LOG"; }
fo_has_entry() { # DIRECTOR: the stream's entry in its connection table (hex client address, port)
  ip netns exec "fo-$1" grep -q "$(printf '%02X%02X%02X%02X %04X' 192 0 2 50 "$(fo_port)")" /proc/net/ip_vs_conn
}
fo_broken() { grep -q '^summary ' "$FO_LOG" 2>/dev/null; }
fo_backup_ready() { # DIRECTOR: no VIP, the backup sync daemon, the full table
  ! fo_holds_vip "$1" && fo_sync_role "$1" backup && fo_table_full "$1"
}
fo_ready_backup() { # DIRECTOR: fo_backup_ready, and the stream's entry synced to it
  fo_backup_ready "$1" && fo_has_entry "$1"
}
fo_one_owner() { local o; o=$(fo_owners); [[ $o == d1 || $o == d2 ]]; }
fo_must() { # DESCRIPTION COMMAND...: sanity, and its outcome as the status
  local before=$FAILED
  sanity "$@"
  ((FAILED == before))
}

FO_STREAMS=0
fo_stream_start() {
  FO_STREAMS=$((FO_STREAMS + 1))
  FO_LOG=$W/fo-$FO_IMPL-stream$FO_STREAMS.log
  rm -f "$W/fo-stream.stop"
  ip netns exec fo-cl python3 "$FO_PAIR/stream.py" "$FO_VIP" 80 "$FO_LOG" "$W/fo-stream.stop" \
    </dev/null >"$FO_LOG.err" 2>&1 &
  disown $!
  fo_wait 30 fo_flows 10
}
fo_stream_stop() { # -> FO_SUMMARY (the stream's JSON summary)
  touch "$W/fo-stream.stop"
  fo_wait 40 fo_broken || true
  FO_SUMMARY=$(sed -n 's/^summary //p' "$FO_LOG")
}
fo_json() { grep -o "\"$1\": [^,}]*" <<<"$2" | sed 's/^[^:]*: //' || true; }

fo_teardown() {
  local ns pids
  for ns in fo-d1 fo-d2 fo-cl fo-rs1 fo-rs2 fo-rs3 fo-br; do
    pids=$(ip netns pids "$ns" 2>/dev/null) || true
    [[ -z $pids ]] || kill -KILL $pids 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
}

# fo_pair IMPL: the whole run for one implementation; sets FO_GAPS (per failover, seconds),
# FO_MAXGAP, FO_LOST, FO_RESETS, FO_DONE (failovers that happened).
fo_pair() {
  FO_IMPL=$1 FO_STREAMS=0
  local n rs d victim survivor k n0 server t0 summary sent answered err takeover
  local -a kills=() takeovers=()
  FO_GAPS=() FO_MAXGAP=0 FO_LOST=0 FO_RESETS=0 FO_DONE=0
  local started=$SECONDS
  fo_teardown
  ip netns add fo-br
  ip -n fo-br link add br0 type bridge
  ip -n fo-br link set br0 up
  for n in cl d1 d2 rs1 rs2 rs3; do fo_node "$n"; done
  for rs in rs1 rs2 rs3; do
    ip -n "fo-$rs" addr add "$FO_VIP/32" dev lo
    ip netns exec "fo-$rs" sysctl -q -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
      net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2
    ip netns exec "fo-$rs" python3 "$FO_PAIR/lineserver.py" "$rs" </dev/null >"$W/fo-$rs.log" 2>&1 &
    disown $!
  done
  for rs in rs1 rs2 rs3; do
    fo_wait 30 ip netns exec fo-cl bash -c "exec 3<>/dev/tcp/${FO_IP[$rs]}/80" 2>/dev/null ||
      { sanity "line server $rs starts" false; fo_teardown; return 0; }
  done
  rm -f "$W"/fo-"$FO_IMPL"-*.log
  fo_director_start d1
  fo_director_start d2
  fo_must "$FO_IMPL: the pair starts, one director holds the VIP" fo_wait 60 fo_one_owner || { fo_teardown; return 0; }
  victim=$(fo_owners)
  survivor=d1; [[ $victim == d1 ]] && survivor=d2
  fo_must "$FO_IMPL: the other ($survivor) is a ready backup (sync daemon backup, 3 real servers)" \
    fo_wait 60 fo_backup_ready "$survivor" || { fo_teardown; return 0; }
  fo_must "$FO_IMPL: the stream flows through the VIP" fo_stream_start || { fo_teardown; return 0; }
  server=$(fo_server)
  for ((k = 1; k <= FO_RUNS; k++)); do
    if fo_broken; then   # a stream broken by the last failover: counted, and a new one
      fo_stream_stop
      FO_LOST=$((FO_LOST + $(fo_json sent "$FO_SUMMARY") - $(fo_json answered "$FO_SUMMARY"))) FO_RESETS=$((FO_RESETS + 1))
      detail "$FO_IMPL: stream $FO_STREAMS broke: $(fo_json error "$FO_SUMMARY"); a new one"
      fo_stream_start || { sanity "$FO_IMPL: a new stream flows" false; break; }
      server=$(fo_server)
    fi
    if ! fo_wait 60 fo_ready_backup "$survivor" || ! fo_owner_is "$victim"; then
      sanity "$FO_IMPL, failover $k: $victim holds the VIP alone, $survivor is a ready backup with the stream's entry" false
      break
    fi
    n0=$(fo_answered)
    t0=$(date +%s%N)
    fo_crash "$victim"
    if ! fo_wait 30 fo_holds_vip "$survivor"; then
      sanity "$FO_IMPL, failover $k: $survivor takes the VIP after $victim's crash" false; break
    fi
    takeover=$((($(date +%s%N) - t0) / 1000000))
    if ! fo_wait 60 fo_flows $((n0 + 20)) && ! fo_broken; then
      sanity "$FO_IMPL, failover $k: the stream flows on through $survivor" false; break
    fi
    if ! fo_broken; then
      [[ $(fo_server) == "$server" ]] ||
        { sanity "$FO_IMPL, failover $k: the same real server ($server) answers" false; break; }
    fi
    fo_sync_role "$survivor" master ||
      { sanity "$FO_IMPL, failover $k: $survivor's kernel sync daemon is now master" false; break; }
    kills+=("$FO_STREAMS:$n0") takeovers+=("$takeover")
    FO_DONE=$k
    ((k == FO_RUNS)) && break
    fo_reboot "$victim"
    d=$victim victim=$survivor survivor=$d
  done
  fo_stream_stop
  sent=$(fo_json sent "$FO_SUMMARY") answered=$(fo_json answered "$FO_SUMMARY") err=$(fo_json error "$FO_SUMMARY")
  FO_LOST=$((FO_LOST + ${sent:-0} - ${answered:-0}))
  [[ $err == null ]] || FO_RESETS=$((FO_RESETS + 1))
  # Per failover: the longest gap between two answers from the crash on, until the next one.
  local i s from to
  for ((i = 0; i < ${#kills[@]}; i++)); do
    s=${kills[i]%%:*} from=${kills[i]#*:} to=1000000000
    ((i + 1 < ${#kills[@]})) && [[ ${kills[i + 1]%%:*} == "$s" ]] && to=${kills[i + 1]#*:}
    FO_GAPS+=("$(awk -v a="$from" -v b="$to" '/^ok / && $2 > a && $2 <= b && $4 > g { g = $4 } END { print g + 0 }' "$W/fo-$FO_IMPL-stream$s.log")")
  done
  FO_MAXGAP=$(printf '%s\n' "${FO_GAPS[@]:-0}" | sort -g | tail -1)
  detail "$FO_IMPL: $FO_DONE of $FO_RUNS failovers; VIP on the survivor $(list $(printf '%s\n' "${takeovers[@]}" | awk '{ print $1 / 1000 }')) s after each crash (polled every 100 ms)"
  detail "$FO_IMPL: stream's longest gap per failover: $(list "${FO_GAPS[@]}") s; lines sent $sent, answered $answered; streams broken $FO_RESETS; $((SECONDS - started)) s in all"
  fo_teardown
}

case_failover() {
  local sg sl sr sm sd kg kl kr km kd
  echo "# failover: crashes of the VRRP master: $FO_RUNS per implementation (alternating directors), a line every 100 ms through the VIP; advert_int 1, priority 100 both (Master_Down_Interval 3.61 s)"
  fo_pair swiftvs
  sg=$FO_MAXGAP sl=$FO_LOST sr=$FO_RESETS sm=$(median "${FO_GAPS[@]:-0}") sd=$FO_DONE
  fo_pair keepalived
  kg=$FO_MAXGAP kl=$FO_LOST kr=$FO_RESETS km=$(median "${FO_GAPS[@]:-0}") kd=$FO_DONE
  sanity "swiftvs: every planned failover happened ($sd of $FO_RUNS)" test "$sd" = "$FO_RUNS"
  sanity "keepalived: every planned failover happened ($kd of $FO_RUNS)" test "$kd" = "$FO_RUNS"
  line failover "${FO_RUNS}x" "$sg" keepalived "$kg"
  line failover-med "${FO_RUNS}x" "$sm" keepalived "$km"
  printf '%-10s %-9s  swiftvs %s  keepalived %s  (lines lost; streams broken: %s, %s)\n' failover-lost "${FO_RUNS}x" "$sl" "$kl" "$sr" "$kr"
  goal "swiftvs loses no line and keeps the stream through every failover ($FO_RUNS; lost $sl, broken $sr)" "$( ((sl == 0 && sr == 0)) && echo 1 || echo 0)"
}
