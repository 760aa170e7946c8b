import NetworkModel
import HostNetwork

/// Which instances can share a send socket: the same family and interface, and both unicast or
/// both multicast (the socket options differ). keepalived shares its send sockets the same way.
struct SenderKey: Hashable, Sendable {
    var family: AddressFamily
    var interfaceIndex: Int32
    var unicast: Bool
}

/// A VRRP send socket shared by the instances of one `SenderKey`; closed when the last
/// `VirtualRouter` holding it goes.
///
/// A send socket is raw, IP protocol 112: it never queues what arrives (a drop-all filter), but
/// the kernel still clones every VRRP datagram that reaches the namespace to it and runs its
/// filter. One per instance made each incoming advert cost N clones with N instances on an
/// interface; shared, it costs one, as with keepalived.
final class AdvertSender: Sendable {
    let socket: VRRPSendSocket

    init(socket: consuming VRRPSendSocket) {
        self.socket = socket
    }
}

/// The engine's table of send sockets in use, by key, without keeping them open: an entry
/// whose routers are all gone has no sender any more.
struct WeakAdvertSender {
    weak var sender: AdvertSender?
}
