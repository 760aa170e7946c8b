// Netlink and generic-netlink framing, in plain Swift so every byte is testable.
// Multi-byte header fields and most attributes are in host (native) byte order, as netlink
// defines them; ports and IPv4 masks are the exceptions, encoded big-endian on purpose.

import Serialization

enum NetlinkConstants {
    static let headerLength = 16          // struct nlmsghdr
    static let genlHeaderLength = 4       // struct genlmsghdr
    static let attributeHeaderLength = 4  // struct nlattr

    // nlmsg_type values
    static let noop: UInt16 = 1
    static let error: UInt16 = 2
    static let done: UInt16 = 3
    static let overrun: UInt16 = 4

    // nlmsg_flags
    static let request: UInt16 = 0x01
    static let multi: UInt16 = 0x02
    static let ack: UInt16 = 0x04
    static let dump: UInt16 = 0x300      // NLM_F_ROOT | NLM_F_MATCH
    static let capped: UInt16 = 0x100    // NLM_F_CAPPED, in error messages
    static let ackTLVs: UInt16 = 0x200   // NLM_F_ACK_TLVS, in error messages

    // nla_type bits
    static let nested: UInt16 = 0x8000
    static let netByteOrder: UInt16 = 0x4000
    static let typeMask: UInt16 = 0x3FFF

    // struct nlmsgerr TLVs (extended ack)
    static let extAckMessage: UInt16 = 1
    static let extAckOffset: UInt16 = 2

    // socket options at SOL_NETLINK
    static let solNetlink: Int32 = 270
    static let capAck: Int32 = 10
    static let extAck: Int32 = 11
}

@inline(__always)
func align4(_ n: Int) -> Int { (n + 3) & ~3 }

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

    mutating func beginNested(_ type: UInt16) {
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

    mutating func put(_ type: UInt16, bytes payload: some Collection<UInt8>) {
        store(align4(NetlinkConstants.attributeHeaderLength + payload.count)) { $0.bytes(type, payload) }
    }

    mutating func put(_ type: UInt16, u8 value: UInt8) { store(8) { $0.u8(type, value) } }
    mutating func put(_ type: UInt16, u16 value: UInt16) { store(8) { $0.u16(type, value) } }
    mutating func put(_ type: UInt16, u32 value: UInt32) { store(8) { $0.u32(type, value) } }
    mutating func put(_ type: UInt16, be16 value: UInt16) { store(8) { $0.be16(type, value) } }
    mutating func put(_ type: UInt16, be32 value: UInt32) { store(8) { $0.be32(type, value) } }

    /// An address as `union nf_inet_addr` (16 bytes, IPv4 in the first four).
    mutating func put(_ type: UInt16, inetAddr address: IPAddress) {
        store(AttributeStore.inetAddrSize) { $0.inetAddr(type, address) }
    }

    /// Two native u32s in one attribute (`struct ip_vs_flags { flags; mask; }`).
    mutating func put(_ type: UInt16, u32 first: UInt32, u32 second: UInt32) {
        store(12) { $0.u32(type, first, second) }
    }

    /// A NUL-terminated string, as the kernel's NLA_NUL_STRING policy wants.
    mutating func put(_ type: UInt16, string: String) {
        store(AttributeStore.stringSize(string)) { $0.string(type, string) }
    }
}

/// Attributes stored one after another from a place in a ``MessageWriter``'s buffer that
/// was claimed for them (``MessageWriter/store(_:_:)``). Each writes its header, value and
/// padding (so a reused buffer never leaks old bytes) and advances `offset`. The one place
/// where an attribute's layout is written.
struct AttributeStore {
    private let start: UnsafeMutableRawPointer
    /// Bytes stored so far.
    private(set) var offset = 0

    fileprivate init(start: UnsafeMutableRawPointer) { self.start = start }

    static let inetAddrSize = NetlinkConstants.attributeHeaderLength + 16

    /// The stored size of a NUL-terminated string attribute.
    static func stringSize(_ s: String) -> Int { align4(NetlinkConstants.attributeHeaderLength + s.utf8.count + 1) }

    @inline(__always)
    private mutating func header(_ length: Int, _ type: UInt16) -> UnsafeMutableRawPointer {
        let p = start + offset
        p.storeBytes(of: UInt16(truncatingIfNeeded: length), as: UInt16.self)
        p.storeBytes(of: type, toByteOffset: 2, as: UInt16.self)
        offset += align4(length)
        return p
    }

