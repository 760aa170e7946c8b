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
    subscript(_ type: some AttributeType) -> RawView? {
        guard type.number < Self.indexedTypes else { return nil }
        let span = spans[Int(type.number)]
        guard span != 0 else { return nil }
        let start = Int(span >> 16) &- 1
        return view.slice(start..<(start &+ Int(span & 0xFFFF)))
    }

    /// The payload of `type`, or "missing WHAT attribute".
    @inline(__always)
    func require(_ type: some AttributeType, _ what: String) throws(DecodeError) -> RawView {
        guard let a = self[type] else { throw DecodeError(message: "missing \(what) attribute") }
        return a
    }

    /// A fixed-size integer attribute, nil when absent; the errors of `AttributeSet.u32` etc.
    @inline(__always)
    func scalar<T: FixedWidthInteger>(_ type: some AttributeType, _: T.Type) throws(DecodeError) -> T? {
        guard let payload = self[type] else { return nil }
        return try Self.exact(payload, type, T.self)
    }

    /// `payload` as one `T`, or "attribute TYPE: expected N bytes, got M".
    @inline(__always)
    static func exact<T: FixedWidthInteger>(_ payload: RawView, _ type: some AttributeType, _: T.Type) throws(DecodeError) -> T {
        guard payload.count == MemoryLayout<T>.size else {
            throw DecodeError(message: "attribute \(type.number): expected \(MemoryLayout<T>.size) bytes, got \(payload.count)")
        }
        return payload.bytes.loadUnaligned(as: T.self)
    }

    @inline(__always) func u8(_ type: some AttributeType) throws(DecodeError) -> UInt8? { try scalar(type, UInt8.self) }
    @inline(__always) func u16(_ type: some AttributeType) throws(DecodeError) -> UInt16? { try scalar(type, UInt16.self) }
    @inline(__always) func u32(_ type: some AttributeType) throws(DecodeError) -> UInt32? { try scalar(type, UInt32.self) }
    @inline(__always) func u64(_ type: some AttributeType) throws(DecodeError) -> UInt64? { try scalar(type, UInt64.self) }
    @inline(__always) func be16(_ type: some AttributeType) throws(DecodeError) -> UInt16? {
        try scalar(type, UInt16.self).map { UInt16(bigEndian: $0) }
    }

    /// `u32(type)`, or "missing WHAT attribute".
    @inline(__always)
    func requireU32(_ type: some AttributeType, _ what: String) throws(DecodeError) -> UInt32 {
        guard let v = try u32(type) else { throw DecodeError(message: "missing \(what) attribute") }
        return v
    }
}
