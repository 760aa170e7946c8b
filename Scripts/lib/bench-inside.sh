#!/bin/bash
# Scripts/lib/bench-inside.sh — the cases of Scripts/bench. Runs INSIDE the throwaway VM
# (Scripts/bench starts it with Scripts/vm-run); see Scripts/bench --help.
#
# Output: one line per case and size, `CASE SIZE  swiftvs T  ANCHOR T  RATIOx`, then indented
# details. Exit 1 if any sanity check failed (a fast wrong answer must not pass); missed
# goals are reported but do not change the exit status.
set -euo pipefail

if [[ ${SWIFTVS_IN_VM:-} != 1 ]]; then
  echo "bench-inside: this runs inside the VM; use Scripts/bench" >&2
  exit 2
fi
SV=${BENCH_BIN:?}
# The MISC_CHECK program, copied to the VM's tmpfs (below): a director runs its checks from a
# local disk, not from the 9p share of the test VM's root, where every exec's path walk is a
# round trip to the host (about 1.4 ms more per exec here, measured with a spawn loop, for
# either daemon).
CHECK_PROG=/tmp/bench/bench-check
SMOKE=${BENCH_SMOKE:-0}
LIB=$(cd "$(dirname "$0")" && pwd)
W=/tmp/bench
mkdir -p "$W"
cp "${BENCH_CHECK:?}" "$CHECK_PROG"
CONN_PROG=/tmp/bench/bench-conn
cp "${BENCH_CONN:?}" "$CONN_PROG"
LISTEN_PROG=/tmp/bench/bench-listen
cp "${BENCH_LISTEN:?}" "$LISTEN_PROG"
export LC_ALL=C

if ((SMOKE)); then
  SIZES=(20x4 200x4); BIG=200x4 SMALL=10x4
  REPS=${BENCH_REPS:-2}; ANCHOR_REPS=${BENCH_ANCHOR_REPS:-1}
  CHECK_SERVERS=40 CHECK_SECONDS=${BENCH_CHECK_SECONDS:-4} LAT_TRIALS=2 CHECK_REPS=${BENCH_CHECK_REPS:-1}
  SCHED_SIZES=(${BENCH_SCHED_SIZES:-20})
  CONN_ENTRIES=2000
  SCALE_VS=114 SCALE_RS=1865 SCALE_WAIT=${BENCH_SCALE_WAIT:-120}   # daemon-scale at 1/20
else
  SIZES=(1000x4 10000x4); BIG=10000x4 SMALL=10x4
  REPS=${BENCH_REPS:-5}; ANCHOR_REPS=${BENCH_ANCHOR_REPS:-1}
  CHECK_SERVERS=1000 CHECK_SECONDS=${BENCH_CHECK_SECONDS:-20} LAT_TRIALS=${BENCH_LAT_TRIALS:-11} CHECK_REPS=${BENCH_CHECK_REPS:-5}
  SCHED_SIZES=(${BENCH_SCHED_SIZES:-100 200 300 500})
  CONN_ENTRIES=100000
  SCALE_VS=2284 SCALE_RS=37298 SCALE_WAIT=${BENCH_SCALE_WAIT:-300}   # keepalived #2318's director
fi
SCALE_VS=${BENCH_SCALE_VS:-$SCALE_VS} SCALE_RS=${BENCH_SCALE_RS:-$SCALE_RS}
# failover: crashes of the VRRP master per implementation (Scripts/lib/bench-failover.sh)
FO_RUNS=${BENCH_FAILOVERS:-$((SMOKE ? 1 : 10))}
[[ -n $REPS ]] || REPS=5
[[ -n $ANCHOR_REPS ]] || ANCHOR_REPS=1
[[ -n $CHECK_REPS ]] || CHECK_REPS=5

FAILED=0
detail() { printf '    %s\n' "$*"; }
sanity() { # DESCRIPTION COMMAND... — a check whose failure fails the run
  local desc=$1; shift
  if "$@"; then detail "sanity ok: $desc"; else detail "SANITY FAILED: $desc"; FAILED=$((FAILED + 1)); fi
}
goal() { # DESCRIPTION MET(0/1)
  if (($2)); then detail "goal met: $1"; else detail "goal MISSED: $1"; fi
}

