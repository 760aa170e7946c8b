#!/usr/bin/env python3
"""Scripts/lib/bench-vrrp.py: the `vrrp` cases of Scripts/bench, swiftvs against keepalived.

Runs on the host (VRRP needs no IPVS): per pair of daemons a bridge in a namespace of its own
and two node namespaces joined to it by veths (198.51.100.11 = n1, .12 = n2), tcpdump on the
bridge and `ip monitor address` in each node namespace. Both implementations read the same
keepalived.conf; keepalived is Debian's (`keepalived -n -l -P -R`, its VRRP child's pid from
its pid file), swiftvs is `swiftvs daemon --config FILE --no-state --control SOCK`.

    bench-vrrp.py --bin PATH/swiftvs [--smoke] [--runs N] [--fast-seconds S]
                  [--idle-seconds S] [--instances N] [CASE...]

CASE: vrrp-takeover vrrp-handover vrrp-fast vrrp-idle (default: all four). Per case one line
`CASE SIZE  swiftvs T  keepalived T  RATIOx` (ratio = keepalived / swiftvs, medians), then
indented details: every run, the goals (met / MISSED) and the sanity checks. A failed sanity
check (a daemon that did not start, a takeover that never came, the VIP on two nodes, a
spurious transition, ...) makes the exit status 1; a missed goal does not.

Every namespace is called vrb-ROLE-PID-SEQ (--prefix replaces vrb); the processes in them are killed and the
namespaces deleted on exit, on SIGINT/SIGTERM and on failure.
"""
import argparse
import concurrent.futures
import datetime
import os
import random
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time

IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"
KEEPALIVED = "/usr/sbin/keepalived"
TCPDUMP = "/usr/bin/tcpdump" if os.path.exists("/usr/bin/tcpdump") else "/usr/sbin/tcpdump"
VIP = "198.51.100.39"
CLK_TCK = os.sysconf("SC_CLK_TCK")


class SanityError(Exception):
    """A sanity check that stops the current case (the daemon did not start, no takeover)."""


# --- output ------------------------------------------------------------------------------------

FAILED = 0


def out(text=""):
    print(text, flush=True)


def detail(text):
    out("    " + text)


def sanity(description, ok):
    global FAILED
    if ok:
        detail("sanity ok: " + description)
    else:
        detail("SANITY FAILED: " + description)
        FAILED += 1
    return ok


def goal(description, met):
    detail(("goal met: " if met else "goal MISSED: ") + description)


def fmt(t):
    """Three significant digits, as the other cases print."""
    a = abs(t)
    if a < 1:
        return "%.3f" % t
    if a < 10:
        return "%.2f" % t
    if a < 100:
        return "%.1f" % t
    return "%.0f" % t


def sec(t):
    """VRRP timings: to the millisecond."""
    return "%.3f" % t


def ms(t):
    return "%.1f ms" % (t * 1000)


def ratio(anchor, swiftvs):
    if swiftvs <= 0:
        return "inf"
    r = anchor / swiftvs
    return ("%.2f" if r < 10 else "%.1f") % r


def line(case, size, sv, anchor, unit="s"):
    f = sec if unit == "s" else fmt
    out("%-13s %-9s  swiftvs %s %s  keepalived %s %s  %sx" % (case, size, f(sv), unit, f(anchor), unit, ratio(anchor, sv)))


def run_list(values):
    return " ".join(sec(v) for v in values)


# --- processes and namespaces --------------------------------------------------------------------

STARTED = []          # every Popen started here
NAMESPACES = []       # every namespace created here, in creation order
SEQ = [0]
PREFIX = ["vrb"]      # namespace name prefix (--prefix), so concurrent users can tell theirs apart


def ip(*args, check=True):
    r = subprocess.run([IP] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise SanityError("ip %s: %s" % (" ".join(args), r.stderr.strip()))
    return r


def spawn(argv, log_path, namespace=None):
    full = ([IP, "netns", "exec", namespace] if namespace else []) + argv
    log = open(log_path, "ab")
    p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                         start_new_session=True)
    log.close()
    STARTED.append(p)
    return p


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def kill_group(p):
    """SIGKILL to the process group `p` leads (every Popen here starts a session of its own), so
    what it started goes too (a burner's loop under `timeout`, keepalived's children)."""
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def await_value(what, limit, probe, period=0.01):
    deadline = time.time() + limit
    while True:
        v = probe()
        if v:
            return v
        if time.time() >= deadline:
            raise SanityError("timed out after %.1f s waiting for %s" % (limit, what))
        time.sleep(period)


def namespace_pids(ns):
    r = ip("netns", "pids", ns, check=False)
    return [int(x) for x in r.stdout.split()] if r.returncode == 0 else []


def cleanup():
    """Kills everything started here and everything left in our namespaces, deletes them."""
    for p in STARTED:
        kill_group(p)
    deadline = time.time() + 5
    while NAMESPACES and time.time() < deadline:
        pids = [pid for ns in NAMESPACES for pid in namespace_pids(ns)]
        if not pids:
            break
        for pid in pids:
            kill(pid)
        time.sleep(0.02)
    for p in STARTED:
        try:
            p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
    for ns in reversed(NAMESPACES):
        ip("netns", "del", ns, check=False)
    NAMESPACES.clear()
    STARTED.clear()


def on_signal(signum, _frame):
    cleanup()
    sys.exit(128 + signum)


