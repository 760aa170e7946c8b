import Testing
@testable import IPVS
@testable import IPVSRules
import TestSupport

@Suite("the simulator's service index")
struct ServiceIndexTests {
    /// Keys of every kind, many sharing all but one field.
    static func key(_ n: UInt64) -> ServiceKey {
        let port = UInt16(truncatingIfNeeded: n >> 8)
        switch n % 5 {
        case 0: return .address(.tcp, .v4(10, 0, UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)), port: port)
        case 1: return .address(.udp, .v4(10, 0, UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n)), port: port)
        case 2:
            var bytes = IPv6Bytes()
            bytes[0] = 0x20; bytes[1] = 0x01
            bytes[14] = UInt8(truncatingIfNeeded: n >> 8); bytes[15] = UInt8(truncatingIfNeeded: n)
            return .address(.sctp, .v6(bytes: bytes), port: port)
        case 3: return .fwmark(UInt32(truncatingIfNeeded: n % 512), family: .inet)
        default: return .fwmark(UInt32(truncatingIfNeeded: n % 512), family: .inet6)
        }
    }

    /// Random inserts, lookups, removals and clears agree with a dictionary, through growth
    /// from empty and past many removals.
    @Test(arguments: [0, 10, 5000])
    func agreesWithADictionary(capacity: Int) {
        var rng = SplitMix(state: UInt64(capacity) &+ 7)
        var index = ServiceIndex(capacity: capacity)
        var model: [ServiceKey: Int] = [:]
        for step in 0..<40_000 {
            let k = Self.key(rng.next() % 3000)
            switch rng.next() % 100 {
            case 0..<55:
                let had = index.insertIfAbsent(k, step)
                #expect(had == model[k])
                if model[k] == nil { model[k] = step }
            case 55..<85:
                index.remove(k)
                model[k] = nil
            case 85:
                if rng.next() % 20 == 0 {
                    index.removeAll()
                    model = [:]
                }
            default:
                #expect(index[k] == model[k])
            }
            #expect(index.count == model.count)
        }
        for (k, v) in model { #expect(index[k] == v) }
    }

    /// The simulator's own comparison of keys (and so of addresses) is the model's `==`.
    @Test func sameIsEquality() {
        let keys = (0..<600).map { Self.key(UInt64($0) * 97) } + [
            .address(.tcp, .v4(192, 0, 2, 1), port: 80), .address(.tcp, .v4(192, 0, 2, 1), port: 81),
            .address(.udp, .v4(192, 0, 2, 1), port: 80), .fwmark(80, family: .inet), .fwmark(80, family: .inet6),
        ]
        for a in keys {
            for b in keys.prefix(80) + keys.suffix(5) {
                #expect(TableSimulator.same(a, b) == (a == b), "\(a) vs \(b)")
            }
        }
    }

    @Test func equalKeysOnlyMatchEqualKeys() {
        var index = ServiceIndex()
        index.insertIfAbsent(.address(.tcp, .v4(192, 0, 2, 1), port: 80), 1)
        #expect(index[.address(.udp, .v4(192, 0, 2, 1), port: 80)] == nil)
        #expect(index[.address(.tcp, .v4(192, 0, 2, 1), port: 81)] == nil)
        #expect(index[.address(.tcp, .v4(192, 0, 2, 2), port: 80)] == nil)
        #expect(index[.fwmark(80, family: .inet)] == nil)
        #expect(index[.address(.tcp, .v4(192, 0, 2, 1), port: 80)] == 1)
        index.insertIfAbsent(.fwmark(80, family: .inet), 2)
        #expect(index[.fwmark(80, family: .inet6)] == nil)
        #expect(index[.fwmark(80, family: .inet)] == 2)
    }
}
