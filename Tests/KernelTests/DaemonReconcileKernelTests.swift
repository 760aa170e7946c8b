import Foundation
import Testing
import HealthCheck
import IPVS

/// The daemon's reconcile behaviours against the real kernel (the host tests show them only
/// against a table built from swiftvs's own simulator): one `swiftvs daemon`, one virtual server
/// per behaviour, each real server's MISC_CHECK driven by a file the test creates or removes.
///
/// * 198.51.100.10 `alpha`: a real server starts down; the failing one never enters the kernel.
/// * 198.51.100.20: without alpha a failing server is in the kernel from the start and removed
///   after its retries; under `inhibit_on_failure` one stays with weight 0.
/// * 198.51.100.30 `misc_dynamic`: the check's exit status sets the kernel weight (status − 2).
/// * 198.51.100.40 `quorum 2` with a sorry server and notify_up/down, quorum_up/down scripts run
///   as other users (`nobody nogroup`, `daemon nogroup`): they write who they ran as. The
///   daemon runs with `--max-processes 1`, and notify_down holds its slot for 1.5 s: no check
///   may run meanwhile (scripts and checks share the process slots).
/// * 198.51.100.50 `omega`: removed from the kernel at shutdown, its notify_down and quorum_down
///   run; the other virtual servers are left as they are.
///
/// The checks are `/bin/busybox test` and `/bin/busybox sh` (static: a dynamic executable costs
/// 30–55 ms per exec under the VM's emulated CPU); the scripts are busybox sh scripts.
extension Kernel {
    @Suite("swiftvs daemon: reconcile behaviours against the kernel", .serialized)
    struct DaemonReconcileKernelTests {
        static let dir = "/tmp/swvs-rec"
        static let runner = DaemonKernelTests.runner

        /// A MISC_CHECK that succeeds while `dir/up-N` exists.
        static func check(_ n: Int) -> String {
            "    MISC_CHECK {\n      misc_path \"/bin/busybox test -e \(dir)/up-\(n)\"\n      misc_timeout 2\n    }\n"
        }

        static func virtualServer(_ n: Int, _ body: String) -> String {
            """
            virtual_server 198.51.100.\(n) 80 {
              delay_loop 1
              retry 1
              delay_before_retry 1
              warmup 0
              lb_algo rr
              lb_kind NAT
              protocol TCP
            \(body)}

            """
        }

        static var config: String {
            virtualServer(10, """
                  alpha
                  real_server 198.51.100.11 80 {
                \(check(11))  }
                  real_server 198.51.100.12 80 {
                \(check(12))  }

                """)
            + virtualServer(20, """
                  real_server 198.51.100.21 80 {
                \(check(21))  }
                  real_server 198.51.100.22 80 {
                    inhibit_on_failure
                \(check(22))  }
                  real_server 198.51.100.23 80 {
                \(check(23))  }

                """)
            + virtualServer(30, """
                  real_server 198.51.100.31 80 {
                    weight 5
                    MISC_CHECK {
                      misc_path "/bin/busybox sh \(dir)/dyn"
                      misc_timeout 2
                      misc_dynamic
                    }
                  }

                """)
            + virtualServer(40, """
                  quorum 2
                  sorry_server 198.51.100.49 80
                  quorum_up "\(dir)/note quorum-up" daemon nogroup
                  quorum_down "\(dir)/note quorum-down" daemon nogroup
                  real_server 198.51.100.41 80 {
                    notify_up "\(dir)/note up-41" nobody nogroup
                    notify_down "\(dir)/note down-41" nobody nogroup
                \(check(41))  }
                  real_server 198.51.100.42 80 {
                    MISC_CHECK {
                      misc_path "/bin/busybox sh \(dir)/check42"
                      misc_timeout 2
                    }
                  }

                """)
            + virtualServer(50, """
                  omega
                  quorum_down "\(dir)/note omega-quorum-down"
                  real_server 198.51.100.51 80 {
                    notify_down "\(dir)/note omega-down-51"
                \(check(51))  }

                """)
        }

        static func setUp() async throws {
            try await DaemonKernelTests.shell("""
                rm -rf \(dir); mkdir -p \(dir); chmod 1777 \(dir)
                cd \(dir)
                touch up-11 up-21 up-41 up-42 up-51
                echo 0 > weight
                printf 'read w < \(dir)/weight\\nexit $w\\n' > dyn
                cat > note <<'EOF'
                #!/bin/busybox sh
                read t _ < /proc/uptime; echo "$1 start $t" >> \(dir)/times.log
                echo "$1 $(/bin/busybox id -u):$(/bin/busybox id -g)" >> \(dir)/scripts.log
                [ "$1" != down-41 ] || /bin/busybox sleep 1.5
                read t _ < /proc/uptime; echo "$1 end $t" >> \(dir)/times.log
                EOF
                chmod 755 note
                printf 'read t _ < /proc/uptime\\necho "check $t" >> \(dir)/times.log\\n' > check42
                touch scripts.log times.log; chmod 666 scripts.log times.log
                """)
        }

