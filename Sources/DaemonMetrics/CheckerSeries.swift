import Prometheus
import Synchronization

/// One checker's event series (its runs, its durations, its failures by reason), looked up in
/// the registry once and then recorded into directly.
///
/// Finding a series in swift-prometheus's registry validates its name, labels and help text
/// and hashes its label set under the registry's lock: a few microseconds natively, but a
/// check ends on the reactor thread, hundreds of times a second on a large director, and the
/// daemon used to pay that three times per check. The engine keeps one of these per running
/// checker (`DaemonMetrics.series(_:)`) and drops it at a reload.
public final class CheckerSeries: Sendable {
    /// The checker's labels (virtual server, real server, checker).
    public let labels: [(String, String)]
    private let metrics: DaemonMetrics
    private let runs: Counter
    private let durations: DurationHistogram
    /// The failure counters made so far, by reason.
    private let failures = Mutex<[String: Counter]>([:])

    init(metrics: DaemonMetrics, labels: [(String, String)], runs: Counter, durations: DurationHistogram) {
        self.metrics = metrics
        self.labels = labels
        self.runs = runs
        self.durations = durations
    }

    /// One check ended, after `duration`; `reason` is set when it failed (`CheckFailureReason`).
    public func ended(duration: Duration, failure reason: String?) {
        runs.increment()
        durations.record(duration)
        guard let reason else { return }
        let counter = failures.withLock { made -> Counter in
            if let c = made[reason] { return c }
            let c = metrics.failureCounter(labels, reason)
            made[reason] = c
            return c
        }
        counter.increment()
    }
}
