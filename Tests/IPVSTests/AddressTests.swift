import Testing
@testable import IPVS
@testable import IPVSModel

@Suite("addresses") struct AddressTests {
    @Test func ipv6BytesRoundTrip() throws {
        let a = try #require(IPAddress("2001:db8::1:ff"))
        #expect(a.bytes == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0xff])
        #expect(a.description == "2001:db8::1:ff")
        #expect(IPAddress(bytes: a.bytes) == a)
        guard case var .v6(bytes) = a else { Issue.record("not IPv6"); return }
        bytes[15] = 0xfe
        #expect(IPAddress.v6(bytes: bytes).description == "2001:db8::1:fe")
        #expect(IPAddress.v6(bytes: bytes) != a)
        #expect(IPAddress.v6(bytes: bytes) < a)
        #expect(IPAddress.any(.inet6).isZero)
        #expect(!a.isZero)
        #expect(Set([a, IPAddress.v6(bytes: bytes), a]).count == 2)
    }

    /// Keys and destinations are plain values (no reference counting when a big table is
    /// copied around): what the inline IPv6 storage is for. A table entry keeps its counters
    /// in a box made only when one is not zero (`CounterStorage`): an entry read without them
    /// (as the daemon reads its table) holds no reference, and is 64 bytes, not 136.
    @Test func keysAndDestinationsArePlainValues() {
        #expect(_isPOD(IPAddress.self))
        #expect(_isPOD(ServiceKey.self))
        #expect(_isPOD(Destination.self))
        #expect(MemoryLayout<DestinationEntry>.size <= 64)
        let plain = DestinationEntry(destination: Destination(address: .v4(192, 0, 2, 1), port: 80))
        #expect(!plain.holdsCounters)
        var counted = plain
        var stats = Stats()
        stats.inBytes = 1
        counted.stats = stats
        #expect(counted.holdsCounters && counted.stats.inBytes == 1 && counted != plain)
        counted.stats = Stats()
        #expect(!counted.holdsCounters && counted == plain && Set([counted, plain]).count == 1)
    }
}
