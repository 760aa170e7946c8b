import Testing
import CNetlink
@testable import IPVS
#if canImport(Glibc)
import Glibc
#endif

/// A NETLINK_USERSOCK socket that plays the kernel for one `Connection`: the connection's
/// requests go to it (`NetlinkSocket(userPeer:)`), and the replies it fabricates are queued in
/// the connection's socket before the connection reads. With the connection's sequence numbers
/// fixed, every case is deterministic and single-threaded, through the real receive paths.
final class FakeKernelSocket {
    let fd: Int32
    let port: UInt32

    init() throws {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_USERSOCK)
        guard fd >= 0 else { throw SetupFailure("socket: errno \(errno)") }
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        var length = socklen_t(MemoryLayout<sockaddr_nl>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                bind(fd, p, length) == 0 && getsockname(fd, p, &length) == 0
            }
        }
        guard bound else {
            close(fd)
            throw SetupFailure("bind: errno \(errno)")
        }
        self.fd = fd
        port = address.nl_pid
    }

    deinit { close(fd) }

    /// Sends one datagram to port `to` (or, with `group`, to that multicast group).
    @discardableResult
    func send(_ datagram: [UInt8], to: UInt32 = 0, group: UInt32 = 0) -> Bool {
        var address = sockaddr_nl()
        address.nl_family = sa_family_t(AF_NETLINK)
        address.nl_pid = to
        address.nl_groups = group
        let sent = datagram.withUnsafeBytes { raw in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p in
                    sendto(fd, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT), p, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        return sent == datagram.count
    }
}

struct SetupFailure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// One netlink message: header, payload, padding.
func netlinkMessage(type: UInt16, flags: UInt16 = NetlinkConstants.multi, sequence: UInt32, payload: [UInt8]) -> [UInt8] {
    var m: [UInt8] = []
    func le<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { m.append(contentsOf: $0) } }
    le(UInt32(NetlinkConstants.headerLength + payload.count))
    le(type)
    le(flags)
    le(sequence)
    le(UInt32(0))
    m += payload
    while m.count % 4 != 0 { m.append(0) }
    return m
}

func doneMessage(_ sequence: UInt32) -> [UInt8] {
    netlinkMessage(type: NetlinkConstants.done, sequence: sequence, payload: [0, 0, 0, 0])
}

/// A captured service reply body (genl header + service nest) without the attributes of `drop`.
func serviceBody(_ name: String = "service-tcp4-persistent", dropping drop: Set<UInt16> = []) -> [UInt8] {
    let body = hex(capturedReplies[name]!)
    let nestLength = Int(UInt16(body[4]) | UInt16(body[5]) << 8)
    var attrs: [UInt8] = []
    var offset = 8
    while offset < 4 + nestLength {
        let length = Int(UInt16(body[offset]) | UInt16(body[offset + 1]) << 8)
        let type = (UInt16(body[offset + 2]) | UInt16(body[offset + 3]) << 8) & NetlinkConstants.typeMask
        let padded = (length + 3) & ~3
        if !drop.contains(type) { attrs += body[offset..<min(offset + padded, body.count)] }
        offset += padded
    }
    let newLength = UInt16(4 + attrs.count)
    return Array(body[0..<4]) + [UInt8(newLength & 0xff), UInt8(newLength >> 8), body[6], body[7]] + attrs
}

/// The IPVS family id the fabricated replies carry (any value: the connection takes it).
let fakeFamily: UInt16 = 0x1c

@Suite("Netlink reply paths: fabricated replies through a real socket")
struct ReplyPathTests {
    /// A connection to a fresh fake kernel whose first request will carry sequence 1001.
    /// (Every receive gives up after `answerTimeout`, so a broken path fails instead of hanging.)
    static func connect(_ fake: FakeKernelSocket, answerTimeout: Duration = .seconds(1)) throws -> Connection {
        Connection(socket: try NetlinkSocket(userPeer: fake.port, familyID: fakeFamily, answerTimeout: answerTimeout),
                   firstSequence: 1000)
    }

    static func serviceMessage(_ sequence: UInt32, _ body: [UInt8] = serviceBody()) -> [UInt8] {
        netlinkMessage(type: fakeFamily, sequence: sequence, payload: body)
    }

