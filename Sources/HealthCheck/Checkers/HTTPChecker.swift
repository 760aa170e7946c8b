import IPVS

/// HTTP_GET: for each url, a GET that must answer an accepted status code and, when a digest
/// is configured, a body whose MD5 matches (keepalived's genhash digest). connect_timeout
/// bounds the connection and each read or write, as in keepalived.
///
/// SSL_GET is the same over TLS (`tls`): the handshake runs within the connection's
/// connect_timeout, then the same request and response checks.
public struct HTTPChecker: Checker {
    /// SSL_GET's TLS: the shared context (or why there is none) and the SNI name to send.
    struct TLS: Sendable {
        var context: Result<TLSContext, TLSContext.Failure>
        /// enable_sni: the url's virtual host, else the checker's (or its server's), as SNI.
        var sni: Bool
    }

    public var endpoint: Endpoint
    public var urls: [URLCheckConfig] { didSet { patterns = Self.compile(urls) } }
    /// Each url's regex compiled once (the parser has checked that it compiles).
    private var patterns: [URLRegexConfig: PCRE2Pattern]
    public var version: HTTPCheckConfig.ProtocolVersion
    public var virtualhost: String?
    public var timeout: Duration
    /// Bodies beyond this are still hashed but never kept.
    public var maxHeaderBytes = 65536
    let reactor: Reactor
    /// nil: plain HTTP.
    var tls: TLS?

    public init(endpoint: Endpoint, urls: [URLCheckConfig], version: HTTPCheckConfig.ProtocolVersion = .http10,
                virtualhost: String? = nil, timeout: Duration, reactor: Reactor) {
        self.endpoint = endpoint
        self.urls = urls
        patterns = Self.compile(urls)
        self.version = version
        self.virtualhost = virtualhost
        self.timeout = timeout
        self.reactor = reactor
    }

    /// One check, resumed on the reactor after each wait (`Reactor.resumingHere`): its timeouts
    /// and latency do not depend on the caller's executor.
    public func check() async -> CheckResult { await reactor.resumingHere { await probe() } }

    private func probe() async -> CheckResult {
        let start = ContinuousClock.now
        for url in urls {
            if let failure = await fetch(url) {
                return .failed(failure, latency: start.duration(to: .now))
            }
        }
        return .ok(latency: start.duration(to: .now))
    }

    func request(for url: URLCheckConfig) -> String {
        var host = url.virtualhost ?? virtualhost ?? (endpoint.address.family == .inet6 ? "[\(endpoint.address)]" : "\(endpoint.address)")
        if url.virtualhost == nil && virtualhost == nil && endpoint.port != 80 { host += ":\(endpoint.port)" }
        let v = version == .http11 ? "1.1" : "1.0"
        var r = "GET \(url.path) HTTP/\(v)\r\nUser-Agent: KeepAliveClient\r\nHost: \(host)\r\n"
        if version != .http10 { r += "Connection: close\r\n" }
        return r + "\r\n"
    }

    /// The connection, with TLS over it for SSL_GET (the handshake within the connect deadline).
    private func open(for url: URLCheckConfig) async -> Result<any ByteStream, CheckResult.Reason> {
        let deadline = ContinuousClock.now + timeout
        let tcp: TCPConnection
        switch await TCPConnection.connect(endpoint, deadline: deadline, reactor: reactor) {
        case let .success(c): tcp = c
        case let .failure(r): return .failure(r)
        }
        guard let tls else { return .success(tcp) }
        switch tls.context {
        case let .failure(f): return .failure(.tls(f.description))
        case let .success(context):
            return await TLSStream.handshake(over: tcp, context: context, serverName: tls.sni ? url.virtualhost ?? virtualhost : nil, deadline: deadline)
                .map { $0 as any ByteStream }
        }
    }

