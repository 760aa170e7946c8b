#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel
import Serialization

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

    /// Why the listing stopped.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public enum Kind: Sendable { case read, noHeader, write }
        public var kind: Kind
        public var errno: Int32?
        public var path: String

        /// ipvsadm's words where it has them ("unexpected input from /proc/net/ip_vs_conn").
        public var description: String {
            switch kind {
            case .noHeader: return "unexpected input from \(path)"
            case .read: return "cannot read \(path): \(String(cString: strerror(errno ?? 0)))"
            case .write: return "cannot write the connection entries: \(String(cString: strerror(errno ?? 0)))"
            }
        }
    }

    private struct WriteFailed: Error { var errno: Int32 }

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
        let result: Result<Void, WriteFailed>
        do {
            result = try reader.forEachLine { (line) throws(WriteFailed) in
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
        } catch {
            // Nothing printed when the file had not even a header (as ipvsadm).
            throw Failure(kind: error.kind == .noHeader ? .noHeader : .read, errno: error.errno, path: path)
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

    /// Writes and empties the buffer; nil, or the errno that stopped it.
    private static func flush(_ out: inout ByteBuffer, to fd: Int32) -> Int32? {
        let failed: Int32? = out.withBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return nil
        }
        out.removeAll()
        return failed
    }
}