    static let expected = try! IPVSWire.decodeService(ByteView(serviceBody()))

    /// One read of the services, whatever its parts.
    static func services(_ c: inout Connection) throws(IPVSError) -> [ServiceEntry] {
        var parts = DumpParts()
        return try c.dumpServices(parts: &parts)
    }

    /// Runs a service dump and returns its error (recording an issue if it succeeds).
    static func dumpError(_ c: inout Connection, sourceLocation: SourceLocation = #_sourceLocation) -> IPVSError? {
        do throws(IPVSError) {
            let got = try services(&c)
            Issue.record("the dump succeeded with \(got)", sourceLocation: sourceLocation)
            return nil
        } catch {
            return error
        }
    }

    @Test func aDumpEndsAtItsDoneMessage() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake)
        let port = c.socket.localPort
        #expect(fake.send(Self.serviceMessage(1001) + Self.serviceMessage(1001), to: port))
        #expect(fake.send(doneMessage(1001), to: port))
        var parts = DumpParts()
        #expect(try c.dumpServices(parts: &parts) == [Self.expected, Self.expected])
        #expect(parts.count == 1, "one datagram of entries, one of NLMSG_DONE: \(parts)")
    }

    /// Replies to an earlier request (another sequence number, another service) are skipped,
    /// their NLMSG_DONE too.
    @Test func repliesWithAnotherSequenceAreIgnored() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake)
        let port = c.socket.localPort
        let stale = serviceBody("service-udp6-sh-flags")
        #expect(fake.send(Self.serviceMessage(999, stale) + doneMessage(999), to: port))
        #expect(fake.send(Self.serviceMessage(1001) + Self.serviceMessage(1000, stale) + doneMessage(1000), to: port))
        #expect(fake.send(doneMessage(1001), to: port))
        #expect(try Self.services(&c) == [Self.expected])
    }

    /// Data without NLMSG_DONE is not a complete dump: the connection keeps waiting for the
    /// end until the socket's answer timeout, and never returns the part it has.
    @Test func aDumpWithoutItsEndIsNotComplete() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake, answerTimeout: .milliseconds(200))
        let port = c.socket.localPort
        #expect(fake.send(Self.serviceMessage(1001), to: port))
        let e = Self.dumpError(&c)
        #expect(e?.code == .noAnswer)
        #expect(e?.errno == .resourceTemporarilyUnavailable)
        #expect(e?.description == "list services: the kernel did not answer within 0.2 seconds")
    }

    /// A request the kernel never acknowledges (it sends nothing for a request whose handler
    /// was interrupted) fails when the socket's answer timeout runs out: the caller's thread
    /// is not held for good. The socket's own setting is what bounds it (no test override).
    @Test func aRequestWithoutAnAnswerFailsAfterTheTimeout() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake, answerTimeout: .milliseconds(300))
        let started = ContinuousClock.now
        do throws(IPVSError) {
            try c.requestAck(.stopDaemon(.backup))
            Issue.record("the request succeeded without an answer")
        } catch {
            #expect(error.code == .noAnswer)
            #expect(error.errno == .resourceTemporarilyUnavailable)
            #expect(error.reason == "the kernel did not answer within 0.3 seconds")
        }
        #expect(ContinuousClock.now - started >= .milliseconds(250))
    }

    /// Every socket bounds its wait for an answer by default (SO_RCVTIMEO of `answerTimeout`).
    @Test func everySocketBoundsItsWaitForAnAnswer() throws {
        let fake = try FakeKernelSocket()
        let socket = try NetlinkSocket(userPeer: fake.port, familyID: fakeFamily)
        var limit = timeval()
        var length = socklen_t(MemoryLayout<timeval>.size)
        #expect(getsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &limit, &length) == 0)
        #expect(Duration.seconds(limit.tv_sec) + .microseconds(limit.tv_usec) == NetlinkSocket.answerTimeout)
        #expect(NetlinkSocket.answerTimeout == .seconds(30))
    }

    /// NLMSG_OVERRUN in a dump: the dump is lost, said as ENOBUFS.
    @Test func anOverrunMessageFailsTheDump() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake)
        let port = c.socket.localPort
        #expect(fake.send(Self.serviceMessage(1001) + netlinkMessage(type: NetlinkConstants.overrun, sequence: 1001, payload: []), to: port))
        let e = Self.dumpError(&c)
        #expect(e?.errno == .noBufferSpace)
        #expect(e?.description == "list services: the dump overran the receive buffer")
    }

    /// The socket's receive queue overflowed (the kernel dropped replies and reports ENOBUFS
    /// on the next receive): the dump fails, it does not go on without them. The overflow is
    /// made with multicast datagrams, for which netlink flags the loss on the receiver.
    @Test(.enabled(if: getuid() == 0, "joining a NETLINK_USERSOCK multicast group needs root"))
    func aReceiveBufferOverflowFailsTheDump() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake)
        let fd = c.socket.fd   // the overflow comes by multicast
        var small: Int32 = 1   // the kernel's minimum
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &small, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var group: Int32 = 5
        #expect(setsockopt(fd, NetlinkConstants.solNetlink, NETLINK_ADD_MEMBERSHIP, &group, socklen_t(MemoryLayout<Int32>.size)) == 0)
        for _ in 0..<64 { fake.send(Self.serviceMessage(7), group: 1 << 4) }
        let e = Self.dumpError(&c)
        #expect(e?.errno == .noBufferSpace)
        #expect(e?.description == "list services: replies were lost: the socket's receive buffer overflowed")
    }

    /// A reply missing an attribute the decoder needs fails the dump with its name.
    @Test func aMissingAttributeFailsTheDump() throws {
        let fake = try FakeKernelSocket()
        var c = try Self.connect(fake)
        let port = c.socket.localPort
        let body = serviceBody(dropping: [IPVSWire.ServiceAttr.schedName.rawValue])
        #expect(fake.send(Self.serviceMessage(1001, body) + doneMessage(1001), to: port))
        let e = Self.dumpError(&c)
        #expect(e?.code == .malformedReply)
        #expect(e?.description == "list services: malformed reply from the kernel: missing scheduler name attribute")
    }
}

