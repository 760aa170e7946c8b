import IPVS
import VRRP
import VRRPRouter

/// The kernel's IPVS connection-sync daemon, switched as keepalived's `lvs_sync_daemon`
/// does: the VRRP master runs the master daemon (it multicasts its connection entries), the
/// backup runs the backup daemon (it receives them), so a takeover finds the connections
/// already in its table.
public struct IPVSSyncDaemon: SyncDaemonController {
    let ipvs: IPVSHandle

    public init(ipvs: IPVSHandle) {
        self.ipvs = ipvs
    }

    /// One dump of the kernel's daemons, then only the changes it needs: the other role's
    /// daemon stopped, this role's started unless it already runs as configured.
    public func setRole(_ role: SyncDaemonRole, config: LVSSyncDaemonConfig) async -> String? {
        let start: SyncDaemon.Role = role == .master ? .master : .backup
        let stop: SyncDaemon.Role = role == .master ? .backup : .master
        do throws(IPVSError) {
            let running = try ipvs.syncDaemons()
            if running.contains(where: { $0.role == stop }) { try ipvs.stopSyncDaemon(stop) }
            let wanted = daemon(start, config)
            if running.contains(where: { Self.satisfies($0, wanted) }) { return nil }
            if running.contains(where: { $0.role == start }) { try ipvs.stopSyncDaemon(start) }
            try ipvs.startSyncDaemon(wanted)
            return nil
        } catch {
            return "\(role.rawValue) on \(config.interface): \(error)"
        }
    }

    public func stop(config: LVSSyncDaemonConfig) async -> String? {
        do throws(IPVSError) {
            for d in try ipvs.syncDaemons() { try ipvs.stopSyncDaemon(d.role) }
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Whether the kernel's `running` daemon is the `wanted` one. The kernel reports the
    /// values it chose for what the configuration leaves out (maxlen from the interface's MTU,
    /// group 224.0.0.81, port 8848, ttl 1), so an option not given matches any value: a daemon
    /// already running as configured is kept, not restarted.
    static func satisfies(_ running: SyncDaemon, _ wanted: SyncDaemon) -> Bool {
        running.role == wanted.role && running.interface == wanted.interface && running.syncID == wanted.syncID
            && (wanted.maxLength == nil || running.maxLength == wanted.maxLength)
            && (wanted.group == nil || running.group == wanted.group)
            && (wanted.port == nil || running.port == wanted.port)
            && (wanted.ttl == nil || running.ttl == wanted.ttl)
    }

    func daemon(_ role: SyncDaemon.Role, _ c: LVSSyncDaemonConfig) -> SyncDaemon {
        SyncDaemon(role: role, interface: c.interface, syncID: UInt32(c.syncID ?? 0), maxLength: c.maxLength,
                   group: c.group, port: c.port, ttl: c.ttl)
    }
}
