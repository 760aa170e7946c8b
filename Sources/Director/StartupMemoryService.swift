import EventLoop
import SystemErrors
import Logging
import ServiceLifecycle

/// Once both halves have started: the code that only start-up ran leaves the daemon's resident
/// set, the executable's and the shared libraries' (see `SystemCalls.releaseStartupCode`). With
/// VRRP instances, once more when the first election is over (`firstElection` after the start:
/// the Master_Down wait, the new master's addresses and both GARP bursts), whose code a settled
/// director runs again only at its next transition, from the page cache. A long-running director
/// is measured by what it holds while it runs, next to keepalived's few megabytes.
///
/// Each release runs on the reactor thread, as one of its timers, and nothing but the reactor's
/// loop runs after it: code that runs once after a release is mapped again with the 64 KB around
/// it and stays. Made from this service's task, the release was followed by the task's own way
/// back (the log line, the task's continuation, the service group's wait for shutdown): 20 of the
/// 28 code windows a settled master then held (traced page faults, vrrp-idle).
struct StartupMemoryService: Service {
    let after: StartGate
    let reactor: Reactor
    let logger: Logger
    /// `VRRPConfiguration.firstElectionSpan`: nil without VRRP instances.
    var firstElection: Duration? = nil
    /// Run once both halves have started (the reload reader's snapshot of the start-up read).
    var afterStart: @Sendable () -> Void = {}

    func run() async throws {
        // A half that fails to start shuts the group down without opening the gate.
        let started = await cancelWhenGracefulShutdown { [after] in
            await after.wait()
            return !Task.isCancelled
        }
        guard started else { return }
        afterStart()
        let now = ContinuousClock.now
        var timers = [release(what: "start-up", at: now)]
        if let firstElection { timers.append(release(what: "first-election", at: now + firstElection)) }
        defer { for id in timers { reactor.cancelTimer(id) } }
        try await gracefulShutdown()
    }

    /// Schedules one release on the reactor. The debug line comes before the release, the
    /// warning of a failed one after it (the path a daemon does not take again).
    private func release(what: String, at deadline: ContinuousClock.Instant) -> UInt64 {
        reactor.schedule(at: deadline) { [logger] in
            logger.debug("releasing the \(what) code and constants from the resident set")
            let released = SystemCalls.releaseStartupCode()
            if released < 0 {
                logger.warning("\(FailureText.render(subject: "releasing \(what) code pages", step: "madvise", errno: Errno(rawValue: Int32(-released))))")
            }
        }
    }
}