# --- wire: pcap decoding ---------------------------------------------------------------------------


class Advert:
    __slots__ = ("time", "source", "vrid", "priority", "version", "interval")

    def __init__(self, t, source, vrid, priority, version, interval):
        self.time, self.source, self.vrid, self.priority, self.version, self.interval = t, source, vrid, priority, version, interval


class Garp:
    __slots__ = ("time", "address", "mac")

    def __init__(self, t, address, mac):
        self.time, self.address, self.mac = t, address, mac


def decode_pcap(path, state):
    """Appends the adverts and GARPs of `path` not read yet to state['adverts'] / ['garps']."""
    try:
        with open(path, "rb") as f:
            f.seek(state["offset"])
            data = f.read()
    except FileNotFoundError:
        return
    pos = 0
    if state["offset"] == 0:
        if len(data) < 24:
            return
        magic = struct.unpack_from("<I", data, 0)[0]
        state["nano"] = magic == 0xA1B23C4D
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            raise SanityError("%s: not a little-endian pcap (magic %08x)" % (path, magic))
        pos = 24
    while pos + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack_from("<IIII", data, pos)
        if pos + 16 + incl > len(data):
            break
        t = sec + frac / (1e9 if state["nano"] else 1e6)
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        if len(frame) < 14:
            continue
        ethertype = struct.unpack_from("!H", frame, 12)[0]
        body = frame[14:]
        if ethertype == 0x0800 and len(body) >= 28 and body[9] == 112:
            ihl = (body[0] & 0x0F) * 4
            v = body[ihl:]
            if len(v) < 8:
                continue
            version = v[0] >> 4
            interval = v[5] if version == 2 else (struct.unpack_from("!H", v, 4)[0] & 0x0FFF) / 100
            state["adverts"].append(Advert(t, ".".join(map(str, body[12:16])), v[1], v[2], version, interval))
        elif ethertype == 0x0806 and len(body) >= 28:
            sender, target = body[14:18], body[24:28]
            if sender == target and struct.unpack_from("!H", body, 6)[0] == 1:
                state["garps"].append(Garp(t, ".".join(map(str, sender)), body[8:14].hex(":")))
    state["offset"] += pos


# --- a segment: bridge + nodes + capture + address monitors ----------------------------------------


