import Synchronization
@testable import HealthCheck

/// A `CheckClock` tests move by hand: its timers (and sleeps, which are timers too) fire only
/// when `fireNext` reaches them, in deadline order, on the caller's thread.
final class ManualCheckClock: CheckClock {
    let origin = ContinuousClock.now

    private struct Timer {
        var id: UInt64
        var deadline: ContinuousClock.Instant
        var body: (@Sendable () -> Void)?
        /// A sleeping task's continuation (instead of `body`).
        var sleeper: CheckedContinuation<Void, any Error>?

        func fire() {
            body?()
            sleeper?.resume()
        }
    }

    private struct State {
        var offset: Duration = .zero
        var timers: [Timer] = []
        var nextID: UInt64 = 1
        var cancelledEarly: Set<UInt64> = []
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    var now: ContinuousClock.Instant { origin + state.withLock { $0.offset } }

    /// Time since the start, the unit the tests speak in.
    var elapsed: Duration { state.withLock { $0.offset } }

    /// Timers (and sleeps) waiting.
    var pending: Int { state.withLock { $0.timers.count } }

    /// The earliest deadline, as time since the start.
    var nextDeadline: Duration? { state.withLock { s in s.timers.map(\.deadline).min().map { $0 - origin } } }

    func schedule(at deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, ready) = state.withLock { s -> (UInt64, [CheckedContinuation<Void, Never>]) in
            let id = s.nextID
            s.nextID += 1
            s.timers.append(Timer(id: id, deadline: deadline, body: body))
            return (id, Self.readyWaiters(&s))
        }
        for w in ready { w.resume() }
        return id
    }

    func cancelTimer(_ id: UInt64) {
        state.withLock { s in s.timers.removeAll { $0.id == id } }
    }

    func sleep(until deadline: ContinuousClock.Instant) async throws {
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let (cancelled, ready) = state.withLock { s -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if s.cancelledEarly.remove(id) != nil { return (true, []) }
                    s.timers.append(Timer(id: id, deadline: deadline, sleeper: c))
                    return (false, Self.readyWaiters(&s))
                }
                if cancelled { c.resume(throwing: CancellationError()) }
                for w in ready { w.resume() }
            }
        } onCancel: {
            let timer = state.withLock { s -> Timer? in
                if let i = s.timers.firstIndex(where: { $0.id == id }) { return s.timers.remove(at: i) }
                s.cancelledEarly.insert(id)
                return nil
            }
            timer?.sleeper?.resume(throwing: CancellationError())
        }
    }

    /// Moves time to the earliest deadline and fires every timer due then (earliest, then
    /// oldest first). Returns that time, or nil when nothing waits.
    @discardableResult
    func fireNext() -> Duration? {
        let due = state.withLock { s -> [Timer] in
            guard let next = s.timers.map(\.deadline).min() else { return [] }
            s.offset = max(s.offset, next - origin)
            let now = origin + s.offset
            let due = s.timers.filter { $0.deadline <= now }.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
            s.timers.removeAll { $0.deadline <= now }
            return due
        }
        for t in due { t.fire() }
        return due.isEmpty ? nil : elapsed
    }

    /// Returns once at least `count` timers wait.
    func waitForTimers(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.timers.count >= count { return true }
                s.waiters.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }

    private static func readyWaiters(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let n = s.timers.count
        let ready = s.waiters.filter { $0.0 <= n }.map(\.1)
        s.waiters.removeAll { $0.0 <= n }
        return ready
    }
}