        /// The kernel's virtual servers (address:port, or `fwmark N`) and their real servers'
        /// weights, read through netlink (no exec: polled every 20 ms).
        ///
        /// The daemon under test changes the table while it is polled, so a dump can be torn
        /// between its parts; the binding reads those again (`Connection.readWhole`). A real
        /// server listed twice here would be a torn read the binding let through: it fails.
        static func table() throws -> [String: [String: Int32]] {
            var out: [String: [String: Int32]] = [:]
            for e in try IPVSHandle().services() {
                let name: String
                switch e.service.key {
                case let .address(_, address, port): name = "\(address):\(port)"
                case let .fwmark(mark, _): name = "fwmark \(mark)"
                }
                var weights: [String: Int32] = [:]
                for d in e.destinations {
                    let key = "\(d.destination.address):\(d.destination.port)"
                    guard weights.updateValue(d.destination.weight, forKey: key) == nil else {
                        throw SetupError("the binding returned a torn read: \(key) listed twice in \(name)")
                    }
                }
                out[name] = weights
            }
            return out
        }

        static func vs(_ n: Int) -> String { "198.51.100.\(n):80" }
        static func rs(_ n: Int) -> String { "198.51.100.\(n):80" }

        /// Polls the kernel every 20 ms until `condition` holds on it (nil: not within `limit`),
        /// handing every table seen to `seen`.
        static func await(within limit: Duration = .seconds(20), seen: (([String: [String: Int32]]) -> Void)? = nil,
                          _ condition: ([String: [String: Int32]]) -> Bool) async throws -> [String: [String: Int32]]? {
            let deadline = ContinuousClock.now + limit
            while true {
                let t = try table()
                seen?(t)
                if condition(t) { return t }
                if ContinuousClock.now >= deadline { return nil }
                try await Task.sleep(for: .milliseconds(20))
            }
        }

