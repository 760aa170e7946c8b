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
/// another descriptor, in pieces of about 64 KB. Nothing but the current read, the current
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
        var out = ByteBuffer(capacity: 80 << 10)
        var count = 0
        var summary = ConnectionSummary()
        var format: ConnectionFormat? = nil
        switch mode {
        case let .text(f):
            format = f
            out.append(contentsOf: ConnectionFormat.header(persistentConnections: f.persistentConnections))
        case .json:
            out.append(ConnectionJSON.opening)
        case .summary:
            break
        }
        let keepAll = filter.isEmpty
        // Nothing printed when the file had not even a header (as ipvsadm): the reader throws.
        let result = try reader.forEachLine { (line) throws(WriteFailed) in
            guard let c = Connection(line: line), keepAll || filter.matches(c) else { return }
            switch mode {
            case .text: format!.render(c, into: &out)
            case .json: ConnectionJSON.render(c, index: count, into: &out)
            case .summary: summary.add(c)
            }
            count += 1
            if out.count >= 64 << 10 {
                if let e = flush(&out, to: output) { throw WriteFailed(errno: e) }
            }
        }
        if case let .failure(w) = result { throw Failure(kind: .write, errno: w.errno, path: path) }
        switch mode {
        case .text: break
        case .json: out.append(ConnectionJSON.closing(count: count))
        case let .summary(json): out.append(contentsOf: json ? summary.json() : summary.text())
        }
        if let e = flush(&out, to: output) { throw Failure(kind: .write, errno: e, path: path) }
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
