#!/usr/bin/env python3
"""whole-object-names.py: the functions of the Swift toolchain's static libraries that the link
can move only together with a whole object's code, one name a line.

lld places a code section where the first name it holds stands in an order file. Most of the
Swift standard library sits in one 1.6 MB `.text` (libswiftCore.a's Swift.o is not split per
function), and so do _Concurrency.o's 250 KB and libdispatch's queue.c.o: one early name of
such a section puts all of it among the functions an order file means to keep together. The
order makers (Scripts/lib/order-vrrp.py, Scripts/lib/order-cli.sh) list these names last.
"""
import glob
import os
import re
import shutil
import subprocess


def whole_object_names(limit=32 * 1024):
    """Functions of the Swift toolchain's static libraries that sit in a code section larger than
    `limit` holding a whole object's functions (the standard library's Swift.o: one 1.6 MB
    .text; _Concurrency.o's 250 KB; libdispatch's queue.c.o): the link moves such a section
    only as a whole, to where its first name in the order file puts it."""
    swiftc = os.path.realpath(shutil.which("swiftc") or "/usr/bin/swiftc")
    static = os.path.join(os.path.dirname(swiftc), "..", "lib", "swift_static", "linux")
    names = set()
    for archive in glob.glob(os.path.join(static, "*.a")):
        big, member = {}, None
        for line in subprocess.run(["readelf", "-SW", archive], capture_output=True, text=True, errors="replace").stdout.splitlines():
            if line.startswith("File: "):
                member = line[6:]
            m = re.match(r"\s*\[\s*(\d+)\] (\S+)\s+PROGBITS\s+\S+\s+\S+\s+(\S+)", line)
            if m and m.group(2) == ".text" and int(m.group(3), 16) > limit:
                big.setdefault(member, set()).add(m.group(1))
        for line in subprocess.run(["readelf", "-sW", archive], capture_output=True, text=True, errors="replace").stdout.splitlines():
            if line.startswith("File: "):
                member = line[6:]
                continue
            fields = line.split()
            if len(fields) == 8 and fields[3] == "FUNC" and fields[6] in big.get(member, ()):
                names.add(fields[7])
    return names


if __name__ == "__main__":
    for name in sorted(whole_object_names()):
        print(name)
