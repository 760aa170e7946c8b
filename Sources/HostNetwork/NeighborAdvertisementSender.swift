import NetworkModel

/// Sends unsolicited neighbour advertisements for IPv6 VIPs on one interface, as keepalived's
/// vrrp_ndisc.c builds them: Ethernet to 33:33:00:00:00:01 from the interface's MAC, IPv6
/// from the VIP to ff02::1 with hop limit 255, ICMPv6 type 136 with Override set (Solicited
/// clear; Router when `router`), target = the VIP, and the target link-layer address option.
/// One socket per interface, kept (an AF_PACKET socket bound to it; see `PacketSocket`).
public struct NeighborAdvertisementSender: ~Copyable, Sendable {
    private let socket: PacketSocket

    /// Opens the sender; the interface must have a 6-byte hardware address.
    public init(interface: NetworkInterface) throws(HostNetworkError) {
        socket = try PacketSocket(interface: interface, .openNDSocket)
    }

    /// Sends one unsolicited NA for `address` (an IPv6 address). `router` sets the R flag;
    /// keepalived sets it when IPv6 forwarding is on for the interface.
    public func send(for address: IPAddress, router: Bool = false) throws(HostNetworkError) {
        let object = "for \(address) on \(socket.interface.name)"
        guard case .v6 = address else {
            throw HostNetworkError(code: .invalidValue, operation: .sendNeighborAdvertisement, object: object,
                                   step: "neighbour advertisements are IPv6 only (IPv4 uses gratuitous ARP)")
        }
        try socket.send(Self.frame(mac: socket.mac, address: address, router: router), .sendNeighborAdvertisement, object)
    }

    /// The 86-byte frame: Ethernet (14) + IPv6 (40) + NA (24) + target link-layer option (8).
    public static func frame(mac: MACAddress, address: IPAddress, router: Bool) -> [UInt8] {
        let target = address.bytes
        let allNodes: [UInt8] = [0xff, 0x02] + [UInt8](repeating: 0, count: 13) + [0x01]
        var icmp: [UInt8] = [136, 0, 0, 0]                       // type NA, code 0, checksum later
        icmp += [0x20 | (router ? 0x80 : 0), 0, 0, 0]            // flags: Override (+ Router)
        icmp += target
        icmp += [2, 1] + mac.array                               // option: target link-layer address, 8 bytes
        let checksum = InternetChecksum.of(pseudoHeader(source: target, destination: allNodes, length: icmp.count) + icmp)
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xff)

        var f: [UInt8] = [0x33, 0x33, 0, 0, 0, 1] + mac.array + [0x86, 0xdd]
        f += [0x60, 0, 0, 0]                                     // version 6, class 0, flow 0
        f += [UInt8(icmp.count >> 8), UInt8(icmp.count & 0xff), 58, 255]  // payload length, ICMPv6, hop limit
        f += target + allNodes
        return f + icmp
    }

    /// The IPv6 pseudo-header for ICMPv6 (RFC 8200 §8.1).
    static func pseudoHeader(source: [UInt8], destination: [UInt8], length: Int) -> [UInt8] {
        source + destination + [UInt8(length >> 24 & 0xff), UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff)]
            + [0, 0, 0, 58]
    }
}
