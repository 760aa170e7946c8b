import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import IPVS
@testable import HealthCheck

/// A TCP listener on 127.0.0.1 (ephemeral port) that answers each connection with `response`
/// (or holds it open without an answer, when nil) and records the request head it received.
///
/// It is served by a thread of its own, not by a task: the cooperative pool is what the code
/// under test and every other suite share, and with two cores it has two threads, so a server
/// waiting there behind CPU-bound tests answered late and the checks under test timed out.
final class TestServer: Sendable {
    final class Log: Sendable {
        let m = Mutex<[String]>([])
        func withLock<R>(_ body: (inout [String]) -> R) -> R { m.withLock { body(&$0) } }
    }

    let port: UInt16
    let requests = Log()
    /// Sends the server gave up, each with its reason (a client that stops reading and closes,
    /// as a check that has seen enough does, makes one): for a test to look at.
    let failures = Log()
    /// One end of a socket pair whose closing ends the serving thread.
    private let stop: Int32

    init(response: [UInt8]?) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        guard IPAddress.v4(127, 0, 0, 1).withSocketAddress(port: 0, { bind(fd, $0, $1) }) == 0, listen(fd, 64) == 0 else {
            let failure = errno
            close(fd)
            throw TestError("bind/listen: \(String(cString: strerror(failure)))")
        }
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        port = UInt16(bigEndian: sa.sin_port)
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &ends) == 0 else {
            close(fd)
            throw TestError("socketpair: \(String(cString: strerror(errno)))")
        }
        stop = ends[1]
        let (requests, failures) = (self.requests, self.failures)
        let stopped = ends[0]
        Thread { Self.serve(fd, until: stopped, response: response, requests: requests, failures: failures) }.start()
    }

    deinit { close(stop) }

    var endpoint: Endpoint { Endpoint(address: .v4(127, 0, 0, 1), port: port) }

    static func http(_ status: String, body: String, headers: String = "") -> [UInt8] {
        Array("HTTP/1.0 \(status)\r\nContent-Type: text/plain\r\n\(headers)\r\n\(body)".utf8)
    }

    /// Accepts until `stopped` reads as closed, then closes every descriptor it holds.
    private static func serve(_ fd: Int32, until stopped: Int32, response: [UInt8]?, requests: Log, failures: Log) {
        var held: [Int32] = []
        defer { for c in held + [fd, stopped] { close(c) } }
        while ready(fd, for: Int16(POLLIN), unless: stopped, within: -1) {
            let c = SystemCalls.accept4(fd, flags: Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
            guard c >= 0 else { continue }   // the client gave up before the accept
            requests.withLock { $0.append(String(decoding: head(of: c, unless: stopped), as: UTF8.self)) }
            guard let response else { held.append(c); continue }
            if let failure = send(response, to: c, unless: stopped) { failures.withLock { $0.append(failure) } }
            close(c)
        }
    }

    /// The request head, or what came of it before the client stopped sending (5 s at most).
    private static func head(of c: Int32, unless stopped: Int32) -> [UInt8] {
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while HTTPChecker.headerEnd(got) == nil {
            let n = recv(c, &buf, buf.count, 0)
            if n > 0 { got += buf[0..<n]; continue }
            guard n < 0, errno == EAGAIN || errno == EINTR, ready(c, for: Int16(POLLIN), unless: stopped, within: 5000) else { break }
        }
        return got
    }

    /// Sends the whole response; why it stopped short, if it did.
    private static func send(_ response: [UInt8], to c: Int32, unless stopped: Int32) -> String? {
        var sent = 0
        while sent < response.count {
            let n = response.withUnsafeBytes { Glibc.send(c, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n > 0 { sent += n; continue }
            let e = errno
            guard n < 0, e == EAGAIN || e == EINTR else { return "send after \(sent) of \(response.count) bytes: \(String(cString: strerror(e)))" }
            guard ready(c, for: Int16(POLLOUT), unless: stopped, within: 5000) else {
                return "send after \(sent) of \(response.count) bytes: not writable within 5 s, or the server stopped"
            }
        }
        return nil
    }

    /// Whether `fd` became ready for `events` before the timeout (milliseconds; -1: none) and
    /// before the server was stopped.
    private static func ready(_ fd: Int32, for events: Int16, unless stopped: Int32, within timeout: Int32) -> Bool {
        var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: stopped, events: Int16(POLLIN), revents: 0)]
        while true {
            let n = poll(&fds, 2, timeout)
            if n < 0 && errno == EINTR { continue }
            return n > 0 && fds[1].revents == 0 && fds[0].revents != 0
        }
    }
}
