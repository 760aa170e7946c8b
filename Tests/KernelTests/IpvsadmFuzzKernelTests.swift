import Foundation
import Testing
import IPVS
import TestSupport

/// Random ipvsadm command lines, run from the same starting table through Debian's ipvsadm and
/// through `swiftvs ipvsadm`: the same stdout, stderr, exit status and table afterwards (the
/// corpus test's comparison, `IpvsadmDifferentialKernelTests`, on generated lines). A line is
/// a command, options drawn from every option ipvsadm has with values both valid and not, then
/// now and again a word dropped, repeated, cut short or replaced by junk.
///
/// Bounded: `SWIFTVS_IPVSADM_FUZZ` lines (runs only when set), from `SWIFTVS_IPVSADM_FUZZ_SEED`
/// (default: random, printed, so a failing run can be replayed). Every differing line is listed
/// with both outcomes.
enum IpvsadmFuzz {
    static let count = ProcessInfo.processInfo.environment["SWIFTVS_IPVSADM_FUZZ"].flatMap { Int($0) }
    static let seed = ProcessInfo.processInfo.environment["SWIFTVS_IPVSADM_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1...UInt64.max)

    static let commands = ["-A", "-E", "-D", "-C", "-a", "-e", "-d", "-L", "-l", "-Z", "--set", "-S", "--start-daemon",
                           "--stop-daemon", "-h", "-v", "--add-service", "--edit-service", "--delete-service", "--clear",
                           "--add-server", "--edit-server", "--delete-server", "--list", "--zero", "--save"]
    static let services = ["-t 192.0.2.100:80", "-u 192.0.2.100:53", "-f 80", "-f 6 -6", "-t [2001:db8::100]:443",
                           "--sctp-service 192.0.2.100:9000", "-t 192.0.2.7:80", "-t 192.0.2.100", "-u 192.0.2.100:0",
                           "-f 0", "-f 81", "-t 192.0.2.100:http", "-t [2001:db8::100]", "-t 2001:db8::100:443",
                           "-t 192.0.2.256:80", "-t 192.0.2.100:65536", "-f x", "-t :80", "--tcp-service 192.0.2.100:80"]
    static let servers = ["192.0.2.11:80", "192.0.2.12:8080", "192.0.2.13", "192.0.2.14:80", "[2001:db8::11]:443",
                          "[2001:db8::12]", "192.0.2.11", "192.0.2.300", "192.0.2.11:99999", "example.invalid:80", ""]
    static let options: [[String]] = [
        ["-s", "rr"], ["-s", "wlc"], ["-s", "lc"], ["-s", "sh"], ["-s", "mh"], ["-s", "nope"], ["-s", ""],
        ["-p"], ["-p", "60"], ["-p", "0"], ["-p", "x"], ["-M", "255.255.255.0"], ["-M", "24"], ["-M", "x"],
        ["-b", "sh-port"], ["-b", "sh-fallback,sh-port"], ["-b", "mh-port"], ["-b", "nope"],
        ["-w", "0"], ["-w", "1"], ["-w", "100"], ["-w", "65535"], ["-w", "-1"], ["-w", "x"], ["-w", ""],
        ["-x", "10"], ["-y", "5"], ["-x", "-2"], ["-g"], ["-i"], ["-m"], ["--gatewaying"], ["--masquerading"], ["--ipip"],
        ["--tun-type", "gue", "--tun-port", "6080"], ["--tun-type", "ipip"], ["--tun-nocsum"],
        ["-n"], ["--numeric"], ["--exact"], ["--stats"], ["--rate"], ["--thresholds"], ["--persistent-conn"],
        ["--sort"], ["-c"], ["--connection"], ["--timeout"], ["-6"], ["-o"], ["--pe", "sip"],
        ["--mcast-interface", "lo"], ["--syncid", "7"], ["master"], ["backup"], ["5"], ["10", "20", "30"],
    ]
    static let junk = ["-", "--", "-z", "--nope", "x", "-tt", "-t", "-r", "-s", "-w", "''", "192.0.2.100:80", "-A", "-L"]

    static func line(_ g: inout SplitMix) -> [String] {
        var words = [commands.randomElement(using: &g)!]
        if Int.random(in: 0..<10, using: &g) < 8 { words += services.randomElement(using: &g)!.split(separator: " ").map(String.init) }
        if Int.random(in: 0..<10, using: &g) < 5 { words += ["-r", servers.randomElement(using: &g)!] }
        for _ in 0..<Int.random(in: 0...3, using: &g) { words += options.randomElement(using: &g)! }
        if Int.random(in: 0..<4, using: &g) == 0, !words.isEmpty {
            let i = Int.random(in: 0..<words.count, using: &g)
            switch Int.random(in: 0..<4, using: &g) {
            case 0: words.remove(at: i)
            case 1: words.insert(words[i], at: i)
            case 2: words[i] = String(words[i].prefix(max(1, words[i].count / 2)))
            default: words.insert(junk.randomElement(using: &g)!, at: i)
            }
        }
        if Int.random(in: 0..<8, using: &g) == 0 { words.shuffle(using: &g) }
        return words
    }
}

extension Kernel {
    @Suite("ipvsadm command lines: random lines, swiftvs against ipvsadm", .serialized,
           .enabled(if: IpvsadmFuzz.count != nil, "a bounded fuzz run: SWIFTVS_IPVSADM_FUZZ=LINES [SWIFTVS_IPVSADM_FUZZ_SEED=N]"))
    struct IpvsadmFuzzKernelTests {
        @Test func randomLinesAsIpvsadmDoes() throws {
            let count = try #require(IpvsadmFuzz.count)
            print("ipvsadm fuzz: \(count) lines, seed \(IpvsadmFuzz.seed)")
            let ipvs = try freshTable()
            let base = try IpvsadmDifferentialKernelTests.build(ipvs)
            var g = SplitMix(state: IpvsadmFuzz.seed)
            var differing: [String] = []
            var statuses: [Int32: Int] = [:]
            for n in 0..<count {
                let words = IpvsadmFuzz.line(&g)
                try IpvsadmDifferentialKernelTests.reset(ipvs, to: base)
                let t = try spawn("/usr/sbin/ipvsadm", argv0: "ipvsadm", words, stdin: nil)
                let theirs = Outcome(status: t.status, stdout: t.stdout, stderr: t.stderr, table: try IpvsadmDifferentialKernelTests.table(ipvs))
                try IpvsadmDifferentialKernelTests.reset(ipvs, to: base)
                let o = try spawn(swiftvsBinary, argv0: "swiftvs", ["ipvsadm"] + words, stdin: nil)
                let ours = Outcome(status: o.status, stdout: o.stdout, stderr: o.stderr, table: try IpvsadmDifferentialKernelTests.table(ipvs))
                statuses[theirs.status, default: 0] += 1
                let quoted = words.map { $0.isEmpty || $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
                if ours != theirs {
                    differing.append("line \(n): \(quoted)\n=== ipvsadm\n\(theirs)\n=== swiftvs ipvsadm\n\(ours)")
                }
            }
            try IpvsadmDifferentialKernelTests.reset(ipvs, to: base)
            try ipvs.flush()
            print("ipvsadm fuzz: \(count) lines, ipvsadm's exit statuses \(statuses.sorted { $0.key < $1.key }), \(differing.count) differing")
            #expect(differing.isEmpty, "\(differing.count) of \(count) lines differ (seed \(IpvsadmFuzz.seed)):\n\(differing.prefix(20).joined(separator: "\n\n"))")
        }
    }
}
