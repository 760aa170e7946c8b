import Director

/// What a control-socket client sent, read as the daemon reads it: bytes arriving in the
/// chunks the first input byte sets (the socket reads 512 at a time), until a newline or
/// `ControlRequest.maxBytes`, then the request they name and the answer to an unknown one.
enum ControlTarget {
    static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunkSize = Int(first % 64) * 8 + 1
        let sent = Array(bytes.dropFirst())
        var received: [UInt8] = []
        var offset = 0
        while !ControlRequest.isComplete(received) && offset < sent.count {
            let end = min(sent.count, offset + chunkSize)
            received += sent[offset..<end]
            offset = end
        }
        if case let .unknown(line) = ControlRequest(received: received) {
            let answer = ControlRequest.unknownAnswer(line)
            // One line: the client reads to the end, but a log or a terminal shows lines.
            precondition(answer.utf8.filter { $0 == 10 }.count == 1, "a multi-line answer to \(line.debugDescription)")
            precondition(line.utf8.count <= ControlRequest.maxBytes * 3)
        }
    }
}