class Segment:
    """A bridge br0 alone in namespace vrb-sw-PID-SEQ and `count` node namespaces (n1 =
    198.51.100.11, n2 = .12, ...), each joined by a veth whose node end is eth0; tcpdump on the
    bridge (VRRP and ARP) and `ip monitor address` in each node namespace."""

    def __init__(self, workdir, label, count=2):
        SEQ[0] += 1
        tag = "%d-%d" % (os.getpid(), SEQ[0])
        self.dir = os.path.join(workdir, "%s-%d" % (label, SEQ[0]))
        os.makedirs(self.dir)
        self.sw = "%s-sw-%s" % (PREFIX[0], tag)
        self.names = ["n%d" % (i + 1) for i in range(count)]
        self.ns = {n: "%s-%s-%s" % (PREFIX[0], n, tag) for n in self.names}
        self.addr = {n: "198.51.100.%d" % (11 + i) for i, n in enumerate(self.names)}
        self.mac = {n: "02:76:62:00:00:%02x" % (0x11 + i) for i, n in enumerate(self.names)}
        self._add_ns(self.sw)
        ip("-n", self.sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        ip("-n", self.sw, "link", "set", "br0", "up")
        for n in self.names:
            self._add_ns(self.ns[n])
            ip("-n", self.sw, "link", "add", n + "-p", "type", "veth", "peer", "name", "eth0",
               "address", self.mac[n], "netns", self.ns[n])
            ip("-n", self.sw, "link", "set", n + "-p", "master", "br0", "up")
            ip("-n", self.ns[n], "addr", "add", self.addr[n] + "/24", "dev", "eth0")
            ip("-n", self.ns[n], "link", "set", "eth0", "up")
        self.pcap = os.path.join(self.dir, "wire.pcap")
        self.wire = {"offset": 0, "nano": False, "adverts": [], "garps": []}
        cap_log = os.path.join(self.dir, "tcpdump.log")
        self.tcpdump = spawn([TCPDUMP, "-i", "br0", "-nn", "-U", "--immediate-mode", "-s", "128",
                              "-w", self.pcap, "ip proto 112 or arp"], cap_log, self.sw)
        await_value("tcpdump on %s to listen" % self.sw, 5,
                    lambda: self.tcpdump.poll() is None and "listening on" in open(cap_log).read()
                    or self._dead(self.tcpdump, "tcpdump", cap_log))
        self.monitors = {}
        for n in self.names:
            path = os.path.join(self.dir, "%s.addr" % n)
            self.monitors[n] = (spawn([IP, "-ts", "-o", "monitor", "address"], path, self.ns[n]), path)
        time.sleep(0.1)   # `ip monitor` has no "listening" line; it subscribes at once

    def _add_ns(self, name):
        ip("netns", "add", name)
        NAMESPACES.append(name)
        ip("-n", name, "link", "set", "lo", "up")

    @staticmethod
    def _dead(p, what, log):
        if p.poll() is not None:
            raise SanityError("%s exited (%s): %s" % (what, p.returncode, open(log).read()[-500:]))
        return False

    def adverts(self, source=None, after=0.0, vrid=None):
        decode_pcap(self.pcap, self.wire)
        return [a for a in self.wire["adverts"]
                if a.time >= after and (source is None or a.source == source) and (vrid is None or a.vrid == vrid)]

    def garps(self, address, after=0.0, mac=None):
        decode_pcap(self.pcap, self.wire)
        return [g for g in self.wire["garps"] if g.time >= after and g.address == address and (mac is None or g.mac == mac)]

    def await_advert(self, source, after, limit, what="", priority=None):
        def probe():
            for a in self.adverts(source, after):
                if priority is None or a.priority == priority:
                    return a
            return None
        return await_value("an advert from %s%s" % (source, what), limit, probe)

    def address_events(self, node, address=VIP):
        """(time, added) for `address` on `node`, from its `ip monitor address`."""
        events = []
        with open(self.monitors[node][1]) as f:
            for text in f:
                if " inet %s/" % address not in text or not text.startswith("["):
                    continue
                stamp, rest = text[1:].split("]", 1)
                t = datetime.datetime.fromisoformat(stamp).timestamp()
                events.append((t, not rest.lstrip().startswith("Deleted")))
        return events

    def holds(self, node, address=VIP):
        return " %s/" % address in ip("-n", self.ns[node], "-o", "addr", "show", "dev", "eth0").stdout

    def count_held(self, node, prefix):
        return ip("-n", self.ns[node], "-o", "addr", "show", "dev", "eth0").stdout.count(" inet " + prefix)

    def flush_vips(self):
        """Removes the pair's VIP from every node (a killed daemon leaves it behind)."""
        for n in self.names:
            if self.holds(n):
                ip("-n", self.ns[n], "addr", "del", VIP + "/24", "dev", "eth0", check=False)


# --- configuration -------------------------------------------------------------------------------


def instance_block(name, state, vrid, priority, advert, version, src, peers, vips, auth):
    b = ["vrrp_instance %s {" % name, "    state " + state, "    interface eth0",
         "    virtual_router_id %d" % vrid, "    priority %d" % priority,
         "    advert_int %s" % (("%d" % advert) if advert == int(advert) else ("%.2f" % advert)),
         "    version %d" % version, "    unicast_src_ip " + src, "    unicast_peer {"]
    b += ["        " + p for p in peers] + ["    }"]
    if auth:
        b += ["    authentication {", "        auth_type PASS", "        auth_pass s3cret", "    }"]
    b += ["    virtual_ipaddress {"] + ["        " + v for v in vips] + ["    }", "}"]
    return b


def config(seg, node, instances):
    """keepalived.conf for `node`: instances are (name, state, vrid, priority, advert, version, vips)."""
    lines = ["global_defs {", "    router_id " + node, "}"]
    peers = [seg.addr[n] for n in seg.names if n != node]
    for (name, state, vrid, priority, advert, version, vips) in instances:
        lines += instance_block(name, state, vrid, priority, advert, version, seg.addr[node], peers, vips, version == 2)
    return "\n".join(lines) + "\n"


# --- daemons ---------------------------------------------------------------------------------------


class Daemon:
    """One daemon (swiftvs or keepalived) on one node of a segment."""

    def __init__(self, impl, seg, node, conf_text, swiftvs_bin, run_tag):
        self.impl, self.seg, self.node = impl, seg, node
        base = os.path.join(seg.dir, "%s-%s" % (node, run_tag))
        self.conf = base + ".conf"
        with open(self.conf, "w") as f:
            f.write(conf_text)
        self.log = base + ".log"
        self.sock = base + ".sock"
        self.vrrp_pidfile = base + ".vrrp.pid"
        self.swiftvs_bin = swiftvs_bin
        self.proc = None

    def start(self):
        ns = self.seg.ns[self.node]
        if self.impl == "keepalived":
            d = os.path.dirname(self.vrrp_pidfile)
            tag = os.path.basename(self.vrrp_pidfile)[:-len(".vrrp.pid")]
            self.proc = spawn([KEEPALIVED, "-n", "-l", "-P", "-R", "-f", self.conf,
                               "-p", os.path.join(d, tag + ".pid"), "-r", self.vrrp_pidfile,
                               "-c", os.path.join(d, tag + ".checkers.pid")], self.log, ns)
            await_value("keepalived's VRRP child on %s" % self.node, 5, lambda: self._check() and self.vrrp_pid())
        else:
            self.proc = spawn([self.swiftvs_bin, "daemon", "--config", self.conf, "--no-state",
                               "--control", self.sock], self.log, ns)
            await_value("swiftvs on %s to open its control socket" % self.node, 5,
                        lambda: self._check() and os.path.exists(self.sock))
        return self

    def _check(self):
        if self.proc.poll() is not None:
            raise SanityError("%s on %s exited (status %s) at start:\n%s"
                              % (self.impl, self.node, self.proc.returncode, self.tail()))
        return True

    def tail(self, n=15):
        try:
            with open(self.log, errors="replace") as f:
                return "".join("      " + l for l in f.readlines()[-n:])
        except OSError:
            return ""

    def vrrp_pid(self):
        """The process that runs VRRP: keepalived's child, or swiftvs itself."""
        if self.impl != "keepalived":
            return self.proc.pid if self.proc and self.proc.poll() is None else None
        try:
            with open(self.vrrp_pidfile) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def running(self):
        pid = self.vrrp_pid()
        return pid is not None and alive(pid)

    def crash(self):
        """kill -9 of the VRRP process (keepalived: its child; the parent, with -R, exits)."""
        pid = self.vrrp_pid()
        if pid is None:
            raise SanityError("%s on %s: no VRRP process to kill" % (self.impl, self.node))
        kill(pid)

    def stop(self):
        """A clean stop: SIGTERM to the daemon (keepalived: the parent, as systemctl does)."""
        kill(self.proc.pid, signal.SIGTERM)

    def wait_exit(self, limit=5):
        try:
            self.proc.wait(timeout=limit)
        except subprocess.TimeoutExpired:
            return False
        pid = self.vrrp_pid() if self.impl == "keepalived" else None
        if pid is not None:
            try:
                await_value("keepalived's VRRP child to exit", limit, lambda: not alive(pid))
            except SanityError:
                return False
        return True

    def kill_all(self):
        pid = self.vrrp_pid() if self.impl == "keepalived" else None
        if self.proc and self.proc.poll() is None:
            kill(self.proc.pid)
        if pid is not None:
            kill(pid)
        if self.proc:
            self.proc.wait()
        if pid is not None:
            await_value("pid %d to exit" % pid, 5, lambda: not alive(pid))

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.vrrp_pid()) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK   # utime, stime (fields 14, 15)

    def cpu_runtime(self):
        """Each live thread's time on a CPU in seconds, to the nanosecond (first field of
        /proc/PID/task/TID/schedstat), by thread id. utime + stime are sampled at the tick: a
        daemon that wakes briefly a few hundred times a second is charged 10 ms or nothing per
        tick it happens to straddle, ±30% over a minute at these amounts."""
        times = {}
        base = "/proc/%d/task" % self.vrrp_pid()
        for tid in os.listdir(base):
            try:
                with open("%s/%s/schedstat" % (base, tid)) as f:
                    times[tid] = int(f.read().split()[0]) / 1e9
            except (FileNotFoundError, ProcessLookupError):
                pass   # a thread that ended meanwhile
        return times

    @staticmethod
    def runtime_delta(before, after):
        """The CPU time of a window from two cpu_runtime() samples: each thread alive at its end,
        from its value at the start (0 for a thread started within it). A thread that ended
        within the window (a worker pool's idle thread) takes its time with it: that part is
        not counted, so the figure is a lower bound, never negative (summing the samples made
        it -0.003 CPU-s in a smoke run when a worker thread exited)."""
        return sum(t - before.get(tid, 0.0) for tid, t in after.items())

    def memory(self):
        """(VmRSS, VmHWM, RssAnon, RssFile) in MB of the VRRP process."""
        values = {}
        with open("/proc/%d/status" % self.vrrp_pid()) as f:
            for text in f:
                k, _, v = text.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    values[k] = int(v.split()[0]) / 1024
        return values["VmRSS"], values["VmHWM"], values["RssAnon"], values["RssFile"]

    def resident_parts(self):
        """Where the VRRP process's resident set is: KB per (object, permissions) from
        /proc/PID/smaps, anonymous mappings as "[anon]", largest first."""
        parts, key = {}, None
        with open("/proc/%d/smaps" % self.vrrp_pid()) as f:
            for text in f:
                fields = text.split()
                if fields and "-" in fields[0] and ":" not in fields[0]:
                    name = os.path.basename(fields[5]) if len(fields) >= 6 else "[anon]"
                    key = "%s %s" % (name, fields[1][:3])
                elif key and fields[:1] == ["Rss:"]:
                    parts[key] = parts.get(key, 0) + int(fields[1])
        return sorted(((kb, k) for k, kb in parts.items() if kb), reverse=True)

    def count_log(self, needle):
        try:
            with open(self.log, errors="replace") as f:
                return f.read().count(needle)
        except OSError:
            return 0


