#!/usr/bin/env python3
"""order-vrrp.py EXECUTABLE DUMP... > Scripts/lib/swiftvs-vrrp.order

The functions an idle VRRP director runs, hottest first, as linker symbols: the first part of
swiftvs-healthd's layout (Scripts/build-release puts this file before Scripts/lib/swiftvs.order).

Why: a settled VRRP daemon runs about 500 functions (140 KB: the reactor, the timer sweep, the
advert send and receive paths, the parts of the Swift runtime and libdispatch they call), and
the kernel maps code in 64 KB windows around each page that faults (fault-around). Laid out as
the LVS daemon's profile has them, those functions lay in 50 windows: 3.2 MB of the idle
daemon's resident set for 140 KB of code. The ones in sections of their own (the daemon's,
the C++ runtime's) move to the front together; most of the standard library's cannot (its
Swift.o is one 1.6 MB .text section). Measured: the idle master's code 4.0 -> 2.5 MB.

DUMP: callgrind dumps of the steady state only, made like this (the vrrp-idle pair of
Scripts/lib/bench-vrrp.py, each daemon under valgrind; valgrind 3.19 cannot read the DWARF 5
of the build, so it runs a copy without debug information):

    objcopy --strip-debug .build-dist/.../release/swiftvs-healthd /tmp/healthd-nodebug
    # a directory with a copy of swiftvs and, as swiftvs-healthd, a script that runs
    #   valgrind --tool=callgrind --dump-instr=no --compress-strings=no --demangle=no \
    #            --callgrind-out-file=/tmp/cg.%p /tmp/healthd-nodebug "$@"
    # start the pair with that swiftvs (give the start-up waits 20 times their time), then,
    # once both have settled past the first election (30 s): callgrind_control -d PID (the
    # start-up), 40 s later callgrind_control -d PID again: the .2 files are the steady state.

C++ names a dump made without --demangle=no carries demangled are mapped back through nm.
"""
import collections
import os
import re
import subprocess
import sys


def symbols(exe):
    """Function symbols of EXE: mangled names, and demangled name -> mangled name."""
    def nm(*flags):
        out = subprocess.run(["nm", "--defined-only", *flags, exe], check=True, capture_output=True, text=True).stdout
        return [line.split(" ", 2) for line in out.splitlines()]
    raw, demangled = nm(), nm("-C")
    mangled, back = set(), {}
    for r, d in zip(raw, demangled):
        if len(r) == 3 and len(d) == 3 and r[1] in "tTwW":
            mangled.add(r[2])
            back.setdefault(d[2], r[2])
    return mangled, back


def self_costs(path, obj):
    """Self cost (first event) of each function of object `obj` in one callgrind dump."""
    costs = collections.Counter()
    ob = fn = None
    after_calls = False
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            ob = line[3:].strip()
        elif line.startswith("fn="):
            fn = line[3:].strip()
        elif line.startswith("calls="):
            after_calls = True   # the next cost line is a call's inclusive cost
        elif line[:1].isdigit() or line[:1] in "+-*":
            if after_calls:
                after_calls = False
            elif fn and ob and obj in ob:
                parts = line.split()
                if len(parts) >= 2:
                    costs[fn] += int(parts[1])
    return costs


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__.split("\n\n")[0])
    exe, dumps = sys.argv[1], sys.argv[2:]
    mangled, back = symbols(exe)
    costs = collections.Counter()
    # The object as the dumps name it: the executable's file name (a stripped copy's too).
    for d in dumps:
        for obj in {line[3:].strip() for line in open(d, errors="replace") if line.startswith("ob=")}:
            if "swiftvs-healthd" in obj or "healthd" in obj:
                costs.update(self_costs(d, obj))
    seen, missed, order = set(), 0, []
    for name, _ in costs.most_common():
        name = re.sub(r"'\d+$", "", name)   # callgrind's recursion-level suffix
        symbol = name if name in mangled else back.get(name)
        if symbol is None:
            missed += 1
        elif symbol not in seen:
            seen.add(symbol)
            order.append(symbol)
    # The functions that move one by one first, together; the ones that sit in a whole object's
    # section after them. Listed among the others, the standard library's 1.6 MB section went
    # where its hottest function was, and the daemon's idle functions lay on both sides of it.
    whole = set(subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "whole-object-names.py")],
                               check=True, capture_output=True, text=True).stdout.split())
    for symbol in [s for s in order if s not in whole] + [s for s in order if s in whole]:
        print(symbol)
    print("order-vrrp: %d functions (%d in whole-object sections, last), %d names not found in %s"
          % (len(seen), sum(1 for s in order if s in whole), missed, exe), file=sys.stderr)


if __name__ == "__main__":
    main()
