/// Transport protocol of an address-keyed virtual service (IPPROTO_* values).
public enum TransportProtocol: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case tcp = 6
    case udp = 17
    case sctp = 132

    public var description: String {
        switch self {
        case .tcp: return "TCP"
        case .udp: return "UDP"
        case .sctp: return "SCTP"
        }
    }
}

/// What identifies a virtual service to the kernel: protocol, address and port,
/// or a firewall mark with an address family.
public enum ServiceKey: Hashable, Sendable {
    /// A TCP, UDP or SCTP service on `address:port` (port in host byte order).
    case address(TransportProtocol, IPAddress, port: UInt16)
    /// A firewall-mark service; `family` says which packets (IPv4 or IPv6) it takes.
    case fwmark(UInt32, family: AddressFamily)

    public var family: AddressFamily {
        switch self {
        case let .address(_, address, _): return address.family
        case let .fwmark(_, family): return family
        }
    }

    public var isFirewallMark: Bool {
        if case .fwmark = self { return true }
        return false
    }

    /// One or three words into the hasher instead of a word per field and case tag: tables
    /// of tens of thousands of services hash their keys on every lookup. (Equality stays
    /// the synthesized one; equal keys give equal words.)
    public func hash(into hasher: inout Hasher) {
        switch self {
        case let .address(proto, address, port):
            let head = UInt64(proto.rawValue) << 32 | UInt64(port) << 16
            switch address {
            case let .v4(a, b, c, d):
                hasher.combine(head << 16 | UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d))
            case let .v6(bytes):
                hasher.combine(head | 1)
                hasher.combine(bytes)
            }
        case let .fwmark(mark, family):
            hasher.combine(UInt64(1) << 63 | UInt64(family.rawValue) << 32 | UInt64(mark))
        }
    }
}

extension ServiceKey: CustomStringConvertible {
    /// `TCP 192.0.2.1:80`, `UDP [2001:db8::1]:53`, `FWM 80`, `FWM 80 IPv6`.
    public var description: String {
        switch self {
        case let .address(proto, address, port):
            let host = address.family == .inet6 ? "[\(address)]" : "\(address)"
            return "\(proto) \(host):\(port)"
        case let .fwmark(mark, family):
            return family == .inet6 ? "FWM \(mark) IPv6" : "FWM \(mark)"
        }
    }
}

extension ServiceKey: Comparable {
    /// Fwmark services after address services, like ipvsadm's listing.
    public static func < (lhs: ServiceKey, rhs: ServiceKey) -> Bool {
        switch (lhs, rhs) {
        case let (.address(p1, a1, port1), .address(p2, a2, port2)):
            if p1 != p2 { return p1.rawValue < p2.rawValue }
            if a1 != a2 { return a1 < a2 }
            return port1 < port2
        case (.address, .fwmark): return true
        case (.fwmark, .address): return false
        case let (.fwmark(m1, f1), .fwmark(m2, f2)):
            if m1 != m2 { return m1 < m2 }
            return f1.rawValue < f2.rawValue
        }
    }
}

/// Service flags a user can set. The kernel's HASHED flag is internal and never appears here.
public struct ServiceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let persistent = ServiceFlags(rawValue: 0x0001)
    public static let onePacket = ServiceFlags(rawValue: 0x0004)
    public static let schedulerFlag1 = ServiceFlags(rawValue: 0x0008)
    public static let schedulerFlag2 = ServiceFlags(rawValue: 0x0010)
    public static let schedulerFlag3 = ServiceFlags(rawValue: 0x0020)

    /// Source-hash scheduler: fall back to another server when the chosen one is unavailable.
    public static let shFallback = schedulerFlag1
    /// Source-hash scheduler: hash the source port too.
    public static let shPort = schedulerFlag2
    /// Maglev-hash scheduler: fall back to another server when the chosen one is unavailable.
    public static let mhFallback = schedulerFlag1
    /// Maglev-hash scheduler: hash the source port too.
    public static let mhPort = schedulerFlag2

    /// The flags the kernel accepts from user space (everything but HASHED).
    public static let settable: ServiceFlags = [.persistent, .onePacket, .schedulerFlag1, .schedulerFlag2, .schedulerFlag3]
}

