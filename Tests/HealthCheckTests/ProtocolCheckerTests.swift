#if canImport(Glibc)
import Glibc
#endif
@testable import EventLoop
import NetworkModel
@_spi(Fuzzing) @testable import HealthCheck
import Testing

/// The checker configuration `block` makes on a real server at 127.0.0.1:`port`.
func checkerConfig(_ block: String, port: UInt16, leading: String = "") throws -> CheckerConfig {
    let config = try ConfigParser.parse(text: leading + """
        virtual_server 192.0.2.100 80 {
          protocol TCP
          real_server 127.0.0.1 \(port) {
            \(block)
          }
        }

        """, file: "test.conf")
    return try #require(config.virtualServers.first?.realServers.first?.checkers.first)
}

/// The checker the daemon would run for `block`.
func makeChecker(_ block: String, port: UInt16, leading: String = "") throws -> any Checker {
    CheckerFactory(runner: ProcessRunner(reactor: testReactor)).make(try checkerConfig(block, port: port, leading: leading))
}

@Suite("SSL_GET, SMTP_CHECK, DNS_CHECK, UDP_CHECK against real servers on loopback",
       .enabled(if: PeerProcess.available && PeerProcess.opensslAvailable, "needs Debian's /usr/bin/python3 and /usr/bin/openssl"))
struct ProtocolCheckerTests {
    /// A TLS HTTP server with a self-signed certificate serving `www/health` = "hello".
    static func tlsServer() throws -> PeerProcess {
        let peer = try PeerProcess("tls-http") { dir in
            let (cert, key) = try PeerProcess.certificate(in: dir)
            return [cert, key]
        }
        try peer.dir.write("www/health", "hello")
        return peer
    }

    @Test func sslGetStatusDigestAndSNIAgainstAPythonTLSServer() async throws {
        let peer = try Self.tlsServer()
        let good = try makeChecker("""
            SSL_GET {
              url {
                path /health
                digest \(MD5.hex(Array("hello".utf8)))
              }
              virtualhost www.example.test
              enable_sni
              connect_timeout 10
            }
            """, port: peer.port)
        let ok = await good.check()
        #expect(ok.success, "\(ok)")
        #expect(try peer.log("sni.log").split(separator: "\n").contains("www.example.test"), "the server saw the SNI name")
        #expect(try peer.log("requests.log").contains("GET /health HTTP/1.0\r\n"), "the HTTP request went over TLS")
        #expect(try peer.log("requests.log").contains("Host: www.example.test\r\n"))

        let wrongDigest = await (try makeChecker("""
            SSL_GET {
              url {
                path /health
                digest 00000000000000000000000000000000
              }
            }
            """, port: peer.port)).check()
        #expect(wrongDigest.reason == .digestMismatch(expected: "00000000000000000000000000000000", actual: MD5.hex(Array("hello".utf8))))

        let missing = await (try makeChecker("SSL_GET {\n url {\n path /missing\n }\n}", port: peer.port)).check()
        #expect(missing.reason == .httpStatus(404))
        let accepted = await (try makeChecker("SSL_GET {\n url {\n path /missing\n status_code 404\n }\n}", port: peer.port)).check()
        #expect(accepted.success, "\(accepted)")
        // Without enable_sni no name is sent (the server's callback sees None).
        #expect(try peer.log("sni.log").split(separator: "\n").filter { $0 != "www.example.test" }.allSatisfy { $0 == "None" })
    }

    @Test func sslGetFailsWhenTheHandshakeHangsPastConnectTimeout() async throws {
        // A listener that never accepts: the kernel completes TCP's handshake, nobody answers
        // the ClientHello.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        _ = IPAddress.v4(127, 0, 0, 1).withSocketAddress(port: 0) { bind(fd, $0, $1) }
        listen(fd, 4)
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        let checker = try makeChecker("SSL_GET {\n url {\n path /\n }\n connect_timeout 0.5\n}", port: UInt16(bigEndian: sa.sin_port))
        let r = await checker.check()
        #expect(r.reason == .timedOut("TLS handshake"))
        // The ceiling only tells "gave up at its timeout" from "waited for something else"; it
        // is wide because the unit pass saturates both cores with the command-line suites'
        // process spawns, and this check's timer then fires late (seen up to 2.5 s).
        #expect(r.latency >= .milliseconds(450) && r.latency < .seconds(10), "\(r.latency)")
    }

