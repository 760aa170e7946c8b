import Testing
import Glibc
import Dispatch
import Synchronization
@testable import EventLoop

/// An executor that keeps the jobs given to it until told to run them: a test can hold a task
/// between the moment something resumes it and the moment it runs on.
private final class GateExecutor: TaskExecutor {
    private let jobs = Mutex<[UnownedJob]>([])

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
    }

    var queued: Int { jobs.withLock { $0.count } }

    /// Runs what is queued, on a dispatch thread.
    func release() {
        let taken = jobs.withLock { j -> [UnownedJob] in defer { j = [] }; return j }
        let executor = asUnownedTaskExecutor()
        for job in taken { DispatchQueue.global().async { job.runSynchronously(on: executor) } }
    }
}

@Suite struct ReactorWaitCancellationTests {
    private static func until(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(60)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw CancellationError() }
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    /// A wait cancelled after it has ended (its task resumed but not yet run on) leaves nothing
    /// behind. (Broken once: with the set of early cancellations it replaced, its id stayed.)
    @Test func aWaitCancelledAfterItEndedLeavesNoId() async throws {
        let reactor = Reactor()
        let gate = GateExecutor()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let readEnd = fds[0]
        let task = Task(executorPreference: gate) { await reactor.wait(fd: readEnd, events: SystemCalls.EPOLLIN) }
        try await Self.until("the task's start is queued") { gate.queued == 1 }
        gate.release()
        // The wait has begun when its id left the pending set (the continuation is in).
        try await Self.until("the wait is registered") { reactor.pendingWaitCount == 0 && gate.queued == 0 }
        try await Task.sleep(for: .milliseconds(20))
        var byte: UInt8 = 1
        #expect(write(fds[1], &byte, 1) == 1)
        try await Self.until("the reactor resumed the task") { gate.queued == 1 }
        task.cancel()   // the cancellation handler runs now, after the wait has ended
        gate.release()
        let outcome = await task.value
        #expect(outcome == .ready(SystemCalls.EPOLLIN))
        #expect(reactor.pendingWaitCount == 0)
    }

    /// A wait cancelled before it begins ends at once as cancelled, and leaves nothing behind.
    @Test func aWaitCancelledBeforeItBeginsEndsCancelled() async throws {
        let reactor = Reactor()
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let readEnd = fds[0]
        let outcome = await Task {
            withUnsafeCurrentTask { $0?.cancel() }
            // The deadline only bounds a broken wait (one that forgot the cancellation).
            return await reactor.wait(fd: readEnd, events: SystemCalls.EPOLLIN, deadline: .now + .seconds(10))
        }.value
        #expect(outcome == .cancelled)
        #expect(reactor.pendingWaitCount == 0)
    }
}
