#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVS
import SystemErrors

/// Where a checker connects, and from where.
public struct Endpoint: Sendable, Hashable {
    public var address: IPAddress
    public var port: UInt16
    public var bindTo: IPAddress?
    public var bindPort: UInt16?
    public var bindInterface: String?
    public var fwmark: UInt32?
}

/// The checker's own end of a socket, TCP or UDP: its mark, device and source address.
enum SocketSetup {
    /// fwmark (SO_MARK), bind_if (SO_BINDTODEVICE), bindto / bind_port (bind), in that order.
    static func apply(_ ep: Endpoint, to fd: Int32) -> CheckResult.Reason? {
        if let mark = ep.fwmark {
            var m = mark
            if setsockopt(fd, SOL_SOCKET, 36 /* SO_MARK */, &m, socklen_t(4)) != 0 {
                return .connectError(.current, at: "SO_MARK")
            }
        }
        if let ifname = ep.bindInterface {
            let rc = ifname.withCString { setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, $0, socklen_t(strlen($0) + 1)) }
            if rc != 0 { return .connectError(.current, at: "bind_if \(ifname)") }
        }
        if ep.bindTo != nil || ep.bindPort != nil {
            let src = ep.bindTo ?? .any(ep.address.family)
            let rc = src.withSocketAddress(port: ep.bindPort ?? 0) { bind(fd, $0, $1) }
            if rc != 0 { return .connectError(.current, at: "bind \(src)") }
        }
        return nil
    }
}

/// A checker's socket: its descriptor, closed with it, and the reactor that waits on it.
class CheckerSocket: @unchecked Sendable {  // immutable: a descriptor and a Sendable reactor
    let fd: Int32
    let reactor: Reactor

    init(fd: Int32, reactor: Reactor) {
        self.fd = fd
        self.reactor = reactor
    }

    deinit { close(fd) }
}

/// A non-blocking, close-on-exec TCP connection driven by the reactor.
final class TCPConnection: CheckerSocket, @unchecked Sendable {
    /// Starts a connection: the socket, its options and a non-blocking connect. `.failure`
    /// when it failed at once; otherwise the connection and whether it is established already
    /// (if not, wait for EPOLLOUT, then ask `result()`).
    static func begin(_ ep: Endpoint, reactor: Reactor) -> Result<(TCPConnection, established: Bool), CheckResult.Reason> {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(ep.address.socketDomain, type, 0)
        guard fd >= 0 else { return .failure(.connectError(.current, at: "socket")) }
        let conn = TCPConnection(fd: fd, reactor: reactor)
        if let r = conn.prepare(ep) { return .failure(r) }
        let rc = ep.address.withSocketAddress(port: ep.port) { Glibc.connect(fd, $0, $1) }
        if rc == 0 { return .success((conn, true)) }
        let e = Errno.current
        guard e == .nowInProgress else { return .failure(.connectError(e)) }
        return .success((conn, false))
    }

    /// How an in-progress connect ended, once the socket reported writable or an error: nil
    /// when it is established.
    func result() -> CheckResult.Reason? {
        var err: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
        return err == 0 ? nil : .connectError(Errno(rawValue: err))
    }

    /// Connects before `deadline`.
    static func connect(_ ep: Endpoint, deadline: ContinuousClock.Instant, reactor: Reactor) async -> Result<TCPConnection, CheckResult.Reason> {
        switch begin(ep, reactor: reactor) {
        case let .failure(r):
            return .failure(r)
        case let .success((conn, established)):
            if established { return .success(conn) }
            switch await reactor.wait(fd: conn.fd, events: SystemCalls.EPOLLOUT, deadline: deadline) {
            case .timedOut: return .failure(.timedOut("connect"))
            case .cancelled: return .failure(.timedOut("cancelled"))
            case .ready: break
            }
            if let r = conn.result() { return .failure(r) }
            return .success(conn)
        }
    }

    /// bindto / bind_port / bind_if / fwmark.
    func prepare(_ ep: Endpoint) -> CheckResult.Reason? { SocketSetup.apply(ep, to: fd) }

    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async -> CheckResult.Reason? {
        var sent = 0
        while sent < bytes.count {
            switch valueOrErrno({ bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) } }) {
            case let .success(n) where n > 0: sent += n; continue
            case .success: return .badResponse(FailureText.render(subject: "send", errno: .current))
            case .failure(.resourceTemporarilyUnavailable): break
            case let .failure(e): return .badResponse("send: \(e)")
            }
            switch await reactor.wait(fd: fd, events: SystemCalls.EPOLLOUT, deadline: deadline) {
            case .ready: continue
            default: return .timedOut("send")
            }
        }
        return nil
    }

    /// Reads what is available (waiting until `deadline`); empty array at EOF.
    func read(max: Int, deadline: ContinuousClock.Instant) async -> Result<[UInt8], CheckResult.Reason> {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            switch valueOrErrno({ buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, max, 0) } }) {
            case let .success(n): return .success(Array(buf[0..<n]))
            case .failure(.resourceTemporarilyUnavailable): break
            case let .failure(e): return .failure(.badResponse("recv: \(e)"))
            }
            switch await reactor.wait(fd: fd, events: SystemCalls.EPOLLIN | SystemCalls.EPOLLRDHUP, deadline: deadline) {
            case .ready: continue
            default: return .failure(.timedOut("read"))
            }
        }
    }
}

/// TCP_CHECK: a TCP connection that opens within connect_timeout.
///
/// The daemon drives it without a task (`StartableChecker`): the connect is started from the
/// check's timer, and the reactor calls back when the socket is writable, in error or late, so
/// that 37,000 checkers are 37,000 small objects and timers, not suspended tasks.
public struct TCPChecker: StartableChecker {
    public var endpoint: Endpoint
    public var timeout: Duration
    let reactor: Reactor

    /// One check, resumed on the reactor after each wait (`Reactor.resumingHere`): its timeouts
    /// and latency do not depend on the caller's executor.
    public func check() async -> CheckResult { await reactor.resumingHere { await probe() } }

    private func probe() async -> CheckResult {
        let start = ContinuousClock.now
        switch await TCPConnection.connect(endpoint, deadline: start + timeout, reactor: reactor) {
        case .success: return .ok(latency: start.duration(to: .now))
        case let .failure(r): return .failed(r, latency: start.duration(to: .now))
        }
    }

    public func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
        let start = ContinuousClock.now
        switch TCPConnection.begin(endpoint, reactor: reactor) {
        case let .failure(r):
            completion(.failed(r, latency: start.duration(to: .now)))
            return {}
        case let .success((conn, established)):
            if established {
                completion(.ok(latency: start.duration(to: .now)))
                return {}
            }
            // The callback holds the connection (its socket) until the wait ends.
            let id = reactor.watch(fd: conn.fd, events: SystemCalls.EPOLLOUT, deadline: start + timeout) { outcome in
                let latency = start.duration(to: .now)
                switch outcome {
                case .timedOut: completion(.failed(.timedOut("connect"), latency: latency))
                case .cancelled: completion(.failed(.timedOut("cancelled"), latency: latency))
                case .ready: completion(conn.result().map { .failed($0, latency: latency) } ?? .ok(latency: latency))
                }
            }
            let reactor = self.reactor
            return { reactor.cancelFDWatch(id) }
        }
    }
}
