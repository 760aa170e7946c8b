import Foundation

/// A VRRP daemon running in one node namespace of a `Topology`: keepalived or swiftvs, driven
/// the same way, so one test body can run all-keepalived, all-swiftvs and mixed groups.
protocol VRRPNode: AnyObject, Sendable {
    /// The namespace it runs in.
    var node: Topology.Node { get }
    /// The keepalived.conf it reads.
    var config: VRRPConfig { get }
    /// "keepalived" or "swiftvs", for messages.
    var implementation: String { get }

    /// Writes the configuration and starts the daemon; returns once the process that sends
    /// adverts is known to run.
    func start() async throws
    /// Clean stop (SIGTERM): a master sends priority 0 and removes its VIPs.
    func stop() throws
    /// Crash: SIGKILL of the process that sends adverts; its VIPs stay behind.
    func crash() throws
    /// SIGHUP: reload the configuration (rewritten from `config` first).
    func reload(with config: VRRPConfig) throws
    /// The pid of the process that sends adverts (keepalived's VRRP child; swiftvs's daemon).
    var vrrpPID: Int32? { get }
    /// Whether the daemon (parent) process still runs.
    var isRunning: Bool { get }
    /// Its log so far.
    func log() -> String
    /// Waits for the daemon to exit; false when it still runs after `limit`.
    func waitForExit(within limit: Duration) async -> Bool
}

extension VRRPNode {
    /// Waits until the log contains `text`.
    func awaitLog(_ text: String, within limit: Duration) async throws {
        try await awaitCondition("\(implementation) on \(node) to log \"\(text)\"", within: limit) {
            log().contains(text)
        }
    }

    /// How many log lines contain `text`.
    func logCount(_ text: String) -> Int {
        log().split(whereSeparator: \.isNewline).filter { $0.contains(text) }.count
    }
}
