import Foundation
import Synchronization

/// Debian's keepalived (2.2.7) in a node namespace: `keepalived -n -l -D -P -R` with its own pid
/// files under the topology's directory. `-l` logs to stderr (the node's log file), `-R` keeps
/// the parent from respawning a killed child (the parent exits instead), `-P` runs VRRP only.
///
/// Killing the parent is a clean stop: the VRRP child gets PR_SET_PDEATHSIG SIGTERM, sends
/// priority 0 and removes its VIPs. `crash()` therefore kills the VRRP child itself.
final class KeepalivedNode: VRRPNode, @unchecked Sendable {
    let node: Topology.Node
    let topology: Topology
    let implementation = "keepalived"
    private let state: Mutex<(config: VRRPConfig, process: ManagedProcess?)>

    init(_ node: Topology.Node, in topology: Topology, config: VRRPConfig) {
        self.node = node
        self.topology = topology
        state = Mutex((config, nil))
    }

    var config: VRRPConfig { state.withLock { $0.config } }
    var configPath: String { topology.path("\(node.name).conf") }
    var pidFile: String { topology.path("\(node.name).pid") }
    var vrrpPidFile: String { topology.path("\(node.name).vrrp.pid") }
    private var process: ManagedProcess? { state.withLock { $0.process } }

    func start() async throws {
        try writeConfig(config)
        try? FileManager.default.removeItem(atPath: vrrpPidFile)
        let p = try topology.start(
            [HarnessGate.keepalived, "-n", "-l", "-D", "-P", "-R", "-f", configPath,
             "-p", pidFile, "-r", vrrpPidFile, "-c", topology.path("\(node.name).checkers.pid")],
            in: node.namespace, label: node.name)
        state.withLock { $0.process = p }
        _ = try await awaitValue("keepalived's VRRP child on \(node) (\(vrrpPidFile))", within: .seconds(5)) {
            guard p.isRunning else {
                throw HarnessError(code: .notRunning, operation: "start keepalived", object: "on \(node)",
                                   detail: "exit \(p.exitStatus ?? -1):\n\(p.output())")
            }
            return vrrpPID
        }
    }

    func stop() throws {
        guard let p = process else { throw notStarted("stop") }
        try p.signal(SIGTERM)
    }

    func crash() throws {
        guard let pid = vrrpPID else { throw notStarted("crash") }
        guard kill(pid, SIGKILL) == 0 else {
            throw HarnessError(code: .systemCall, operation: "kill -9 keepalived VRRP child", object: "pid \(pid) on \(node)", errno: errno)
        }
    }

    func reload(with config: VRRPConfig) throws {
        guard let p = process else { throw notStarted("reload") }
        state.withLock { $0.config = config }
        try writeConfig(config)
        try p.signal(SIGHUP)
    }

    /// keepalived's VRRP child, from its pid file (nil until keepalived wrote it).
    var vrrpPID: Int32? {
        guard let text = try? String(contentsOfFile: vrrpPidFile, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The parent's pid.
    var pid: Int32? { process?.pid }
    var isRunning: Bool { process?.isRunning ?? false }
    var exitStatus: Int32? { process?.exitStatus }
    func log() -> String { process?.output() ?? "" }

    func waitForExit(within limit: Duration) async -> Bool {
        guard let p = process else { return true }
        return await p.waitForExit(within: limit)
    }

    private func writeConfig(_ config: VRRPConfig) throws {
        try config.render().write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    private func notStarted(_ what: String) -> HarnessError {
        HarnessError(code: .notRunning, operation: what, object: "keepalived on \(node)")
    }
}
