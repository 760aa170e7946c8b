internal import CNetlinkRoute
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// An AF_PACKET SOCK_RAW socket bound to one interface that only sends whole Ethernet frames.
/// Bound with protocol 0, it never receives (keepalived's ETH_P_RARP / ETH_P_IPV6 sockets
/// get a copy of matching traffic they never read; this one gets none).
struct PacketSocket: ~Copyable, Sendable {
    let descriptor: OwnedDescriptor
    let interface: NetworkInterface
    /// The interface's hardware address: the frames' source.
    let mac: MACAddress

    /// Opens and binds the socket; the interface must have a 6-byte hardware address.
    init(interface: NetworkInterface, _ op: HostNetworkError.Operation) throws(HostNetworkError) {
        let object = "on \(interface.name)"
        guard let mac = interface.macAddress else {
            throw HostNetworkError(code: .invalidValue, operation: op, object: object, step: "the interface has no Ethernet address")
        }
        let d = try OwnedDescriptor.socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0, label: "AF_PACKET, SOCK_RAW", op, object)
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = 0
        address.sll_ifindex = interface.index
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(d.rawValue, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) }
        }
        if rc != 0 { throw .system(.current, op, object, step: "bind to interface index \(interface.index)") }
        descriptor = d
        self.interface = interface
        self.mac = mac
    }

    /// Sends one frame (Ethernet header included) out of the interface.
    func send(_ frame: [UInt8], _ op: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) {
        let sent = frame.withUnsafeBytes { Glibc.send(descriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if sent < 0 { throw .system(.current, op, object) }
        if sent != frame.count {
            throw HostNetworkError(code: .system, errno: .messageTooLong, operation: op, object: object, step: "sent \(sent) of \(frame.count) bytes")
        }
    }
}
