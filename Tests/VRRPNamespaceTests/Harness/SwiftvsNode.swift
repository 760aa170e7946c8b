import Foundation
import Synchronization

/// `swiftvs daemon` in a node namespace, reading the same keepalived.conf a `KeepalivedNode`
/// would: `swiftvs daemon --config FILE --no-state --control DIR/NODE.sock --log-level debug`.
/// It is one process (it may exec swiftvs-healthd, which keeps the pid), so `crash()` is a
/// kill -9 of it and `stop()` a SIGTERM.
final class SwiftvsNode: VRRPNode, @unchecked Sendable {
    let node: Topology.Node
    let topology: Topology
    let implementation = "swiftvs"
    private let state: Mutex<(config: VRRPConfig, process: ManagedProcess?)>

    init(_ node: Topology.Node, in topology: Topology, config: VRRPConfig) {
        self.node = node
        self.topology = topology
        state = Mutex((config, nil))
    }

    var config: VRRPConfig { state.withLock { $0.config } }
    var configPath: String { topology.path("\(node.name).conf") }
    var controlSocket: String { topology.path("\(node.name).sock") }
    private var process: ManagedProcess? { state.withLock { $0.process } }

    func start() async throws {
        try config.render().write(toFile: configPath, atomically: true, encoding: .utf8)
        let p = try topology.start(
            [SwiftvsBinary.path, "daemon", "--config", configPath, "--no-state", "--control", controlSocket,
             "--log-level", "debug"],
            in: node.namespace, label: node.name)
        state.withLock { $0.process = p }
        // Running means its control socket answers; an early exit is an error with its log.
        try await awaitCondition("swiftvs on \(node) to open \(controlSocket)", within: .seconds(5)) {
            guard p.isRunning else {
                throw HarnessError(code: .notRunning, operation: "start swiftvs daemon", object: "on \(node)",
                                   detail: "exit \(p.exitStatus ?? -1):\n\(p.output())")
            }
            return FileManager.default.fileExists(atPath: controlSocket)
        }
    }

    func stop() throws { try signal(SIGTERM, "stop") }
    func crash() throws { try signal(SIGKILL, "crash") }

    func reload(with config: VRRPConfig) throws {
        state.withLock { $0.config = config }
        try config.render().write(toFile: configPath, atomically: true, encoding: .utf8)
        try signal(SIGHUP, "reload")
    }

    var vrrpPID: Int32? { process.flatMap { $0.isRunning ? $0.pid : nil } }
    var isRunning: Bool { process?.isRunning ?? false }
    var exitStatus: Int32? { process?.exitStatus }
    func log() -> String { process?.output() ?? "" }

    func waitForExit(within limit: Duration) async -> Bool {
        guard let p = process else { return true }
        return await p.waitForExit(within: limit)
    }

    /// `swiftvs status [json] --control SOCKET`: the daemon's report (text or JSON).
    func status(json: Bool = false) throws -> String {
        try Command.check([SwiftvsBinary.path, "status"] + (json ? ["--json"] : []) + ["--control", controlSocket]).stdout
    }

    /// `status --json`, parsed: the `vrrp_instances` array's first object.
    func statusInstance() throws -> [String: Any] {
        let data = Data(try status(json: true).utf8)
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let list = root["vrrp_instances"] as? [[String: Any]], let first = list.first else {
            throw HarnessError(code: .badData, operation: "parse swiftvs status --json", object: "on \(node)",
                               detail: String(decoding: data, as: UTF8.self))
        }
        return first
    }

    private func signal(_ sig: Int32, _ what: String) throws {
        guard let p = process else {
            throw HarnessError(code: .notRunning, operation: what, object: "swiftvs on \(node)")
        }
        try p.signal(sig)
    }
}

/// The swiftvs executable built next to the test bundle, and whether its daemon runs VRRP yet.
enum SwiftvsBinary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `swiftvs` beside the test bundle, else .build/debug/swiftvs.
    static let path: String = {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let beside = bundle.appendingPathComponent("swiftvs").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/swiftvs").path
    }()

    /// What `swiftvs check-config` says about a file with one vrrp_instance: nil when the daemon
    /// takes the block (check-config succeeds and says nothing of it being ignored or unknown),
    /// otherwise the reason the swiftvs VRRP tests are skipped.
    /// Why the swiftvs cases cannot run: only a missing binary. (The daemon runs
    /// vrrp_instance blocks; a regression there must fail these tests, not skip them.)
    static let vrrpUnsupportedReason: String? = {
        FileManager.default.isExecutableFile(atPath: path) ? nil : "no swiftvs binary at \(path)"
    }()

    static let vrrpSupported = vrrpUnsupportedReason == nil
}
