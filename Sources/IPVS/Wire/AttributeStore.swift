/// Attributes stored one after another from a place in a ``MessageWriter``'s buffer that
/// was claimed for them (``MessageWriter/store(_:_:)``). Each writes its header, value and
/// padding (so a reused buffer never leaks old bytes) and advances `offset`. The one place
/// where an attribute's layout is written.
struct AttributeStore {
    private let start: UnsafeMutableRawPointer
    /// Bytes stored so far.
    private(set) var offset = 0

    init(start: UnsafeMutableRawPointer) { self.start = start }

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
    mutating func nest(_ type: some AttributeType, length: Int) {
        _ = header(length, type.number | NetlinkConstants.nested)
        offset = offset - align4(length) + NetlinkConstants.attributeHeaderLength
    }

    /// A fixed-size attribute: header, value and padding.
    @inline(__always)
    private mutating func scalar<T: FixedWidthInteger>(_ type: some AttributeType, _ value: T) {
        let length = NetlinkConstants.attributeHeaderLength + MemoryLayout<T>.size
        let p = header(length, type.number)
        // Zero the padding first (it may overlap nothing but old bytes of a reused buffer).
        p.storeBytes(of: UInt32(0), toByteOffset: align4(length) - 4, as: UInt32.self)
        p.storeBytes(of: value, toByteOffset: 4, as: T.self)
    }

    mutating func u8(_ type: some AttributeType, _ value: UInt8) { scalar(type, value) }
    mutating func u16(_ type: some AttributeType, _ value: UInt16) { scalar(type, value) }
    mutating func u32(_ type: some AttributeType, _ value: UInt32) { scalar(type, value) }
    /// Ports and IPv4 masks: big-endian on the wire, on purpose.
    mutating func be16(_ type: some AttributeType, _ value: UInt16) { scalar(type, value.bigEndian) }
    mutating func be32(_ type: some AttributeType, _ value: UInt32) { scalar(type, value.bigEndian) }

    mutating func u32(_ type: some AttributeType, _ first: UInt32, _ second: UInt32) {
        let p = header(NetlinkConstants.attributeHeaderLength + 8, type.number)
        p.storeBytes(of: first, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: second, toByteOffset: 8, as: UInt32.self)
    }

    /// `union nf_inet_addr`: 16 bytes, IPv4 in the first four and zeros after.
    @inline(__always)
    mutating func inetAddr(_ type: some AttributeType, _ address: IPAddress) {
        let p = header(Self.inetAddrSize, type.number)
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

    mutating func string(_ type: some AttributeType, _ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            let length = NetlinkConstants.attributeHeaderLength + utf8.count + 1
            let p = header(length, type.number)
            if let source = utf8.baseAddress { (p + 4).copyMemory(from: source, byteCount: utf8.count) }
            // The NUL and the padding.
            (p + 4 + utf8.count).initializeMemory(as: UInt8.self, repeating: 0, count: align4(length) - 4 - utf8.count)
        }
    }

    mutating func bytes(_ type: some AttributeType, _ payload: some Collection<UInt8>) {
        let length = NetlinkConstants.attributeHeaderLength + payload.count
        let p = header(length, type.number)
        var i = 4
        for b in payload { p.storeBytes(of: b, toByteOffset: i, as: UInt8.self); i += 1 }
        (p + i).initializeMemory(as: UInt8.self, repeating: 0, count: align4(length) - i)
    }
}
