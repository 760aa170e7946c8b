import DaemonMetrics
#if canImport(Glibc)
import Glibc
#endif
import FirewallMarks
@testable import HealthCheck
@testable import Director
@testable import EventLoop
@testable import IPVS
import IPVSRules
import Logging
import Synchronization
import Testing

/// An in-memory kernel table with the kernel's rules (Plan.simulate), recording every change
/// it is sent; it can be told to refuse changes to some real servers.
final class FakeTable: KernelTable {
    private struct State {
        var entries: [ServiceEntry]
        var sent: [Change] = []
        var refuse: Set<IPAddress> = []
        var dumps = 0
        var serviceReads = 0
    }
    private let state: Mutex<State>

    init(_ entries: [ServiceEntry] = []) { state = Mutex(State(entries: entries)) }

    var entries: [ServiceEntry] { state.withLock { $0.entries } }
    var sent: [Change] { state.withLock { $0.sent } }
    func refuse(_ a: IPAddress?) { state.withLock { s in if let a { s.refuse.insert(a) } else { s.refuse = [] } } }
    func resetLog() { state.withLock { $0.sent = [] } }
    /// How often the whole table was read, and how often one service was.
    var dumps: Int { state.withLock { $0.dumps } }
    var serviceReads: Int { state.withLock { $0.serviceReads } }
    func resetReads() { state.withLock { $0.dumps = 0; $0.serviceReads = 0 } }

    func services() throws(IPVSError) -> [ServiceEntry] {
        state.withLock { s in
            s.dumps += 1
            return s.entries
        }
    }

    func service(_ key: ServiceKey, statistics: Bool) throws(IPVSError) -> ServiceEntry {
        let found = state.withLock { s in
            s.serviceReads += 1
            return s.entries.first { $0.service.key == key }
        }
        guard let found else {
            throw IPVSError(code: .noSuchService, errno: .noSuchProcess, operation: .getService, object: .service(key), reason: "No such service")
        }
        return found
    }

    func apply(_ changes: [Change], stopAtFirstFailure: Bool) throws(IPVSError) -> BatchResult {
        state.withLock { s in
            var failures: [BatchFailure] = []
            for (i, c) in changes.enumerated() {
                s.sent.append(c)
                if case let .addDestination(d, k) = c, s.refuse.contains(d.address) {
                    failures.append(BatchFailure(index: i, change: c, error: IPVSError(
                        code: .invalidValue, errno: .invalidArgument, operation: .addDestination, object: .destination(d.key, in: k),
                        reason: "refused by the fake kernel")))
                    continue
                }
                let sim = Plan.simulate([c], on: s.entries)
                s.entries = sim.table
                if !sim.rejected.isEmpty {
                    failures.append(BatchFailure(index: i, change: c, error: IPVSError(
                        code: .invalidValue, errno: .fileExists, operation: .addService, reason: "rejected")))
                }
            }
            return BatchResult(processed: changes.count, failures: failures)
        }
    }
}

/// Keeps every log line (level and message).
struct CapturingLogHandler: LogHandler {
    let lines: Lines
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        lines.append("\(event.level) \(event.message)")
    }

    final class Lines: Sendable {
        private let m = Mutex<[String]>([])
        func append(_ s: String) { m.withLock { $0.append(s) } }
        var all: [String] { m.withLock { $0 } }
        func contains(_ s: String) -> Bool { all.contains { $0.contains(s) } }
    }
}

/// A checker that is never run (tests deliver results by hand).
struct IdleChecker: Checker {
    func check() async -> CheckResult { .ok() }
}

final class ScriptLog: Sendable {
    private let m = Mutex<[String]>([])
    func append(_ s: String) { m.withLock { $0.append(s) } }
    var all: [String] { m.withLock { $0 } }
}

let vipService = ServiceKey.address(.tcp, IPAddress("192.0.2.100")!, port: 80)
let foreignService = Service(key: .address(.tcp, IPAddress("198.51.100.1")!, port: 80), scheduler: "rr")
func real(_ n: Int) -> IPAddress { IPAddress("192.0.2.\(100 + n)")! }

