import Foundation
import Testing
import IPVS

/// `swiftvs daemon --metrics` against the real kernel: the IPVS series equal what
/// `ipvsadm -Ln --stats --exact` says at the same moment, a failing check is counted with its
/// reason, a change the kernel refuses is counted with its errno, `swiftvs metrics` prints the
/// same IPVS series once, and a Prometheus server scraping the daemon sees the real server's
/// connection counter move with the traffic sent.
extension Kernel {
    @Suite("metrics against the kernel", .serialized)
    struct MetricsKernelTests {
        static let vip = "192.0.2.201"
        static let work = "/tmp/swiftvs-metrics-kernel"
        static let port = 9541

        /// rs(1) passes its MISC_CHECK, rs(2) fails it (exit 1), and 192.0.2.255 (the broadcast
        /// address of swvs0's /24) is a direct-routing real server the kernel refuses.
        static let config = """
            virtual_server \(vip) 9 {
              delay_loop 1
              lb_algo rr
              lb_kind DR
              protocol UDP
              real_server \(rs(1)) 9 {
                MISC_CHECK {
                  misc_path "/bin/true"
                  misc_timeout 5
                }
              }
              real_server \(rs(2)) 9 {
                retry 1
                MISC_CHECK {
                  misc_path "/bin/false"
                }
              }
              real_server 192.0.2.255 9 {
                MISC_CHECK {
                  misc_path "/bin/true"
                }
              }
            }

            """

        static func scrape() throws -> String {
            try run(["curl", "-s", "-m", "10", "http://127.0.0.1:\(port)/metrics"]).stdout
        }

        /// The five counters of the service's row in `ipvsadm -Ln --stats --exact`.
        static func ipvsadmRow(_ prefix: String) throws -> [String] {
            let listing = try ipvsadm("-Ln", "--stats", "--exact").stdout
            guard let row = listing.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
            return Array(row.split(separator: " ").map(String.init).dropFirst(2).prefix(5))
        }

