import EventLoop
import Logging

/// Runs one `vrrp_script` every `interval` (drift-free, on the reactor) and reports its state
/// after `rise` successes or `fall` failures in a row. It starts unknown (no weight either
/// way, as keepalived reports the base priority until a script has run), or failed with
/// `init_fail`.
final class TrackScriptMonitor: Sendable {
    enum Status: String, Sendable { case unknown, ok = "OK", failed = "FAILED" }

    let config: VRRPScriptConfig
    private let task: Task<Void, Never>

    init(config: VRRPScriptConfig, runner: ProcessRunner, logger: Logger,
         report: @escaping @Sendable (String, Status) async -> Void) {
        self.config = config
        let reactor = runner.reactor
        task = Task(executorPreference: reactor) {
            var status: Status = config.initFail ? .failed : .unknown
            var streak = 0
            var slot = ContinuousClock.now
            if config.initFail { await report(config.name, .failed) }
            while !Task.isCancelled {
                let outcome = await runner.run(config.command, timeout: config.timeout ?? config.interval, captureOutput: false)
                let ok = outcome.termination == .exited(0)
                let next = Self.step(status: status, streak: streak, ok: ok, rise: config.rise, fall: config.fall)
                streak = next.streak
                if next.status != status {
                    status = next.status
                    logger.info("vrrp_script \(config.name): \(status.rawValue) (\(outcome.termination))")
                    await report(config.name, status)
                }
                slot = slot + config.interval
                if slot < .now { slot = .now }
                do { try await reactor.sleep(until: slot) } catch { return }
            }
        }
    }

    /// One result folded into the state: `rise` successes in a row make a failed (or unknown)
    /// script OK, `fall` failures in a row make an OK (or unknown) one failed.
    static func step(status: Status, streak: Int, ok: Bool, rise: Int, fall: Int) -> (status: Status, streak: Int) {
        switch (status, ok) {
        case (.ok, true), (.failed, false): return (status, 0)
        case (.unknown, _) where streak >= 0 && ok: return streak + 1 >= rise ? (.ok, 0) : (.unknown, streak + 1)
        case (.unknown, _) where streak <= 0 && !ok: return -streak + 1 >= fall ? (.failed, 0) : (.unknown, streak - 1)
        case (.unknown, true): return rise <= 1 ? (.ok, 0) : (.unknown, 1)
        case (.unknown, false): return fall <= 1 ? (.failed, 0) : (.unknown, -1)
        case (.failed, true): return streak + 1 >= rise ? (.ok, 0) : (.failed, streak + 1)
        case (.ok, false): return streak + 1 >= fall ? (.failed, 0) : (.ok, streak + 1)
        }
    }

    func stop() { task.cancel() }
}
