import NetworkModel
import Testing
@testable import VRRP

/// One test per ``RejectionCause``, each from a real keepalived advert or one built like it.
@Suite struct RejectionTests {
    func first(_ name: String) throws -> CapturedPacket { try #require(try Fixtures.load(name).first) }

    func cause(_ packet: [UInt8], _ e: AdvertExpectation) -> RejectionCause? {
        AdvertValidator(e).validate(ipv4Datagram: packet).rejection?.cause
    }

    /// A v2 multicast datagram from 198.51.100.12 with `mutate` applied to the packet first.
    func built(_ e: AdvertExpectation, ttl: UInt8 = 255, destination: IPAddress = AdvertExpectation.multicastGroupIPv4,
               _ mutate: (inout VRRPPacket) -> Void = { _ in }) -> [UInt8] {
        var p = VRRPPacket.advertisement(version: e.version, vrid: e.vrid, priority: 100, advertInterval: e.advertInterval,
                                         authentication: e.authentication, addresses: e.virtualAddresses)
        mutate(&p)
        let payload = p.encoded(coverage: .standard(version: e.version, source: Fixtures.peer, destination: destination))
        return IPv4Header.vrrp(source: Fixtures.peer, destination: destination, payloadLength: payload.count,
                               identification: 1, ttl: ttl).encoded() + payload
    }

    @Test func everyCauseHasATestBelow() {
        // Keep this list in step with the tests: a new cause must get one.
        let tested: Set<RejectionCause> = [.malformedIPHeader, .badLength, .wrongProtocol, .badTTL, .wrongVersion,
                                           .badChecksum, .wrongType, .wrongVRID, .multicastOnUnicastInstance,
                                           .unicastOnMulticastInstance, .authTypeMismatch, .passwordMismatch,
                                           .intervalMismatch, .addressCountMismatch, .addressMissing]
        #expect(tested == Set(RejectionCause.allCases))
    }

    @Test func malformedIPHeader() throws {
        var p = try first("v2-multicast").bytes
        p[0] = 0x65
        #expect(cause(p, Fixtures.expectation("v2-multicast")) == .malformedIPHeader)
        p[0] = 0x44
        #expect(cause(p, Fixtures.expectation("v2-multicast")) == .malformedIPHeader)
    }

    @Test func badLength() throws {
        let e = Fixtures.expectation("v2-multicast")
        let p = try first("v2-multicast").bytes
        // IP total length differs from the bytes received.
        let r = AdvertValidator(e).validate(ipv4Datagram: p + [0])
        #expect(r.rejection?.cause == .badLength)
        #expect(r.rejection?.message == "ip_tot_len mismatch against received length. 44 and received 45")
        // Consistent IP length but one byte more than 8 + naddr·4 + 8.
        var longer = p + [0]
        longer[3] = UInt8(longer.count)
        #expect(cause(longer, e) == .badLength)
        // Address count says 3 while 2 are carried.
        var counted = p
        counted[23] = 3
        #expect(cause(counted, e) == .badLength)
        // Too short for a VRRP header.
        var short = Array(p.prefix(24))
        short[3] = 24
        #expect(cause(short, e) == .badLength)
    }

    @Test func wrongProtocol() throws {
        var p = try first("v2-multicast").bytes
        p[9] = 51
        let r = AdvertValidator(Fixtures.expectation("v2-multicast")).validate(ipv4Datagram: p)
        #expect(r.rejection?.cause == .wrongProtocol)
        #expect(r.rejection?.message.contains("AH is not supported") == true)
    }

    @Test func ttlIsCheckedForMulticastOnly() throws {
        let multicast = Fixtures.expectation("v2-multicast")
        #expect(cause(built(multicast, ttl: 254), multicast) == .badTTL)
        var unicast = multicast
        unicast.isUnicast = true
        #expect(AdvertValidator(unicast).validate(ipv4Datagram: built(unicast, ttl: 64, destination: Fixtures.ka)).accepted != nil)
    }

    @Test func wrongVersion() throws {
        var e = Fixtures.expectation("v2-multicast")
        e.version = .v3
        let r = AdvertValidator(e).validate(ipv4Datagram: try first("v2-multicast").bytes)
        #expect(r.rejection?.cause == .wrongVersion)
        #expect(r.rejection?.message == "wrong version. Received 2 and expect 3")
    }

    @Test func badChecksum() throws {
        var p = try first("v3-ipv4-multicast").bytes
        p[27] ^= 0x01
        #expect(cause(p, Fixtures.expectation("v3-ipv4-multicast")) == .badChecksum)
        let v6 = try first("v3-ipv6-multicast")
        var message = Array(v6.message)
        message[2] ^= 0x40
        let r = AdvertValidator(Fixtures.expectation("v3-ipv6-multicast")).validate(message: message[...], facts: v6.ipv6Facts)
        #expect(r.rejection?.message == "Invalid VRRPv3 checksum")
    }

    @Test func wrongType() {
        let e = Fixtures.expectation("v2-multicast")
        #expect(cause(built(e) { $0.type = 2 }, e) == .wrongType)
    }

    @Test func wrongVRIDLetsTheCallerDispatch() throws {
        var e = Fixtures.expectation("v2-multicast")
        e.vrid = 99
        #expect(cause(try first("v2-multicast").bytes, e) == .wrongVRID)
    }

    @Test func channelMismatches() throws {
        var e = Fixtures.expectation("v2-multicast")
        e.isUnicast = true
        #expect(cause(try first("v2-multicast").bytes, e) == .multicastOnUnicastInstance)
        var u = Fixtures.expectation("v3-ipv4-unicast")
        u.isUnicast = false
        #expect(cause(try first("v3-ipv4-unicast").bytes, u) == .unicastOnMulticastInstance)
    }

    @Test func authentication() throws {
        let p = try first("v2-pass-unicast").bytes
        var e = Fixtures.expectation("v2-pass-unicast")
        e.authentication = .none
        #expect(cause(p, e) == .authTypeMismatch)
        e.authentication = .password("s3cret-L")
        let r = AdvertValidator(e).validate(ipv4Datagram: p)
        #expect(r.rejection?.cause == .passwordMismatch)
        #expect(r.rejection?.message == "received an invalid passwd!")
        e.authentication = .password("s3cret-l")  // the 8 bytes that matter
        #expect(AdvertValidator(e).validate(ipv4Datagram: p).accepted != nil)
        #expect(AdvertValidator.constantTimeEqual([1, 2], [1, 2]))
        #expect(!AdvertValidator.constantTimeEqual([1, 2], [1, 3]))
        #expect(!AdvertValidator.constantTimeEqual([1, 2], [1]))
        // An auth type that does not exist at all.
        let plain = Fixtures.expectation("v2-multicast")
        let bogus = built(plain) { $0.fields = .v2(authType: 3, advertIntervalSeconds: 2, authData: []) }
        #expect(AdvertValidator(plain).validate(ipv4Datagram: bogus).rejection?.message == "Invalid auth type: 3")
    }

    @Test func v2IntervalMismatchButV3Adopts() throws {
        var e = Fixtures.expectation("v2-multicast")
        e.advertInterval = .seconds(1)
        let r = AdvertValidator(e).validate(ipv4Datagram: try first("v2-multicast").bytes)
        #expect(r.rejection?.cause == .intervalMismatch)
        #expect(r.rejection?.message == "advertisement interval mismatch mine=1 sec rcv'd=2 sec")
        var v3 = Fixtures.expectation("v3-ipv4-multicast")
        v3.advertInterval = .seconds(3)
        let accepted = AdvertValidator(v3).validate(ipv4Datagram: try first("v3-ipv4-multicast").bytes).accepted
        #expect(accepted?.advertInterval == .milliseconds(500))
    }

    @Test func addresses() throws {
        let p = try first("v2-multicast").bytes
        var e = Fixtures.expectation("v2-multicast")
        e.virtualAddresses = [IPAddress("198.51.100.40")!]
        #expect(cause(p, e) == .addressCountMismatch)
        e.virtualAddresses = [IPAddress("198.51.100.41")!, IPAddress("198.51.100.50")!]
        let r = AdvertValidator(e).validate(ipv4Datagram: p)
        #expect(r.rejection?.cause == .addressMissing)
        #expect(r.rejection?.message.hasSuffix(": 198.51.100.50") == true)
        e.virtualAddresses = [IPAddress("198.51.100.41")!, IPAddress("198.51.100.40")!]  // any order
        #expect(AdvertValidator(e).validate(ipv4Datagram: p).accepted != nil)
    }

    @Test func priorityZeroIsNotARejection() throws {
        let last = try #require(try Fixtures.load("v2-multicast").last)
        let accepted = AdvertValidator(Fixtures.expectation("v2-multicast")).validate(ipv4Datagram: last.bytes).accepted
        #expect(accepted?.priority == 0)
    }
}
