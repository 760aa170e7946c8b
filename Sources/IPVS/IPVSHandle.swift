import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A connection to the kernel's IPVS: one generic-netlink socket for the handle's life,
/// plus, once the handle lists a table, one for service dumps, kept until the handle goes
/// away.
///
/// All calls are synchronous (the kernel answers netlink requests at once) and serialised
/// on the handle; use one handle per concurrent worker for parallelism.
public final class IPVSHandle: Sendable {
    private let connection: Mutex<Connection>
    /// A second socket for service dumps, with large receives (see
    /// `NetlinkSocket.bulkReceiveLength`); opened on the first listing, kept for the handle's life.
    private let bulk = Mutex<BulkConnection?>(nil)
    private let loadModule: Bool

    /// The namespace the handle works in, nil for the caller's.
    public let namespace: String?

    /// Opens a handle in the calling thread's network namespace, or in `/run/netns/NAME`.
    /// With `loadModule` (the default) a missing IPVS family triggers `modprobe ip_vs` once.
    public init(namespace: String? = nil, loadModule: Bool = true) throws(IPVSError) {
        self.namespace = namespace
        self.loadModule = loadModule
        let socket = try NetlinkSocket(namespace: namespace, loadModule: loadModule)
        connection = Mutex(Connection(socket: socket))
    }

    private func perform<R: Sendable>(_ body: (inout Connection) throws(IPVSError) -> R) throws(IPVSError) -> R {
        try connection.withLock { (c: inout Connection) throws(IPVSError) -> R in try body(&c) }
    }

    // MARK: Information

    /// IPVS version and connection table size (GET_INFO).
    public func info() throws(IPVSError) -> Info {
        try perform { c throws(IPVSError) in
            let reply = try c.requestOne(.getInfo)
            return try c.decode(.getInfo) { () throws(DecodeError) in try IPVSWire.decodeInfo(reply.body) }
        }
    }

    public func timeouts() throws(IPVSError) -> Timeouts {
        try perform { c throws(IPVSError) in
            let reply = try c.requestOne(.getConfig)
            return try c.decode(.getConfig) { () throws(DecodeError) in try IPVSWire.decodeTimeouts(reply.body) }
        }
    }

    /// Sets the tcp, tcpfin and udp timeouts; a 0 leaves that one unchanged.
    public func setTimeouts(_ t: Timeouts) throws(IPVSError) {
        try perform { c throws(IPVSError) in try c.requestAck(.setTimeouts(t)) }
    }

    // MARK: Listing

    /// Every service with its destinations: one service dump, then one destination dump per
    /// service (the kernel allows only one dump in flight per socket).
    ///
    /// With `statistics` false the counters and rates (`stats`) are left zero instead of
    /// decoded: what a save or a diff needs (connection counts are still read). Decoding the
    /// two stats nests is most of the work of reading a big table.
    public func services() throws(IPVSError) -> [ServiceEntry] { try services(statistics: true) }

    /// `services()`, with the counters decoded only when `statistics`.
    public func services(statistics: Bool) throws(IPVSError) -> [ServiceEntry] {
        try perform { c throws(IPVSError) in
            var entries = try bulkConnection().connection.withLock { (b: inout Connection) throws(IPVSError) in
                try b.dumpServices(statistics: statistics)
            }
            for i in entries.indices {
                entries[i].destinations = try c.dumpDestinations(entries[i].service.key, statistics: statistics)
            }
            return entries
        }
    }

    /// The service-dump socket, opened on first use (called with the main lock held: the
    /// lock order is main, then bulk).
    private func bulkConnection() throws(IPVSError) -> BulkConnection {
        try bulk.withLock { (b: inout BulkConnection?) throws(IPVSError) -> BulkConnection in
            if let b { return b }
            let opened = BulkConnection(Connection(socket: try NetlinkSocket(
                namespace: namespace, loadModule: loadModule, receiveLength: NetlinkSocket.bulkReceiveLength)))
            b = opened
            return opened
        }
    }

    /// One service and its destinations; `.noSuchService` if absent.
    public func service(_ key: ServiceKey) throws(IPVSError) -> ServiceEntry {
        try perform { c throws(IPVSError) in
            let reply = try c.requestOne(.getService(key))
            var entry = try c.decode(.getService(key)) { () throws(DecodeError) in try IPVSWire.decodeService(reply.body) }
            entry.destinations = try c.dumpDestinations(key)
            return entry
        }
    }

