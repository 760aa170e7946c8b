/// The Internet checksum of RFC 1071: the ones' complement of the ones' complement sum of the
/// data taken as big-endian 16-bit words (an odd last byte is padded with zero).
///
/// Accumulate with ``add(_:)`` (any number of pieces, each starting on an even offset of the
/// summed whole except the last) and read ``value``. A region that already carries its
/// checksum verifies when ``value`` is 0.
public struct InternetChecksum: Sendable, Hashable {
    @usableFromInline var sum: UInt32 = 0

    /// An empty sum.
    public init() {}

    /// Adds bytes; a trailing odd byte counts as the high half of a word padded with zero.
    /// Inlinable, so that a caller in another module sums its own array or slice through code
    /// specialised for it, not through the standard library's generic witnesses (which an idle
    /// VRRP master otherwise runs for every advert it restamps).
    @inlinable
    public mutating func add(_ bytes: some Sequence<UInt8>) {
        // Arrays, slices and buffers (every caller's case) are summed from their storage, two
        // bytes at a time; the element-by-element walk below is for other sequences.
        if bytes.withContiguousStorageIfAvailable({ add(contiguous: UnsafeRawBufferPointer($0)) }) != nil { return }
        var high: UInt8? = nil
        for byte in bytes {
            if let h = high {
                sum &+= UInt32(h) << 8 | UInt32(byte)
                high = nil
            } else {
                high = byte
            }
        }
        if let h = high { sum &+= UInt32(h) << 8 }
        fold()
    }

    /// Adds the bytes of one contiguous region (as `add(_:)` does).
    @usableFromInline
    mutating func add(contiguous bytes: UnsafeRawBufferPointer) {
        var i = 0
        let n = bytes.count
        while i + 1 < n {
            sum &+= UInt32(bytes[i]) << 8 | UInt32(bytes[i + 1])
            i += 2
            // Fold now and then so that the 32-bit sum never overflows, whatever the length.
            if i & 0xFFFE == 0 { fold() }
        }
        if i < n { sum &+= UInt32(bytes[i]) << 8 }
        fold()
    }

    /// Adds one 16-bit word given as a number (host value, summed as its big-endian bytes).
    public mutating func add(word: UInt16) {
        sum &+= UInt32(word)
        fold()
    }

    /// The checksum to put in a header: the complement of the folded sum.
    public var value: UInt16 { ~UInt16(truncatingIfNeeded: sum) }

    /// RFC 1071 checksum of one region.
    @inlinable
    public static func of(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var c = InternetChecksum()
        c.add(bytes)
        return c.value
    }

    @usableFromInline
    mutating func fold() {
        while sum > 0xFFFF { sum = (sum & 0xFFFF) &+ (sum >> 16) }
    }
}
