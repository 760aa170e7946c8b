import NetworkModel
import HostNetwork

/// The packet sockets gratuitous ARPs and unsolicited neighbour advertisements leave an
/// interface by, shared by every instance on that interface (with a hundred instances on eth0:
/// two sockets, not two hundred), each opened when the first instance that needs it does, and
/// closed with the last `VirtualRouter` holding them. Owned by the `VRRPEngine` actor.
final class AnnouncementSender {
    let interface: NetworkInterface
    private var arp: GratuitousARPSender?
    private var neighbor: NeighborAdvertisementSender?

    init(interface: NetworkInterface) {
        self.interface = interface
    }

    /// Opens the socket for `family` unless it is open already.
    func open(for family: AddressFamily) throws(HostNetworkError) {
        switch family {
        case .inet: if arp == nil { arp = try GratuitousARPSender(interface: interface) }
        case .inet6: if neighbor == nil { neighbor = try NeighborAdvertisementSender(interface: interface) }
        }
    }

    /// One GARP (IPv4) or unsolicited NA (IPv6) for `address`.
    func send(for address: IPAddress) throws(HostNetworkError) {
        if address.family == .inet { try arp?.send(for: address) } else { try neighbor?.send(for: address) }
    }
}

/// The engine's table of announcement senders by interface index, without keeping them open.
struct WeakAnnouncementSender {
    weak var sender: AnnouncementSender?
}
