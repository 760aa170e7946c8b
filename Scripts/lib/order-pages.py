#!/usr/bin/env python3
"""order-pages.py MODE PID KIND EXE: the pages of a process's executable code (EXE, once the process runs it) that are mapped, as
"KIND OFFSET" lines (OFFSET: the page's offset in the executable file, in bytes).

Scripts/lib/order-profile.sh runs it in the test VM, with the kernel's fault-around at one
page, so a mapped page is a page of code that ran.

  snapshot  the pages mapped now.
  startup   the pages mapped at any time from now until the daemon releases its start-up code
            (the number mapped falls to less than half the most seen: see the daemon's
            StartupMemoryService) or exits: sampled every 20 ms, so a page mapped and released
            between two samples is missed (the release comes once start-up is over).
"""
import os
import struct
import sys
import time

PAGE = 4096


def mapped(pid, exe):
    """File offsets of the mapped pages of PID's executable code; empty until PID runs EXE."""
    with open(f"/proc/{pid}/maps") as maps:
        lines = maps.read().splitlines()
    offsets = set()
    with open(f"/proc/{pid}/pagemap", "rb") as pagemap:
        for line in lines:
            f = line.split()
            if len(f) < 6 or f[5] != exe or "x" not in f[1]:
                continue
            start, end = (int(x, 16) for x in f[0].split("-"))
            offset, pages = int(f[2], 16), (end - start) // PAGE
            pagemap.seek(start // PAGE * 8)
            entries = pagemap.read(pages * 8)
            for i in range(pages):
                if struct.unpack_from("<Q", entries, i * 8)[0] >> 63:
                    offsets.add(offset + i * PAGE)
    return offsets


def startup(pid, exe, limit=300):
    seen, most = set(), 0
    deadline = time.time() + limit
    while time.time() < deadline:
        try:
            now = mapped(pid, exe)
        except (OSError, ValueError):
            break
        if most and len(now) < most // 2:
            return seen
        seen |= now
        most = max(most, len(now))
        time.sleep(0.02)
    sys.exit(f"order-pages: {pid} never released its start-up code (most mapped: {most} pages)")


def main():
    mode, pid, kind, exe = sys.argv[1], int(sys.argv[2]), sys.argv[3], os.path.realpath(sys.argv[4])
    pages = mapped(pid, exe) if mode == "snapshot" else startup(pid, exe)
    for offset in sorted(pages):
        print(kind, offset)


main()