# --- timing ----------------------------------------------------------------------------------
# timed [<IN] COMMAND... : runs COMMAND with stdout to $TOUT, stderr to $W/err; sets T_REAL,
# T_USER, T_SYS (seconds, bash's `time`: the command and its children). Fails if COMMAND does.
TOUT=/dev/null TIN=/dev/null
timed() {
  local rc=0 tf=$W/time
  { TIMEFORMAT='%3R %3U %3S'; time "$@" <"$TIN" >"$TOUT" 2>"$W/err" || rc=$?; } 2>"$tf"
  read -r T_REAL T_USER T_SYS <"$tf"
  if ((rc != 0)); then
    detail "FAILED (exit $rc): $*"; sed 's/^/      /' "$W/err" | head -20
    FAILED=$((FAILED + 1)); return 1
  fi
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
fmt() { awk -v t="$1" 'BEGIN { if (t < 1) printf "%.3f", t; else if (t < 10) printf "%.2f", t; else if (t < 100) printf "%.1f", t; else printf "%.0f", t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "inf"; else { r = a / b; printf (r < 10 ? "%.2f" : "%.1f"), r } }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }   # a >= b, as a status
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
list() { local s="" x; for x in "$@"; do s+="$(fmt "$x") "; done; printf '%s' "${s% }"; }
line() { # CASE SIZE SWIFTVS_T ANCHOR_NAME ANCHOR_T [UNIT]
  local unit=${6:-s}
  printf '%-10s %-9s  swiftvs %s %s  %s %s %s  %sx\n' "$1" "$2" "$(fmt "$3")" "$unit" "$4" "$(fmt "$5")" "$unit" "$(ratio "$5" "$3")"
}

# --- network namespaces ----------------------------------------------------------------------
# Every case runs in a network namespace of its own, and every timed restore in a fresh one.
# IPVS keeps deleted real servers in a per-namespace "trash" list for a minute or two, and
# adding a real server scans that whole list: after a flush of 40000 real servers, re-adding
# them is quadratic (minutes in the VM, for ipvsadm-restore and swiftvs alike). A fresh
# namespace is what "an empty table" means here.
network() { # [NS]: lo up, and a dummy interface with the documentation subnets (DR routes)
  local ipx=(ip); [[ -n ${1:-} ]] && ipx=(ip -n "$1")
  "${ipx[@]}" link set lo up
  "${ipx[@]}" link show swvs0 >/dev/null 2>&1 && return
  "${ipx[@]}" link add swvs0 type dummy
  "${ipx[@]}" link set swvs0 up
  "${ipx[@]}" addr add 192.0.2.1/24 dev swvs0
  "${ipx[@]}" addr add 198.51.100.1/24 dev swvs0
}
NSN=0
fresh_ns() { # -> NS, a new namespace with the network set up
  NS=bench-$$-$((++NSN))
  ip netns add "$NS"
  network "$NS"
}
drop_ns() { # NS: flush (synchronously) and delete, then wait for the kernel's cleanup
  ip netns exec "$1" ipvsadm -C 2>/dev/null || true
  ip netns del "$1"
  settle
}

# settle: wait (at most 30 s) until the VM is idle, i.e. both CPUs at least 90% idle over a
# half-second window of /proc/stat. A namespace is torn down by a kernel worker after `ip netns
# del` returns, and IPVS's rate estimators (kernel threads in 6.x) work through a freshly
# loaded table for a while: timing a tool while that runs charges it with someone else's work.
cpu_ticks() { # -> BUSY IDLE (jiffies since boot, all CPUs)
  local cpu user nice system idle iowait irq softirq steal rest
  read -r cpu user nice system idle iowait irq softirq steal rest </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((idle + iowait))"
}
settle() {
  local i b0 i0 b1 i1
  for ((i = 0; i < 60; i++)); do
    read -r b0 i0 <<<"$(cpu_ticks)"
    sleep 0.5
    read -r b1 i1 <<<"$(cpu_ticks)"
    (((i1 - i0) * 10 >= ((b1 - b0) + (i1 - i0)) * 9)) && return 0
  done
  detail "note: the VM did not become idle within 30 s"
}

# --- the table -------------------------------------------------------------------------------
rules() { # SIZE [change] -> path of the generated rules file (the expected ipvsadm-save -n)
  local n=${1%x*} m=${1#*x} change=${2:-0} f
  f=$W/rules-$1${2:+-changed}
  [[ -s $f ]] || awk -v n="$n" -v m="$m" -v change="$change" -f "$LIB/bench-gen.awk" >"$f"
  echo "$f"
}
table_is() { # RULES_FILE: the live table is exactly the file's (order-insensitive: ipvsadm sorts)
  ipvsadm-save -n >"$W/live.save"
  sorted_same "$1" "$W/live.save"
}
sorted_same() { # FILE FILE: the same lines
  sort "$1" >"$W/a.sorted"; sort "$2" >"$W/b.sorted"
  cmp -s "$W/a.sorted" "$W/b.sorted"
}
load() { # SIZE: the live table becomes rules(SIZE), untimed (swiftvs, diff: no flush, see above)
  "$SV" restore "$(rules "$1")"
  table_is "$(rules "$1")" || { detail "SANITY FAILED: loading $1"; FAILED=$((FAILED + 1)); return 1; }
  settle
}

# =============================================================================================
case_restore() {
  local size f i sv=() svu=() fl=() an=() first=1
  settle
  for size in "${SIZES[@]}"; do
    f=$(rules "$size")
    sv=() svu=() fl=() an=()
    local areps=$ANCHOR_REPS
    [[ $size == "$BIG" ]] || ((SMOKE)) || areps=$((ANCHOR_REPS > 3 ? ANCHOR_REPS : 3))
    # Each run: a fresh namespace (empty table, empty IPVS trash), `ip netns exec` for both tools.
    for ((i = 0; i < areps; i++)); do
      fresh_ns; TIN=$f timed ip netns exec "$NS" ipvsadm-restore || return 0
      an+=("$T_REAL")
      ip netns exec "$NS" ipvsadm-save -n >"$W/anchor.save"; drop_ns "$NS"
    done
    sanity "ipvsadm-restore built the generated table ($size)" sorted_same "$f" "$W/anchor.save"
    for ((i = 0; i < REPS; i++)); do
      fresh_ns; timed ip netns exec "$NS" "$SV" restore "$f" || return 0
      sv+=("$T_REAL"); svu+=("$T_USER")
      ip netns exec "$NS" ipvsadm-save -n >"$W/swiftvs.save"; drop_ns "$NS"
    done
    sanity "swiftvs restore leaves what ipvsadm-restore left (ipvsadm-save -n, byte for byte)" cmp -s "$W/anchor.save" "$W/swiftvs.save"
    for ((i = 0; i < (REPS + 1) / 2; i++)); do
      fresh_ns; timed ip netns exec "$NS" "$SV" restore --flush "$f" || return 0
      fl+=("$T_REAL")
      ip netns exec "$NS" ipvsadm-save -n >"$W/swiftvs.save"; drop_ns "$NS"
    done
    sanity "swiftvs restore --flush leaves the same table" cmp -s "$W/anchor.save" "$W/swiftvs.save"
    local msv man mu mfl
    msv=$(median "${sv[@]}") man=$(median "${an[@]}") mu=$(median "${svu[@]}") mfl=$(median "${fl[@]}")
    line restore "$size" "$msv" ipvsadm-restore "$man"
    detail "swiftvs restore (diff from empty): $(list "${sv[@]}") s; user CPU $(list "${svu[@]}") s"
    detail "swiftvs restore --flush: $(list "${fl[@]}") s (median $(fmt "$mfl") s)"
    detail "ipvsadm-restore: $(list "${an[@]}") s ($areps run(s))"
    if [[ $size == "$BIG" ]]; then
      goal "at least 10x faster than ipvsadm-restore at $size ($(ratio "$man" "$msv")x)" "$(ge "$(ratio "$man" "$msv")" 10 && echo 1 || echo 0)"
      local share; share=$(awk -v u="$mu" -v r="$msv" 'BEGIN { printf "%.0f", 100 * u / r }')
      goal "swiftvs user CPU at most 1/4 of its wall time ($(fmt "$mu") s of $(fmt "$msv") s = ${share}%)" "$( ((share <= 25)) && echo 1 || echo 0)"
    fi
  done
}

# =============================================================================================
case_save() {
  local f sv=() an=() i
  f=$(rules "$BIG"); load "$BIG" || return 0
  # Alternating, so both see the same conditions.
  for ((i = 0; i < REPS; i++)); do
    TOUT=$W/anchor.save timed ipvsadm-save -n || return 0
    an+=("$T_REAL")
    TOUT=$W/swiftvs.save timed "$SV" save -n || return 0
    sv+=("$T_REAL")
  done
  local msv man; msv=$(median "${sv[@]}") man=$(median "${an[@]}")
  line save "$BIG" "$msv" "ipvsadm-save" "$man"
  detail "swiftvs save -n: $(list "${sv[@]}") s; ipvsadm-save -n: $(list "${an[@]}") s"
  sanity "swiftvs save -n prints what ipvsadm-save -n prints, byte for byte" cmp -s "$W/anchor.save" "$W/swiftvs.save"
  sanity "and that is the generated table" table_is "$f"
  goal "at least 3x faster than ipvsadm-save ($(ratio "$man" "$msv")x)" "$(ge "$(ratio "$man" "$msv")" 3 && echo 1 || echo 0)"
}

# =============================================================================================
# One changed weight: the file differs from the live table in one real server. Alternates
# between the changed and the original file, so every timed run applies exactly one change.
reconcile_at() { # SIZE -> RC_TIMES (array), sanity checks
  local size=$1 f g i
  f=$(rules "$size"); g=$(rules "$size" 1)
  load "$size" || return 1
  RC_TIMES=()
  "$SV" restore --dry-run "$g" >"$W/plan"
  sanity "the plan for $size is exactly one change ($(head -1 "$W/plan"))" test "$(wc -l <"$W/plan")" -eq 1
  for ((i = 0; i < REPS; i++)); do
    timed "$SV" restore "$g" || return 1
    RC_TIMES+=("$T_REAL")
    if ((i == 0)); then sanity "after the restore the table is the changed file ($size)" table_is "$g"; fi
    timed "$SV" restore "$f" || return 1
    RC_TIMES+=("$T_REAL")
  done
  sanity "and back to the original ($size)" table_is "$f"
}
case_reconcile() {
  local small=() big=() dump=() i
  reconcile_at "$SMALL" || return 0; small=("${RC_TIMES[@]}")
  reconcile_at "$BIG" || return 0; big=("${RC_TIMES[@]}")
  for ((i = 0; i < REPS; i++)); do   # one dump of the big table, as swiftvs does it
    timed "$SV" save -n || return 0
    dump+=("$T_REAL")
  done
  local mb ms md ref
  mb=$(median "${big[@]}") ms=$(median "${small[@]}") md=$(median "${dump[@]}")
  ref=$(awk -v a="$ms" -v b="$md" 'BEGIN { print a + b }')
  line reconcile "$BIG" "$mb" "$SMALL+dump" "$ref"
  detail "swiftvs restore, one change in $BIG: $(list "${big[@]}") s"
  detail "swiftvs restore, one change in $SMALL: $(list "${small[@]}") s; one dump of $BIG (save -n): $(list "${dump[@]}") s"
  goal "within 2x of the small case plus one dump ($(fmt "$mb") s <= 2 x $(fmt "$ref") s)" "$(le "$mb" "$(awk -v r="$ref" 'BEGIN { print 2 * r }')" && echo 1 || echo 0)"
}

# =============================================================================================
case_edit() {
  local f svc="-t 203.0.113.1:1024" rs=192.0.2.250 old="-r 192.0.2.10:1024"
  f=$(rules "$BIG"); load "$BIG" || return 0
  # One change each, ipvsadm and swiftvs alternating (both see the same conditions), the table
  # put back after each run; the first run of each leaves its table (or output) for the sanity
  # check that both did the same.
  edit_one edit "add-server" "$svc -r $rs -g -w 7" "ipvsadm -d $svc -r $rs" \
    ipvsadm -a $svc -r $rs -g -w 7 -- "$SV" add-server $svc -r $rs -g -w 7 || return 0
  sanity "which has the new real server" grep -q -- "-a $svc -r $rs:1024 -g -w 7" "$W/swiftvs.after"
  # ipvsadm's own command line, as the swiftvs-ipvsadm package's /sbin/ipvsadm link runs it.
  mkdir -p "$W/names" && ln -sfn "$SV" "$W/names/ipvsadm"
  edit_one edit-ipv "ipvsadm-name -a" "$svc -r $rs -g -w 7" "ipvsadm -d $svc -r $rs" \
    ipvsadm -a $svc -r $rs -g -w 7 -- "$W/names/ipvsadm" -a $svc -r $rs -g -w 7 || return 0
  edit_one edit-svc "add-service" "-t 203.0.113.251:80" "ipvsadm -D -t 203.0.113.251:80" \
    ipvsadm -A -t 203.0.113.251:80 -s wrr -- "$SV" add-service -t 203.0.113.251:80 -s wrr || return 0
  edit_one edit-rs "edit-server" "$svc $old -w 9" "ipvsadm -e $svc $old -g -w 1" \
    ipvsadm -e $svc $old -g -w 9 -- "$SV" edit-server $svc $old -g -w 9 || return 0
  edit_one edit-del "delete-server" "$svc $old" "ipvsadm -a $svc $old -g -w 1" \
    ipvsadm -d $svc $old -- "$SV" delete-server $svc $old || return 0
  edit_one edit-zero "zero" "$svc" "" ipvsadm -Z $svc -- "$SV" zero $svc || return 0
  edit_one edit-list "list" "-n $svc (output)" "" ipvsadm -L -n $svc -- "$SV" list -n $svc || return 0
  sanity "list of one service: the same text (byte for byte)" cmp -s "$W/anchor.out" "$W/swiftvs.out"
  edit_one edit-lfwm "list" "-n -f 2 (output)" "" ipvsadm -L -n -f 2 -- "$SV" list -n -f 2 || return 0
  sanity "list of one mark service: the same text (byte for byte)" cmp -s "$W/anchor.out" "$W/swiftvs.out"
  edit_one edit-lipv "ipvsadm-name -Ln" "$svc (output)" "" ipvsadm -Ln $svc -- "$W/names/ipvsadm" -Ln $svc || return 0
  sanity "ipvsadm-name -Ln of one service: the same text (byte for byte)" cmp -s "$W/anchor.out" "$W/swiftvs.out"
  sanity "and the table is back to the original afterwards" table_is "$f"
}

# edit_one LINE SWIFTVS-COMMAND WHAT UNDO ANCHOR-COMMAND... -- SWIFTVS-COMMAND...: REPS runs each,
# alternating, UNDO (a shell line, or none) after each; prints the case's line and details.
edit_one() {
  local name=$1 cmd=$2 what=$3 undo=$4 an=() sv=() i
  shift 4
  local anchor=() ours=()
  while [[ $1 != -- ]]; do anchor+=("$1"); shift; done
  shift; ours=("$@")
  for ((i = 0; i < REPS; i++)); do
    TOUT=$W/anchor.out timed "${anchor[@]}" || return 1
    an+=("$T_REAL")
    ((i > 0)) || ipvsadm-save -n >"$W/anchor.after"
    [[ -z $undo ]] || eval "$undo"
    TOUT=$W/swiftvs.out timed "${ours[@]}" || return 1
    sv+=("$T_REAL")
    ((i > 0)) || ipvsadm-save -n >"$W/swiftvs.after"
    [[ -z $undo ]] || eval "$undo"
  done
  local msv man; msv=$(median "${sv[@]}") man=$(median "${an[@]}")
  line "$name" "${BIG%x*}svc" "$msv" "${anchor[0]} ${anchor[1]}" "$man"
  detail "swiftvs $cmd $what: $(list "${sv[@]}") s; ${anchor[*]:0:2}: $(list "${an[@]}") s"
  sanity "$cmd: both leave the same table (ipvsadm-save -n, byte for byte)" cmp -s "$W/anchor.after" "$W/swiftvs.after"
}

# =============================================================================================
# Health checks. The same keepalived.conf for both: CHECK_SERVERS real servers (4 per virtual
# server) with MISC_CHECK running the bench-check program at delay_loop 1. Checks are counted
# from the lines the program appended, one per check naming its real server (so a daemon that
# checks only some servers is seen); CPU is the daemon's process tree (its own time plus its
# reaped children's, i.e. the checks) over the measuring window, from /proc.
checks_config() { # FILE SERVERS COUNTFILE
  local file=$1 servers=$2 count=$3 v r
  {
    echo "global_defs {"
    echo "  router_id swiftvs_bench"
    echo "}"
    for ((v = 0; v < servers / 4; v++)); do
      echo "virtual_server 203.0.113.$((1 + v % 250)) $((2000 + v / 250)) {"
      echo "  delay_loop 1"
      echo "  lb_algo wlc"
      echo "  lb_kind DR"
      echo "  protocol TCP"
      for ((r = 0; r < 4; r++)); do
        echo "  real_server 192.0.2.$((10 + (v * 4 + r) % 240)) $((2000 + v / 250)) {"
        echo "    weight 1"
        echo "    MISC_CHECK {"
        echo "      misc_path \"$CHECK_PROG $count rs$((v * 4 + r))\""
        echo "      misc_timeout 5"
        echo "    }"
        echo "  }"
      done
      echo "}"
    done
  } >"$file"
}
tree_pids() { # PID: it and its descendants
  ps -e -o pid=,ppid= | awk -v root="$1" '{ p[$1] = $2 } END {
    keep[root] = 1; changed = 1
    while (changed) { changed = 0; for (c in p) if (!(c in keep) && (p[c] in keep)) { keep[c] = 1; changed = 1 } }
    for (k in keep) print k }'
}
tree_cpu() { # PID: "TOTAL OWN CHECKS" CPU seconds of the tree (bash builtins only): OWN is the
  # utime+stime of the daemon's long-lived processes, CHECKS the cutime+cstime they reaped
  # plus the running check processes' time; TOTAL = OWN + CHECKS
  local pid own=0 kids=0 s f comm
  for pid in $(tree_pids "$1"); do
    { read -r s <"/proc/$pid/stat"; } 2>/dev/null || continue   # a check may have exited
    comm=${s#*(}; comm=${comm%%)*}
    read -r -a f <<<"${s##*) }"
    if [[ $comm == bench-check ]]; then kids=$((kids + f[11] + f[12] + f[13] + f[14])); continue; fi
    own=$((own + f[11] + f[12])); kids=$((kids + f[13] + f[14]))
  done
  awk -v o="$own" -v k="$kids" -v hz="$(getconf CLK_TCK)" 'BEGIN { print (o + k) / hz, o / hz, k / hz }'
}
tree_rss_mb() { # PID: sum of the peak RSS (VmHWM) of the daemon's own processes, in MB (not
  # the checks, nor a child between its clone and its exec: swiftvs's share the daemon's memory).
  # Also sets CK_RSS_DETAIL: each process's peak and what its memory is now (RssFile: mapped
  # files, the executable and libraries; RssAnon: heap, stacks, written data).
  local p kb=0 v f a
  CK_RSS_DETAIL=""
  daemon_pids "$1"
  for p in "${DPIDS[@]}"; do
    v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$p/status" 2>/dev/null) || continue
    kb=$((kb + ${v:-0}))
    read -r f a < <(awk '/^RssFile:/ { f = $2 } /^RssAnon:/ { a = $2 } END { print f + 0, a + 0 }' "/proc/$p/status" 2>/dev/null)
    CK_RSS_DETAIL+="$(<"/proc/$p/comm") $(awk -v v="${v:-0}" -v f="$f" -v a="$a" 'BEGIN { printf "%.1f MB (now: files %.1f, anonymous %.1f)", v / 1024, f / 1024, a / 1024 }'); "
  done
  CK_RSS_DETAIL=${CK_RSS_DETAIL%; }
  awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }'
}
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
daemon_pids() { # PID -> DPIDS: the daemon's own processes, PID and its children named as it is
  # (keepalived --check: its checker process); bash builtins only
  local f p name comm kids
  DPIDS=()
  { read -r name <"/proc/$1/comm"; } 2>/dev/null || return 0
  DPIDS=("$1")
  for f in /proc/"$1"/task/*/children; do
    # The file is one line without a newline: read fails at its end, having read the pids.
    kids=()
    { read -r -a kids <"$f"; } 2>/dev/null
    ((${#kids[@]})) || continue
    for p in "${kids[@]}"; do
      { read -r comm <"/proc/$p/comm"; } 2>/dev/null && [[ $comm == "$name" ]] && DPIDS+=("$p")
    done
  done
}
freeze() { # PID STOP|CONT: the daemon's own processes, not the checks
  daemon_pids "$1"
  ((${#DPIDS[@]})) && kill -"$2" "${DPIDS[@]}" 2>/dev/null || true
}
stop_tree() { # PID
  kill -TERM "$1" 2>/dev/null || true
  local i
  for ((i = 0; i < 100; i++)); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
gone() { # PID: true once the process no longer exists (or is a zombie, its exit done)
  local s
  { read -r s <"/proc/$1/stat"; } 2>/dev/null || return 0
  s=${s##*) }
  [[ ${s%% *} == Z ]]
}
stop_clean() { # PID WHO: the daemon and every process it started killed and reaped, and its
  # pid files removed. The tree is frozen first (no check is started meanwhile) and taken while
  # its root lives: a keepalived checker process whose parent was killed first is no longer
  # found under it and lives on with its checks and its pid file, which refuses the next start
  # ("daemon is already running": most likely what stopped the 12:30 full run's restart).
  local pid=$1 who=$2 pids i p left
  freeze "$pid" STOP
  pids=$(tree_pids "$pid")
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    left=""; for p in $pids; do gone "$p" || left+=" $p"; done
    [[ -n $left ]] || break
    sleep 0.1
  done
  [[ -z $left ]] || detail "NOTE: $who's processes$left still there 10 s after SIGKILL"
  [[ $who != keepalived ]] || rm -f "$W/kd.pid" "$W/kdc.pid"
}
sv_probe() { # SV_CONTROL: does this swiftvs daemon take --control (asked once: a CLI start each time)
  [[ -n ${SV_CONTROL:-} ]] || { "$SV" daemon --help 2>&1 | grep -q -- --control && SV_CONTROL=yes || SV_CONTROL=no; }
}
# start_daemon NAME CONFIG SUFFIX [KEEPALIVED-OPTION...]: keepalived (--check) or swiftvs daemon
# on CONFIG in the background, logging to $W/NAME$SUFFIX.log; sets DAEMON_PID.
start_daemon() {
  local name=$1 config=$2 suffix=$3; shift 3
  if [[ $name == keepalived ]]; then
    keepalived --check --dont-fork --log-console "$@" --use-file "$config" \
      --pid "$W/kd.pid" --checkers_pid "$W/kdc.pid" >"$W/$name$suffix.log" 2>&1 &
  else
    local extra=()
    sv_probe
    [[ $SV_CONTROL == yes ]] && extra=(--control "$W/ctl$suffix.sock")
    "$SV" daemon --config "$config" --state "$W/state$suffix" "${extra[@]}" >"$W/$name$suffix.log" 2>&1 &
  fi
  DAEMON_PID=$!
}
# Starts a daemon (keepalived or swiftvs) on CONFIG, waits until the table has every real
# server, measures a window; sets CK_RAN CK_CPU CK_RSS CK_START and leaves the table in $W/$NAME.table.
run_checks() { # NAME CONFIG COUNTFILE SECONDS [SERVERS]
  local name=$1 config=$2 count=$3 secs=$4 pid i c0 c1 cpu0 cpu1 want=${5:-$CHECK_SERVERS} t0 t1 own0 own1 kid0 kid1
  ipvsadm -C; rm -f "$count" "$W/$name.log"
  t0=$EPOCHREALTIME
  start_daemon "$name" "$config" "" --log-detail; pid=$DAEMON_PID
  for ((i = 0; i < 600; i++)); do   # up to 60 s for every real server to be in the table
    (($(ipvsadm-save -n | grep -c '^-a') >= want)) && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  CK_START=$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
  ipvsadm-save -n | sort >"$W/$name.table"
  if ! kill -0 "$pid" 2>/dev/null; then
    detail "$name exited early:"; tail -20 "$W/$name.log" | sed 's/^/      /'; FAILED=$((FAILED + 1)); return 1
  fi
  sleep 3   # settle: the first round of checks is spread out
  # The window is measured, not assumed. Reading /proc for the whole tree takes seconds in the
  # VM when many checks are in flight, so the daemon is frozen (SIGSTOP, its own processes, not
  # the checks) while the count and the CPU are read: both then cover the same interval, and
  # the window starts before the first freeze (the checks due during it run right after it,
  # inside the window) and ends at the second.
  t0=$EPOCHREALTIME; freeze "$pid" STOP; c0=$(size_of "$count"); read -r cpu0 own0 kid0 < <(tree_cpu "$pid"); freeze "$pid" CONT
  sleep "$secs"
  freeze "$pid" STOP; t1=$EPOCHREALTIME; c1=$(size_of "$count"); read -r cpu1 own1 kid1 < <(tree_cpu "$pid")
  CK_INFLIGHT=$(($(tree_pids "$pid" | wc -l) - 1)); tree_rss_mb "$pid" >"$W/rss"; CK_RSS=$(<"$W/rss"); freeze "$pid" CONT
  # The checks of the window: the lines appended between the two reads (whole lines: each check
  # appends its line in one O_APPEND write), by real server.
  # (tail may die of SIGPIPE once head has its bytes, if checks appended more meanwhile.)
  { tail -c +$((c0 + 1)) "$count" | head -c $((c1 - c0)) | sort | uniq -c >"$W/$name.per-server"; } || true
  CK_RAN=$(awk '{ n += $1 } END { print n + 0 }' "$W/$name.per-server")
  CK_SERVERS_CHECKED=$(wc -l <"$W/$name.per-server")
  CK_MIN_PER_SERVER=$(awk 'NR == 1 || $1 < m { m = $1 } END { print m + 0 }' "$W/$name.per-server")
  CK_CPU=$(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN { print a - b }')
  CK_OWN=$(awk -v a="$own1" -v b="$own0" 'BEGIN { print a - b }')
  CK_KIDS=$(awk -v a="$kid1" -v b="$kid0" 'BEGIN { print a - b }')
  CK_WINDOW=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.2f", a - b }')
  CK_SCHEDULED=$(awk -v w="$CK_WINDOW" -v n="$want" 'BEGIN { printf "%d", w * n }')   # delay_loop 1
  stop_tree "$pid"
}
# Failure-to-removal latency: one TCP_CHECK real server whose listener is killed.
latency_config() { # FILE
  cat >"$1" <<'EOF'
global_defs {
  router_id swiftvs_bench_latency
}
virtual_server 203.0.113.254 80 {
  delay_loop 1
  lb_algo rr
  lb_kind DR
  protocol TCP
  real_server 192.0.2.254 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
      delay_before_retry 0
    }
  }
  real_server 192.0.2.253 80 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 0
      delay_before_retry 0
    }
  }
}
EOF
}
rs_present() { # HEXADDR: is the real server in the table (/proc/net/ip_vs, no fork)
  local l
  mapfile -t L </proc/net/ip_vs
  for l in "${L[@]}"; do [[ $l == *"-> $1:"* ]] && return 0; done
  return 1
}
listen() { # ADDR PORT -> LISTENER_PID
  python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(128)
while True:
    c, _ = s.accept(); c.close()' "$1" "$2" &
  LISTENER=$!
}
usec() { local t=${EPOCHREALTIME/./}; echo "${t#0}"; }   # the wall clock in microseconds (no fork)
measure_latency() { # NAME CONFIG -> LAT (array of seconds), REACT (from the refused SYN)
  # The kill lands at a random phase of the check cycle, so LAT is phase (0 to delay_loop) plus
  # the daemon's reaction; REACT is the reaction alone: from the failing check's SYN (tcpdump's
  # timestamp, the same clock as $EPOCHREALTIME) to the real server gone from the kernel's
  # table. The table is polled every 5 ms with bash builtins only (no fork between polls).
  local name=$1 config=$2 pid i k t0 t1 now hex=C00002FE syn tdp snooze   # 192.0.2.254
  LAT=() REACT=()
  exec {snooze}<> <(:)   # read -t on a pipe nobody writes: a sleep without a fork
  ipvsadm -C
  ip addr add 192.0.2.254/32 dev swvs0 2>/dev/null || true
  ip addr add 192.0.2.253/32 dev swvs0 2>/dev/null || true
  tcpdump -i lo -n -tt -l 'tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0 and dst host 192.0.2.254 and dst port 80' \
    >"$W/$name-syn.txt" 2>/dev/null & tdp=$!
  listen 192.0.2.253 80; local keep=$LISTENER
  listen 192.0.2.254 80
  start_daemon "$name" "$config" -lat; pid=$DAEMON_PID
  for ((k = 0; k < LAT_TRIALS; k++)); do
    for ((i = 0; i < 300; i++)); do rs_present $hex && break; sleep 0.1; done   # up (again)
    if ! rs_present $hex; then detail "$name never put 192.0.2.254 in the table"; FAILED=$((FAILED + 1)); break; fi
    sleep "0.$((RANDOM % 10))$((RANDOM % 10))"; sleep 0.5      # a random phase of the check cycle
    kill "$LISTENER"; wait "$LISTENER" 2>/dev/null || true
    t0=$(usec) now=$t0
    while rs_present $hex && ((now - t0 < 15000000)); do read -r -t 0.005 -u "$snooze" || true; now=$(usec); done
    t1=$(usec)
    if rs_present $hex; then detail "$name did not remove 192.0.2.254 within 15 s"; FAILED=$((FAILED + 1)); break; fi
    LAT+=("$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')")
    sleep 0.2   # tcpdump's line
    syn=$(awk -v t0="$t0" '{ t = $1 * 1e6 } t >= t0 { printf "%.0f", t; exit }' "$W/$name-syn.txt")
    [[ -n $syn ]] && REACT+=("$(awk -v a="$t1" -v b="$syn" 'BEGIN { printf "%.3f", (a - b) / 1e6 }')")
    listen 192.0.2.254 80
  done
  kill "$LISTENER" "$keep" "$tdp" 2>/dev/null || true
  exec {snooze}<&-
  stop_tree "$pid"
}
case_checks() { case_checks_cpu && case_checks_sched && case_checks_down; }
case_checks_cpu() {
  local conf=$W/checks.conf count=$W/checks.count
  checks_config "$conf" "$CHECK_SERVERS" "$count"
  local size="${CHECK_SERVERS}x1s"

  if ! "$SV" daemon --help 2>&1 | grep -q -- --config; then
    sanity "swiftvs daemon runs ($SV daemon --help offers --config)" false
    return 1
  fi
  # CHECK_REPS windows per daemon, alternating and in mirrored order (keepalived first, then
  # swiftvs first, ...), so drift in the VM's speed over the run falls on both alike. Past
  # saturation the CPU per check moves by up to a third from one window to the next for either
  # daemon, mostly in the check processes' part, with or without address-space randomisation
  # and whether the windows are taken in pairs or not: hence five windows and their medians.
  per() { awk -v c="$1" -v n="$2" 'BEGIN { print n ? 1000 * c / n : 0 }'; }
  local rep name order k_per=() s_per=() k_own=() k_kids=() s_own=() s_kids=() k_rss=0 s_rss=0
  local k_ran=() s_ran=() k_sched=() s_sched=() s_cover=() k_warn=0 w k_rss_detail="" s_rss_detail="" tables_same=1
  rm -f "$W"/*.table.*
  for ((rep = 1; rep <= CHECK_REPS; rep++)); do
    order=(keepalived swiftvs); ((rep % 2)) || order=(swiftvs keepalived)
    for name in "${order[@]}"; do
      run_checks "$name" "$conf" "$count" "$CHECK_SECONDS" || return 1
      cp "$W/$name.table" "$W/$name.table.$rep"
      if [[ $name == keepalived ]]; then
        w=$(grep -c 'thread timer expired' "$W/keepalived.log" || true); k_warn=$((k_warn + w))
        k_ran+=("$CK_RAN"); k_sched+=("$CK_SCHEDULED"); k_per+=("$(per "$CK_CPU" "$CK_RAN")")
        k_own+=("$(per "$CK_OWN" "$CK_RAN")"); k_kids+=("$(per "$CK_KIDS" "$CK_RAN")")
        ge "$k_rss" "$CK_RSS" || { k_rss=$CK_RSS; k_rss_detail=$CK_RSS_DETAIL; }
        detail "keepalived, window $rep: ran $CK_RAN of $CK_SCHEDULED scheduled checks in $CK_WINDOW s on $CK_SERVERS_CHECKED of $CHECK_SERVERS servers (at least $CK_MIN_PER_SERVER each), CPU $(fmt "$CK_CPU") s = $(fmt "${k_own[-1]}") + $(fmt "${k_kids[-1]}") CPU-s/1000 (own + check processes), peak RSS $CK_RSS MB, table ready after $CK_START s, $w 'thread timer expired' warnings"
      else
        s_ran+=("$CK_RAN"); s_sched+=("$CK_SCHEDULED"); s_per+=("$(per "$CK_CPU" "$CK_RAN")")
        s_own+=("$(per "$CK_OWN" "$CK_RAN")"); s_kids+=("$(per "$CK_KIDS" "$CK_RAN")")
        ge "$s_rss" "$CK_RSS" || { s_rss=$CK_RSS; s_rss_detail=$CK_RSS_DETAIL; }
        s_cover+=("$CK_SERVERS_CHECKED")
        detail "swiftvs daemon, window $rep: ran $CK_RAN of $CK_SCHEDULED scheduled checks in $CK_WINDOW s on $CK_SERVERS_CHECKED of $CHECK_SERVERS servers (at least $CK_MIN_PER_SERVER each), CPU $(fmt "$CK_CPU") s = $(fmt "${s_own[-1]}") + $(fmt "${s_kids[-1]}") CPU-s/1000 (own + check processes), peak RSS $CK_RSS MB, table ready after $CK_START s"
      fi
      cmp -s "$W/$name.table.$rep" "$W/keepalived.table.1" 2>/dev/null || [[ ! -e $W/keepalived.table.1 ]] || tables_same=0
    done
  done
  cmp -s "$W/swiftvs.table.1" "$W/keepalived.table.1" || tables_same=0

  local sp kp
  sp=$(median "${s_per[@]}") kp=$(median "${k_per[@]}")
  line checks "$size" "$sp" keepalived "$kp" "CPU-s/1000"
  printf '%-10s %-9s  swiftvs %s MB  keepalived %s MB  %sx\n' checks-rss "$CHECK_SERVERS" "$s_rss" "$k_rss" "$(ratio "$k_rss" "$s_rss")"
  detail "CPU-s per 1000 checks, medians of $CHECK_REPS windows each: swiftvs $(list "${s_per[@]}") (own $(fmt "$(median "${s_own[@]}")") + check processes $(fmt "$(median "${s_kids[@]}")")), keepalived $(list "${k_per[@]}") (own $(fmt "$(median "${k_own[@]}")") + check processes $(fmt "$(median "${k_kids[@]}")"))"
  detail "peak RSS, the highest window's, by process: swiftvs: $s_rss_detail; keepalived: $k_rss_detail"
  sanity "both daemons built the same table from the configuration, in every window" test "$tables_same" -eq 1
  sanity "with all $CHECK_SERVERS real servers in it" test "$(grep -c '^-a' "$W/swiftvs.table.1")" -eq "$CHECK_SERVERS"
  sanity "swiftvs's checks really ran in every window (counted: $(list "${s_ran[@]}"))" test "$(printf '%s\n' "${s_ran[@]}" | sort -g | head -1)" -gt 0
  sanity "swiftvs checked every one of the $CHECK_SERVERS real servers in every window (servers checked: ${s_cover[*]})" \
    test "$(printf '%s\n' "${s_cover[@]}" | sort -g | head -1)" -eq "$CHECK_SERVERS"
  local sr ss kr ks
  sr=$(median "${s_ran[@]}") ss=$(median "${s_sched[@]}") kr=$(median "${k_ran[@]}") ks=$(median "${k_sched[@]}")
  # 1000 checks a second is past what fork/exec allows on 2 vCPUs under TCG for either daemon:
  # the schedule goal is checks-sched's, below.
  detail "of the schedule at $CHECK_SERVERS servers (medians): swiftvs ran $(fmt "$sr") of $(fmt "$ss"), keepalived $(fmt "$kr") of $(fmt "$ks") with $k_warn 'thread timer expired' warnings in all"
  goal "at most half keepalived's CPU per check ($(fmt "$sp") vs $(fmt "$kp") CPU-s/1000, medians)" "$(le "$sp" "$(awk -v k="$kp" 'BEGIN { print k / 2 }')" && echo 1 || echo 0)"
  goal "less memory than keepalived ($s_rss MB vs $k_rss MB, peaks)" "$(le "$s_rss" "$k_rss" && echo 1 || echo 0)"

}
# Keeping the schedule: 1000 checks a second is more than fork/exec allows on 2 vCPUs under
# TCG for either daemon, so the same configuration at smaller sizes shows where each one falls
# behind: the fraction of the scheduled checks (servers x window) that really ran.
case_checks_sched() {
  local count=$W/checks.count
  local n sconf=$W/sched.conf kept_where=""
  for n in "${SCHED_SIZES[@]}"; do
    checks_config "$sconf" "$n" "$count"
    run_checks keepalived "$sconf" "$count" "$CHECK_SECONDS" "$n" || return 1
    local kr=$CK_RAN ks=$CK_SCHEDULED
    run_checks swiftvs "$sconf" "$count" "$CHECK_SECONDS" "$n" || return 1
    local sr=$CK_RAN ss=$CK_SCHEDULED scov=$CK_SERVERS_CHECKED
    printf '%-10s %-9s  swiftvs %s%%  keepalived %s%%  (of the schedule)\n' checks-sched "${n}x1s" \
      "$(awk -v r="$sr" -v s="$ss" 'BEGIN { printf "%.0f", 100 * r / s }')" "$(awk -v r="$kr" -v s="$ks" 'BEGIN { printf "%.0f", 100 * r / s }')"
    detail "$n servers: swiftvs ran $sr of $ss scheduled checks, keepalived $kr of $ks"
    sanity "both daemons' checks ran at $n servers (counted: swiftvs $sr, keepalived $kr)" test "$sr" -gt 0 -a "$kr" -gt 0
    sanity "swiftvs checked all $n real servers (checked: $scov)" test "$scov" -eq "$n"
    if ((sr * 100 >= ss * 95 && kr * 100 < ks * 95)); then kept_where+=" $n"; fi
  done
  goal "keep the schedule where keepalived can't (swiftvs >= 95%, keepalived < 95%; at:${kept_where:- none})" "$([[ -n $kept_where ]] && echo 1 || echo 0)"

}
case_checks_down() {
  local lconf=$W/latency.conf kl sl
  latency_config "$lconf"
  local kr=() sr=()
  measure_latency keepalived "$lconf"; kl=("${LAT[@]}") kr=("${REACT[@]}")
  measure_latency swiftvs "$lconf"; sl=("${LAT[@]}") sr=("${REACT[@]}")
  if ((${#kl[@]} && ${#sl[@]})); then
    local ms mk mx
    ms=$(median "${sl[@]}") mk=$(median "${kl[@]}") mx=$(printf '%s\n' "${sl[@]}" | sort -g | tail -1)
    line checks-down "tcp" "$ms" keepalived "$mk"
    detail "failure-to-removal, TCP_CHECK delay_loop 1 connect_timeout 1: swiftvs $(list "${sl[@]}") s; keepalived $(list "${kl[@]}") s"
    if ((${#kr[@]} && ${#sr[@]})); then
      line checks-react "tcp" "$(median "${sr[@]}")" keepalived "$(median "${kr[@]}")"
      detail "from the refused check's SYN to the removal (the kill's phase in the check cycle taken out): swiftvs $(list "${sr[@]}") s; keepalived $(list "${kr[@]}") s"
    fi
    goal "removal within delay_loop + connect_timeout + 100 ms (worst $(fmt "$mx") s <= 2.1 s)" "$(le "$mx" 2.1 && echo 1 || echo 0)"
  fi
}

# =============================================================================================
# daemon-scale: a large director (Scripts/lib/bench-scale.awk: SCALE_VS virtual servers,
# SCALE_RS real servers, TCP_CHECK and a fiftieth MISC_CHECK, delay_loop 600, warmup SCALE_RS/200 s), the
# real servers answering (their addresses on the namespace's dummy, Scripts/lib/bench-listen.c
# on their ports). Per daemon, in a fresh namespace: start-up (exec to the full table in the
# kernel; to the first complete round of checks, counted by an nft counter of the SYNs the
# checks send and the lines the MISC_CHECK program writes), then SIGHUP with no change, with one
# real server added, with 100 weights changed. Kernel changes are counted in the kernel, the
# same way for both daemons: kprobes on IPVS's add/edit/delete/zero/flush functions
# (kprobe_profile's hit counts), so a delete and re-add, or a counter reset, is seen whoever
# does it. A reload's end is the daemon going idle (its own processes under 10% of a CPU over
# half a second). keepalived 2.2.7's reload at this size takes minutes (keepalived #2318): each
# wait is bounded by SCALE_WAIT seconds and reported as "> N s" (a ratio against it is then a
# lower bound, "> N x"); a reload that ran out leaves that daemon busy, so it is stopped cleanly
# (`stop_clean`: every process it started killed and reaped, its pid files removed, its
# namespace and table dropped) and the next reload is measured on a daemon started afresh in a
# fresh namespace, from the configuration that reload follows: each of the three reloads has a
# figure or a bound for both daemons (at most three start-ups per daemon).
# Every change is one call of ip_vs_genl_set_cmd (generic netlink) or do_ip_vs_set_ctl (the
# older setsockopt interface): their hits are the count; the others say which kind (this
# kernel inlines ip_vs_del_service: a deleted service is what the kinds leave unexplained).
KP_CMDS=(ip_vs_genl_set_cmd do_ip_vs_set_ctl)
KP_FUNCS=("${KP_CMDS[@]}" ip_vs_add_service ip_vs_edit_service ip_vs_add_dest ip_vs_edit_dest ip_vs_del_dest ip_vs_zero_service ip_vs_zero_all ip_vs_flush)
# tracefs (one instance for the whole VM) on a mount point of our own: `ip netns exec` gives
# each command a fresh /sys without it.
KP=/tmp/bench/tracing
kp_mount() { [[ -e $KP/kprobe_profile ]] || { mkdir -p "$KP" && mount -t tracefs nodev "$KP"; }; }
kp_setup() { # kprobes on IPVS's table functions (global to the VM); fails without the main ones
  kp_mount || { detail "note: cannot mount tracefs"; return 1; }
  local f have=()
  for f in "${KP_FUNCS[@]}"; do
    grep -q "^p:bench/$f " "$KP/kprobe_events" 2>/dev/null && { have+=("$f"); continue; }
    if echo "p:bench/$f $f" >>"$KP/kprobe_events" 2>/dev/null; then have+=("$f"); else detail "note: no kprobe on $f (inlined?): not counted"; fi
  done
  for f in ip_vs_genl_set_cmd do_ip_vs_set_ctl ip_vs_add_dest ip_vs_edit_dest ip_vs_del_dest; do
    [[ " ${have[*]} " == *" $f "* ]] || { detail "note: no kprobe on $f"; return 1; }
  done
  echo 1 >"$KP/events/bench/enable" || { detail "note: cannot enable the kprobes"; return 1; }
}
kp_read() { # -> KPC (assoc: function -> hits so far)
  local name hits rest
  declare -gA KPC=()
  while read -r name hits rest; do KPC[${name##*/}]=$hits; done <"$KP/kprobe_profile"
}
kp_snap() { kp_read; declare -gA KP0=(); local k; for k in "${!KPC[@]}"; do KP0[$k]=${KPC[$k]}; done; }
kp_delta() { # FUNC -> hits since kp_snap
  echo $(( ${KPC[$1]:-0} - ${KP0[$1]:-0} ))
}
kp_total() { echo $(($(kp_delta ip_vs_genl_set_cmd) + $(kp_delta do_ip_vs_set_ctl))); }
kp_summary() { # the changes since kp_snap, by kind
  local f s="" d known=0
  for f in "${KP_FUNCS[@]:2}"; do d=$(kp_delta "$f"); known=$((known + d)); ((d == 0)) || s+="${f#ip_vs_} $d, "; done
  d=$(($(kp_total) - known)); ((d == 0)) || s+="other (del_service) $d, "
  echo "${s%, }"
}
own_ticks() { # PID: utime+stime of the daemon's own processes (not its check children), ticks
  local p s f t=0
  daemon_pids "$1"
  for p in "${DPIDS[@]}"; do
    { read -r s <"/proc/$p/stat"; } 2>/dev/null || continue
    read -r -a f <<<"${s##*) }"
    t=$((t + f[11] + f[12]))
  done
  echo "$t"
}
since() { awk -v a="$EPOCHREALTIME" -v b="$1" 'BEGIN { printf "%.3f", a - b }'; }
wait_idle() { # PID T0 LIMIT -> IDLE_AT: seconds after T0 of the last 0.1 s in which the
  # daemon's own processes ran 20% of a CPU or more, once they have stayed under 10% for 0.5 s
  local pid=$1 t0=$2 limit=$3 a b d last win=() hz
  hz=$(getconf CLK_TCK)
  last=$(since "$t0"); a=$(own_ticks "$pid")
  while :; do
    sleep 0.1
    b=$(own_ticks "$pid"); d=$((b - a)); a=$b
    ((d * 100 >= 2 * hz)) && last=$(since "$t0")
    win+=("$d"); ((${#win[@]} > 5)) && win=("${win[@]:1}")
    if ((${#win[@]} == 5 && (win[0] + win[1] + win[2] + win[3] + win[4]) * 100 <= 5 * hz)); then IDLE_AT=$last; return 0; fi
    kill -0 "$pid" 2>/dev/null || { IDLE_AT=$last; return 1; }
    awk -v s="$(since "$t0")" -v l="$limit" 'BEGIN { exit !(s > l) }' && { IDLE_AT=""; return 1; }
  done
}
reload_books() { # V: a reload's CPU, its table saved, and whether that table is the file's
  # (uses the caller's pid, c0, who, kind, W)
  res "hup_${1}_cpu" "$(awk -v a="$(tree_cpu "$pid" | cut -d' ' -f1)" -v b="$c0" 'BEGIN { print a - b }')"
  ipvsadm-save -n >"$W/scale-$who-$1.table"
  sorted_same "$W/scale-$kind.save" "$W/scale-$who-$1.table" && res "hup_${1}_table_ok" 1 || res "hup_${1}_table_ok" 0
}
syns() { nft list counter inet bench syns 2>/dev/null | awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'; }
scale_files() { # -> SC_CONF[base|add|chg] SC_SAVE[...] in $W
  local v extra
  for v in base add chg; do
    extra=(); [[ $v == base ]] || extra+=(-v add=1); [[ $v == chg ]] && extra+=(-v change=100)
    [[ -s $W/scale-$v.conf ]] || awk -v nvs="$SCALE_VS" -v nrs="$SCALE_RS" -v prog="$CHECK_PROG" -v count="$W/scale.count" \
      -v save="$W/scale-$v.save" "${extra[@]}" -f "$LIB/bench-scale.awk" >"$W/scale-$v.conf"
  done
}
res() { echo "$1 $2" >>"$SCALE_RES"; }   # KEY VALUE into this daemon's result file
scale_log() { # WHO: the daemon's log of this run, kept in the output (what a reload read, how
  # long each phase took, why it read the whole file): swiftvs's lines above info (start, the
  # reloads, transitions, errors), keepalived's about starting, reloading and failing; at most
  # 150 lines (the first 100 and the last 50), with a count of the others
  local who=$1 f=$W/$1-scale.log keep total
  [[ -s $f ]] || { detail "$who's log: empty"; return 0; }
  total=$(wc -l <"$f")
  if [[ $who == keepalived ]]; then
    keep=$(grep -aiE 'start|stop|reload|sighup|signal|error|fail|too many|remov|exit' "$f" || true)
  else
    keep=$(grep -avE '^[^ ]+ (info|debug|trace) ' "$f" || true)
  fi
  local n=0; [[ -z $keep ]] || n=$(printf '%s\n' "$keep" | wc -l)
  detail "$who's log: $total lines, $n selected$( ((n > 150)) && echo " (the first 100 and the last 50)")"
  { if ((n > 150)); then printf '%s\n' "$keep" | head -100; echo "[... $((n - 150)) more ...]"; printf '%s\n' "$keep" | tail -50
    elif ((n > 0)); then printf '%s\n' "$keep"; fi; } | cut -c1-400 | sed 's/^/      | /'
}
# The configuration a reload starts from when it is the first of a run: `add` adds a real
# server to the base file, `chg` changes 100 weights of the `add` file, `none` reloads the file
# as it is (the base file on a fresh start).
scale_before() { case $1 in none|add) echo base ;; chg) echo add ;; esac; }
# One daemon (SCALE_WHO) in this namespace: start-up on the configuration the first reload of
# SCALE_RELOADS follows, then those reloads in order, stopping at the first that runs out of
# time. Results: key/value lines in SCALE_RES.
case_scale_one() {
  local who=${SCALE_WHO:?} pid t0 i n ports=(80) p dests misc_n tcp_n first start
  scale_files
  # The real servers: every address of the generated file on the dummy, a listener on each port.
  { for ((i = 10; i <= 250; i++)); do echo "addr add 192.0.2.$i/32 dev swvs0"; done
    for ((i = 10; i <= 249; i++)); do echo "addr add 198.51.100.$i/32 dev swvs0"; done; } | ip -batch - 2>/dev/null || true
  for ((p = 1024; p <= 1024 + (SCALE_VS / 2 - 1) / 250; p++)); do ports+=("$p"); done
  "$LISTEN_PROG" "${ports[@]}" & local lpid=$!
  nft add table inet bench && nft add counter inet bench syns &&
    nft add chain inet bench in '{ type filter hook input priority 0; }' &&
    nft add rule inet bench in tcp flags '& (syn|ack) == syn' counter name syns || { detail "SANITY FAILED: nft counter"; FAILED=$((FAILED + 1)); return 1; }
  kp_mount || { detail "SANITY FAILED: tracefs"; FAILED=$((FAILED + 1)); return 1; }
  first=${SCALE_RELOADS%% *}; start=$(scale_before "$first")
  res start_from "$start"
  misc_n=$(grep -c MISC_CHECK "$W/scale-$start.conf"); n=$(grep -c '^-a' "$W/scale-$start.save"); tcp_n=$((n - misc_n))
  rm -f "$W/scale.count" "$W/state" "$W/state-scale"
  [[ $who != keepalived ]] || { [[ ! -e $W/kd.pid && ! -e $W/kdc.pid ]] || detail "NOTE: keepalived pid files left from before: $(cat "$W/kd.pid" "$W/kdc.pid" 2>/dev/null | tr '\n' ' ')"; rm -f "$W/kd.pid" "$W/kdc.pid"; }
  cp "$W/scale-$start.conf" "$W/scale-live.conf"
  [[ $who == keepalived ]] || sv_probe   # start_daemon's question, asked outside the timing
  kp_snap; t0=$EPOCHREALTIME
  start_daemon "$who" "$W/scale-live.conf" -scale; pid=$DAEMON_PID
  local t_table="" t_round=""
  while :; do   # exec -> every real server in the kernel
    kp_read
    (($(kp_delta ip_vs_add_dest) >= n)) && { t_table=$(since "$t0"); break; }
    kill -0 "$pid" 2>/dev/null || break
    awk -v s="$(since "$t0")" -v l="$SCALE_WAIT" 'BEGIN { exit !(s > l) }' && break
    sleep 0.05
  done
  if [[ -z $t_table ]]; then
    kill -0 "$pid" 2>/dev/null || { detail "$who exited early:"; tail -5 "$W/$who-scale.log" | sed 's/^/      /'; FAILED=$((FAILED + 1)); }
    res start_table ">$SCALE_WAIT"; stop_clean "$pid" "$who"; kill "$lpid"; scale_log "$who"; return 0
  fi
  res start_table "$t_table"; res start_changes "$(kp_total)"; res start_changes_kinds "$(kp_summary)"
  while :; do   # -> the first complete round: every TCP_CHECK's SYN and every MISC_CHECK's line
    local s m; s=$(syns); m=$( [[ -e $W/scale.count ]] && wc -l <"$W/scale.count" || echo 0)
    ((${s:-0} >= tcp_n && m >= misc_n)) && { t_round=$(since "$t0"); break; }
    kill -0 "$pid" 2>/dev/null || break
    awk -v s="$(since "$t0")" -v l="$SCALE_WAIT" 'BEGIN { exit !(s > l) }' && break
    sleep 0.25
  done
  res start_round "${t_round:->$SCALE_WAIT}"
  res start_round_counts "$(syns) SYNs for $tcp_n TCP_CHECKs, $(wc -l <"$W/scale.count" 2>/dev/null || echo 0) lines for $misc_n MISC_CHECKs"
  wait_idle "$pid" "$t0" "$SCALE_WAIT" || true
  res start_idle "${IDLE_AT:->$SCALE_WAIT}"
  read -r cpu _ < <(tree_cpu "$pid"); res start_cpu "$cpu"
  ipvsadm-save -n >"$W/scale-$who-start.table"
  sorted_same "$W/scale-$start.save" "$W/scale-$who-start.table" && res start_table_ok 1 || res start_table_ok 0
  detail "$who (from $start): table after $t_table s, first round after ${t_round:->$SCALE_WAIT} s, idle after ${IDLE_AT:->$SCALE_WAIT} s"
  local v want kind cur=$start
  for v in $SCALE_RELOADS; do
    case $v in none) want=0 kind=$cur ;; add) want=1 kind=add ;; chg) want=100 kind=chg ;; esac
    cur=$kind
    cp "$W/scale-$kind.conf" "$W/scale-live.conf"
    local c0; c0=$(tree_cpu "$pid" | cut -d' ' -f1)
    kp_snap; t0=$EPOCHREALTIME
    kill -HUP "$pid"
    local t_applied="" limit=$SCALE_WAIT
    while ((want > 0)); do
      kp_read
      (($(kp_total) >= want)) && { t_applied=$(since "$t0"); break; }
      kill -0 "$pid" 2>/dev/null || break
      awk -v s="$(since "$t0")" -v l="$limit" 'BEGIN { exit !(s > l) }' && break
      sleep 0.02
    done
    if ((want > 0)) && [[ -z $t_applied ]]; then
      kill -0 "$pid" 2>/dev/null || { detail "$who exited during the reload ($v)"; FAILED=$((FAILED + 1)); }
      res "hup_$v" ">$SCALE_WAIT"; res "hup_${v}_changes" "$(kp_read; kp_total) ($(kp_summary)) so far"
      detail "$who: SIGHUP ($v): no change within $SCALE_WAIT s ($(kp_total) kernel changes so far): a lower bound; stopped"
      res timed_out "$v"; break
    fi
    if ! wait_idle "$pid" "$t0" "$SCALE_WAIT"; then
      kill -0 "$pid" 2>/dev/null || { detail "$who exited during the reload ($v)"; FAILED=$((FAILED + 1)); }
      kp_read
      if [[ -n $t_applied ]]; then
        # The change reached the kernel (what is timed); the daemon is still busy after it
        # (keepalived restarts every checker): its next reload is run on a fresh start.
        res "hup_$v" "$t_applied"; res "hup_${v}_idle" ">$SCALE_WAIT"
        res "hup_${v}_changes" "$(kp_total)"; res "hup_${v}_kinds" "$(kp_summary) (while still busy)"
        reload_books "$v"
        detail "$who: SIGHUP ($v): applied after $t_applied s, not idle within $SCALE_WAIT s ($(kp_total) kernel changes so far): stopped"
      else
        res "hup_$v" ">$SCALE_WAIT"; res "hup_${v}_changes" "$(kp_total) ($(kp_summary)) so far"
        detail "$who: SIGHUP ($v): not idle within $SCALE_WAIT s ($(kp_total) kernel changes so far): a lower bound; stopped"
      fi
      res timed_out "$v"; break
    fi
    ((want > 0)) || t_applied=$IDLE_AT
    sleep 2; kp_read   # changes a little after the reload are still the reload's
    res "hup_$v" "$t_applied"; res "hup_${v}_idle" "$IDLE_AT"
    res "hup_${v}_changes" "$(kp_total)"; res "hup_${v}_kinds" "$(kp_summary)"
    reload_books "$v"
    detail "$who: SIGHUP ($v): applied after $t_applied s, idle after $IDLE_AT s, $(kp_total) kernel changes ($(kp_summary))"
  done
  tree_rss_mb "$pid" >"$W/rss"; res rss "$(<"$W/rss")"; res rss_detail "$CK_RSS_DETAIL"
  read -r cpu _ < <(tree_cpu "$pid"); res cpu "$cpu"
  stop_clean "$pid" "$who"
  scale_log "$who"
  kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null || true
  nft delete table inet bench 2>/dev/null || true
}
rv() { awk -v k="$2" '$1 == k { $1 = ""; sub(/^ /, ""); v = $0 } END { print v }' "$1"; }   # FILE KEY
scale_run() { # WHO RELOADS RES: one daemon's run in a fresh namespace, its results in RES;
  # the namespace then dropped with its table (the next run starts from an empty one), and
  # any process still in it (none, after stop_clean) killed and named
  fresh_ns
  SCALE_WHO=$1 SCALE_RELOADS=$2 SCALE_RES=$3 ip netns exec "$NS" bash "$0" --case scale_one || FAILED=$((FAILED + 1))
  local left; left=$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')
  if [[ -n ${left// /} ]]; then
    detail "NOTE: processes left in the namespace after $1's run: $left(killed)"
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null || true
  fi
  drop_ns "$NS"
}
case_daemon_scale() {
  local who size="${SCALE_VS}x${SCALE_RS}"
  kp_setup || { detail "SANITY FAILED: kprobes on IPVS (tracefs) unavailable: kernel changes cannot be counted"; FAILED=$((FAILED + 1)); return 0; }
  SCALE_WAIT=$SCALE_WAIT scale_files
  detail "configuration: $(grep -c '^virtual_server' "$W/scale-base.conf") virtual servers, $(grep -c '^-a' "$W/scale-base.save") real servers ($(grep -c TCP_CHECK "$W/scale-base.conf") TCP_CHECK, $(grep -c MISC_CHECK "$W/scale-base.conf") MISC_CHECK), $(wc -l <"$W/scale-base.conf") lines"
  # The kernel's floor for the start-up: the same table (the file's, scale-base.save) made by
  # ipvsadm-restore and by `swiftvs restore`, each in a fresh namespace with the kprobes on, as
  # they are while the daemons start: no daemon can fill the table faster than this.
  local floor_a="" floor_s=""
  settle; fresh_ns
  if TIN=$W/scale-base.save timed ip netns exec "$NS" ipvsadm-restore; then floor_a=$T_REAL; fi
  ip netns exec "$NS" ipvsadm-save -n >"$W/floor.save"; drop_ns "$NS"
  sanity "ipvsadm-restore built the scale table" sorted_same "$W/scale-base.save" "$W/floor.save"
  fresh_ns
  if timed ip netns exec "$NS" "$SV" restore "$W/scale-base.save"; then floor_s=$T_REAL; fi
  ip netns exec "$NS" ipvsadm-save -n >"$W/floor.save"; drop_ns "$NS"
  sanity "swiftvs restore built the scale table" sorted_same "$W/scale-base.save" "$W/floor.save"
  printf '%-12s %-12s swiftvs restore %s s  ipvsadm-restore %s s  (the kernel floor of scale-table)\n' scale-floor "${SCALE_VS}x${SCALE_RS}" \
    "$(fmt "${floor_s:-0}")" "$(fmt "${floor_a:-0}")"
  # Per daemon: a run from the start through the three reloads; after a reload that ran out,
  # the next reloads on a daemon started afresh (its own run, results in .res.N: its hup_*
  # keys join the first run's, its start-up is shown in the details). keepalived's one-server
  # reload comes first (the goal's ratio; each of its reloads at full size has run out so far,
  # costing a start-up and a first round each: the last one may be cut by whoever runs it).
  local -A runs_of=()
  for who in swiftvs keepalived; do
    rm -f "$W/scale-$who.res" "$W/scale-$who.res".*
    local todo="none add chg" run=0 f t key
    [[ $who == swiftvs ]] || todo="add chg none"
    while [[ -n $todo ]]; do
      run=$((run + 1)); f=$W/scale-$who.res; ((run == 1)) || f=$W/scale-$who.res.$run
      scale_run "$who" "$todo" "$f"
      if ((run > 1)); then
        grep -E '^(hup_|rss |rss_detail |cpu )' "$f" | sed 's/^rss /rss_run /; s/^rss_detail /rss_detail_run /; s/^cpu /cpu_run /' >>"$W/scale-$who.res" || true
      fi
      runs_of[$who]="${runs_of[$who]:-} $run:$(rv "$f" start_from):${todo// /,}"
      t=$(rv "$f" timed_out)
      [[ -n $t ]] || break
      [[ $(rv "$f" start_table) != '>'* ]] || { detail "$who: no full table within $SCALE_WAIT s on the start for ($todo): its later reloads not measured"; break; }
      todo=$(echo "$todo" | sed "s/.*\b$t\b *//")
      [[ -z $todo ]] || detail "$who: the reloads after ($t) on a daemon started afresh: ($todo)"
    done
    sed -i '/^timed_out /d' "$W/scale-$who.res"
  done
  local S=$W/scale-swiftvs.res K=$W/scale-keepalived.res k s key label
  sline() { # LABEL KEY [UNIT]
    s=$(rv "$S" "$2") k=$(rv "$K" "$2")
    local r
    if [[ -z $s || -z $k ]]; then r="?"; elif [[ $s == '>'* ]]; then r="?"; elif [[ $k == '>'* ]]; then r=">$(ratio "${k#>}" "$s")"; else r=$(ratio "$k" "$s"); fi
    printf '%-12s %-12s swiftvs %s %s  keepalived %s %s  %sx\n' "$1" "$size" "$( [[ $s == '>'* ]] && echo "$s" || fmt "${s:-0}")" "${3:-s}" \
      "$( [[ $k == '>'* || -z $k ]] && echo "${k:-?}" || fmt "$k")" "${3:-s}" "$r"
  }
  sline scale-table start_table
  sline scale-round start_round
  sline scale-hup0 hup_none
  sline scale-hup1 hup_add
  sline scale-hup100 hup_chg
  sline scale-rss rss MB
  for who in swiftvs keepalived; do
    f=$W/scale-$who.res
    detail "$who: start-up: table after $(rv "$f" start_table) s with $(rv "$f" start_changes) kernel changes ($(rv "$f" start_changes_kinds)); first round after $(rv "$f" start_round) s ($(rv "$f" start_round_counts)); idle after $(rv "$f" start_idle) s; CPU $(rv "$f" start_cpu) s"
    for v in none add chg; do
      [[ -n $(rv "$f" "hup_$v") ]] || { detail "$who: reload ($v): not measured"; continue; }
      if [[ $(rv "$f" "hup_$v") == '>'* ]]; then
        detail "$who: SIGHUP ($v): no end within $SCALE_WAIT s ($(rv "$f" "hup_${v}_changes") kernel changes): a lower bound"
      else
        detail "$who: SIGHUP ($v): applied after $(rv "$f" "hup_$v") s, idle after $(rv "$f" "hup_${v}_idle") s, $(rv "$f" "hup_${v}_changes") kernel changes ($(rv "$f" "hup_${v}_kinds")), CPU $(rv "$f" "hup_${v}_cpu") s"
      fi
    done
    local r more="" n from what
    for r in ${runs_of[$who]}; do
      IFS=: read -r n from what <<<"$r"
      ((n == 1)) && continue
      t=$W/scale-$who.res.$n
      more+="; run $n (started afresh on the $from file for (${what//,/ })): table after $(rv "$t" start_table) s, first round after $(rv "$t" start_round) s, peak RSS $(rv "$t" rss) MB, CPU $(rv "$t" cpu) s"
    done
    detail "$who: peak RSS $(rv "$f" rss) MB ($(rv "$f" rss_detail)); CPU in all $(rv "$f" cpu) s; runs: $(echo "${runs_of[$who]}" | wc -w)$more"
  done
  for who in swiftvs keepalived; do
    f=$W/scale-$who.res
    [[ $(rv "$f" start_table) == '>'* ]] && { detail "$who: no full table within $SCALE_WAIT s: no sanity check of its table"; continue; }
    sanity "$who: the table after start-up is the configuration's (ipvsadm-save -n)" test "$(rv "$f" start_table_ok)" = 1
    for r in ${runs_of[$who]}; do
      IFS=: read -r n from what <<<"$r"
      ((n == 1)) && continue
      t=$W/scale-$who.res.$n
      [[ $(rv "$t" start_table) == '>'* ]] && continue
      sanity "$who: run $n: the table after start-up (on the $from file) is the configuration's (ipvsadm-save -n)" test "$(rv "$t" start_table_ok)" = 1
    done
    for v in none add chg; do
      local ok; ok=$(rv "$f" "hup_${v}_table_ok"); [[ -n $ok ]] || continue
      sanity "$who: after SIGHUP ($v) the table is the configuration's (ipvsadm-save -n)" test "$ok" = 1
    done
  done
  local want
  for v in none add chg; do
    case $v in none) want=0 ;; add) want=1 ;; chg) want=100 ;; esac
    sanity "swiftvs: SIGHUP ($v) made exactly $want kernel change(s) ($(rv "$S" "hup_${v}_kinds"))" test "$(rv "$S" "hup_${v}_changes")" = "$want"
    k=$(rv "$K" "hup_${v}_changes"); [[ -n $k ]] && detail "keepalived: SIGHUP ($v) made $k kernel change(s) for $want"
  done
  local s1 k1
  s1=$(rv "$S" hup_add) k1=$(rv "$K" hup_add)
  goal "one-server reload under 1 s ($(fmt "${s1:-99}") s)" "$(le "${s1:-99}" 1 && echo 1 || echo 0)"
  goal "one-server reload at least 50x faster than keepalived's (${k1:-?} s vs $(fmt "${s1:-0}") s)" "$(ge "$(ratio "${k1#>}" "$s1")" 50 && echo 1 || echo 0)"
  s1=$(rv "$S" start_table) k1=$(rv "$K" start_table)
  goal "start-up (full table) at least 10x faster than keepalived's (${k1:-?} s vs $(fmt "${s1:-0}") s)" "$(ge "$(ratio "${k1#>}" "$s1")" 10 && echo 1 || echo 0)"
  s1=$(rv "$S" rss) k1=$(rv "$K" rss)
  goal "less memory than keepalived (${s1:-?} MB vs ${k1:-?} MB)" "$(le "${s1:-99999}" "${k1:-0}" && echo 1 || echo 0)"
}

# shellcheck source=bench-failover.sh
. "$LIB/bench-failover.sh"

# =============================================================================================
# The connection table: CONN_ENTRIES UDP entries (Scripts/lib/bench-conn.c: raw datagrams from
# distinct sources, which IPVS meets at LOCAL_OUT in this namespace), then `ipvsadm -L -c -n`
# and `swiftvs list -c -n` alternating, each under /usr/bin/time for wall time and peak RSS.
# Both read the same /proc/net/ip_vs_conn (a page per read, the kernel's walk from the table's
# start at every read: the kernel's part is the same for both).
conn_timed() { # OUT COMMAND... -> C_WALL C_RSS C_USER C_SYS
  local out=$1; shift
  /usr/bin/time -f '%e %M %U %S' -o "$W/conn.time" "$@" >"$out.out" 2>"$W/err" || {
    detail "FAILED: $*"; sed 's/^/      /' "$W/err" | head; FAILED=$((FAILED + 1)); return 1; }
  read -r C_WALL C_RSS C_USER C_SYS <"$W/conn.time"
}
case_conn() {
  local n=$CONN_ENTRIES sv=() an=() svr=() anr=() svu=() anu=() i
  ipvsadm -A -u 192.0.2.200:53 -s rr
  ipvsadm -a -u 192.0.2.200:53 -r 198.51.100.10:53 -g
  ipvsadm --set 900 120 3600   # UDP entries outlive the run (the default 300 s might not)
  "$CONN_PROG" 192.0.2.200 53 "$n"
  local have; have=$(($(wc -l </proc/net/ip_vs_conn) - 1))
  sanity "the table has the $n entries ($have)" test "$have" -eq "$n"
  for ((i = 0; i < REPS; i++)); do
    conn_timed "$W/anchor.conn" ipvsadm -L -c -n || return 0
    an+=("$C_WALL"); anr+=("$C_RSS"); anu+=("$C_USER")
    conn_timed "$W/swiftvs.conn" "$SV" list -c -n || return 0
    sv+=("$C_WALL"); svr+=("$C_RSS"); svu+=("$C_USER")
  done
  local msv man msr mar
  msv=$(median "${sv[@]}") man=$(median "${an[@]}") msr=$(median "${svr[@]}") mar=$(median "${anr[@]}")
  line conn "$n" "$msv" "ipvsadm -Lcn" "$man"
  detail "wall: swiftvs list -c -n $(list "${sv[@]}") s; ipvsadm -L -c -n $(list "${an[@]}") s"
  detail "user CPU: swiftvs $(list "${svu[@]}") s; ipvsadm $(list "${anu[@]}") s"
  detail "peak RSS: swiftvs ${svr[*]} KB; ipvsadm ${anr[*]} KB (medians $msr and $mar KB)"
  # Both read the live table at different moments: the expiry column counts down between
  # them, everything else must be equal, line for line.
  sanity "the same entries, line for line (expiry column aside: read at different moments)" \
    cmp -s <(cut -c1-3,11- "$W/anchor.conn.out") <(cut -c1-3,11- "$W/swiftvs.conn.out")
  sanity "all $n listed" test "$(($(wc -l <"$W/swiftvs.conn.out") - 2))" -eq "$n"
  goal "faster than ipvsadm ($(fmt "$msv") s < $(fmt "$man") s)" "$(awk -v a="$msv" -v b="$man" 'BEGIN { print (a < b) }')"
  goal "less peak memory than ipvsadm ($msr KB < $mar KB)" "$(awk -v a="$msr" -v b="$mar" 'BEGIN { print (a < b) }')"
}

# =============================================================================================
if [[ ${1:-} == --case ]]; then   # one case, already inside its namespace
  network
  if [[ $2 == scale_one ]]; then
    # Under `set -e` the /proc readers' expected failures (a `children` file has no newline, a
    # process exits between two reads) would end the daemon's run half-measured.
    case_scale_one || FAILED=$((FAILED + 1))
  else
    "case_${2//-/_}"
  fi
  ipvsadm -C
  exit $((FAILED > 0))
fi
echo "# kernel: $(uname -r) ($(uname -v))"
echo "# vm: $(nproc) vCPU, $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo)"
echo "# sizes: ${SIZES[*]}; daemon-scale ${SCALE_VS}x${SCALE_RS}; swiftvs repetitions $REPS; ipvsadm-restore at $BIG: $ANCHOR_REPS run(s)$( ((SMOKE)) && echo '; SMOKE (tiny sizes)')"
CASES=("$@")
# daemon-scale is not in a smoke run's default cases: even at 1/20 it takes about 6 minutes
# (keepalived's reloads each restart its checkers); `Scripts/bench --smoke daemon-scale` runs it.
if ((${#CASES[@]} == 0)); then
  CASES=(restore save reconcile edit checks conn daemon-scale failover)
  ((SMOKE)) && CASES=(restore save reconcile edit checks conn failover)
fi
for c in "${CASES[@]}"; do
  ip netns add "bench-$c"
  ip netns exec "bench-$c" bash "$0" --case "$c" || FAILED=$((FAILED + 1))
  ip netns del "bench-$c"
done
if ((FAILED)); then
  echo "bench: sanity checks FAILED in $FAILED case(s)" >&2
  exit 1
fi
echo "# all sanity checks passed"
