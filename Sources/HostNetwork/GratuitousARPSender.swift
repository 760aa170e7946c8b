import NetworkModel

/// Sends gratuitous ARPs for IPv4 VIPs on one interface, as keepalived's vrrp_arp.c builds
/// them: an ARP **request** from the interface's MAC to the Ethernet broadcast, sender IP =
/// target IP = the VIP, target hardware address ff:ff:ff:ff:ff:ff. One socket per interface,
/// kept for the interface's life (an AF_PACKET socket bound to it; see `PacketSocket`).
public struct GratuitousARPSender: ~Copyable, Sendable {
    private let socket: PacketSocket

    /// Opens the sender; the interface must have a 6-byte hardware address.
    public init(interface: NetworkInterface) throws(HostNetworkError) {
        socket = try PacketSocket(interface: interface, .openARPSocket)
    }

    /// Sends one gratuitous ARP for `address` (an IPv4 address).
    public func send(for address: IPAddress) throws(HostNetworkError) {
        let object = "for \(address) on \(socket.interface.name)"
        guard case .v4 = address else {
            throw HostNetworkError(code: .invalidValue, operation: .sendGratuitousARP, object: object,
                                   step: "gratuitous ARP is IPv4 only (IPv6 uses unsolicited neighbour advertisements)")
        }
        try socket.send(Self.frame(mac: socket.mac, address: address), .sendGratuitousARP, object)
    }

    /// The 42-byte frame (Ethernet header + ARP over Ethernet/IPv4), all fields big-endian.
    public static func frame(mac: MACAddress, address: IPAddress) -> [UInt8] {
        let ip = address.bytes
        var f: [UInt8] = []
        f.reserveCapacity(42)
        f += MACAddress.broadcast.array          // Ethernet destination
        f += mac.array                           // Ethernet source
        f += [0x08, 0x06]                        // EtherType ARP
        f += [0x00, 0x01, 0x08, 0x00, 6, 4]      // hardware Ethernet, protocol IPv4, lengths
        f += [0x00, 0x01]                        // operation: request
        f += mac.array + ip                      // sender hardware and protocol address
        f += MACAddress.broadcast.array + ip     // target hardware (as keepalived) and protocol address
        return f
    }
}
