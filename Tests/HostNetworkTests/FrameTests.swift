import Testing
@testable import HostNetwork
import NetworkModel

/// Frame builders and the netlink decoder, byte for byte (no privileges needed).
@Suite struct FrameTests {
    let mac = MACAddress(0x02, 0x11, 0x22, 0x33, 0x44, 0x55)

    @Test func gratuitousARPIsARequestForTheVIPFromTheInterfaceMAC() {
        let f = GratuitousARPSender.frame(mac: mac, address: .v4(198, 51, 100, 39))
        #expect(f.count == 42)
        #expect(Array(f[0..<6]) == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
        #expect(Array(f[6..<12]) == mac.array)
        #expect(Array(f[12..<14]) == [0x08, 0x06])
        #expect(Array(f[14..<22]) == [0, 1, 0x08, 0, 6, 4, 0, 1])     // Ethernet, IPv4, request
        #expect(Array(f[22..<28]) == mac.array)                        // sender MAC
        #expect(Array(f[28..<32]) == [198, 51, 100, 39])               // sender IP
        #expect(Array(f[32..<38]) == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) // target MAC (keepalived)
        #expect(Array(f[38..<42]) == [198, 51, 100, 39])               // target IP
    }

    @Test func neighbourAdvertisementCarriesOverrideTargetOptionAndAValidChecksum() throws {
        let vip = try #require(IPAddress("2001:db8::39"))
        let f = NeighborAdvertisementSender.frame(mac: mac, address: vip, router: false)
        #expect(f.count == 86)
        #expect(Array(f[0..<6]) == [0x33, 0x33, 0, 0, 0, 1])
        #expect(Array(f[6..<12]) == mac.array)
        #expect(Array(f[12..<14]) == [0x86, 0xdd])
        let ip6 = Array(f[14..<54])
        #expect(ip6[0] >> 4 == 6)
        #expect(Int(ip6[4]) << 8 | Int(ip6[5]) == 32)    // payload length
        #expect(ip6[6] == 58 && ip6[7] == 255)           // ICMPv6, hop limit 255
        #expect(Array(ip6[8..<24]) == vip.bytes)         // source = VIP
        #expect(IPAddress(bytes: ip6[24..<40]) == IPAddress("ff02::1"))
        let icmp = Array(f[54...])
        #expect(icmp[0] == 136 && icmp[1] == 0)
        #expect(icmp[4] == 0x20)                         // Override only: not Solicited, not Router
        #expect(Array(icmp[8..<24]) == vip.bytes)
        #expect(Array(icmp[24..<32]) == [2, 1] + mac.array)
        // A correct checksum makes the sum over pseudo-header and message zero (~0 == 0xffff).
        let pseudo = NeighborAdvertisementSender.pseudoHeader(source: vip.bytes, destination: Array(ip6[24..<40]), length: icmp.count)
        #expect(InternetChecksum.of(pseudo + icmp) == 0)
        let router = NeighborAdvertisementSender.frame(mac: mac, address: vip, router: true)
        #expect(router[54 + 4] == 0xa0)
    }

    @Test func decodesALinkMessageAndIgnoresBridgeFamilyCopies() throws {
        // RTM_NEWLINK, ifindex 7, flags UP|RUNNING|LOWER_UP, IFLA_IFNAME "eth0", IFLA_ADDRESS.
        var body: [UInt8] = [0, 0, 1, 0] + le32(7) + le32(0x1 | 0x40 | 0x10000) + le32(0xffff_ffff)
        body += attribute(3, Array("eth0".utf8) + [0])
        body += attribute(1, mac.array)
        let message = le32(UInt32(16 + body.count)) + le16(16) + le16(0) + le32(1) + le32(0) + body
        let decoded = try message.withUnsafeBytes { try RouteMessageDecoder.decode($0) }
        #expect(decoded == [.link(NetworkInterface(index: 7, name: "eth0", macAddress: mac, flags: 0x10041, mtu: nil), deleted: false)])
        var bridged = message
        bridged[16] = 7   // AF_BRIDGE
        #expect(try bridged.withUnsafeBytes { try RouteMessageDecoder.decode($0) } == [.ignored])
        let cut = Array(message.dropLast(3))
        #expect(throws: RouteMessageDecoder.DecodeError.self) { try cut.withUnsafeBytes { try RouteMessageDecoder.decode($0) } }
    }