    /// The header of a nested attribute whose contents (`length` bytes in all, header
    /// included) follow.
    mutating func nest(_ type: UInt16, length: Int) {
        _ = header(length, type | NetlinkConstants.nested)
        offset = offset - align4(length) + NetlinkConstants.attributeHeaderLength
    }

    /// A fixed-size attribute: header, value and padding.
    @inline(__always)
    private mutating func scalar<T: FixedWidthInteger>(_ type: UInt16, _ value: T) {
        let length = NetlinkConstants.attributeHeaderLength + MemoryLayout<T>.size
        let p = header(length, type)
        // Zero the padding first (it may overlap nothing but old bytes of a reused buffer).
        p.storeBytes(of: UInt32(0), toByteOffset: align4(length) - 4, as: UInt32.self)
        p.storeBytes(of: value, toByteOffset: 4, as: T.self)
    }

    mutating func u8(_ type: UInt16, _ value: UInt8) { scalar(type, value) }
    mutating func u16(_ type: UInt16, _ value: UInt16) { scalar(type, value) }
    mutating func u32(_ type: UInt16, _ value: UInt32) { scalar(type, value) }
    /// Ports and IPv4 masks: big-endian on the wire, on purpose.
    mutating func be16(_ type: UInt16, _ value: UInt16) { scalar(type, value.bigEndian) }
    mutating func be32(_ type: UInt16, _ value: UInt32) { scalar(type, value.bigEndian) }

    mutating func u32(_ type: UInt16, _ first: UInt32, _ second: UInt32) {
        let p = header(NetlinkConstants.attributeHeaderLength + 8, type)
        p.storeBytes(of: first, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: second, toByteOffset: 8, as: UInt32.self)
    }

    /// `union nf_inet_addr`: 16 bytes, IPv4 in the first four and zeros after.
    @inline(__always)
    mutating func inetAddr(_ type: UInt16, _ address: IPAddress) {
        let p = header(Self.inetAddrSize, type)
        switch address {
        case let .v4(a, b, c, d):
            p.storeBytes(of: (UInt32(a) | UInt32(b) << 8 | UInt32(c) << 16 | UInt32(d) << 24).littleEndian,
                         toByteOffset: 4, as: UInt32.self)
            p.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)
            p.storeBytes(of: UInt64(0), toByteOffset: 12, as: UInt64.self)
        case let .v6(bytes):
            withUnsafeBytes(of: bytes) { (p + 4).copyMemory(from: $0.baseAddress!, byteCount: 16) }
        }
    }

    mutating func string(_ type: UInt16, _ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            let length = NetlinkConstants.attributeHeaderLength + utf8.count + 1
            let p = header(length, type)
            if let source = utf8.baseAddress { (p + 4).copyMemory(from: source, byteCount: utf8.count) }
            // The NUL and the padding.
            (p + 4 + utf8.count).initializeMemory(as: UInt8.self, repeating: 0, count: align4(length) - 4 - utf8.count)
        }
    }

    mutating func bytes(_ type: UInt16, _ payload: some Collection<UInt8>) {
        let length = NetlinkConstants.attributeHeaderLength + payload.count
        let p = header(length, type)
        var i = 4
        for b in payload { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self); i += 1 }
        (p + i).initializeMemory(as: UInt8.self, repeating: 0, count: align4(length) - i)
    }
}

/// Why a reply could not be decoded.
struct DecodeError: Error, Equatable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A read-only view of a byte range, with bounds-checked integer reads.
struct ByteView {
    let base: [UInt8]
    let range: Range<Int>

    init(_ base: [UInt8], _ range: Range<Int>? = nil) {
        self.base = base
        self.range = range ?? 0..<base.count
    }

    var count: Int { range.count }
    var bytes: ArraySlice<UInt8> { base[range] }

