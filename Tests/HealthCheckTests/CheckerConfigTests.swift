import Testing
import IPVS
@testable import HealthCheck

/// The checkers of the one real server in `body` (inside `virtual_server 192.0.2.1 80`,
/// `real_server 192.0.2.10 80`), after `leading` top-level text.
private func checkers(_ body: String, leading: String = "") throws -> [CheckerConfig] {
    let c = try ConfigParser.parse(text: leading + "virtual_server 192.0.2.1 80 {\n  protocol TCP\n  delay_loop 7\n  real_server 192.0.2.10 80 {\n\(body)\n  }\n}\n",
                                   file: "k.conf", fileSystem: InMemoryFileSystem(files: [:]))
    return try #require(c.virtualServers.first?.realServers.first?.checkers)
}

/// Every diagnostic as `LINE:COL: severity: message`.
private func diagnostics(_ text: String) -> [String] {
    ConfigParser.check(text: text, file: "k.conf", fileSystem: InMemoryFileSystem(files: [:])).diagnostics.map {
        "\($0.location.line):\($0.location.column): \($0.severity == .error ? "error" : "warning"): \($0.message)"
    }
}

@Suite("keepalived.conf: SSL_GET, SMTP_CHECK, DNS_CHECK, UDP_CHECK, FILE_CHECK and their blocks")
struct CheckerConfigTests {
    @Test func smtpDefaultsHeloAndHostBlocks() throws {
        let plain = try checkers("SMTP_CHECK {\n}")
        #expect(plain.count == 1 && plain[0].kind == .smtp(SMTPCheckConfig(heloName: "smtpchecker.keepalived.org")))
        #expect(plain[0].connectIP == IPAddress("192.0.2.10") && plain[0].connectPort == 80 && plain[0].retry == 1)
        // keepalived 2.2.7 makes each host block a checker; the block's own connection counts
        // only when it sets one.
        let hosts = try checkers("SMTP_CHECK {\n helo_name mx.example.test\n host {\n connect_ip 192.0.2.20\n connect_port 25\n }\n host {\n connect_port 587\n connect_timeout 2\n }\n retry 4\n}")
        #expect(hosts.map { "\($0.connectIP):\($0.connectPort)" } == ["192.0.2.20:25", "192.0.2.10:587"])
        #expect(hosts.allSatisfy { $0.kind == .smtp(SMTPCheckConfig(heloName: "mx.example.test")) && $0.retry == 4 })
        #expect(hosts.map(\.connectTimeout) == [.seconds(5), .seconds(2)])
        let own = try checkers("SMTP_CHECK {\n connect_port 2525\n host {\n connect_port 25\n }\n}")
        #expect(own.map(\.connectPort) == [2525, 25])
        #expect(diagnostics("virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n SMTP_CHECK {\n host {\n }\n }\n }\n}\n")
            == ["4:2: warning: The SMTP_CHECK host block is deprecated. Please define additional checkers."])
    }

    /// keepalived 2.2.7's check_smtp.c: a `host { }` block's retry, delay_before_retry, warmup,
    /// delay_loop and alpha are the common handlers, which write the current checker, and each
    /// host becomes a copy of that checker at the block's end: they apply to every host and to
    /// the block's own connection, the last one in file order winning.
    @Test func smtpHostBlockRetryAppliesToTheWholeChecker() throws {
        let hosts = try checkers("SMTP_CHECK {\n connect_port 2525\n host {\n connect_port 25\n retry 6\n delay_before_retry 4\n }\n host {\n connect_port 587\n }\n}")
        #expect(hosts.map(\.connectPort) == [2525, 25, 587])
        #expect(hosts.map(\.retry) == [6, 6, 6])
        #expect(hosts.map(\.delayBeforeRetry) == [.seconds(4), .seconds(4), .seconds(4)])
        let later = try checkers("SMTP_CHECK {\n host {\n connect_port 25\n retry 6\n }\n retry 2\n host {\n connect_port 587\n warmup 3\n }\n}")
        #expect(later.map(\.retry) == [2, 2])
        #expect(later.map(\.warmup) == [.seconds(3), .seconds(3)])
        let bad = diagnostics("virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n SMTP_CHECK {\n host {\n retry x\n helo_name a\n }\n }\n }\n}\n")
        #expect(bad == ["4:2: warning: The SMTP_CHECK host block is deprecated. Please define additional checkers.", "6:8: error: retry: invalid number 'x'", "7:2: error: unknown keyword 'helo_name' in SMTP_CHECK host"])
    }

    @Test func dnsDefaultsAndValues() throws {
        let d = try checkers("DNS_CHECK {\n}")[0]
        #expect(d.kind == .dns(DNSCheckConfig(type: .soa, name: "")))
        #expect(d.retry == 3 && d.delayBeforeRetry == .seconds(7), "check_dns.c: 3 retries, delay_before_retry = delay_loop")
        let a = try checkers("DNS_CHECK {\n type aaaa\n name www.example.test.\n connect_port 53\n}")[0]
        #expect(a.kind == .dns(DNSCheckConfig(type: DNSQuestionType(rawValue: 28), name: "www.example.test.")) && a.connectPort == 53)
        let bad = diagnostics("virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n DNS_CHECK {\n type PTR\n name a..b\n }\n }\n}\n")
        #expect(bad == ["5:7: error: Unknown DNS check type PTR - ignoring", "6:7: error: DNS_CHECK name 'a..b' has empty label - ignoring"])
    }

    @Test func udpPayloadAndReply() throws {
        let u = try checkers("UDP_CHECK {\n payload 01 02ff\n require_reply 4F x1\n min_reply_length 2\n max_reply_length 9\n}")[0]
        #expect(u.kind == .udp(UDPCheckConfig(payload: [1, 2, 0xFF], requireReply: true, reply: [0x4F, 0x01], replyMask: [0, 0xF0],
                                              minReplyLength: 2, maxReplyLength: 9)))
        let quiet = try checkers("UDP_CHECK {\n}")[0]
        #expect(quiet.kind == .udp(UDPCheckConfig(payload: nil, requireReply: false, reply: nil, replyMask: nil, minReplyLength: 0, maxReplyLength: 255)))
        let bad = diagnostics("virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n UDP_CHECK {\n payload zz\n min_reply_length 5\n max_reply_length 4\n }\n }\n}\n")
        #expect(bad == ["4:2: error: UDP_CHECK min_reply length 5 > max_reply_length 4 - will always fail", "5:10: error: Invalid hex string for UDP_CHECK payload"])
    }

    @Test func fileCheckFollowsATrackFileDefinedBeforeIt() throws {
        let lead = "track_file rs1 {\n file /run/rs1\n weight -3 reverse\n init_file 7 overwrite\n}\n"
        let f = try checkers("FILE_CHECK {\n track_file rs1\n}", leading: lead)[0]
        #expect(f.kind == .file(FileCheckConfig(name: "rs1", path: "/run/rs1", weight: -3, reverse: true, initValue: 7, initOverwrite: true)))
        #expect(f.retry == 0 && f.delayLoop == .zero && f.warmup == .zero && !f.alpha, "waits for the file, no retries")
        let own = try checkers("FILE_CHECK {\n track_file rs1\n weight 100 noreverse\n}", leading: lead)[0]
        #expect(own.kind == .file(FileCheckConfig(name: "rs1", path: "/run/rs1", weight: 100, reverse: false, initValue: 7, initOverwrite: true)))
        let late = diagnostics("virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n FILE_CHECK {\n track_file rs1\n }\n }\n}\ntrack_file rs1 {\n file /run/rs1\n}\n")
        #expect(late == ["4:2: error: FILE_CHECK has no track_file specified - ignoring", "5:13: error: track_file rs1 not found"])
        #expect(diagnostics("track_file t {\n weight 300\n}\n") == ["1:1: error: No file set for track_file t - ignoring", "2:9: error: weight 300 out of range -254-254"])
    }

    @Test func sslBlockReachesEverySSLGet() throws {
        let lead = "SSL {\n ca /etc/ssl/ca.pem\n certificate /etc/ssl/c.pem\n key /etc/ssl/c.key\n password pw\n}\n"
        let c = try checkers("SSL_GET {\n url {\n path /\n }\n enable_sni false\n}\nHTTP_GET {\n url {\n path /\n }\n}", leading: lead)
        guard case let .http(ssl) = c[0].kind, case let .http(http) = c[1].kind else { Issue.record("\(c)"); return }
        #expect(ssl.tls && !ssl.enableSNI)
        #expect(ssl.ssl == SSLConfig(password: "pw", ca: "/etc/ssl/ca.pem", certificate: "/etc/ssl/c.pem", key: "/etc/ssl/c.key"))
        #expect(!http.tls && http.ssl == nil)
        let d = diagnostics("SSL {\n ca a\n ca b\n}\nSSL {\n}\nvirtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n SSL_GET {\n url {\n path /\n }\n }\n }\n}\n")
        #expect(d == ["3:2: error: SSL cafile already specified - replacing", "5:1: error: SSL context already specified - replacing"],
                "and no warning that SSL_GET is a plain TCP connect any more")
    }

    @Test func bfdCheckIsAWarningThatSaysBFDIsNotImplemented() {
        #expect(diagnostics("virtual_server 192.0.2.1 80 {\n protocol TCP\n real_server 192.0.2.10 80 {\n BFD_CHECK {\n name x\n }\n }\n}\n")
            == ["4:2: warning: BFD_CHECK: BFD is not implemented by swiftvs; checker ignored"])
    }
}