    @Test func decodesAnAddressDeletionWithLocalLabelAndFlags() throws {
        var body: [UInt8] = [2, 24, 0x80, 0] + le32(3)
        body += attribute(1, [198, 51, 100, 39])
        body += attribute(2, [198, 51, 100, 39])
        body += attribute(3, Array("eth0:vip".utf8) + [0])
        body += attribute(8, le32(0x80))
        let message = le32(UInt32(16 + body.count)) + le16(21) + le16(0) + le32(0) + le32(0) + body
        let decoded = try message.withUnsafeBytes { try RouteMessageDecoder.decode($0) }
        let expected = InterfaceAddress(address: .v4(198, 51, 100, 39), prefixLength: 24, interfaceIndex: 3,
                                        label: "eth0:vip", scope: .global, flags: 0x80)
        #expect(decoded == [.address(expected, deleted: true)])
    }

    @Test func errorDescriptionsReadLikeIp() {
        let e = HostNetworkError(code: .addressExists, errno: .fileExists, operation: .addAddress, object: "198.51.100.39/24 to eth0")
        #expect(e.description == "add address 198.51.100.39/24 to eth0: File exists")
        let s = HostNetworkError(code: .permissionDenied, errno: .notPermitted, operation: .openVRRPSendSocket, object: "on eth0",
                                 step: "socket(AF_INET, SOCK_RAW, 112)")
        #expect(s.description == "open VRRP send socket on eth0: socket(AF_INET, SOCK_RAW, 112): Operation not permitted")
    }

    private func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    private func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        var a = le16(UInt16(4 + value.count)) + le16(type) + value
        while a.count % 4 != 0 { a.append(0) }
        return a
    }
}

import CNetlinkRoute

/// The decoder's constants are the kernel's (linux/rtnetlink.h, if_link.h, if_addr.h, netlink.h).
@Suite struct WireConstantTests {
    @Test func decoderConstantsMatchTheUAPIHeaders() {
        typealias D = RouteMessageDecoder
        #expect(D.nlmsgError == UInt16(NLMSG_ERROR) && D.nlmsgDone == UInt16(NLMSG_DONE))
        #expect(D.rtmNewLink == UInt16(RTM_NEWLINK) && D.rtmDelLink == UInt16(RTM_DELLINK) && D.rtmGetLink == UInt16(RTM_GETLINK))
        #expect(D.rtmNewAddr == UInt16(RTM_NEWADDR) && D.rtmDelAddr == UInt16(RTM_DELADDR) && D.rtmGetAddr == UInt16(RTM_GETADDR))
        #expect(D.dumpInterruptedFlag == UInt16(NLM_F_DUMP_INTR))
        #expect(D.iflaAddress == UInt16(IFLA_ADDRESS) && D.iflaIfname == UInt16(IFLA_IFNAME) && D.iflaMTU == UInt16(IFLA_MTU))
        #expect(D.ifaAddress == UInt16(IFA_ADDRESS) && D.ifaLocal == UInt16(IFA_LOCAL) && D.ifaLabel == UInt16(IFA_LABEL))
        #expect(D.ifaBroadcast == UInt16(IFA_BROADCAST) && D.ifaFlags == UInt16(IFA_FLAGS))
        #expect(InterfaceAddress.noDADFlag == UInt32(IFA_F_NODAD) && InterfaceAddress.secondaryFlag == UInt32(IFA_F_SECONDARY)
                && InterfaceAddress.tentativeFlag == UInt32(IFA_F_TENTATIVE))
        let up = NetworkInterface(index: 1, name: "x", macAddress: nil, flags: UInt32(IFF_UP.rawValue), mtu: nil)
        let running = NetworkInterface(index: 1, name: "x", macAddress: nil, flags: UInt32(IFF_RUNNING.rawValue), mtu: nil)
        let carrier = NetworkInterface(index: 1, name: "x", macAddress: nil, flags: UInt32(IFF_LOWER_UP.rawValue), mtu: nil)
        #expect(up.isUp && !up.isRunning && running.isRunning && !running.isUp && carrier.hasCarrier)
    }
}

@Suite struct IPv4HeaderTests {
    @Test func headerIsKeepalivedsWithBigEndianLength() {
        let h = VRRPSendSocket.ipv4Header(source: .v4(198, 51, 100, 11), destination: .v4(224, 0, 0, 18), payloadLength: 300)
        #expect(h == [0x45, 0xc0, 0x01, 0x40, 0, 0, 0, 0, 255, 112, 0, 0, 198, 51, 100, 11, 224, 0, 0, 18])
    }
}