        @Test func countersChecksAndRefusals() async throws {
            _ = try freshTable()
            try sh("rm -rf \(Self.work); mkdir -p \(Self.work); ip link set lo up; ip addr add \(Self.vip)/32 dev lo")
            let client = try ClientNamespace(tag: "metrics")
            defer {
                client.remove()
                try? sh("ip addr del \(Self.vip)/32 dev lo")
            }
            try Self.config.write(toFile: "\(Self.work)/swiftvs.conf", atomically: true, encoding: .utf8)
            let daemon = Process()
            daemon.executableURL = URL(fileURLWithPath: swiftvsBinary)
            daemon.arguments = ["daemon", "--config", "\(Self.work)/swiftvs.conf", "--no-state", "--control", "\(Self.work)/control.sock",
                                "--metrics", "127.0.0.1:\(Self.port)"]
            try #require(FileManager.default.createFile(atPath: "\(Self.work)/daemon.log", contents: nil), "the log file \(Self.work)/daemon.log")
            daemon.standardOutput = FileHandle(forWritingAtPath: "\(Self.work)/daemon.log")
            daemon.standardError = FileHandle(forWritingAtPath: "\(Self.work)/daemon.log")
            try daemon.run()
            defer {
                daemon.terminate()
                daemon.waitUntilExit()
                _ = try? freshTable()
            }
            var log: String { (try? String(contentsOfFile: "\(Self.work)/daemon.log", encoding: .utf8)) ?? "" }

            // The failing check is counted with its reason, the refused destination with its errno.
            let rs2 = [#"remote_address="\#(rs(2))""#]
            let seen = try await eventually(within: .seconds(30)) {
                guard daemon.isRunning else { return true }
                let text = try Self.scrape()
                return sample(text, "swiftvs_check_up", rs2) == 0
                    && (sample(text, "swiftvs_kernel_changes_refused_total", [#"errno="EINVAL""#]) ?? 0) >= 1
            }
            #expect(seen, "\((try? Self.scrape()) ?? "")\n\(log)")
            try #require(daemon.isRunning, "the daemon exited: \(log)")
            let text = try Self.scrape()
            // retry 1: down after the first failure and its one retry, each counted with its reason.
            #expect((sample(text, "swiftvs_check_failures_total", rs2 + [#"reason="exit_status""#]) ?? 0) >= 2)
            #expect(sample(text, "swiftvs_check_up", rs2) == 0)
            #expect(sample(text, "swiftvs_real_server_up", rs2) == 0)
            #expect(sample(text, "swiftvs_check_up", [#"remote_address="\#(rs(1))""#]) == 1)
            #expect((sample(text, "swiftvs_check_runs_total", [#"remote_address="\#(rs(1))""#]) ?? 0) >= 1)
            // /bin/true never exits non-zero (under the VM's emulated CPU it may time out once).
            #expect(sample(text, "swiftvs_check_failures_total", [#"remote_address="\#(rs(1))""#, #"reason="exit_status""#]) == nil)
            #expect((sample(text, "swiftvs_kernel_changes_applied_total") ?? 0) >= 2)
            #expect(sample(text, "swiftvs_ipvs_up") == 1)
            #expect(log.contains("address not unicast"), "\(log)")

            // Traffic: 25 datagrams from 25 source ports, then the counters against ipvsadm's.
            try client.sendUDP(to: Self.vip, port: 9, count: 25)
            let svc = [#"local_address="\#(Self.vip)""#, #"local_port="9""#, #"proto="UDP""#]
            let counted = try await eventually {
                (sample(try Self.scrape(), "swiftvs_ipvs_service_connections_total", svc) ?? 0) >= 25
            }
            #expect(counted)
            var matched = false
            for _ in 0..<5 where !matched {
                let before = try Self.ipvsadmRow("UDP  \(Self.vip):9 ")
                let scraped = try Self.scrape()
                let after = try Self.ipvsadmRow("UDP  \(Self.vip):9 ")
                guard before == after, before.count == 5 else { continue }
                let ours = ["connections_total", "incoming_packets_total", "outgoing_packets_total", "incoming_bytes_total", "outgoing_bytes_total"]
                    .map { sample(scraped, "swiftvs_ipvs_service_\($0)", svc).map { String(UInt64($0)) } ?? "-" }
                #expect(ours == before, "swiftvs \(ours), ipvsadm \(before)")
                #expect(sample(scraped, "swiftvs_ipvs_backend_connections_total", svc + [#"remote_address="\#(rs(1))""#]) == 25)
                matched = true
            }
            #expect(matched, "ipvsadm's counters kept moving")

            // One shot, no daemon: the same IPVS series, and promtool takes them.
            let once = try swiftvs(["metrics"])
            #expect(once.status == 0, "\(once.stderr)")
            #expect(sample(once.stdout, "swiftvs_ipvs_service_connections_total", svc) == 25)
            #expect(!once.stdout.contains("swiftvs_check_"))
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool") {
                let lint = try run(["promtool", "check", "metrics"], input: once.stdout)
                #expect(lint.status == 0 && lint.stderr.isEmpty && lint.stdout.isEmpty, "\(lint.stdout)\(lint.stderr)")
                let all = try run(["promtool", "check", "metrics"], input: try Self.scrape())
                #expect(all.status == 0 && all.stderr.isEmpty && all.stdout.isEmpty, "\(all.stdout)\(all.stderr)")
            }

            // A Prometheus server scrapes the daemon and sees the real server's connections move.
            if FileManager.default.isExecutableFile(atPath: "/usr/bin/prometheus") {
                try await prometheusSees(client: client)
            }
        }

        /// `swiftvs daemon --netns NAME`: its table changes land in that namespace's IPVS and not
        /// in the VM's own; its metrics (on the VM's loopback, where --metrics said) and its status
        /// answer from the namespace's table.
        @Test func daemonInANamespace() async throws {
            _ = try freshTable()
            let ns = "swvs-mxns-\(getpid())"
            try sh("rm -rf \(Self.work); mkdir -p \(Self.work); ip link set lo up; ip netns add \(ns); ip -n \(ns) link set lo up")
            defer { try? sh("ip netns del \(ns)") }
            try """
                virtual_server 192.0.2.202 9 {
                  delay_loop 1
                  lb_algo rr
                  lb_kind DR
                  protocol UDP
                  real_server \(rs(1)) 9 {
                    MISC_CHECK {
                      misc_path "/bin/true"
                      misc_timeout 5
                    }
                  }
                }

                """.write(toFile: "\(Self.work)/ns.conf", atomically: true, encoding: .utf8)
            let daemon = Process()
            daemon.executableURL = URL(fileURLWithPath: swiftvsBinary)
            daemon.arguments = ["daemon", "--netns", ns, "--config", "\(Self.work)/ns.conf", "--no-state",
                                "--control", "\(Self.work)/ns.sock", "--metrics", "127.0.0.1:9543"]
            try #require(FileManager.default.createFile(atPath: "\(Self.work)/ns.log", contents: nil), "the log file \(Self.work)/ns.log")
            daemon.standardOutput = FileHandle(forWritingAtPath: "\(Self.work)/ns.log")
            daemon.standardError = FileHandle(forWritingAtPath: "\(Self.work)/ns.log")
            try daemon.run()
            defer {
                daemon.terminate()
                daemon.waitUntilExit()
            }
            var log: String { (try? String(contentsOfFile: "\(Self.work)/ns.log", encoding: .utf8)) ?? "" }
            let landed = try await eventually(within: .seconds(30)) {
                guard daemon.isRunning else { return true }
                return try run(["ip", "netns", "exec", ns, "ipvsadm-save", "-n"]).stdout.contains("-a -u 192.0.2.202:9 -r \(rs(1)):9")
            }
            #expect(landed && daemon.isRunning, "\(log)")
            #expect(!(try ipvsadmSave()).contains("192.0.2.202"), "the VM's own table has it")
            let text = try run(["curl", "-s", "-m", "10", "http://127.0.0.1:9543/metrics"]).stdout
            #expect(sample(text, "swiftvs_ipvs_backend_weight", [#"local_address="192.0.2.202""#, #"remote_address="\#(rs(1))""#]) == 1, "\(text)")
            #expect(sample(text, "swiftvs_kernel_changes_applied_total").map { $0 >= 2 } == true)
            let status = try swiftvs(["status", "--netns", ns, "--control", "\(Self.work)/ns.sock"])
            #expect(status.status == 0 && status.stdout.contains("192.0.2.202"), "\(status.stdout)\(status.stderr)")
            let once = try swiftvs(["metrics", "--netns", ns])
            #expect(sample(once.stdout, "swiftvs_ipvs_backend_weight", [#"local_address="192.0.2.202""#]) == 1, "\(once.stdout)\(once.stderr)")
        }

        func prometheusSees(client: ClientNamespace) async throws {
            try """
                global:
                  scrape_interval: 1s
                scrape_configs:
                  - job_name: swiftvs
                    static_configs:
                      - targets: ['127.0.0.1:\(Self.port)']

                """.write(toFile: "\(Self.work)/prometheus.yml", atomically: true, encoding: .utf8)
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
            server.arguments = ["--config.file=\(Self.work)/prometheus.yml", "--storage.tsdb.path=\(Self.work)/data",
                                "--web.listen-address=127.0.0.1:9542"]
            try #require(FileManager.default.createFile(atPath: "\(Self.work)/prometheus.log", contents: nil), "the log file \(Self.work)/prometheus.log")
            server.standardOutput = FileHandle(forWritingAtPath: "\(Self.work)/prometheus.log")
            server.standardError = FileHandle(forWritingAtPath: "\(Self.work)/prometheus.log")
            try server.run()
            defer {
                server.terminate()
                server.waitUntilExit()
            }
            func query(_ q: String) throws -> Double? {
                let r = try run(["curl", "-s", "-m", "5", "-G", "--data-urlencode", "query=\(q)", "http://127.0.0.1:9542/api/v1/query"])
                guard let root = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [String: Any],
                      let data = root["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
                      let value = result.first?["value"] as? [Any], let text = value.last as? String else { return nil }
                return Double(text)
            }
            let up = try await eventually(within: .seconds(90)) { try query(#"up{job="swiftvs"}"#) == 1 }
            #expect(up, "\((try? String(contentsOfFile: "\(Self.work)/prometheus.log", encoding: .utf8)) ?? "")")
            let series = #"swiftvs_ipvs_backend_connections_total{local_address="\#(Self.vip)",remote_address="\#(rs(1))"}"#
            let first = try await eventually(within: .seconds(30)) { try query(series) == 25 }
            #expect(first)
            try client.sendUDP(to: Self.vip, port: 9, count: 10)
            let moved = try await eventually(within: .seconds(30)) { try query(series) == 35 }
            #expect(moved, "Prometheus has \(String(describing: try? query(series)))")
        }
    }
}

/// The value of `name{…}` whose labels include every fragment of `labels`; nil when absent.
func sample(_ text: String, _ name: String, _ labels: [String] = []) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
        guard labels.allSatisfy({ line.contains($0) }), let v = line.split(separator: " ").last else { continue }
        return Double(v)
    }
    return nil
}
