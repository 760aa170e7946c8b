import Testing
@testable import IPVS
import SystemErrors
#if canImport(Glibc)
import Glibc
#endif

/// Builds a reply body (genl header + attributes) for decoder tests.
func replyBody(_ build: (inout MessageWriter) -> Void) -> ByteView {
    var w = MessageWriter()
    w.beginMessage(family: 0x1c, flags: 0, sequence: 0, port: 0, command: 4, version: 1)
    build(&w)
    w.endMessage()
    return ByteView(w.bytes, NetlinkConstants.headerLength..<w.bytes.count)
}

@Suite("Reply decoding")
struct DecodeTests {
    @Test func unknownAttributesAreSkipped() throws {
        let body = replyBody { w in
            w.beginNested(IPVSWire.CommandAttr.service)
            w.put(IPVSWire.ServiceAttr.af, u16: 2)
            w.put(IPVSWire.ServiceAttr.fwmark, u32: 80)
            w.put(UInt16(99), bytes: [1, 2, 3, 4, 5])          // an attribute from a future kernel
            w.put(IPVSWire.ServiceAttr.schedName, string: "lc")
            w.put(IPVSWire.ServiceAttr.flags, bytes: [0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])  // persistent|hashed
            w.put(IPVSWire.ServiceAttr.timeout, u32: 360)
            w.put(IPVSWire.ServiceAttr.netmask, be32: 0xFFFF_FF00)
            w.beginNested(IPVSWire.ServiceAttr.stats64)
            w.put(IPVSWire.StatsAttr.conns, bytes: withUnsafeBytes(of: UInt64(5_000_000_000)) { Array($0) })
            w.put(IPVSWire.StatsAttr.inBytes, bytes: withUnsafeBytes(of: UInt64(1) << 40) { Array($0) })
            w.put(UInt16(42), u32: 1)                           // unknown stats field
            w.endNested()
            w.endNested()
            w.put(UInt16(77), string: "top-level future attribute")
        }
        let entry = try IPVSWire.decodeService(body)
        #expect(entry.service == Service(key: .fwmark(80, family: .inet), scheduler: "lc", flags: [.persistent],
                                         timeout: 360, netmask: 0xFFFF_FF00))
        #expect(!entry.service.flags.contains(ServiceFlags(rawValue: 0x2)), "HASHED must not leak")
        #expect(entry.stats.connections == 5_000_000_000)
        #expect(entry.stats.inBytes == 1 << 40)
    }

    @Test func thirtyTwoBitStatsWhenNoStats64() throws {
        let body = replyBody { w in
            w.beginNested(IPVSWire.CommandAttr.dest)
            w.put(IPVSWire.DestAttr.addr, bytes: [192, 0, 2, 11] + [UInt8](repeating: 0, count: 12))
            w.put(IPVSWire.DestAttr.port, be16: 80)
            w.put(IPVSWire.DestAttr.fwdMethod, u32: 3)
            w.put(IPVSWire.DestAttr.weight, u32: 4)
            w.put(IPVSWire.DestAttr.activeConns, u32: 9)
            w.beginNested(IPVSWire.DestAttr.stats)
            w.put(IPVSWire.StatsAttr.conns, u32: 12)
            w.put(IPVSWire.StatsAttr.inBytes, bytes: withUnsafeBytes(of: UInt64(700)) { Array($0) })
            w.endNested()
            w.endNested()
        }
        // No ADDR_FAMILY attribute (old kernels): the service's family is used.
        let entry = try IPVSWire.decodeDestination(body, serviceFamily: .inet)
        #expect(entry.destination == Destination(address: IPAddress("192.0.2.11")!, port: 80, forwarding: .directRouting, weight: 4))
        #expect(entry.activeConnections == 9)
        #expect(entry.stats.connections == 12)
        #expect(entry.stats.inBytes == 700)
    }

    /// A length that runs past the buffer is an error, never a read out of bounds.
    @Test func truncatedAttributeIsAnError() throws {
        var w = MessageWriter()
        w.beginMessage(family: 0x1c, flags: 0, sequence: 0, port: 0, command: 4, version: 1)
        w.beginNested(IPVSWire.CommandAttr.service)
        w.put(IPVSWire.ServiceAttr.af, u16: 2)
        w.put(IPVSWire.ServiceAttr.schedName, string: "wlc")
        w.endNested()
        w.endMessage()
        var bytes = w.bytes
        // Claim the scheduler name is 40 bytes long.
        let schedOffset = NetlinkConstants.headerLength + 4 + 4 + 8
        bytes[schedOffset] = 40
        #expect(throws: DecodeError.self) {
            try IPVSWire.decodeService(ByteView(bytes, NetlinkConstants.headerLength..<bytes.count))
        }
        // Cut in the middle of an attribute header.
        let cut = Array(w.bytes.prefix(NetlinkConstants.headerLength + 4 + 4 + 2))
        #expect(throws: DecodeError.self) {
            try IPVSWire.decodeService(ByteView(cut, NetlinkConstants.headerLength..<cut.count))
        }
        // Every prefix of a valid reply either decodes or throws; none crashes.
        for n in NetlinkConstants.headerLength..<w.bytes.count {
            let prefix = Array(w.bytes.prefix(n))
            _ = try? IPVSWire.decodeService(ByteView(prefix, NetlinkConstants.headerLength..<n))
        }
    }

    @Test func wrongSizedIntegerIsAnError() {
        let body = replyBody { w in
            w.put(IPVSWire.InfoAttr.version, u16: 1)   // should be u32
            w.put(IPVSWire.InfoAttr.connTabSize, u32: 4096)
        }
        #expect(throws: DecodeError.self) { try IPVSWire.decodeInfo(body) }
    }

    @Test func badNetlinkLengthIsAnError() {
        var datagram = [UInt8](repeating: 0, count: 20)
        datagram[0] = 200  // nlmsg_len beyond the datagram
        #expect(throws: DecodeError.self) { try splitMessages(datagram, count: datagram.count) }
        datagram[0] = 8    // shorter than a header
        #expect(throws: DecodeError.self) { try splitMessages(datagram, count: datagram.count) }
    }

    @Test func extendedAckMessageIsRead() throws {
        var w = MessageWriter()
        // NLMSG_ERROR, capped, with TLVs: errno -22, the original header, then NLMSGERR_ATTR_MSG.
        w.beginMessage(family: NetlinkConstants.error, flags: NetlinkConstants.capped | NetlinkConstants.ackTLVs,
                       sequence: 9, port: 0, command: 0, version: 0)
        var raw = w.bytes
        raw.removeLast(4)                                          // drop the genl header placeholder
        raw += withUnsafeBytes(of: Int32(-22)) { Array($0) }
        raw += withUnsafeBytes(of: UInt32(36)) { Array($0) }       // original nlmsg_len
        raw += [0x1c, 0, 5, 0] + withUnsafeBytes(of: UInt32(9)) { Array($0) } + [0, 0, 0, 0]
        var tlv = MessageWriter()
        tlv.put(NetlinkConstants.extAckMessage, string: "Attribute failed policy validation")
        raw += tlv.bytes
        raw.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(raw.count)) { Array($0) })
        let msgs = try splitMessages(raw, count: raw.count)
        let reply = try NetlinkErrorReply(msgs[0])
        #expect(reply.error == -22)
        #expect(reply.originalSequence == 9)
        #expect(reply.message == "Attribute failed policy validation")
    }
}