# --- timing formulas (RFC 3768 / 5798, keepalived's vrrp.h) -----------------------------------------


def skew(priority, advert, version):
    return (256 - priority) / 256 if version == 2 else (256 - priority) * advert / 256


def master_down(priority, advert, version):
    return 3 * advert + skew(priority, advert, version)


# --- the pair: n2 (priority 110, state MASTER) and n1 (100, BACKUP) ---------------------------------

P_MASTER, P_BACKUP = 110, 100


def start_pair(seg, impl, binary, advert, version, tag):
    """Starts n2 (the master) then n1 and returns them once n2 is MASTER (its adverts on the
    wire, the VIP on it alone) and n1 has heard one of its adverts."""
    seg.flush_vips()
    vips = [VIP + "/24"]
    master = Daemon(impl, seg, "n2", config(seg, "n2", [("VI_1", "MASTER", 51, P_MASTER, advert, version, vips)]),
                    binary, tag)
    backup = Daemon(impl, seg, "n1", config(seg, "n1", [("VI_1", "BACKUP", 51, P_BACKUP, advert, version, vips)]),
                    binary, tag)
    t0 = time.time()
    master.start()
    limit = master_down(P_MASTER, advert, version) + 3
    seg.await_advert(seg.addr["n2"], t0, limit, " (n2 becoming MASTER)")
    t1 = time.time()
    backup.start()
    # One advert after n1 listens: n1 is BACKUP with its down timer running.
    seg.await_advert(seg.addr["n2"], time.time(), 3 * advert + 1, " after n1 started")
    await_value("the VIP on n2", 2, lambda: seg.holds("n2"))
    if seg.adverts(seg.addr["n1"], t1):
        raise SanityError("n1 (BACKUP, lower priority) advertised after it started:\n" + backup.tail())
    if seg.holds("n1"):
        raise SanityError("the VIP is on n1 and n2 before the test")
    return master, backup


