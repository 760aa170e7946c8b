import SystemErrors

/// A DNS query type DNS_CHECK can ask for (keepalived's table: A, NS, CNAME, SOA, MX, TXT,
/// AAAA, RRSIG, DNSKEY).
public struct DNSQuestionType: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// keepalived's names and codes.
    public static let known: [(name: String, code: UInt16)] = [
        ("A", 1), ("NS", 2), ("CNAME", 5), ("SOA", 6), ("MX", 15), ("TXT", 16), ("AAAA", 28), ("RRSIG", 46), ("DNSKEY", 48),
    ]

    /// SOA, keepalived's default.
    public static let soa = DNSQuestionType(rawValue: 6)

    /// The type named `name` (any case), as keepalived's lookup; nil for another name.
    public init?(name: String) {
        let upper = name.uppercased()
        guard let t = Self.known.first(where: { $0.name == upper }) else { return nil }
        rawValue = t.code
    }

    public var description: String { Self.known.first { $0.code == rawValue }?.name ?? "TYPE\(rawValue)" }
}

/// DNS_CHECK's two messages: the query it sends and its reading of an answer, as keepalived
/// 2.2.7's check_dns.c. Pure, so the reading of hostile answers is tested and fuzzed without a
/// server. SPI for the fuzz targets (Fuzz/).
@_spi(Fuzzing)
public enum DNSMessage {
    /// A query: header (`id`, RD set, one question), the name as labels (a trailing dot or the
    /// root `.` as keepalived writes them), `type`, class IN.
    public static func query(id: UInt16, name: String, type: DNSQuestionType) -> [UInt8] {
        var out: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        let bytes = Array(name.utf8)
        var s = 0
        while s < bytes.count {
            let e = bytes[s...].firstIndex(of: 0x2E) ?? bytes.count
            out.append(UInt8(truncatingIfNeeded: e - s))
            out += bytes[s..<e]
            s = e < bytes.count ? e + 1 : e
        }
        if name != "." { out.append(0) }
        out += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1]
        return out
    }

    /// What a datagram received by DNS_CHECK means.
    public enum Verdict: Sendable, Equatable {
        /// Not the answer: too short for a header, another id, or not a response (QR clear).
        /// keepalived keeps waiting for the answer until the timeout.
        case ignore
        /// The answer, RCODE 0 (NOERROR): the server is up.
        case success
        /// The answer with this RCODE (SERVFAIL, NXDOMAIN, REFUSED…): a failure.
        case failure(rcode: UInt8)
    }

    /// keepalived's reading: the id must be the query's, QR set, and RCODE 0. One check more
    /// than keepalived's: an answer that echoes a question must echo this query's type and
    /// class IN, else it answers another query and is not the answer (a server that omits the
    /// question, as some do with an error RCODE, is judged by its header).
    public static func judge(_ answer: [UInt8], queryID: UInt16, type: DNSQuestionType) -> Verdict {
        guard answer.count >= 12 else { return .ignore }
        let id = UInt16(answer[0]) << 8 | UInt16(answer[1])
        let flags = UInt16(answer[2]) << 8 | UInt16(answer[3])
        guard id == queryID, flags & 0x8000 != 0 else { return .ignore }
        if questionCount(answer) > 0, questionTypeAndClass(answer) != [type.rawValue, 1] { return .ignore }
        let rcode = UInt8(flags & 0x000F)
        return rcode == 0 ? .success : .failure(rcode: rcode)
    }

    /// QDCOUNT, from a message of at least a header.
    static func questionCount(_ m: [UInt8]) -> UInt16 { UInt16(m[4]) << 8 | UInt16(m[5]) }

    /// The first question's QTYPE and QCLASS, nil when the name or they run past the end.
    static func questionTypeAndClass(_ m: [UInt8]) -> [UInt16]? {
        var i = 12
        while true {
            guard i < m.count else { return nil }
            let length = Int(m[i])
            if length == 0 { i += 1; break }
            if length & 0xC0 == 0xC0 { i += 2; break }  // a compression pointer ends the name
            guard length & 0xC0 == 0 else { return nil }
            i += 1 + length
        }
        guard i + 4 <= m.count else { return nil }
        return [UInt16(m[i]) << 8 | UInt16(m[i + 1]), UInt16(m[i + 2]) << 8 | UInt16(m[i + 3])]
    }

    /// RFC 1035/6895 names of the RCODEs keepalived may log as numbers.
    public static func rcodeName(_ rcode: UInt8) -> String {
        let names = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"]
        return Int(rcode) < names.count ? names[Int(rcode)] : "RCODE \(rcode)"
    }
}

/// DNS_CHECK: one query over a connected UDP socket; the check succeeds on an answer with the
/// query's id, QR set and RCODE 0 before connect_timeout, and fails on another RCODE, an ICMP
/// unreachable, or silence. Datagrams that are not the answer are ignored, as keepalived does.
public struct DNSChecker: Checker {
    public var endpoint: Endpoint
    public var type: DNSQuestionType
    public var name: String
    public var timeout: Duration
    let reactor: Reactor

    /// One check, resumed on the reactor after each wait (`Reactor.resumingHere`): its timeouts
    /// and latency do not depend on the caller's executor.
    public func check() async -> CheckResult { await reactor.resumingHere { await .timing { await ask(deadline: .now + timeout) } } }

    private func ask(deadline: ContinuousClock.Instant) async -> CheckResult.Reason? {
        let id = UInt16.random(in: 0...UInt16.max)
        let sock: UDPSocket
        switch UDPSocket.sending(DNSMessage.query(id: id, name: name, type: type), to: endpoint, reactor: reactor) {
        case let .success(s): sock = s
        case let .failure(r): return r
        }
        while true {
            switch await sock.receive(max: 768, deadline: deadline) {
            case let .datagram(d):
                switch DNSMessage.judge(d, queryID: id, type: type) {
                case .ignore: continue
                case .success: return nil
                case let .failure(rcode): return .badResponse("DNS answer rcode \(rcode) (\(DNSMessage.rcodeName(rcode)))")
                }
            case let .unreachable(code): return .unreachable("ICMP destination unreachable, code \(code)")
            case let .error(e): return .connectError(e, at: "recv")
            case .timedOut: return .timedOut("no DNS answer")
            case .cancelled: return .timedOut("cancelled")
            }
        }
    }
}
