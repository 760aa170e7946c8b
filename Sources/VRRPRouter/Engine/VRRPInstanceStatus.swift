import NetworkModel
import VRRP

/// One instance as `swiftvs status` shows it.
public struct VRRPInstanceStatus: Sendable, Hashable {
    public var name: String
    public var interface: String
    public var virtualRouterID: UInt8
    public var state: VRRPState
    public var configuredPriority: UInt8
    public var effectivePriority: UInt8
    /// What makes the effective priority: "script chk +20", "interface eth1 -10".
    public var weights: [String: Int]
    public var faults: [String]
    /// The master as last heard (this node's address while MASTER).
    public var masterAddress: IPAddress?
    public var advertInterval: Duration
    public var lastTransition: VRRPTransition?
    public var counters: VRRPCounters
    public var virtualAddresses: [String]
    /// The connection-sync daemon's role, when `lvs_sync_daemon` follows this instance.
    public var syncDaemonRole: SyncDaemonRole?
    /// Why the kernel refused to run that role's daemon (the director serves on without it).
    public var syncDaemonError: String?
}

extension VRRPEngine {
    /// A snapshot of every instance, in configuration order.
    public func status() -> [VRRPInstanceStatus] {
        config.instances.compactMap { inst in
            guard let r = routers[inst.name] else { return nil }
            let m = r.machine
            let followsSync = config.globals.lvsSyncDaemon.map { $0.instance == nil || $0.instance == inst.name } ?? false
            return VRRPInstanceStatus(
                name: inst.name, interface: inst.interface, virtualRouterID: inst.virtualRouterID, state: m.state,
                configuredPriority: inst.priority, effectivePriority: m.effectivePriority, weights: r.weights,
                faults: m.faults, masterAddress: m.masterAddress, advertInterval: m.masterAdvertInterval,
                lastTransition: m.lastTransition, counters: m.counters,
                virtualAddresses: (inst.virtualAddresses + inst.excludedAddresses).map(\.description),
                syncDaemonRole: followsSync ? syncRole : nil, syncDaemonError: followsSync ? syncError : nil)
        }
    }
}
