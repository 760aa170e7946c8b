import COpenSSL
#if canImport(Glibc)
import Glibc
#endif
import SystemErrors

/// TLS over a connected, non-blocking TCP connection: the handshake and every read and write
/// wait on the reactor when OpenSSL wants the socket readable or writable, so an SSL_GET never
/// blocks the reactor thread. One check's stream lives in one task.
final class TLSStream: ByteStream {
    private let tcp: TCPConnection
    private let ssl: OpaquePointer
    /// The context's library (the context outlives no stream: the checker holds both).
    private let o: UnsafePointer<swiftvs_openssl>
    private let context: TLSContext

    private init(tcp: TCPConnection, ssl: OpaquePointer, context: TLSContext) {
        self.tcp = tcp
        self.ssl = ssl
        self.context = context
        o = context.ssl.api
    }

    deinit {
        // keepalived's quiet shutdown: no close_notify is waited for.
        o.pointee.SSL_set_quiet_shutdown(ssl, 1)
        o.pointee.SSL_free(ssl)
    }

    /// The handshake over `tcp` before `deadline` (keepalived counts it in the connection's
    /// timeout), sending `serverName` as SNI when given.
    static func handshake(over tcp: TCPConnection, context: TLSContext, serverName: String?,
                          deadline: ContinuousClock.Instant) async -> Result<TLSStream, CheckResult.Reason> {
        let o = context.ssl.api
        guard let ssl = o.pointee.SSL_new(context.ctx) else { return .failure(.tls("SSL_new: \(context.lastError())")) }
        let stream = TLSStream(tcp: tcp, ssl: ssl, context: context)
        guard o.pointee.SSL_set_fd(ssl, tcp.fd) == 1 else { return .failure(.tls("SSL_set_fd: \(context.lastError())")) }
        if let serverName, swiftvs_ssl_set_sni(o, ssl, serverName) != 1 {
            return .failure(.tls("SNI \(serverName): \(context.lastError())"))
        }
        while true {
            o.pointee.ERR_clear_error()
            let rc = o.pointee.SSL_connect(ssl)
            if rc == 1 { return .success(stream) }
            let outcome = stream.outcome(of: rc, what: "handshake")   // before any await: see outcome(of:what:)
            switch await stream.next(after: outcome, deadline: deadline, what: "handshake") {
            case .retry: continue
            case let .failed(reason): return .failure(reason)
            case .closed: return .failure(.tls("handshake: connection closed by the server"))
            }
        }
    }

    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async -> CheckResult.Reason? {
        var sent = 0
        while sent < bytes.count {
            o.pointee.ERR_clear_error()
            let rc = bytes.withUnsafeBytes { o.pointee.SSL_write(ssl, $0.baseAddress! + sent, Int32(bytes.count - sent)) }
            if rc > 0 { sent += Int(rc); continue }
            let outcome = outcome(of: rc, what: "send")
            switch await next(after: outcome, deadline: deadline, what: "send") {
            case .retry: continue
            case let .failed(reason): return reason
            case .closed: return .tls("send: connection closed by the server")
            }
        }
        return nil
    }

    func read(max: Int, deadline: ContinuousClock.Instant) async -> Result<[UInt8], CheckResult.Reason> {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            o.pointee.ERR_clear_error()
            let rc = buf.withUnsafeMutableBytes { o.pointee.SSL_read(ssl, $0.baseAddress!, Int32(max)) }
            if rc > 0 { return .success(Array(buf[0..<Int(rc)])) }
            let outcome = outcome(of: rc, what: "read")
            switch await next(after: outcome, deadline: deadline, what: "read") {
            case .retry: continue
            case let .failed(reason): return .failure(reason)
            case .closed: return .success([])
            }
        }
    }

    private enum Next {
        case retry
        case closed
        case failed(CheckResult.Reason)
    }

    /// What OpenSSL's answer `rc` asks for: the socket readable or writable (the events to
    /// wait for), the end of the stream, or a failure with OpenSSL's reason.
    private enum Outcome {
        case wait(UInt32)
        case closed
        case failed(CheckResult.Reason)
    }

    /// Reads OpenSSL's answer to the call just made, synchronously, on the thread that made it:
    /// SSL_get_error and the reason read the thread's error queue, and errno is the thread's.
    /// (They were read after an await, which may resume on another thread: a check starts on
    /// its caller's thread and continues on the reactor's. A "wrong version number" pushed on
    /// the first thread's queue was then read from the second's empty one as SSL_ERROR_SYSCALL,
    /// with the second's errno: EAGAIN, or 0 for "connection closed".) For the same reason
    /// every SSL call above starts with an empty queue: SSL_get_error looks at the oldest error,
    /// and one left there before would be taken for the call's own.
    private func outcome(of rc: Int32, what: String) -> Outcome {
        let err = o.pointee.SSL_get_error(ssl, rc)
        switch err {
        case SSL_ERROR_WANT_READ: return .wait(SystemCalls.EPOLLIN)
        case SSL_ERROR_WANT_WRITE: return .wait(SystemCalls.EPOLLOUT)
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let e = errno
            let detail = context.lastError()
            if rc == 0 || e == 0 { return detail.isEmpty ? .closed : .failed(.tls("\(what): \(detail)")) }
            return .failed(.tls(FailureText.render(subject: what, errno: Errno(rawValue: e))))
        default:
            return .failed(.tls("\(what): \(context.lastError())"))
        }
    }

    /// Waits for the socket when `outcome` asks for it.
    private func next(after outcome: Outcome, deadline: ContinuousClock.Instant, what: String) async -> Next {
        let events: UInt32
        switch outcome {
        case let .wait(wanted): events = wanted
        case .closed: return .closed
        case let .failed(reason): return .failed(reason)
        }
        switch await tcp.reactor.wait(fd: tcp.fd, events: events, deadline: deadline) {
        case .ready: return .retry
        case .timedOut: return .failed(.timedOut("TLS \(what)"))
        case .cancelled: return .failed(.timedOut("cancelled"))
        }
    }
}
