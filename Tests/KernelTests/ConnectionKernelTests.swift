import Foundation
import Testing
import IPVS

extension Kernel {
    /// `swiftvs list -c` against `ipvsadm -L -c` on a live connection table: the scenario of
    /// Scripts/lib/conn-scenario.sh (clients and real servers in namespaces; TCP/UDP/SCTP, IPv4
    /// and IPv6, NAT/DR/TUN, fwmark, persistence templates, SIP engine when the kernel has it).
    ///
    /// The entries' expiry counts down while the tools run, so two reads of the live file are
    /// rarely equal. Two comparisons, both honest:
    /// - frozen: one snapshot of the file is given to both tools as /proc/net/ip_vs_conn
    ///   (Scripts/lib/frozen-conn.sh, a private /proc): the outputs must be equal byte for byte;
    /// - live: both read the kernel's file one after the other; every line must be equal except
    ///   the expiry, which may only be the same or less in the later read by at most the time
    ///   the two reads took (plus a second), in the same order (no entry came or went), else it
    ///   is retried (`expectLiveMatch`).
    @Suite("connection table against ipvsadm -L -c", .serialized)
    struct ConnectionKernelTests {
        static let scenario = packageRoot.appendingPathComponent("Scripts/lib/conn-scenario.sh").path
        static let frozen = packageRoot.appendingPathComponent("Scripts/lib/frozen-conn.sh").path

        static func withScenario(_ body: () throws -> Void) throws {
            // Leftovers of an interrupted earlier run (best effort: a failure shows at set-up).
            _ = try? run(["/bin/bash", scenario, "teardown"])
            // Not freshTable(): its dummy holds 198.51.100.1/24, the scenario's real-server link.
            let ipvs = try IPVSHandle()
            try ipvs.flush()
            try ipvs.setTimeouts(kernelDefaultTimeouts)
            // The teardown is due from here on, also when the set-up fails half way: its links
            // (203.0.113.1/24 on cncl0) left behind made a later suite's broadcast address stay one.
            defer {
                // A teardown that leaves links behind broke the next case's set-up once: say so here.
                do {
                    try sh("bash \(scenario) teardown")
                    for link in ["cnvip", "cncl0", "cnrs0"] {
                        let left = try run(["/usr/sbin/ip", "-br", "link", "show", link])
                        #expect(left.status != 0, "the scenario's teardown left \(link) behind")
                    }
                } catch { Issue.record("scenario teardown: \(error)") }
            }
            try sh("bash \(scenario) setup && bash \(scenario) traffic")
            try body()
        }

        /// Both tools on one snapshot of the live file.
        static func frozenPair(_ ipvsadmArgs: [String], _ swiftvsArgs: [String]) throws -> (ipvsadm: String, swiftvs: String) {
            let snapshot = "/tmp/conn-snapshot-\(getpid())"
            try sh("cat /proc/net/ip_vs_conn > \(snapshot)")
            defer { unlink(snapshot) }
            let a = try run(["/bin/bash", frozen, snapshot, "/usr/sbin/ipvsadm"] + ipvsadmArgs)
            let s = try run(["/bin/bash", frozen, snapshot, swiftvsBinary] + swiftvsArgs)
            #expect(a.status == 0 && s.status == 0, "ipvsadm: \(a.stderr) swiftvs: \(s.stderr)")
            return (a.stdout, s.stdout)
        }

        /// The live comparison: `ipvsadm` (its whole command line) then `swiftvs swiftvsArgs` read
        /// the kernel's file one after the other, up to ten times, until the two outputs are
        /// equal but for the expiry countdown; `inspect` sees each swiftvs output. An entry's
        /// expiry can only have counted down by the time between the two reads (a loaded VM
        /// takes seconds per run), plus one for the second boundary it may cross. A failure
        /// prints the last pair.
        static func expectLiveMatch(_ ipvsadm: [String], _ swiftvsArgs: [String],
                                    inspect: (_ swiftvs: (status: Int32, stdout: String, stderr: String)) -> Void = { _ in }) throws {
            var last = (ipvsadm: "", swiftvs: "", slack: 0)
            for _ in 0..<10 {
                let started = ContinuousClock.now
                let i = try run(ipvsadm)
                let w = try swiftvs(swiftvsArgs)
                let slack = Int((ContinuousClock.now - started).components.seconds) + 1
                #expect(i.status == 0 && w.status == 0, "ipvsadm: \(i.stderr) swiftvs: \(w.stderr)")
                inspect(w)
                if w.stdout == i.stdout || equalButForTiming(i.stdout, w.stdout, slack: slack) { return }
                last = (i.stdout, w.stdout, slack)
            }
            Issue.record("live \(swiftvsArgs): swiftvs and ipvsadm differ beyond the expiry countdown (\(last.slack) s)\n--- ipvsadm\n\(last.ipvsadm)--- swiftvs\n\(last.swiftvs)")
        }

