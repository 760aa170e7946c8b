import NetworkModel
import VRRP

/// A received VRRP datagram through the wire parser and the receive validation
/// (`AdvertValidator`, keepalived's checks). The first input byte picks the instance that
/// receives it: version, family, authentication, unicast or multicast, checksum coverage; the
/// rest is the datagram (IPv4: from the IP header on, as the raw socket returns it; IPv6: the
/// VRRP message, the header facts from the same byte). An accepted advert must be exactly
/// the bytes received: its packet encodes back to them.
enum VRRPTarget {
    static let v4Addresses = [IPAddress.v4(198, 51, 100, 40), .v4(198, 51, 100, 41), .v4(198, 51, 100, 39)]
    static let v6Addresses = [IPAddress("fe80::55")!, IPAddress("2001:db8:1::39")!]

    static func run(_ bytes: [UInt8]) {
        guard let selector = bytes.first else { return }
        let datagram = Array(bytes.dropFirst())
        let ipv6 = selector & 1 != 0
        let version: VRRPVersion = ipv6 || selector & 2 != 0 ? .v3 : .v2
        let unicast = selector & 4 != 0
        let auth: VRRPAuthentication = version == .v2 && selector & 8 != 0 ? .password("s3cret-l") : .none
        let expectation = AdvertExpectation(
            vrid: 51 + (selector >> 5), version: version, family: ipv6 ? .inet6 : .inet, authentication: auth,
            advertInterval: .seconds(1), virtualAddresses: ipv6 ? v6Addresses : v4Addresses, isUnicast: unicast,
            ipv4PseudoHeader: selector & 16 == 0)
        let validator = AdvertValidator(expectation)
        _ = AdvertValidator.peekVRID(datagram, ipv4: !ipv6)
        _ = try? VRRPPacket.parse(datagram[...], family: ipv6 ? .inet6 : .inet)
        let result: Result<AcceptedAdvert, Rejection>
        let message: ArraySlice<UInt8>
        if ipv6 {
            let facts = ReceiveFacts(source: IPAddress("fe80::ff:fe00:11")!,
                                     destination: unicast ? IPAddress("fe80::ff:fe00:12")! : IPAddress("ff02::12")!,
                                     ttl: selector & 8 != 0 ? 64 : 255)
            result = validator.validate(message: datagram[...], facts: facts)
            message = datagram[...]
        } else {
            result = validator.validate(ipv4Datagram: datagram)
            let headerLength = datagram.first.map { Int($0 & 0x0F) * 4 } ?? 0
            message = headerLength <= datagram.count ? datagram[headerLength...] : []
        }
        switch result {
        case let .success(advert):
            precondition(advert.packet.encodedAsIs()[...] == message, "an accepted advert is not the bytes received")
        case let .failure(rejection):
            _ = rejection.description
        }
    }
}
