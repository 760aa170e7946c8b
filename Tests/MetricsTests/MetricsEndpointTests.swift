import DaemonMetrics
import Foundation
import Testing

/// `swiftvs-healthd --metrics` for real, in a namespace of its own with a VRRP-only
/// configuration (the host has no IPVS): what the endpoint answers, promtool's verdict, hostile
/// clients, the status's new lines, and a Prometheus server scraping it.
@Suite("Metrics endpoint (namespaces, root)", .serialized, .enabled(if: MetricsGate.ready, "needs root, ip netns, curl, python3 and a built swiftvs-healthd"))
struct MetricsEndpointTests {
    @Test func onlyMetricsAndIndexAnswer() async throws {
        let d = try MetricsDaemon()
        defer { d.close() }
        try await d.awaitMaster()
        let index = try d.get("/")
        #expect(index.code == 200)
        #expect(index.body.contains(#"<a href="/metrics">"#))
        #expect(try d.get("/metrics?x=1").code == 200)
        #expect(try d.get("/nope").code == 404)
        #expect(try d.get("/metrics/").code == 404)
        #expect(try d.get("/metrics", method: "POST").code == 404)
        #expect(try d.get("/metrics", method: "DELETE").code == 404)
        // Not HTTP, and a head larger than the bound.
        let raw = try d.inside(["python3", "-c", """
            import socket
            def ask(data):
                s = socket.create_connection(('127.0.0.1', \(MetricsDaemon.port)))
                s.sendall(data)
                s.settimeout(5)
                out = b''
                while True:
                    d = s.recv(65536)
                    if not d: break
                    out += d
                return out.split(b'\\r\\n', 1)[0].decode()
            print(ask(b'\\x16\\x03\\x01 hello\\r\\n\\r\\n'))
            print(ask(b'GET /metrics HTTP/1.1\\r\\nX: ' + b'a' * 20000 + b'\\r\\n\\r\\n'))
            """])
        #expect(raw.out.split(separator: "\n") == ["HTTP/1.1 400 Bad Request", "HTTP/1.1 431 Request Header Fields Too Large"], "\(raw.out)")
        #expect(d.isRunning)
    }

    @Test(.enabled(if: MetricsGate.prometheus, "needs promtool (Debian's prometheus package)"))
    func expositionPassesPromtool() async throws {
        let d = try MetricsDaemon()
        defer { d.close() }
        try await d.awaitMaster()
        let text = try d.scrape()
        let r = try run(["promtool", "check", "metrics"], input: text)
        #expect(r.status == 0, "promtool: \(r.out)\n\(text)")
        #expect(r.out.isEmpty, "promtool's lint: \(r.out)")
        for name in ["swiftvs_vrrp_state", "swiftvs_vrrp_priority", "swiftvs_vrrp_adverts_sent_total", "swiftvs_vrrp_transitions_total",
                     "swiftvs_process_slots_in_use", "swiftvs_process_slots_queued", "swiftvs_config_info",
                     "swiftvs_config_last_reload_successful", "swiftvs_checks_late_total"] {
            #expect(sample(text, name) != nil, "\(name) missing")
        }
        // The track script's weight is in the effective priority.
        #expect(sample(text, "swiftvs_vrrp_priority", [#"vrrp_instance="VI_1""#]) == 160)
        #expect(sample(text, "swiftvs_vrrp_transitions_total", [#"to="MASTER""#]) == 1)
    }

    /// Idle connections beyond the client limit, one that sends half a request and stays,
    /// garbage and an oversized head: a real scrape among them is answered at once, and the
    /// reactor keeps sending adverts all the while.
    @Test func hostileClientsCannotStallTheDaemon() async throws {
        let d = try MetricsDaemon()
        defer { d.close() }
        try await d.awaitMaster()
        let r = try d.inside(["python3", "-c", """
            import socket, time, json, re
            PORT = \(MetricsDaemon.port)
            def scrape():
                t = time.monotonic()
                s = socket.create_connection(('127.0.0.1', PORT))
                s.sendall(b'GET /metrics HTTP/1.0\\r\\n\\r\\n')
                s.settimeout(5)
                out = b''
                while True:
                    d = s.recv(65536)
                    if not d: break
                    out += d
                m = re.search(rb'swiftvs_vrrp_adverts_sent_total\\{[^}]*\\} (\\d+)', out)
                return out.split(b'\\r\\n', 1)[0].decode(), time.monotonic() - t, int(m.group(1)) if m else -1
            _, _, before = scrape()
            held = []
            half = socket.create_connection(('127.0.0.1', PORT))
            half.sendall(b'GET /metrics HTTP/1.1\\r\\nHost: x\\r\\n')
            held.append(half)
            for i in range(100):
                held.append(socket.create_connection(('127.0.0.1', PORT)))
            for i in range(20):
                s = socket.create_connection(('127.0.0.1', PORT))
                s.sendall(bytes(range(256)) * 4)
                held.append(s)
            status, seconds, during = scrape()
            time.sleep(3)
            status2, seconds2, after = scrape()
            print(json.dumps({'before': before, 'during': during, 'after': after, 'status': status, 'seconds': seconds,
                              'status2': status2, 'seconds2': seconds2}))
            """])
        let result = try #require(JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any], "\(r.out)")
        #expect(result["status"] as? String == "HTTP/1.0 200 OK" || result["status"] as? String == "HTTP/1.1 200 OK", "\(result)")
        #expect((result["seconds"] as? Double ?? 99) < 1, "\(result)")
        #expect(result["status2"] as? String == "HTTP/1.1 200 OK", "\(result)")
        #expect((result["seconds2"] as? Double ?? 99) < 1, "\(result)")
        let before = result["before"] as? Int ?? -1, after = result["after"] as? Int ?? -1
        #expect(before > 0 && after - before >= 3, "adverts sent went from \(before) to \(after) while clients held connections")
        #expect(d.isRunning)
    }