def stop_pair(daemons):
    for d in daemons:
        d.kill_all()


def takeover_runs(seg, impl, binary, runs, advert, version, tag):
    """kill -9 of n2's VRRP process, `runs` times: (advert gaps, GARP gaps, kill→advert)."""
    mdi = master_down(P_BACKUP, advert, version)
    gaps, garps, after_kill = [], [], []
    for r in range(runs):
        master, backup = start_pair(seg, impl, binary, advert, version, "%s-%s%d" % (tag, impl, r))
        try:
            # The kill lands at a random phase of the advert interval.
            seg.await_advert(seg.addr["n2"], time.time(), advert * 2 + 1)
            time.sleep(random.uniform(0, advert))
            killed = time.time()
            master.crash()
            first = seg.await_advert(seg.addr["n1"], killed, mdi + 2, " (taking over)")
            last = seg.adverts(seg.addr["n2"])[-1]
            if last.time > first.time:
                raise SanityError("n2 advertised after n1 took over: is it dead?")
            garp = await_value("a GARP for %s from n1" % VIP, 2,
                               lambda: (seg.garps(VIP, killed, seg.mac["n1"]) or [None])[0])
            await_value("the VIP on n1", 2, lambda: seg.holds("n1"))
            if first.priority != P_BACKUP:
                raise SanityError("n1's first advert has priority %d, not %d" % (first.priority, P_BACKUP))
            if any(a.priority == 0 for a in seg.adverts(seg.addr["n2"], killed)):
                raise SanityError("a kill -9 sent a priority-0 advert")
            gaps.append(first.time - last.time)
            garps.append(garp.time - last.time)
            after_kill.append(first.time - killed)
        finally:
            stop_pair([backup, master])
    return gaps, garps, after_kill


def per_implementation(args, workdir, label, body):
    """{impl: body(segment, impl)} for keepalived and swiftvs: one after the other on one
    segment, or (--parallel, the smoke pass) at the same time on a segment each."""
    impls = ("keepalived", "swiftvs")
    if not args.parallel:
        seg = Segment(workdir, label)
        return {impl: body(seg, impl) for impl in impls}
    segs = {impl: Segment(workdir, "%s-%s" % (label, impl)) for impl in impls}
    with concurrent.futures.ThreadPoolExecutor(len(impls)) as pool:
        futures = {impl: pool.submit(body, segs[impl], impl) for impl in impls}
        return {impl: f.result() for impl, f in futures.items()}


def median(v):
    return statistics.median(v) if v else float("nan")


# --- the cases -------------------------------------------------------------------------------------


def case_takeover(args, workdir):
    runs = args.runs
    mdi = master_down(P_BACKUP, 1, 2)
    res = per_implementation(args, workdir, "takeover",
                             lambda seg, impl: takeover_runs(seg, impl, args.bin, runs, 1, 2, "t"))
    sv, ka = res["swiftvs"], res["keepalived"]
    line("vrrp-takeover", "v2x%d" % runs, median(sv[0]), median(ka[0]))
    for impl in ("swiftvs", "keepalived"):
        g, a, k = res[impl]
        detail("%s: last advert of the killed master → new master's first advert: median %s, worst %s (MDI(%d) %s); runs %s s"
               % (impl, sec(median(g)), sec(max(g)), P_BACKUP, sec(mdi), run_list(g)))
        detail("%s: → first GARP: median %s, worst %s s; kill → first advert: median %s s"
               % (impl, sec(median(a)), sec(max(a)), sec(median(k))))
    sanity("every run: the backup took over (first advert at priority %d, GARP, the VIP on it) after the master's kill -9, "
           "with no priority-0 advert" % P_BACKUP, True)
    for impl in ("swiftvs", "keepalived"):
        g = res[impl][0]
        sanity("%s: no takeover before Master_Down_Interval (earliest %s s, MDI %s s)" % (impl, sec(min(g)), sec(mdi)),
               min(g) >= mdi - 0.005)
    goal("swiftvs median within +30 ms of Master_Down_Interval (first advert %s, first GARP %s over %s s)"
         % (ms(median(sv[0]) - mdi), ms(median(sv[1]) - mdi), sec(mdi)), median(sv[1]) <= mdi + 0.030)
    goal("swiftvs worst run within +30 ms of Master_Down_Interval (first advert %s, first GARP %s; keepalived's worst %s)"
         % (ms(max(sv[0]) - mdi), ms(max(sv[1]) - mdi), ms(max(ka[0]) - mdi)), max(sv[1]) <= mdi + 0.030)
    # To the millisecond: swiftvs's reactor waits in epoll_wait, whose timeout is whole
    # milliseconds (rounded up), so its timers fire up to a millisecond after their deadline;
    # that resolution is compared here, not the microseconds below it.
    goal("not slower than keepalived, medians to the millisecond (swiftvs - keepalived: first advert %+.2f ms, "
         "first GARP %+.2f ms)" % ((median(sv[0]) - median(ka[0])) * 1000, (median(sv[1]) - median(ka[1])) * 1000),
         median(sv[0]) <= median(ka[0]) + 0.001 and median(sv[1]) <= median(ka[1]) + 0.001)


