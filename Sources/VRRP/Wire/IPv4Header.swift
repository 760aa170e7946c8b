import NetworkModel

/// An IPv4 header (RFC 791) as it lies on the wire: what a raw IPv4 socket delivers in front
/// of each received VRRP packet, and what we build in front of each sent one (IP_HDRINCL).
/// All multi-byte fields are host values; ``encoded()`` and ``parse(_:)`` convert to and
/// from network byte order.
public struct IPv4Header: Sendable, Hashable {
    /// IP protocol number of VRRP.
    public static let protocolVRRP: UInt8 = 112
    /// IP protocol number of IPsec AH (VRRPv2 `auth_type AH`, not supported here).
    public static let protocolAH: UInt8 = 51
    /// Type of service keepalived sets: 0xc0, "internetwork control" (precedence 6).
    public static let tosInternetworkControl: UInt8 = 0xC0
    /// The "don't fragment" bit of ``flagsAndFragmentOffset``.
    public static let dontFragment: UInt16 = 0x4000

    /// Header length in 32-bit words (5 without options).
    public var ihl: UInt8
    /// Type of service / DSCP+ECN byte.
    public var tos: UInt8
    /// Total length of the datagram, header included.
    public var totalLength: UInt16
    /// Identification.
    public var identification: UInt16
    /// The 3 flag bits and the 13-bit fragment offset.
    public var flagsAndFragmentOffset: UInt16
    /// Time to live.
    public var ttl: UInt8
    /// Payload protocol (112 for VRRP).
    public var protocolNumber: UInt8
    /// Header checksum as carried (RFC 1071 over the header).
    public var checksum: UInt16
    /// Source address.
    public var source: IPAddress
    /// Destination address.
    public var destination: IPAddress
    /// Option bytes (`(ihl - 5) * 4` of them).
    public var options: [UInt8]

    /// Header length in bytes.
    public var headerLength: Int { Int(ihl) * 4 }

    /// A header as keepalived 2.2.7 builds it for an advert (`vrrp_build_ip4`): version 4,
    /// IHL 5, TOS 0xc0, no flags (DF clear, so no fragment bits either), TTL 255 by default,
    /// protocol 112. keepalived numbers its adverts 1, 2, 3 … per instance, skipping 0 on
    /// wrap (0 would let the kernel choose), so pass the identification you keep.
    /// The checksum is computed here (the kernel recomputes it for IP_HDRINCL anyway).
    public static func vrrp(source: IPAddress, destination: IPAddress, payloadLength: Int,
                            identification: UInt16, ttl: UInt8 = 255) -> IPv4Header {
        var h = IPv4Header(ihl: 5, tos: tosInternetworkControl, totalLength: UInt16(20 + payloadLength),
                           identification: identification, flagsAndFragmentOffset: 0, ttl: ttl,
                           protocolNumber: protocolVRRP, checksum: 0, source: source,
                           destination: destination, options: [])
        h.checksum = InternetChecksum.of(h.encoded())
        return h
    }

    /// The header bytes in network order, the ``checksum`` field as stored.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerLength)
        out.append(0x40 | (ihl & 0x0F))
        out.append(tos)
        out.appendBigEndian(totalLength)
        out.appendBigEndian(identification)
        out.appendBigEndian(flagsAndFragmentOffset)
        out.append(ttl)
        out.append(protocolNumber)
        out.appendBigEndian(checksum)
        out += source.bytes
        out += destination.bytes
        out += options
        return out
    }

    /// Reads the header at the start of `bytes` (an IPv4 datagram as a raw socket returns it).
    /// Checks only what is needed to read it: version 4 and an IHL that fits.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(VRRPWireError) -> IPv4Header {
        var r = ByteReader(bytes)
        let vihl = try r.u8("IPv4 version/IHL")
        guard vihl >> 4 == 4 else { throw .notIPv4(version: vihl >> 4) }
        let ihl = vihl & 0x0F
        guard ihl >= 5, Int(ihl) * 4 <= bytes.count else {
            throw .badIPHeaderLength(ihl: ihl, available: bytes.count)
        }
        let tos = try r.u8("IPv4 TOS")
        let total = try r.u16("IPv4 total length")
        let id = try r.u16("IPv4 identification")
        let frag = try r.u16("IPv4 flags/fragment offset")
        let ttl = try r.u8("IPv4 TTL")
        let proto = try r.u8("IPv4 protocol")
        let check = try r.u16("IPv4 checksum")
        let src = try r.take(4, "IPv4 source")
        let dst = try r.take(4, "IPv4 destination")
        let options = try r.take(Int(ihl) * 4 - 20, "IPv4 options")
        return IPv4Header(ihl: ihl, tos: tos, totalLength: total, identification: id,
                          flagsAndFragmentOffset: frag, ttl: ttl, protocolNumber: proto, checksum: check,
                          source: IPAddress(bytes: src)!, destination: IPAddress(bytes: dst)!,
                          options: Array(options))
    }

    /// Whether the header checksum verifies.
    public var checksumIsValid: Bool { InternetChecksum.of(encoded()) == 0 }
}
