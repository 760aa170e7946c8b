import DaemonMetrics
import Synchronization

/// Runs one `StartableChecker` on its schedule with no task of its own: a reactor timer starts
/// the check, its completion (on the reactor thread) queues the result for the engine, and the
/// engine's answer (`next`) sets the next timer. A checker then costs this object, one timer and,
/// while a check runs, its process watch, instead of a suspended task with its stack slabs.
///
/// Same schedule as the task loop: the first check after the warmup jitter, then the next slot
/// is the previous *planned* one plus the delay the state machine returns (no drift), or now
/// when that has already passed (an overrun check is started again at once, once).
final class CheckDriver: Sendable {
    let serial: Int
    private let checker: any StartableChecker
    /// The reactor in the daemon (a `CheckClock`); a hand-driven clock in tests.
    private let clock: any CheckClock
    private let results: ResultQueue
    /// Where a late start is counted.
    private let metrics: DaemonMetrics?

    private struct State {
        var slot: ContinuousClock.Instant
        /// What the next start's lateness is counted from: its planned slot, or when the last
        /// check ended if that was later (an overrun check is not late in itself), even when
        /// the engine answered after the slot (the start then comes at once, but late).
        var due: ContinuousClock.Instant
        /// When the running check ended (set on the reactor thread).
        var ended: ContinuousClock.Instant?
        var timer: UInt64 = 0
        var cancel: (@Sendable () -> Void)?
        var stopped = false
    }
    private let state: Mutex<State>

    init(serial: Int, checker: any StartableChecker, clock: any CheckClock, results: ResultQueue, first: ContinuousClock.Instant,
         metrics: DaemonMetrics? = nil) {
        self.metrics = metrics
        self.serial = serial
        self.checker = checker
        self.clock = clock
        self.results = results
        state = Mutex(State(slot: first, due: first))
    }

    func begin() {
        state.withLock { s in
            guard !s.stopped else { return }
            s.timer = clock.schedule(at: s.slot) { [self] in fire() }
        }
    }

    /// The engine has taken the last result: the next check is `delay` after the last slot.
    func next(after delay: Duration) {
        state.withLock { s in
            guard !s.stopped else { return }
            s.slot = s.slot + delay
            s.due = max(s.slot, s.ended ?? s.slot)
            let now = clock.now
            if s.slot < now { s.slot = now }
            s.timer = clock.schedule(at: s.slot) { [self] in fire() }
        }
    }

    /// No more checks; a running one is stopped (its result is not delivered).
    func stop() {
        let (timer, cancel) = state.withLock { s -> (UInt64, (@Sendable () -> Void)?) in
            s.stopped = true
            defer { s.timer = 0; s.cancel = nil }
            return (s.timer, s.cancel)
        }
        if timer != 0 { clock.cancelTimer(timer) }
        cancel?()
    }

    private func fire() {
        let (go, due) = state.withLock { s -> (Bool, ContinuousClock.Instant) in
            s.timer = 0
            s.ended = nil
            return (!s.stopped, s.due)
        }
        guard go else { return }
        // How late it started: counted when it really begins (a MISC_CHECK's process may wait
        // for a free slot first), once.
        let began: @Sendable () -> Void = { [clock, metrics] in metrics?.checkStarted(late: clock.now - due) }
        let cancel = checker.start(began: began) { [self] result in
            let deliver = state.withLock { s -> Bool in
                s.cancel = nil
                s.ended = clock.now
                return !s.stopped
            }
            if deliver { results.push(serial, result) }
        }
        // The check may have ended already (a failed spawn completes at once), or the driver
        // been stopped meanwhile.
        let stopNow = state.withLock { s -> Bool in
            if s.stopped { return true }
            s.cancel = cancel
            return false
        }
        if stopNow { cancel() }
    }
}

/// Results of the drivers' checks on their way to the engine: pushed on the reactor thread,
/// taken in batches by one task (one actor hop per batch, not per check).
final class ResultQueue: Sendable {
    typealias Item = (serial: Int, result: CheckResult)
    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<[Item]?, Never>?
        var closed = false
    }
    private let state = Mutex(State())

    func push(_ serial: Int, _ result: CheckResult) {
        let handoff = state.withLock { s -> (CheckedContinuation<[Item]?, Never>, [Item])? in
            guard !s.closed else { return nil }
            s.items.append((serial, result))
            guard let w = s.waiter else { return nil }
            s.waiter = nil
            let items = s.items
            s.items = []
            return (w, items)
        }
        if let (w, items) = handoff { w.resume(returning: items) }
    }

    /// The results pushed since the last call (waits for at least one); nil once closed.
    func next() async -> [Item]? {
        await withCheckedContinuation { (c: CheckedContinuation<[Item]?, Never>) in
            let now = state.withLock { s -> [Item]?? in
                if !s.items.isEmpty {
                    let items = s.items
                    s.items = []
                    return .some(items)
                }
                if s.closed { return .some(nil) }
                s.waiter = c
                return nil
            }
            if let now { c.resume(returning: now) }
        }
    }

    func close() {
        let w = state.withLock { s -> CheckedContinuation<[Item]?, Never>? in
            s.closed = true
            s.items = []
            defer { s.waiter = nil }
            return s.waiter
        }
        w?.resume(returning: nil)
    }
}