    public func destinations(of key: ServiceKey) throws(IPVSError) -> [DestinationEntry] {
        try perform { c throws(IPVSError) in try c.dumpDestinations(key) }
    }

    // MARK: Changes

    public func addService(_ s: Service) throws(IPVSError) { try one(.change(.addService(s))) }
    public func editService(_ s: Service) throws(IPVSError) { try one(.change(.editService(s))) }
    public func deleteService(_ key: ServiceKey) throws(IPVSError) { try one(.change(.deleteService(key))) }
    public func addDestination(_ d: Destination, to key: ServiceKey) throws(IPVSError) { try one(.change(.addDestination(d, to: key))) }
    public func editDestination(_ d: Destination, in key: ServiceKey) throws(IPVSError) { try one(.change(.editDestination(d, in: key))) }
    public func deleteDestination(_ d: DestinationKey, from key: ServiceKey) throws(IPVSError) { try one(.change(.deleteDestination(d, from: key))) }
    /// Removes every service (and so every destination).
    public func flush() throws(IPVSError) { try one(.change(.flush)) }
    /// Zeroes the counters of one service, or of all when `key` is nil.
    public func zero(_ key: ServiceKey? = nil) throws(IPVSError) { try one(.change(.zero(key))) }
    /// Applies one change, as the call of the same name above it would (`addService`, …).
    public func apply(_ change: Change) throws(IPVSError) { try one(.change(change)) }

    private func one(_ request: Request) throws(IPVSError) {
        try Validation.check(request)
        try perform { c throws(IPVSError) in try c.requestAck(request) }
    }

    /// Applies `changes` in order, packing many requests into each datagram. Every change is
    /// validated before anything is sent; if one is invalid nothing is sent and the result
    /// holds the validation failures. The kernel goes on after a refused change; with
    /// `stopAtFirstFailure` no further datagram is sent once one has failed.
    public func apply(_ changes: [Change], stopAtFirstFailure: Bool = false) throws(IPVSError) -> BatchResult {
        // Each change is checked where it lies in the array (see `Connection.encode`).
        let invalid = changes.withUnsafeBufferPointer { buffer in
            var invalid: [BatchFailure] = []
            for i in buffer.indices {
                do throws(IPVSError) { try Validation.check(buffer.baseAddress! + i) } catch {
                    invalid.append(BatchFailure(index: i, change: buffer[i], error: error))
                }
            }
            return invalid
        }
        if !invalid.isEmpty { return BatchResult(processed: 0, failures: invalid) }
        return try perform { c throws(IPVSError) in
            try c.batch(changes, stopAtFirstFailure: stopAtFirstFailure)
        }
    }

    // MARK: Sync daemon

    public func syncDaemons() throws(IPVSError) -> [SyncDaemon] {
        try perform { c throws(IPVSError) in
            let replies = try c.dump(.getDaemons)
            var result: [SyncDaemon] = []
            for r in replies {
                result.append(try c.decode(.getDaemons) { () throws(DecodeError) in try IPVSWire.decodeDaemon(r.body) })
            }
            return result
        }
    }

    public func startSyncDaemon(_ d: SyncDaemon) throws(IPVSError) { try one(.startDaemon(d)) }
    public func stopSyncDaemon(_ role: SyncDaemon.Role) throws(IPVSError) { try one(.stopDaemon(role)) }
}

