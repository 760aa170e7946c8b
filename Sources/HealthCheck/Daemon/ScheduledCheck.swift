/// What the engine holds of a checker run from reactor timers (`CheckDriver`): its serial,
/// and how its schedule is started, moved and stopped. Class-bound, so a slot or a queued
/// result holds it in two words: the driver is generic over its checker, which it keeps
/// inline (an `any StartableChecker` in each driver was a box of its own, about 120 bytes a
/// checker at 37,000 of them).
protocol ScheduledCheck: AnyObject, Sendable {
    var serial: Int { get }
    /// Sets the timer of the first check.
    func begin()
    /// The engine has taken the result of check `generation`: the next check is `delay`
    /// after that check's slot.
    func next(after delay: Duration, generation: Int)
    /// No more checks; a running one is stopped (its result is not delivered).
    func stop()
}