/// A virtual service as configured: what `ipvsadm -A` sets.
public struct Service: Hashable, Sendable {
    public var key: ServiceKey
    /// Scheduler name without the `ip_vs_` prefix: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos…
    public var scheduler: String
    public var flags: ServiceFlags
    /// Persistence timeout in seconds (meaningful with `.persistent`).
    public var timeout: UInt32
    /// Persistence granularity. IPv4: the mask as a host-order integer (255.255.255.0 is 0xFFFFFF00).
    /// IPv6: the prefix length, 1...128.
    public var netmask: UInt32
    /// Persistence engine name (`sip`), if any.
    public var persistenceEngine: String?

    /// ipvsadm's default persistence timeout when `-p` has no value.
    public static let defaultPersistenceTimeout: UInt32 = 360
    public static let defaultScheduler = "wlc"

    public init(
        key: ServiceKey,
        scheduler: String = Service.defaultScheduler,
        flags: ServiceFlags = [],
        timeout: UInt32 = 0,
        netmask: UInt32? = nil,
        persistenceEngine: String? = nil
    ) {
        self.key = key
        self.scheduler = scheduler
        self.flags = flags
        self.timeout = timeout
        self.netmask = netmask ?? Service.fullNetmask(key.family)
        self.persistenceEngine = persistenceEngine
    }

    /// The persistence timeout when the service is persistent, nil otherwise.
    public var persistence: UInt32? {
        get { flags.contains(.persistent) ? timeout : nil }
        set {
            if let newValue {
                flags.insert(.persistent)
                timeout = newValue
            } else {
                flags.remove(.persistent)
                timeout = 0
            }
        }
    }

    /// 255.255.255.255 for IPv4, /128 for IPv6: one client address per persistence template.
    public static func fullNetmask(_ family: AddressFamily) -> UInt32 {
        family == .inet ? 0xFFFF_FFFF : 128
    }
}

/// How IPVS hands a packet to a real server.
public enum ForwardingMethod: Hashable, Sendable {
    /// NAT (`-m`).
    case masquerade
    /// Direct routing (`-g`): the real server holds the VIP itself.
    case directRouting
    /// IP tunnelling (`-i`), with its encapsulation.
    case tunnel(Tunnel)
    /// The kernel marks destinations that are local addresses.
    case local
    /// Cache bypass (kernel internal, shown for completeness).
    case bypass

    public static let tunnel = ForwardingMethod.tunnel(Tunnel())
}

/// Tunnel encapsulation of a tunnelling destination.
public struct Tunnel: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        case ipip = 0
        case gue = 1
        case gre = 2
    }
    public enum Checksum: UInt16, Hashable, Sendable {
        case none = 0      // IP_VS_TUNNEL_ENCAP_FLAG_NOCSUM
        case checksum = 1  // IP_VS_TUNNEL_ENCAP_FLAG_CSUM
        case remote = 2    // IP_VS_TUNNEL_ENCAP_FLAG_REMCSUM
    }
    public var kind: Kind
    /// UDP destination port for GUE (host order); 0 otherwise.
    public var port: UInt16
    public var checksum: Checksum

    public init(kind: Kind = .ipip, port: UInt16 = 0, checksum: Checksum = .none) {
        self.kind = kind
        self.port = port
        self.checksum = checksum
    }
}

/// Identifies a real server within a service.
public struct DestinationKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    /// Host byte order.
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public static func < (lhs: DestinationKey, rhs: DestinationKey) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.port < rhs.port
    }

    public var description: String {
        address.family == .inet6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// A real server as configured: what `ipvsadm -a` sets.
public struct Destination: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public var forwarding: ForwardingMethod
    /// 0...65535; 0 quiesces the server (no new connections).
    public var weight: Int32
    /// Upper connection threshold, 0 = none.
    public var upperThreshold: UInt32
    /// Lower connection threshold, 0 = none.
    public var lowerThreshold: UInt32

    public init(
        address: IPAddress,
        port: UInt16 = 0,
        forwarding: ForwardingMethod = .directRouting,
        weight: Int32 = 1,
        upperThreshold: UInt32 = 0,
        lowerThreshold: UInt32 = 0
    ) {
        self.address = address
        self.port = port
        self.forwarding = forwarding
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
    }

    public var key: DestinationKey { DestinationKey(address: address, port: port) }
}

