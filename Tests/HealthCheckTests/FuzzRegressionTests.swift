#if canImport(Glibc)
import Glibc
#endif
import Testing
import IPVS
@_spi(Fuzzing) @testable import HealthCheck

/// An input a fuzz target (Fuzz/, Scripts/fuzz) found a bug with, as checked in under
/// `Fuzz/regressions/TARGET/NAME` (the bytes the target was given, its first byte included).
func fuzzRegression(_ target: String, _ name: String) throws -> [UInt8] {
    let root = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
    let path = "\(root)/Fuzz/regressions/\(target)/\(name)"
    guard let f = fopen(path, "rb") else { throw TestError("cannot open \(path): errno \(errno)") }
    defer { fclose(f) }
    var bytes: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n == 0 { break }
        bytes += buf[0..<n]
    }
    return bytes
}

@Suite("fuzz regressions: HTTP_GET")
struct HTTPFuzzRegressionTests {
    /// `Content-Length: -5` trapped the daemon (`prefix` of a negative length) when the url
    /// had a digest. A negative length is no length: the body is read to the end of the
    /// connection, as without the header.
    @Test func negativeContentLengthIsNoLength() async throws {
        let response = Array(try fuzzRegression("http", "negative-content-length").dropFirst())
        guard case let .success(head) = HTTPResponseHead.parse(response) else { Issue.record("head refused"); return }
        #expect(head.status == 200)
        #expect(head.contentLength == nil)

        let server = try TestServer(response: response)
        let digest = MD5.hex(Array("hello".utf8))
        let r = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/", digest: digest)],
                                  timeout: generous, reactor: testReactor).check()
        #expect(r.success, "\(r)")
    }

    @Test func bodyCounterNeverGoesNegative() {
        var body = HTTPBodyCounter(contentLength: 3)
        #expect(body.take(Array("hello".utf8)[...]) == Array("hel".utf8)[...])
        #expect(body.isComplete)
        #expect(body.take(Array("more".utf8)[...]).isEmpty)
        var open = HTTPBodyCounter(contentLength: nil)
        #expect(open.take(Array("hello".utf8)[...]).count == 5)
        #expect(!open.isComplete)
        open.finish()
        #expect(open.isComplete)
    }
}

@Suite("fuzz regressions: keepalived.conf")
struct ConfigFuzzRegressionTests {
    /// A '{' with no statement before it, left open at the end of the file, trapped the tree
    /// builder (it closed the blocks still open as if each had a statement). It is the one
    /// error "unexpected '{'"; the lines after it are dropped with it, as its '}' would drop them.
    @Test func strayOpenBraceLeftOpenAtTheEnd() throws {
        let text = String(decoding: try fuzzRegression("keepalived", "stray-open-brace-at-end"), as: UTF8.self)
        let fs = InMemoryFileSystem(files: ["/etc/keepalived/keepalived.conf": text])
        let doc = ConfigDocument.load(file: "/etc/keepalived/keepalived.conf", fileSystem: fs)
        #expect(doc.diagnostics.map(\.message) == ["unexpected '{'"])
        #expect(doc.diagnostics.first?.location.line == 3)

        let nested = "virtual_server 192.0.2.1 80 {\n  {\n  lb_algo rr\n"
        let d2 = ConfigDocument.load(file: "/k.conf", fileSystem: InMemoryFileSystem(files: ["/k.conf": nested]))
        #expect(d2.diagnostics.map(\.message) == ["unexpected '{'", "missing '}' for 'virtual_server' block opened here"])
    }
}

