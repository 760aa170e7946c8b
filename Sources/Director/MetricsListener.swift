#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EventLoop
import NetworkModel
import SystemErrors
import Synchronization

/// The `--metrics` HTTP endpoint: `GET /metrics` answers the Prometheus text format, `GET /` a
/// one-line page that links to it, anything else 404. HTTP/1.0 and 1.1, one request per
/// connection (`Connection: close`).
///
/// It runs on the daemon's reactor: the listening socket and every client socket are
/// non-blocking and waited on by the reactor's epoll, each client is a small task (no thread),
/// and every wait has a deadline. A client cannot hold the daemon: its request must arrive
/// whole within `Limits.requestTimeout` and `Limits.maxRequestBytes`, its answer be taken within
/// `Limits.responseTimeout`, and when `Limits.maxClients` are connected the one that has waited
/// longest for its request is dropped to make room, so a flood of idle connections delays a
/// real scrape by one accept, not by a timeout.
public enum MetricsListener {
    /// Bounds on a client.
    public struct Limits: Sendable {
        public var maxRequestBytes = 8192
        public var requestTimeout: Duration = .seconds(5)
        public var responseTimeout: Duration = .seconds(10)
        public var maxClients = 32

        public init() {}
    }

    /// Why the listener could not be opened.
    /// `ADDRESS: STEP: REASON` (`127.0.0.1:9898: bind: Address already in use`).
    public typealias SocketError = SystemCallFailure

    /// A bound, listening, non-blocking TCP socket on `address`.
    public static func listen(_ address: MetricsAddress) throws(SocketError) -> Int32 {
        let v6 = address.address.family == .inet6
        let fd = socket(address.address.socketDomain, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { throw SocketError(subject: "\(address)", step: "socket", errno: .current) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if v6 { _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size)) }
        func failed(_ step: String) -> SocketError { .closing(fd, subject: "\(address)", step: step) }
        if address.address.withSocketAddress(port: address.port, { bind(fd, $0, $1) }) != 0 { throw failed("bind") }
        if Glibc.listen(fd, 64) != 0 { throw failed("listen") }
        return fd
    }

    /// The port `fd` is bound to (for a listener opened on port 0 in tests).
    public static func boundPort(_ fd: Int32) -> UInt16? {
        var storage = sockaddr_in6()
        var len = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return nil }
        // sin_port and sin6_port are at the same offset.
        return UInt16(bigEndian: storage.sin6_port)
    }

    /// Serves `fd` until the task is cancelled, then closes it and drops every client.
    /// `metrics` renders one scrape.
    public static func serve(fd: Int32, reactor: Reactor, limits: Limits = Limits(),
                             metrics: @escaping @Sendable () async -> [UInt8]) async {
        let clients = ListenerClients()
        defer { close(fd) }
        while !Task.isCancelled {
            let outcome = await reactor.wait(fd: fd, events: SystemCalls.EPOLLIN)
            if outcome == .cancelled || Task.isCancelled { break }
            while true {
                let conn = SystemCalls.accept4(fd, flags: O_CLOEXEC | O_NONBLOCK)
                if conn < 0 { break }   // EAGAIN, or a client that went away: wait again
                let displaced = clients.start(conn, limit: limits.maxClients) { id in
                    await MetricsConnection(fd: conn, id: id, reactor: reactor, limits: limits, clients: clients).run(metrics)
                }
                await displaced?.value   // its descriptor closed before the next accept
            }
        }
        await clients.stopAll()
    }
}
