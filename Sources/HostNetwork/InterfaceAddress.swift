import NetworkModel

/// The scope of an interface address (ifa_scope), as `ip addr ... scope S` names it.
public struct AddressScope: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let global = AddressScope(rawValue: 0)
    public static let link = AddressScope(rawValue: 253)

    /// The scopes ip(8) and keepalived name (rt_scopes), with their numbers.
    public static let named: [(name: String, scope: AddressScope)] = [
        ("global", .global), ("site", AddressScope(rawValue: 200)), ("link", .link),
        ("host", AddressScope(rawValue: 254)), ("nowhere", AddressScope(rawValue: 255)),
    ]

    /// A scope of `named`, by its name or its number (as keepalived's `scope` takes them).
    public init?(name: String) {
        guard let s = Self.named.first(where: { $0.name == name || String($0.scope.rawValue) == name }) else { return nil }
        self = s.scope
    }

    /// Its name in `named`, or its number.
    public var description: String { Self.named.first { $0.scope == self }?.name ?? String(rawValue) }
}

/// An address on an interface: what `ip addr add ADDR/LEN dev IF [label L] [scope S] [brd B]`
/// sets, and what a dump or an RTM_NEWADDR/RTM_DELADDR event reports.
public struct InterfaceAddress: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: UInt8
    /// The interface's index (ifa_index).
    public var interfaceIndex: Int32
    /// IPv4 only: the label (`eth0:vip`); nil = the interface's name.
    public var label: String?
    public var scope: AddressScope
    /// IPv4 only: the broadcast address; nil = none.
    public var broadcast: IPAddress?
    /// IFA_F_* flags: on add, only IFA_F_NODAD (0x02) and IFA_F_NOPREFIXROUTE (0x200) are
    /// meaningful; a dump reports the kernel's (secondary 0x01, tentative 0x40, …).
    public var flags: UInt32

    /// IFA_F_SECONDARY
    public static let secondaryFlag: UInt32 = 0x01
    /// IFA_F_NODAD: IPv6 without duplicate address detection (how keepalived adds IPv6 VIPs,
    /// so they are usable at once instead of tentative for a second or more).
    public static let noDADFlag: UInt32 = 0x02
    /// IFA_F_TENTATIVE
    public static let tentativeFlag: UInt32 = 0x40

    /// For IPv6, `flags` defaults to IFA_F_NODAD, as keepalived adds its VIPs.
    public init(address: IPAddress, prefixLength: UInt8, interfaceIndex: Int32, label: String? = nil,
                scope: AddressScope = .global, broadcast: IPAddress? = nil, flags: UInt32? = nil) {
        self.address = address
        self.prefixLength = prefixLength
        self.interfaceIndex = interfaceIndex
        self.label = label
        self.scope = scope
        self.broadcast = broadcast
        self.flags = flags ?? (address.family == .inet6 ? Self.noDADFlag : 0)
    }

    public var family: AddressFamily { address.family }
    public var isSecondary: Bool { flags & Self.secondaryFlag != 0 }
    public var isTentative: Bool { flags & Self.tentativeFlag != 0 }

    /// IPv6 fe80::/10.
    public var isIPv6LinkLocal: Bool {
        guard case let .v6(b) = address else { return false }
        return b[0] == 0xfe && b[1] & 0xc0 == 0x80
    }

    /// `ADDR/LEN`
    public var description: String { "\(address)/\(prefixLength)" }
}
