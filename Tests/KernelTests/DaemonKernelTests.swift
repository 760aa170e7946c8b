import Foundation
import Testing
import HealthCheck
import IPVS

/// `swiftvs daemon` end to end, in the seed's topology: a client netns reaches VIP
/// 192.0.2.150 through the director (fwmark 80, lc, direct routing), three real servers in
/// their own netns (VIP on lo, arp_ignore=1/arp_announce=2, busybox httpd), each checked by
/// MISC_CHECK (ping of its address), TCP_CHECK and HTTP_GET.
///
/// Addresses: 192.0.2.128/25 on a bridge, so the /24 of the other kernel suites' dummy
/// interface stays untouched (the longer prefix wins).
extension Kernel {
    @Suite("swiftvs daemon end to end", .serialized)
    struct DaemonKernelTests {
        static let vip = "192.0.2.150"
        static let director = "192.0.2.129"
        static let client = "192.0.2.130"
        static let servers = ["192.0.2.131", "192.0.2.132", "192.0.2.133"]
        static let sorry = "192.0.2.134"
        static let work = "/tmp/swiftvs-daemon-e2e"
        static let delayLoop = 1.0, retry = 1.0
        /// The longest checker timeout: misc_timeout 2 (connect_timeout is 1). Under the VM's
        /// emulated CPU a healthy ping can take over a second to spawn and answer, so 1 s flaps.
        static let timeout = 2.0
        /// Polling (50 ms), process spawning and scheduling under TCG emulation.
        static let slack = 1.0
        /// keepalived's bound for noticing a dead server: delay_loop × (retry + 1) + timeout.
        static var downBound: Double { delayLoop * (retry + 1) + timeout }

        static func config(weight3: Int = 1, withServer1: Bool = true, broken: Bool = false) -> String {
            var s = """
                global_defs {
                  router_id swiftvs-e2e
                }

                virtual_server fwmark 80 {
                  delay_loop 1
                  lb_algo \(broken ? "nonsense" : "lc")
                  lb_kind DR
                  quorum 2
                  sorry_server \(sorry) 0

                """
            for (i, rs) in servers.enumerated() where withServer1 || i != 0 {
                s += """
                      real_server \(rs) {
                        weight \(i == 2 ? weight3 : 1)
                        retry 1
                        delay_before_retry 1
                        MISC_CHECK {
                          misc_path "/usr/bin/ping -c 1 -W 1 \(rs)"
                          misc_timeout 2
                        }
                        TCP_CHECK {
                          connect_port 80
                          connect_timeout 1
                        }
                        HTTP_GET {
                          url {
                            path /
                            status_code 200
                          }
                          connect_port 80
                          connect_timeout 1
                        }
                      }

                    """
            }
            return s + "}\n"
        }

        /// Commands run through swiftvs's own ProcessRunner (posix_spawn + pidfd): the set-up
        /// leaves daemons (httpd) behind, which Foundation's Process does not cope with here.
        static let runner = ProcessRunner(reactor: Reactor(), outputLimit: 1 << 20, killStragglers: false)

        @discardableResult
        static func shell(_ script: String, timeout: Duration = .seconds(120)) async throws -> String {
            let o = await runner.run(.exec(["/bin/sh", "-ec", script]), timeout: timeout)
            guard o.termination == .exited(0) else {
                throw SetupError(message: "\(o.termination): \(script)\n\(o.outputText)")
            }
            return o.outputText
        }

        /// Polls an async condition every 100 ms until it holds or `limit` passes.
        static func until(within limit: Duration, _ condition: () async throws -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + limit
            while true {
                if try await condition() { return true }
                if ContinuousClock.now >= deadline { return false }
                try await Task.sleep(for: .milliseconds(100))
            }
        }

        static func save() async throws -> String { try await shell("ipvsadm-save -n") }