def case_handover(args, workdir):
    runs = args.runs
    sk = skew(P_BACKUP, 1, 2)

    def runs_of(seg, impl):
        gaps, garps, overlaps = [], [], []
        for r in range(runs):
            master, backup = start_pair(seg, impl, args.bin, 1, 2, "h-%s%d" % (impl, r))
            try:
                seg.await_advert(seg.addr["n2"], time.time(), 3)
                time.sleep(random.uniform(0, 1))
                stopped = time.time()
                master.stop()
                zero = seg.await_advert(seg.addr["n2"], stopped, 3, " with priority 0", priority=0)
                first = seg.await_advert(seg.addr["n1"], zero.time, sk + 2, " (taking over)")
                garp = await_value("a GARP from n1", 2, lambda: (seg.garps(VIP, stopped, seg.mac["n1"]) or [None])[0])
                if not master.wait_exit(5):
                    raise SanityError("%s on n2 did not exit within 5 s of SIGTERM" % impl)
                if master.proc.returncode != 0:
                    raise SanityError("%s on n2 exited with status %s after SIGTERM:\n%s" % (impl, master.proc.returncode, master.tail()))
                await_value("the VIP on n1", 2, lambda: seg.holds("n1"))
                if seg.holds("n2"):
                    raise SanityError("n2 still holds the VIP after its clean stop")
                # No overlap: n2's removal of the VIP comes before n1's addition.
                removed = [t for t, added in seg.address_events("n2") if not added and t >= stopped]
                added = [t for t, a in seg.address_events("n1") if a and t >= stopped]
                if not removed or not added:
                    raise SanityError("address events missing (n2 removed %s, n1 added %s)" % (removed, added))
                overlaps.append(removed[0] - added[0])
                gaps.append(first.time - zero.time)
                garps.append(garp.time - zero.time)
            finally:
                stop_pair([backup, master])
        return gaps, garps, overlaps

    res = per_implementation(args, workdir, "handover", runs_of)
    sv, ka = res["swiftvs"], res["keepalived"]
    line("vrrp-handover", "v2x%d" % runs, median(sv[0]), median(ka[0]))
    for impl in ("swiftvs", "keepalived"):
        g, a, o = res[impl]
        detail("%s: priority-0 advert → new master's first advert: median %s, worst %s (skew(%d) %s); runs %s s"
               % (impl, sec(median(g)), sec(max(g)), P_BACKUP, sec(sk), run_list(g)))
        detail("%s: → first GARP: median %s, worst %s s; VIP on neither node for median %s (n2 removed it, then n1 added it)"
               % (impl, sec(median(a)), sec(max(a)), ms(-median(o))))
    sanity("every run: SIGTERM → a priority-0 advert, the stopped daemon exited 0 without the VIP, the backup took over", True)
    for impl in ("swiftvs", "keepalived"):
        o = res[impl][2]
        sanity("%s: the VIP never on two nodes (n2 removed it before n1 added it in every run; closest %s)"
               % (impl, ms(-max(o))), max(o) < 0)
    goal("swiftvs median within +30 ms of skew (%s over %s s; keepalived %s)"
         % (ms(median(sv[0]) - sk), sec(sk), ms(median(ka[0]) - sk)), median(sv[0]) <= sk + 0.030)
    goal("swiftvs worst run within +30 ms of skew (%s; keepalived's worst %s)"
         % (ms(max(sv[0]) - sk), ms(max(ka[0]) - sk)), max(sv[0]) <= sk + 0.030)


def burners(seconds):
    """One bounded busy loop per core (a shell loop under `timeout`), as a loaded node has."""
    procs = [subprocess.Popen(["timeout", str(int(seconds) + 5), "sh", "-c", "while :; do :; done"],
                              start_new_session=True) for _ in range(os.cpu_count() or 2)]
    STARTED.extend(procs)
    return procs


