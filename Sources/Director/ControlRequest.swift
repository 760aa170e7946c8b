/// One control-socket request: what a client's bytes ask for. The socket reads up to the
/// first newline (or `maxBytes`, or the client's end of stream), and the line, trimmed of
/// blanks, names the request. Pure, so that hostile clients are tested (and fuzzed) without a
/// socket.
public enum ControlRequest: Sendable, Hashable {
    /// `status`: the text status.
    case status
    /// `status json`.
    case statusJSON
    /// `ping`: answered `pong`.
    case ping
    /// Anything else, as received (trimmed).
    case unknown(String)

    /// A request line longer than this is cut here (and then unknown).
    public static let maxBytes = 4096

    /// The request `line` names.
    public init(line: String) {
        switch line {
        case "status": self = .status
        case "status json": self = .statusJSON
        case "ping": self = .ping
        default: self = .unknown(line)
        }
    }

    /// The request in `received`, the bytes read so far (whole when `isComplete(received)`
    /// or the client closed): its first line, decoded as UTF-8 (invalid bytes repaired),
    /// trimmed of spaces, tabs and carriage returns.
    public init(received: [UInt8]) {
        let line = String(decoding: received.prefix { $0 != 10 }.prefix(Self.maxBytes), as: UTF8.self)
        self.init(line: line.trimmingWhitespace())
    }

    /// Whether `received` holds a whole request: a newline, or `maxBytes` already.
    public static func isComplete(_ received: [UInt8]) -> Bool {
        received.count >= maxBytes || received.contains(10)
    }

    /// The answer to an unknown request (one line).
    public static func unknownAnswer(_ line: String) -> String {
        "error: unknown request '\(line)' (status, status json, ping)\n"
    }
}
