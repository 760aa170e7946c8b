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
struct StartupMemoryService: Service {
    let after: StartGate
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
        release(what: "start-up")
        if let firstElection {
            let waited = await cancelWhenGracefulShutdown {
                (try? await Task.sleep(for: firstElection)) != nil
            }
            guard waited else { return }
            release(what: "first-election")
        }
        try await gracefulShutdown()
    }

    private func release(what: String) {
        let released = SystemCalls.releaseStartupCode()
        if released < 0 {
            logger.warning("\(FailureText.render(subject: "releasing \(what) code pages", step: "madvise", errno: Errno(rawValue: Int32(-released))))")
        } else {
            logger.debug("released \(released / 1024) KB of \(what) code and constants from the resident set")
        }
    }
}