        /// Lines equal but for the expiry column (`MM:SS`, the second field), which may be up to
        /// `slack` seconds lower in `later`.
        static func equalButForTiming(_ earlier: String, _ later: String, slack: Int) -> Bool {
            let e = earlier.split(separator: "\n", omittingEmptySubsequences: false)
            let l = later.split(separator: "\n", omittingEmptySubsequences: false)
            guard e.count == l.count else { return false }
            for (x, y) in zip(e, l) where x != y {
                let xf = x.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
                let yf = y.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
                guard xf.count == 3, yf.count == 3, xf[0] == yf[0], xf[2] == yf[2],
                      let tx = seconds(xf[1]), let ty = seconds(yf[1]), ty <= tx, tx - ty <= slack else { return false }
            }
            return true
        }

        static func seconds(_ mmss: Substring) -> Int? {
            let p = mmss.split(separator: ":")
            guard p.count == 2, let m = Int(p[0]), let s = Int(p[1]) else { return nil }
            return m * 60 + s
        }

        @Test("list -c, -c -n, --persistent-conn: byte for byte ipvsadm's, on a frozen and on the live table")
        func matchesIpvsadm() throws {
            try Self.withScenario {
                let live = try String(contentsOfFile: "/proc/net/ip_vs_conn", encoding: .utf8)
                #expect(live.contains("ESTABLISHED") && live.contains("UDP ") && live.contains("2001:0db8"), "\(live)")
                #expect(live.split(separator: "\n").count > 10)
                for (a, s) in [(["-L", "-c", "-n"], ["list", "-c", "-n"]),
                               (["-L", "-c"], ["list", "-c"]),
                               (["-L", "-c", "-n", "--persistent-conn"], ["list", "-c", "-n", "--persistent-conn"]),
                               (["-lcn", "--exact"], ["list", "--connection", "-n", "--exact"])] {
                    let pair = try Self.frozenPair(a, s)
                    #expect(pair.swiftvs == pair.ipvsadm, "frozen \(a)")
                    #expect(pair.ipvsadm.hasPrefix("IPVS connection entries\n"))
                }
                for (a, s) in [(["-L", "-c", "-n"], ["list", "-c", "-n"]), (["-L", "-c"], ["list", "-c"])] {
                    try Self.expectLiveMatch(["/usr/sbin/ipvsadm"] + a, s)
                }
            }
        }

        @Test("--json and --summary count what the text lists; filters keep their entries only")
        func jsonSummaryFilters() throws {
            try Self.withScenario {
                let snapshot = "/tmp/conn-snapshot-\(getpid())"
                try sh("cat /proc/net/ip_vs_conn > \(snapshot)")
                defer { unlink(snapshot) }
                func frozen(_ args: [String]) throws -> String {
                    let r = try run(["/bin/bash", Self.frozen, snapshot, swiftvsBinary] + args)
                    #expect(r.status == 0, "\(args): \(r.stderr)")
                    return r.stdout
                }
                let text = try frozen(["list", "-c", "-n"])
                let entries = text.split(separator: "\n").count - 2
                let json = try JSONSerialization.jsonObject(with: Data(try frozen(["list", "-c", "--json"]).utf8)) as? [String: Any]
                #expect((json?["connections"] as? [Any])?.count == entries)
                let summary = try JSONSerialization.jsonObject(with: Data(try frozen(["list", "-c", "--summary", "--json"]).utf8)) as? [String: Any]
                #expect(summary?["total"] as? Int == entries)
                let nat = try frozen(["list", "-c", "-n", "-t", "192.0.2.100:8080"])
                let natLines = text.split(separator: "\n").filter { $0.contains(" 192.0.2.100:8080 ") }
                #expect(nat.split(separator: "\n").dropFirst(2).map(String.init) == natLines.map(String.init))
                #expect(!natLines.isEmpty)
                let established = try frozen(["list", "-c", "-n", "--state", "ESTABLISHED"])
                let shown: [String] = established.split(separator: "\n").dropFirst(2).map(String.init)
                let expected: [String] = text.split(separator: "\n").filter { $0.contains(" ESTABLISHED ") }.map(String.init)
                #expect(shown == expected)
            }
        }

        @Test("--netns reads the namespace's own table")
        func namespaceTable() throws {
            try Self.withScenario {
                // A table of its own in cn-rs: a UDP service on its address, used by its own traffic.
                try sh("""
                    ip netns exec cn-rs ipvsadm -A -u 198.51.100.12:5353 -s rr
                    ip netns exec cn-rs ipvsadm -a -u 198.51.100.12:5353 -r 198.51.100.1:5353 -g
                    ip netns exec cn-rs /usr/bin/python3 \(packageRoot.path)/Scripts/lib/conn-traffic.py udp 198.51.100.12 5353 2
                    """)
                try Self.expectLiveMatch(["/usr/sbin/ip", "netns", "exec", "cn-rs", "/usr/sbin/ipvsadm", "-L", "-c", "-n"],
                                         ["list", "-c", "-n", "--netns", "cn-rs"]) { w in
                    #expect(w.stdout.contains("198.51.100.12:5353"), "\(w.stdout)")
                    #expect(!w.stdout.contains("192.0.2.100"), "the root namespace's entries leaked in: \(w.stdout)")
                }
                #expect(try swiftvs(["list", "-c", "--netns", "cn-none"]).status == 1)
            }
        }
    }
}