func webConfig(extraServer: Bool = false, omega: Bool = false, leadingLines: String = "", quorum: Int = 1) -> String {
    var s = leadingLines + """
        virtual_server 192.0.2.100 80 {
          delay_loop 1
          lb_algo wlc
          lb_kind DR
          protocol TCP
          quorum \(quorum)
          sorry_server 192.0.2.200 80
          quorum_down "/bin/true quorum-down"
        \(omega ? "  omega\n" : "")
        """
    for n in 1...(extraServer ? 4 : 3) {
        s += """
              real_server 192.0.2.\(100 + n) 80 {
                weight 1
                notify_down "/bin/true down \(n)"
                TCP_CHECK {
                  connect_timeout 1
                  retry 1
                }
              }

            """
    }
    return s + "}\n"
}

struct DaemonHarness {
    let table: FakeTable
    let engine: DaemonEngine
    let logs = CapturingLogHandler.Lines()
    let scripts = ScriptLog()

    init(config text: String, table: FakeTable = FakeTable(), statePath: String? = nil, metrics: DaemonMetrics? = nil,
         faultRetry: Duration = .seconds(1), stateWriteWindow: Duration = .milliseconds(100)) throws {
        let config = try ConfigParser.parse(text: text, file: "test.conf")
        self.table = table
        let logs = logs, scripts = scripts
        engine = DaemonEngine(
            config: config, table: table, marks: nil, settings: DaemonSettings(statePath: statePath, faultRetry: faultRetry,
                                                                      stateWriteWindow: stateWriteWindow),
            logger: Logger(label: "test", factory: { _ in CapturingLogHandler(lines: logs) }),
            makeChecker: { _ in IdleChecker() },
            runScript: { command, _ in
                scripts.append(command.description)
                return CheckOutcome(termination: .exited(0), latency: .zero, output: [], outputBytes: 0, pid: nil)
            },
            checkLoop: testReactor, metrics: metrics)
    }

    /// The checker of real server n (1-based) of the first virtual server.
    static func checker(_ n: Int) -> CheckerID { CheckerID(virtualServer: 0, realServer: n - 1, checker: 0) }

    func fail(_ n: Int, times: Int = 1) async {
        for _ in 0..<times { await engine.deliver(Self.checker(n), .failed(.connectFailed(errno: .connectionRefused, message: "Connection refused"))) }
    }

    func succeed(_ n: Int) async { await engine.deliver(Self.checker(n), .ok(latency: .milliseconds(1))) }

    func destinations(_ key: ServiceKey = vipService) -> [DestinationKey] {
        (table.entries.first { $0.service.key == key }?.destinations.map(\.destination.key) ?? []).sorted()
    }
}

@Suite("Daemon: reconciling the kernel table")
struct DaemonEngineTests {
    @Test func startupOnEmptyTableAddsTheConfiguredServices() async throws {
        let h = try DaemonHarness(config: webConfig())
        await h.engine.start(runCheckers: false)
        #expect(h.destinations() == (1...3).map { DestinationKey(address: real($0), port: 80) })
        #expect(h.table.sent.count == 4, "one service and three real servers: \(h.table.sent)")
    }

    @Test func restartWithAHealthyTableChangesNothing() async throws {
        // What a first daemon made, plus a service the configuration does not name.
        let first = try DaemonHarness(config: webConfig())
        await first.engine.start(runCheckers: false)
        var kernel = first.table.entries
        kernel.append(ServiceEntry(service: foreignService, destinations: [DestinationEntry(destination: Destination(address: real(9), port: 80))]))
        // Counters that a recreation would lose.
        kernel[0].stats.connections = 42

        let second = try DaemonHarness(config: webConfig(), table: FakeTable(kernel))
        await second.engine.start(runCheckers: false)
        #expect(second.table.sent.isEmpty, "a restart must not touch the kernel: \(second.table.sent)")
        #expect(second.table.entries == kernel)
    }

    @Test func startupFixesOnlyManagedServicesAndNeverForeignOnes() async throws {
        let svc = Service(key: vipService, scheduler: "rr")   // config says wlc
        let wrong = ServiceEntry(service: svc, destinations: [
            DestinationEntry(destination: Destination(address: real(1), port: 80, forwarding: .directRouting, weight: 1)),
            DestinationEntry(destination: Destination(address: real(7), port: 80, forwarding: .directRouting, weight: 1)),
        ])
        let foreign = ServiceEntry(service: foreignService)
        let h = try DaemonHarness(config: webConfig(), table: FakeTable([wrong, foreign]))
        await h.engine.start(runCheckers: false)
        #expect(h.destinations() == (1...3).map { DestinationKey(address: real($0), port: 80) })
        #expect(h.table.entries.first { $0.service.key == vipService }?.service.scheduler == "wlc")
        #expect(h.table.entries.contains(foreign))
        #expect(!h.table.sent.contains(.deleteService(vipService)), "edited in place, not recreated")
    }

