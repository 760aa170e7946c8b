import NetworkModel

/// An advert that passed every check of ``AdvertValidator``: the domain view of it.
public struct AcceptedAdvert: Sendable, Hashable {
    /// The packet as decoded.
    public var packet: VRRPPacket
    /// Sender address.
    public var source: IPAddress
    /// Whether it came to the multicast group.
    public var isMulticast: Bool
    /// True when only keepalived ≤ 1.3.6's unicast checksum form verified (multicast group
    /// as the pseudo-header destination): the sender is an old keepalived.
    public var usedOldUnicastChecksum: Bool

    /// Sender's priority (0: the master is stopping).
    public var priority: UInt8 { packet.priority }
    /// The advertisement interval it carries.
    public var advertInterval: Duration { packet.advertInterval }

    /// The state-machine event this advert makes.
    public var event: ReceivedAdvert {
        ReceivedAdvert(priority: priority, source: source, advertIntervalNanoseconds: packet.advertIntervalNanoseconds)
    }
}