    @inline(__always)
    func native<T: FixedWidthInteger>(_: T.Type, at offset: Int = 0) throws(DecodeError) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= range.count else {
            throw DecodeError(message: "need \(size) bytes at offset \(offset), have \(range.count)")
        }
        // One unaligned load (the bounds are checked above): decoding a dump of thousands of
        // entries reads hundreds of thousands of fields.
        let start = range.lowerBound + offset
        return base.withUnsafeBytes { raw in raw.loadUnaligned(fromByteOffset: start, as: T.self) }
    }

    func bigEndian<T: FixedWidthInteger>(_ type: T.Type, at offset: Int = 0) throws(DecodeError) -> T {
        T(bigEndian: try native(type, at: offset))
    }

    @inline(__always)
    func slice(_ sub: Range<Int>) -> ByteView {
        ByteView(base, (range.lowerBound + sub.lowerBound)..<(range.lowerBound + sub.upperBound))
    }

    /// Calls `body` with the same bytes as a `RawView` (offsets unchanged), valid only during the call.
    @inline(__always)
    func withRaw<R, E: Error>(_ body: (RawView) throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = base.withUnsafeBytes { raw in
            do throws(E) {
                return .success(try body(RawView(UnsafeRawBufferPointer(rebasing: raw[range]))))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }
}

/// `ByteView`'s reads on bytes borrowed for the length of one call (a receive buffer while
/// its messages are decoded): the same bounds checks and errors, without the reference to an
/// array that every `ByteView` copy retains and releases. The hot dump decoders read these.
struct RawView {
    let bytes: UnsafeRawBufferPointer

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var count: Int { bytes.count }

    @inline(__always)
    func native<T: FixedWidthInteger>(_: T.Type, at offset: Int = 0) throws(DecodeError) -> T {
        let size = MemoryLayout<T>.size
        guard offset >= 0, offset + size <= bytes.count else {
            throw DecodeError(message: "need \(size) bytes at offset \(offset), have \(bytes.count)")
        }
        return bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
    }

    @inline(__always)
    func slice(_ sub: Range<Int>) -> RawView { RawView(UnsafeRawBufferPointer(rebasing: bytes[sub])) }

    /// `Attribute.string()` on these bytes: up to the first NUL, which must be UTF-8.
    func string(type: UInt16) throws(DecodeError) -> String {
        // Every RawView borrows the storage of a [UInt8] (ByteView.withRaw, a receive buffer).
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        let end = utf8.firstIndex(of: 0) ?? utf8.count
        let text = UnsafeBufferPointer(rebasing: utf8[..<end])
        // ASCII (every scheduler and engine name) needs no validation to speak of.
        if !text.contains(where: { $0 >= 0x80 }) { return String(decoding: text, as: UTF8.self) }
        guard let s = String(validating: text, as: UTF8.self) else {
            throw DecodeError(message: "attribute \(type): string is not UTF-8")
        }
        return s
    }
}

/// One netlink attribute: its type (flags stripped) and payload.
struct Attribute {
    let type: UInt16
    let payload: ByteView

    func u8() throws(DecodeError) -> UInt8 { try exact(1); return try payload.native(UInt8.self) }
    func u16() throws(DecodeError) -> UInt16 { try exact(2); return try payload.native(UInt16.self) }
    func u32() throws(DecodeError) -> UInt32 { try exact(4); return try payload.native(UInt32.self) }
    func u64() throws(DecodeError) -> UInt64 { try exact(8); return try payload.native(UInt64.self) }
    func be16() throws(DecodeError) -> UInt16 { try exact(2); return try payload.bigEndian(UInt16.self) }
    func be32() throws(DecodeError) -> UInt32 { try exact(4); return try payload.bigEndian(UInt32.self) }

    /// A string attribute; a trailing NUL (and anything after it) is dropped.
    func string() throws(DecodeError) -> String {
        try payload.withRaw { (raw: RawView) throws(DecodeError) in try raw.string(type: type) }
    }

    func nested() throws(DecodeError) -> AttributeSet { try AttributeSet(parsing: payload) }

    private func exact(_ n: Int) throws(DecodeError) {
        guard payload.count == n else {
            throw DecodeError(message: "attribute \(type): expected \(n) bytes, got \(payload.count)")
        }
    }
}

/// The attributes of one message or nest, keyed by type. Unknown types are kept but ignored
/// by decoders; a length that runs past the buffer is an error, never a crash.
///
/// Indexed by type in a fixed inline array of plain integers (payload offset + 1 and length;
/// IPVS and netlink types are small numbers), not a dictionary of attributes nor a heap
/// array: a dump decodes three sets per entry, and allocation, hashing and reference
/// counting dominated that work. A later attribute of the same type replaces an earlier
/// one, as with a dictionary.
struct AttributeSet {
    private let view: ByteView
    private var spans = InlineArray<32, Int32>(repeating: 0)
    /// Types too large for `spans` (never sent by IPVS; kept for completeness, and nil
    /// until one comes: an empty dictionary per attribute set is a cost in big dumps).
    private var large: [UInt16: Attribute]? = nil
    private static let indexedTypes = 16

    init(parsing view: ByteView) throws(DecodeError) {
        self.view = view
        var spans = InlineArray<32, Int32>(repeating: 0)
        var large: [UInt16: Attribute]? = nil
        try Self.forEach(in: view) { (type: UInt16, payload: Range<Int>) throws(DecodeError) in
            let index = Int(type)
            if index < Self.indexedTypes {
                spans[2 * index] = Int32(payload.lowerBound + 1)
                spans[2 * index + 1] = Int32(payload.count)
            } else {
                var more = large ?? [:]
                more[type] = Attribute(type: type, payload: view.slice(payload))
                large = more
            }
        }
        self.spans = spans
        self.large = large
    }

    /// Walks the attributes of `view` in order, checking every length: `body` gets each
    /// one's type (flags stripped) and payload range (offsets in `view`). The one parser of
    /// attribute headers, for `AttributeSet` and for single-pass decoders of hot messages.
    @inline(__always)
    static func forEach(in view: ByteView, _ body: (UInt16, Range<Int>) throws(DecodeError) -> Void) throws(DecodeError) {
        try view.withRaw { (raw: RawView) throws(DecodeError) in try forEach(in: raw, body) }
    }

    /// `forEach` on borrowed bytes: the parser itself.
    @inline(__always)
    static func forEach(in view: RawView, _ body: (UInt16, Range<Int>) throws(DecodeError) -> Void) throws(DecodeError) {
        // Offsets stay within 0...count + 3 and lengths below 2^16, so the arithmetic cannot
        // overflow; each header is read once its four bytes are known to be there.
        let count = view.count
        var offset = 0
        while offset < count {
            guard count &- offset >= NetlinkConstants.attributeHeaderLength else {
                throw DecodeError(message: "truncated attribute header at offset \(offset)")
            }
            let length = Int(view.bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
            let rawType = view.bytes.loadUnaligned(fromByteOffset: offset &+ 2, as: UInt16.self)
            guard length >= NetlinkConstants.attributeHeaderLength else {
                throw DecodeError(message: "attribute length \(length) at offset \(offset) is shorter than its header")
            }
            guard offset &+ length <= count else {
                throw DecodeError(message: "attribute \(rawType & NetlinkConstants.typeMask) at offset \(offset) claims \(length) bytes, only \(count - offset) left")
            }
            try body(rawType & NetlinkConstants.typeMask,
                     Range(uncheckedBounds: (offset &+ NetlinkConstants.attributeHeaderLength, offset &+ length)))
            offset &+= (length &+ 3) & ~3
        }
    }

    subscript(_ type: UInt16) -> Attribute? {
        let index = Int(type)
        guard index < Self.indexedTypes else { return large?[type] }
        guard spans[2 * index] > 0 else { return nil }
        let start = Int(spans[2 * index]) - 1
        return Attribute(type: type, payload: view.slice(start..<(start + Int(spans[2 * index + 1]))))
    }

    func require(_ type: UInt16, _ what: String) throws(DecodeError) -> Attribute {
        guard let a = self[type] else { throw DecodeError(message: "missing \(what) attribute") }
        return a
    }

    /// Whether an attribute of `type` is present.
    func contains(_ type: UInt16) -> Bool {
        let index = Int(type)
        guard index < Self.indexedTypes else { return large?[type] != nil }
        return spans[2 * index] > 0
    }

    /// A fixed-size integer attribute read in place (no `Attribute` in between), nil when
    /// absent; the same checks and errors as `Attribute.u8()` ... `u64()`.
    @inline(__always)
    private func scalar<T: FixedWidthInteger>(_ type: UInt16, _: T.Type) throws(DecodeError) -> T? {
        let index = Int(type)
        guard index < Self.indexedTypes else {
            guard let a = large?[type] else { return nil }
            guard a.payload.count == MemoryLayout<T>.size else {
                throw DecodeError(message: "attribute \(type): expected \(MemoryLayout<T>.size) bytes, got \(a.payload.count)")
            }
            return try a.payload.native(T.self)
        }
        guard spans[2 * index] > 0 else { return nil }
        let length = Int(spans[2 * index + 1])
        guard length == MemoryLayout<T>.size else {
            throw DecodeError(message: "attribute \(type): expected \(MemoryLayout<T>.size) bytes, got \(length)")
        }
        return try view.native(T.self, at: Int(spans[2 * index]) - 1)
    }

    func u8(_ type: UInt16) throws(DecodeError) -> UInt8? { try scalar(type, UInt8.self) }
    func u16(_ type: UInt16) throws(DecodeError) -> UInt16? { try scalar(type, UInt16.self) }
    func u32(_ type: UInt16) throws(DecodeError) -> UInt32? { try scalar(type, UInt32.self) }
    func u64(_ type: UInt16) throws(DecodeError) -> UInt64? { try scalar(type, UInt64.self) }
    func be16(_ type: UInt16) throws(DecodeError) -> UInt16? { try scalar(type, UInt16.self).map { UInt16(bigEndian: $0) } }

    /// `u32(type)`, or "missing WHAT attribute".
    func requireU32(_ type: UInt16, _ what: String) throws(DecodeError) -> UInt32 {
        guard let v = try u32(type) else { throw DecodeError(message: "missing \(what) attribute") }
        return v
    }
}

/// `AttributeSet` on borrowed bytes, for the hot dump decoders: the attributes of one
/// message or nest indexed by type in one pass, every length checked by the same parser,
/// the last of a repeated type counting. Only types below 16 are kept (all that the
/// service, destination and stats decoders read); larger ones are checked and skipped.
struct RawAttributes {
    let view: RawView
    /// Per type: (payload offset + 1) << 16 | payload length, 0 when absent. Both fit in 16
    /// bits: an attribute's length is a u16, and so is that of the nest or message it is in
    /// (the one exception, a top-level attribute set of a whole datagram, is never indexed).
    private var spans = InlineArray<16, UInt32>(repeating: 0)
    static let indexedTypes = 16

    @inline(__always)
    init(parsing view: RawView) throws(DecodeError) {
        precondition(view.count < 0xFFFF, "attribute set larger than a netlink attribute")
        self.view = view
        var spans = InlineArray<16, UInt32>(repeating: 0)
        try AttributeSet.forEach(in: view) { (type: UInt16, payload: Range<Int>) throws(DecodeError) in
            if type < Self.indexedTypes {
                spans[Int(type)] = UInt32(truncatingIfNeeded: payload.lowerBound &+ 1) << 16
                    | UInt32(truncatingIfNeeded: payload.count)
            }
        }
        self.spans = spans
    }

    /// The payload of `type`, nil when absent (`type` below `indexedTypes`).
    @inline(__always)
    subscript(_ type: UInt16) -> RawView? {
        guard type < Self.indexedTypes else { return nil }
        let span = spans[Int(type)]
        guard span != 0 else { return nil }
        let start = Int(span >> 16) &- 1
        return view.slice(start..<(start &+ Int(span & 0xFFFF)))
    }

    /// The payload of `type`, or "missing WHAT attribute".
    @inline(__always)
    func require(_ type: UInt16, _ what: String) throws(DecodeError) -> RawView {
        guard let a = self[type] else { throw DecodeError(message: "missing \(what) attribute") }
        return a
    }

    /// A fixed-size integer attribute, nil when absent; the errors of `AttributeSet.u32` etc.
    @inline(__always)
    func scalar<T: FixedWidthInteger>(_ type: UInt16, _: T.Type) throws(DecodeError) -> T? {
        guard let payload = self[type] else { return nil }
        return try Self.exact(payload, type, T.self)
    }

    /// `payload` as one `T`, or "attribute TYPE: expected N bytes, got M".
    @inline(__always)
    static func exact<T: FixedWidthInteger>(_ payload: RawView, _ type: UInt16, _: T.Type) throws(DecodeError) -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw DecodeError(message: "attribute \(type): expected \(MemoryLayout<T>.size) bytes, got \(payload.count)")
        }
        return payload.bytes.loadUnaligned(as: T.self)
    }

    @inline(__always) func u8(_ type: UInt16) throws(DecodeError) -> UInt8? { try scalar(type, UInt8.self) }
    @inline(__always) func u16(_ type: UInt16) throws(DecodeError) -> UInt16? { try scalar(type, UInt16.self) }
    @inline(__always) func u32(_ type: UInt16) throws(DecodeError) -> UInt32? { try scalar(type, UInt32.self) }
    @inline(__always) func u64(_ type: UInt16) throws(DecodeError) -> UInt64? { try scalar(type, UInt64.self) }
    @inline(__always) func be16(_ type: UInt16) throws(DecodeError) -> UInt16? {
        try scalar(type, UInt16.self).map { UInt16(bigEndian: $0) }
    }

    /// `u32(type)`, or "missing WHAT attribute".
    @inline(__always)
    func requireU32(_ type: UInt16, _ what: String) throws(DecodeError) -> UInt32 {
        guard let v = try u32(type) else { throw DecodeError(message: "missing \(what) attribute") }
        return v
    }
}