    @Test func serverGoesDownAfterRetryPlusOneFailuresAndComesBackOnFirstSuccess() async throws {
        let h = try DaemonHarness(config: webConfig())
        await h.engine.start(runCheckers: false)
        h.table.resetLog()
        await h.fail(2)
        #expect(h.table.sent.isEmpty, "retry 1: the first failure is retried")
        await h.fail(2)
        #expect(h.table.sent == [.deleteDestination(DestinationKey(address: real(2), port: 80), from: vipService)])
        #expect(h.logs.contains("192.0.2.100:80 192.0.2.102:80 DOWN: TCP_CHECK connect failed: Connection refused"))
        await h.engine.waitForScripts()
        #expect(h.scripts.all.contains { $0.contains("down 2") }, "notify_down ran: \(h.scripts.all)")
        h.table.resetLog()
        await h.succeed(2)
        #expect(h.table.sent.count == 1)
        #expect(h.destinations().contains(DestinationKey(address: real(2), port: 80)))
    }

    @Test func quorumLossBringsTheSorryServerIn() async throws {
        let h = try DaemonHarness(config: webConfig(quorum: 2))
        await h.engine.start(runCheckers: false)
        await h.fail(1, times: 2)
        #expect(h.destinations().count == 2)
        await h.fail(2, times: 2)
        #expect(h.destinations() == [DestinationKey(address: IPAddress("192.0.2.200")!, port: 80)])
        await h.engine.waitForScripts()
        #expect(h.scripts.all.contains { $0.contains("quorum-down") })
        await h.succeed(1)
        #expect(h.destinations() == [1, 3].map { DestinationKey(address: real($0), port: 80) })
    }

    @Test func reloadAppliesOnlyTheDifferenceAndKeepsCheckState() async throws {
        let h = try DaemonHarness(config: webConfig())
        await h.engine.start(runCheckers: false)
        await h.fail(2, times: 2)                 // rs2 down, removed
        await h.fail(3)                           // rs3 has used its retry
        h.table.resetLog()
        // The same servers one line further down, plus a fourth.
        let new = try ConfigParser.parse(text: webConfig(extraServer: true, leadingLines: "# moved\n"), file: "test.conf")
        await h.engine.reload(new)
        #expect(h.table.sent == [.addDestination(Destination(address: real(4), port: 80, forwarding: .directRouting, weight: 1), to: vipService)])
        let state = await h.engine.state
        #expect(state.isAlive(virtualServer: 0, realServer: 1) == false, "rs2 stays down across the reload")
        // rs3's retry was used up before the reload: one more failure takes it down.
        await h.fail(3)
        #expect(!h.destinations().contains(DestinationKey(address: real(3), port: 80)))
        // Removing the virtual server deletes its service, and only it.
        h.table.resetLog()
        await h.engine.reload(DaemonConfig())
        #expect(h.table.sent == [.deleteService(vipService)])
    }

