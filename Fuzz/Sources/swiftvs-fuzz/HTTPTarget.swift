@_spi(Fuzzing) import HealthCheck

/// What HTTP_GET reads of a real server's answer: the head (status line, Content-Length) and
/// the body counted off it, the bytes arriving in the chunks the first input byte sets.
enum HTTPTarget {
    static func run(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let chunkSize = Int(first) + 1
        let response = Array(bytes.dropFirst())
        var received: [UInt8] = []
        var offset = 0
        while HTTPResponseHead.end(of: received) == nil {
            guard offset < response.count else { return }   // closed inside the head
            let end = min(response.count, offset + chunkSize)
            received += response[offset..<end]
            offset = end
        }
        guard case let .success(head) = HTTPResponseHead.parse(received) else { return }
        precondition(head.bodyStart <= received.count)
        var body = HTTPBodyCounter(contentLength: head.contentLength)
        var hashed = body.take(received[head.bodyStart...]).count
        while !body.isComplete {
            guard offset < response.count else { body.finish(); break }
            let end = min(response.count, offset + chunkSize)
            hashed += body.take(response[offset..<end]).count
            offset = end
        }
        if let length = head.contentLength { precondition(hashed <= length) }
    }
}