/// One message out of a receive buffer.
struct ReceivedMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    let port: UInt32
    /// Everything after the 16-byte netlink header.
    let body: ByteView
}

/// Splits a datagram into netlink messages, checking every length.
func splitMessages(_ buffer: [UInt8], count: Int) throws(DecodeError) -> [ReceivedMessage] {
    try splitMessages(buffer, range: 0..<count)
}

/// Splits the datagram at `range` of `buffer` into messages that view `buffer` (no copy).
func splitMessages(_ buffer: [UInt8], range: Range<Int>) throws(DecodeError) -> [ReceivedMessage] {
    var result: [ReceivedMessage] = []
    var messages = MessageIterator(buffer, range: range)
    while let m = try messages.next() { result.append(m) }
    return result
}

/// The messages of the datagram at `range` of `buffer`, one at a time (no array per
/// datagram: a big listing receives tens of thousands), each length checked as it comes.
struct MessageIterator {
    private let view: ByteView
    private var offset = 0

    init(_ buffer: [UInt8], range: Range<Int>) { view = ByteView(buffer, range) }

    mutating func next() throws(DecodeError) -> ReceivedMessage? {
        let at = offset
        guard let m = try view.withRaw({ (raw: RawView) throws(DecodeError) in try RawMessage.parse(raw, at: at) }) else {
            return nil
        }
        offset = m.next
        return ReceivedMessage(type: m.type, flags: m.flags, sequence: m.sequence, port: m.port, body: view.slice(m.body))
    }
}

