/// What HTTP_GET reads of a response before its body: the status code from the status line,
/// the body's length from `Content-Length` when there is one, and where the body starts.
/// Pure, so that the checker's reading of hostile responses is tested (and fuzzed) without a
/// server. SPI for the fuzz targets (Fuzz/).
@_spi(Fuzzing)
public struct HTTPResponseHead: Sendable, Hashable {
    /// The status code of the status line.
    public var status: Int
    /// `Content-Length`, when present and a non-negative number (the last one counts); the
    /// body is read to the end of the connection otherwise.
    public var contentLength: Int?
    /// The index in the received bytes where the body starts (after the blank line).
    public var bodyStart: Int

    /// The index just past the first CRLFCRLF of `bytes`, or nil when the head is not complete.
    public static func end(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    /// The head of `bytes`, which hold at least the whole head (`end(of:)` is not nil), or the
    /// checker's reason for refusing it (`bad status line '…'`).
    public static func parse(_ bytes: [UInt8]) -> Result<HTTPResponseHead, BadStatusLine> {
        guard let bodyStart = end(of: bytes) else { return .failure(BadStatusLine(line: "")) }
        let head = String(decoding: bytes[0..<bodyStart], as: UTF8.self)
        let statusLine = head.split(separator: "\r\n", maxSplits: 1).first.map(String.init) ?? ""
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let status = Int(parts[1]) else {
            return .failure(BadStatusLine(line: statusLine))
        }
        var length: Int?
        for line in head.split(separator: "\r\n") {
            let l = line.lowercased()
            if l.hasPrefix("content-length:") {
                length = Int(l.dropFirst("content-length:".count).trimmingCharacters()).flatMap { $0 >= 0 ? $0 : nil }
            }
        }
        return .success(HTTPResponseHead(status: status, contentLength: length, bodyStart: bodyStart))
    }

    /// A status line that is not `HTTP/x NNN …`.
    public struct BadStatusLine: Error, Sendable, Hashable {
        /// The line as received.
        public var line: String
        /// The checker's reason: `bad status line '…'` (the line cut at 80 characters).
        public var reason: String { "bad status line '\(line.prefix(80))'" }
    }
}

/// What is left of a body to hash: all of it to the end of the connection without a
/// `Content-Length`, else that many bytes and no more.
@_spi(Fuzzing)
public struct HTTPBodyCounter: Sendable, Hashable {
    /// Bytes still expected; nil reads to the end of the connection.
    public private(set) var remaining: Int?

    /// A counter for a body of `contentLength` bytes (nil: to the end of the connection).
    public init(contentLength: Int?) { remaining = contentLength.map { max(0, $0) } }

    /// Whether the body is complete (only with a `Content-Length`).
    public var isComplete: Bool { remaining == 0 }

    /// The part of `chunk` that belongs to the body, counted off what remains.
    public mutating func take(_ chunk: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        guard let r = remaining else { return chunk }
        let part = chunk.prefix(r)
        remaining = r - part.count
        return part
    }

    /// The connection ended: nothing more is expected.
    public mutating func finish() { remaining = 0 }
}