@Suite("Errors")
struct ErrorTests {
    /// On a kernel without IPVS (this host) opening a handle says so; where IPVS exists it opens.
    @Test func unavailableIPVSIsExplained() throws {
        let hasIPVS = access("/proc/net/ip_vs", F_OK) == 0
        do throws(IPVSError) {
            let handle = try IPVSHandle(loadModule: false)
            #expect(hasIPVS, "opened a handle on a kernel without /proc/net/ip_vs")
            _ = try handle.info()
        } catch {
            #expect(!hasIPVS)
            #expect(error.code == .ipvsUnavailable)
            #expect(error.description == "open IPVS: IPVS is not available (is the ip_vs module loaded?): the kernel has no \"IPVS\" generic-netlink family")
        }
    }

    @Test func messagesNameOperationAndObject() {
        let key = ServiceKey.address(.tcp, IPAddress("192.0.2.1")!, port: 80)
        let d = Destination(address: IPAddress("192.0.2.11")!, port: 80)
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: EEXIST), request: .change(.addService(Service(key: key))), extAck: nil).description
                == "add service TCP 192.0.2.1:80: Service already exists")
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: ENOENT), request: .change(.deleteDestination(d.key, from: key)), extAck: nil).description
                == "delete destination 192.0.2.11:80 of service TCP 192.0.2.1:80: No such destination")
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: ESRCH), request: .change(.deleteDestination(d.key, from: key)), extAck: nil).reason
                == "Service not defined")
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: EPERM), request: .change(.flush), extAck: nil).description
                == "flush the table: Operation not permitted (needs CAP_NET_ADMIN)")
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: ENOMEM), request: .dumpServices, extAck: nil).reason == "Memory allocation problem")
        let v6 = ServiceKey.fwmark(1, family: .inet6)
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: EINVAL), request: .change(.addDestination(Destination(address: IPAddress("192.0.2.9")!), to: v6)), extAck: nil)
                .reason.contains("Mixed address families"))
        #expect(IPVSError.fromKernel(errno: Errno(rawValue: EINVAL), request: .change(.addDestination(d, to: key)), extAck: "bad attr").reason
                .hasSuffix("(kernel: bad attr)"))
    }
}

