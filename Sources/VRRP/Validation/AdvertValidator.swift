import NetworkModel

/// The receive path's checks (RFC 3768 §7.1, RFC 5798 §7.1, keepalived 2.2.7
/// `vrrp_check_packet`), pure: bytes and receive facts in, an ``AcceptedAdvert`` or a
/// ``Rejection`` out. Never traps, whatever the bytes.
///
/// Order, keepalived 2.2.7's (`vrrp_check_packet`) after two that come first here: IP header
/// and total length (keepalived checks the total length later, with the same outcome), VRID
/// (so the caller can dispatch a packet of another instance); then exact length, TTL
/// (multicast only), version, v2 auth type, password (constant time) and interval, type,
/// address count, checksum, unicast/multicast channel, each address. Priority 0 is accepted.
public struct AdvertValidator: Sendable, Hashable {
    /// What this instance expects.
    public let expectation: AdvertExpectation
    /// The expectation's 8 auth bytes as sent, made once (every v2 advert is compared with them).
    private let authWire: [UInt8]
    /// The interval v2 adverts must carry, in whole seconds (converted once, not per advert).
    private let wireSeconds: UInt8

    /// A validator for one instance.
    public init(_ expectation: AdvertExpectation) {
        self.expectation = expectation
        authWire = expectation.authentication.wireData
        wireSeconds = AdvertInterval.wireSeconds(expectation.advertInterval)
    }

    /// The VRID of an IPv4 datagram (`ipv4: true`, from the IP header on) or a bare VRRP
    /// message, or nil when too short: for dispatching to the instance before validating.
    public static func peekVRID(_ bytes: [UInt8], ipv4: Bool) -> UInt8? {
        var offset = 0
        if ipv4 {
            guard let first = bytes.first, first >> 4 == 4 else { return nil }
            offset = Int(first & 0x0F) * 4
        }
        return bytes.count > offset + 1 ? bytes[offset + 1] : nil
    }

    /// Validates an IPv4 datagram as a raw IPv4 socket returns it (IP header first); source,
    /// destination and TTL come from that header, and its total length must equal the
    /// number of bytes received.
    public func validate(ipv4Datagram bytes: [UInt8]) -> Result<AcceptedAdvert, Rejection> {
        let header: IPv4Header
        do {
            header = try IPv4Header.parse(bytes[...])
        } catch let error {
            if case .truncated = error {
                return .failure(Rejection(.badLength, "ip header too short: \(bytes.count) bytes received"))
            }
            return .failure(Rejection(.malformedIPHeader, "invalid IPv4 header: \(error)"))
        }
        guard Int(header.totalLength) == bytes.count else {
            return .failure(Rejection(.badLength,
                "ip_tot_len mismatch against received length. \(header.totalLength) and received \(bytes.count)"))
        }
        guard header.protocolNumber == IPv4Header.protocolVRRP else {
            let what = header.protocolNumber == IPv4Header.protocolAH ? " (IPsec AH is not supported)" : ""
            return .failure(Rejection(.wrongProtocol,
                "received IP protocol \(header.protocolNumber), expected \(IPv4Header.protocolVRRP)\(what)"))
        }
        let facts = ReceiveFacts(source: header.source, destination: header.destination, ttl: header.ttl)
        return validate(message: bytes[header.headerLength...], facts: facts)
    }

    /// Validates a VRRP message without IP header (IPv6, where the kernel strips the header
    /// and the facts come from recvmsg; or IPv4 when the caller has split the header off).
    public func validate(message bytes: ArraySlice<UInt8>, facts: ReceiveFacts) -> Result<AcceptedAdvert, Rejection> {
        let e = expectation
        guard bytes.count >= VRRPPacket.headerLength else {
            return .failure(Rejection(.badLength,
                "vrrp packet too short, length \(bytes.count) and expect at least \(VRRPPacket.headerLength)"))
        }
        let first = bytes[bytes.startIndex]
        let vrid = bytes[bytes.startIndex + 1]
        guard vrid == e.vrid else {
            return .failure(Rejection(.wrongVRID, "received VRID \(vrid), ours is \(e.vrid)"))
        }
        // The length the packet's own version and address count call for.
        let carriedVersion: VRRPVersion = first >> 4 == 2 ? .v2 : .v3
        let expected = VRRPPacket.expectedLength(version: carriedVersion, family: e.family,
                                                 addressCount: Int(bytes[bytes.startIndex + 3]))
        guard bytes.count == expected else {
            return .failure(Rejection(.badLength,
                "vrrp packet too \(bytes.count > expected ? "long" : "short"), length \(bytes.count) and expect \(expected)"))
        }
        if facts.isMulticast && facts.ttl != 255 {
            return .failure(Rejection(.badTTL, "invalid TTL/HL. Received \(facts.ttl) and expect 255"))
        }
        guard first >> 4 == e.version.rawValue else {
            return .failure(Rejection(.wrongVersion,
                "wrong version. Received \(first >> 4) and expect \(e.version.rawValue)"))
        }
        let packet: VRRPPacket
        do {
            packet = try VRRPPacket.parse(bytes, family: e.family)
        } catch let error {
            return .failure(Rejection(.badLength, "unreadable VRRP packet: \(error)"))
        }
        if let r = checkAuthentication(packet) ?? checkTypeAndCount(packet) { return .failure(r) }
        let old: Bool
        switch verifyChecksum(bytes, facts: facts) {
        case .failure(let r): return .failure(r)
        case .success(let usedOld): old = usedOld
        }
        if let r = checkChannel(facts) ?? checkAddresses(packet) { return .failure(r) }
        return .success(AcceptedAdvert(packet: packet, source: facts.source, isMulticast: facts.isMulticast,
                                       usedOldUnicastChecksum: old))
    }

