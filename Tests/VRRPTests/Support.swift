import Foundation
import NetworkModel
@testable import VRRP

/// One packet of a fixture file: its tcpdump summary and its bytes (from the IP header on).
struct CapturedPacket {
    var summary: String
    var bytes: [UInt8]

    /// The VRRP message of an IPv4 packet (after the IHL) or an IPv6 one (after 40 bytes).
    var message: ArraySlice<UInt8> {
        let start = bytes[0] >> 4 == 4 ? Int(bytes[0] & 0x0F) * 4 : 40
        return bytes[start...]
    }

    /// IPv6 receive facts from the fixture's IPv6 header (what recvmsg would report).
    var ipv6Facts: ReceiveFacts {
        ReceiveFacts(source: IPAddress(bytes: bytes[8..<24])!, destination: IPAddress(bytes: bytes[24..<40])!,
                     ttl: bytes[7])
    }
}

/// The keepalived captures under Fixtures (see Fixtures/README.md).
enum Fixtures {
    static let names = ["v2-pass-unicast", "v2-multicast", "v3-ipv4-multicast", "v3-ipv4-unicast", "v3-ipv6-multicast"]

    static func load(_ name: String) throws -> [CapturedPacket] {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("\(name).hex")
        let text = try String(contentsOf: url, encoding: .utf8)
        var packets: [CapturedPacket] = []
        var summary = ""
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") {
                if line.hasPrefix("# ") && line.dropFirst(2).first?.isNumber == true { summary = String(line) }
                continue
            }
            packets.append(CapturedPacket(summary: summary, bytes: hex(line)))
        }
        return packets
    }

    static func hex(_ s: some StringProtocol) -> [UInt8] {
        var out: [UInt8] = []
        var it = s.makeIterator()
        while let h = it.next(), let l = it.next() {
            out.append(UInt8(String([h, l]), radix: 16)!)
        }
        return out
    }

    static let ka = IPAddress("198.51.100.11")!
    static let peer = IPAddress("198.51.100.12")!
    static let kaLinkLocal = IPAddress("fe80::ff:fe00:11")!

    /// The expectation of the receiving side of each captured instance (ka.conf in the script).
    static func expectation(_ name: String) -> AdvertExpectation {
        switch name {
        case "v2-pass-unicast":
            return AdvertExpectation(vrid: 51, version: .v2, family: .inet, authentication: .password("s3cret-longer-than-8"),
                                     advertInterval: .seconds(1), virtualAddresses: [IPAddress("198.51.100.39")!],
                                     isUnicast: true)
        case "v2-multicast":
            return AdvertExpectation(vrid: 52, version: .v2, family: .inet, advertInterval: .seconds(2),
                                     virtualAddresses: [IPAddress("198.51.100.40")!, IPAddress("198.51.100.41")!],
                                     isUnicast: false)
        case "v3-ipv4-multicast":
            return AdvertExpectation(vrid: 53, version: .v3, family: .inet, advertInterval: .milliseconds(500),
                                     virtualAddresses: [IPAddress("198.51.100.42")!], isUnicast: false)
        case "v3-ipv4-unicast":
            return AdvertExpectation(vrid: 54, version: .v3, family: .inet, advertInterval: .seconds(1),
                                     virtualAddresses: [IPAddress("198.51.100.43")!, IPAddress("198.51.100.44")!],
                                     isUnicast: true)
        default:
            return AdvertExpectation(vrid: 55, version: .v3, family: .inet6, advertInterval: .seconds(1),
                                     virtualAddresses: [IPAddress("fe80::55")!, IPAddress("2001:db8:1::39")!],
                                     isUnicast: false)
        }
    }

    /// Priority the capture's instance had (the last packet of each file is its priority 0).
    static func priority(_ name: String) -> UInt8 {
        ["v2-pass-unicast": 100, "v2-multicast": 150, "v3-ipv4-multicast": 200, "v3-ipv4-unicast": 120,
         "v3-ipv6-multicast": 130][name]!
    }

    /// Validates a fixture packet the way the socket layer would feed it.
    static func validate(_ packet: CapturedPacket, with validator: AdvertValidator) -> Result<AcceptedAdvert, Rejection> {
        if validator.expectation.family == .inet {
            return validator.validate(ipv4Datagram: packet.bytes)
        }
        return validator.validate(message: packet.message, facts: packet.ipv6Facts)
    }
}

/// SplitMix64: a seeded generator, so random mutations are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Result {
    var rejection: Rejection? { if case let .failure(r) = self { r as? Rejection } else { nil } }
    var accepted: Success? { if case let .success(s) = self { s } else { nil } }
}
