#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel
import Serialization
import SystemErrors

/// The whole of `list -c`: reads the connection table from a descriptor in one pass, keeps
/// the entries the filter takes, and writes them as ipvsadm's text, JSON, or a summary to
/// another descriptor, in pieces of about 4 KB. Nothing but the current read, the current
/// output piece and (for the summary) one counter per real server and state is held, so a
/// table of any size lists in constant memory.
public enum ConnectionListing {
    /// What to print.
    public enum Mode {
        /// ipvsadm's `-L -c` text (with `numeric`, `persistentConnections` as the format says).
        case text(ConnectionFormat)
        /// `swiftvs-connections/1` JSON.
        case json
        /// Counts per real server, protocol and state, as text or JSON.
        case summary(json: Bool)
    }

    /// Why the listing stopped: the reader's failures, or `.write`.
    public typealias Failure = ConnectionReader.Failure

    private struct WriteFailed: Error { var errno: Errno }

    /// Lists the table read from `input` (`path` names it in errors) to `output`.
    /// Returns the number of entries written (or counted, for a summary). `readSize` is the
    /// read buffer: the kernel gives at most a page per read (and fills a page only when asked
    /// for more than one), so 16 KB holds any read of it whole; a regular file would fill all
    /// of a bigger buffer at every read, each page resident for nothing. Tests make it small.
    @discardableResult
    public static func run(input: Int32, path: String, output: Int32, mode: Mode,
                           filter: ConnectionFilter = ConnectionFilter(),
                           readSize: Int = 16 << 10) throws(Failure) -> Int {
        switch mode {
        case var .text(format):
            return try text(input: input, path: { path }, output: output, format: &format, filter: filter, readSize: readSize)
        case .json:
            let reader = ConnectionReader(fd: input, bufferSize: readSize)
            var out = ByteBuffer(capacity: flushSize + 512)
            out.append(ConnectionJSON.opening)
            let count = try stream(reader, filter, &out, output, { path }) { c, index, out in
                ConnectionJSON.render(c, index: index, into: &out)
            }
            out.append(ConnectionJSON.closing(count: count))
            try finish(&out, output, { path })
            return count
        case let .summary(json):
            let reader = ConnectionReader(fd: input, bufferSize: readSize)
            var out = ByteBuffer(capacity: flushSize + 512)
            var summary = ConnectionSummary()
            let count = try stream(reader, filter, &out, output, { path }) { c, _, _ in summary.add(c) }
            out.append(contentsOf: json ? summary.json() : summary.text())
            try finish(&out, output, { path })
            return count
        }
    }

    /// `run` of ipvsadm's text, with the caller's format: what `list -c` and `ipvsadm -Lc`
    /// call. Not through `Mode`: a `Mode` copied or ended goes through its value witnesses and
    /// those of the format's resolver, pages of type metadata touched for nothing. `path`, for
    /// errors, is made only for one: a String made and ended here (ended through the standard
    /// library's outlined destroy and String's value witnesses) is three 64 KB windows of code
    /// `list -c` needs nowhere else (docs/benchmarks.md, the connection table).
    @discardableResult
    public static func text(input: Int32, path: () -> String, output: Int32, format: inout ConnectionFormat,
                            filter: ConnectionFilter = ConnectionFilter(),
                            readSize: Int = 16 << 10) throws(Failure) -> Int {
        let reader = ConnectionReader(fd: input, bufferSize: readSize)
        var out = ByteBuffer(capacity: flushSize + 512)
        out.append(ConnectionFormat.header(persistentConnections: format.persistentConnections))
        let count = try stream(reader, filter, &out, output, path) { c, _, out in format.render(c, into: &out) }
        try finish(&out, output, path)
        return count
    }

    /// Writes what is left in `out`.
    private static func finish(_ out: inout ByteBuffer, _ output: Int32, _ path: () -> String) throws(Failure) {
        if let e = flush(&out, to: output) { throw Failure(kind: .write, errno: e, path: path()) }
    }

    /// The output is written whenever this much has gathered, as ipvsadm's stdio writes it:
    /// the buffer (this and one more line) is two pages.
    private static let flushSize = 4 << 10

    /// Calls `render` with each entry the filter keeps and its index, flushing `out` to
    /// `output` as it fills; the number of entries kept. Nothing is printed when the file
    /// had not even a header (as ipvsadm): the reader throws.
    private static func stream(_ reader: borrowing ConnectionReader, _ filter: ConnectionFilter, _ out: inout ByteBuffer,
                               _ output: Int32, _ path: () -> String,
                               _ render: (Connection, Int, inout ByteBuffer) -> Void) throws(Failure) -> Int {
        var count = 0
        let keepAll = filter.isEmpty
        let result = try reader.forEachLine(path: path) { (line) throws(WriteFailed) in
            let c: Connection
            do { c = try Connection(parsing: line) } catch { return }   // not an entry: skipped, as before
            guard keepAll || filter.matches(c) else { return }
            render(c, count, &out)
            count += 1
            if out.count >= flushSize {
                if let e = flush(&out, to: output) { throw WriteFailed(errno: e) }
            }
        }
        if case let .failure(w) = result { throw Failure(kind: .write, errno: w.errno, path: path()) }
        return count
    }

    /// Writes and empties the buffer (short writes and EINTR retried); nil, or the errno that
    /// stopped it.
    private static func flush(_ out: inout ByteBuffer, to fd: Int32) -> Errno? {
        let failed: Errno?
        do {
            _ = try out.withBytes { try FileDescriptor(rawValue: fd).writeAll($0) }
            failed = nil
        } catch {
            failed = error as? Errno ?? .ioError
        }
        out.removeAll()
        return failed
    }
}