    @Test func sslGetAgainstAPlainTextServerIsAHandshakeError() async throws {
        // The SMTP responder answers the ClientHello with its banner: not TLS.
        let peer = try PeerProcess("smtp")
        let r = await (try makeChecker("SSL_GET {\n url {\n path /\n }\n connect_timeout 2\n}", port: peer.port)).check()
        guard case let .tls(message) = r.reason else { Issue.record("expected a TLS failure, got \(r)"); return }
        #expect(message.hasPrefix("handshake: ") && message.contains("wrong version number"), "\(message)")
    }

    /// An OpenSSL error left on the thread's queue (here by a failed certificate load: fopen's
    /// system error first) is not taken for a read's: SSL_get_error looks at the oldest error
    /// of the queue, and a stale system error made a read that only has to wait say
    /// SSL_ERROR_SYSCALL. (SSL_connect clears the queue itself; SSL_read and SSL_write don't.)
    /// All on the reactor thread, where checks run; the server sends nothing before a request.
    @Test func aStaleOpenSSLErrorOnTheThreadIsNotTakenForARead() async throws {
        let peer = try Self.tlsServer()
        let context = try TLSContext(nil)
        let tcp = try await TCPConnection.connect(Endpoint(address: .v4(127, 0, 0, 1), port: peer.port),
                                                  deadline: .now + .seconds(10), reactor: testReactor).get()
        let r = await testReactor.resumingHere { () async -> Result<Int, CheckResult.Reason> in
            switch await TLSStream.handshake(over: tcp, context: context, serverName: nil, deadline: .now + .seconds(10)) {
            case let .failure(reason): return .failure(reason)
            case let .success(stream):
                _ = context.ssl.api.pointee.SSL_CTX_use_certificate_chain_file(context.ctx, "/nonexistent/swiftvs-test.pem")
                return await stream.read(max: 512, deadline: .now + .milliseconds(300)).map(\.count)
            }
        }
        #expect(r == .failure(.timedOut("TLS read")), "nothing to read: the read waits until its deadline")
    }

    /// The handshake's first SSL_connect fails at once (the SMTP banner is already there),
    /// often on the caller's thread, and the check goes on on the reactor thread: OpenSSL's
    /// answer is read on the thread that made the call. (Read after the hop, SSL_get_error found
    /// the reactor thread's empty queue and said SSL_ERROR_SYSCALL, and the reason was that
    /// thread's errno: "Resource temporarily unavailable", or "connection closed by the server"
    /// for errno 0.) Where the first call runs is the runtime's choice, so the test makes the
    /// race twenty times (the old code failed about one in four).
    @Test func aHandshakeThatFailsBeforeItsFirstWaitKeepsOpenSSLsReason() async throws {
        let peer = try PeerProcess("smtp")
        let context = try TLSContext(nil)
        for _ in 0..<20 {
            let tcp = try await TCPConnection.connect(Endpoint(address: .v4(127, 0, 0, 1), port: peer.port),
                                                      deadline: .now + .seconds(10), reactor: testReactor).get()
            var banner = pollfd(fd: tcp.fd, events: Int16(POLLIN), revents: 0)
            try #require(poll(&banner, 1, 10_000) == 1, "the banner arrives")
            let r = await testReactor.resumingHere {
                await TLSStream.handshake(over: tcp, context: context, serverName: nil, deadline: .now + .seconds(10)).map { _ in true }
            }
            guard case let .failure(.tls(message)) = r else { Issue.record("expected a TLS failure, got \(r)"); return }
            #expect(message.hasPrefix("handshake: ") && message.contains("wrong version number"), "\(message)")
        }
    }

    @Test func sslBlockLoadsAClientCertificateWithAnEncryptedKey() async throws {
        let peer = try Self.tlsServer()
        let (cert, key) = try PeerProcess.certificate(in: peer.dir, name: "client", keyPassword: "s3cret")
        func ssl(_ password: String) -> String {
            "SSL {\n password \(password)\n certificate \(cert)\n key \(key)\n ca \(cert)\n}\n"
        }
        let block = "SSL_GET {\n url {\n path /health\n }\n connect_timeout 10\n}"
        let good = await (try makeChecker(block, port: peer.port, leading: ssl("s3cret"))).check()
        #expect(good.success, "\(good) (the CA file is loaded but, as in keepalived, the server is not verified)")
        let bad = await (try makeChecker(block, port: peer.port, leading: ssl("wrong"))).check()
        guard case let .tls(message) = bad.reason else { Issue.record("expected a TLS failure, got \(bad)"); return }
        #expect(message.contains("cannot load key file \(key)"), "\(message)")
    }

