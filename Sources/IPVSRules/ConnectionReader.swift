#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// Reads /proc/net/ip_vs_conn from an open descriptor in one pass, a line at a time, holding
/// only one read's worth of text (never the table): 100 000 entries are ~12 MB of text, and
/// the kernel hands them out a page per read anyway.
public struct ConnectionReader: ~Copyable {
    /// Why the table could not be read.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Kind: Sendable, Equatable {
            /// read(2) failed (`errno`).
            case read
            /// The file was empty: not even the kernel's header line (ipvsadm: "unexpected input from …").
            case noHeader
            /// Writing the entries out failed (`errno`): what a listing of them adds.
            case write
        }
        public var kind: Kind
        /// What read(2) or write(2) failed with (nil for `.noHeader`).
        public var errno: Errno?
        public var path: String

        public var description: String {
            switch kind {
            case .noHeader: return "unexpected input from \(path)"
            case .read: return "cannot read \(path): \(errno ?? Errno(rawValue: 0))"
            case .write: return "cannot write the connection entries: \(errno ?? Errno(rawValue: 0))"
            }
        }
    }

    private let fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int

    /// Reads from `fd` (not closed here). The reader keeps no String (the path for errors is
    /// `forEachLine`'s): ending a String it owned went through the standard library's
    /// outlined destroy, which calls String's value witnesses, three 64 KB windows of its
    /// code that `list -c` needs nowhere else (docs/benchmarks.md, the connection table).
    public init(fd: Int32, bufferSize: Int = 16 << 10) {
        self.fd = fd
        capacity = max(bufferSize, 512)
        buffer = .allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Calls `body` with each entry line after the header (without its newline), in the
    /// kernel's order; `path` names the file in errors (asked for only then). The line's memory
    /// is valid only during the call.
    public func forEachLine<E: Error>(path: () -> String, _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> Void) throws(Failure) -> Result<Void, E> {
        var filled = 0        // bytes in buffer
        var sawHeader = false
        var eof = false
        while !eof {
            if filled == capacity {
                // A line longer than the buffer: the kernel never writes one (its lines are
                // under 400 bytes); give it out in buffer-sized pieces rather than stop.
                if let e = deliver(UnsafeBufferPointer(start: buffer, count: filled), &sawHeader, body) { return .failure(e) }
                filled = 0
            }
            let n: Int
            do {
                n = try FileDescriptor(rawValue: fd).read(into: UnsafeMutableRawBufferPointer(start: buffer + filled, count: capacity - filled))
            } catch {
                throw Failure(kind: .read, errno: error as? Errno, path: path())
            }
            if n == 0 { eof = true; break }
            let end = filled + n
            var start = 0
            var i = filled
            while i < end {
                if buffer[i] == 0x0A {
                    if let e = deliver(UnsafeBufferPointer(start: buffer + start, count: i - start), &sawHeader, body) {
                        return .failure(e)
                    }
                    start = i + 1
                }
                i += 1
            }
            filled = end - start
            if start > 0 && filled > 0 { memmove(buffer, buffer + start, filled) }
        }
        if filled > 0, let e = deliver(UnsafeBufferPointer(start: buffer, count: filled), &sawHeader, body) {
            return .failure(e)
        }
        if !sawHeader { throw Failure(kind: .noHeader, path: path()) }
        return .success(())
    }

    private func deliver<E: Error>(_ line: UnsafeBufferPointer<UInt8>, _ sawHeader: inout Bool,
                                   _ body: (UnsafeBufferPointer<UInt8>) throws(E) -> Void) -> E? {
        if !sawHeader { sawHeader = true; return nil }
        do { try body(line) } catch { return error }
        return nil
    }
}
