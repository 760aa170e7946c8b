import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// The socket plus the state that goes with it, only ever touched under the handle's lock.
struct Connection: ~Copyable {
    let socket: NetlinkSocket
    private var sequence: UInt32
    private var buffer: [UInt8]
    /// `dumpSlots` datagrams for one recvmmsg in dumps; allocated on the first dump. Reply
    /// messages are decoded in place (they view this buffer only while being handled).
    private var dumpBuffer: [UInt8] = []
    private static let dumpSlots = 8
    private var dumpLengths = [Int](repeating: 0, count: dumpSlots)
    /// Where dump requests are encoded (see `dump(_:each:)`).
    private var requestWriter = MessageWriter()
    private let maxDatagram: Int

    /// `firstSequence`: where the sequence numbers start (tests that fabricate the replies
    /// must know them); by default time-derived.
    init(socket: consuming NetlinkSocket, firstSequence: UInt32? = nil) {
        // Start from a time-derived sequence so replies to an earlier process on a reused
        // port id can never be mistaken for ours.
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        sequence = firstSequence ?? UInt32(truncatingIfNeeded: ts.tv_nsec ^ ts.tv_sec)
        buffer = Self.receiveBuffer(socket.receiveLength)
        maxDatagram = max(16 << 10, min(NetlinkSocket.sendBufferLimit(socket.fd) / 2, 256 << 10))
        self.socket = socket
    }

    private mutating func nextSequence() -> UInt32 {
        sequence &+= 1
        if sequence == 0 { sequence = 1 }
        return sequence
    }

    private mutating func encode(_ request: Request, flags: UInt16, into w: inout MessageWriter) -> UInt32 {
        let seq = nextSequence()
        IPVSWire.appendMessage(request, family: socket.familyID, flags: flags, sequence: seq,
                               port: socket.localPort, into: &w)
        return seq
    }

    /// The change is read where it lies (through a pointer): passing a `Change` from an
    /// array copies it out and destroys the copy, a multi-payload enum's outlined copy and
    /// destroy for each of tens of thousands of changes.
    @inline(__always)
    private mutating func encode(_ change: UnsafePointer<Change>, flags: UInt16, into w: inout MessageWriter) -> UInt32 {
        let seq = nextSequence()
        IPVSWire.appendMessage(change, family: socket.familyID, flags: flags, sequence: seq,
                               port: socket.localPort, into: &w)
        return seq
    }

    func decode<T>(_ request: Request, _ body: () throws(DecodeError) -> T) throws(IPVSError) -> T {
        try Self.decode(request, body)
    }

    static func decode<T>(_ request: Request, _ body: () throws(DecodeError) -> T) throws(IPVSError) -> T {
        do { return try body() } catch {
            throw IPVSError(code: .malformedReply, operation: request.operation, object: request.object,
                            reason: "malformed reply from the kernel: \(error.message)")
        }
    }

    private func sendError(_ e: SystemCallError, _ request: Request) -> IPVSError {
        if e.errno == .notPermitted || e.errno == .permissionDenied {
            return IPVSError.fromKernel(errno: e.errno, request: request, extAck: nil)
        }
        return IPVSError(code: .system, errno: e.errno, operation: request.operation, object: request.object,
                         reason: "\(e.call) failed: \(e.errno)")
    }

    /// A failed receive as the request's error: lost replies (ENOBUFS) and an answer that
    /// never came (the receive timeout) said as such, anything else as the call's errno.
    private func receiveError(_ e: SystemCallError, _ request: Request) -> IPVSError {
        switch e.errno {
        case .noBufferSpace:
            return IPVSError(code: .system, errno: .noBufferSpace, operation: request.operation, object: request.object,
                             reason: "replies were lost: the socket's receive buffer overflowed")
        case .resourceTemporarilyUnavailable:
            return IPVSError(code: .noAnswer, errno: e.errno, operation: request.operation, object: request.object,
                             reason: "the kernel did not answer within \(socket.answerTimeout)")
        default:
            return sendError(e, request)
        }
    }

