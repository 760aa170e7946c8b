import NetworkModel

/// Builds the bytes one instance sends, advert after advert, as keepalived 2.2.7 does: for IPv4
/// the whole datagram for an IP_HDRINCL socket (its identification counting 1, 2, 3 … and
/// skipping 0), for IPv6 the VRRP message (the kernel adds the header; with IPV6_CHECKSUM at
/// offset 6 it also rewrites the checksum, whatever value is there).
public struct AdvertEncoder: Sendable, Hashable {
    /// Virtual router identifier.
    public var vrid: UInt8
    /// Protocol version (IPv6: v3).
    public var version: VRRPVersion
    /// v2 authentication.
    public var authentication: VRRPAuthentication
    /// Configured advertisement interval (rounded to the wire's unit when encoded).
    public var advertInterval: Duration
    /// The virtual addresses carried.
    public var addresses: [IPAddress]
    /// Our source address (`unicast_src_ip`, the interface's primary address, or for IPv6 its
    /// link-local address).
    public var source: IPAddress
    /// v3/IPv4: leave the IPv4 pseudo-header out of the checksum (for routers that do).
    public var omitIPv4PseudoHeader: Bool
    /// TTL / hop limit written in the IPv4 header (255; `unicast_ttl` may change it).
    public var ttl: UInt8
    /// Identification of the next IPv4 datagram.
    public private(set) var nextIdentification: UInt16 = 1

    /// An encoder; unset options are keepalived's defaults.
    public init(vrid: UInt8, version: VRRPVersion, authentication: VRRPAuthentication = .none,
                advertInterval: Duration, addresses: [IPAddress], source: IPAddress,
                omitIPv4PseudoHeader: Bool = false, ttl: UInt8 = 255) {
        self.vrid = vrid
        self.version = version
        self.authentication = authentication
        self.advertInterval = advertInterval
        self.addresses = addresses
        self.source = source
        self.omitIPv4PseudoHeader = omitIPv4PseudoHeader
        self.ttl = ttl
    }

    /// The bytes of one advert with `priority` to `destination` (the multicast group, or one
    /// unicast peer: each copy has its own checksum under v3). Advances the IPv4 identification
    /// once per call; pass `newAdvert: false` for the second and later unicast copies of the
    /// same advert, which keepalived sends with the same identification.
    public mutating func encode(priority: UInt8, destination: IPAddress, newAdvert: Bool = true) -> [UInt8] {
        let packet = VRRPPacket.advertisement(version: version, vrid: vrid, priority: priority,
                                              advertInterval: advertInterval, authentication: authentication,
                                              addresses: addresses)
        let payload = packet.encoded(coverage: .standard(version: version, source: source, destination: destination,
                                                         omitIPv4PseudoHeader: omitIPv4PseudoHeader))
        guard source.family == .inet else { return payload }
        let header = IPv4Header.vrrp(source: source, destination: destination, payloadLength: payload.count,
                                     identification: takeIdentification(newAdvert: newAdvert), ttl: ttl)
        return header.encoded() + payload
    }

    /// Makes `datagram`, bytes that `encode` returned earlier for the same priority and
    /// destination, the bytes `encode` would return now: only the IPv4 identification (and so
    /// the header checksum) differs from one advert to the next, so a master builds its advert
    /// once per priority and restamps it for each send. Advances the identification exactly as
    /// `encode` does. IPv6 messages are returned as they are.
    public mutating func restamp(_ datagram: inout [UInt8], newAdvert: Bool = true) {
        guard source.family == .inet, datagram.count >= 20 else { return }
        let identification = takeIdentification(newAdvert: newAdvert)
        datagram[4] = UInt8(identification >> 8)
        datagram[5] = UInt8(identification & 0xff)
        datagram[10] = 0
        datagram[11] = 0
        let checksum = InternetChecksum.of(datagram[0..<20])
        datagram[10] = UInt8(checksum >> 8)
        datagram[11] = UInt8(checksum & 0xff)
    }

    /// The identification of the datagram being made (a second copy of one advert, to another
    /// unicast peer, takes the previous one again), and the next one after it (0 is skipped).
    private mutating func takeIdentification(newAdvert: Bool) -> UInt16 {
        if !newAdvert { nextIdentification = nextIdentification == 1 ? UInt16.max : nextIdentification - 1 }
        defer { nextIdentification = nextIdentification == UInt16.max ? 1 : nextIdentification + 1 }
        return nextIdentification
    }
}
