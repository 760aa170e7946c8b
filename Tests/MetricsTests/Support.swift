import Foundation
import Synchronization
import Testing
@_exported import TestSupport

/// What the endpoint tests need from the host, and why they are skipped without it.
enum MetricsGate {
    static let isRoot = getuid() == 0
    static func has(_ tool: String) -> Bool {
        ["/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"].contains { FileManager.default.isExecutableFile(atPath: $0 + tool) }
    }
    static let ready = isRoot && has("ip") && has("curl") && has("python3") && FileManager.default.isExecutableFile(atPath: Binaries.healthd)
    static let reason = "needs root, ip netns, curl, python3 and a built swiftvs-healthd"
    static let prometheus = ready && has("prometheus") && has("promtool")
}

enum Binaries {
    static let packageRoot = TestBinaries.packageRoot
    static func path(_ name: String) -> String { TestBinaries.path(name) }
    static let healthd = path("swiftvs-healthd")
    static let swiftvs = path("swiftvs")
}

struct CommandFailure: Error, CustomStringConvertible {
    var command: [String]
    var status: Int32
    var output: String
    var description: String { "\(command.joined(separator: " ")): exit \(status): \(output)" }
}

/// Runs `argv` to its end; its exit status and standard output (standard error interleaved).
@discardableResult
func run(_ argv: [String], input: String? = nil) throws -> (status: Int32, out: String) {
    let r = try TestProcess.run(argv, input: input, standardError: .merged)
    return (r.status, r.stdout)
}

/// `run`, failing on a non-zero exit.
@discardableResult
func check(_ argv: [String], input: String? = nil) throws -> String {
    let r = try run(argv, input: input)
    guard r.status == 0 else { throw CommandFailure(command: argv, status: r.status, output: r.out) }
    return r.out
}

struct Timeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 100 ms until it is true, or throws at the deadline.
func awaitCondition(_ what: String, within limit: Duration, _ condition: () throws -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while true {
        if (try? condition()) == true { return }
        if ContinuousClock.now >= deadline { throw Timeout(what: what) }
        try await Task.sleep(for: .milliseconds(100))
    }
}

/// The value of the series `name{labels…}` (labels given as `k="v"` fragments that must all
/// appear) in an exposition text; nil when absent.
func sample(_ text: String, _ name: String, _ labels: [String] = []) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
        guard labels.allSatisfy({ line.contains($0) }), let v = line.split(separator: " ").last else { continue }
        return Double(v)
    }
    return nil
}

/// A network namespace of this suite (`mx-…`) with a veth pair and loopback up, and
/// `swiftvs-healthd` in it running a VRRP-only configuration with `--metrics 127.0.0.1:9540`.
/// Everything (daemon, namespace, files) goes at `close()`.
final class MetricsDaemon: @unchecked Sendable {
    static let counter = Mutex(0)
    static let port = 9540
    static let vrrpConfig = """
        vrrp_script chk {
            script "/bin/true"
            interval 1
            weight 10
        }
        vrrp_instance VI_1 {
            state MASTER
            interface mx0
            virtual_router_id 51
            priority 150
            advert_int 1
            virtual_ipaddress {
                192.0.2.100/24
            }
            track_script {
                chk
            }
        }

        """

    let namespace: String
    let directory: String
    var configPath: String { directory + "/swiftvs.conf" }
    var controlPath: String { directory + "/control.sock" }
    var logPath: String { directory + "/daemon.log" }
    private(set) var process: Process?

    /// Where the metrics listener is: in the namespace (the daemon started there), or on the
    /// host's loopback (the daemon started on the host with `--netns`).
    let port: Int
    let viaNetnsOption: Bool

    /// The daemon started inside the namespace (`ip netns exec`), or with `viaNetnsOption` on the
    /// host with `--netns NAME` and its metrics on a free port of the host's loopback.
    init(viaNetnsOption: Bool = false) throws {
        self.viaNetnsOption = viaNetnsOption
        port = viaNetnsOption ? try Self.freePort() : Self.port
        let n = Self.counter.withLock { $0 += 1; return $0 }
        namespace = "mx-\(getpid())-\(n)"
        directory = NSTemporaryDirectory() + namespace
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try check(["ip", "netns", "add", namespace])
        try check(["ip", "-n", namespace, "link", "set", "lo", "up"])
        try check(["ip", "-n", namespace, "link", "add", "mx0", "type", "veth", "peer", "name", "mx1"])
        try check(["ip", "-n", namespace, "addr", "add", "192.0.2.1/24", "dev", "mx0"])
        try check(["ip", "-n", namespace, "link", "set", "mx0", "up"])
        try check(["ip", "-n", namespace, "link", "set", "mx1", "up"])
        try Self.vrrpConfig.write(toFile: configPath, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let daemon = [Binaries.healthd, "--config", configPath, "--no-state", "--control", controlPath,
                      "--metrics", "127.0.0.1:\(port)"]
        p.arguments = viaNetnsOption ? daemon + ["--netns", namespace] : ["ip", "netns", "exec", namespace] + daemon
        try #require(FileManager.default.createFile(atPath: logPath, contents: nil), "the log file \(logPath)")
        let log = FileHandle(forWritingAtPath: logPath)
        p.standardOutput = log
        p.standardError = log
        try p.run()
        process = p
    }

    /// Runs `argv` inside the namespace.
    func inside(_ argv: [String], input: String? = nil) throws -> (status: Int32, out: String) {
        try run(["ip", "netns", "exec", namespace] + argv, input: input)
    }

    /// `curl` of a path of the endpoint: (HTTP status, body).
    func get(_ path: String, method: String = "GET") throws -> (code: Int, body: String) {
        let curl = ["curl", "-s", "-m", "5", "-X", method, "-w", "\n%{http_code}", "http://127.0.0.1:\(port)\(path)"]
        let r = viaNetnsOption ? try run(curl) : try inside(curl)
        let lines = r.out.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }

    /// One scrape's text; throws unless it answered 200.
    func scrape() throws -> String {
        let r = try get("/metrics")
        guard r.code == 200 else { throw CommandFailure(command: ["GET /metrics"], status: Int32(r.code), output: r.body + log()) }
        return r.body
    }

    /// Waits for the endpoint and for the instance to become MASTER.
    func awaitMaster() async throws {
        try await awaitCondition("VI_1 MASTER in the metrics", within: .seconds(10)) {
            guard process?.isRunning == true else { throw CommandFailure(command: ["swiftvs-healthd"], status: -1, output: log()) }
            return sample(try scrape(), "swiftvs_vrrp_state", [#"state="MASTER""#]) == 1
        }
    }

    /// A TCP port of the host's loopback that nothing listens on now.
    static func freePort() throws -> Int {
        let r = try check(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard let p = Int(r.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw CommandFailure(command: ["free port"], status: -1, output: r) }
        return p
    }

    var pid: Int32? { process.map { $0.processIdentifier } }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool { process?.isRunning == true }

    func signal(_ sig: Int32) { if let p = process, p.isRunning { kill(p.processIdentifier, sig) } }

    func close() {
        if let p = process, p.isRunning {
            p.terminate()
            p.waitUntilExit()
        }
        for pid in (try? run(["ip", "netns", "pids", namespace]).out.split(separator: "\n")) ?? [] {
            if let pid = pid_t(pid), pid > 1 { kill(pid, SIGKILL) }
        }
        _ = try? run(["ip", "netns", "delete", namespace])
        try? FileManager.default.removeItem(atPath: directory)
    }
}
