#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import IPVS
@testable import HealthCheck

/// The timeout of checks that must not time out (the server answers, the port refuses):
/// generous, so a machine loaded by other suites' tests cannot turn them into "timed out".
/// Tests of timing out use their own short timeouts.
let generous: Duration = .seconds(10)

/// A port on 127.0.0.1 with nothing listening (TCP, or UDP with SOCK_DGRAM).
func closedPort(_ type: __socket_type = SOCK_STREAM) -> UInt16 {
    let fd = socket(AF_INET, Int32(type.rawValue), 0)
    defer { close(fd) }
    _ = IPAddress.v4(127, 0, 0, 1).withSocketAddress(port: 0) { bind(fd, $0, $1) }
    var sa = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: sa.sin_port)
}

@Suite("checkers")
struct CheckerTests {
    @Test func md5() {
        #expect(MD5.hex([UInt8]()) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hex(Array("abc".utf8)) == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.hex(Array("The quick brown fox jumps over the lazy dog".utf8)) == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(MD5.hex(Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)) == "57edf4a22be3c955ac49da2e2107b67a")
        var m = MD5()
        for chunk in stride(from: 0, to: 1000, by: 7) { m.update((chunk..<min(chunk + 7, 1000)).map { UInt8($0 & 0xFF) }) }
        #expect(m.hexDigest() == MD5.hex((0..<1000).map { UInt8($0 & 0xFF) }))
    }

    @Test func tcpCheckSucceedsAgainstAListener() async throws {
        let server = try TestServer(response: [])
        let r = await TCPChecker(endpoint: server.endpoint, timeout: generous, reactor: testReactor).check()
        #expect(r.success && r.reason == .ok)
        #expect(r.latency > .zero)
    }

    @Test func tcpCheckFailsOnAClosedPort() async {
        let r = await TCPChecker(endpoint: Endpoint(address: .v4(127, 0, 0, 1), port: closedPort()), timeout: generous, reactor: testReactor).check()
        #expect(!r.success)
        #expect(r.reason == .connectFailed(errno: .connectionRefused, message: "Connection refused"))
        #expect("\(r)" == "failure: connect failed: Connection refused")
    }

    @Test func tcpCheckBindsTo() async throws {
        let server = try TestServer(response: [])
        var ep = server.endpoint
        ep.bindTo = .v4(127, 0, 0, 1)
        #expect(await TCPChecker(endpoint: ep, timeout: generous, reactor: testReactor).check().success)
        ep.bindTo = .v4(192, 0, 2, 1)  // not ours: bind fails, nothing is sent
        let r = await TCPChecker(endpoint: ep, timeout: generous, reactor: testReactor).check()
        guard case let .connectFailed(e, _) = r.reason else { Issue.record("\(r)"); return }
        #expect(e == .addressNotAvailable)
    }

    @Test func httpGetChecksStatus() async throws {
        let server = try TestServer(response: TestServer.http("200 OK", body: "hello"))
        let checker = HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/health")], timeout: generous, reactor: testReactor)
        let r = await checker.check()
        #expect(r.success)
        let req = try #require(server.requests.withLock { $0.first })
        #expect(req == "GET /health HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:\(server.port)\r\n\r\n")
    }

    @Test func httpStatusMismatchFailsWithTheStatus() async throws {
        let server = try TestServer(response: TestServer.http("503 Service Unavailable", body: "busy"))
        let r = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/")], timeout: generous, reactor: testReactor).check()
        #expect(!r.success)
        #expect(r.reason == .httpStatus(503))
        #expect("\(r)" == "failure: HTTP status 503")
        let accepted = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/", statusCodes: [500...599])], timeout: generous, reactor: testReactor).check()
        #expect(accepted.success)
    }

    @Test func httpDigest() async throws {
        let body = String(repeating: "0123456789abcdef", count: 10000)
        let digest = MD5.hex(Array(body.utf8))
        let server = try TestServer(response: TestServer.http("200 OK", body: body, headers: "Content-Length: \(body.utf8.count)\r\n"))
        let good = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/", digest: digest)],
                                     version: .http11, virtualhost: "www.example.com", timeout: generous, reactor: testReactor).check()
        #expect(good.success)
        #expect(server.failures.withLock { $0 }.isEmpty, "the server sent the whole body: \(server.failures.withLock { $0 })")
        #expect(server.requests.withLock { $0.last } == "GET / HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nHost: www.example.com\r\nConnection: close\r\n\r\n")
        let bad = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/", digest: String(repeating: "0", count: 32))], timeout: generous, reactor: testReactor).check()
        #expect(bad.reason == .digestMismatch(expected: String(repeating: "0", count: 32), actual: digest))
    }

    @Test func httpReadTimesOut() async throws {
        let server = try TestServer(response: nil)  // accepts, never answers
        let r = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/")], timeout: .milliseconds(200), reactor: testReactor).check()
        #expect(r.reason == .timedOut("read"))
        // The read timeout ended it (the server never answers); the bound is loose for CI load.
        #expect(r.latency >= .milliseconds(200) && r.latency < .seconds(10))
    }

    @Test func httpClosedPortAndGarbage() async throws {
        let closed = await HTTPChecker(endpoint: Endpoint(address: .v4(127, 0, 0, 1), port: closedPort()), urls: [URLCheckConfig(path: "/")], timeout: generous, reactor: testReactor).check()
        #expect(closed.reason == .connectFailed(errno: .connectionRefused, message: "Connection refused"))
        let server = try TestServer(response: Array("SSH-2.0-OpenSSH\r\n\r\n".utf8))
        let r = await HTTPChecker(endpoint: server.endpoint, urls: [URLCheckConfig(path: "/")], timeout: generous, reactor: testReactor).check()
        #expect(r.reason == .badResponse("bad status line 'SSH-2.0-OpenSSH'"))
    }

    @Test func pingLoopback() async {
        let r = await PingChecker(address: .v4(127, 0, 0, 1), timeout: generous, reactor: testReactor).check()
        #expect(r.success, "\(r)")
        let r6 = await PingChecker(address: IPAddress("::1")!, timeout: generous, reactor: testReactor).check()
        #expect(r6.success || r6.reason == .icmp("send: Cannot assign requested address") || r6.reason == .icmp("socket: Address family not supported by protocol"), "\(r6)")
    }

    @Test func factoryBuildsFromConfig() async throws {
        let server = try TestServer(response: TestServer.http("200 OK", body: "x"))
        let config = try ConfigParser.parse(text: """
        virtual_server 192.0.2.1 80 {
          protocol TCP
          real_server 127.0.0.1 \(server.port) {
            TCP_CHECK {
              connect_timeout 1
            }
            HTTP_GET {
              url {
                path /
              }
            }
            PING_CHECK {
            }
          }
        }
        """)
        let factory = CheckerFactory(runner: ProcessRunner(reactor: testReactor))
        var results: [CheckResult] = []
        for c in config.virtualServers[0].realServers[0].checkers { results.append(await factory.make(c).check()) }
        #expect(results.map(\.success) == [true, true, true])
    }
}