/// Replies the Debian kernel sent in the VM (Scripts/capture-wire-fixtures), decoded on the host.
@Suite("Decoding captured kernel replies")
struct CapturedReplyTests {
    func body(_ name: String) throws -> ByteView {
        let text = try #require(capturedReplies[name], "no captured reply \(name)")
        return ByteView(hex(text))
    }

    let vip4 = IPAddress("192.0.2.100")!
    let vip6 = IPAddress("2001:db8::100")!

    @Test func services() throws {
        let tcp = try IPVSWire.decodeService(body("service-tcp4-persistent"))
        #expect(tcp.service == Service(key: .address(.tcp, vip4, port: 80), scheduler: "wrr", flags: [.persistent],
                                       timeout: 300, netmask: 0xFFFF_FF00))
        let udp6 = try IPVSWire.decodeService(body("service-udp6-sh-flags"))
        #expect(udp6.service == Service(key: .address(.udp, vip6, port: 53), scheduler: "sh",
                                        flags: [.shFallback, .shPort, .onePacket]))
        let fw6 = try IPVSWire.decodeService(body("service-fwmark6-persistent"))
        #expect(fw6.service == Service(key: .fwmark(80, family: .inet6), scheduler: "lc", flags: [.persistent],
                                       timeout: 60, netmask: 64))
        // STATS64 with real traffic: 12 datagrams, 12 connections.
        let traffic = try IPVSWire.decodeService(body("service-udp4-traffic"))
        #expect(traffic.service.key == .address(.udp, IPAddress("192.0.2.202")!, port: 7))
        #expect(traffic.stats.connections == 12)
        #expect(traffic.stats.inPackets == 12)
        #expect(traffic.stats.inBytes >= 12 * 28)
        #expect(traffic.stats.outPackets == 0)
    }

    @Test func tunnelAndMixedFamilyDestinations() throws {
        var decoded: [Destination] = []
        for i in 0..<4 {
            decoded.append(try IPVSWire.decodeDestination(body("service-tcp4-persistent-dest\(i)"), serviceFamily: .inet).destination)
        }
        let expected: Set<Destination> = [
            Destination(address: IPAddress("192.0.2.11")!, port: 80,
                        forwarding: .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote)), weight: 3),
            Destination(address: IPAddress("192.0.2.12")!, port: 80,
                        forwarding: .tunnel(Tunnel(kind: .gre, checksum: .checksum)), weight: 2,
                        upperThreshold: 500, lowerThreshold: 50),
            // An IPv6 real server of an IPv4 service: its own address family attribute.
            Destination(address: IPAddress("2001:db8::13")!, port: 80, forwarding: .tunnel(Tunnel()), weight: 1),
            Destination(address: IPAddress("192.0.2.14")!, port: 8080, forwarding: .masquerade, weight: 0),
        ]
        #expect(Set(decoded) == expected)
        let v6 = try IPVSWire.decodeDestination(body("service-fwmark6-persistent-dest0"), serviceFamily: .inet6)
        #expect(v6.destination == Destination(address: IPAddress("2001:db8::12")!, port: 0, weight: 7))
        let traffic = try IPVSWire.decodeDestination(body("service-udp4-traffic-dest0"), serviceFamily: .inet)
        #expect(traffic.stats.connections == 12)
        #expect(traffic.inactiveConnections + traffic.activeConnections == 12)
    }

    @Test func infoTimeoutsDaemon() throws {
        let info = try IPVSWire.decodeInfo(body("info"))
        #expect(info.version == "1.2.1")
        #expect(info.connectionTableSize == 4096)
        let t = try IPVSWire.decodeTimeouts(body("timeouts"))
        #expect(t == Timeouts(tcp: 900, tcpFin: 120, udp: 300))
        let d = try IPVSWire.decodeDaemon(body("daemon-backup"))
        #expect(d.role == .backup)
        #expect(d.interface == "swvs0")
        #expect(d.syncID == 42)
        #expect(d.port == 8848)
        #expect(d.group == IPAddress("224.0.0.81"))
    }

    /// A kernel reply with an attribute appended that no kernel has yet still decodes (a reply
    /// cut anywhere: ExactDecodeErrorTests, each cut with its error).
    @Test func futureKernelReplies() throws {
        let original = Array(try body("service-tcp4-persistent").bytes)
        var extended = original
        // Grow the service nest (first attribute after the 4-byte genl header) by one attribute.
        var extra = MessageWriter()
        extra.put(UInt16(200), bytes: [0xde, 0xad, 0xbe, 0xef])
        let nestLength = Int(UInt16(extended[4]) | UInt16(extended[5]) << 8)
        extended.insert(contentsOf: extra.bytes, at: 4 + nestLength)
        let newLength = UInt16(nestLength + extra.bytes.count)
        extended[4] = UInt8(newLength & 0xff)
        extended[5] = UInt8(newLength >> 8)
        #expect(try IPVSWire.decodeService(ByteView(extended)) == (try IPVSWire.decodeService(ByteView(original))))
    }
}

