import NetworkModel

/// What a local instance expects of the adverts it receives: the parameters of
/// ``AdvertValidator``.
public struct AdvertExpectation: Sendable, Hashable {
    /// Our virtual router identifier.
    public var vrid: UInt8
    /// Our VRRP version (IPv6 is always v3).
    public var version: VRRPVersion
    /// The address family of the instance.
    public var family: AddressFamily
    /// v2 authentication (ignored for v3).
    public var authentication: VRRPAuthentication
    /// Our configured advertisement interval (v2 adverts must carry exactly it, in seconds).
    public var advertInterval: Duration
    /// Our virtual addresses (the `virtual_ipaddress` block, excluded ones not counted).
    public var virtualAddresses: [IPAddress]
    /// True when the instance has unicast peers.
    public var isUnicast: Bool
    /// v3/IPv4: the checksum covers the IPv4 pseudo-header (keepalived 2.2.7); false for the
    /// v2-style checksum of routers that leave it out.
    public var ipv4PseudoHeader: Bool
    /// v3/IPv4 unicast: also accept keepalived ≤ 1.3.6's checksum, computed with the multicast
    /// group as the pseudo-header destination (keepalived 2.x does, `vrrp.c` 993-1016).
    public var acceptOldUnicastChecksum: Bool
    /// The multicast group: 224.0.0.18 / ff02::12 unless configured (`vrrp_mcast_group4/6`).
    public var multicastGroup: IPAddress

    /// The default multicast groups of VRRP.
    public static let multicastGroupIPv4 = IPAddress.v4(224, 0, 0, 18)
    /// ff02::12.
    public static let multicastGroupIPv6 = IPAddress("ff02::12")!

    /// An expectation; unset options take keepalived 2.2.7's defaults.
    public init(vrid: UInt8, version: VRRPVersion, family: AddressFamily,
                authentication: VRRPAuthentication = .none, advertInterval: Duration,
                virtualAddresses: [IPAddress], isUnicast: Bool, ipv4PseudoHeader: Bool = true,
                acceptOldUnicastChecksum: Bool = true, multicastGroup: IPAddress? = nil) {
        self.vrid = vrid
        self.version = version
        self.family = family
        self.authentication = authentication
        self.advertInterval = advertInterval
        self.virtualAddresses = virtualAddresses
        self.isUnicast = isUnicast
        self.ipv4PseudoHeader = ipv4PseudoHeader
        self.acceptOldUnicastChecksum = acceptOldUnicastChecksum
        self.multicastGroup = multicastGroup
            ?? (family == .inet ? AdvertExpectation.multicastGroupIPv4 : AdvertExpectation.multicastGroupIPv6)
    }
}
