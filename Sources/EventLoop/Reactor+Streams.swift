#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// Reading and writing a non-blocking stream socket on the reactor: what the control socket and
/// the metrics endpoint each did by hand (EINTR retried, EAGAIN waited for, every wait bounded
/// by the caller's deadline).
extension Reactor {
    /// Reads at most `limit` bytes from the non-blocking socket `fd` once some are there, waiting
    /// for them on the reactor until `deadline`: the bytes (empty at the end of the stream), or
    /// nil on an error, the deadline or cancellation.
    public func receive(from fd: Int32, upTo limit: Int, deadline: ContinuousClock.Instant) async -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: max(limit, 1))
        while true {
            switch valueOrErrno({ buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) } }) {
            case let .success(n):
                buffer.removeLast(buffer.count - n)
                return buffer
            case .failure(.wouldBlock):
                guard case .ready = await wait(fd: fd, events: SystemCalls.EPOLLIN, deadline: deadline) else { return nil }
            case .failure:
                return nil
            }
        }
    }

    /// Sends all of `bytes` on the non-blocking socket `fd` (no SIGPIPE), waiting for room on the
    /// reactor until `deadline`; false when it stopped early (an error, the deadline, cancellation).
    @discardableResult
    public func send(_ bytes: [UInt8], to fd: Int32, deadline: ContinuousClock.Instant) async -> Bool {
        var done = 0
        while done < bytes.count {
            switch valueOrErrno({ bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) } }) {
            case let .success(n) where n > 0:
                done += n
            case .failure(.wouldBlock):
                guard case .ready = await wait(fd: fd, events: SystemCalls.EPOLLOUT, deadline: deadline) else { return false }
            case .success, .failure:
                return false
            }
        }
        return true
    }
}
