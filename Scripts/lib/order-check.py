#!/usr/bin/env python3
"""order-check.py ORDER-FILE EXECUTABLE [MIN-PERCENT]: how much of the order file still applies.

Counts the names of ORDER-FILE (one linker symbol a line, as Scripts/make-order-file writes it)
that EXECUTABLE defines as functions, and prints one line:

    order-check: N of M names (P%) resolve in EXECUTABLE (threshold T%)

A name that no longer resolves is a function the profile saw that was renamed, moved to another
module (its mangled name changes with the module) or removed: lld skips it in silence (the link
passes --no-warn-symbol-ordering), so that code falls out of the profiled layout. With
MIN-PERCENT, exits 1 when the share is below it, naming the modules that lost the most names
(by the module part of the mangled name), so the message says what to regenerate for.
"""
import collections
import re
import subprocess
import sys


def defined_functions(exe):
    out = subprocess.run(["nm", "--defined-only", exe], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        f = line.split(maxsplit=2)
        if len(f) == 3 and f[1] in "tTwW":
            names.add(f[2])
    return names


def module_of(name):
    """The module a Swift mangled name starts with ($s4IPVS… → IPVS), else a coarse kind."""
    if not name.startswith("$s"):
        return "(C/C++)"
    m = re.match(r"\$s(\d+)", name)
    if not m:
        return "(Swift runtime/stdlib)"
    n = int(m.group(1))
    start = m.end()
    return name[start:start + n] or "(Swift)"


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    order_file, exe = sys.argv[1], sys.argv[2]
    minimum = float(sys.argv[3]) if len(sys.argv) == 4 else None
    names = [line.strip() for line in open(order_file) if line.strip()]
    if not names:
        sys.exit(f"order-check: {order_file} is empty")
    defined = defined_functions(exe)
    missing = [n for n in names if n not in defined]
    resolved = len(names) - len(missing)
    share = 100.0 * resolved / len(names)
    threshold = f" (threshold {minimum:g}%)" if minimum is not None else ""
    print(f"order-check: {resolved} of {len(names)} names ({share:.1f}%) resolve in {exe}{threshold}")
    if minimum is not None and share < minimum:
        by_module = collections.Counter(module_of(n) for n in missing).most_common(6)
        lost = ", ".join(f"{m} {c}" for m, c in by_module)
        print(f"order-check: FAILED: {len(missing)} names no longer resolve (most in: {lost}); "
              "regenerate the order file with Scripts/make-order-file (profiles in the VM), "
              "or build with SWIFTVS_ORDER_CHECK=0 to link with the stale one anyway", file=sys.stderr)
        sys.exit(1)


main()
