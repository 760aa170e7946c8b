import Prometheus
import SystemErrors
import Synchronization

/// The daemon's event metrics: what happened since it started, counted as it happens and kept
/// in one swift-prometheus registry (its counters and histograms are atomics: recording from
/// the engine's actor or the reactor thread takes no lock of ours). The state part (the IPVS
/// table, checker and VRRP states, process slots) is read at each scrape instead, see
/// `Scrape`.
///
/// One instance per daemon, handed to the engine that records (no global registry).
public final class DaemonMetrics: Sendable {
    /// Where the event series live; `render(into:)` writes them.
    public let registry = PrometheusCollectorRegistry()

    /// Check durations: from 1 ms to the longest misc_timeout one commonly sees.
    public static let checkDurationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10), .seconds(30),
    ]
    /// How late a check started after its planned slot (up to the spawn of its process, for a
    /// MISC_CHECK that waited for a slot). The common delay_loops (1, 2, 3, 5, 6, 10, 15, 20, 30
    /// and 60 s) are bounds, so that "late by more than one delay_loop" is read off the
    /// histogram exactly (the `+Inf` count minus the bucket at the delay_loop), not estimated
    /// from a smaller bucket.
    public static let latenessBuckets: [Duration] = [
        .milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
        .seconds(2), .seconds(3), .seconds(5), .seconds(6), .seconds(10), .seconds(15), .seconds(20),
        .seconds(30), .seconds(60),
    ]
    /// A check counts as late when it starts this long after its slot (timer and executor
    /// noise stay below it).
    public static let lateThreshold: Duration = .milliseconds(10)

    private let applied: Counter
    private let late: Counter
    private let lateness: DurationHistogram
    private let reloadsOK: Counter
    private let reloadsFailed: Counter
    private let lastReloadOK: Gauge
    private let lastReloadSuccess: Gauge
    private let configInfo = Mutex<(hash: String, gauge: Gauge)?>(nil)
    /// The failure reasons each checker's series has, by its labels: what `forgetChecker`
    /// must remove besides its runs and durations.
    private let failureReasons = Mutex<[String: Set<String>]>([:])

    public init() {
        applied = registry.counter("swiftvs_kernel_changes_applied_total", help: "IPVS table changes the kernel accepted from the daemon")
        late = registry.counter("swiftvs_checks_late_total", help: "checks started 10 ms or more after their planned time (waiting for a process slot, or a busy loop)")
        lateness = registry.durationHistogram("swiftvs_check_start_delay_seconds", buckets: Self.latenessBuckets,
                                                  help: "how long after its planned time each late check started")
        let reloads = "SIGHUP reloads of the configuration, by result (failed: the file had errors, the running configuration was kept)"
        reloadsOK = registry.counter("swiftvs_config_reloads_total", [("result", "ok")], help: reloads)
        reloadsFailed = registry.counter("swiftvs_config_reloads_total", [("result", "failed")], help: reloads)
        lastReloadOK = registry.gauge("swiftvs_config_last_reload_successful", help: "1 when the last configuration load (start-up or SIGHUP) succeeded, else 0")
        lastReloadSuccess = registry.gauge("swiftvs_config_last_reload_success_timestamp_seconds", help: "when the configuration was last loaded successfully (Unix time)")
    }

    // MARK: - Checks

    /// One check of one checker ended: its run, its duration, and when it failed, its reason
    /// (`CheckFailureReason`). `labels` name the virtual and real server and the checker.
    /// (A checker that runs again and again records through its `series(_:)` instead.)
    public func checkEnded(_ labels: [(String, String)], duration: Duration, failure reason: String?) {
        series(labels).ended(duration: duration, failure: reason)
    }

    /// The series of the checker `labels` names, made on first use: keep it while the checker
    /// runs and record each check into it (`CheckerSeries.ended`).
    public func series(_ labels: [(String, String)]) -> CheckerSeries {
        CheckerSeries(metrics: self, labels: labels, runs: runs(labels), durations: durations(labels))
    }

    /// The counter of the checker's failures for `reason` (noted, so `forgetChecker` removes it).
    func failureCounter(_ labels: [(String, String)], _ reason: String) -> Counter {
        failureReasons.withLock { _ = $0[Self.key(labels), default: []].insert(reason) }
        return failures(labels, reason)
    }

    /// A checker the configuration no longer has (a reload removed it): its series go, so a
    /// dashboard stops showing a real server that is not checked any more.
    public func forgetChecker(_ labels: [(String, String)]) {
        registry.unregisterCounter(runs(labels))
        registry.unregisterDurationHistogram(durations(labels))
        let reasons = failureReasons.withLock { $0.removeValue(forKey: Self.key(labels)) ?? [] }
        for reason in reasons { registry.unregisterCounter(failures(labels, reason)) }
    }

    private func runs(_ labels: [(String, String)]) -> Counter {
        registry.counter("swiftvs_check_runs_total", labels, help: "checks run, per checker")
    }

    private func durations(_ labels: [(String, String)]) -> DurationHistogram {
        registry.durationHistogram("swiftvs_check_duration_seconds", labels, buckets: Self.checkDurationBuckets,
                                   help: "how long each check took, per checker")
    }

    private func failures(_ labels: [(String, String)], _ reason: String) -> Counter {
        registry.counter("swiftvs_check_failures_total", labels + [("reason", reason)],
                         help: "failed checks, per checker and reason (timeout, refused, connect_error, exit_status, signal, http_status, digest, bad_response, icmp, cannot_run)")
    }

    /// One string for a label set (names and values cannot hold NUL).
    public static func key(_ labels: [(String, String)]) -> String {
        labels.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}")
    }

    /// A check started `delay` after its planned time (counted when at least `lateThreshold`).
    public func checkStarted(late delay: Duration) {
        guard delay >= Self.lateThreshold else { return }
        late.increment()
        lateness.record(delay)
    }

    // MARK: - Kernel

    /// A batch of table changes: `applied` accepted, one errno per refused change.
    public func kernelChanges(applied count: Int, refused errnos: [Errno?]) {
        if count > 0 { applied.increment(by: Int64(count)) }
        for e in errnos {
            registry.counter("swiftvs_kernel_changes_refused_total", [("errno", ErrnoName.of(e))],
                                 help: "IPVS table changes the kernel refused, by errno (EINVAL: e.g. a direct-routing real server on a broadcast address)")
                .increment()
        }
    }

    // MARK: - Configuration

    /// The configuration was loaded (at start-up: `reload` false) or a reload was tried.
    /// `hash` is the loaded file's `ConfigHash` when it succeeded; `unixTime` the time.
    public func configLoaded(ok: Bool, reload: Bool, hash: String?, unixTime: Double) {
        if reload { (ok ? reloadsOK : reloadsFailed).increment() }
        lastReloadOK.set(Int64(ok ? 1 : 0))
        guard ok else { return }
        lastReloadSuccess.set(unixTime)
        guard let hash else { return }
        configInfo.withLock { info in
            if info?.hash == hash { return }
            if let old = info?.gauge { registry.unregisterGauge(old) }
            let g = registry.gauge("swiftvs_config_info", [("hash", hash)],
                                       help: "the running configuration: its hash (FNV-1a 64 of the file and its includes) in the label, value 1")
            g.set(Int64(1))
            info = (hash, g)
        }
    }

    /// The event series in the Prometheus text format, appended to `buffer`.
    public func render(into buffer: inout [UInt8]) {
        registry.emit(into: &buffer)
    }
}
