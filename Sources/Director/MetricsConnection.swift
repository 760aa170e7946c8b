#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import EventLoop

/// One client of the metrics endpoint: reads its request (bounded in size and time), answers,
/// closes. Every wait is a reactor wait with a deadline; cancellation (the listener stopping, or
/// the client dropped to make room) ends it at its next wait.
struct MetricsConnection {
    let fd: Int32
    let id: UInt64
    let reactor: Reactor
    let limits: MetricsListener.Limits
    let clients: ListenerClients

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    static let index = Array(#"<html><head><title>swiftvs</title></head><body><a href="/metrics">metrics</a></body></html>"#.utf8) + [10]

    func run(_ metrics: @Sendable () async -> [UInt8]) async {
        defer { close(fd) }
        let response: [UInt8]
        switch await readHead() {
        case nil:
            return
        case .incomplete:
            response = Self.response(431, "Request Header Fields Too Large", type: "text/plain", body: Array("request too large\n".utf8))
        case .malformed:
            response = Self.response(400, "Bad Request", type: "text/plain", body: Array("bad request\n".utf8))
        case let .complete(head):
            clients.answering(id)
            response = await answer(head, metrics)
        }
        await write(response)
    }

    private func answer(_ head: HTTPRequestHead, _ metrics: @Sendable () async -> [UInt8]) async -> [UInt8] {
        let isHead = head.method == "HEAD"
        guard head.method == "GET" || isHead else { return Self.notFound }
        switch head.path {
        case "/metrics":
            let body = await metrics()
            return Self.response(200, "OK", type: Self.contentType, body: body, headOnly: isHead)
        case "/":
            return Self.response(200, "OK", type: "text/html; charset=utf-8", body: Self.index, headOnly: isHead)
        default:
            return Self.notFound
        }
    }

    static let notFound = response(404, "Not Found", type: "text/plain", body: Array("not found: try /metrics\n".utf8))

    static func response(_ status: Int, _ text: String, type: String, body: [UInt8], headOnly: Bool = false) -> [UInt8] {
        let head = "HTTP/1.1 \(status) \(text)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return Array(head.utf8) + (headOnly ? [] : body)
    }

    /// The request head; nil when the client went away, timed out or was cancelled.
    private func readHead() async -> HTTPRequestHead.Parse? {
        let deadline = ContinuousClock.now + limits.requestTimeout
        var request: [UInt8] = []
        while true {
            let limit = min(2048, limits.maxRequestBytes + 1 - request.count)
            guard let chunk = await reactor.receive(from: fd, upTo: limit, deadline: deadline), !chunk.isEmpty else { return nil }
            request += chunk
            let parsed = HTTPRequestHead.parse(request)
            if parsed != .incomplete { return parsed }
            if request.count > limits.maxRequestBytes { return .incomplete }
        }
    }

    private func write(_ bytes: [UInt8]) async {
        guard await reactor.send(bytes, to: fd, deadline: ContinuousClock.now + limits.responseTimeout) else { return }
        shutdown(fd, Int32(SHUT_WR))
    }
}
