import NetworkModel

/// One datagram a `VRRPReceiveSocket` received, with what the kernel said about it.
public struct VRRPDatagram: Sendable, Hashable {
    /// IPv4: the whole IP datagram, header included (raw IPv4 sockets return it), so the
    /// engine checks the TTL, header length and `tot_len` as keepalived does. IPv6: the VRRP
    /// message only (raw IPv6 sockets never return the header; the kernel already verified
    /// the checksum through IPV6_CHECKSUM).
    public var bytes: [UInt8]
    /// The sender's address.
    public var source: IPAddress
    /// The address it was sent to (IP_PKTINFO / IPV6_PKTINFO): 224.0.0.18 or ff02::12 for
    /// multicast, this node's address for unicast.
    public var destination: IPAddress
    /// The interface it arrived on.
    public var interfaceIndex: Int32
    /// IPv4: the TTL from the header; IPv6: the hop limit (IPV6_HOPLIMIT). RFC 3768/5798 and
    /// keepalived require 255 for multicast only.
    public var hopLimit: UInt8
    /// The datagram was larger than the receive buffer (`VRRPReceiveSocket.maximumDatagramSize`)
    /// and `bytes` holds only its start: to be rejected.
    public var isTruncated: Bool

    public init(bytes: [UInt8], source: IPAddress, destination: IPAddress, interfaceIndex: Int32,
                hopLimit: UInt8, isTruncated: Bool) {
        self.bytes = bytes
        self.source = source
        self.destination = destination
        self.interfaceIndex = interfaceIndex
        self.hopLimit = hopLimit
        self.isTruncated = isTruncated
    }

    /// Whether it was sent to a multicast group (then the TTL / hop limit must be 255).
    public var isMulticast: Bool { destination.isMulticast }
}
