import NetworkModel
import Testing
@testable import VRRP

/// Truncated and randomly mutated keepalived adverts: a clean rejection or an acceptance,
/// never a trap (a trap would crash the test process).
@Suite struct HostileInputTests {
    @Test(arguments: Fixtures.names)
    func everyTruncationIsRejected(name: String) throws {
        let packet = try #require(try Fixtures.load(name).first)
        let validator = AdvertValidator(Fixtures.expectation(name))
        let ipv4 = validator.expectation.family == .inet
        let whole = ipv4 ? packet.bytes : Array(packet.message)
        for n in 0..<whole.count {
            let cut = Array(whole.prefix(n))
            let result = ipv4 ? validator.validate(ipv4Datagram: cut)
                              : validator.validate(message: cut[...], facts: packet.ipv6Facts)
            #expect(result.rejection != nil, "\(name) cut at \(n) accepted")
            _ = try? VRRPPacket.parse(cut[...], family: validator.expectation.family)
            _ = try? IPv4Header.parse(cut[...])
        }
    }

    @Test(arguments: Fixtures.names)
    func seededMutationsNeverTrap(name: String) throws {
        let packets = try Fixtures.load(name)
        let validator = AdvertValidator(Fixtures.expectation(name))
        let ipv4 = validator.expectation.family == .inet
        var rng = SeededGenerator(state: 0x5EED_0000 &+ UInt64(name.utf8.count))
        var outcomes: [String: Int] = [:]
        for _ in 0..<3000 {
            let source = packets[Int.random(in: 0..<packets.count, using: &rng)]
            var bytes = ipv4 ? source.bytes : Array(source.message)
            // Keep the IPv4 total length right half the time, so that deeper checks are reached.
            let firstMutable = ipv4 && Bool.random(using: &rng) ? 20 : 0
            for _ in 0..<Int.random(in: 1...4, using: &rng) where bytes.count > firstMutable {
                bytes[Int.random(in: firstMutable..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &rng))
            case 1: bytes += (0..<Int.random(in: 1...20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            default: break
            }
            let result = ipv4 ? validator.validate(ipv4Datagram: bytes)
                              : validator.validate(message: bytes[...], facts: source.ipv6Facts)
            outcomes[result.rejection.map { $0.cause.rawValue } ?? "accepted", default: 0] += 1
            _ = try? VRRPPacket.parse(bytes[...], family: .inet)
            _ = try? VRRPPacket.parse(bytes[...], family: .inet6)
            _ = try? IPv4Header.parse(bytes[...])
        }
        #expect(outcomes.values.reduce(0, +) == 3000)
        // The mutations reach past the length checks: checksums catch most of what is left.
        #expect(outcomes["bad-checksum", default: 0] > 100, "\(outcomes)")
    }
}
