/// SMTP_CHECK as keepalived 2.2.7 runs it (check_smtp.c): connect, a greeting line whose code
/// is 220, `HELO helo_name`, a 250 answer, `QUIT`, and any line back. connect_timeout bounds the
/// connection and each read or write.
///
/// A code is keepalived's reading of the line: exactly three digits, then a space or the end of
/// the line (so a `220-` continuation line, or a bare `220\r`, is a bad greeting there too).
public struct SMTPChecker: Checker {
    public var endpoint: Endpoint
    public var heloName: String
    public var timeout: Duration
    let reactor: Reactor

    /// keepalived's buffer: a line longer than this is cut (it wraps and restarts the buffer).
    static let lineLimit = 511

    /// One check, resumed on the reactor after each wait (`Reactor.resumingHere`): its timeouts
    /// and latency do not depend on the caller's executor.
    public func check() async -> CheckResult { await reactor.resumingHere { await .timing { await converse() } } }

    private func converse() async -> CheckResult.Reason? {
        let conn: TCPConnection
        switch await TCPConnection.connect(endpoint, deadline: .now + timeout, reactor: reactor) {
        case let .success(c): conn = c
        case let .failure(r): return r
        }
        switch await line(conn) {
        case let .failure(r): return r
        case let .success(banner):
            guard Self.code(banner) == 220 else { return .badResponse("bad greeting banner '\(Self.shown(banner))'") }
        }
        if let r = await conn.writeAll(Array("HELO \(heloName)\r\n".utf8), deadline: .now + timeout) { return r }
        switch await line(conn) {
        case let .failure(r): return r
        case let .success(answer):
            guard Self.code(answer) == 250 else { return .badResponse("bad HELO response '\(Self.shown(answer))'") }
        }
        if let r = await conn.writeAll(Array("QUIT\r\n".utf8), deadline: .now + timeout) { return r }
        if case let .failure(r) = await line(conn) { return r }
        return nil
    }

    /// Reads until a newline is in what was read (keepalived's cheap check: what follows the
    /// first newline is dropped); the line without it.
    private func line(_ conn: TCPConnection) async -> Result<[UInt8], CheckResult.Reason> {
        var buffer: [UInt8] = []
        while true {
            switch await conn.read(max: Self.lineLimit - buffer.count, deadline: .now + timeout) {
            case let .failure(r): return .failure(r)
            case let .success(chunk):
                if chunk.isEmpty { return .failure(.badResponse("connection closed by the server")) }
                buffer += chunk
                if let nl = buffer.firstIndex(of: 10) { return .success(Array(buffer[..<nl])) }
                if buffer.count >= Self.lineLimit { buffer = [] }
            }
        }
    }

    /// The reply code of `line` as keepalived reads it, or nil.
    public static func code(_ line: [UInt8]) -> Int? {
        guard line.count >= 3, line[0..<3].allSatisfy({ (48...57).contains($0) }) else { return nil }
        guard line.count == 3 || line[3] == 32 else { return nil }
        return line[0..<3].reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    private static func shown(_ line: [UInt8]) -> String {
        String(decoding: line.prefix(80), as: UTF8.self).replacingCRs()
    }
}

extension String {
    /// Carriage returns dropped (a received line in a log message).
    func replacingCRs() -> String { String(filter { $0 != "\r" }) }
}
