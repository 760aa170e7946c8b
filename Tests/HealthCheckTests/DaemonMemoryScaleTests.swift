import CLinux
@testable import Director
@testable import EventLoop
@testable import HealthCheck
import IPVS
import Diagnostics
import IPVSRules
import KeepalivedConfig
import Logging
import Synchronization
import Testing

/// What the daemon holds at Scripts/bench's daemon-scale size, natively and without IPVS:
/// SWIFTVS_SCALE_CONF (Scripts/lib/bench-scale.awk's base file) is read as `swiftvs daemon`
/// reads it, the engine starts on an in-memory table with the real checkers (run it in a
/// network namespace of its own: the TCP_CHECKs' connects then fail at once, nothing leaves
/// it), and SWIFTVS_SCALE_CONF_NEXT (if set) is the reload (several, separated by ':'). Prints the resident set and the
/// heap malloc holds and uses after each step (SWIFTVS_SCALE_STATE: the state file's path, as `--state`); meant for heaptrack (`MALLOC_ARENA_MAX=1 heaptrack .build/debug/swiftvsPackageTests.xctest
/// --testing-library swift-testing --filter DaemonMemoryScale`). Off by default.
@Suite struct DaemonMemoryScaleTests {
    @Test(.enabled(if: DaemonScaleSetUp.base != nil, "set SWIFTVS_SCALE_CONF (and SWIFTVS_SCALE_CONF_NEXT for a reload)"))
    func residentSetOfTheDaemonAtScale() async throws {
        let path = try #require(DaemonScaleSetUp.base)
        // malloc as `swiftvs daemon` sets it first thing (one arena: here only with
        // MALLOC_ARENA_MAX=1 in the environment, the test runner's threads having allocated
        // already; without it the figures mix several arenas' partly used heaps).
        DaemonMain.limitMemory()
        print("sizes: SourceLocation \(MemoryLayout<Diagnostics.SourceLocation>.size) B, CheckerConfig \(MemoryLayout<CheckerConfig>.size) B, RealServerConfig \(MemoryLayout<RealServerConfig>.size) B, VirtualServerConfig \(MemoryLayout<VirtualServerConfig>.size) B, Destination \(MemoryLayout<Destination>.size) B, DestinationEntry \(MemoryLayout<DestinationEntry>.size) B, TCPChecker \(MemoryLayout<TCPChecker>.size) B, CheckResult \(MemoryLayout<CheckResult>.size) B, last result \(MemoryLayout<DaemonEngine.CheckRecord>.size) B")
        try Self.report("before the read")
        let reader = IncrementalConfigReader(file: path, configID: nil)
        let reactor = Reactor()
        let runner = ProcessRunner(reactor: reactor)
        let table = ScaleTable()
        let engine = try DaemonScaleSetUp.engine(reading: reader, table: table, runner: runner, logger: Self.noticeLogger,
                                                 afterRead: { try Self.report("read (\($0) virtual servers)") })
        await engine.start()
        try Self.report("started (\(table.count) destinations in the table)")
        // A first round of checks as the daemon holds it afterwards (each checker's last
        // result): one success for every checker, so nothing changes in the table.
        for id in await engine.state.checkerIDs { await engine.deliver(id, .ok(latency: .milliseconds(1))) }
        try Self.report("a first round of results delivered")
        reader.completeSnapshot()
        try Self.report("snapshot made")
        // SWIFTVS_SCALE_CONF_NEXT may name several files, separated by ':' (the bench's
        // reloads in its order: the same file, one server added, 100 weights): one reload each.
        for next in DaemonScaleSetUp.next.map({ $0.split(separator: ":").map(String.init) }) ?? [] {
            try FileCopy.replace(path, with: next)
            let clock = ContinuousClock()
            var t = clock.now
            let read = reader.read(files: HashingFileSystem(hashing: false))
            let readTime = clock.now - t
            let new = try #require(read.result.config)
            try Self.report("reload read (\(read.reread.map { "\($0.chunks) of \($0.of) chunks" } ?? "whole file") in \(readTime.logSeconds): \(read.phases))")
            t = clock.now
            await engine.reload(new.lvs, unchanged: read.unchanged)
            try Self.report("reloaded in \((clock.now - t).logSeconds) (\(table.count) destinations in the table)")
        }
        await engine.stop()
        #expect(table.count > 0)
    }

    /// The engine's notices (start-up, the reload's phases) on standard output.
    static var noticeLogger: Logger {
        var logger = Logger(label: "scale", factory: { StreamLogHandler.standardOutput(label: $0) })
        logger.logLevel = .notice
        return logger
    }

    /// VmRSS, VmHWM and RssAnon now, on standard output; an unreadable /proc/self/status fails
    /// the test (the figures are what it is run for).
    static func report(_ step: String) throws {
        var fields: [String: String] = [:]
        for line in try LocalFileSystem().read("/proc/self/status").split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[String(line[..<colon])] = String(line[line.index(after: colon)...]).trimmingSpaces
        }
        let heap = swiftvs_heap_figures()
        print("memory: \(step): rss \(fields["VmRSS"] ?? "?"), peak \(fields["VmHWM"] ?? "?"), anonymous \(fields["RssAnon"] ?? "?"), heap held \(heap.held / 1024) kB, in use \(heap.in_use / 1024) kB")
    }
}

/// An in-memory kernel table for a large configuration: a batch is applied in one
/// `Plan.simulate` (not one per change, as `FakeTable` does).
final class ScaleTable: KernelTable {
    private let entries = Mutex<[ServiceEntry]>([])

    var count: Int { entries.withLock { $0.reduce(0) { $0 + $1.destinations.count } } }

    func services() throws(IPVSError) -> [ServiceEntry] { entries.withLock { $0 } }

    func service(_ key: ServiceKey, statistics: Bool) throws(IPVSError) -> ServiceEntry {
        guard let e = entries.withLock({ $0.first { $0.service.key == key } }) else {
            throw IPVSError(code: .noSuchService, errno: .noSuchProcess, operation: .getService, object: .service(key), reason: "No such service")
        }
        return e
    }

    func apply(_ changes: [Change], stopAtFirstFailure: Bool) throws(IPVSError) -> BatchResult {
        entries.withLock { t in
            let sim = Plan.simulate(changes, on: t)
            t = sim.table
            return BatchResult(processed: changes.count, failures: [])
        }
    }
}

/// The file at `path` takes `other`'s text (a reload's new configuration at the same path).
enum FileCopy {
    static func replace(_ path: String, with other: String) throws {
        let text = try LocalFileSystem().read(other)
        try AtomicFile.write(text, to: path)
    }
}

extension StringProtocol {
    var trimmingSpaces: String { String(drop { $0 == " " || $0 == "\t" }) }
}