        static func setUpNetwork() async throws {
            var script = """
                rm -rf \(work); mkdir -p \(work)
                ip link add swvsbr0 type bridge
                ip addr add \(director)/25 dev swvsbr0
                ip addr add \(vip)/32 dev swvsbr0
                ip link set swvsbr0 up
                ip netns add swvs-cl
                ip link add swvs-cl type veth peer name eth0 netns swvs-cl
                ip link set swvs-cl master swvsbr0 up
                ip -n swvs-cl link set lo up
                ip -n swvs-cl addr add \(client)/25 dev eth0
                ip -n swvs-cl link set eth0 up
                ip -n swvs-cl route add \(vip)/32 via \(director)

                """
            for (i, rs) in servers.enumerated() {
                let ns = "swvs-rs\(i + 1)"
                script += """
                    ip netns add \(ns)
                    ip link add \(ns) type veth peer name eth0 netns \(ns)
                    ip link set \(ns) master swvsbr0 up
                    ip -n \(ns) link set lo up
                    ip -n \(ns) addr add \(rs)/25 dev eth0
                    ip -n \(ns) addr add \(vip)/32 dev lo
                    ip netns exec \(ns) sysctl -q -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
                    ip -n \(ns) link set eth0 up
                    mkdir -p \(work)/rs\(i + 1)
                    echo "served by rs\(i + 1)" > \(work)/rs\(i + 1)/index.html
                    ip netns exec \(ns) busybox httpd -p 80 -h \(work)/rs\(i + 1) </dev/null >/dev/null 2>&1

                    """
            }
            try await shell(script)
        }

        static func tearDownNetwork() async {
            _ = try? await shell("""
                for ns in swvs-cl swvs-rs1 swvs-rs2 swvs-rs3; do
                  ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
                  ip netns del $ns 2>/dev/null || true
                done
                ip link del swvsbr0 2>/dev/null || true
                iptables -t mangle -F PREROUTING 2>/dev/null || true
                """)
        }

        /// The daemon as a child process (through the runner), its log in a file.
        final class DaemonProcess: Sendable {
            let log: String
            let exit: Task<CheckOutcome, Never>

            convenience init(config: String, tag: String) throws {
                try self.init(arguments: ["--config", config, "--state", "\(work)/state.rules",
                                          "--control", "\(work)/control.sock", "--vip-mark", "\(vip)=80",
                                          "--mark-backend", "iptables", "--log-level", "debug"],
                              log: "\(work)/daemon-\(tag).log")
            }

            /// `swiftvs daemon ARGUMENTS`, its stdout and stderr in `log` (other suites' daemons).
            init(arguments: [String], log: String, timeout: Duration = .seconds(1800)) throws {
                self.log = log
                let argv = [try swiftvsPath(), "daemon"] + arguments
                let line = argv.map { "'\($0)'" }.joined(separator: " ")
                let command = CheckCommand.exec(["/bin/sh", "-c", "exec \(line) >\(log) 2>&1"])
                exit = Task { await DaemonKernelTests.runner.run(command, timeout: timeout) }
            }

            var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

            /// From the daemon's first log line ("… pid N").
            var pid: Int32? {
                guard let r = logText.range(of: ", pid ") else { return nil }
                return Int32(logText[r.upperBound...].prefix { $0.isNumber })
            }

            func signal(_ sig: Int32) {
                if let pid { kill(pid, sig) }
            }

            /// SIGTERM, then the exit status.
            func stop() async -> CheckOutcome.Termination {
                signal(SIGTERM)
                return await exit.value.termination
            }
        }

        static func swiftvsPath() throws -> String {
            let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            var dir = exe.deletingLastPathComponent()
            // The test bundle may be a directory (…/swiftvsPackageTests.xctest/…) on some layouts.
            while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("swiftvs").path) && dir.path != "/" {
                dir = dir.deletingLastPathComponent()
            }
            let path = dir.appendingPathComponent("swiftvs").path
            guard FileManager.default.isExecutableFile(atPath: path) else { throw SetupError(message: "swiftvs binary not found beside the tests") }
            return path
        }

        static func status() async -> String {
            guard let p = try? swiftvsPath() else { return "" }
            return (try? await shell("'\(p)' status --json --control \(work)/control.sock")) ?? ""
        }

        /// Real servers of fwmark 80 in the kernel, from ipvsadm, with their weights.
        static func kernelServers() async throws -> [String: Int] {
            var out: [String: Int] = [:]
            for line in try await save().split(separator: "\n") where line.hasPrefix("-a -f 80 ") {
                let f = line.split(separator: " ")
                if let r = f.firstIndex(of: "-r"), let w = f.firstIndex(of: "-w") {
                    out[String(f[r + 1])] = Int(f[w + 1])
                }
            }
            return out
        }