    @Test func smtpCheckConversation() async throws {
        let peer = try PeerProcess("smtp")
        let checker = try makeChecker("SMTP_CHECK {\n helo_name checker.test\n connect_timeout 2\n}", port: peer.port)
        let ok = await checker.check()
        #expect(ok.success, "\(ok)")
        #expect(try peer.log("smtp.log") == "HELO checker.test\r\nQUIT\r\n")
        try peer.set(mode: "bad-banner")
        #expect(await checker.check().reason == .badResponse("bad greeting banner '554 go away'"))
        try peer.set(mode: "bad-helo")
        #expect(await checker.check().reason == .badResponse("bad HELO response '501 no'"))
        try peer.set(mode: "ok")
        #expect(await checker.check().success)
    }

    @Test func dnsCheckQueryAndAnswers() async throws {
        let peer = try PeerProcess("dns")
        let checker = try makeChecker("DNS_CHECK {\n type A\n name www.example.test\n connect_timeout 0.5\n}", port: peer.port)
        let ok = await checker.check()
        #expect(ok.success, "\(ok)")
        // The question: 3www7example4test0, type A (1), class IN (1).
        #expect(try peer.log("dns.log").hasSuffix("0377777707" + "6578616d706c65" + "0474657374" + "00" + "0001" + "0001\n"))
        try peer.set(mode: "servfail")
        #expect(await checker.check().reason == .badResponse("DNS answer rcode 2 (SERVFAIL)"))
        try peer.set(mode: "wrong-id")
        #expect(await checker.check().reason == .timedOut("no DNS answer"), "an answer with another id is not the answer")
        try peer.set(mode: "query-echo")
        #expect(await checker.check().reason == .timedOut("no DNS answer"), "a datagram without QR is not the answer")
        try peer.set(mode: "ok")
        #expect(await checker.check().success)
    }

    @Test func udpCheckListenerSilenceReplyAndPortUnreachable() async throws {
        let unreachable = await (try makeChecker("UDP_CHECK {\n connect_timeout 1\n}", port: closedPort(SOCK_DGRAM))).check()
        #expect(unreachable.reason == .unreachable("ICMP destination unreachable, code 3"), "\(unreachable)")

        let peer = try PeerProcess("udp")
        try peer.set(mode: "silent")
        let silent = await (try makeChecker("UDP_CHECK {\n connect_timeout 0.3\n}", port: peer.port)).check()
        #expect(silent.success, "silence is success without require_reply: \(silent)")
        let sent = try peer.log("udp.log")
        #expect(sent == "6b656570616c69766564206368656b202d206b656570616c69766564206368\n" ||
                sent.hasPrefix("6b656570616c69766564"), "keepalived's default payload")
        let needReply = try makeChecker("UDP_CHECK {\n payload 01 02 0a0b\n require_reply 50 4f 4e 47 01 0X\n connect_timeout 0.3\n}", port: peer.port)
        #expect(await needReply.check().reason == .timedOut("no UDP reply"))
        try peer.set(mode: "ok")
        let ok = await needReply.check()
        #expect(ok.success, "\(ok)")
        #expect(try peer.log("udp.log").hasSuffix("01020a0b\n"))
        try peer.set(mode: "bad")
        #expect(await needReply.check().reason == .badResponse("UDP reply data mismatch at byte 0"))
    }
}

@Suite("checker protocols without a server")
struct CheckerProtocolUnitTests {
    @Test func smtpReplyCodesAsKeepalivedReadsThem() {
        #expect(SMTPChecker.code(Array("220 mail ESMTP\r".utf8)) == 220)
        #expect(SMTPChecker.code(Array("250".utf8)) == 250)
        #expect(SMTPChecker.code(Array("220-continued\r".utf8)) == nil)
        #expect(SMTPChecker.code(Array("220\r".utf8)) == nil)
        #expect(SMTPChecker.code(Array("22 x".utf8)) == nil)
    }