/// The IPVS side of what the rtnetlink fuzz target found (Fuzz/regressions/rtnetlink/): an
/// NLMSG_ERROR whose error is not an errno (INT_MIN has no negation, and the handle negates
/// it) is a malformed reply, not a trap.
@Suite("fuzz regressions: netlink errors")
struct NetlinkErrorFuzzRegressionTests {
    static func errorMessage(_ error: Int32) -> [UInt8] {
        var raw = withUnsafeBytes(of: UInt32(36)) { Array($0) } + [2, 0, 0, 0] + withUnsafeBytes(of: UInt32(9)) { Array($0) } + [0, 0, 0, 0]
        raw += withUnsafeBytes(of: error) { Array($0) }
        raw += withUnsafeBytes(of: UInt32(16)) { Array($0) } + [0x1c, 0, 5, 0] + withUnsafeBytes(of: UInt32(9)) { Array($0) } + [0, 0, 0, 0]
        return raw
    }

    @Test(arguments: [Int32.min, -4096, 1, Int32.max])
    func errorOutsideTheErrnoRangeIsRefused(error: Int32) throws {
        let msgs = try splitMessages(Self.errorMessage(error), count: 36)
        #expect(throws: DecodeError.self) { try NetlinkErrorReply(msgs[0]) }
    }

    @Test(arguments: [Int32(0), -1, -22, -4095])
    func errnosAreRead(error: Int32) throws {
        let msgs = try splitMessages(Self.errorMessage(error), count: 36)
        #expect(try NetlinkErrorReply(msgs[0]).error == error)
    }
}