        /// The whole kernel table the scenario expects, written by hand as ipvsadm-save -n lines
        /// (unordered): the fwmark service with `reals` (address:port → weight) and the
        /// foreign service the daemon must never touch.
        static func expectedRules(_ reals: [String: Int]) -> Set<String> {
            var lines: Set<String> = ["-A -f 80 -s lc", "-A -t 198.51.100.7:80 -s rr",
                                      "-a -t 198.51.100.7:80 -r 198.51.100.8:80 -g -w 1"]
            for (server, weight) in reals { lines.insert("-a -f 80 -r \(server) -g -w \(weight)") }
            return lines
        }

        /// The state file, checked against references that did not write it: its rule lines
        /// must be exactly the hand-written `expectedRules(reals)` and, byte for byte and in
        /// order, what ipvsadm-save -n prints of the kernel now; its only comment line is the
        /// VIP's mark rule. Returns what differs (empty when it matches).
        static func stateFileDiffers(from reals: [String: Int]) async throws -> String {
            let state = (try? String(contentsOfFile: "\(work)/state.rules", encoding: .utf8)) ?? ""
            let lines = state.split(separator: "\n").map(String.init)
            let rules = lines.filter { !$0.hasPrefix("#") }
            let comments = lines.filter { $0.hasPrefix("#") }
            var problems: [String] = []
            if Set(rules) != expectedRules(reals) || rules.count != expectedRules(reals).count {
                problems.append("rules \(rules.sorted()) != expected \(expectedRules(reals).sorted())")
            }
            let kernel = try await save()
            if rules.map({ $0 + "\n" }).joined() != kernel {
                problems.append("rules != ipvsadm-save -n:\n\(kernel.debugDescription)\nthe file:\n\(state.debugDescription)")
            }
            if comments != ["# swiftvs-mark -d \(vip)/32 --mark 80"] { problems.append("comment lines \(comments)") }
            return problems.joined(separator: "; ")
        }

        /// Waits (bounded) for the state file to hold `reals`: it is written after the kernel
        /// changes. Records what still differs when it does not.
        static func expectStateFile(_ reals: [String: Int], _ what: String,
                                    sourceLocation: Testing.SourceLocation = #_sourceLocation) async throws {
            let ok = try await until(within: .seconds(5)) { try await stateFileDiffers(from: reals).isEmpty }
            if !ok {
                Issue.record("state file (\(what)): \(try await stateFileDiffers(from: reals))", sourceLocation: sourceLocation)
            }
        }

        /// Six fetches of http://VIP/ from the client: who answered (nil for a failure).
        static func fetches(_ n: Int = 6) async throws -> [String?] {
            var out: [String?] = []
            for _ in 0..<n {
                let r = try? await shell("ip netns exec swvs-cl curl -s --max-time 3 http://\(vip)/")
                out.append(r.flatMap { $0.hasPrefix("served by ") ? String($0.dropFirst(10).prefix(3)) : nil })
            }
            return out
        }

        /// Seconds until `condition` holds, polled every 50 ms (nil if not within `limit`).
        static func measure(within limit: Double, _ condition: () async throws -> Bool) async throws -> Double? {
            let start = ContinuousClock.now
            while true {
                if try await condition() {
                    let d = ContinuousClock.now - start
                    return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
                }
                if ContinuousClock.now - start > .milliseconds(Int(limit * 1000)) { return nil }
                try await Task.sleep(for: .milliseconds(50))
            }
        }

        static func serviceConnections() throws -> UInt64 {
            try IPVSHandle().service(.fwmark(80, family: .inet)).stats.connections
        }

        static func step(_ s: String) {
            FileHandle.standardError.write(Data("e2e: \(s)\n".utf8))
        }

        @Test static func seedTopologyEndToEnd() async throws {
            step("fresh table")
            _ = try freshTable()
            step("teardown")
            await tearDownNetwork()
            step("setup")
            try await setUpNetwork()
            step("network ready")
            do {
                try await scenario()
            } catch {
                await tearDownNetwork()
                throw error
            }
            await tearDownNetwork()
        }

