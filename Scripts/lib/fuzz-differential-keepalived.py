#!/usr/bin/env python3
"""Differential fuzzing of swiftvs's keepalived.conf reading against keepalived 2.2.7's own.

Mutates seed configurations (a line dropped, doubled or swapped, a token dropped or replaced
by a keyword or a boundary number, a brace lost, an unknown keyword added), and for each
mutant asks both `keepalived -t` (in a network namespace holding eth0 and ens160, the
interfaces the seeds name, with its pid files in a temporary directory) and `swiftvs
check-config` whether the file is acceptable. keepalived -t exits 0 for a clean file, 5 for
errors it would "fix" and run anyway, 6 for scripts without script security, 2 for a line it
cannot parse; swiftvs exits 0 or 2. A mutant on which they disagree (keepalived 0 and swiftvs
2, or keepalived non-zero and swiftvs 0) is written to OUT/ with both outputs, and the
disagreements are summarised by keepalived's first message and swiftvs's first error, which is
what the triage in docs/reliability.md works from. Exit status: 0 (disagreements are findings
to triage, not failures), 1 if the run itself failed.
"""
import argparse, os, random, re, shutil, subprocess, sys, tempfile, collections

NS = "fz-diff-%d" % os.getpid()
NUMBERS = ["0", "-1", "1", "255", "256", "65535", "65536", "4294967295", "4294967296", "1.5", "1e3", "0x10", "abc", "-0", "999999999999999999999"]
KEYWORDS = ["virtual_server", "real_server", "vrrp_instance", "vrrp_script", "global_defs", "TCP_CHECK", "HTTP_GET",
            "MISC_CHECK", "interface", "priority", "virtual_router_id", "advert_int", "weight", "delay_loop", "lb_algo",
            "lb_kind", "state", "nopreempt", "authentication", "auth_type", "auth_pass", "virtual_ipaddress",
            "track_script", "connect_timeout", "connect_port", "url", "path", "status_code", "digest", "quorum",
            "sorry_server", "persistence_timeout", "protocol", "include", "unicast_peer", "unicast_src_ip", "notify",
            "router_id", "{", "}", "!", "#", "fwmark", "retry", "delay_before_retry", "misc_path", "misc_timeout",
            "inhibit_on_failure", "alpha", "omega", "ha_suspend", "hysteresis", "version", "bogus_keyword"]


def sh(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, errors="replace", **kw)


def mutate(text, rng):
    lines = text.split("\n")
    kind = rng.choice(["drop-line", "dup-line", "swap-lines", "drop-token", "keyword", "number", "brace", "unknown",
                       "number", "keyword"])
    if not lines:
        return kind, text
    i = rng.randrange(len(lines))
    if kind == "drop-line":
        del lines[i]
    elif kind == "dup-line":
        lines.insert(i, lines[i])
    elif kind == "swap-lines":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "brace":
        idx = [k for k, l in enumerate(lines) if "{" in l or "}" in l]
        if idx:
            k = rng.choice(idx)
            lines[k] = lines[k].replace(rng.choice(["{", "}"]), "", 1)
    elif kind == "unknown":
        lines.insert(i, "  " + rng.choice(KEYWORDS) + (" " + rng.choice(NUMBERS) if rng.random() < 0.5 else ""))
    else:
        toks = lines[i].split()
        if not toks:
            return mutate(text, rng)
        t = rng.randrange(len(toks))
        if kind == "drop-token":
            del toks[t]
        elif kind == "keyword":
            toks[t] = rng.choice(KEYWORDS)
        else:
            nums = [k for k, w in enumerate(toks) if re.fullmatch(r"[0-9.]+", w)]
            toks[rng.choice(nums) if nums else t] = rng.choice(NUMBERS)
        indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
        lines[i] = indent + " ".join(toks)
    return kind, "\n".join(lines)


def keepalived_test(path, tmp):
    r = sh(["ip", "netns", "exec", NS, "keepalived", "-t", "-f", path, "-p", tmp + "/k.pid", "-r", tmp + "/v.pid",
            "-c", tmp + "/c.pid"], timeout=30)
    return r.returncode, (r.stdout + r.stderr).strip()


