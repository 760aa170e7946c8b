import Serialization

/// Builds one or more netlink messages into a single buffer.
///
/// The writer owns its memory (a `ByteBuffer`, freed with it) and keeps a write position:
/// every field is stored in place with no per-byte append and no copy-on-write check,
/// which matters when a batch encodes tens of thousands of messages. Padding is written
/// explicitly, so a reused buffer never leaks old bytes. Not copyable: two writers never
/// share a buffer.
struct MessageWriter: ~Copyable {
    private var buffer: ByteBuffer
    /// Bytes written so far.
    var count: Int { buffer.count }
    private var messageStart = 0
    /// Where the open nested attributes start, innermost last (IPVS nests two deep).
    private var nests: (Int, Int, Int, Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0, 0, 0, 0)
    private var depth = 0
    private static let maxDepth = 8

    init(reservingCapacity: Int = 256) {
        buffer = ByteBuffer(capacity: reservingCapacity)
    }

    /// The messages written so far.
    var bytes: [UInt8] { buffer.bytes }

    /// Calls `body` with the messages written so far, without copying them.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try buffer.withBytes(body)
    }

    /// Empties the buffer for the next datagram, keeping its memory.
    mutating func removeAll() {
        precondition(depth == 0, "unbalanced nested attribute")
        buffer.removeAll()
        messageStart = 0
    }

    /// Counts `n` more bytes as written and returns where they start (growing the buffer
    /// if needed); the caller stores all `n`.
    @inline(__always)
    private mutating func claim(_ n: Int) -> UnsafeMutableRawPointer { buffer.claim(n) }

    /// Starts a generic-netlink message. Finish it with `endMessage()`.
    mutating func beginMessage(family: UInt16, flags: UInt16, sequence: UInt32, port: UInt32,
                               command: UInt8, version: UInt8) {
        messageStart = count
        let p = claim(20)
        p.storeBytes(of: UInt32(0), as: UInt32.self)                      // nlmsg_len, patched in endMessage
        p.storeBytes(of: family, toByteOffset: 4, as: UInt16.self)        // nlmsg_type
        p.storeBytes(of: flags, toByteOffset: 6, as: UInt16.self)         // nlmsg_flags
        p.storeBytes(of: sequence, toByteOffset: 8, as: UInt32.self)      // nlmsg_seq
        p.storeBytes(of: port, toByteOffset: 12, as: UInt32.self)         // nlmsg_pid
        p.storeBytes(of: command, toByteOffset: 16, as: UInt8.self)       // genlmsghdr.cmd
        p.storeBytes(of: version, toByteOffset: 17, as: UInt8.self)       // genlmsghdr.version
        p.storeBytes(of: UInt16(0), toByteOffset: 18, as: UInt16.self)    // genlmsghdr.reserved
    }

    mutating func endMessage() {
        precondition(depth == 0, "unbalanced nested attribute")
        buffer.pointer(at: messageStart).storeBytes(of: UInt32(count - messageStart), as: UInt32.self)
    }

    mutating func beginNested(_ type: some AttributeType) {
        precondition(depth < Self.maxDepth, "nested attributes deeper than \(Self.maxDepth)")
        let start = count
        withUnsafeMutableBytes(of: &nests) { $0.storeBytes(of: start, toByteOffset: depth * MemoryLayout<Int>.stride, as: Int.self) }
        depth += 1
        store(NetlinkConstants.attributeHeaderLength) { $0.nest(type, length: 0) }   // the length is patched in endNested
    }

    mutating func endNested() {
        precondition(depth > 0, "endNested without beginNested")
        depth -= 1
        let start = withUnsafeBytes(of: nests) { $0.load(fromByteOffset: depth * MemoryLayout<Int>.stride, as: Int.self) }
        buffer.pointer(at: start).storeBytes(of: UInt16(truncatingIfNeeded: count - start), as: UInt16.self)
    }

    /// Claims `size` bytes and has `body` store attributes into them at known offsets: one
    /// capacity check for a whole nest whose size is known up front. `body` must store
    /// exactly `size` bytes.
    @inline(__always)
    mutating func store(_ size: Int, _ body: (inout AttributeStore) -> Void) {
        var a = AttributeStore(start: claim(size))
        body(&a)
        precondition(a.offset == size, "attributes of \(a.offset) bytes stored in \(size)")
    }

    mutating func put(_ type: some AttributeType, bytes payload: some Collection<UInt8>) {
        store(align4(NetlinkConstants.attributeHeaderLength + payload.count)) { $0.bytes(type, payload) }
    }

    mutating func put(_ type: some AttributeType, u8 value: UInt8) { store(8) { $0.u8(type, value) } }
    mutating func put(_ type: some AttributeType, u16 value: UInt16) { store(8) { $0.u16(type, value) } }
    mutating func put(_ type: some AttributeType, u32 value: UInt32) { store(8) { $0.u32(type, value) } }
    mutating func put(_ type: some AttributeType, be16 value: UInt16) { store(8) { $0.be16(type, value) } }
    mutating func put(_ type: some AttributeType, be32 value: UInt32) { store(8) { $0.be32(type, value) } }

    /// An address as `union nf_inet_addr` (16 bytes, IPv4 in the first four).
    mutating func put(_ type: some AttributeType, inetAddr address: IPAddress) {
        store(AttributeStore.inetAddrSize) { $0.inetAddr(type, address) }
    }

    /// Two native u32s in one attribute (`struct ip_vs_flags { flags; mask; }`).
    mutating func put(_ type: some AttributeType, u32 first: UInt32, u32 second: UInt32) {
        store(12) { $0.u32(type, first, second) }
    }

    /// A NUL-terminated string, as the kernel's NLA_NUL_STRING policy wants.
    mutating func put(_ type: some AttributeType, string: String) {
        store(AttributeStore.stringSize(string)) { $0.string(type, string) }
    }
}
