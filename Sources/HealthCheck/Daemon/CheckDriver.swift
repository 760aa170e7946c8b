import DaemonMetrics
import Synchronization

/// Runs one `StartableChecker` on its schedule with no task of its own: a reactor timer starts
/// the check, its completion (on the reactor thread) queues the result for the engine and sets
/// the next timer itself, at the last *planned* slot + delay_loop; the engine's answer (`next`)
/// only moves that timer when the state machine asks for another delay (delay_before_retry).
/// A checker then costs this object, one timer and, while a check runs, its process watch,
/// instead of a suspended task with its stack slabs.
///
/// No drift: the next slot is the previous planned one plus the delay, or now when that has
/// already passed (an overrun check is started again at once, once). A busy engine (a batch
/// with a transition reads and changes the kernel table and writes the state file: seconds at
/// 500 real servers in a debug build under emulation) delays no check that follows delay_loop:
/// its timer was set when the check ended, not when the engine got round to the result. (It
/// used to be set by the engine's answer, so every check behind a busy engine started late.)
///
/// Generic over its checker (a `TCPChecker`, a `MiscChecker`): the checker is kept inline, not
/// boxed; the engine holds the driver as a `ScheduledCheck`.
final class CheckDriver<C: StartableChecker>: ScheduledCheck {
    let serial: Int
    private let checker: C
    private let shared: CheckDriverShared
    private var clock: any CheckClock { shared.clock }
    private var results: ResultQueue { shared.results }
    private var metrics: DaemonMetrics? { shared.metrics }
    /// The delay after a check unless the state machine says otherwise (its checker's delay_loop).
    private let delayLoop: Duration

    private struct State {
        /// The planned slot of the running (or last) check.
        var slot: ContinuousClock.Instant
        /// The planned slot of the next check, once the last one ended.
        var nextSlot: ContinuousClock.Instant
        /// What the next start's lateness is counted from: its planned slot, or when the last
        /// check ended if that was later (an overrun check is not late in itself).
        var due: ContinuousClock.Instant
        /// When the running check ended (set on the reactor thread).
        var ended: ContinuousClock.Instant?
        /// Counts the checks started: an answer of the engine to an older check than the last
        /// one started comes too late to move anything.
        var generation = 0
        var timer: UInt64 = 0
        var cancel: (@Sendable () -> Void)?
        var stopped = false
    }
    private let state: Mutex<State>

    init(serial: Int, checker: C, shared: CheckDriverShared, first: ContinuousClock.Instant, delayLoop: Duration) {
        self.serial = serial
        self.checker = checker
        self.shared = shared
        self.delayLoop = delayLoop
        state = Mutex(State(slot: first, nextSlot: first, due: first))
    }

    func begin() {
        state.withLock { s in
            guard !s.stopped else { return }
            s.timer = clock.schedule(at: s.nextSlot) { [self] in fire() }
        }
    }

    /// The engine has taken the result of check `generation`: the next check is `delay` after
    /// that check's slot. Nothing to do when that is delay_loop (the timer is set already), or
    /// when a newer check has started meanwhile (the engine answered after the slot it would
    /// have moved).
    func next(after delay: Duration, generation: Int) {
        state.withLock { s in
            guard !s.stopped, s.generation == generation, s.timer != 0, delay != delayLoop else { return }
            clock.cancelTimer(s.timer)
            plan(&s, after: delay)
        }
    }

    /// Sets the timer of the next check, `delay` after the last planned slot (or now, if that
    /// has passed: the schedule is then counted on from now).
    private func plan(_ s: inout State, after delay: Duration) {
        s.nextSlot = s.slot + delay
        s.due = max(s.nextSlot, s.ended ?? s.nextSlot)
        let now = clock.now
        if s.nextSlot < now { s.nextSlot = now }
        s.timer = clock.schedule(at: s.nextSlot) { [self] in fire() }
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
        let (go, due, generation) = state.withLock { s -> (Bool, ContinuousClock.Instant, Int) in
            s.timer = 0
            s.ended = nil
            s.slot = s.nextSlot
            s.generation += 1
            return (!s.stopped, s.due, s.generation)
        }
        guard go else { return }
        // How late it started: counted when it really begins (a MISC_CHECK's process may wait
        // for a free slot first), once.
        let began: @Sendable () -> Void = { [clock, metrics] in metrics?.checkStarted(late: clock.now - due) }
        let cancel = checker.start(began: began) { [self] result in
            let deliver = state.withLock { s -> Bool in
                s.cancel = nil
                guard !s.stopped else { return false }
                s.ended = clock.now
                plan(&s, after: delayLoop)
                return true
            }
            if deliver { results.push(self, result, generation: generation) }
        }
        // The check may have ended already (a failed spawn completes at once), or the driver
        // been stopped meanwhile.
        let stopNow = state.withLock { s -> Bool in
            if s.stopped { return true }
            if s.generation == generation, s.ended == nil { s.cancel = cancel }
            return false
        }
        if stopNow { cancel() }
    }
}

/// Results of the drivers' checks on their way to the engine: pushed on the reactor thread,
/// taken in batches by one task (one actor hop per batch, not per check).
final class ResultQueue: Sendable {
    /// A result, the driver whose check it is (its serial may be another checker's once it was
    /// stopped) and which of its checks it ends (`CheckDriver`'s generation).
    typealias Item = (driver: any ScheduledCheck, result: CheckResult, generation: Int)
    private struct State {
        var items: [Item] = []
        var waiter: CheckedContinuation<[Item]?, Never>?
        var closed = false
    }
    private let state = Mutex(State())

    func push(_ driver: any ScheduledCheck, _ result: CheckResult, generation: Int) {
        let handoff = state.withLock { s -> (CheckedContinuation<[Item]?, Never>, [Item])? in
            guard !s.closed else { return nil }
            s.items.append((driver, result, generation))
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
