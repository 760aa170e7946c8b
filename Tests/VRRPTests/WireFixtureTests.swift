import NetworkModel
import Testing
@testable import VRRP

/// keepalived 2.2.7's own adverts (Fixtures/) decoded, re-encoded byte for byte, and validated.
@Suite struct WireFixtureTests {
    @Test(arguments: Fixtures.names)
    func everyCapturedAdvertIsAccepted(name: String) throws {
        let packets = try Fixtures.load(name)
        try #require(packets.count >= 2, "fixture \(name) holds at least one advert and the priority-0 one")
        let validator = AdvertValidator(Fixtures.expectation(name))
        for (i, packet) in packets.enumerated() {
            let accepted = try #require(Fixtures.validate(packet, with: validator).accepted, "\(name) #\(i): \(packet.summary)")
            let last = i == packets.count - 1
            #expect(accepted.priority == (last ? 0 : Fixtures.priority(name)), "\(name) #\(i)")
            #expect(accepted.usedOldUnicastChecksum == false)
            #expect(accepted.packet.addresses == validator.expectation.virtualAddresses)
        }
    }

    @Test(arguments: Fixtures.names)
    func ourEncoderProducesKeepalivedsBytes(name: String) throws {
        let packets = try Fixtures.load(name)
        let e = Fixtures.expectation(name)
        for (i, packet) in packets.enumerated() {
            let prio: UInt8 = i == packets.count - 1 ? 0 : Fixtures.priority(name)
            let ours = VRRPPacket.advertisement(version: e.version, vrid: e.vrid, priority: prio,
                                                advertInterval: e.advertInterval, authentication: e.authentication,
                                                addresses: e.virtualAddresses)
            let (src, dst): (IPAddress, IPAddress) = e.family == .inet
                ? (Fixtures.ka, e.isUnicast ? Fixtures.peer : AdvertExpectation.multicastGroupIPv4)
                : (Fixtures.kaLinkLocal, AdvertExpectation.multicastGroupIPv6)
            let coverage = ChecksumCoverage.standard(version: e.version, source: src, destination: dst)
            #expect(ours.encoded(coverage: coverage) == Array(packet.message), "\(name) #\(i)")
            if e.family == .inet {
                // keepalived numbers the adverts of each instance 1, 2, 3 … from start.
                let header = IPv4Header.vrrp(source: src, destination: dst, payloadLength: packet.message.count,
                                             identification: UInt16(i + 1))
                #expect(header.encoded() == Array(packet.bytes.prefix(20)), "\(name) #\(i) IPv4 header")
            }
        }
    }

    @Test(arguments: ["v2-pass-unicast", "v2-multicast", "v3-ipv4-multicast", "v3-ipv4-unicast"])
    func ipv4HeaderIsKeepalivedsAndVerifies(name: String) throws {
        for packet in try Fixtures.load(name) {
            let h = try IPv4Header.parse(packet.bytes[...])
            #expect(h.tos == 0xC0)
            #expect(h.ttl == 255)
            #expect(h.protocolNumber == 112)
            #expect(h.flagsAndFragmentOffset == 0, "keepalived 2.2.7 does not set DF")
            #expect(h.checksumIsValid)
            #expect(Int(h.totalLength) == packet.bytes.count)
            #expect(h.encoded() == Array(packet.bytes.prefix(20)))
        }
    }

    @Test func v2PasswordIsTruncatedToEightBytesInsideTheChecksum() throws {
        let packet = try #require(try Fixtures.load("v2-pass-unicast").first)
        let decoded = try VRRPPacket.parse(packet.message, family: .inet)
        guard case let .v2(authType, seconds, authData) = decoded.fields else {
            Issue.record("not v2"); return
        }
        #expect(authType == 1)
        #expect(seconds == 1)
        #expect(authData == Array("s3cret-l".utf8))
        #expect(ChecksumCoverage.messageOnly.checksum(of: packet.message) == 0)
    }

    @Test func v2WithoutAuthCarriesEightZeroBytes() throws {
        let packet = try #require(try Fixtures.load("v2-multicast").first)
        #expect(packet.message.count == 8 + 2 * 4 + 8)
        #expect(packet.message.suffix(8).allSatisfy { $0 == 0 })
        #expect(try VRRPPacket.parse(packet.message, family: .inet).advertInterval == .seconds(2))
    }