    /// Receives the next datagram and splits it into messages addressed to us.
    private mutating func receiveMessages(for request: Request) throws(IPVSError) -> [ReceivedMessage] {
        let n: Int
        do { n = try socket.receive(into: &buffer) } catch { throw receiveError(error, request) }
        // The messages keep a reference to the bytes they view: hand them a copy of just this
        // datagram, so `buffer` stays uniquely owned and the next receive does not copy all of it.
        let datagram = Array(buffer[0..<n])
        do { return try splitMessages(datagram, count: n) } catch {
            throw IPVSError(code: .malformedReply, operation: request.operation, object: request.object,
                            reason: "malformed netlink datagram: \(error.message)")
        }
    }

    /// A receive buffer of `count` bytes, not filled: the kernel writes each datagram before
    /// it is read, and only the bytes it wrote are. Filling it would make all of it resident
    /// (half a megabyte for the dump slots) in every process, though a small table's dumps
    /// use a page or two of each slot.
    private static func receiveBuffer(_ count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    /// Receives every datagram already queued (up to `dumpSlots`, blocking for the first)
    /// in one system call into `dumpBuffer`: a dump's last data and its NLMSG_DONE arrive
    /// together. Returns how many; datagram i is at `i * slot`, its length `dumpLengths[i]`.
    private mutating func receiveDumpDatagrams(for request: Request) throws(IPVSError) -> Int {
        let slot = buffer.count
        if dumpBuffer.isEmpty { dumpBuffer = Self.receiveBuffer(slot * Self.dumpSlots) }
        do {
            return try socket.receiveMany(into: &dumpBuffer, slot: slot, count: Self.dumpSlots, lengths: &dumpLengths)
        } catch {
            throw receiveError(error, request)
        }
    }

    private func kernelError(_ msg: ReceivedMessage, _ request: Request) throws(IPVSError) -> NetlinkErrorReply {
        try decode(request) { () throws(DecodeError) in try NetlinkErrorReply(msg) }
    }

    /// A request answered by exactly one message (GET_INFO, GET_CONFIG, GET_SERVICE).
    mutating func requestOne(_ request: Request) throws(IPVSError) -> ReceivedMessage {
        var w = MessageWriter()
        let seq = encode(request, flags: NetlinkConstants.request, into: &w)
        do { try socket.send(w.bytes) } catch { throw sendError(error, request) }
        while true {
            for msg in try receiveMessages(for: request) where msg.sequence == seq {
                if msg.type == NetlinkConstants.error {
                    let reply = try kernelError(msg, request)
                    if reply.error == 0 { continue }
                    throw IPVSError.fromKernel(errno: reply.errno, request: request, extAck: reply.message)
                }
                return msg
            }
        }
    }

    /// A request answered by an acknowledgement.
    mutating func requestAck(_ request: Request) throws(IPVSError) {
        var w = MessageWriter()
        let seq = encode(request, flags: NetlinkConstants.request | NetlinkConstants.ack, into: &w)
        do { try socket.send(w.bytes) } catch { throw sendError(error, request) }
        while true {
            for msg in try receiveMessages(for: request) where msg.sequence == seq && msg.type == NetlinkConstants.error {
                let reply = try kernelError(msg, request)
                if reply.error == 0 { return }
                throw IPVSError.fromKernel(errno: reply.errno, request: request, extAck: reply.message)
            }
        }
    }

    /// A dump: every message up to NLMSG_DONE, each copied out of the receive buffer.
    mutating func dump(_ request: Request) throws(IPVSError) -> [ReceivedMessage] {
        var result: [ReceivedMessage] = []
        try dump(request) { (m: RawMessage, body: RawView) throws(IPVSError) in
            result.append(ReceivedMessage(type: m.type, flags: m.flags, sequence: m.sequence, port: m.port,
                                          body: ByteView(Array(body.bytes))))
        }
        return result
    }

    /// A dump, handing each data message (its header, and its body in the receive buffer)
    /// to `handle` as it arrives. The body is valid only during the call. Returns the parts
    /// the kernel answered it in.
    ///
    /// The request is encoded into `requestWriter`, kept for the connection's life: a big
    /// listing sends one dump request per service.
    @discardableResult
    mutating func dump(_ request: Request, each handle: (RawMessage, RawView) throws(IPVSError) -> Void) throws(IPVSError) -> DumpParts {
        requestWriter.removeAll()
        let seq = nextSequence()
        IPVSWire.appendMessage(request, family: socket.familyID, flags: NetlinkConstants.request | NetlinkConstants.dump,
                               sequence: seq, port: socket.localPort, into: &requestWriter)
        do { try requestWriter.withBytes { raw throws(SystemCallError) in try socket.send(raw) } } catch {
            throw sendError(error, request)
        }
        let slot = buffer.count
        var parts = DumpParts()
        while true {
            let received = try receiveDumpDatagrams(for: request)
            let finished = try Self.withBytes(dumpBuffer) { (all: RawView) throws(IPVSError) -> Bool in
                for i in 0..<received {
                    let datagram = all.slice((i * slot)..<(i * slot + dumpLengths[i]))
                    var offset = 0
                    var entries = false
                    defer { if entries { parts.add(length: dumpLengths[i]) } }
                    while true {
                        let next: RawMessage?
                        do throws(DecodeError) { next = try RawMessage.parse(datagram, at: offset) } catch {
                            throw IPVSError(code: .malformedReply, operation: request.operation, object: request.object,
                                            reason: "malformed netlink datagram: \(error.message)")
                        }
                        guard let msg = next else { break }
                        offset = msg.next
                        guard msg.sequence == seq else { continue }
                        let body = datagram.slice(msg.body)
                        switch msg.type {
                        case NetlinkConstants.done:
                            let status = (try? body.native(Int32.self)) ?? 0
                            if status < 0 {
                                // -1…-4095 is an errno; INT_MIN has no negation (the rtnetlink fuzz finding).
                                guard status > -4096 else {
                                    throw IPVSError(code: .malformedReply, operation: request.operation, object: request.object,
                                                    reason: "malformed netlink datagram: NLMSG_DONE with status \(status), not an errno")
                                }
                                throw IPVSError.fromKernel(errno: Errno(rawValue: -status), request: request, extAck: nil)
                            }
                            return true
                        case NetlinkConstants.error:
                            // Rare: decoded from a copy, as any other reply.
                            let copy = ReceivedMessage(type: msg.type, flags: msg.flags, sequence: msg.sequence, port: msg.port,
                                                       body: ByteView(Array(body.bytes)))
                            let reply = try kernelError(copy, request)
                            if reply.error == 0 { return true }
                            throw IPVSError.fromKernel(errno: reply.errno, request: request, extAck: reply.message)
                        case NetlinkConstants.noop:
                            continue
                        case NetlinkConstants.overrun:
                            throw IPVSError(code: .system, errno: .noBufferSpace, operation: request.operation, object: request.object,
                                            reason: "the dump overran the receive buffer")
                        default:
                            entries = true
                            try handle(msg, body)
                        }
                    }
                }
                return false
            }
            if finished { return parts }
        }
    }

    /// `body` with the bytes of `array`, valid only during the call.
    private static func withBytes<R>(_ array: [UInt8], _ body: (RawView) throws(IPVSError) -> R) throws(IPVSError) -> R {
        try ByteView(array).withRaw(body)
    }

    /// The services, as one read lists them, and the parts it came in (`readWhole` reads
    /// again when they may be torn).
    mutating func dumpServices(statistics: Bool = true, parts: inout DumpParts) throws(IPVSError) -> [ServiceEntry] {
        var result: [ServiceEntry] = []
        parts = try dump(.dumpServices) { (_: RawMessage, body: RawView) throws(IPVSError) in
            result.append(try Self.decode(.dumpServices) { () throws(DecodeError) in
                try IPVSWire.decodeService(body, statistics: statistics)
            })
        }
        return result
    }

    /// One service's destinations, as one read lists them, and the parts it came in.
    mutating func dumpDestinations(_ key: ServiceKey, statistics: Bool = true, parts: inout DumpParts) throws(IPVSError) -> [DestinationEntry] {
        let request = Request.dumpDestinations(key)
        let family = key.family
        var result: [DestinationEntry] = []
        result.reserveCapacity(4)   // the usual few, in one allocation instead of three
        parts = try dump(request) { (_: RawMessage, body: RawView) throws(IPVSError) in
            result.append(try Self.decode(request) { () throws(DecodeError) in
                try IPVSWire.decodeDestination(body, serviceFamily: family, statistics: statistics)
            })
        }
        return result
    }

    /// Sends requests in datagrams of many messages. Only the last message of each datagram
    /// asks for an ACK: the kernel handles a datagram's messages in order and reports every
    /// failure as it goes, so the final ACK proves the datagram is done, and each error names
    /// the failed message by its sequence number.
    mutating func batch(_ changes: [Change], stopAtFirstFailure: Bool) throws(IPVSError) -> BatchResult {
        var failures: [BatchFailure] = []
        var start = 0
        // One buffer for every datagram of the batch (a fresh big buffer per datagram would
        // be fresh pages for the kernel to zero each time).
        var w = MessageWriter(reservingCapacity: maxDatagram + 512)
        while start < changes.count {
            w.removeAll()
            // The messages of a datagram have consecutive sequence numbers (mod 2^32, skipping
            // 0), so a reply's sequence maps back to its request without a table: message k
            // has firstSeq + k, or firstSeq + k + 1 once past 0.
            var end = start
            var firstSeq: UInt32 = 0
            var lastSeq: UInt32 = 0
            changes.withUnsafeBufferPointer { buffer in
                while end < buffer.count {
                    let isLast = end == buffer.count - 1 || w.count >= maxDatagram - 512 || end - start >= 4095
                    let flags = NetlinkConstants.request | (isLast ? NetlinkConstants.ack : 0)
                    lastSeq = encode(buffer.baseAddress! + end, flags: flags, into: &w)
                    if end == start { firstSeq = lastSeq }
                    end += 1
                    if isLast { break }
                }
            }
            let sent = end - start
            func indexOf(_ seq: UInt32) -> Int? {
                guard seq != 0 else { return nil }   // never one of ours
                var offset = Int(seq &- firstSeq)
                if seq < firstSeq && firstSeq > lastSeq { offset -= 1 }   // wrapped past 0, which is skipped
                guard offset >= 0, offset < sent else { return nil }
                return start + offset
            }
            do { try w.withBytes { raw throws(SystemCallError) in try socket.send(raw) } } catch { throw sendError(error, Request.change(changes[start])) }
            var finished = false
            while !finished {
                for msg in try receiveMessages(for: Request.change(changes[start])) where msg.type == NetlinkConstants.error {
                    guard let index = indexOf(msg.sequence) else { continue }
                    let request = Request.change(changes[index])
                    let reply = try kernelError(msg, request)
                    if reply.error != 0 {
                        failures.append(BatchFailure(
                            index: index, change: changes[index],
                            error: IPVSError.fromKernel(errno: reply.errno, request: request, extAck: reply.message)))
                    }
                    if msg.sequence == lastSeq { finished = true }
                }
            }
            start = end
            if stopAtFirstFailure && !failures.isEmpty { break }
        }
        failures.sort { $0.index < $1.index }
        return BatchResult(processed: start, failures: failures)
    }
}
