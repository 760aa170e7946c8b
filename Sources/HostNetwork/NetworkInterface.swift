/// One network interface as rtnetlink reports it (a link dump entry or an RTM_NEWLINK event).
public struct NetworkInterface: Sendable, Hashable {
    /// The kernel's interface index (ifindex).
    public var index: Int32
    public var name: String
    /// The hardware address, when the link has a 6-byte one.
    public var macAddress: MACAddress?
    /// IFF_* flags as the kernel reports them (ifi_flags).
    public var flags: UInt32
    public var mtu: UInt32?

    public init(index: Int32, name: String, macAddress: MACAddress?, flags: UInt32, mtu: UInt32?) {
        self.index = index
        self.name = name
        self.macAddress = macAddress
        self.flags = flags
        self.mtu = mtu
    }

    /// Administratively up (IFF_UP: `ip link set NAME up`).
    public var isUp: Bool { flags & 0x1 != 0 }
    /// Up and operational (IFF_RUNNING): what VRRP treats as usable.
    public var isRunning: Bool { flags & 0x40 != 0 }
    /// The link layer has carrier (IFF_LOWER_UP).
    public var hasCarrier: Bool { flags & 0x10000 != 0 }
}
