#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `swiftvs: MESSAGE` and, when there is one, `hint: HINT` on standard error, then exit with
/// `status`: how the command-line tool and the daemon end on an error they cannot go on from.
public func fail(_ message: String, hint: String? = nil, status: Int32) -> Never {
    var stderr = StandardError()
    print("swiftvs: \(message)", to: &stderr)
    if let hint { print("hint: \(hint)", to: &stderr) }
    exit(status)
}

/// Standard error as a `TextOutputStream` (`print(…, to: &stderr)`), unbuffered: each write is
/// one write(2) of the text.
public struct StandardError: TextOutputStream {
    /// A stream on file descriptor 2.
    public init() {}

    /// Writes `string` to standard error.
    public mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
    }
}