def case_fast(args, workdir):
    advert, version = 0.05, 3
    mdi = master_down(P_BACKUP, advert, version)
    runs = args.runs
    res = per_implementation(args, workdir, "fast",
                             lambda seg, impl: takeover_runs(seg, impl, args.bin, runs, advert, version, "f"))
    sv, ka = res["swiftvs"], res["keepalived"]
    line("vrrp-fast", "v3/0.05s", median(sv[0]), median(ka[0]))
    for impl in ("swiftvs", "keepalived"):
        g, a, _ = res[impl]
        detail("%s: takeover (last advert → first advert): median %s, worst %s s (MDI(%d) %s s); → first GARP median %s, worst %s s"
               % (impl, sec(median(g)), sec(max(g)), P_BACKUP, sec(mdi), sec(median(a)), sec(max(a))))
    goal("swiftvs takeover under 250 ms (worst %s)" % ms(max(sv[0])), max(sv[0]) < 0.250)

    # The loaded window: both pairs at once, side by side, both cores busy.
    window = args.fast_seconds
    segs = {impl: Segment(workdir, "fast-load-" + impl) for impl in ("keepalived", "swiftvs")}
    pairs = {}
    burn = []
    try:
        for impl, s in segs.items():
            pairs[impl] = start_pair(s, impl, args.bin, advert, version, "load-" + impl)
        burn = burners(window)
        t0 = time.time()
        while time.time() - t0 < window:
            time.sleep(0.5)
            for impl, (m, b) in pairs.items():
                if not (m.running() and b.running()):
                    raise SanityError("%s exited during the loaded window:\n%s%s" % (impl, m.tail(), b.tail()))
        t1 = time.time()
        loads = os.getloadavg()
        quiet = {}
        for p in burn:
            kill_group(p)
            p.wait()
        for impl in ("swiftvs", "keepalived"):
            s = segs[impl]
            m_adv = [a for a in s.adverts(s.addr["n2"], t0) if a.time <= t1]
            b_adv = [a for a in s.adverts(s.addr["n1"], t0) if a.time <= t1]
            events = [e for n in s.names for e in s.address_events(n) if t0 <= e[0] <= t1]
            times = [a.time for a in m_adv]
            worst_gap = max((b - a for a, b in zip(times, times[1:])), default=float("inf"))
            detail("%s under load (%s s, load average %.1f): master sent %d adverts (%.1f/s), longest gap %s (MDI %s); "
                   "backup sent %d; VIP added/removed %d times"
                   % (impl, sec(t1 - t0), loads[0], len(m_adv), len(m_adv) / (t1 - t0), ms(worst_gap), ms(mdi),
                      len(b_adv), len(events)))
            sanity("%s: both daemons ran through the loaded window, and after it the VIP is on the master alone"
                   % impl, s.holds("n2") and not s.holds("n1"))
            quiet[impl] = not b_adv and not events and worst_gap < mdi
        goal("no spurious transition under load: the backup never advertised, the VIP never moved, no master advert "
             "missing for a whole Master_Down_Interval (swiftvs %s; keepalived %s)"
             % ("none" if quiet["swiftvs"] else "SOME", "none" if quiet["keepalived"] else "some"), quiet["swiftvs"])
    finally:
        for p in burn:
            kill_group(p)
            p.wait()
        for m, b in pairs.values():
            stop_pair([b, m])


def case_idle(args, workdir):
    n, window = args.instances, args.idle_seconds
    segs = {impl: Segment(workdir, "idle-" + impl) for impl in ("keepalived", "swiftvs")}
    vips = ["203.0.113.%d/32" % (i + 1) for i in range(n)]

    def instances(state, priority):
        return [("VI_%d" % (i + 1), state, i + 1, priority, 1, 2, [vips[i]]) for i in range(n)]

    daemons = {}
    try:
        for impl, s in segs.items():
            m = Daemon(impl, s, "n2", config(s, "n2", instances("MASTER", P_MASTER)), args.bin, "idle").start()
            b = Daemon(impl, s, "n1", config(s, "n1", instances("BACKUP", P_BACKUP)), args.bin, "idle").start()
            daemons[impl] = (m, b)
        for impl, s in segs.items():
            await_value("%s: n2 holding all %d VIPs" % (impl, n), master_down(P_MASTER, 1, 2) + 5,
                        lambda: s.count_held("n2", "203.0.113.") == n)
        # Past the start-up GARP bursts (both repeat theirs garp_master_delay, 5 s, later), in the
        # smoke pass too: its 1 s settle put keepalived's second burst in the window, and its
        # memory read before swiftvs's first-election release (FirstElectionSpan: at most 4 s to
        # master, the 5 s delay and a second more, 10 s after the start; the read comes after the
        # window, past it).
        time.sleep(max(args.settle, 6))
        t0 = time.time()
        before = {impl: (m.cpu_seconds(), b.cpu_seconds()) for impl, (m, b) in daemons.items()}
        before_rt = {impl: (m.cpu_runtime(), b.cpu_runtime()) for impl, (m, b) in daemons.items()}
        time.sleep(window)
        after = {impl: (m.cpu_seconds(), b.cpu_seconds()) for impl, (m, b) in daemons.items()}
        after_rt = {impl: (m.cpu_runtime(), b.cpu_runtime()) for impl, (m, b) in daemons.items()}
        t1 = time.time()
        mem = {impl: (m.memory(), b.memory()) for impl, (m, b) in daemons.items()}
        ticks = {impl: (after[impl][0] - before[impl][0], after[impl][1] - before[impl][1]) for impl in daemons}
        # The goals and the summary use the exact on-CPU time; the tick-sampled figures follow
        # in the details (the earlier runs' basis).
        delta = Daemon.runtime_delta
        cpu = {impl: (delta(before_rt[impl][0], after_rt[impl][0]), delta(before_rt[impl][1], after_rt[impl][1]))
               for impl in daemons}
        line("vrrp-idle", "%dx1s" % n, cpu["swiftvs"][0], cpu["keepalived"][0], "CPU-s")
        line("vrrp-idle-bkp", "%dx1s" % n, cpu["swiftvs"][1], cpu["keepalived"][1], "CPU-s")
        rss = {impl: mem[impl][0][0] for impl in daemons}
        line("vrrp-idle-rss", "%d" % n, rss["swiftvs"], rss["keepalived"], "MB")
        for impl in ("swiftvs", "keepalived"):
            (mr, mh, ma, mf), (br, bh, ba, bf) = mem[impl]
            detail("%s over %s s: master %.4f CPU-s on a CPU (%.2f%% of a core), backup %.4f CPU-s (%.2f%%); "
                   "utime + stime (tick-sampled): master %s, backup %s"
                   % (impl, fmt(t1 - t0), cpu[impl][0], 100 * cpu[impl][0] / (t1 - t0),
                      cpu[impl][1], 100 * cpu[impl][1] / (t1 - t0), fmt(ticks[impl][0]), fmt(ticks[impl][1])))
            detail("%s RSS: master %.1f MB (peak %.1f; anonymous %.1f, file %.1f), backup %.1f MB (peak %.1f; "
                   "anonymous %.1f, file %.1f)" % (impl, mr, mh, ma, mf, br, bh, ba, bf))
        # Where each master's resident set lies (the mappings of 16 KB and more).
        for impl, (m, _) in daemons.items():
            parts = m.resident_parts()
            detail("%s master's resident set by mapping (KB): %s; others %d KB"
                   % (impl, ", ".join("%s %d" % (k, kb) for kb, k in parts if kb >= 16),
                      sum(kb for kb, _ in parts if kb < 16)))
        for impl, s in segs.items():
            m_adv = [a for a in s.adverts(s.addr["n2"], t0) if a.time <= t1]
            b_adv = [a for a in s.adverts(s.addr["n1"], t0) if a.time <= t1]
            per_vrid = {}
            for a in m_adv:
                per_vrid[a.vrid] = per_vrid.get(a.vrid, 0) + 1
            least = min(per_vrid.get(v, 0) for v in range(1, n + 1))
            sanity("%s: the master advertised every instance about once a second (%d adverts, the least for one VRID %d "
                   "in %s s), the backup never; n2 holds all %d VIPs, n1 none"
                   % (impl, len(m_adv), least, fmt(t1 - t0), n),
                   least >= int((t1 - t0) * 0.9) - 1 and not b_adv
                   and s.count_held("n2", "203.0.113.") == n and s.count_held("n1", "203.0.113.") == 0)
        goal("swiftvs master at most half keepalived's CPU (%s vs %s CPU-s: %s)"
             % (fmt(cpu["swiftvs"][0]), fmt(cpu["keepalived"][0]), ratio(cpu["keepalived"][0], cpu["swiftvs"][0]) + "x"),
             cpu["swiftvs"][0] * 2 <= cpu["keepalived"][0])
        goal("swiftvs backup at most half keepalived's CPU (%s vs %s CPU-s)"
             % (fmt(cpu["swiftvs"][1]), fmt(cpu["keepalived"][1])), cpu["swiftvs"][1] * 2 <= cpu["keepalived"][1])
        goal("swiftvs less memory (RSS master %.1f vs %.1f MB, backup %.1f vs %.1f MB)"
             % (mem["swiftvs"][0][0], mem["keepalived"][0][0], mem["swiftvs"][1][0], mem["keepalived"][1][0]),
             mem["swiftvs"][0][0] < mem["keepalived"][0][0] and mem["swiftvs"][1][0] < mem["keepalived"][1][0])
    finally:
        for m, b in daemons.values():
            stop_pair([b, m])


