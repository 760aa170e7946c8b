import NetworkModel
import HostNetwork
import KeepalivedConfig
import EventLoop
import VRRP

/// One `vrrp_instance` block.
public struct VRRPInstanceConfig: Sendable, Hashable {
    /// The state an instance is configured to start in. Every instance starts as a backup on
    /// the wire; MASTER only shortens the first wait (and with priority 255 skips it).
    public enum InitialState: String, Sendable, Hashable {
        case master = "MASTER"
        case backup = "BACKUP"
    }

    /// `authentication { auth_type PASS; auth_pass … }`: v2 over IPv4 only.
    public enum Authentication: Sendable, Hashable {
        case none
        /// The password as sent: the first 8 bytes of `auth_pass`, zero padded.
        case password([UInt8])
    }

    public var name: String
    public var location: SourceLocation
    public var initialState: InitialState = .backup
    public var interface: String
    public var virtualRouterID: UInt8
    /// 1…255; 255 is the address owner.
    public var priority: UInt8 = 100
    /// `advert_int`: whole seconds for v2, 10 ms steps (0.01…40.95 s) for v3.
    public var advertInterval: Duration = .seconds(1)
    /// `version`, else the global `vrrp_version`; IPv6 instances are always 3.
    public var version: UInt8 = 2
    public var family: AddressFamily = .inet
    /// `unicast_src_ip`: the source of adverts, and the address the receive socket binds to.
    public var unicastSource: IPAddress?
    /// `unicast_peer { … }`: adverts go to each; empty means multicast.
    public var unicastPeers: [IPAddress] = []
    /// `check_unicast_src`: drop adverts whose source is not a peer.
    public var checkUnicastSource = false
    public var authentication: Authentication = .none
    public var virtualAddresses: [VirtualAddress] = []
    /// `virtual_ipaddress_excluded`: added and removed with the others, not advertised.
    public var excludedAddresses: [VirtualAddress] = []
    public var nopreempt = false
    public var preemptDelay: Duration = .zero
    public var trackScripts: [TrackedScript] = []
    public var trackInterfaces: [TrackedInterface] = []
    /// `dont_track_primary`: the instance's own interface going down is not a fault.
    public var dontTrackPrimary = false
    public var garp = GratuitousARPSettings()
    public var notify = NotifyScripts()
    /// `lower_prio_no_advert`: a master that hears a lower priority does not answer it.
    public var lowerPriorityNoAdvert = false
    /// `higher_prio_send_advert`: a backup that hears a higher priority than a master's answers
    /// once (split-brain recovery).
    public var higherPrioritySendAdvert = false
    /// v3 over IPv4 without the IPv4 pseudo-header in the checksum (routers that follow the
    /// RFC's letter; keepalived 2.2.8's `v3_checksum_as_v2`). keepalived 2.2.7 includes it.
    public var checksumWithoutPseudoHeader = false
    /// The older per-instance `lvs_sync_daemon_interface`.
    public var lvsSyncInterface: String?

    public init(name: String, location: SourceLocation, interface: String, virtualRouterID: UInt8) {
        self.name = name
        self.location = location
        self.interface = interface
        self.virtualRouterID = virtualRouterID
    }

    /// Unicast when it names peers.
    public var isUnicast: Bool { !unicastPeers.isEmpty }

    /// The addresses carried in adverts, in the order they are sent.
    public var advertisedAddresses: [IPAddress] { virtualAddresses.map(\.address) }
}

/// One address of `virtual_ipaddress`: `ADDR[/LEN] [dev IF] [label L] [scope S] [brd B]`.
public struct VirtualAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    /// /32 or /128 when the line gives none (keepalived's default).
    public var prefixLength: UInt8
    /// The interface it goes on; nil: the instance's.
    public var device: String?
    public var label: String?
    public var scope: AddressScope?
    public var broadcast: IPAddress?
    public var location: SourceLocation

    public init(address: IPAddress, prefixLength: UInt8, device: String? = nil, label: String? = nil,
                scope: AddressScope? = nil, broadcast: IPAddress? = nil, location: SourceLocation) {
        self.address = address
        self.prefixLength = prefixLength
        self.device = device
        self.label = label
        self.scope = scope
        self.broadcast = broadcast
        self.location = location
    }

    public var description: String { "\(address)/\(prefixLength)" + (device.map { " dev \($0)" } ?? "") }
}

/// `track_script { NAME [weight W [reverse]] }`.
public struct TrackedScript: Sendable, Hashable {
    public var name: String
    /// Overrides the script's own weight.
    public var weight: Int?
    public var reverse = false
    public var location: SourceLocation
}

/// `track_interface { IF [weight W [reverse]] }`: weight 0 means FAULT while the link is down.
public struct TrackedInterface: Sendable, Hashable {
    public var name: String
    public var weight: Int = 0
    public var reverse = false
    public var location: SourceLocation

    public init(name: String, weight: Int = 0, reverse: Bool = false, location: SourceLocation) {
        self.name = name
        self.weight = weight
        self.reverse = reverse
        self.location = location
    }
}

/// The notify scripts of an instance or a sync group.
public struct NotifyScripts: Sendable, Hashable {
    public var master: CheckCommand?
    public var backup: CheckCommand?
    public var fault: CheckCommand?
    public var stop: CheckCommand?
    /// `notify`: called with `INSTANCE|GROUP NAME STATE PRIORITY` on every change.
    public var any: CheckCommand?

    public init() {}

    public var isEmpty: Bool { master == nil && backup == nil && fault == nil && stop == nil && any == nil }
}

/// One `vrrp_script` block.
public struct VRRPScriptConfig: Sendable, Hashable {
    public var name: String
    public var location: SourceLocation
    public var command: CheckCommand
    /// The script as written (for messages).
    public var text: String
    public var interval: Duration = .seconds(1)
    /// nil: the interval (keepalived's default).
    public var timeout: Duration?
    /// -253…253; 0 means FAULT while the script fails.
    public var weight = 0
    /// `weight W reverse`: the weight applies while the script fails (positive) or succeeds.
    public var weightReverse = false
    public var rise = 1
    public var fall = 1
    /// `init_fail`: the script starts failed rather than OK.
    public var initFail = false
}

/// One `vrrp_sync_group`: its instances change state together.
public struct VRRPSyncGroupConfig: Sendable, Hashable {
    public var name: String
    public var location: SourceLocation
    public var members: [String]
    public var notify = NotifyScripts()
    /// `sync_group_tracking_weight`: the members keep their track weights (keepalived otherwise
    /// ignores them inside a group).
    public var trackingWeight = false

    public init(name: String, location: SourceLocation, members: [String]) {
        self.name = name
        self.location = location
        self.members = members
    }
}
