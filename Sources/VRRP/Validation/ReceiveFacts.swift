import NetworkModel

/// What the socket layer knows about a received VRRP message besides its bytes. For IPv4 the
/// validator reads these from the IP header the raw socket delivers; for IPv6 they come from
/// the recvmsg source address and the IPV6_PKTINFO / IPV6_HOPLIMIT control messages.
public struct ReceiveFacts: Sendable, Hashable {
    /// Sender address (the master's address in elections and ties).
    public var source: IPAddress
    /// Destination address (a multicast group, or our unicast address).
    public var destination: IPAddress
    /// TTL (IPv4) or hop limit (IPv6).
    public var ttl: UInt8
    /// Whether the destination is a multicast address.
    public var isMulticast: Bool

    /// Facts; `isMulticast` defaults to what `destination` is.
    public init(source: IPAddress, destination: IPAddress, ttl: UInt8, isMulticast: Bool? = nil) {
        self.source = source
        self.destination = destination
        self.ttl = ttl
        self.isMulticast = isMulticast ?? ReceiveFacts.isMulticast(destination)
    }

    /// 224.0.0.0/4 or ff00::/8.
    public static func isMulticast(_ address: IPAddress) -> Bool {
        switch address {
        case let .v4(a, _, _, _): return a & 0xF0 == 0xE0
        case let .v6(bytes): return bytes[0] == 0xFF
        }
    }
}