        static var scriptLines: [String] {
            ((try? String(contentsOfFile: "\(dir)/scripts.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        static var timesLog: [String] {
            ((try? String(contentsOfFile: "\(dir)/times.log", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        }

        /// The uptime `what` ("down-41 start") was logged at.
        static func times(_ what: String) -> Double? {
            timesLog.first { $0.hasPrefix(what + " ") }.flatMap { Double($0.dropFirst(what.count + 1)) }
        }

        static func awaitScript(_ line: String) async throws -> Bool {
            try await DaemonKernelTests.until(within: .seconds(10)) { scriptLines.contains(line) }
        }

        @Test static func reconcileBehavioursAgainstTheKernel() async throws {
            _ = try freshTable()
            try await setUp()
            let log = "\(dir)/daemon.log"
            let argv = [try DaemonKernelTests.swiftvsPath(), "daemon", "--config", "\(dir)/swiftvs.conf",
                        "--state", "\(dir)/state.rules", "--control", "\(dir)/control.sock", "--log-level", "debug",
                        "--max-processes", "1"]
            try config.write(toFile: "\(dir)/swiftvs.conf", atomically: true, encoding: .utf8)
            let line = argv.map { "'\($0)'" }.joined(separator: " ")
            let daemon = Task { await runner.run(.exec(["/bin/sh", "-c", "exec \(line) >\(log) 2>&1"]), timeout: .seconds(600)) }
            var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
            /// From the daemon's first log line ("… pid N").
            var pid: Int32? { logText.range(of: ", pid ").flatMap { Int32(logText[$0.upperBound...].prefix { $0.isNumber }) } }
            // Whatever happens, no daemon is left behind for the next suite.
            defer { if let pid { kill(pid, SIGKILL) } }

            // 1. From the first table the daemon writes to the steady state, every 20 ms.
            var history: [[String: [String: Int32]]] = []
            let steady: [String: [String: Int32]] = [
                vs(10): [rs(11): 1],
                vs(20): [rs(21): 1, rs(22): 0],
                vs(30): [rs(31): 5],
                vs(40): [rs(41): 1, rs(42): 1],
                vs(50): [rs(51): 1],
            ]
            let reached = try await Self.await(within: .seconds(30), seen: { history.append($0) }) { $0 == steady }
            #expect(reached != nil, "steady state: \(String(describing: history.last))\n\(logText)")
            // alpha: the failing server never reached the kernel, the healthy one only after a check.
            #expect(!history.contains { $0[vs(10)]?[rs(12)] != nil }, "alpha: 198.51.100.12 was never in the kernel")
            #expect(history.contains { $0[vs(10)] == [:] }, "alpha: the service started without real servers")
            // Without alpha the failing servers start up: in the kernel with their weight, then
            // removed (.23) or kept at weight 0 (.22, inhibit_on_failure).
            #expect(history.contains { $0[vs(20)] == [rs(21): 1, rs(22): 1, rs(23): 1] }, "not alpha: every server in at the start")
            #expect(history.filter { $0[vs(20)]?[rs(21)] != nil }.allSatisfy { $0[vs(20)]?[rs(22)] != nil },
                    "inhibit_on_failure: 198.51.100.22 was never removed, only set to weight 0")

            // 2. misc_dynamic: the exit status sets the weight (status − 2); 1 is a failure;
            //    0 keeps the last weight.
            for (status, expected) in [(5, [rs(31): 3] as [String: Int32]), (12, [rs(31): 10]), (1, [:]), (0, [rs(31): 10])] {
                try "\(status)\n".write(toFile: "\(dir)/weight", atomically: true, encoding: .utf8)
                let t = try await Self.await { $0[vs(30)] == expected }
                #expect(t != nil, "misc_dynamic exit \(status): \(expected), kernel \(String(describing: (try? table())?[vs(30)]))")
            }

            // 3. Quorum 2: .41 fails, live weight 1 < 2: the sorry server replaces the real
            //    servers; notify_down and quorum_down run as their users. Back when .41 is.
            try await DaemonKernelTests.shell("rm \(dir)/up-41")
            #expect(try await Self.await { $0[vs(40)] == [rs(49): 1] } != nil, "quorum lost: sorry server only: \(String(describing: (try? table())?[vs(40)]))")
            #expect(try await awaitScript("down-41 65534:65534"), "notify_down as nobody:nogroup: \(scriptLines)")
            // While notify_down held the one process slot (1.5 s), no check ran.
            let held = try await DaemonKernelTests.until(within: .seconds(10)) { times("down-41 end") != nil }
            #expect(held, "notify_down ended: \(timesLog)")
            if let start = times("down-41 start"), let end = times("down-41 end") {
                let during = timesLog.filter { $0.hasPrefix("check ") }.compactMap { Double($0.dropFirst(6)) }.filter { $0 > start && $0 < end }
                #expect(end - start >= 1.4, "the script ran \(end - start) s")
                #expect(during.isEmpty, "checks ran while the script held the only slot: \(during), script \(start)...\(end)")
                let after = try await DaemonKernelTests.until(within: .seconds(5)) {
                    timesLog.contains { $0.hasPrefix("check ") && (Double($0.dropFirst(6)) ?? 0) > end }
                }
                #expect(after, "checks go on after it")
            }
            #expect(try await awaitScript("quorum-down 1:65534"), "quorum_down as daemon:nogroup: \(scriptLines)")
            try await DaemonKernelTests.shell("touch \(dir)/up-41")
            #expect(try await Self.await { $0[vs(40)] == [rs(41): 1, rs(42): 1] } != nil, "quorum regained: \(String(describing: (try? table())?[vs(40)]))")
            #expect(try await awaitScript("up-41 65534:65534"), "notify_up as nobody:nogroup: \(scriptLines)")
            #expect(try await awaitScript("quorum-up 1:65534"), "quorum_up as daemon:nogroup: \(scriptLines)")

            // 4. SIGTERM: the omega virtual server goes (with its scripts); the others stay as they are.
            let before = try table()
            let daemonPID = try #require(pid, "daemon pid in its log")
            kill(daemonPID, SIGTERM)
            #expect(await daemon.value.termination == .exited(0), "\(logText)")
            var after = before
            after[vs(50)] = nil
            #expect(try table() == after, "only the omega virtual server removed")
            #expect(Set(scriptLines) == ["down-41 65534:65534", "quorum-down 1:65534", "up-41 65534:65534", "quorum-up 1:65534",
                                         "omega-down-51 0:0", "omega-quorum-down 0:0"],
                    "every script ran once, as its user: \(scriptLines)")
            #expect(scriptLines.count == 6, "\(scriptLines)")
            _ = try freshTable()
        }
    }
}
