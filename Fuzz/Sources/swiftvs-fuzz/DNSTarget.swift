@_spi(Fuzzing) import HealthCheck

/// What DNS_CHECK reads of a datagram that comes back: the first two input bytes are the query's
/// id, the rest the datagram. The verdict must follow the header (id, QR, RCODE) and the question
/// it echoes, and the query for a name made of the input (labels, dots, the root) must keep its
/// header and question, and be judged as no answer to itself.
enum DNSTarget {
    static func run(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let answer = Array(bytes.dropFirst(2))
        let verdict = DNSMessage.judge(answer, queryID: id, type: .soa)
        if answer.count < 12 { precondition(verdict == .ignore) }
        if case let .failure(rcode) = verdict { precondition(rcode != 0 && rcode == answer[3] & 0x0F) }
        if verdict == .success { precondition(answer[3] & 0x0F == 0 && answer[2] & 0x80 != 0) }
        let name = String(decoding: answer.prefix(64), as: UTF8.self)
        let query = DNSMessage.query(id: id, name: name, type: .soa)
        precondition(query.count >= 17 && query[0] == bytes[0] && query[1] == bytes[1])
        precondition(Array(query.suffix(4)) == [0, 6, 0, 1])
        precondition(DNSMessage.judge(query, queryID: id, type: .soa) == .ignore, "a query is never its own answer")
    }
}