    @Test func v3IPv4ChecksumIncludesThePseudoHeaderWithThePeerAsDestination() throws {
        let uni = try #require(try Fixtures.load("v3-ipv4-unicast").first)
        #expect(ChecksumCoverage.ipv4PseudoHeader(source: Fixtures.ka, destination: Fixtures.peer).checksum(of: uni.message) == 0)
        #expect(ChecksumCoverage.messageOnly.checksum(of: uni.message) != 0)
        #expect(ChecksumCoverage.ipv4PseudoHeader(source: Fixtures.ka, destination: AdvertExpectation.multicastGroupIPv4)
            .checksum(of: uni.message) != 0)
        let multi = try #require(try Fixtures.load("v3-ipv4-multicast").first)
        #expect(try VRRPPacket.parse(multi.message, family: .inet).advertInterval == .milliseconds(500))
    }

    @Test func v3IPv6ChecksumVerifiesWithTheIPv6PseudoHeader() throws {
        let packet = try #require(try Fixtures.load("v3-ipv6-multicast").first)
        let f = packet.ipv6Facts
        #expect(f.ttl == 255)
        #expect(ChecksumCoverage.ipv6PseudoHeader(source: f.source, destination: f.destination).checksum(of: packet.message) == 0)
        #expect(ChecksumCoverage.messageOnly.checksum(of: packet.message) != 0)
    }

    @Test func v3WithoutPseudoHeaderIsAcceptedOnlyWhenConfigured() throws {
        let e = Fixtures.expectation("v3-ipv4-multicast")
        let advert = VRRPPacket.advertisement(version: .v3, vrid: 53, priority: 90, advertInterval: .milliseconds(500),
                                              addresses: e.virtualAddresses)
        let payload = advert.encoded(coverage: .messageOnly)
        var header = IPv4Header.vrrp(source: Fixtures.peer, destination: AdvertExpectation.multicastGroupIPv4,
                                     payloadLength: payload.count, identification: 7)
        header.checksum = InternetChecksum.of(header.encoded())
        let datagram = header.encoded() + payload
        #expect(AdvertValidator(e).validate(ipv4Datagram: datagram).rejection?.cause == .badChecksum)
        var relaxed = e
        relaxed.ipv4PseudoHeader = false
        #expect(AdvertValidator(relaxed).validate(ipv4Datagram: datagram).accepted?.priority == 90)
    }

    @Test func oldKeepalivedUnicastChecksumIsAcceptedAndReported() throws {
        let e = Fixtures.expectation("v3-ipv4-unicast")
        let advert = VRRPPacket.advertisement(version: .v3, vrid: 54, priority: 110, advertInterval: .seconds(1),
                                              addresses: e.virtualAddresses)
        // keepalived <= 1.3.6: the pseudo-header's destination is 224.0.0.18 even for unicast.
        let payload = advert.encoded(coverage: .ipv4PseudoHeader(source: Fixtures.peer,
                                                                 destination: AdvertExpectation.multicastGroupIPv4))
        let datagram = IPv4Header.vrrp(source: Fixtures.peer, destination: Fixtures.ka, payloadLength: payload.count,
                                       identification: 1).encoded() + payload
        let accepted = try #require(AdvertValidator(e).validate(ipv4Datagram: datagram).accepted)
        #expect(accepted.usedOldUnicastChecksum)
        var strict = e
        strict.acceptOldUnicastChecksum = false
        #expect(AdvertValidator(strict).validate(ipv4Datagram: datagram).rejection?.cause == .badChecksum)
    }

    @Test func rfc1071ExampleSum() {
        // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2, checksum 220d.
        #expect(InternetChecksum.of([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]) == 0x220D)
        #expect(InternetChecksum.of([0x01]) == ~UInt16(0x0100))
    }

    @Test func peekVRIDForDispatch() throws {
        let v4 = try #require(try Fixtures.load("v2-multicast").first)
        #expect(AdvertValidator.peekVRID(v4.bytes, ipv4: true) == 52)
        let v6 = try #require(try Fixtures.load("v3-ipv6-multicast").first)
        #expect(AdvertValidator.peekVRID(Array(v6.message), ipv4: false) == 55)
        #expect(AdvertValidator.peekVRID([0x45], ipv4: true) == nil)
    }
}

