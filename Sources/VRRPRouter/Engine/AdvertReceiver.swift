import NetworkModel
import HostNetwork

/// Which instances can share a receive socket: the same family, interface and unicast source
/// (nil: multicast). keepalived shares its sockets the same way (one per interface, family
/// and unicast source, adverts dispatched by VRID).
struct ReceiverKey: Hashable, Sendable, CustomStringConvertible {
    var family: AddressFamily
    var interfaceIndex: Int32
    var unicastSource: IPAddress?

    var description: String {
        "\(family == .inet ? "IPv4" : "IPv6") on interface \(interfaceIndex)\(unicastSource.map { ", unicast to \($0)" } ?? ", multicast")"
    }
}

/// One VRRP receive socket and the instances that read their adverts from it, by VRID.
///
/// A raw socket gets a copy of every VRRP datagram that reaches its namespace and matches its
/// bind: with a socket per instance, N instances on one interface made the kernel clone each
/// advert N times (charged to the sender, on veth) and the daemon wake, read and validate it N
/// times, to keep one. Shared, each advert is read once and given to the instance with its
/// VRID. Owned by the `VRRPEngine` actor; its socket is registered on the reactor for as
/// long as it has members, and read into one buffer kept for its life.
final class AdvertReceiver {
    let key: ReceiverKey
    let socket: VRRPReceiveSocket
    /// The member instances by VRID, indexed by it (more than one only in a configuration
    /// keepalived would refuse): every advert read is handed to its VRID's, with no hashing.
    private var members = [[VirtualRouter]](repeating: [], count: 256)
    private var memberCount = 0
    /// The socket's reactor registration (`Reactor.register`), once a member has started.
    var registration: UInt64?
    /// The receive buffer, reused for every datagram.
    private let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: VRRPReceiveSocket.maximumDatagramSize)

    init(key: ReceiverKey, socket: consuming VRRPReceiveSocket) {
        self.key = key
        self.socket = socket
    }

    deinit { buffer.deallocate() }

    /// Reads every datagram queued now (in batches of 64) and hands each to `body`.
    func receive(_ body: (VRRPDatagram) -> Void) throws(HostNetworkError) {
        while try socket.receive(into: buffer, limit: 64, body) == 64 {}
    }

    var isEmpty: Bool { memberCount == 0 }

    /// Every member, whatever its VRID.
    var allMembers: [VirtualRouter] { members.flatMap { $0 } }

    func add(_ r: VirtualRouter) {
        let vrid = Int(r.config.virtualRouterID)
        guard !members[vrid].contains(where: { $0 === r }) else { return }
        members[vrid].append(r)
        memberCount += 1
    }

    func remove(_ r: VirtualRouter) {
        let vrid = Int(r.config.virtualRouterID)
        let before = members[vrid].count
        members[vrid].removeAll { $0 === r }
        memberCount -= before - members[vrid].count
    }

    /// The instances a datagram is for: those with its VRID, none when no member has it (another
    /// router's advert on a shared group), and every member when it is too short to carry a
    /// VRID (so each instance's validator rejects it with its reason, as before).
    func recipients(of d: VRRPDatagram) -> [VirtualRouter] {
        guard let vrid = Self.vrid(of: d.bytes, family: key.family) else { return allMembers }
        return members[Int(vrid)]
    }

    /// The VRID byte: after the IPv4 header (raw IPv4 sockets return it), or the second byte of
    /// the VRRP message (IPv6). Nil when the datagram is too short.
    static func vrid(of bytes: [UInt8], family: AddressFamily) -> UInt8? {
        var offset = 1
        if family == .inet {
            guard let first = bytes.first else { return nil }
            offset += Int(first & 0x0f) * 4
        }
        return offset < bytes.count ? bytes[offset] : nil
    }
}
