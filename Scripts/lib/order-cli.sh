#!/bin/bash
# Scripts/lib/order-cli.sh BIN-DIR — prints the functions `list -c`, ipvsadm's `-Lcn` and the
# one-shot commands run, `list -c`'s first: the order file Scripts/build-release puts before
# Scripts/lib/swiftvs.order when it links swiftvs and swiftvs-ipvsadm statically.
#
#   Scripts/lib/order-cli.sh "$(Scripts/build-release | tail -1)" > Scripts/lib/swiftvs-cli.order
#
# Why: the kernel maps a 64 KB window around every page of code that faults, so what a short
# command holds is the number of windows its code is spread over, not its bytes. Laid out by the
# daemon's profile only, `swiftvs list -c -n` over 100,000 entries peaked at 6.7 MB on the host
# (5.0 MB of it code); with the functions it runs together first, 3.6 MB (2.0 MB code:
# docs/benchmarks.md, the connection table). Functions of the Swift standard library mostly
# sit in one 1.6 MB section (libswiftCore.a's Swift.o is not split per function) and move as
# one: that part is not ordered by this file.
#
# How: every command runs once under callgrind (valgrind; host, root: `list -c` reads a frozen
# connection table through Scripts/lib/frozen-conn.sh; the netlink commands fail where the host
# has no IPVS, after the start-up, the option parsing and the family lookup they share with a
# real run); the names of the functions callgrind saw, first seen first, `list -c` first.
# Names that later builds no longer define are skipped by the linker: regenerate after larger
# changes to the command-line path (the layout then only falls back to the daemon's order).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=$1
command -v valgrind >/dev/null || { echo "order-cli: needs valgrind (apt install valgrind)" >&2; exit 1; }
W=$(mktemp -d /tmp/swiftvs-order-cli.XXXXXX)
trap 'rm -rf "$W"' EXIT
# valgrind cannot read the toolchain's DWARF in these executables: profile copies without it.
strip --strip-debug -o "$W/swiftvs" "$BIN/swiftvs"
strip --strip-debug -o "$W/swiftvs-ipvsadm" "$BIN/swiftvs-ipvsadm"
ln -s swiftvs-ipvsadm "$W/ipvsadm"
# A table of 1000 UDP entries and the fixture's TCP, IPv6, template and NAT lines.
{
  awk 'BEGIN { print "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData"
               for (i = 0; i < 1000; i++)
                 printf "UDP C6336%03X %04X CB007101 0035 C000020B 0035 UDP             %3d\n", i, 1024 + i, 100 + i % 200 }'
  sed 1d Tests/IPVSRulesTests/Fixtures/connections/table-7.proc
} > "$W/conn.proc"
n=0
profile() { # [--frozen] COMMAND...: with --frozen, /proc/net/ip_vs_conn is the table above
  local wrap=()
  [[ $1 == --frozen ]] && { wrap=(bash Scripts/lib/frozen-conn.sh "$W/conn.proc"); shift; }
  n=$((n + 1))
  "${wrap[@]}" valgrind --tool=callgrind --demangle=no --callgrind-out-file="$W/cg.$n" "$@" >/dev/null 2>&1 || true
}
profile --frozen "$W/swiftvs" list -c -n
profile --frozen "$W/ipvsadm" -L -c -n
profile --frozen "$W/swiftvs" list -c -n --persistent-conn -t 192.0.2.100:80
profile "$W/swiftvs" list -n -t 192.0.2.100:80
profile "$W/swiftvs" add-server -t 192.0.2.100:80 -r 192.0.2.11 -g -w 2
profile "$W/swiftvs" zero -t 192.0.2.100:80
profile "$W/ipvsadm" -Ln -t 192.0.2.100:80
profile "$W/ipvsadm" -a -t 192.0.2.100:80 -r 192.0.2.11 -g -w 2
ls "$W"/cg.* >/dev/null 2>&1 || { echo "order-cli: no profile was written" >&2; exit 1; }
# callgrind names a function at its first mention (fn=/cfn= "(id) name"); "'2" marks a
# recursion level, "0x…" an address without a symbol.
for ((i = 1; i <= n; i++)); do [[ -f $W/cg.$i ]] && cat "$W/cg.$i"; done |
  sed -n -E "s/^c?fn=\([0-9]+\) (.*)$/\1/p" | sed -E "s/'[0-9]+$//" |
  grep -v -E '^(0x[0-9a-f]+|\(below main\))$' | awk '!seen[$0]++' >"$W/seen"
