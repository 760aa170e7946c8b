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
