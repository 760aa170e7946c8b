#if canImport(Glibc)
import Glibc
#endif
import SystemErrors

/// A connected, non-blocking UDP socket of one check (UDP_CHECK, DNS_CHECK) that also receives
/// the ICMP errors about what it sent (IP_RECVERR / IPV6_RECVERR, as keepalived sets them).
final class UDPSocket: CheckerSocket, @unchecked Sendable {
    /// A socket connected to `ep` (with its mark, device and source address).
    static func connect(_ ep: Endpoint, reactor: Reactor) -> Result<UDPSocket, CheckResult.Reason> {
        let type = Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = socket(ep.address.socketDomain, type, Int32(IPPROTO_UDP))
        guard fd >= 0 else { return .failure(.connectError(.current, at: "socket")) }
        let s = UDPSocket(fd: fd, reactor: reactor)
        var on: Int32 = 1
        let v4 = ep.address.family == .inet
        let rc = v4 ? setsockopt(fd, Int32(SOL_IP), IP_RECVERR, &on, socklen_t(4))
                    : setsockopt(fd, Int32(SOL_IPV6), IPV6_RECVERR, &on, socklen_t(4))
        if rc != 0 { return .failure(.connectError(.current, at: "IP\(v4 ? "" : "V6")_RECVERR")) }
        if let r = SocketSetup.apply(ep, to: fd) { return .failure(r) }
        let crc = ep.address.withSocketAddress(port: ep.port) { Glibc.connect(fd, $0, $1) }
        if crc != 0 { return .failure(.connectError(.current)) }
        return .success(s)
    }

    /// A socket connected to `ep` that has sent `datagram`, or why there is none.
    static func sending(_ datagram: [UInt8], to ep: Endpoint, reactor: Reactor) -> Result<UDPSocket, CheckResult.Reason> {
        connect(ep, reactor: reactor).flatMap { s in s.send(datagram).map { .failure($0) } ?? .success(s) }
    }

    /// Sends one datagram.
    func send(_ bytes: [UInt8]) -> CheckResult.Reason? {
        switch valueOrErrno({ bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) } }) {
        case let .success(n) where n == bytes.count: return nil
        case let .success(n): return .badResponse("send: \(n) of \(bytes.count) bytes sent")
        case let .failure(e): return .connectError(e, at: "send")
        }
    }

    /// What came back before `deadline`.
    enum Reply {
        /// A datagram.
        case datagram([UInt8])
        /// An ICMP destination unreachable about what was sent (its ICMP code).
        case unreachable(code: UInt8)
        /// recv failed with this errno (a pending socket error other than unreachable).
        case error(Errno)
        case timedOut
        case cancelled
    }

    /// The next datagram, ICMP error or silence until `deadline`.
    func receive(max: Int, deadline: ContinuousClock.Instant) async -> Reply {
        var buf = [UInt8](repeating: 0, count: max)
        while true {
            if let code = unreachableInErrorQueue() { return .unreachable(code: code) }
            switch valueOrErrno({ buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, $0.count, 0) } }) {
            case let .success(n): return .datagram(Array(buf[0..<n]))
            case .failure(.resourceTemporarilyUnavailable): break
            case let .failure(e):
                if let code = unreachableInErrorQueue() { return .unreachable(code: code) }
                return .error(e)
            }
            switch await reactor.wait(fd: fd, events: SystemCalls.EPOLLIN, deadline: deadline) {
            case .ready: continue
            case .timedOut: return .timedOut
            case .cancelled: return .cancelled
            }
        }
    }

    /// Reads the socket's error queue (MSG_ERRQUEUE): the ICMP code of a destination-unreachable
    /// error if one is there (ICMP type 3, ICMPv6 type 1), as keepalived's udp_socket_error looks
    /// for; other queued errors are consumed and ignored, as there.
    private func unreachableInErrorQueue() -> UInt8? {
        var found: UInt8?
        var data = [UInt8](repeating: 0, count: 64)
        var control = [UInt64](repeating: 0, count: 64)  // 512 bytes, 8-aligned for cmsghdr
        while true {
            let n: Int = data.withUnsafeMutableBytes { d in
                control.withUnsafeMutableBytes { c in
                    var iov = iovec(iov_base: d.baseAddress, iov_len: d.count)
                    return withUnsafeMutablePointer(to: &iov) { iovp in
                        var msg = msghdr(msg_name: nil, msg_namelen: 0, msg_iov: iovp, msg_iovlen: 1,
                                         msg_control: c.baseAddress, msg_controllen: c.count, msg_flags: 0)
                        let r = recvmsg(fd, &msg, Int32(MSG_ERRQUEUE))
                        if r < 0 { return -1 }
                        if let code = Self.unreachable(control: UnsafeRawBufferPointer(rebasing: c[0..<Int(msg.msg_controllen)])) {
                            found = code
                        }
                        return r
                    }
                }
            }
            if n < 0 { return found }
        }
    }

    /// The ICMP code of a destination-unreachable `sock_extended_err` in `control`, or nil.
    /// Layout (64-bit Linux): cmsghdr { size_t len; int level; int type } then the data at 16;
    /// sock_extended_err { u32 errno; u8 origin; u8 type; u8 code; u8 pad; u32 info; u32 data }.
    static func unreachable(control: UnsafeRawBufferPointer) -> UInt8? {
        var off = 0
        let header = MemoryLayout<cmsghdr>.size
        while off + header <= control.count {
            let len = Int(control.loadUnaligned(fromByteOffset: off, as: Int.self))
            let level = control.loadUnaligned(fromByteOffset: off + 8, as: Int32.self)
            let type = control.loadUnaligned(fromByteOffset: off + 12, as: Int32.self)
            guard len >= header, off + len <= control.count else { return nil }
            if len >= header + 8 {
                let origin = control[off + header + 4], icmpType = control[off + header + 5], code = control[off + header + 6]
                if level == Int32(SOL_IP) && type == IP_RECVERR && origin == 2 /* SO_EE_ORIGIN_ICMP */ && icmpType == 3 { return code }
                if level == Int32(SOL_IPV6) && type == IPV6_RECVERR && origin == 3 /* SO_EE_ORIGIN_ICMP6 */ && icmpType == 1 { return code }
            }
            off += (len + 7) & ~7
        }
        return nil
    }
}
