#if canImport(Glibc)
import Glibc
#endif
@testable import Director
@testable import EventLoop
@testable import HealthCheck
import IPVS
import Logging
import Synchronization
import Testing

/// Where `swiftvs daemon`'s start-up goes at Scripts/bench's daemon-scale size, natively and
/// without IPVS: SWIFTVS_SCALE_CONF (Scripts/lib/bench-scale.awk's base file) is read as
/// `DaemonMain.assemble` reads it, the engine is made and started on an in-memory table that
/// costs next to nothing (`AppendingTable`: the kernel's own share is `swiftvs restore`'s, the
/// bench's scale-floor) with the real checkers, logging at info level to standard error as the
/// daemon does, the state file written to SWIFTVS_SCALE_STATE when set. Prints each phase's
/// wall and CPU time; meant for a release build and `perf record` (run it in a network namespace of
/// its own, `unshare -n`). Off by default.
@Suite struct DaemonStartupScaleTests {
    @Test(.enabled(if: DaemonScaleSetUp.base != nil, "set SWIFTVS_SCALE_CONF (and SWIFTVS_SCALE_STATE for the state file)"))
    func startUpPhasesAtScale() async throws {
        let path = try #require(DaemonScaleSetUp.base)
        let clock = ContinuousClock()
        var mark = (clock.now, Self.cpuTime())
        func phase(_ name: String) {
            let now = (clock.now, Self.cpuTime())
            print("phase: \(name) \((now.0 - mark.0).logSeconds) (CPU \((now.1 - mark.1).logSeconds))")
            mark = now
        }
        let table = AppendingTable()
        let reactor = Reactor()
        let runner = ProcessRunner(reactor: reactor)
        var logger = Logger(label: "swiftvs", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .info
        let engine = try DaemonScaleSetUp.engine(
            reading: IncrementalConfigReader(file: path, configID: nil), table: table, runner: runner, logger: logger,
            afterRead: { phase("read and checked (\($0) virtual servers)") })
        phase("engine made")
        await engine.start()
        phase("started (\(table.count) destinations)")
        await engine.stop()
        phase("stopped")
        #expect(table.count > 0)
    }

    /// The process's CPU time so far (every thread's: the load of the host does not count).
    static func cpuTime() -> Duration {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return .seconds(t.tv_sec) + .nanoseconds(t.tv_nsec)
    }
}

/// A kernel table that takes every change and appends it, at next to no cost: what is left of
/// the daemon's start-up is its own.
final class AppendingTable: KernelTable {
    private let entries = Mutex<(list: [ServiceEntry], index: [ServiceKey: Int])>(([], [:]))

    var count: Int { entries.withLock { $0.list.reduce(0) { $0 + $1.destinations.count } } }

    func services() throws(IPVSError) -> [ServiceEntry] { entries.withLock { $0.list } }

    func apply(_ changes: [Change], stopAtFirstFailure: Bool) throws(IPVSError) -> BatchResult {
        entries.withLock { t in
            for c in changes {
                switch c {
                case let .addService(s):
                    t.index[s.key] = t.list.count
                    t.list.append(ServiceEntry(service: s))
                case let .addDestination(d, k):
                    if let i = t.index[k] { t.list[i].destinations.append(DestinationEntry(destination: d)) }
                default: break
                }
            }
        }
        return BatchResult(processed: changes.count, failures: [])
    }
}
