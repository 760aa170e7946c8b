/// A growable byte buffer that is written in place: one heap block (8-byte aligned), grown by
/// doubling, with a write position. The netlink message writer and the ipvsadm-save text writer
/// both build into one: a big batch or save writes tens of thousands of messages or lines, and
/// appending each piece to an array (a uniqueness check and a bounds check per byte) cost more
/// than the bytes themselves.
///
/// Two ways to write:
/// - `claim(n)`: room for `n` more bytes, counted as written at once; the caller stores all `n`
///   at the pointer it returns.
/// - `reserve(n)` then unchecked `put`s that together stay within those `n`; `append`s reserve
///   for themselves.
///
/// Not copyable: two buffers never share a block. Its hot operations are inlinable, so writers
/// in other modules compile to plain stores.
public struct ByteBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutableRawPointer
    @usableFromInline var capacity: Int
    /// Bytes written so far.
    public var count: Int { _count }
    @usableFromInline var _count = 0

    /// An empty buffer with room for `capacity` bytes (at least 64).
    public init(capacity: Int) {
        self.capacity = max(capacity, 64)
        base = .allocate(byteCount: self.capacity, alignment: 8)
    }

    deinit { base.deallocate() }

    /// Empties the buffer, keeping its memory.
    public mutating func removeAll() { _count = 0 }

    /// The bytes written, as an array.
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(start: base, count: _count)) }

    /// The bytes written, as a String (UTF-8, repaired where invalid).
    public var string: String {
        String(decoding: UnsafeRawBufferPointer(start: base, count: _count), as: UTF8.self)
    }

    /// Calls `body` with the bytes written, valid only during the call.
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: base, count: _count))
    }

    /// Where byte `offset` (already written) lies, for patching a length in place.
    @inlinable
    public func pointer(at offset: Int) -> UnsafeMutableRawPointer {
        precondition(offset >= 0 && offset <= _count, "offset \(offset) outside the \(_count) bytes written")
        return base + offset
    }

    /// Makes room for `n` more bytes.
    @inlinable @inline(__always)
    public mutating func reserve(_ n: Int) {
        if capacity &- _count < n { grow(toHold: _count &+ n) }
    }

    /// Counts `n` more bytes as written and returns where they start (growing the buffer if
    /// needed); the caller stores all `n`.
    @inlinable @inline(__always)
    public mutating func claim(_ n: Int) -> UnsafeMutableRawPointer {
        reserve(n)
        let at = base + _count
        _count &+= n
        return at
    }

    /// Counts `n` more bytes as written and returns where they start (unchecked: after
    /// `reserve`); the caller stores all `n`.
    @inlinable @inline(__always)
    public mutating func uncheckedClaim(_ n: Int) -> UnsafeMutablePointer<UInt8> {
        let at = (base + _count).assumingMemoryBound(to: UInt8.self)
        _count &+= n
        return at
    }

    @usableFromInline @inline(never)
    mutating func grow(toHold needed: Int) {
        let newCapacity = max(2 * capacity, needed)
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 8)
        bigger.copyMemory(from: base, byteCount: _count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    /// One byte (unchecked: after `reserve`).
    @inlinable @inline(__always)
    public mutating func put(_ byte: UInt8) {
        base.storeBytes(of: byte, toByteOffset: _count, as: UInt8.self)
        _count &+= 1
    }

    /// The bytes of `text` (unchecked: after `reserve`).
    @inlinable @inline(__always)
    public mutating func put(_ text: StaticString) {
        text.withUTF8Buffer { put($0) }
    }

    /// `bytes` (unchecked: after `reserve`).
    @inlinable @inline(__always)
    public mutating func put(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let from = bytes.baseAddress else { return }
        (base + _count).copyMemory(from: from, byteCount: bytes.count)
        _count &+= bytes.count
    }

    /// What `other` holds (unchecked: after `reserve`).
    @inlinable @inline(__always)
    public mutating func put(_ other: borrowing ByteBuffer) {
        (base + _count).copyMemory(from: other.base, byteCount: other._count)
        _count &+= other._count
    }

    /// `text`'s bytes.
    @inlinable
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append($0) }
    }

    /// `bytes`.
    @inlinable
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        put(bytes)
    }

    /// What `other` holds.
    @inlinable
    public mutating func append(_ other: borrowing ByteBuffer) {
        reserve(other._count)
        put(other)
    }

    /// A String's UTF-8 (a different label from the StaticString `append`, which a literal
    /// would otherwise not pick: literals prefer String).
    @inlinable
    public mutating func append(contentsOf text: String) {
        var text = text
        text.withUTF8 { append($0) }
    }
}
