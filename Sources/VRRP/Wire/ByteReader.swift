/// Reads big-endian fields from a byte slice, failing with ``VRRPWireError/truncated`` rather
/// than trapping when the bytes run out.
struct ByteReader {
    private let bytes: ArraySlice<UInt8>
    private(set) var offset: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        self.offset = bytes.startIndex
    }

    var remaining: Int { bytes.endIndex - offset }

    mutating func u8(_ field: StaticString) throws(VRRPWireError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16(_ field: StaticString) throws(VRRPWireError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func take(_ count: Int, _ field: StaticString) throws(VRRPWireError) -> ArraySlice<UInt8> {
        try need(count, field)
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    private func need(_ count: Int, _ field: StaticString) throws(VRRPWireError) {
        guard remaining >= count else {
            throw .truncated(field: String(describing: field), needed: offset - bytes.startIndex + count,
                             available: bytes.count)
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends a 16-bit value in network byte order.
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }
}
