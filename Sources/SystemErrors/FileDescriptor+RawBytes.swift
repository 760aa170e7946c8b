extension FileDescriptor {
    /// Writes all of `bytes` (short writes and EINTR retried), as swift-system's `writeAll`
    /// does, for the one kind of input every caller here has: raw bytes. swift-system's is
    /// generic over a `Sequence`, and its body (`_writeAll`) is not specialised into the
    /// caller: it ran through the runtime's generic paths (metadata instantiation, an
    /// associated-type lookup by mangled name) on every call and, since a raw buffer gives no
    /// contiguous storage to `withContiguousStorageIfAvailable`, copied the whole buffer into a
    /// new `Array` first (the whole table for a `save`, every piece of `list -c`'s output).
    /// Returns the number of bytes written (all of them).
    @discardableResult
    public func writeAll(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var written = 0
        while written < bytes.count {
            written += try write(UnsafeRawBufferPointer(rebasing: bytes[written...]))
        }
        return written
    }
}
