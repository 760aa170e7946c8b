import EventLoop
import Logging

/// Runs one instance's notify scripts strictly one after another, in the order the
/// transitions happened (keepalived forks them concurrently, and they can run out of order).
final class OrderedScripts: Sendable {
    private let continuation: AsyncStream<CheckCommand>.Continuation
    private let task: Task<Void, Never>

    init(runner: ProcessRunner, timeout: Duration, logger: Logger, label: String) {
        let (stream, continuation) = AsyncStream<CheckCommand>.makeStream()
        self.continuation = continuation
        task = Task(executorPreference: runner.reactor) {
            for await command in stream {
                let outcome = await runner.run(command, timeout: timeout, captureOutput: true)
                if outcome.termination != .exited(0) {
                    logger.warning("\(label): notify script \(command) ended: \(outcome.termination)\(outcome.output.isEmpty ? "" : ": \(outcome.outputText.prefix(200))")")
                } else {
                    logger.debug("\(label): notify script \(command) done in \(outcome.latency)")
                }
            }
        }
    }

    func enqueue(_ command: CheckCommand) { continuation.yield(command) }

    /// No more scripts; waits for the queued ones to finish.
    func finish() async {
        continuation.finish()
        await task.value
    }
}
