import NetworkModel

/// A VRRP packet as it is on the wire (RFC 3768 §5.1, RFC 5798 §5.2), without its IP header.
/// Fields are raw wire values (host numbers); ``Validation`` turns them into a domain
/// ``AcceptedAdvert``.
///
///     v2: | 0x21 | VRID | prio | naddr | auth type | adv (s) | checksum | addrs … | auth (8) |
///     v3: | 0x31 | VRID | prio | naddr | rsvd(4) max adv (12, cs)   | checksum | addrs … |
public struct VRRPPacket: Sendable, Hashable {
    /// Packet type 1, the only one defined: ADVERTISEMENT.
    public static let typeAdvertisement: UInt8 = 1
    /// VRRPv2 authentication types (RFC 2338 §5.3.6).
    public static let authNone: UInt8 = 0
    /// Simple text password (PASS), RFC 2338; reserved by RFC 3768 but what keepalived sends.
    public static let authSimplePassword: UInt8 = 1
    /// IPsec AH (keepalived's `auth_type AH`, not supported here).
    public static let authIPsecAH: UInt8 = 2
    /// Bytes of the v2 authentication data.
    public static let authDataLength = 8
    /// Bytes of the fixed header (both versions).
    public static let headerLength = 8

    /// The version-specific 16 bits after the address count, and the v2 trailer.
    public enum VersionFields: Sendable, Hashable {
        /// VRRPv2: authentication type, advertisement interval in whole seconds, and the 8
        /// authentication bytes (always present; zero without authentication).
        case v2(authType: UInt8, advertIntervalSeconds: UInt8, authData: [UInt8])
        /// VRRPv3: the 4 reserved bits and the 12-bit maximum advertisement interval in
        /// centiseconds.
        case v3(reserved: UInt8, maxAdvertIntervalCentiseconds: UInt16)
    }

    /// The version number: 2 or 3.
    public var version: VRRPVersion
    /// The type nibble (1 = advertisement).
    public var type: UInt8
    /// Virtual router identifier.
    public var vrid: UInt8
    /// Sender's priority (0 = master stopping, 255 = address owner).
    public var priority: UInt8
    /// The address-count byte as carried (encoding writes it as given; use
    /// ``advertisement(version:vrid:priority:advertInterval:authentication:addresses:)``
    /// to have it follow ``addresses``).
    public var addressCount: UInt8
    /// Version-specific fields.
    public var fields: VersionFields
    /// The checksum field as carried.
    public var checksum: UInt16
    /// The virtual addresses, all IPv4 or all IPv6.
    public var addresses: [IPAddress]

    /// An advertisement as keepalived builds one (checksum still 0: see ``encoded(coverage:)``).
    /// - Parameters:
    ///   - advertInterval: v2: whole seconds, rounded as keepalived does (at least 1, at most
    ///     255); v3: centiseconds, rounded, 1…4095.
    ///   - authentication: v2 only (ignored for v3, as keepalived does).
    public static func advertisement(version: VRRPVersion, vrid: UInt8, priority: UInt8,
                                     advertInterval: Duration, authentication: VRRPAuthentication = .none,
                                     addresses: [IPAddress]) -> VRRPPacket {
        let fields: VersionFields
        switch version {
        case .v2:
            fields = .v2(authType: authentication.wireType,
                         advertIntervalSeconds: AdvertInterval.wireSeconds(advertInterval),
                         authData: authentication.wireData)
        case .v3:
            fields = .v3(reserved: 0, maxAdvertIntervalCentiseconds: AdvertInterval.wireCentiseconds(advertInterval))
        }
        return VRRPPacket(version: version, type: typeAdvertisement, vrid: vrid, priority: priority,
                          addressCount: UInt8(truncatingIfNeeded: addresses.count), fields: fields,
                          checksum: 0, addresses: addresses)
    }