/// ``AdvertEncoder`` reproduces a whole keepalived capture, packet after packet.
@Suite struct AdvertEncoderTests {
    /// A capture's packets as the encoder must give them (IPv4: the whole datagram; IPv6: the
    /// message), an encoder set up as keepalived was, and the destination.
    func capture(_ name: String) throws -> (expected: [[UInt8]], encoder: AdvertEncoder, destination: IPAddress) {
        let e = Fixtures.expectation(name)
        let encoder = AdvertEncoder(vrid: e.vrid, version: e.version, authentication: e.authentication,
                                    advertInterval: e.advertInterval, addresses: e.virtualAddresses,
                                    source: e.family == .inet ? Fixtures.ka : Fixtures.kaLinkLocal)
        let destination = e.family == .inet6 ? AdvertExpectation.multicastGroupIPv6
            : e.isUnicast ? Fixtures.peer : AdvertExpectation.multicastGroupIPv4
        let expected = try Fixtures.load(name).map { e.family == .inet ? $0.bytes : Array($0.message) }
        return (expected, encoder, destination)
    }

    @Test(arguments: ["v2-pass-unicast", "v2-multicast", "v3-ipv4-multicast", "v3-ipv4-unicast", "v3-ipv6-multicast"])
    func reproducesTheCapturedSequence(name: String) throws {
        let (expected, start, destination) = try capture(name)
        var encoder = start
        for (i, bytes) in expected.enumerated() {
            let priority: UInt8 = i == expected.count - 1 ? 0 : Fixtures.priority(name)
            #expect(encoder.encode(priority: priority, destination: destination) == bytes, "\(name) #\(i)")
        }
    }

    @Test func identificationSkipsZeroAndRepeatsForUnicastCopies() {
        var encoder = AdvertEncoder(vrid: 1, version: .v2, advertInterval: .seconds(1),
                                    addresses: [Fixtures.ka], source: Fixtures.ka)
        let first = encoder.encode(priority: 100, destination: Fixtures.peer)
        let copy = encoder.encode(priority: 100, destination: IPAddress("198.51.100.13")!, newAdvert: false)
        #expect(first[4...5] == [0, 1])
        #expect(copy[4...5] == [0, 1])
        for _ in 0..<(65_534) { _ = encoder.encode(priority: 100, destination: Fixtures.peer) }
        #expect(encoder.nextIdentification == 1)
    }

    /// A master builds its advert once and restamps it per send: the restamped bytes must be
    /// what a fresh `encode` gives at every step (identification, header checksum), through the
    /// wrap past 65535 and for second unicast copies, against keepalived's captures too.
    @Test(arguments: ["v2-pass-unicast", "v2-multicast", "v3-ipv4-multicast", "v3-ipv4-unicast", "v3-ipv6-multicast"])
    func restampedAdvertsAreTheCapturedSequence(name: String) throws {
        let (expected, start, destination) = try capture(name)
        var encoder = start
        var template = encoder.encode(priority: Fixtures.priority(name), destination: destination)
        for (i, bytes) in expected.dropLast().enumerated() {
            if i > 0 { encoder.restamp(&template) }
            #expect(template == bytes, "\(name) #\(i)")
        }
    }

    @Test func restampMatchesEncodeThroughTheWrapAndUnicastCopies() {
        let peers = [Fixtures.peer, IPAddress("198.51.100.13")!]
        var fresh = AdvertEncoder(vrid: 7, version: .v3, advertInterval: .seconds(1), addresses: [Fixtures.ka], source: Fixtures.ka)
        var stamped = fresh
        var templates = peers.enumerated().map { i, p in stamped.encode(priority: 150, destination: p, newAdvert: i == 0) }
        _ = peers.enumerated().map { i, p in fresh.encode(priority: 150, destination: p, newAdvert: i == 0) }
        // The identification advances once per advert (a second copy repeats it), so 65,540
        // adverts pass the wrap; the second copy is sent around the start and the wrap.
        var mismatches = 0
        for n in 0..<65_540 {
            for i in templates.indices where i == 0 || n < 5 || n > 65_530 {
                stamped.restamp(&templates[i], newAdvert: i == 0)
                if templates[i] != fresh.encode(priority: 150, destination: peers[i], newAdvert: i == 0) { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
        #expect(stamped.nextIdentification == fresh.nextIdentification)
    }
}
