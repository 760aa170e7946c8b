import IPVS
import Synchronization

/// A clock tests drive by hand: `sleep` returns only when `advance` moves time past it.
public final class ManualClock: Clock, Sendable {
    public struct Instant: InstantProtocol, Sendable {
        public var offset: Swift.Duration
        public init(offset: Swift.Duration) { self.offset = offset }
        public func advanced(by d: Swift.Duration) -> Instant { Instant(offset: offset + d) }
        public func duration(to other: Instant) -> Swift.Duration { other.offset - offset }
        public static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private struct Sleeper {
        var id: UInt64
        var deadline: Instant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var sleepers: [Sleeper] = []
        var cancelledEarly: Set<UInt64> = []
        var nextID: UInt64 = 0
        var waiters: [(Int, CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    public init() {}

    public var now: Instant { state.withLock { $0.now } }
    public var minimumResolution: Swift.Duration { .zero }

    /// Tasks blocked in `sleep`.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until.
    public var nextDeadline: Instant? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    public func sleep(until deadline: Instant, tolerance: Swift.Duration? = nil) async throws {
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let (resume, fail, ready) = state.withLock { s -> (Bool, Bool, [CheckedContinuation<Void, Never>]) in
                    if s.cancelledEarly.remove(id) != nil { return (false, true, []) }
                    if deadline <= s.now { return (true, false, []) }
                    s.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: c))
                    return (false, false, Self.readyWaiters(&s))
                }
                if fail { c.resume(throwing: CancellationError()) } else if resume { c.resume() }
                for w in ready { w.resume() }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> Sleeper? in
                if let i = s.sleepers.firstIndex(where: { $0.id == id }) { return s.sleepers.remove(at: i) }
                s.cancelledEarly.insert(id)
                return nil
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline has come, earliest first.
    public func advance(by d: Swift.Duration) {
        let due = state.withLock { s -> [Sleeper] in
            s.now = s.now.advanced(by: d)
            let now = s.now
            let due = s.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            s.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        for s in due { s.continuation.resume() }
    }

    /// Advances exactly to the next deadline (if any) and returns it.
    @discardableResult
    public func advanceToNextDeadline() -> Instant? {
        guard let next = nextDeadline else { return nil }
        advance(by: now.duration(to: next))
        return next
    }

    /// Returns once at least `count` tasks are sleeping.
    public func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = state.withLock { s -> Bool in
                if s.sleepers.count >= count { return true }
                s.waiters.append((count, c))
                return false
            }
            if now { c.resume() }
        }
    }

    private static func readyWaiters(_ s: inout State) -> [CheckedContinuation<Void, Never>] {
        let n = s.sleepers.count
        let ready = s.waiters.filter { $0.0 <= n }.map(\.1)
        s.waiters.removeAll { $0.0 <= n }
        return ready
    }
}

/// Runs every checker on its own schedule and feeds the state machine.
///
/// * Each checker is its own task: checks run concurrently and a slow one never delays another.
/// * The first check waits a random part of `warmup` (keepalived's warmup, which defaults to
///   delay_loop), so checks spread across the loop instead of starting together.
/// * No drift: the next run is planned from the previous *planned* start plus the delay the
///   state machine returns (delay_loop, or delay_before_retry while retrying). A check that
///   overruns its slot is started again at once, once, never queued up.
/// * The clock is injected (`ContinuousClock` in the daemon, `ManualClock` in tests).
public actor HealthMonitor<C: Clock> where C.Duration == Swift.Duration {
    public nonisolated let events: AsyncStream<HealthEvent>
    private let continuation: AsyncStream<HealthEvent>.Continuation
    private var machine: HealthStateMachine
    private let checkers: [CheckerID: any Checker]
    private let clock: C
    private let jitter: @Sendable (Swift.Duration) -> Swift.Duration
    private var tasks: [Task<Void, Never>] = []
    /// The most recent events, oldest first (bounded).
    public private(set) var history: [HealthEvent] = []
    public var historyLimit = 4096
    /// Results delivered so far, for metrics.
    public private(set) var checksRun = 0

    /// `checkers` maps each enabled checker to its implementation (missing ones are not run).
    /// `jitter(warmup)` returns the first check's delay, in 0..<warmup.
    public init(config: DaemonConfig, checkers: [CheckerID: any Checker], clock: C,
                jitter: (@Sendable (Swift.Duration) -> Swift.Duration)? = nil) {
        machine = HealthStateMachine(config: config)
        self.checkers = checkers
        self.clock = clock
        self.jitter = jitter ?? { warmup in
            let ns = warmup.components.seconds * 1_000_000_000 + warmup.components.attoseconds / 1_000_000_000
            return ns > 0 ? .nanoseconds(Int64.random(in: 0..<ns)) : .zero
        }
        (events, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(65536))
    }

    /// Builds the real checkers from the configuration.
    public init(config: DaemonConfig, factory: CheckerFactory, clock: C) {
        var map: [CheckerID: any Checker] = [:]
        for (id, c) in HealthStateMachine(config: config).checkers { map[id] = factory.make(c) }
        self.init(config: config, checkers: map, clock: clock)
    }

    public var desiredTable: [ServiceKey: [Destination]] { machine.desiredTable }
    public var state: HealthStateMachine { machine }

    /// Starts every checker. Events from startup (alpha quorum) are emitted first.
    public func start() {
        guard tasks.isEmpty else { return }
        emit(machine.start())
        for (id, config) in machine.checkers {
            guard let checker = checkers[id] else { continue }
            let first = config.warmup > .zero ? jitter(config.warmup) : .zero
            let clock = self.clock
            tasks.append(Task { [weak self] in
                var slot = clock.now.advanced(by: first)
                do {
                    try await clock.sleep(until: slot, tolerance: nil)
                    while !Task.isCancelled {
                        let result = await checker.check()
                        guard let next = await self?.deliver(id, result) else { return }
                        slot = slot.advanced(by: next)
                        let now = clock.now
                        if slot < now { slot = now }
                        try await clock.sleep(until: slot, tolerance: nil)
                    }
                } catch {}
            })
        }
    }

    /// Stops every checker; with omega, returns (and emits) the shutdown events.
    @discardableResult
    public func stop() -> [HealthEvent] {
        for t in tasks { t.cancel() }
        tasks = []
        let events = machine.shutdown()
        emit(events)
        continuation.finish()
        return events
    }

    /// Feeds one result (the scheduler's path; also usable by a driver directly).
    @discardableResult
    public func deliver(_ id: CheckerID, _ result: CheckResult) -> Swift.Duration {
        checksRun += 1
        let (next, events) = machine.record(id, result)
        emit(events)
        return next
    }

    private func emit(_ events: [HealthEvent]) {
        for e in events {
            continuation.yield(e)
            history.append(e)
        }
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
    }
}