CASES = {"vrrp-takeover": case_takeover, "vrrp-handover": case_handover, "vrrp-fast": case_fast, "vrrp-idle": case_idle}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", required=True, help="the swiftvs executable")
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--fast-seconds", type=float)
    ap.add_argument("--idle-seconds", type=float)
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--parallel", action="store_true",
                    help="run the two implementations' timing cases at the same time (default with --smoke)")
    ap.add_argument("--prefix", default="vrb",
                    help="namespace names start with this (default vrb; the PID already keeps runs apart)")
    ap.add_argument("cases", nargs="*")
    args = ap.parse_args()
    PREFIX[0] = args.prefix
    args.runs = args.runs or (2 if args.smoke else 20)
    args.fast_seconds = args.fast_seconds or (10 if args.smoke else 300)
    args.idle_seconds = args.idle_seconds or (5 if args.smoke else 60)
    args.settle = 1 if args.smoke else 6
    args.parallel = args.parallel or args.smoke
    cases = args.cases or list(CASES)
    for c in cases:
        if c not in CASES:
            ap.error("unknown case %s" % c)
    if os.geteuid() != 0:
        out("bench-vrrp: needs root (network namespaces)")
        return 1
    for tool in (KEEPALIVED, TCPDUMP, args.bin):
        if not os.access(tool, os.X_OK):
            out("bench-vrrp: %s is missing" % tool)
            return 1
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    global FAILED
    workdir = tempfile.mkdtemp(prefix="swiftvs-bench-vrrp.")
    ka = subprocess.run([KEEPALIVED, "--version"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    out("# vrrp: on the host in namespaces; swiftvs %s; %s; %d runs per timing case, loaded window %s s, idle window %s s"
        % (args.bin, ka.splitlines()[0] if ka else "keepalived ?", args.runs, fmt(args.fast_seconds), fmt(args.idle_seconds)))
    started = time.time()
    for c in cases:
        t = time.time()
        try:
            CASES[c](args, workdir)
        except SanityError as e:
            out("%-13s FAILED" % c)
            detail("SANITY FAILED: " + str(e).replace("\n", "\n    "))
            FAILED += 1
        finally:
            cleanup()
        detail("(%s took %.0f s)" % (c, time.time() - t))
    out("# vrrp: %.0f s in all" % (time.time() - started))
    if FAILED == 0 and not os.environ.get("BENCH_VRRP_KEEP"):
        subprocess.run(["rm", "-rf", workdir])
    else:
        out("# vrrp: logs, configurations and captures kept in %s" % workdir)
    return 1 if FAILED else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        cleanup()