# What the profile cannot see, next to what it saw: glibc picks a string function's variant by
# the CPU (valgrind's CPU has AVX2 and no AVX-512, the test VM's the same; a director with
# AVX-512 runs the evex and avx512 ones), so each `__NAME_avx…` seen brings the variants of
# NAME for AVX-512; crtbegin's frame_dummy, which runs before main; and glibc's set-up of the
# vDSO in a static program (_dl_non_dynamic_init: the kernel's vDSO image made a link map and its
# symbols looked up), which valgrind skips (it gives the program no vDSO): at the end of .text,
# unordered, they were a 64 KB window of their own in every start (perf record -e page-faults).
nm --defined-only "$BIN/swiftvs" >"$W/symbols"   # a failed nm stops the script (set -e)
{ awk '{ print $3 }' "$W/symbols" | grep -E '^__[a-z0-9]+_(evex|avx512)' || true; } | sort -u >"$W/variants"   # none: a static glibc without them
awk -v variants="$W/variants" '
  BEGIN { while ((getline l < variants) > 0) v[++n] = l; print "frame_dummy"
          split("_dl_new_object _dl_add_to_namespace_list _dl_setup_hash _dl_lookup_symbol_x do_lookup_x check_match", vdso, " ")
          for (i = 1; i in vdso; i++) print vdso[i] }
  { print }
  match($0, /^__[a-z0-9]+_avx/) {
    base = substr($0, 1, RLENGTH - 3)
    for (i = 1; i <= n; i++) if (index(v[i], base) == 1 && !(v[i] in done)) { print v[i]; done[v[i]] = 1 }
  }' "$W/seen" | awk '!seen[$0]++' >"$W/names"
# The names in three groups, each in the order seen: the functions of this package's objects
# (each in a section of its own: -function-sections), then the libraries' (glibc's objects, the
# runtime's C++ pieces, the standard library's functions that have sections of their own), then
# those in the standard library's one 1.6 MB `.text` of Swift.o and the toolchain's other
# whole-object sections (Scripts/lib/whole-object-names.py). lld gives a section the place
# of the first name it holds: one early name of Swift.o's `.text` (or of a glibc object) put
# all of it among ours, and `list -c`'s own code lay spread from 0x6f0000 to 0x8e0000 among
# the library's, touching twice the 64 KB windows it fills when it is one block. A name Swift.o's
# `.text` defines goes last even when our objects have it too (a specialization both emit): lld
# takes the place for every symbol of that name, local ones included, and the standard
# library's strong definition wins over our weak one.
find "$BIN" -path '*.build/*.o' -print0 | xargs -0 nm --defined-only |
  awk 'NF == 3 && $2 ~ /^[TtWw]$/ { print $3 }' | sort -u >"$W/own"
# The names of Swift.o's `.text` and of the toolchain's other whole-object code sections.
python3 Scripts/lib/whole-object-names.py >"$W/core-text"
awk -v own="$W/own" -v core="$W/core-text" '
  BEGIN { while ((getline l < own) > 0) o[l] = 1; while ((getline l < core) > 0) c[l] = 1 }
  { g = ($0 in c) ? 3 : ($0 in o) ? 1 : 2; names[g] = names[g] $0 "\n" }
  END { printf "%s%s%s", names[1], names[2], names[3] }' "$W/names"
