/// A transport protocol IPVS balances and a mark rule can narrow to (IPPROTO_* values, which
/// also order them: TCP, UDP, SCTP).
public enum TransportProtocol: UInt16, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case tcp = 6
    case udp = 17
    case sctp = 132

    /// The protocol with IANA number `number`, if it is one of these.
    public init?(number: Int) {
        guard let p = Self.allCases.first(where: { Int($0.rawValue) == number }) else { return nil }
        self = p
    }

    /// The protocol named exactly `tcp`, `udp` or `sctp` (lowercase, as iptables and nft print them).
    public init?(name: some StringProtocol) {
        guard let p = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = p
    }

    /// `tcp`, `udp` or `sctp`: the name iptables and nft use.
    public var name: String {
        switch self {
        case .tcp: return "tcp"
        case .udp: return "udp"
        case .sctp: return "sctp"
        }
    }

    public static func < (lhs: TransportProtocol, rhs: TransportProtocol) -> Bool { lhs.rawValue < rhs.rawValue }

    /// `TCP`, `UDP` or `SCTP`, as ipvsadm prints them.
    public var description: String {
        switch self {
        case .tcp: return "TCP"
        case .udp: return "UDP"
        case .sctp: return "SCTP"
        }
    }
}
