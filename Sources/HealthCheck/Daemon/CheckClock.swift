/// Where the daemon's check schedule reads the time, sets its timers and sleeps: the reactor in
/// the daemon (timers and sleeps on its thread), a hand-driven clock in tests, so drift, overrun,
/// delay_before_retry and warmup can be checked without waiting for real time.
///
/// Instants are `ContinuousClock` instants; a test clock starts at one and moves them by hand.
public protocol CheckClock: Sendable {
    /// The time now.
    var now: ContinuousClock.Instant { get }
    /// Calls `body` once, at `deadline` or at once if it has passed; the result names the timer
    /// for `cancelTimer`.
    func schedule(at deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> Void) -> UInt64
    /// The timer will not fire (no effect once it has).
    func cancelTimer(_ id: UInt64)
    /// Returns at `deadline`; throws `CancellationError` when the task is cancelled first.
    func sleep(until deadline: ContinuousClock.Instant) async throws
}

extension Reactor: CheckClock {
    public var now: ContinuousClock.Instant { ContinuousClock.now }
}