    /// Bytes of the message with the checksum field as stored.
    public func encodedAsIs() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(VRRPPacket.headerLength + addresses.count * 16 + VRRPPacket.authDataLength)
        out.append(version.rawValue << 4 | (type & 0x0F))
        out.append(vrid)
        out.append(priority)
        out.append(addressCount)
        switch fields {
        case let .v2(authType, seconds, _):
            out.append(authType)
            out.append(seconds)
        case let .v3(reserved, centiseconds):
            out.appendBigEndian(UInt16(reserved & 0x0F) << 12 | (centiseconds & 0x0FFF))
        }
        out.appendBigEndian(checksum)
        for address in addresses { out += address.bytes }
        if case let .v2(_, _, authData) = fields {
            out += authData.prefix(VRRPPacket.authDataLength)
            out += repeatElement(0, count: max(0, VRRPPacket.authDataLength - authData.count))
        }
        return out
    }

    /// Bytes of the message with a checksum computed under `coverage` (stored in the bytes
    /// only; `self` is unchanged).
    public func encoded(coverage: ChecksumCoverage) -> [UInt8] {
        var copy = self
        copy.checksum = 0
        var bytes = copy.encodedAsIs()
        let sum = coverage.checksum(of: bytes)
        bytes[6] = UInt8(sum >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: sum)
        return bytes
    }

    /// Reads a VRRP message of `family` from `bytes` (starting at the VRRP header). It reads
    /// the 8-byte header, `addressCount` addresses and, for v2, the 8 auth bytes; bytes
    /// after that are ignored here (``AdvertValidator`` applies the exact-length rule).
    public static func parse(_ bytes: ArraySlice<UInt8>, family: AddressFamily) throws(VRRPWireError) -> VRRPPacket {
        var r = ByteReader(bytes)
        let versionType = try r.u8("VRRP version/type")
        guard let version = VRRPVersion(rawValue: versionType >> 4) else {
            throw .unsupportedVersion(versionType >> 4)
        }
        if version == .v2 && family == .inet6 { throw .version2OverIPv6 }
        let vrid = try r.u8("VRRP VRID")
        let priority = try r.u8("VRRP priority")
        let count = try r.u8("VRRP address count")
        let word = try r.u16("VRRP interval")
        let checksum = try r.u16("VRRP checksum")
        let size = family == .inet ? 4 : 16
        var addresses: [IPAddress] = []
        addresses.reserveCapacity(Int(count))
        for _ in 0..<Int(count) {
            addresses.append(IPAddress(bytes: try r.take(size, "VRRP address"))!)
        }
        let fields: VersionFields
        switch version {
        case .v2:
            let auth = try r.take(authDataLength, "VRRPv2 authentication data")
            fields = .v2(authType: UInt8(word >> 8), advertIntervalSeconds: UInt8(truncatingIfNeeded: word),
                         authData: Array(auth))
        case .v3:
            fields = .v3(reserved: UInt8(word >> 12), maxAdvertIntervalCentiseconds: word & 0x0FFF)
        }
        return VRRPPacket(version: version, type: versionType & 0x0F, vrid: vrid, priority: priority,
                          addressCount: count, fields: fields, checksum: checksum, addresses: addresses)
    }

    /// The length a message with `addressCount` addresses of `family` has under `version`:
    /// 8 + count × (4 or 16), plus 8 for v2. keepalived requires exactly this.
    public static func expectedLength(version: VRRPVersion, family: AddressFamily, addressCount: Int) -> Int {
        headerLength + addressCount * (family == .inet ? 4 : 16) + (version == .v2 ? authDataLength : 0)
    }

    /// The advert interval carried: v2 seconds or v3 centiseconds, as a duration.
    public var advertInterval: Duration { .nanoseconds(advertIntervalNanoseconds) }

    /// The advert interval carried, in nanoseconds (integer arithmetic, for every advert read).
    public var advertIntervalNanoseconds: Int64 {
        switch fields {
        case let .v2(_, seconds, _): return Int64(seconds) * 1_000_000_000
        case let .v3(_, cs): return Int64(cs) * 10_000_000
        }
    }
}
