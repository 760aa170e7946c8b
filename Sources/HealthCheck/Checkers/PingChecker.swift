#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVS
import NetworkModel
import Synchronization
import SystemErrors

/// PING_CHECK: one ICMP (or ICMPv6) echo that must be answered within connect_timeout.
///
/// Uses an unprivileged ping socket (SOCK_DGRAM/IPPROTO_ICMP, allowed by
/// net.ipv4.ping_group_range) when it can, else a raw socket (CAP_NET_RAW). The reply is
/// matched on source address, identifier and sequence number.
public struct PingChecker: Checker {
    public var address: IPAddress
    public var timeout: Duration
    let reactor: Reactor

    private static let sequence = Atomic<UInt16>(0)

    /// One check, resumed on the reactor after each wait (`Reactor.resumingHere`): its timeouts
    /// and latency do not depend on the caller's executor.
    public func check() async -> CheckResult { await reactor.resumingHere { await probe() } }

    private func probe() async -> CheckResult {
        let start = ContinuousClock.now
        let deadline = start + timeout
        let v6 = address.family == .inet6
        let proto = v6 ? Int32(IPPROTO_ICMPV6) : Int32(IPPROTO_ICMP)
        let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        var raw = false
        var fd = socket(address.socketDomain, Int32(SOCK_DGRAM.rawValue) | flags, proto)
        if fd < 0 {
            fd = socket(address.socketDomain, Int32(SOCK_RAW.rawValue) | flags, proto)
            raw = true
        }
        guard fd >= 0 else { return .failed(.icmp(FailureText.render(subject: "socket", errno: .current)), latency: start.duration(to: .now)) }
        defer { close(fd) }

        let ident = UInt16(truncatingIfNeeded: getpid() ^ Int32(truncatingIfNeeded: Int(bitPattern: UInt(fd))))
        let seq = Self.sequence.wrappingAdd(1, ordering: .relaxed).newValue
        var packet: [UInt8] = [v6 ? 128 : 8, 0, 0, 0, UInt8(ident >> 8), UInt8(ident & 0xFF), UInt8(seq >> 8), UInt8(seq & 0xFF)]
        packet += Array("swiftvs-ping-check".utf8)
        if !v6 {
            let sum = InternetChecksum.of(packet)
            packet[2] = UInt8(sum >> 8)
            packet[3] = UInt8(sum & 0xFF)
        }
        let sent = address.withSocketAddress(port: 0) { sa, len in
            packet.withUnsafeBytes { sendto(fd, $0.baseAddress!, $0.count, 0, sa, len) }
        }
        guard sent == packet.count else { return .failed(.icmp(FailureText.render(subject: "send", errno: .current)), latency: start.duration(to: .now)) }

        var buf = [UInt8](repeating: 0, count: 1500)
        while true {
            var from = sockaddr_storage()
            var fromLen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let received = valueOrErrno {
                buf.withUnsafeMutableBytes { b in
                    withUnsafeMutablePointer(to: &from) { p in
                        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress!, b.count, 0, $0, &fromLen) }
                    }
                }
            }
            let n: Int
            switch received {
            case let .success(count): n = count
            case .failure(.resourceTemporarilyUnavailable):
                switch await reactor.wait(fd: fd, events: SystemCalls.EPOLLIN, deadline: deadline) {
                case .ready: continue
                default: return .failed(.timedOut("no echo reply"), latency: start.duration(to: .now))
                }
            case let .failure(e): return .failed(.icmp("recv: \(e)"), latency: start.duration(to: .now))
            }
            var icmp = Array(buf[0..<n])
            if raw && !v6 {
                guard let first = icmp.first else { continue }
                let ihl = Int(first & 0x0F) * 4
                guard icmp.count >= ihl + 8 else { continue }
                icmp = Array(icmp[ihl...])
            }
            guard icmp.count >= 8, Self.source(of: from) == address else { continue }
            let type = icmp[0]
            let replySeq = UInt16(icmp[6]) << 8 | UInt16(icmp[7])
            guard type == (v6 ? 129 : 0), replySeq == seq else { continue }
            // Ping sockets rewrite the identifier to their own; raw ones keep ours.
            if raw && (UInt16(icmp[4]) << 8 | UInt16(icmp[5])) != ident { continue }
            return .ok(latency: start.duration(to: .now))
        }
    }

    static func source(of ss: sockaddr_storage) -> IPAddress? {
        var s = ss
        switch Int32(s.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin_addr) { IPAddress(bytes: $0) }
            } }
        case AF_INET6:
            return withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { IPAddress(bytes: $0) }
            } }
        default: return nil
        }
    }

}
