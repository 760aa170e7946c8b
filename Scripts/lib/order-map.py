#!/usr/bin/env python3
"""order-map.py EXECUTABLE PAGES: the linker's symbol order for the code that ran.

PAGES lists "KIND OFFSET" lines: file offsets of the pages of EXECUTABLE's code that a
profiled run had mapped (Scripts/lib/order-profile.sh, with fault-around at one page), by
kind. Prints the name of every function on those pages for lld's --symbol-ordering-file,
which puts the sections that define them first in .text, in that order: the kinds in
KIND_ORDER (what a running daemon keeps using first, start-up last), each in address order.
A page also holds neighbours that did not run: the list is what ran, at page granularity.
"""
import subprocess
import sys

PAGE = 4096
KIND_ORDER = ("vrrp", "steady", "startup")


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


def load_pages(path):
    """{kind: set of page numbers} from "KIND OFFSET" lines."""
    pages = {}
    for line in open(path):
        f = line.split()
        if len(f) != 2 or f[0] not in KIND_ORDER:
            sys.exit("order-map: %s: not a \"KIND OFFSET\" line: %r" % (path, line))
        pages.setdefault(f[0], set()).add(int(f[1]) // PAGE)
    return pages


def on_pages(located, touched):
    """The functions of `located` (address, size, name, first page, last page) on a touched page."""
    return [(a, s, n) for a, s, n, first, last in located if any(p in touched for p in range(first, last + 1))]


def main():
    exe, pages_file = sys.argv[1], sys.argv[2]
    pages = load_pages(pages_file)
    if not pages:
        sys.exit("order-map: no pages in " + pages_file)
    segments = load_segments(exe)
    located = []
    for address, size, name in sorted(functions(exe)):
        for offset, vaddr, filesz in segments:
            if vaddr <= address < vaddr + filesz:
                first = (address - vaddr + offset) // PAGE
                last = (address + size - 1 - vaddr + offset) // PAGE
                located.append((address, size, name, first, last))
                break
    seen = set()
    for kind in KIND_ORDER:
        chosen = [f for f in on_pages(located, pages.get(kind, set())) if f[2] not in seen]
        seen.update(name for _, _, name in chosen)
        total = sum(size for _, size, _ in chosen)
        print(f"order-map: {kind}: {len(chosen)} more functions, {total // 1024} KB, "
              f"on {len(pages.get(kind, ()))} pages", file=sys.stderr)
        for _, _, name in chosen:
            print(name)


main()