@Suite("Reply decoding: exact errors")
struct ExactDecodeErrorTests {
    func decodeError(_ bytes: [UInt8]) -> String? {
        do throws(DecodeError) {
            _ = try IPVSWire.decodeService(ByteView(bytes))
            return nil
        } catch {
            return error.message
        }
    }

    /// Every attribute the service decoder needs, taken out in turn: each is named.
    @Test(arguments: [
        (IPVSWire.ServiceAttr.af, "missing service address family attribute"),
        (IPVSWire.ServiceAttr.`protocol`, "missing service protocol attribute"),
        (IPVSWire.ServiceAttr.addr, "missing service address attribute"),
        (IPVSWire.ServiceAttr.port, "missing service port attribute"),
        (IPVSWire.ServiceAttr.schedName, "missing scheduler name attribute"),
        (IPVSWire.ServiceAttr.flags, "missing service flags attribute"),
        (IPVSWire.ServiceAttr.timeout, "missing service timeout attribute"),
        (IPVSWire.ServiceAttr.netmask, "missing service netmask attribute"),
    ])
    func missingServiceAttribute(_ type: IPVSWire.ServiceAttr, _ message: String) {
        #expect(decodeError(serviceBody(dropping: [type.rawValue])) == message)
    }

    /// A reply cut at any length: the exact error for each cut.
    @Test func everyTruncationIsRejectedWithItsReason() {
        let original = serviceBody()
        let nestLength = Int(UInt16(original[4]) | UInt16(original[5]) << 8)
        for n in 0..<original.count {
            let got = decodeError(Array(original.prefix(n)))
            let expected: String
            if n < 4 {
                expected = "reply of \(n) bytes has no generic-netlink header"
            } else if n == 4 {
                expected = "missing service attribute"
            } else if n < 8 {
                expected = "truncated attribute header at offset 0"
            } else {
                expected = "attribute 1 at offset 0 claims \(nestLength) bytes, only \(n - 4) left"
            }
            #expect(got == expected, "cut at \(n) of \(original.count)")
        }
        #expect(decodeError(original) == nil)
    }
}