/// The netlink header of one message of a datagram: where its body lies and where the next
/// message starts. The one parser of message headers (`MessageIterator`, dumps).
struct RawMessage {
    let type: UInt16
    let flags: UInt16
    let sequence: UInt32
    let port: UInt32
    /// Everything after the 16-byte netlink header, as offsets in the datagram.
    let body: Range<Int>
    let next: Int

    /// The message at `offset` of `datagram`, nil when no further message fits; every length checked.
    @inline(__always)
    static func parse(_ datagram: RawView, at offset: Int) throws(DecodeError) -> RawMessage? {
        let count = datagram.count
        guard offset + NetlinkConstants.headerLength <= count else { return nil }
        let length = Int(try datagram.native(UInt32.self, at: offset))
        guard length >= NetlinkConstants.headerLength, offset + length <= count else {
            throw DecodeError(message: "netlink message at offset \(offset) has bad length \(length) (datagram \(count) bytes)")
        }
        return RawMessage(
            type: try datagram.native(UInt16.self, at: offset + 4),
            flags: try datagram.native(UInt16.self, at: offset + 6),
            sequence: try datagram.native(UInt32.self, at: offset + 8),
            port: try datagram.native(UInt32.self, at: offset + 12),
            body: (offset + NetlinkConstants.headerLength)..<(offset + length),
            next: offset + align4(length)
        )
    }
}

