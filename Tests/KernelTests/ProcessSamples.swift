import Foundation

/// What /proc says about a running daemon, sampled over a long run: resident memory, open
/// descriptors, and its children that are zombies (exited, not reaped). The fault and soak
/// suites assert from these that nothing grows after the warm-up.
struct ProcessSample: Sendable {
    /// Seconds since the sampling started.
    var at: Double
    /// VmRSS, in KiB.
    var rssKiB: Int
    /// RssAnon, in KiB: the heap, the stacks and other private memory, without the mapped files
    /// (code and constants), which the page cache and the start-up release move in and out.
    var anonKiB: Int
    /// Entries of /proc/PID/fd.
    var fds: Int
    /// Pids of the process's children in state Z.
    var zombies: Set<Int32>
    /// Its children, zombies included.
    var children: Int
    /// CPU time it has used so far (user + system), in seconds.
    var cpu: Double

    /// Reads the sample of `pid` now (nil when the process is gone).
    static func take(_ pid: Int32, at: Double) -> ProcessSample? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              case let kiB = kilobytes(status), let rss = kiB["VmRSS"], let anon = kiB["RssAnon"],
              let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
              let own = statFields(pid), own.count > 12, let utime = Double(own[11]), let stime = Double(own[12]) else { return nil }
        let children = children(of: pid)
        let zombies = children.filter { statFields($0)?.first == "Z" }
        return ProcessSample(at: at, rssKiB: rss, anonKiB: anon, fds: fds.count, zombies: Set(zombies), children: children.count,
                             cpu: (utime + stime) / Double(sysconf(Int32(_SC_CLK_TCK))))
    }

    /// The "Name: N kB" lines of /proc/PID/status, by name, read in one pass.
    static func kilobytes(_ status: String) -> [Substring: Int] {
        var out: [Substring: Int] = [:]
        for line in status.split(separator: "\n") where line.hasSuffix(" kB") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            out[line[..<colon]] = Int(line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" }).first ?? "")
        }
        return out
    }

    /// The fields of /proc/PID/stat after "PID (comm)": state, ppid, … (comm may hold spaces).
    static func statFields(_ pid: Int32) -> [Substring]? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }

    /// Each thread of `pid`: its name, state, the kernel function it sleeps in and the system
    /// call it is in (the first field of /proc/…/syscall), for a report on a stall.
    static func threads(of pid: Int32) -> String {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.sorted().map { t in
            let base = "/proc/\(pid)/task/\(t)"
            let comm = ((try? String(contentsOfFile: base + "/comm", encoding: .utf8)) ?? "?").trimmingCharacters(in: .whitespacesAndNewlines)
            let state = statFields(Int32(t) ?? 0)?.first ?? "?"
            let wchan = (try? String(contentsOfFile: base + "/wchan", encoding: .utf8)) ?? "?"
            let call = ((try? String(contentsOfFile: base + "/syscall", encoding: .utf8)) ?? "?").split(separator: " ").first ?? "?"
            return "\(t) \(comm) \(state) \(wchan) syscall \(call)"
        }.joined(separator: "; ")
    }

    /// The children of `pid`, of every thread.
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { t in
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(t)/children", encoding: .utf8)) ?? "").split(separator: " ").compactMap { Int32($0) }
        }
    }
}

/// A run's samples judged after its warm-up: the first third of what follows the warm-up is
/// the reference, the last third must not be above it by more than the allowance.
struct SampleSeries: Sendable {
    var samples: [ProcessSample] = []
    /// Seconds of start-up whose samples are not judged.
    var warmUp: Double

    private var judged: [ProcessSample] { samples.filter { $0.at >= warmUp } }
    private var firstThird: ArraySlice<ProcessSample> { judged.prefix(max(1, judged.count / 3)) }
    private var lastThird: ArraySlice<ProcessSample> { judged.suffix(max(1, judged.count / 3)) }

    /// Highest RSS (KiB) after the warm-up: first third, last third.
    var rss: (first: Int, last: Int) {
        (firstThird.map(\.rssKiB).max() ?? 0, lastThird.map(\.rssKiB).max() ?? 0)
    }

    /// Highest RssAnon (KiB) after the warm-up: first third, last third.
    var anon: (first: Int, last: Int) {
        (firstThird.map(\.anonKiB).max() ?? 0, lastThird.map(\.anonKiB).max() ?? 0)
    }

    /// Whether private memory stayed flat after the warm-up: the last third's highest RssAnon
    /// within max(1 MiB, 10 %) of the first third's. A leak grows it; mapped code that the
    /// kernel's reclaim takes out and the daemon faults back in moves VmRSS, not this.
    var privateMemoryFlat: Bool { anon.last <= anon.first + max(1024, anon.first / 10) }

    /// Whether VmRSS stayed flat after the warm-up: the last third's highest within max(2 MiB,
    /// 5 %) of the first third's (judged only after the full warm-up: see `judgesRSS`).
    var rssFlat: Bool { rss.last <= rss.first + max(2048, rss.first / 20) }

    /// Most descriptors after the warm-up: first third, last third.
    var fds: (first: Int, last: Int) {
        (firstThird.map(\.fds).max() ?? 0, lastThird.map(\.fds).max() ?? 0)
    }

    /// Most descriptors beyond one per running child (its pidfd) after the warm-up: first
    /// third, last third. For a daemon that is never without a check running.
    var fdsBeyondChildren: (first: Int, last: Int) {
        (firstThird.map { $0.fds - $0.children }.max() ?? 0, lastThird.map { $0.fds - $0.children }.max() ?? 0)
    }

    /// Zombies seen in two samples in a row (a child reaped late, not just caught between its
    /// exit and its reaping).
    var lingeringZombies: Set<Int32> {
        var out = Set<Int32>()
        for (a, b) in zip(samples, samples.dropFirst()) { out.formUnion(a.zombies.intersection(b.zombies)) }
        return out
    }

    /// One line for the log and the docs.
    var summary: String {
        let r = rss, f = fds
        let span = (samples.last?.at ?? 0) - (samples.first?.at ?? 0)
        let cpu = span > 0 ? ((samples.last?.cpu ?? 0) - (samples.first?.cpu ?? 0)) / span : 0
        return "daemon CPU \(Int(cpu * 100))%, children at most \(samples.map(\.children).max() ?? 0); \(samples.count) samples over \(Int(samples.last?.at ?? 0)) s (warm-up \(Int(warmUp)) s): "
            + "RSS \(samples.first?.rssKiB ?? 0) KiB at start, max \(r.first) KiB after warm-up, max \(r.last) KiB in the last third (anonymous: \(samples.first?.anonKiB ?? 0), \(anon.first), \(anon.last) KiB); "
            + "fds max \(f.first) after warm-up, max \(f.last) in the last third (beyond the running children: \(fdsBeyondChildren.first), \(fdsBeyondChildren.last)); zombies seen twice in a row: \(lingeringZombies.count)"
    }
}
