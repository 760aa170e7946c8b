import VRRP

/// What the VRRP engine asks of the IPVS connection-sync daemon (`lvs_sync_daemon`): the
/// director layer implements it with the IPVS binding. The engine calls it in keepalived's
/// order: to master after the addresses are up, to backup before they go.
public protocol SyncDaemonController: Sendable {
    /// Runs the daemons for `role` and stops the other one; returns an error text (logged by the
    /// engine) when the kernel refuses, and the director keeps serving.
    func setRole(_ role: SyncDaemonRole, config: LVSSyncDaemonConfig) async -> String?
    /// Stops both daemons (the engine is stopping).
    /// Returns an error text (logged by the engine) when the kernel refuses.
    func stop(config: LVSSyncDaemonConfig) async -> String?
}
