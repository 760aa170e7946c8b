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
            let rc = o.pointee.SSL_connect(ssl)
            if rc == 1 { return .success(stream) }
            switch await stream.waitFor(rc, deadline: deadline, what: "handshake") {
            case .retry: continue
            case let .failed(reason): return .failure(reason)
            case .closed: return .failure(.tls("handshake: connection closed by the server"))
            }
        }
    }

    func writeAll(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async -> CheckResult.Reason? {
        var sent = 0
        while sent < bytes.count {
            let rc = bytes.withUnsafeBytes { o.pointee.SSL_write(ssl, $0.baseAddress! + sent, Int32(bytes.count - sent)) }
            if rc > 0 { sent += Int(rc); continue }
            switch await waitFor(rc, deadline: deadline, what: "send") {
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
            let rc = buf.withUnsafeMutableBytes { o.pointee.SSL_read(ssl, $0.baseAddress!, Int32(max)) }
            if rc > 0 { return .success(Array(buf[0..<Int(rc)])) }
            switch await waitFor(rc, deadline: deadline, what: "read") {
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

    /// What OpenSSL's answer `rc` asks for: a wait for the socket, the end of the stream, or
    /// a failure with OpenSSL's reason.
    private func waitFor(_ rc: Int32, deadline: ContinuousClock.Instant, what: String) async -> Next {
        let err = o.pointee.SSL_get_error(ssl, rc)
        let events: UInt32
        switch err {
        case SSL_ERROR_WANT_READ: events = SystemCalls.EPOLLIN
        case SSL_ERROR_WANT_WRITE: events = SystemCalls.EPOLLOUT
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let e = errno
            let detail = context.lastError()
            if rc == 0 || e == 0 { return detail.isEmpty ? .closed : .failed(.tls("\(what): \(detail)")) }
            return .failed(.tls(FailureText.render(subject: what, errno: Errno(rawValue: e))))
        default:
            return .failed(.tls("\(what): \(context.lastError())"))
        }
        switch await tcp.reactor.wait(fd: tcp.fd, events: events, deadline: deadline) {
        case .ready: return .retry
        case .timedOut: return .failed(.timedOut("TLS \(what)"))
        case .cancelled: return .failed(.timedOut("cancelled"))
        }
    }
}