    /// Checksum: v2 over the message; v3/IPv4 with the IPv4 pseudo-header (or not, per the
    /// expectation), retrying keepalived ≤ 1.3.6's unicast form; v3/IPv6 with the IPv6 one.
    private func verifyChecksum(_ bytes: ArraySlice<UInt8>, facts: ReceiveFacts) -> Result<Bool, Rejection> {
        let e = expectation
        let coverage = ChecksumCoverage.standard(version: e.version, source: facts.source,
                                                 destination: facts.destination,
                                                 omitIPv4PseudoHeader: !e.ipv4PseudoHeader)
        if coverage.checksum(of: bytes) == 0 { return .success(false) }
        if e.version == .v3, e.family == .inet, e.ipv4PseudoHeader, e.acceptOldUnicastChecksum,
           !facts.isMulticast {
            let oldForm = ChecksumCoverage.ipv4PseudoHeader(source: facts.source, destination: e.multicastGroup)
            if oldForm.checksum(of: bytes) == 0 { return .success(true) }
        }
        return .failure(Rejection(.badChecksum, "Invalid \(e.version) checksum"))
    }

    private func checkTypeAndCount(_ packet: VRRPPacket) -> Rejection? {
        if packet.type != VRRPPacket.typeAdvertisement {
            return Rejection(.wrongType, "Invalid packet type. \(packet.type) and expect \(VRRPPacket.typeAdvertisement)")
        }
        let mine = expectation.virtualAddresses.count
        if packet.addresses.count != mine {
            return Rejection(.addressCountMismatch,
                             "received an unexpected ip number count \(packet.addresses.count), expected \(mine)!")
        }
        return nil
    }

    private func checkChannel(_ facts: ReceiveFacts) -> Rejection? {
        guard facts.isMulticast == expectation.isUnicast else { return nil }
        return facts.isMulticast
            ? Rejection(.multicastOnUnicastInstance, "Expected unicast packet but received multicast packet")
            : Rejection(.unicastOnMulticastInstance, "Expected multicast packet but received unicast packet")
    }

    /// v2 only: auth type, password (constant time), advert interval, in keepalived's order.
    private func checkAuthentication(_ packet: VRRPPacket) -> Rejection? {
        guard case let .v2(authType, seconds, authData) = packet.fields else { return nil }
        let e = expectation
        if authType > VRRPPacket.authIPsecAH {
            return Rejection(.authTypeMismatch, "Invalid auth type: \(authType)")
        }
        if authType != e.authentication.wireType {
            return Rejection(.authTypeMismatch, "received a \(authType) auth, expecting \(e.authentication.wireType)!")
        }
        if case .password = e.authentication, !AdvertValidator.constantTimeEqual(authData, authWire) {
            return Rejection(.passwordMismatch, "received an invalid passwd!")
        }
        let mine = wireSeconds
        if seconds != mine {
            return Rejection(.intervalMismatch, "advertisement interval mismatch mine=\(mine) sec rcv'd=\(seconds) sec")
        }
        return nil
    }

    private func checkAddresses(_ packet: VRRPPacket) -> Rejection? {
        let carried = packet.addresses
        // A linear search: an advert carries a few addresses (the count already matched ours),
        // and this runs for every advert received; a Set cost an allocation and a hash of each.
        // Beyond a few dozen the Set's hashing is cheaper than the n² comparisons.
        let missing: IPAddress?
        if carried.count <= 32 {
            missing = expectation.virtualAddresses.first { !carried.contains($0) }
        } else {
            let set = Set(carried)
            missing = expectation.virtualAddresses.first { !set.contains($0) }
        }
        if let missing {
            return Rejection(.addressMissing,
                             "ip address associated with VRID \(expectation.vrid) not present in MASTER advert : \(missing)")
        }
        return nil
    }

    /// Compares two byte strings in time that depends only on their lengths.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
