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
