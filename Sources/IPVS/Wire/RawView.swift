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
    func string(type: some AttributeType) throws(DecodeError) -> String {
        // Every RawView borrows the storage of a [UInt8] (ByteView.withRaw, a receive buffer).
        let utf8 = bytes.assumingMemoryBound(to: UInt8.self)
        let end = utf8.firstIndex(of: 0) ?? utf8.count
        let text = UnsafeBufferPointer(rebasing: utf8[..<end])
        // ASCII (every scheduler and engine name) needs no validation to speak of.
        if !text.contains(where: { $0 >= 0x80 }) { return String(decoding: text, as: UTF8.self) }
        guard let s = String(validating: text, as: UTF8.self) else {
            throw DecodeError(message: "attribute \(type.number): string is not UTF-8")
        }
        return s
    }
}
