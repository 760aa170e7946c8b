import SystemErrors

/// UDP_CHECK as keepalived 2.2.7 runs it (check_udp.c, layer4.c): one datagram on a connected
/// socket, then up to connect_timeout for what comes back.
///
/// * An ICMP destination unreachable (port unreachable: nothing listens) fails the check, as
///   does any other error recv reports.
/// * Silence is a success, unless `require_reply`.
/// * A reply succeeds, unless its length is outside min_reply_length…max_reply_length or its
///   first bytes differ from `require_reply`'s (X nibbles match anything); keepalived compares
///   only as many bytes as both have.
public struct UDPChecker: Checker {
    public var endpoint: Endpoint
    public var config: UDPCheckConfig
    public var timeout: Duration
    let reactor: Reactor

    /// What keepalived sends without a payload: 32 bytes of "keepalived check - " repeated.
    public static let defaultPayload: [UInt8] = Array(String(repeating: "keepalived check - ", count: 2).utf8.prefix(32))

    /// One check, resumed on the reactor after each wait (`Reactor.resumingHere`): its timeouts
    /// and latency do not depend on the caller's executor.
    public func check() async -> CheckResult { await reactor.resumingHere { await .timing { await exchange(deadline: .now + timeout) } } }

    private func exchange(deadline: ContinuousClock.Instant) async -> CheckResult.Reason? {
        let sock: UDPSocket
        switch UDPSocket.sending(config.payload ?? Self.defaultPayload, to: endpoint, reactor: reactor) {
        case let .success(s): sock = s
        case let .failure(r): return r
        }
        switch await sock.receive(max: config.maxReplyLength + 1, deadline: deadline) {
        case let .datagram(d): return config.requireReply ? Self.mismatch(d, config) : nil
        case let .unreachable(code): return .unreachable("ICMP destination unreachable, code \(code)")
        case let .error(e): return .connectError(e, at: "recv")
        case .timedOut: return config.requireReply ? .timedOut("no UDP reply") : nil
        case .cancelled: return .timedOut("cancelled")
        }
    }

    /// Why `reply` does not match `config`'s expectation, or nil (keepalived's check_udp_reply).
    public static func mismatch(_ reply: [UInt8], _ config: UDPCheckConfig) -> CheckResult.Reason? {
        if reply.count < config.minReplyLength || reply.count > config.maxReplyLength {
            return .badResponse("UDP reply of \(reply.count) bytes, expected \(config.minReplyLength)…\(config.maxReplyLength)")
        }
        guard let expected = config.reply else { return nil }
        for i in 0..<min(reply.count, expected.count) {
            let ignore = config.replyMask?[i] ?? 0
            if (reply[i] ^ expected[i]) & ~ignore != 0 { return .badResponse("UDP reply data mismatch at byte \(i)") }
        }
        return nil
    }

    /// keepalived's read_hex_str: pairs of hex digits (a lone digit before a space or the end is
    /// one byte), spaces and tabs between bytes; with `wildcards`, an X digit matches anything
    /// (its mask nibble is 0xF). nil when a character is not a digit or nothing was read.
    public static func hexBytes(_ text: String, wildcards: Bool) -> (bytes: [UInt8], mask: [UInt8]?)? {
        let chars = Array(text.utf8)
        var bytes: [UInt8] = [], mask: [UInt8] = [], usedMask = false
        func nibble(_ c: UInt8) -> (UInt8, UInt8)? {
            switch c {
            case 48...57: return (c - 48, 0)
            case 65...70: return (c - 55, 0)
            case 97...102: return (c - 87, 0)
            case 88 where wildcards, 120 where wildcards: usedMask = true; return (0, 0xF)
            default: return nil
            }
        }
        var i = 0
        while true {
            while i < chars.count && (chars[i] == 32 || chars[i] == 9) { i += 1 }
            if i == chars.count { break }
            guard var (v, m) = nibble(chars[i]) else { return nil }
            i += 1
            if i < chars.count && chars[i] != 32 {
                guard let (v2, m2) = nibble(chars[i]) else { return nil }
                i += 1
                v = v << 4 | v2
                m = m << 4 | m2
            }
            bytes.append(v)
            mask.append(m)
        }
        return bytes.isEmpty ? nil : (bytes, usedMask ? mask : nil)
    }
}