        static func scenario() async throws {
            // A service the configuration does not name: the daemon must never touch it.
            try await shell("ipvsadm -A -t 198.51.100.7:80 -s rr && ipvsadm -a -t 198.51.100.7:80 -r 198.51.100.8:80 -g")
            let allUp = Dictionary(uniqueKeysWithValues: servers.map { ("\($0):0", 1) })
            let rs1 = "\(servers[0]):0", rs2 = "\(servers[1]):0", rs3 = "\(servers[2]):0"
            let configPath = "\(work)/swiftvs.conf"
            try config().write(toFile: configPath, atomically: true, encoding: .utf8)

            // 1. Start: the service, three real servers, the mark rule; the state file follows.
            var daemon = try DaemonProcess(config: configPath, tag: "1")
            var ok = try await until(within: .seconds(60)) {
                let st = await status()
                return try await kernelServers() == allUp && st.contains("\"checks_run\":") && !st.contains("\"checks_run\":0,")
            }
            #expect(ok, "daemon up with three real servers\n\(daemon.logText)")
            ok = try await until(within: .seconds(20)) { !(await status()).contains("\"last_result\":null") }
            #expect(ok, "every checker has run: see status")
            #expect((await status()).contains("\"state\":\"up\""))
            // The state file is written after the kernel changes: await it, as after every step below.
            try await expectStateFile(allUp, "start")
            let mangle = try run(["/usr/sbin/iptables", "-t", "mangle", "-S", "PREROUTING"]).stdout
            #expect(mangle.contains("-d \(vip)/32") && mangle.contains("0x50"), "mark rule: \(mangle)")
            #expect(try await save().contains("-A -t 198.51.100.7:80 -s rr"))

            step("2. Traffic"); // 2. Traffic flows through the VIP.
            var served = try await fetches()
            #expect(served.allSatisfy { $0 != nil }, "all fetches succeed: \(served)")
            #expect(Set(served.compactMap { $0 }).count >= 2, "lc spreads: \(served)")

            step("3. rs2 is cut"); // 3. rs2 is cut off: removed within delay_loop × (retry+1) + timeout.
            try await shell("ip -n swvs-rs2 link set eth0 down")
            let down = try await measure(within: downBound + 10) { try await kernelServers()[rs2] == nil }
            #expect(down != nil, "rs2 removed\n\(daemon.logText)")
            if let down {
                print("DaemonKernelTests: rs2 removed \(down) s after it was cut (bound \(downBound) s)")
                #expect(down <= downBound + slack, "removed after \(down) s, bound \(downBound) s + \(slack) s of polling and scheduling")
            }
            #expect(try await kernelServers() == [rs1: 1, rs3: 1], "only rs2 removed")
            #expect(daemon.logText.contains("fwmark 80 \(servers[1]):0 DOWN: "), "\(daemon.logText)")
            try await expectStateFile([rs1: 1, rs3: 1], "rs2 removed")
            served = try await fetches()
            #expect(served.allSatisfy { $0 != nil } && !served.contains("rs2"), "traffic keeps flowing to rs1/rs3: \(served)")

            step("4. rs2 comes"); // 4. rs2 comes back: re-added on its checkers' first success.
            try await shell("ip -n swvs-rs2 link set eth0 up")
            let up = try await measure(within: 20) { try await kernelServers()[rs2] != nil }
            #expect(up != nil, "rs2 re-added\n\(daemon.logText)")
            if let up { print("DaemonKernelTests: rs2 re-added \(up) s after it was restored") }
            #expect(try await kernelServers() == allUp, "exactly rs1, rs2, rs3 up, weight 1 each")
            try await expectStateFile(allUp, "rs2 re-added")

            step("5. Quorum"); // 5. Quorum (2): with two servers out, the sorry server replaces them; back when regained.
            try await shell("ip -n swvs-rs1 link set eth0 down; ip -n swvs-rs2 link set eth0 down")
            ok = try await until(within: .seconds(15)) { try await kernelServers() == ["\(sorry):0": 1] }
            #expect(ok, "sorry server in: \n\(daemon.logText)")
            #expect(daemon.logText.contains("quorum lost"))
            try await expectStateFile(["\(sorry):0": 1], "sorry server in")
            try await shell("ip -n swvs-rs1 link set eth0 up; ip -n swvs-rs2 link set eth0 up")
            ok = try await until(within: .seconds(20)) { try await kernelServers() == allUp }
            #expect(ok, "sorry server out: \n\(daemon.logText)")
            #expect(daemon.logText.contains("sorry server out"))
            try await expectStateFile(allUp, "sorry server out")

            step("6. SIGHUP with a changed"); // 6. SIGHUP with a changed configuration: only the difference is applied.
            // Real traffic first, and the counters must show it (the kernel folds its per-CPU
            // counters into the totals every 2 s): a reload that recreated the service would
            // start them again from 0.
            let connectionsAtStart = try serviceConnections()
            served = try await fetches(3)
            #expect(served.allSatisfy { $0 != nil }, "fetches before the reload: \(served)")
            ok = try await until(within: .seconds(15)) { try serviceConnections() >= connectionsAtStart + 3 }
            let counted = try serviceConnections()
            #expect(ok, "the three fetches are counted: \(counted) connections, \(connectionsAtStart) before")
            let connectionsBefore = try serviceConnections()
            #expect(connectionsBefore >= 3)
            let logBefore = daemon.logText.count
            try config(weight3: 2, withServer1: false).write(toFile: configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            ok = try await until(within: .seconds(15)) {
                try await kernelServers() == [rs2: 1, rs3: 2]
                    && daemon.logText.dropFirst(logBefore).contains("reloaded:")
            }
            #expect(ok, "reload applied: \n\(daemon.logText)")
            let reloadLog = String(daemon.logText.dropFirst(logBefore))
            let kernelLines = reloadLog.split(separator: "\n").filter { $0.contains("kernel: ") }
            #expect(kernelLines.count == 2, "exactly two changes: \(kernelLines)")
            #expect(!reloadLog.contains("kernel: -D") && !reloadLog.contains("kernel: -A"), "the service is not recreated")
            // Read once the estimator has ticked at least once since the reload (2 s).
            try await Task.sleep(for: .seconds(2.5))
            let connectionsAfter = try serviceConnections()
            #expect(connectionsAfter >= connectionsBefore, "counters kept over the reload: \(connectionsAfter), \(connectionsBefore) before")
            #expect(reloadLog.contains("checkers kept their state"))
            try await expectStateFile([rs2: 1, rs3: 2], "reload")

            step("7. SIGHUP with a broken"); // 7. SIGHUP with a broken configuration: logged with FILE:LINE:COL, nothing changes.
            let saved = try await save()
            let logBefore2 = daemon.logText.count
            try config(weight3: 2, withServer1: false, broken: true).write(toFile: configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            ok = try await until(within: .seconds(10)) { daemon.logText.contains("keeping the running configuration") }
            #expect(ok, "\(daemon.logText)")
            #expect(daemon.logText.dropFirst(logBefore2).contains("\(configPath):7:11: lb_algo: unknown scheduler 'nonsense'"), "\(daemon.logText)")
            #expect(try await save() == saved)
            #expect((await status()).contains("\"checks_run\""), "still running")

            step("8. Restart"); // 8. Restart: the table is adopted as it is, nothing flaps.
            try config(weight3: 2, withServer1: false).write(toFile: configPath, atomically: true, encoding: .utf8)
            let connections = try serviceConnections()
            #expect(connections >= connectionsBefore, "\(connections) connections before the restart")
            #expect(await daemon.stop() == .exited(0))
            #expect(try await save() == saved, "SIGTERM leaves the table")
            daemon = try DaemonProcess(config: configPath, tag: "2")
            ok = try await until(within: .seconds(30)) {
                let st = await status()
                return st.contains("\"checks_run\":") && !st.contains("\"last_result\":null")
            }
            #expect(ok, "restarted daemon has checked everything\n\(daemon.logText)")
            // Two more rounds of checks.
            try await Task.sleep(for: .seconds(2))
            #expect(try await save() == saved, "restart changed nothing")
            #expect(daemon.logText.contains("kernel table adopted as it is"), "\(daemon.logText)")
            #expect(!daemon.logText.contains("kernel: "), "no kernel change at all: \(daemon.logText)")
            let connectionsAfterRestart = try serviceConnections()
            #expect(connectionsAfterRestart > 0 && connectionsAfterRestart >= connections,
                    "counters kept over the restart: \(connectionsAfterRestart), \(connections) before")
            try await expectStateFile([rs2: 1, rs3: 2], "restart")
            #expect(await daemon.stop() == .exited(0))
            #expect(try ipvsadm("-L", "-n", "-t", "198.51.100.7:80").status == 0, "the foreign service was never touched")
        }
    }
}
