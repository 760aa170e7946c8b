import NetworkModel
import KeepalivedConfig
import EventLoop
import VRRP

/// The VRRP half of a keepalived.conf: `vrrp_instance`, `vrrp_script`, `vrrp_sync_group` blocks
/// and the `global_defs` settings they use, as keepalived 2.2.7 reads them.
public struct VRRPConfiguration: Sendable, Hashable {
    public var globals: VRRPGlobals
    /// By name, as `track_script` blocks refer to them.
    public var scripts: [String: VRRPScriptConfig]
    /// In file order.
    public var instances: [VRRPInstanceConfig]
    public var syncGroups: [VRRPSyncGroupConfig]

    public init(globals: VRRPGlobals = VRRPGlobals(), scripts: [String: VRRPScriptConfig] = [:],
                instances: [VRRPInstanceConfig] = [], syncGroups: [VRRPSyncGroupConfig] = []) {
        self.globals = globals
        self.scripts = scripts
        self.instances = instances
        self.syncGroups = syncGroups
    }

    /// True when the file has no VRRP instance: the daemon then runs no VRRP at all.
    public var isEmpty: Bool { instances.isEmpty }

    /// The sync group an instance belongs to, if any.
    public func syncGroup(of instance: String) -> VRRPSyncGroupConfig? {
        syncGroups.first { $0.members.contains(instance) }
    }
}

/// `global_defs` keywords that shape VRRP (keepalived's defaults).
public struct VRRPGlobals: Sendable, Hashable {
    /// `router_id`: a name for logs and notifications; keepalived uses the host name when unset
    /// or empty.
    public var routerID: String?
    /// `vrrp_version`: the default for instances that say nothing (2).
    public var version: VRRPVersion = .v2
    /// The `vrrp_garp_*` defaults of every instance.
    public var garp = GratuitousARPSettings()
    /// `vrrp_garp_interval` / `vrrp_gna_interval`: the pause between two gratuitous ARPs /
    /// neighbour advertisements on one interface (0: back to back).
    public var garpInterval: Duration = .zero
    public var gnaInterval: Duration = .zero
    /// `vrrp_startup_delay`: the VRRP instances wait this long before their first election.
    public var startupDelay: Duration = .zero
    /// `vrrp_rt_priority` (1–99): the SCHED_RR priority of the thread that runs the VRRP
    /// timers. keepalived stays an ordinary process without it; swiftvs runs that thread at
    /// priority 1 by default, so Master_Down fires on time on a loaded director.
    public var realtimePriority: Int32 = 1
    /// `vrrp_check_unicast_src`, `vrrp_lower_prio_no_advert`, `vrrp_higher_prio_send_advert`:
    /// the defaults of the instances' `check_unicast_src`, `lower_prio_no_advert` and
    /// `higher_prio_send_advert`.
    public var checkUnicastSource = false
    public var lowerPriorityNoAdvert = false
    public var higherPrioritySendAdvert = false
    /// `script_user USER [GROUP]`: who scripts run as when they name nobody.
    public var scriptUser: String?
    public var scriptGroup: String?
    /// `enable_script_security`: refuse scripts that a non-root user could modify.
    public var enableScriptSecurity = false
    /// `lvs_sync_daemon IF [INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`.
    public var lvsSyncDaemon: LVSSyncDaemonConfig?

    public init() {}
}

/// The gratuitous ARP / unsolicited NA schedule of a new master (keepalived's `garp_*`).
public struct GratuitousARPSettings: Sendable, Hashable {
    /// `garp_master_delay`: the second burst comes this long after the first (5 s; 0 = none).
    public var masterDelay: Duration = .seconds(5)
    /// `garp_master_repeat`: messages per address in each burst (5).
    public var masterRepeat = 5
    /// `garp_master_refresh`: a refresh burst this often while master (nil: never).
    public var masterRefresh: Duration?
    /// `garp_master_refresh_repeat`: messages per address in each refresh (1).
    public var masterRefreshRepeat = 1
    /// `garp_lower_prio_delay` / `garp_lower_prio_repeat`: the burst a master sends when it hears
    /// a lower priority (delay nil: the master delay; repeat nil: the master repeat).
    public var lowerPriorityDelay: Duration?
    public var lowerPriorityRepeat: Int?

    public init() {}
}

/// keepalived's `lvs_sync_daemon`: the kernel's IPVS connection-sync daemon follows an instance.
public struct LVSSyncDaemonConfig: Sendable, Hashable {
    public var interface: String
    /// The instance whose MASTER state makes this director the sync master; nil: both daemons
    /// always run (keepalived's behaviour when no instance is named).
    public var instance: String?
    /// `id`: nil means the instance's VRID (keepalived's default).
    public var syncID: UInt8?
    public var maxLength: UInt16?
    public var port: UInt16?
    public var ttl: UInt8?
    public var group: IPAddress?
    public var location: SourceLocation

    public init(interface: String, instance: String? = nil, syncID: UInt8? = nil, maxLength: UInt16? = nil,
                port: UInt16? = nil, ttl: UInt8? = nil, group: IPAddress? = nil, location: SourceLocation) {
        self.interface = interface
        self.instance = instance
        self.syncID = syncID
        self.maxLength = maxLength
        self.port = port
        self.ttl = ttl
        self.group = group
        self.location = location
    }
}

extension LVSSyncDaemonConfig {
    /// Whether two lines ask for the same daemons (where they stand in the file aside).
    public static func sameSettings(_ a: Self?, _ b: Self?) -> Bool {
        guard var a, let b else { return a == nil && b == nil }
        a.location = b.location
        return a == b
    }

    /// The line's settings as `lvs_sync_daemon` writes them: "eth0 VI_1 id 7 port 8849".
    public var settingsDescription: String {
        var words = [interface]
        if let instance { words.append(instance) }
        if let syncID { words += ["id", String(syncID)] }
        if let maxLength { words += ["maxlen", String(maxLength)] }
        if let port { words += ["port", String(port)] }
        if let ttl { words += ["ttl", String(ttl)] }
        if let group { words += ["group", group.description] }
        return words.joined(separator: " ")
    }
}
