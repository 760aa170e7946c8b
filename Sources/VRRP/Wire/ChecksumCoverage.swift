import NetworkModel

/// What, besides the VRRP message, a VRRP checksum covers.
public enum ChecksumCoverage: Sendable, Hashable {
    /// The VRRP message alone: VRRPv2 (RFC 3768 §5.3.8), and VRRPv3 over IPv4 for routers
    /// that leave the pseudo-header out (keepalived ≥ 2.2.8 `v3_checksum_as_v2`, Cisco).
    case messageOnly
    /// The IPv4 pseudo-header (source, destination, zero, protocol 112, VRRP length) then the
    /// message: keepalived's VRRPv3 over IPv4.
    case ipv4PseudoHeader(source: IPAddress, destination: IPAddress)
    /// The IPv6 pseudo-header of RFC 8200 §8.1 (source, destination, 32-bit upper-layer
    /// length, 3 zero bytes, next header 112) then the message: VRRPv3 over IPv6. On a socket
    /// the kernel does this itself (IPV6_CHECKSUM at offset 6); this is for tests and tools.
    case ipv6PseudoHeader(source: IPAddress, destination: IPAddress)

    /// The coverage a VRRP packet of `version` uses between `source` and `destination`, as
    /// keepalived 2.2.7 computes it; `omitIPv4PseudoHeader` selects the v2-style v3 checksum.
    public static func standard(version: VRRPVersion, source: IPAddress, destination: IPAddress,
                                omitIPv4PseudoHeader: Bool = false) -> ChecksumCoverage {
        switch (version, source.family) {
        case (.v2, _): return .messageOnly
        case (.v3, .inet6): return .ipv6PseudoHeader(source: source, destination: destination)
        case (.v3, .inet):
            return omitIPv4PseudoHeader ? .messageOnly : .ipv4PseudoHeader(source: source, destination: destination)
        }
    }

    /// Starts a checksum with this coverage's pseudo-header for a message of `length` bytes.
    func start(length: Int) -> InternetChecksum {
        var c = InternetChecksum()
        switch self {
        case .messageOnly:
            break
        case let .ipv4PseudoHeader(source, destination):
            c.add(source.bytes)
            c.add(destination.bytes)
            c.add([0, IPv4Header.protocolVRRP])
            c.add(word: UInt16(truncatingIfNeeded: length))
        case let .ipv6PseudoHeader(source, destination):
            c.add(source.bytes)
            c.add(destination.bytes)
            c.add(word: UInt16(truncatingIfNeeded: length >> 16))
            c.add(word: UInt16(truncatingIfNeeded: length))
            c.add([0, 0, 0, IPv4Header.protocolVRRP])
        }
        return c
    }

    /// The checksum of `message` under this coverage (the message's own checksum field must
    /// be zero to compute one; with the field filled in, a valid message gives 0).
    public func checksum(of message: some Collection<UInt8>) -> UInt16 {
        var c = start(length: message.count)
        c.add(message)
        return c.value
    }
}
