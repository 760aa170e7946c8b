#!/usr/bin/env python3
"""order-map.py EXECUTABLE PAGES: the linker's symbol order for the code that ran.

PAGES lists file offsets (one per line) of the pages of EXECUTABLE's code that a profiled run
had mapped (Scripts/lib/order-profile.sh, with fault-around at one page). Prints the name of
every function on those pages, in address order, for lld's --symbol-ordering-file, which
puts the sections that define them first in .text, in that order. A page also holds
neighbours that did not run: the list is what ran, at page granularity.
"""
import subprocess
import sys

PAGE = 4096


def load_segments(exe):
    """(file offset, virtual address, size) of each executable LOAD segment."""
    out = subprocess.run(["readelf", "-lW", exe], check=True, capture_output=True, text=True).stdout
    segments = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "LOAD" and "E" in f[6:-1]:
            segments.append((int(f[1], 16), int(f[2], 16), int(f[4], 16)))
    return segments


def functions(exe):
    """(address, size, name) of every defined function symbol with a size."""
    out = subprocess.run(["nm", "-S", "--defined-only", exe], check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split(maxsplit=3)
        if len(f) == 4 and f[2] in "tTwW" and int(f[1], 16) > 0:
            yield int(f[0], 16), int(f[1], 16), f[3]


def main():
    exe, pages_file = sys.argv[1], sys.argv[2]
    touched = {int(line) // PAGE for line in open(pages_file) if line.strip()}
    if not touched:
        sys.exit("order-map: no pages in " + pages_file)
    segments = load_segments(exe)
    chosen, seen = [], set()
    for address, size, name in sorted(functions(exe)):
        for offset, vaddr, filesz in segments:
            if vaddr <= address < vaddr + filesz:
                first = (address - vaddr + offset) // PAGE
                last = (address + size - 1 - vaddr + offset) // PAGE
                if any(p in touched for p in range(first, last + 1)) and name not in seen:
                    seen.add(name)
                    chosen.append((address, size, name))
                break
    total = sum(size for _, size, _ in chosen)
    print(f"order-map: {len(chosen)} functions, {total // 1024} KB, on {len(touched)} pages", file=sys.stderr)
    for _, _, name in chosen:
        print(name)


main()
