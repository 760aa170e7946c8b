#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EventLoop
import HealthCheck
import SystemErrors

/// The daemon's control socket: a Unix stream socket, mode 0600 (owner only). A client sends
/// one request line and reads the answer until the daemon closes the connection.
///
/// Requests: `status` (text), `status json`, `ping` (answers `pong`).
public enum ControlSocket {
    public static let defaultPath = "/run/swiftvs/control.sock"

    /// `PATH: STEP: REASON` (`/run/swiftvs/control.sock: bind: Address already in use`).
    public typealias SocketError = SystemCallFailure

    /// Binds and listens on `path` (its directory is created, a stale socket replaced), mode 0600.
    public static func listen(path: String) throws(SocketError) -> Int32 {
        try AtomicFile.makeDirectories(AtomicFile.directory(of: path))
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { throw SocketError(subject: path, step: "socket", errno: .current) }
        var st = stat()
        if lstat(path, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFSOCK else {
                close(fd)
                throw SocketError(subject: path, step: "exists and is not a socket", errno: .fileExists)
            }
            unlink(path)
        }
        func failed(_ step: String) -> SocketError { .closing(fd, subject: path, step: step) }
        if withAddress(path, { bind(fd, $0, $1) }) != 0 { throw failed("bind") }
        // Not listening yet, so nobody can connect before the mode is right.
        if chmod(path, 0o600) != 0 { throw failed("chmod 0600") }
        if Glibc.listen(fd, 16) != 0 { throw failed("listen") }
        return fd
    }

    /// At most this many clients are served at once; a new one beyond it takes the place of
    /// the oldest that has not yet sent its request (a flood of half-open connections cannot
    /// hold the daemon's descriptors), or is closed at once when every one is being answered.
    public static let maxClients = 32
    /// How long a client has to send its request and read the answer.
    public static let clientDeadline: Duration = .seconds(5)

    /// Serves requests on `fd` until the task is cancelled, then closes it and removes `path`.
    public static func serve(fd: Int32, path: String, reactor: Reactor,
                             handler: @escaping @Sendable (ControlRequest) async -> String) async {
        defer {
            close(fd)
            unlink(path)
        }
        let clients = ListenerClients()
        while !Task.isCancelled {
            let outcome = await reactor.wait(fd: fd, events: SystemCalls.EPOLLIN)
            if outcome == .cancelled || Task.isCancelled { break }
            while true {
                let conn = SystemCalls.accept4(fd, flags: O_CLOEXEC | O_NONBLOCK)
                if conn < 0 {
                    // Out of descriptors: the pending client stays in the backlog and the
                    // socket stays readable, so pause rather than spin on it.
                    if errno == EMFILE || errno == ENFILE {
                        try? await reactor.sleep(until: ContinuousClock.now.advanced(by: .milliseconds(100)))
                    }
                    break   // EAGAIN, or a client that went away: wait again
                }
                let displaced = clients.start(conn, limit: maxClients) { id in
                    await answer(conn, id: id, clients: clients, reactor: reactor, handler: handler)
                }
                await displaced?.value   // its descriptor closed before the next accept
            }
        }
        await clients.stopAll()
    }

    private static func answer(_ fd: Int32, id: UInt64, clients: ListenerClients, reactor: Reactor,
                               handler: @Sendable (ControlRequest) async -> String) async {
        defer { close(fd) }
        let deadline = ContinuousClock.now.advanced(by: clientDeadline)
        var request: [UInt8] = []
        while !ControlRequest.isComplete(request) {
            guard let chunk = await reactor.receive(from: fd, upTo: 512, deadline: deadline) else { return }
            if chunk.isEmpty { break }
            request += chunk
        }
        clients.answering(id)
        let reply = Array(await handler(ControlRequest(received: request)).utf8)
        await reactor.send(reply, to: fd, deadline: deadline)
    }

    /// Sends `request` to the daemon at `path` and returns its answer (blocking; for the CLI).
    public static func request(_ request: String, path: String, timeout: Int32 = 10) throws(SocketError) -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if fd < 0 { throw SocketError(subject: path, step: "socket", errno: .current) }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if withAddress(path, { connect(fd, $0, $1) }) != 0 { throw SocketError(subject: path, step: "connect", errno: .current) }
        let bytes = Array((request + "\n").utf8)
        if bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) != bytes.count {
            throw SocketError(subject: path, step: "send", errno: .current)
        }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n: Int
            do {
                n = try buf.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }   // EINTR retried
            } catch {
                let e = error as? Errno ?? .ioError
                // SO_RCVTIMEO ran out: say so, not only errno's "Resource temporarily unavailable".
                throw SocketError(subject: path, step: e == .resourceTemporarilyUnavailable ? "read: no answer within \(timeout) s" : "read", errno: e)
            }
            if n == 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func withAddress<R>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8.prefix(MemoryLayout.size(ofValue: addr.sun_path) - 1))
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let s = drop { $0 == " " || $0 == "\t" || $0 == "\r" }
        return String(s.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
