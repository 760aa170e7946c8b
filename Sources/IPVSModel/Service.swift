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