/// The handle's second connection, for service dumps (large receives), shared by reference.
final class BulkConnection: Sendable {
    let connection: Mutex<Connection>
    init(_ c: consuming sending Connection) { connection = Mutex(c) }
}

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
        if e.errno == EPERM || e.errno == EACCES {
            return IPVSError.fromKernel(errno: e.errno, request: request, extAck: nil)
        }
        return IPVSError(code: .system, errno: e.errno, operation: request.operation, object: request.object,
                         reason: "\(e.call) failed: \(e.text)")
    }

    /// Receives the next datagram and splits it into messages addressed to us.
    private mutating func receiveMessages(for request: Request) throws(IPVSError) -> [ReceivedMessage] {
        let n: Int
        do { n = try socket.receive(into: &buffer) } catch {
            if error.errno == ENOBUFS {
                throw IPVSError(code: .system, errno: ENOBUFS, operation: request.operation, object: request.object,
                                reason: "replies were lost: the socket's receive buffer overflowed")
            }
            throw sendError(error, request)
        }
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
            if error.errno == ENOBUFS {
                throw IPVSError(code: .system, errno: ENOBUFS, operation: request.operation, object: request.object,
                                reason: "replies were lost: the socket's receive buffer overflowed")
            }
            throw sendError(error, request)
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
                    throw IPVSError.fromKernel(errno: -reply.error, request: request, extAck: reply.message)
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
                throw IPVSError.fromKernel(errno: -reply.error, request: request, extAck: reply.message)
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
    /// to `handle` as it arrives. The body is valid only during the call.
    ///
    /// The request is encoded into `requestWriter`, kept for the connection's life: a big
    /// listing sends one dump request per service.
    mutating func dump(_ request: Request, each handle: (RawMessage, RawView) throws(IPVSError) -> Void) throws(IPVSError) {
        requestWriter.removeAll()
        let seq = nextSequence()
        IPVSWire.appendMessage(request, family: socket.familyID, flags: NetlinkConstants.request | NetlinkConstants.dump,
                               sequence: seq, port: socket.localPort, into: &requestWriter)
        do { try requestWriter.withBytes { raw throws(SystemCallError) in try socket.send(raw) } } catch {
            throw sendError(error, request)
        }
        let slot = buffer.count
        while true {
            let received = try receiveDumpDatagrams(for: request)
            let finished = try Self.withBytes(dumpBuffer) { (all: RawView) throws(IPVSError) -> Bool in
                for i in 0..<received {
                    let datagram = all.slice((i * slot)..<(i * slot + dumpLengths[i]))
                    var offset = 0
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
                                throw IPVSError.fromKernel(errno: -status, request: request, extAck: nil)
                            }
                            return true
                        case NetlinkConstants.error:
                            // Rare: decoded from a copy, as any other reply.
                            let copy = ReceivedMessage(type: msg.type, flags: msg.flags, sequence: msg.sequence, port: msg.port,
                                                       body: ByteView(Array(body.bytes)))
                            let reply = try kernelError(copy, request)
                            if reply.error == 0 { return true }
                            throw IPVSError.fromKernel(errno: -reply.error, request: request, extAck: reply.message)
                        case NetlinkConstants.noop:
                            continue
                        case NetlinkConstants.overrun:
                            throw IPVSError(code: .system, errno: ENOBUFS, operation: request.operation, object: request.object,
                                            reason: "the dump overran the receive buffer")
                        default:
                            try handle(msg, body)
                        }
                    }
                }
                return false
            }
            if finished { return }
        }
    }

    /// `body` with the bytes of `array`, valid only during the call.
    private static func withBytes<R>(_ array: [UInt8], _ body: (RawView) throws(IPVSError) -> R) throws(IPVSError) -> R {
        try ByteView(array).withRaw(body)
    }

    mutating func dumpServices(statistics: Bool = true) throws(IPVSError) -> [ServiceEntry] {
        var result: [ServiceEntry] = []
        try dump(.dumpServices) { (_: RawMessage, body: RawView) throws(IPVSError) in
            result.append(try Self.decode(.dumpServices) { () throws(DecodeError) in
                try IPVSWire.decodeService(body, statistics: statistics)
            })
        }
        return result
    }

    mutating func dumpDestinations(_ key: ServiceKey, statistics: Bool = true) throws(IPVSError) -> [DestinationEntry] {
        let request = Request.dumpDestinations(key)
        let family = key.family
        var result: [DestinationEntry] = []
        result.reserveCapacity(4)   // the usual few, in one allocation instead of three
        try dump(request) { (_: RawMessage, body: RawView) throws(IPVSError) in
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
                            error: IPVSError.fromKernel(errno: -reply.error, request: request, extAck: reply.message)))
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

/// Checks made before anything is sent, so the kernel never sees a value it would refuse
/// for a reason we can name precisely.
enum Validation {
    static let schedulerNameMax = 15   // IP_VS_SCHEDNAME_MAXLEN - 1
    static let peNameMax = 15          // IP_VS_PENAME_MAXLEN - 1
    static let interfaceNameMax = 15   // IP_VS_IFNAME_MAXLEN - 1

    static func check(_ request: Request) throws(IPVSError) {
        let problem: String?
        switch request {
        case let .change(c):
            return try check(c)
        case let .getService(k), let .dumpDestinations(k):
            problem = keyProblem(k)
        case let .startDaemon(d):
            if d.interface.isEmpty {
                problem = "Empty multicast interface name"
            } else if d.interface.utf8.count > interfaceNameMax {
                problem = "Interface name \"\(d.interface)\" is longer than \(interfaceNameMax) characters"
            } else {
                problem = nil
            }
        default:
            problem = nil
        }
        // The operation and object only for an error.
        if let problem { throw IPVSError.invalid(request.operation, request.object, problem) }
    }

