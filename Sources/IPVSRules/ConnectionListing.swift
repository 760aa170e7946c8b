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
/// another descriptor, in pieces of about 16 KB. Nothing but the current read, the current
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
    /// read buffer (the kernel gives at most a page per read; tests make it small).
    @discardableResult
    public static func run(input: Int32, path: String, output: Int32, mode: Mode,
                           filter: ConnectionFilter = ConnectionFilter(),
                           readSize: Int = 64 << 10) throws(Failure) -> Int {
        let reader = ConnectionReader(fd: input, path: path, bufferSize: readSize)
        var out = ByteBuffer(capacity: flushSize + (4 << 10))
        let count: Int
        // Each mode streams with its own renderer (no optional state to unwrap per entry).
        switch mode {
        case var .text(format):
            out.append(ConnectionFormat.header(persistentConnections: format.persistentConnections))
            count = try stream(reader, filter, &out, output, path) { c, _, out in format.render(c, into: &out) }
        case .json:
            out.append(ConnectionJSON.opening)
            count = try stream(reader, filter, &out, output, path) { c, index, out in
                ConnectionJSON.render(c, index: index, into: &out)
            }
            out.append(ConnectionJSON.closing(count: count))
        case let .summary(json):
            var summary = ConnectionSummary()
            count = try stream(reader, filter, &out, output, path) { c, _, _ in summary.add(c) }
            out.append(contentsOf: json ? summary.json() : summary.text())
        }
        if let e = flush(&out, to: output) { throw Failure(kind: .write, errno: e, path: path) }
        return count
    }

    /// The output is written whenever this much has gathered (ipvsadm's stdio writes 4 KB).
    private static let flushSize = 16 << 10

    /// Calls `render` with each entry the filter keeps and its index, flushing `out` to
    /// `output` as it fills; the number of entries kept. Nothing is printed when the file
    /// had not even a header (as ipvsadm): the reader throws.
    private static func stream(_ reader: borrowing ConnectionReader, _ filter: ConnectionFilter, _ out: inout ByteBuffer,
                               _ output: Int32, _ path: String,
                               _ render: (Connection, Int, inout ByteBuffer) -> Void) throws(Failure) -> Int {
        var count = 0
        let keepAll = filter.isEmpty
        let result = try reader.forEachLine { (line) throws(WriteFailed) in
            let c: Connection
            do { c = try Connection(parsing: line) } catch { return }   // not an entry: skipped, as before
            guard keepAll || filter.matches(c) else { return }
            render(c, count, &out)
            count += 1
            if out.count >= flushSize {
                if let e = flush(&out, to: output) { throw WriteFailed(errno: e) }
            }
        }
        if case let .failure(w) = result { throw Failure(kind: .write, errno: w.errno, path: path) }
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