/// The content of an NLMSG_ERROR message: 0 is an ACK, otherwise a negative errno.
struct NetlinkErrorReply {
    let error: Int32
    let originalSequence: UInt32
    /// The kernel's own words (extended ack), when it gave any.
    let message: String?

    init(_ msg: ReceivedMessage) throws(DecodeError) {
        error = try msg.body.native(Int32.self, at: 0)
        // 0 is an ACK, -1…-4095 an errno; anything else (INT_MIN has no negation) is no reply.
        guard error <= 0, error > -4096 else { throw DecodeError(message: "NLMSG_ERROR with error \(error), not an errno") }
        originalSequence = try msg.body.native(UInt32.self, at: 4 + 8)
        var text: String? = nil
        if msg.flags & NetlinkConstants.ackTLVs != 0 {
            // The original header (16 bytes) follows the errno; its payload only when not capped.
            var tlvStart = 4 + NetlinkConstants.headerLength
            if msg.flags & NetlinkConstants.capped == 0 {
                let originalLength = Int(try msg.body.native(UInt32.self, at: 4))
                tlvStart = 4 + align4(originalLength)
            }
            if tlvStart < msg.body.count {
                let tlvs = try AttributeSet(parsing: msg.body.slice(tlvStart..<msg.body.count))
                text = try tlvs[NetlinkConstants.extAckMessage]?.string()
            }
        }
        message = text
    }
}
