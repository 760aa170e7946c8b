import Testing
@testable import IPVS

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
    /// copied around): what the inline IPv6 storage is for.
    @Test func keysAndDestinationsArePlainValues() {
        #expect(_isPOD(IPAddress.self))
        #expect(_isPOD(ServiceKey.self))
        #expect(_isPOD(Destination.self))
        #expect(_isPOD(DestinationEntry.self))
    }
}
