#if canImport(Glibc)
import Glibc
#endif
@testable import Director
@testable import EventLoop
@testable import HealthCheck
import IPVS
import Logging
import Testing

/// What the daemon-scale suites (`DaemonStartupScaleTests`, `DaemonMemoryScaleTests`, all off by
/// default) share: the environment that turns them on and names their files (read here for
/// `IncrementalReloadScaleTests` too), and the engine made from the start-up's read as
/// `swiftvs daemon` makes it (`DaemonMain.assemble`).
enum DaemonScaleSetUp {
    /// SWIFTVS_SCALE_CONF: the configuration at Scripts/bench's daemon-scale size
    /// (Scripts/lib/bench-scale.awk's base file). Unset, the suites are off.
    static let base = environment("SWIFTVS_SCALE_CONF")
    /// SWIFTVS_SCALE_CONF_NEXT: the configuration of a reload, if any.
    static let next = environment("SWIFTVS_SCALE_CONF_NEXT")
    /// SWIFTVS_SCALE_STATE: where the state file is written, as `swiftvs daemon --state` writes
    /// it (at start-up and after a reload's change it renders the whole table); unset, none.
    static let state = environment("SWIFTVS_SCALE_STATE")

    private static func environment(_ name: String) -> String? {
        Glibc.getenv(name).map { String(cString: $0) }
    }

    /// The engine of the start-up's read of `reader`, its checkers run by `runner` on its
    /// reactor; `afterRead` is told how many virtual servers were read before the engine is
    /// made. Nothing of the read is held past this call but what the engine and the reader keep.
    static func engine(reading reader: IncrementalConfigReader, table: any KernelTable, runner: ProcessRunner,
                       logger: Logger, afterRead: (_ virtualServers: Int) throws -> Void) throws -> DaemonEngine {
        let checked = reader.read(files: HashingFileSystem(hashing: false), deferSnapshot: true).result
        let director = try #require(checked.config, "\(checked.errors)")
        try afterRead(director.lvs.virtualServers.count)
        let factory = CheckerFactory(runner: runner)
        return DaemonEngine(
            config: director.lvs, table: table, marks: nil, settings: DaemonSettings(statePath: state),
            logger: logger, makeChecker: { factory.make($0) }, runScript: { await runner.run($0, timeout: $1) },
            checkLoop: runner.reactor)
    }
}