/// Traffic counters and rates, 64-bit wherever the kernel offers it.
public struct Stats: Hashable, Sendable {
    public var connections: UInt64 = 0
    public var inPackets: UInt64 = 0
    public var outPackets: UInt64 = 0
    public var inBytes: UInt64 = 0
    public var outBytes: UInt64 = 0
    public var connectionRate: UInt64 = 0
    public var inPacketRate: UInt64 = 0
    public var outPacketRate: UInt64 = 0
    public var inByteRate: UInt64 = 0
    public var outByteRate: UInt64 = 0

    public init() {}
}

/// A real server as the kernel reports it: configuration, connection counts, counters.
public struct DestinationEntry: Hashable, Sendable {
    public var destination: Destination
    public var activeConnections: UInt32
    public var inactiveConnections: UInt32
    public var persistentConnections: UInt32
    public var stats: Stats

    public init(destination: Destination, activeConnections: UInt32 = 0, inactiveConnections: UInt32 = 0,
                persistentConnections: UInt32 = 0, stats: Stats = Stats()) {
        self.destination = destination
        self.activeConnections = activeConnections
        self.inactiveConnections = inactiveConnections
        self.persistentConnections = persistentConnections
        self.stats = stats
    }
}

/// A virtual service as the kernel reports it, with its real servers.
public struct ServiceEntry: Hashable, Sendable {
    public var service: Service
    public var stats: Stats
    public var destinations: [DestinationEntry]

    public init(service: Service, stats: Stats = Stats(), destinations: [DestinationEntry] = []) {
        self.service = service
        self.stats = stats
        self.destinations = destinations
    }
}

/// GET_INFO: IPVS version and connection hash table size.
public struct Info: Hashable, Sendable {
    /// Encoded like the kernel's IP_VS_VERSION_CODE: 0x010201 is 1.2.1.
    public var versionCode: UInt32
    public var connectionTableSize: UInt32

    public init(versionCode: UInt32, connectionTableSize: UInt32) {
        self.versionCode = versionCode
        self.connectionTableSize = connectionTableSize
    }

    /// "1.2.1"
    public var version: String {
        "\(versionCode >> 16 & 0xFF).\(versionCode >> 8 & 0xFF).\(versionCode & 0xFF)"
    }
}

/// Connection timeouts in seconds; 0 in a set request leaves that value unchanged.
public struct Timeouts: Hashable, Sendable {
    public var tcp: UInt32
    public var tcpFin: UInt32
    public var udp: UInt32

    public init(tcp: UInt32, tcpFin: UInt32, udp: UInt32) {
        self.tcp = tcp
        self.tcpFin = tcpFin
        self.udp = udp
    }
}

/// The kernel's connection-synchronisation daemon.
public struct SyncDaemon: Hashable, Sendable {
    public enum Role: UInt32, Hashable, Sendable, CustomStringConvertible {
        case master = 1   // IP_VS_STATE_MASTER
        case backup = 2   // IP_VS_STATE_BACKUP
        public var description: String { self == .master ? "master" : "backup" }
    }
    public var role: Role
    public var interface: String
    public var syncID: UInt32
    /// UDP payload size; nil lets the kernel choose.
    public var maxLength: UInt16?
    /// Multicast group (IPv4 or IPv6); nil for the default 224.0.0.81.
    public var group: IPAddress?
    /// Multicast port; nil for the default 8848.
    public var port: UInt16?
    /// Multicast TTL; nil for the default 1.
    public var ttl: UInt8?

    public init(role: Role, interface: String, syncID: UInt32 = 0, maxLength: UInt16? = nil,
                group: IPAddress? = nil, port: UInt16? = nil, ttl: UInt8? = nil) {
        self.role = role
        self.interface = interface
        self.syncID = syncID
        self.maxLength = maxLength
        self.group = group
        self.port = port
        self.ttl = ttl
    }
}

/// One change to the table, for `IPVS.apply(_:)`.
public enum Change: Hashable, Sendable {
    case addService(Service)
    case editService(Service)
    case deleteService(ServiceKey)
    case addDestination(Destination, to: ServiceKey)
    case editDestination(Destination, in: ServiceKey)
    case deleteDestination(DestinationKey, from: ServiceKey)
    case flush
    case zero(ServiceKey?)
}