    private func fetch(_ url: URLCheckConfig) async -> CheckResult.Reason? {
        let conn: any ByteStream
        switch await open(for: url) {
        case let .success(c): conn = c
        case let .failure(r): return r
        }
        if let r = await conn.writeAll(Array(request(for: url).utf8), deadline: .now + timeout) { return r }

        var header: [UInt8] = []
        var md5 = MD5()
        while HTTPResponseHead.end(of: header) == nil {
            switch await conn.read(max: 16384, deadline: .now + timeout) {
            case let .failure(r): return r
            case let .success(chunk):
                if chunk.isEmpty { return .badResponse(header.isEmpty ? "connection closed without a response" : "connection closed inside the headers") }
                header += chunk
                if HTTPResponseHead.end(of: header) == nil, header.count > maxHeaderBytes { return .badResponse("headers too long") }
            }
        }
        let head: HTTPResponseHead
        switch HTTPResponseHead.parse(header) {
        case let .success(h): head = h
        case let .failure(bad): return .badResponse(bad.reason)
        }
        guard url.accepts(status: head.status) else { return .httpStatus(head.status) }
        guard url.digest != nil || url.regex != nil else { return nil }

        // The body, to EOF (or Content-Length), through MD5; the regex sees the response from
        // its first byte, as keepalived's does.
        let scanner = url.regex.flatMap { r in patterns[r].map { RegexBodyScanner(r, pattern: $0) } }
        scanner?.feed(header)
        var body = HTTPBodyCounter(contentLength: head.contentLength)
        md5.update(body.take(header[head.bodyStart...]))
        while !body.isComplete {
            switch await conn.read(max: 65536, deadline: .now + timeout) {
            case let .failure(r): return r
            case let .success(chunk):
                if chunk.isEmpty { body.finish(); break }
                md5.update(body.take(chunk[...]))
                scanner?.feed(chunk)
            }
        }
        if let digest = url.digest {
            let actual = md5.hexDigest()
            if actual != digest { return .digestMismatch(expected: digest, actual: actual) }
        }
        if let regex = url.regex, let scanner, scanner.matched == regex.noMatch {
            return .regexMismatch(pattern: regex.pattern, noMatch: regex.noMatch)
        }
        return nil
    }

    private static func compile(_ urls: [URLCheckConfig]) -> [URLRegexConfig: PCRE2Pattern] {
        var out: [URLRegexConfig: PCRE2Pattern] = [:]
        for r in urls.compactMap(\.regex) where out[r] == nil { out[r] = try? PCRE2Pattern(r.pattern, options: r.options) }
        return out
    }

    /// The index just past the response head (`HTTPResponseHead.end(of:)`).
    static func headerEnd(_ b: [UInt8]) -> Int? { HTTPResponseHead.end(of: b) }
}

extension Substring {
    func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

/// MD5 (RFC 1321), streaming. keepalived's HTTP digest is the MD5 of the response body.
public struct MD5: Sendable {
    private var state: (UInt32, UInt32, UInt32, UInt32) = (0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476)
    private var buffer: [UInt8] = []
    private var length: UInt64 = 0

    private static let s: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                      5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                      4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                      6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
    private static let k: [UInt32] = (0..<64).map { i in
        UInt32(truncatingIfNeeded: Int64((abs(sin(Double(i + 1))) * 4294967296.0).rounded(.down)))
    }

    public init() {}

    public mutating func update(_ bytes: some Sequence<UInt8>) {
        for b in bytes {
            buffer.append(b)
            length &+= 1
            if buffer.count == 64 {
                block(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
    }

    public mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var pad: [UInt8] = [0x80]
        while (buffer.count + pad.count) % 64 != 56 { pad.append(0) }
        for i in 0..<8 { pad.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(i)))) }
        for b in pad {
            buffer.append(b)
            if buffer.count == 64 {
                block(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        var out: [UInt8] = []
        for v in [state.0, state.1, state.2, state.3] {
            for i in 0..<4 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
        }
        return out
    }

    public mutating func hexDigest() -> String {
        finalize().map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var m = MD5()
        m.update(bytes)
        return m.hexDigest()
    }

    private mutating func block(_ chunk: [UInt8]) {
        var m = [UInt32](repeating: 0, count: 16)
        for i in 0..<16 {
            m[i] = UInt32(chunk[4 * i]) | UInt32(chunk[4 * i + 1]) << 8 | UInt32(chunk[4 * i + 2]) << 16 | UInt32(chunk[4 * i + 3]) << 24
        }
        var (a, b, c, d) = state
        for i in 0..<64 {
            var f: UInt32
            var g: Int
            switch i {
            case 0..<16: f = (b & c) | (~b & d); g = i
            case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
            case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
            default: f = c ^ (b | ~d); g = (7 * i) % 16
            }
            f = f &+ a &+ Self.k[i] &+ m[g]
            a = d
            d = c
            c = b
            b = b &+ ((f << Self.s[i]) | (f >> (32 - Self.s[i])))
        }
        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