    @Test func reloadRemovesTheMetricsOfRemovedCheckersOnly() async throws {
        let metrics = DaemonMetrics()
        func text() -> String {
            var bytes: [UInt8] = []
            metrics.render(into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        let h = try DaemonHarness(config: webConfig(extraServer: true), metrics: metrics)
        await h.engine.start(runCheckers: false)
        await h.fail(4)
        await h.fail(1)
        #expect(text().contains(#"remote_address="192.0.2.104""#), "rs4's runs and failure are counted")
        await h.engine.reload(try ConfigParser.parse(text: webConfig(), file: "test.conf"))
        let after = text()
        #expect(!after.contains(#"remote_address="192.0.2.104""#), "the removed rs4's series are gone\n\(after)")
        #expect(after.contains(#"remote_address="192.0.2.101",remote_port="80",checker="TCP_CHECK""#), "rs1 keeps its\n\(after)")
        #expect(after.contains(#"reason="refused""#) || after.contains("swiftvs_check_failures_total{"), "rs1's failure stays\n\(after)")
    }

    @Test func invalidReloadKeepsTheRunningConfiguration() async throws {
        let dir = try TempDir()
        let file = try dir.write("swiftvs.conf", webConfig())
        let h = try DaemonHarness(config: webConfig())
        let daemon = DirectorDaemon(configPath: file, lvs: h.engine, vrrp: nil, reactor: testReactor, logger: Logger(label: "t", factory: { _ in CapturingLogHandler(lines: h.logs) }))
        await h.engine.start(runCheckers: false)
        h.table.resetLog()
        try dir.write("swiftvs.conf", webConfig(extraServer: true).replacingOccurrences("lb_algo wlc", "lb_algo nope"))
        #expect(await daemon.reload() == false)
        #expect(h.table.sent.isEmpty)
        #expect(await h.engine.config.virtualServers[0].realServers.count == 3)
        #expect(h.logs.contains("\(file):3:11: lb_algo: unknown scheduler 'nope'"), "\(h.logs.all)")
        #expect(h.logs.contains("keeping the running configuration"))
        // A valid file is taken.
        try dir.write("swiftvs.conf", webConfig(extraServer: true))
        #expect(await daemon.reload())
        #expect(h.table.sent.count == 1)
    }

    @Test func refusedChangesAreLoggedAndRetriedAtTheNextTransition() async throws {
        let h = try DaemonHarness(config: webConfig())
        h.table.refuse(real(3))
        await h.engine.start(runCheckers: false)
        #expect(h.destinations().count == 2)
        #expect(await h.engine.refusedChanges == 1)
        #expect(h.logs.contains("kernel refused -a -t 192.0.2.100:80 -r 192.0.2.103:80 -g -w 1"))
        h.table.refuse(nil)
        await h.fail(1, times: 2)   // the next transition
        #expect(h.destinations() == [2, 3].map { DestinationKey(address: real($0), port: 80) })
    }

    /// Wraps the real MISC_CHECK so the test sees every result, and fails if the daemon ever
    /// runs it through a task (`check()`) instead of its reactor timers (`start`).
    struct ObservedMisc: StartableChecker {
        let inner: MiscChecker
        let seen: AsyncStream<CheckResult>.Continuation

        func check() async -> CheckResult {
            Issue.record("the daemon ran a MISC_CHECK through a task")
            return await inner.check()
        }

        func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
            inner.start { [seen] r in
                completion(r)
                seen.yield(r)
            }
        }
    }

    @Test func miscChecksRunFromReactorTimersAndDriveTheTable() async throws {
        let dir = try TempDir()
        let code = try dir.write("code", "1\n")
        let check = try dir.script("check.sh", "read c < \(code); exit $c")
        let config = try ConfigParser.parse(text: """
            virtual_server 192.0.2.100 80 {
              delay_loop 0.05
              lb_kind DR
              protocol TCP
              real_server 192.0.2.101 80 {
                weight 1
                MISC_CHECK {
                  misc_path \(check)
                  warmup 0
                }
              }
            }

            """, file: "test.conf")
        let table = FakeTable()
        let runner = ProcessRunner(reactor: testReactor)
        let (seen, results) = AsyncStream.makeStream(of: CheckResult.self)
        let engine = DaemonEngine(
            config: config, table: table, marks: nil, settings: DaemonSettings(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            makeChecker: { c in
                guard case let .misc(m) = c.kind else { return IdleChecker() }
                return ObservedMisc(inner: MiscChecker(command: m.command, timeout: .seconds(5), dynamic: false, runner: runner), seen: results)
            },
            runScript: { _, _ in CheckOutcome(termination: .exited(0), latency: .zero, output: [], outputBytes: 0, pid: nil) },
            checkLoop: testReactor)
        func present() -> Bool {
            table.entries.first?.destinations.contains { $0.destination.address == IPAddress("192.0.2.101")! } ?? false
        }
        await engine.start()
        var it = seen.makeAsyncIterator()
        // The next check's timer is set when a check ends, not when the engine has taken its
        // result, so the table is awaited rather than inferred from the results seen. The
        // result's hop to the engine waits in the cooperative pool's queue behind the other
        // suites' tests (seconds on a loaded machine), hence the long limits.
        #expect(await it.next()?.success == false)
        #expect(try await eventually(within: .seconds(60)) { !present() }, "down after the failed check")
        _ = try dir.write("code", "0\n")
        while let r = await it.next(), !r.success {}
        #expect(try await eventually(within: .seconds(60)) { present() }, "back after the first successful check")
        #expect(await engine.checksRun >= 2, "the failed and the successful results were delivered")
        await engine.stop()
    }

    @Test func stopLeavesTheTableWithoutOmega() async throws {
        let h = try DaemonHarness(config: webConfig())
        await h.engine.start(runCheckers: false)
        h.table.resetLog()
        await h.engine.stop()
        #expect(h.table.sent.isEmpty)
        #expect(h.destinations().count == 3)
    }

    @Test func stopWithOmegaRemovesWhatItManagesAndRunsTheScripts() async throws {
        let h = try DaemonHarness(config: webConfig(omega: true), table: FakeTable([ServiceEntry(service: foreignService)]))
        await h.engine.start(runCheckers: false)
        h.table.resetLog()
        await h.engine.stop()
        #expect(h.table.sent == [.deleteService(vipService)])
        #expect(h.table.entries == [ServiceEntry(service: foreignService)])
        #expect(h.scripts.all.filter { $0.contains("/bin/true down") }.count == 3, "\(h.scripts.all)")
        #expect(h.scripts.all.contains { $0.contains("quorum-down") })
    }

    @Test func stateFileIsWrittenAtomicallyAfterEveryChange() async throws {
        let dir = try TempDir()
        let path = dir.path + "/state/ipvs.rules"
        try AtomicFile.makeDirectories(dir.path + "/state")
        let h = try DaemonHarness(config: webConfig(), table: FakeTable([ServiceEntry(service: foreignService)]), statePath: path)
        await h.engine.start(runCheckers: false)
        // Written by hand (ipvsadm-save -n's text and order), not by the renderer that wrote the
        // file: the whole table, the foreign service too.
        #expect(try readFile(path) == """
            -A -t 192.0.2.100:80 -s wlc
            -a -t 192.0.2.100:80 -r 192.0.2.101:80 -g -w 1
            -a -t 192.0.2.100:80 -r 192.0.2.102:80 -g -w 1
            -a -t 192.0.2.100:80 -r 192.0.2.103:80 -g -w 1
            -A -t 198.51.100.1:80 -s rr

            """)
        await h.fail(1, times: 2)
        let removed = """
            -A -t 192.0.2.100:80 -s wlc
            -a -t 192.0.2.100:80 -r 192.0.2.102:80 -g -w 1
            -a -t 192.0.2.100:80 -r 192.0.2.103:80 -g -w 1
            -A -t 198.51.100.1:80 -s rr

            """
        // A transition's write is batched: it comes within the stateWriteWindow (100 ms) of a
        // daemon that has its threads. Here its timer task and the actor hop wait in the
        // cooperative pool's queue behind every other suite's test bodies (two threads on two
        // cores: 8 s and more on a loaded machine, measured), hence the long limit, which only a
        // write that never comes reaches. The file is replaced by rename, so it is always there:
        // a read that fails is a failure.
        #expect(try await eventually(within: .seconds(60)) { try readFile(path) == removed })
        #expect(try readFile(path) == removed, "192.0.2.101 removed")
        #expect(try listDirectory(dir.path + "/state") == ["ipvs.rules"], "no temporary file left behind")
    }
}

@Suite("Daemon: control socket and CLI")
struct DaemonControlTests {
    @Test func statusRoundTripOverTheControlSocket() async throws {
        let dir = try TempDir()
        let path = dir.path + "/run/control.sock"
        let h = try DaemonHarness(config: webConfig())
        await h.engine.start(runCheckers: false)
        await h.fail(2, times: 2)
        await h.succeed(1)
        let daemon = DirectorDaemon(configPath: "test.conf", lvs: h.engine, vrrp: nil, reactor: testReactor, logger: Logger(label: "t", factory: { _ in CapturingLogHandler(lines: h.logs) }))
        let fd = try ControlSocket.listen(path: path)
        var st = stat()
        #expect(stat(path, &st) == 0)
        #expect(st.st_mode & 0o777 == 0o600, "owner only")
        let server = Task { await ControlSocket.serve(fd: fd, path: path, reactor: testReactor) { await daemon.answer($0) } }
        defer { server.cancel() }

        // The daemon's answer hops to the engine actor, which waits in the cooperative pool's
        // queue behind the other suites' tests (10 s and more on a loaded machine): a long limit.
        let json = try await Task.detached { try ControlSocket.request("status json", path: path, timeout: 60) }.value
        #expect(json.hasPrefix("{\"started_at\":\""))
        #expect(json.contains("\"address\":\"192.0.2.102:80\",\"state\":\"down\""), "\(json)")
        #expect(json.contains("\"last_result\":\"connect failed: Connection refused\""))
        #expect(json.contains("\"address\":\"192.0.2.101:80\",\"state\":\"up\",\"weight\":1,\"configured_weight\":1,\"last_result\":\"ok\",\"latency_ms\":1.000"), "\(json)")
        let text = try await Task.detached { try ControlSocket.request("status", path: path, timeout: 60) }.value
        #expect(text.contains("virtual_server 192.0.2.100:80 (wlc)"))
        #expect(text.contains("192.0.2.102:80  DOWN"))
        #expect(try await Task.detached { try ControlSocket.request("ping", path: path, timeout: 60) }.value == "pong\n")
        server.cancel()
        await server.value
        #expect(access(path, F_OK) != 0, "the socket is removed when the server stops")
    }

    @Test func checkConfigExitCodesAndOutput() async throws {
        let swiftvs = try siblingExecutable("swiftvs")
        let dir = try TempDir()
        let good = try dir.write("good.conf", webConfig())
        let warned = try dir.write("warned.conf", "global_defs {\n  router_id x\n  smtp_server 192.0.2.1\n}\n" + webConfig())
        let bad = try dir.write("bad.conf", webConfig().replacingOccurrences("lb_algo wlc", "lb_algo nope").replacingOccurrences("192.0.2.102 80", "192.0.2.x 80"))
        let runner = ProcessRunner(reactor: testReactor, outputLimit: 1 << 16)
        let ok = await runner.run(.exec([swiftvs, "check-config", good]), timeout: .seconds(30))
        #expect(ok.termination == .exited(0))
        #expect(ok.outputText.contains("OK: 1 virtual servers, 3 real servers, 3 checkers"))
        let w = await runner.run(.exec([swiftvs, "check-config", warned]), timeout: .seconds(30))
        #expect(w.termination == .exited(0))
        #expect(w.outputText.contains("\(warned):3:3: warning: 'smtp_server' not used by swiftvs; ignored"), "\(w.outputText)")
        let b = await runner.run(.exec([swiftvs, "check-config", bad]), timeout: .seconds(30))
        #expect(b.termination == .exited(2))
        #expect(b.outputText.contains("\(bad):3:11: lb_algo: unknown scheduler 'nope'"), "\(b.outputText)")
        #expect(b.outputText.contains("\(bad):17:15: invalid real server address"), "every problem is listed: \(b.outputText)")
    }

    @Test func vipMarkOption() throws {
        let m = try VIPMark(parsing: "192.0.2.100=80")
        #expect(m.mark == 80)
        #expect(m.rule.description.contains("192.0.2.100"))
        #expect(throws: MarkError.self) { try VIPMark(parsing: "192.0.2.100") }
        #expect(throws: MarkError.self) { try VIPMark(parsing: "192.0.2.100=0") }
    }
}

func readFile(_ path: String) throws -> String {
    guard let f = fopen(path, "r") else { throw TestError("cannot open \(path)") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = fread(&buf, 1, buf.count, f)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}

func listDirectory(_ path: String) throws -> [String] {
    guard let d = opendir(path) else { throw TestError("cannot open \(path)") }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

/// A program built beside the test bundle (the package's bin directory).
func siblingExecutable(_ name: String) throws -> String {
    var buf = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buf, buf.count - 1)
    guard n > 0 else { throw TestError("readlink /proc/self/exe failed") }
    let exe = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    let dir = String(exe[..<exe.lastIndex(of: "/")!])
    let path = dir + "/" + name
    guard access(path, X_OK) == 0 else { throw TestError("\(path) not built (swift build first)") }
    return path
}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        var out = ""
        var rest = self[...]
        while !rest.isEmpty {
            if rest.hasPrefix(a) {
                out += b
                rest = rest.dropFirst(a.count)
            } else {
                out.append(rest.removeFirst())
            }
        }
        return out
    }
}
