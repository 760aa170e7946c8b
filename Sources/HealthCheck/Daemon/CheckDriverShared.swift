import DaemonMetrics

/// What every `CheckDriver` of an engine shares (one object, not three references in each of
/// 37,000 drivers).
final class CheckDriverShared: Sendable {
    /// The reactor in the daemon (a `CheckClock`); a hand-driven clock in tests.
    let clock: any CheckClock
    let results: ResultQueue
    /// Where a late start is counted.
    let metrics: DaemonMetrics?

    init(clock: any CheckClock, results: ResultQueue, metrics: DaemonMetrics?) {
        self.clock = clock
        self.results = results
        self.metrics = metrics
    }
}
