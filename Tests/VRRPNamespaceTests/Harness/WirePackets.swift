import Foundation
import NetworkModel

/// A VRRP advertisement seen on the bridge.
struct AdvertEvent: Sendable, CustomStringConvertible {
    var time: Double
    var sourceMAC: String
    var source: IPAddress
    var destination: IPAddress
    /// IPv4 TTL or IPv6 hop limit.
    var ttl: UInt8
    var version: UInt8
    var vrid: UInt8
    var priority: UInt8
    /// Seconds: v2's whole-second field, v3's centiseconds / 100.
    var advertInterval: Double
    /// v2 only: auth type and the 8 auth bytes.
    var authType: UInt8?
    var authData: [UInt8]?
    var addresses: [IPAddress]
    /// The VRRP message itself (after the IP header), for golden-byte comparisons.
    var payload: [UInt8]

    var description: String {
        String(format: "%.6f ", time) + "\(source) > \(destination) VRRPv\(version) vrid \(vrid) prio \(priority) ttl \(ttl) int \(advertInterval) addrs \(addresses)"
    }
}

/// A gratuitous ARP (sender IP = target IP) or an unsolicited neighbour advertisement.
struct AnnouncementEvent: Sendable, CustomStringConvertible {
    enum Kind: Sendable { case arpRequest, arpReply, neighborAdvert }
    var time: Double
    var kind: Kind
    /// The Ethernet source (for ARP also its sender hardware address).
    var senderMAC: String
    var senderIP: IPAddress
    /// ARP: the sender hardware address field; NA: the override flag as "O" or "".
    var detail: String

    var description: String { String(format: "%.6f ", time) + "\(kind) \(senderIP) is-at \(senderMAC) \(detail)" }
}

/// Decodes the Ethernet frames of a pcap (DLT_EN10MB) into adverts and announcements.
enum WirePackets {
    /// Decodes a whole pcap file's bytes; a trailing partial record is ignored (tcpdump is
    /// still writing it).
    static func decode(pcap bytes: [UInt8]) throws -> (adverts: [AdvertEvent], announcements: [AnnouncementEvent]) {
        guard bytes.count >= 24 else { return ([], []) }
        let magic = le32(bytes, 0)
        let nano: Bool
        switch magic {
        case 0xa1b2_c3d4: nano = false
        case 0xa1b2_3c4d: nano = true
        default:
            throw HarnessError(code: .badData, operation: "read pcap", object: "header", detail: String(format: "magic %08x", magic))
        }
        var adverts: [AdvertEvent] = [], announcements: [AnnouncementEvent] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let seconds = Double(le32(bytes, offset)), fraction = Double(le32(bytes, offset + 4))
            let length = Int(le32(bytes, offset + 8))
            guard offset + 16 + length <= bytes.count else { break }
            let time = seconds + fraction / (nano ? 1e9 : 1e6)
            let frame = Array(bytes[(offset + 16)..<(offset + 16 + length)])
            offset += 16 + length
            switch decodeFrame(frame, time: time) {
            case .advert(let a): adverts.append(a)
            case .announcement(let g): announcements.append(g)
            case nil: break
            }
        }
        return (adverts, announcements)
    }

    private enum Decoded { case advert(AdvertEvent), announcement(AnnouncementEvent) }

    private static func decodeFrame(_ f: [UInt8], time: Double) -> Decoded? {
        guard f.count >= 14 else { return nil }
        let mac = macText(f[6..<12])
        let body = Array(f[14...])
        switch be16(f, 12) {
        case 0x0800: return ipv4(body, time: time, mac: mac)
        case 0x86dd: return ipv6(body, time: time, mac: mac)
        case 0x0806: return arp(body, time: time, mac: mac)
        default: return nil
        }
    }

    private static func ipv4(_ p: [UInt8], time: Double, mac: String) -> Decoded? {
        guard p.count >= 20, p[0] >> 4 == 4, p[9] == 112 else { return nil }
        let ihl = Int(p[0] & 0x0f) * 4
        let total = min(Int(be16(p, 2)), p.count)
        guard ihl >= 20, total > ihl, let src = IPAddress(bytes: p[12..<16]), let dst = IPAddress(bytes: p[16..<20]) else { return nil }
        return vrrp(Array(p[ihl..<total]), addressSize: 4, time: time, mac: mac, source: src, destination: dst, ttl: p[8])
    }

    private static func ipv6(_ p: [UInt8], time: Double, mac: String) -> Decoded? {
        guard p.count >= 40, p[0] >> 4 == 6, let src = IPAddress(bytes: p[8..<24]), let dst = IPAddress(bytes: p[24..<40]) else { return nil }
        let payload = Array(p[40..<min(p.count, 40 + Int(be16(p, 4)))])
        switch p[6] {
        case 112:
            return vrrp(payload, addressSize: 16, time: time, mac: mac, source: src, destination: dst, ttl: p[7])
        case 58 where payload.count >= 24 && payload[0] == 136:   // ICMPv6 neighbour advertisement
            guard let target = IPAddress(bytes: payload[8..<24]) else { return nil }
            let override = payload[4] & 0x20 != 0
            return .announcement(AnnouncementEvent(time: time, kind: .neighborAdvert, senderMAC: mac, senderIP: target,
                                                   detail: override ? "O" : ""))
        default: return nil
        }
    }

    private static func vrrp(_ v: [UInt8], addressSize: Int, time: Double, mac: String, source: IPAddress,
                             destination: IPAddress, ttl: UInt8) -> Decoded? {
        guard v.count >= 8 else { return nil }
        let version = v[0] >> 4, count = Int(v[3])
        let authBytes = version == 2 ? 8 : 0
        guard v[0] & 0x0f == 1, v.count >= 8 + count * addressSize + authBytes else { return nil }
        let addresses = (0..<count).compactMap { i in
            IPAddress(bytes: v[(8 + i * addressSize)..<(8 + (i + 1) * addressSize)])
        }
        let interval = version == 2 ? Double(v[5]) : Double(be16(v, 4) & 0x0fff) / 100
        let authStart = 8 + count * addressSize
        return .advert(AdvertEvent(
            time: time, sourceMAC: mac, source: source, destination: destination, ttl: ttl, version: version,
            vrid: v[1], priority: v[2], advertInterval: interval,
            authType: version == 2 ? v[4] : nil,
            authData: version == 2 ? Array(v[authStart..<(authStart + 8)]) : nil,
            addresses: addresses, payload: v))
    }

    private static func arp(_ p: [UInt8], time: Double, mac: String) -> Decoded? {
        // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
        guard p.count >= 28, be16(p, 0) == 1, be16(p, 2) == 0x0800, p[4] == 6, p[5] == 4 else { return nil }
        guard let sender = IPAddress(bytes: p[14..<18]), let target = IPAddress(bytes: p[24..<28]), sender == target else { return nil }
        let op = be16(p, 6)
        guard op == 1 || op == 2 else { return nil }
        return .announcement(AnnouncementEvent(time: time, kind: op == 1 ? .arpRequest : .arpReply, senderMAC: mac,
                                               senderIP: sender, detail: "sha " + macText(p[8..<14])))
    }

    // pcap headers are written in the capturing host's order (the magic tells; tcpdump here is
    // little-endian); packet fields are network order.
    private static func le32(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
    private static func be16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) << 8 | UInt16(b[o + 1]) }
    private static func macText(_ b: ArraySlice<UInt8>) -> String { b.map { String(format: "%02x", $0) }.joined(separator: ":") }
}
