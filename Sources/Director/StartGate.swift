/// Opens once: what waits on it resumes when `open()` is called (at once if it already was).
final class StartGate: Sendable {
    private let stream: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation

    init() { (stream, continuation) = AsyncStream.makeStream() }

    func open() { continuation.finish() }

    /// Returns when the gate is open (one waiter).
    func wait() async { for await _ in stream {} }
}
