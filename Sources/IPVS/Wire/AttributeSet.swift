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

    subscript(_ attributeType: some AttributeType) -> Attribute? {
        let type = attributeType.number
        let index = Int(type)
        guard index < Self.indexedTypes else { return large?[type] }
        guard spans[2 * index] > 0 else { return nil }
        let start = Int(spans[2 * index]) - 1
        return Attribute(type: type, payload: view.slice(start..<(start + Int(spans[2 * index + 1]))))
    }

    func require(_ type: some AttributeType, _ what: String) throws(DecodeError) -> Attribute {
        guard let a = self[type] else { throw DecodeError(message: "missing \(what) attribute") }
        return a
    }

    /// Whether an attribute of `type` is present.
    func contains(_ attributeType: some AttributeType) -> Bool {
        let type = attributeType.number
        let index = Int(type)
        guard index < Self.indexedTypes else { return large?[type] != nil }
        return spans[2 * index] > 0
    }

    /// A fixed-size integer attribute read in place (no `Attribute` in between), nil when
    /// absent; the same checks and errors as `Attribute.u8()` ... `u64()`.
    @inline(__always)
    private func scalar<T: FixedWidthInteger>(_ attributeType: some AttributeType, _: T.Type) throws(DecodeError) -> T? {
        let type = attributeType.number
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

    func u8(_ type: some AttributeType) throws(DecodeError) -> UInt8? { try scalar(type, UInt8.self) }
    func u16(_ type: some AttributeType) throws(DecodeError) -> UInt16? { try scalar(type, UInt16.self) }
    func u32(_ type: some AttributeType) throws(DecodeError) -> UInt32? { try scalar(type, UInt32.self) }
    func u64(_ type: some AttributeType) throws(DecodeError) -> UInt64? { try scalar(type, UInt64.self) }
    func be16(_ type: some AttributeType) throws(DecodeError) -> UInt16? { try scalar(type, UInt16.self).map { UInt16(bigEndian: $0) } }

    /// `u32(type)`, or "missing WHAT attribute".
    func requireU32(_ type: some AttributeType, _ what: String) throws(DecodeError) -> UInt32 {
        guard let v = try u32(type) else { throw DecodeError(message: "missing \(what) attribute") }
        return v
    }
}