    @Test func dnsQueryAndVerdicts() {
        let q = DNSMessage.query(id: 0x1234, name: "a.bc.", type: .soa)
        #expect(q == [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 2, 0x62, 0x63, 0, 0, 6, 0, 1])
        #expect(DNSMessage.query(id: 1, name: "", type: .soa).suffix(5) == [0, 0, 6, 0, 1])
        #expect(DNSMessage.query(id: 1, name: ".", type: .soa).suffix(5) == [0, 0, 6, 0, 1])
        var answer = q
        answer[2] = 0x81; answer[3] = 0x80
        #expect(DNSMessage.judge(answer, queryID: 0x1234, type: .soa) == .success)
        #expect(DNSMessage.judge(answer, queryID: 0x1235, type: .soa) == .ignore)
        #expect(DNSMessage.judge(Array(answer.prefix(11)), queryID: 0x1234, type: .soa) == .ignore)
        // The question it echoes must be this query's type, class IN; a header alone is judged as such.
        #expect(DNSMessage.judge(answer, queryID: 0x1234, type: DNSQuestionType(name: "A")!) == .ignore)
        #expect(DNSMessage.judge(Array(answer.dropLast(1)), queryID: 0x1234, type: .soa) == .ignore, "a question cut short")
        var chaos = answer
        chaos[chaos.count - 1] = 3
        #expect(DNSMessage.judge(chaos, queryID: 0x1234, type: .soa) == .ignore, "class CH")
        var headerOnly = Array(answer.prefix(12))
        headerOnly[5] = 0
        #expect(DNSMessage.judge(headerOnly, queryID: 0x1234, type: .soa) == .success)
        answer[3] = 0x83
        #expect(DNSMessage.judge(answer, queryID: 0x1234, type: .soa) == .failure(rcode: 3))
        #expect(DNSMessage.judge(q, queryID: 0x1234, type: .soa) == .ignore, "a query is not an answer")
        #expect(DNSQuestionType(name: "aaaa")?.rawValue == 28)
        #expect(DNSQuestionType(name: "PTR") == nil)
    }

    @Test func udpHexStringsAndReplyMatching() throws {
        #expect(UDPChecker.hexBytes("01 2 a0B", wildcards: false)?.bytes == [0x01, 0x02, 0xA0, 0x0B])
        #expect(UDPChecker.hexBytes("0g", wildcards: false) == nil)
        #expect(UDPChecker.hexBytes("0X", wildcards: false) == nil, "X is a wildcard only in require_reply")
        #expect(UDPChecker.hexBytes("", wildcards: false) == nil)
        let h = try #require(UDPChecker.hexBytes("5X x1", wildcards: true))
        #expect(h.bytes == [0x50, 0x01] && h.mask == [0x0F, 0xF0])
        let c = UDPCheckConfig(payload: nil, requireReply: true, reply: h.bytes, replyMask: h.mask, minReplyLength: 2, maxReplyLength: 4)
        #expect(UDPChecker.mismatch([0x5A, 0x71], c) == nil)
        #expect(UDPChecker.mismatch([0x4A, 0x71], c) != nil)
        #expect(UDPChecker.mismatch([0x5A], c) != nil, "shorter than min_reply_length")
        #expect(UDPChecker.defaultPayload == Array("keepalived check - keepalived ch".utf8))
    }

    @Test func trackedFileValuesAndWeights() {
        func parse(_ s: String) -> Int64? { FileChecker.parse(s.utf8.map { CChar(bitPattern: $0) }) }
        #expect(parse("42\n") == 42)
        #expect(parse("  -7") == -7)
        #expect(parse("0x10") == 16)
        #expect(parse("010") == 8)
        #expect(parse("junk") == 0)
        #expect(parse("99999999999") == nil, "outside the 32-bit range: ignored")
        #expect(parse("2147483648") == 2147483648, "INT32_MAX + 1 is accepted, as keepalived's bound says")
        let f = FileCheckConfig(name: "t", path: "/x", weight: 10, reverse: false, initValue: nil, initOverwrite: false)
        #expect(FileChecker.result(value: 3, f).weightOffset == 30)
        #expect(FileChecker.result(value: -6553, f).success, "-65530 is above the fault weight")
        #expect(!FileChecker.result(value: -6554, f).success)
        var r = f
        r.reverse = true
        #expect(FileChecker.result(value: 3, r).weightOffset == -30)
        var zero = f
        zero.weight = 0
        #expect(FileChecker.result(value: 0, zero).success && !FileChecker.result(value: 1, zero).success)
        zero.reverse = true
        #expect(!FileChecker.result(value: 0, zero).success && FileChecker.result(value: 5, zero).success)
    }
}