    /// The same checks for a table change, without making a request of it first (a batch
    /// checks every change before sending any).
    static func check(_ change: Change) throws(IPVSError) {
        try withUnsafePointer(to: change) { (p) throws(IPVSError) in try check(p) }
    }

    /// `check` of a change read where it lies (see `Connection.encode`).
    static func check(_ change: UnsafePointer<Change>) throws(IPVSError) {
        let problem: String?
        switch change.pointee {
        case let .addService(s), let .editService(s): problem = serviceProblem(s)
        case let .addDestination(d, k), let .editDestination(d, k): problem = destinationProblem(d, in: k)
        case let .deleteService(k), let .deleteDestination(_, k): problem = keyProblem(k)
        case let .zero(k): problem = k.flatMap(keyProblem)
        case .flush: problem = nil
        }
        if let problem {
            let request = Request.change(change.pointee)
            throw IPVSError.invalid(request.operation, request.object, problem)
        }
    }

    static func keyProblem(_ key: ServiceKey) -> String? {
        if case let .fwmark(mark, _) = key, mark == 0 { return "Invalid firewall mark 0: must be 1 to 4294967295" }
        return nil
    }

    static func serviceProblem(_ s: Service) -> String? {
        if let problem = keyProblem(s.key) { return problem }
        if s.scheduler.isEmpty { return "Empty scheduler name" }
        if s.scheduler.utf8.count > schedulerNameMax {
            return "Scheduler name \"\(s.scheduler)\" is longer than \(schedulerNameMax) characters"
        }
        if let pe = s.persistenceEngine, pe.utf8.count > peNameMax {
            return "Persistence engine name \"\(pe)\" is longer than \(peNameMax) characters"
        }
        if s.key.family == .inet6, !(1...128).contains(s.netmask) {
            return "Invalid IPv6 persistence netmask /\(s.netmask): must be 1 to 128"
        }
        if s.flags.rawValue & ~ServiceFlags.settable.rawValue != 0 {
            return "Invalid service flags 0x\(String(s.flags.rawValue, radix: 16))"
        }
        return nil
    }

    static func destinationProblem(_ d: Destination, in k: ServiceKey) -> String? {
        if let problem = keyProblem(k) { return problem }
        if d.weight < 0 || d.weight > 65535 { return "Invalid weight \(d.weight): must be 0 to 65535" }
        if d.lowerThreshold > d.upperThreshold {
            return "Lower threshold \(d.lowerThreshold) is above upper threshold \(d.upperThreshold)"
        }
        if d.address.isZero { return "Invalid destination address \(d.address)" }
        if case let .tunnel(t) = d.forwarding, t.kind == .gue, t.port == 0 {
            return "A GUE tunnel needs a tunnel port (--tun-port)"
        }
        if case .tunnel = d.forwarding {} else if d.address.family != k.family {
            return "Mixed address families: an \(k.family == .inet ? "IPv4" : "IPv6") service takes an \(d.address.family == .inet ? "IPv4" : "IPv6") destination only with tunnelling (-i)"
        }
        return nil
    }
}

/// What `IPVSHandle.capturedReplies(_:)` asks the kernel for.
@_spi(WireCapture)
public enum WireCaptureRequest: Sendable {
    case services
    case destinations(ServiceKey)
    case info
    case timeouts
    case daemons
}

extension IPVSHandle {
    /// The kernel's raw reply messages (generic-netlink header and attributes, without the
    /// netlink header) for a request: how the decoder fixtures in Tests/ are captured.
    @_spi(WireCapture)
    public func capturedReplies(_ what: WireCaptureRequest) throws(IPVSError) -> [[UInt8]] {
        let request: Request
        switch what {
        case .services: request = .dumpServices
        case let .destinations(key): request = .dumpDestinations(key)
        case .info: request = .getInfo
        case .timeouts: request = .getConfig
        case .daemons: request = .getDaemons
        }
        return try connection.withLock { (c: inout Connection) throws(IPVSError) -> [[UInt8]] in
            let messages = request.isDump ? try c.dump(request) : [try c.requestOne(request)]
            return messages.map { Array($0.body.bytes) }
        }
    }
}
