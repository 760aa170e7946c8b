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
