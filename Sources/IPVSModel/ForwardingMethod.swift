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
