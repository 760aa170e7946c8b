/// The part of an HTTP/1.x request the metrics endpoint reads: the request line of a head that
/// ended with an empty line. Headers are not needed (no keep-alive, no body, no encoding).
struct HTTPRequestHead: Sendable, Equatable {
    var method: String
    /// The target's path, without its query.
    var path: String

    /// How a buffer of request bytes stands.
    enum Parse: Equatable {
        /// No empty line yet: read more.
        case incomplete
        /// Not an HTTP/1.x request line.
        case malformed
        case complete(HTTPRequestHead)
    }

    /// Reads `bytes` as received so far.
    static func parse(_ bytes: [UInt8]) -> Parse {
        guard let end = headEnd(bytes) else { return .incomplete }
        let lineEnd = bytes[..<end].firstIndex(of: 10) ?? end
        var line = bytes[..<lineEnd]
        if line.last == 13 { line = line.dropLast() }
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].first == UInt8(ascii: "/"),
              parts[2].starts(with: Array("HTTP/1.".utf8)) else { return .malformed }
        guard parts[0].allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return .malformed }
        let target = parts[1].prefix { $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") }
        return .complete(HTTPRequestHead(method: String(decoding: parts[0], as: UTF8.self),
                                         path: String(decoding: target, as: UTF8.self)))
    }

    /// The index just past the head's empty line (CRLF CRLF, or LF LF as lenient servers take it).
    private static func headEnd(_ b: [UInt8]) -> Int? {
        var i = 0
        while i + 1 < b.count {
            if b[i] == 10 && b[i + 1] == 10 { return i + 2 }
            if i + 3 < b.count && b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
            i += 1
        }
        return nil
    }
}