def swiftvs_check(swiftvs, path):
    r = sh([swiftvs, "check-config", path], timeout=30)
    return r.returncode, (r.stdout + r.stderr).strip()


def first_error(out):
    for l in out.splitlines():
        if "error" in l.lower():
            return re.sub(r"^\S+:\d+:\d+: ", "", l)[:120]
    return (out.splitlines() or ["(nothing)"])[0][:120]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--swiftvs", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    ap.add_argument("seeds", nargs="+")
    a = ap.parse_args()
    if os.geteuid() != 0 or not shutil.which("keepalived"):
        print("fuzz-differential-keepalived: needs root and keepalived (apt-get install keepalived)", file=sys.stderr)
        return 1
    seeds = []
    for p in a.seeds:
        if os.path.isfile(p):
            seeds.append(open(p, errors="replace").read())
    for p in sorted(os.listdir("/usr/share/doc/keepalived/samples")) if os.path.isdir("/usr/share/doc/keepalived/samples") else []:
        if p.startswith("keepalived.conf."):
            seeds.append(open("/usr/share/doc/keepalived/samples/" + p, errors="replace").read())
    shutil.rmtree(a.out, ignore_errors=True)
    os.makedirs(a.out)
    rng = random.Random(a.seed)
    sh(["ip", "netns", "add", NS], check=True)
    try:
        sh(["ip", "-n", NS, "link", "add", "eth0", "type", "veth", "peer", "name", "ens160"], check=True)
        for dev in ("eth0", "ens160", "lo"):
            sh(["ip", "-n", NS, "link", "set", dev, "up"], check=True)
        tally = collections.Counter()
        groups = collections.defaultdict(list)
        with tempfile.TemporaryDirectory(prefix="fz-diff-") as tmp:
            path = tmp + "/keepalived.conf"
            # The seeds themselves first (a baseline: where do they already differ?), then mutants.
            cases = [("seed", s) for s in seeds]
            while len(cases) < len(seeds) + a.count:
                kind, text = mutate(rng.choice(seeds), rng)
                if rng.random() < 0.3:
                    kind2, text = mutate(text, rng)
                    kind += "+" + kind2
                cases.append((kind, text))
            for n, (kind, text) in enumerate(cases):
                open(path, "w").write(text)
                ks, kout = keepalived_test(path, tmp)
                ss, sout = swiftvs_check(a.swiftvs, path)
                if ks not in (0, 2, 5, 6) or ss not in (0, 2):
                    tally["other exit (keepalived %d, swiftvs %d)" % (ks, ss)] += 1
                    continue
                k_ok, s_ok = ks == 0, ss == 0
                if k_ok == s_ok:
                    tally["agree: both %s" % ("accept" if k_ok else "reject")] += 1
                    continue
                side = "keepalived accepts, swiftvs rejects" if k_ok else "keepalived rejects (exit %d), swiftvs accepts" % ks
                tally[side] += 1
                key = (side, first_error(kout) if not k_ok else first_error(sout))
                name = "%s/%04d-%s.conf" % (a.out, n, kind)
                open(name, "w").write(text)
                open(name + ".keepalived", "w").write("exit %d\n%s\n" % (ks, kout))
                open(name + ".swiftvs", "w").write("exit %d\n%s\n" % (ss, sout))
                groups[key].append(os.path.basename(name))
        print("differential keepalived -t vs swiftvs check-config: %d seeds, %d mutants (seed %d)" % (len(seeds), a.count, a.seed))
        for k, v in sorted(tally.items()):
            print("  %-55s %d" % (k, v))
        if groups:
            print("disagreements by the first message of the side that rejects (files in %s):" % a.out)
            for (side, msg), files in sorted(groups.items(), key=lambda kv: -len(kv[1])):
                print("  [%d] %s: %s   e.g. %s" % (len(files), side, msg, files[0]))
    finally:
        sh(["ip", "netns", "del", NS])
    return 0


if __name__ == "__main__":
    sys.exit(main())