@Suite("fuzz regressions: keepalived.conf includes")
struct IncludeFuzzRegressionTests {
    /// Three files that each include the directory they are in by a glob: every level fanned
    /// out three ways, and the depth limit (16) alone let that run 3^16 reads (the fuzz target's
    /// hang; `include-fan-out-4`, four such files, the next one). A file that is already being
    /// read is an include loop, reported where it is included again.
    @Test(arguments: [("include-fan-out", 6), ("include-fan-out-4", 4)])
    func includeLoopsAreCut(input: String, loopCount: Int) throws {
        let text = String(decoding: try fuzzRegression("keepalived", input), as: UTF8.self)
        var files: [String: String] = [:]
        for (i, part) in text.split(separator: "\n@@@\n", omittingEmptySubsequences: false).enumerated() {
            files[i == 0 ? "/etc/keepalived/keepalived.conf" : "/etc/keepalived/conf.d/\(i).conf"] = String(part)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let doc = ConfigDocument.load(file: "/etc/keepalived/keepalived.conf", fileSystem: InMemoryFileSystem(files: files))
        #expect(clock.now - start < .seconds(10))
        let loops = doc.diagnostics.filter { $0.message.hasPrefix("include loop: ") }
        // include-fan-out: two of the three files include the directory: 1 → {1}, 1 → 2 → {1, 2},
        // and the same from 2.
        #expect(loops.count == loopCount)
        #expect(loops.first?.message == "include loop: /etc/keepalived/conf.d/1.conf is already being read")
        #expect(!doc.diagnostics.contains { $0.message.contains("nested too deeply") })
    }

    /// Without a loop, a document still reads at most 1000 included files, with one error.
    @Test func includedFilesAreBounded() {
        var files = ["/k.conf": "include /d/*.conf\ninclude /d/*.conf\n"]
        for i in 0..<600 { files["/d/\(i).conf"] = "! \(i)\n" }
        let doc = ConfigDocument.load(file: "/k.conf", fileSystem: InMemoryFileSystem(files: files))
        #expect(doc.diagnostics.map(\.description) == ["/k.conf:2:1: more than 1000 included files (include loop?)"])
    }
}

@Suite("fuzz regressions: keepalived differential")
struct DifferentialFuzzRegressionTests {
    /// `connect_timeout 0x10` was read as 16 s (Double(_:) takes hexadecimal); keepalived 2.2.7
    /// says "invalid number '0x10'" (Fuzz/regressions/keepalived-differential/, found by
    /// `Scripts/fuzz --differential keepalived`). A time is decimal digits with at most one '.'.
    @Test func hexadecimalTimeIsRefused() throws {
        let text = String(decoding: try fuzzRegression("keepalived-differential", "hex-connect-timeout.conf"), as: UTF8.self)
        let result = ConfigParser.check(text: text, file: "/k.conf", fileSystem: InMemoryFileSystem(files: [:]))
        #expect(result.errors.map(\.description) == ["/k.conf:28:29: connect_timeout: invalid time '0x10' (seconds, fractions allowed)"])
    }

    /// `connect_timeout 4294967296` was taken; keepalived 2.2.7 says "number '4294967296' outside
    /// range [0.000001, 4294.967295]" and ignores it (UINT_MAX microseconds).
    @Test func connectTimeoutAboveKeepalivedsLimitIsRefused() throws {
        let text = String(decoding: try fuzzRegression("keepalived-differential", "huge-connect-timeout.conf"), as: UTF8.self)
        let result = ConfigParser.check(text: text, file: "/k.conf", fileSystem: InMemoryFileSystem(files: [:]))
        #expect(result.errors.map(\.description) == ["/k.conf:33:23: connect_timeout: time '4294967296' is more than 4294.967295 s"])
        let at = "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.2 80 {\n    TCP_CHECK {\n      connect_timeout "
        #expect(ConfigParser.check(text: at + "4294.967295\n    }\n  }\n}\n", file: "/k.conf", fileSystem: InMemoryFileSystem(files: [:])).errors.isEmpty)
        #expect(ConfigParser.check(text: at + "4294.967296\n    }\n  }\n}\n", file: "/k.conf", fileSystem: InMemoryFileSystem(files: [:])).errors.count == 1)
    }

    @Test(arguments: ["0x10", "1e3", "-0", "inf", "nan", "1.2.3", ".", "0x1p3", "++1", "+"])
    func timesThatAreNotDecimalAreRefused(text: String) {
        let config = "virtual_server 192.0.2.1 80 {\n  delay_loop \(text)\n}\n"
        let result = ConfigParser.check(text: config, file: "/k.conf", fileSystem: InMemoryFileSystem(files: [:]))
        #expect(result.errors.map(\.message) == ["delay_loop: invalid time '\(text)' (seconds, fractions allowed)"])
    }

    // "+1": keepalived 2.2.7's strtoull takes the sign (`keepalived -t` accepts delay_loop +1).
    @Test(arguments: ["6", "0.5", "1.", ".25", "0010", "+1"])
    func decimalTimesAreRead(text: String) {
        let config = "virtual_server 192.0.2.1 80 {\n  delay_loop \(text)\n}\n"
        let result = ConfigParser.check(text: config, file: "/k.conf", fileSystem: InMemoryFileSystem(files: [:]))
        #expect(result.errors.isEmpty, "\(result.errors)")
    }
}