    @Test func statusShowsSlotsAndTheLastReload() async throws {
        let d = try MetricsDaemon()
        defer { d.close() }
        try await d.awaitMaster()
        let first = try check([Binaries.swiftvs, "status", "--control", d.controlPath])
        #expect(first.contains("process slots: "), "\(first)")
        #expect(first.contains("last reload: none"), "\(first)")
        try (MetricsDaemon.vrrpConfig + "vrrp_instance {\n").write(toFile: d.configPath, atomically: true, encoding: .utf8)
        d.signal(SIGHUP)
        try await awaitCondition("the failed reload in the status", within: .seconds(5)) {
            try check([Binaries.swiftvs, "status", "--control", d.controlPath]).contains("last reload: FAILED")
        }
        var text = try d.scrape()
        #expect(sample(text, "swiftvs_config_reloads_total", [#"result="failed""#]) == 1)
        #expect(sample(text, "swiftvs_config_last_reload_successful") == 0)
        let hashBefore = text.split(separator: "\n").first { $0.hasPrefix("swiftvs_config_info{") }
        try (MetricsDaemon.vrrpConfig + "# changed\n").write(toFile: d.configPath, atomically: true, encoding: .utf8)
        d.signal(SIGHUP)
        try await awaitCondition("the good reload in the metrics", within: .seconds(5)) {
            sample(try d.scrape(), "swiftvs_config_reloads_total", [#"result="ok""#]) == 1
        }
        text = try d.scrape()
        #expect(sample(text, "swiftvs_config_last_reload_successful") == 1)
        let hashAfter = text.split(separator: "\n").first { $0.hasPrefix("swiftvs_config_info{") }
        #expect(hashBefore != nil && hashAfter != nil && hashBefore != hashAfter, "\(String(describing: hashBefore)) \(String(describing: hashAfter))")
        // The hash is the file's: the start-up one's until a reload succeeds, then the new one's.
        func hashLabel(_ text: String) -> String {
            var h = ConfigHash()
            h.add(text: text)
            return #"hash="\#(h.hex)""#
        }
        #expect(hashBefore?.contains(hashLabel(MetricsDaemon.vrrpConfig)) == true, "\(String(describing: hashBefore))")
        #expect(hashAfter?.contains(hashLabel(MetricsDaemon.vrrpConfig + "# changed\n")) == true, "\(String(describing: hashAfter))")
        let json = try check([Binaries.swiftvs, "status", "--json", "--control", d.controlPath])
        let root = try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        let slots = try #require(root["process_slots"] as? [String: Any], "\(json)")
        #expect(slots["limit"] as? Int == 64)
        #expect(slots["queued"] as? Int == 0)
        let reload = try #require(root["last_reload"] as? [String: Any], "\(json)")
        #expect(reload["ok"] as? Bool == true)
    }

    /// A Prometheus server, started here on the namespace's loopback with its own data directory,
    /// scrapes the daemon; its HTTP API shows the target up and the instance MASTER.
    @Test(.enabled(if: MetricsGate.prometheus, "needs prometheus (Debian's prometheus package)"))
    func prometheusScrapesTheDaemon() async throws {
        let d = try MetricsDaemon()
        defer { d.close() }
        try await d.awaitMaster()
        let config = d.directory + "/prometheus.yml"
        try """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: swiftvs
                static_configs:
                  - targets: ['127.0.0.1:\(MetricsDaemon.port)']

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["ip", "netns", "exec", d.namespace, "prometheus", "--config.file=\(config)",
                            "--storage.tsdb.path=\(d.directory)/data", "--web.listen-address=127.0.0.1:9090"]
        let log = d.directory + "/prometheus.log"
        try #require(FileManager.default.createFile(atPath: log, contents: nil), "the log file \(log)")
        server.standardOutput = FileHandle(forWritingAtPath: log)
        server.standardError = FileHandle(forWritingAtPath: log)
        try server.run()
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        func query(_ q: String) throws -> Double? {
            let r = try d.inside(["curl", "-s", "-m", "5", "-G", "--data-urlencode", "query=\(q)", "http://127.0.0.1:9090/api/v1/query"])
            guard let root = (try? JSONSerialization.jsonObject(with: Data(r.out.utf8))) as? [String: Any],
                  let data = root["data"] as? [String: Any], let result = data["result"] as? [[String: Any]],
                  let value = result.first?["value"] as? [Any], let text = value.last as? String else { return nil }
            return Double(text)
        }
        try await awaitCondition("up == 1 in Prometheus", within: .seconds(30)) {
            guard server.isRunning else { throw CommandFailure(command: ["prometheus"], status: -1, output: (try? String(contentsOfFile: log, encoding: .utf8)) ?? "") }
            return try query(#"up{job="swiftvs"}"#) == 1
        }
        try await awaitCondition("the instance MASTER in Prometheus", within: .seconds(10)) {
            try query(#"swiftvs_vrrp_state{vrrp_instance="VI_1",state="MASTER"}"#) == 1
        }
        try await awaitCondition("adverts counted in Prometheus", within: .seconds(10)) {
            (try query(#"swiftvs_vrrp_adverts_sent_total{vrrp_instance="VI_1"}"#) ?? 0) > 0
        }
        #expect(try query("swiftvs_process_slots") == 64)
    }
}
