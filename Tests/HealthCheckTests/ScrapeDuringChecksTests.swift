@testable import DaemonMetrics
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import HealthCheck
import Director
@testable import EventLoop
import IPVS
import Logging
import Prometheus
import Synchronization
import Testing

/// A `--metrics` scrape of a large daemon (500 real servers) while their checks run: the
/// scrape's IPVS dump and its text are made off the reactor thread and off the engine, so the
/// checks keep their schedule while it is rendered (issue 21: the scrape of 2.8 MB used to
/// hold the reactor for seconds).
@Suite("Daemon: checks keep their schedule during a large metrics scrape or a slow kernel table", .serialized)
struct ScrapeDuringChecksTests {
    static let virtualServers = 5, perVirtualServer = 100

    /// Five virtual servers of 100 real servers, a TCP_CHECK each at delay_loop 1.
    static var config: String {
        var s = ""
        for v in 0..<virtualServers {
            s += "virtual_server 198.51.100.\(140 + v) 80 {\n  delay_loop 1\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
            for n in 1...perVirtualServer {
                s += "  real_server 203.0.113.\(n) 80 {\n    TCP_CHECK {\n      connect_timeout 1\n    }\n  }\n"
            }
            s += "}\n"
        }
        return s
    }

    /// A check that passes at once, counting its starts (on the reactor thread, from its timer).
    /// The real server whose checks fail once `Counter.failing` is set: 203.0.113.1.
    struct CountingChecker: StartableChecker {
        let counter: Counter
        var target = ""
        func check() async -> CheckResult { .ok() }
        func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
            counter.starts.add(1, ordering: .relaxed)
            if target == "203.0.113.1", counter.failing.load(ordering: .relaxed) {
                completion(.failed(.connectFailed(errno: .connectionRefused, message: "Connection refused"), latency: .milliseconds(1)))
            } else {
                completion(.ok(latency: .milliseconds(1)))
            }
            return {}
        }
    }

    /// A kernel table whose reads, once `Counter.blockReads` is set, wait (blocking the thread
    /// that reads, as a netlink dump does) until the reactor has shown it runs timers
    /// (`reactorRuns`), and `starts` more checks have started.
    final class SlowTable: KernelTable {
        let inner = FakeTable()
        let counter: Counter
        let reactor: Reactor
        /// Check starts the blocked read waits for besides the reactor's timers.
        let starts: Int
        init(counter: Counter, reactor: Reactor, starts: Int = 0) {
            self.counter = counter
            self.reactor = reactor
            self.starts = starts
        }
        func services() throws(IPVSError) -> [ServiceEntry] {
            if counter.blockReads.exchange(false, ordering: .relaxed) {
                counter.released.store(ScrapeDuringChecksTests.reactorRuns(reactor, counter, starts: starts, deadline: .now + .seconds(60)), ordering: .relaxed)
            }
            return try inner.services()
        }
        func apply(_ changes: [Change], stopAtFirstFailure: Bool) throws(IPVSError) -> BatchResult {
            try inner.apply(changes, stopAtFirstFailure: stopAtFirstFailure)
        }
    }

    final class Counter: Sendable {
        let starts = Atomic<Int>(0)
        var value: Int { starts.load(ordering: .relaxed) }
        let released = Atomic<Bool>(false)
        let failing = Atomic<Bool>(false)
        let blockReads = Atomic<Bool>(false)
    }

    /// The engine with its checkers on `reactor`, its metrics kept in `events`.
    static func engine(reactor: Reactor, events: DaemonMetrics, counter: Counter, table: any KernelTable = FakeTable()) throws -> DaemonEngine {
        DaemonEngine(
            config: try ConfigParser.parse(text: config, file: "scrape.conf"), table: table, marks: nil, settings: DaemonSettings(),
            logger: Logger(label: "scrape", factory: { _ in SwiftLogNoOpLogHandler() }),
            makeChecker: { CountingChecker(counter: counter, target: $0.connectIP.description) },
            runScript: { _, _ in CheckOutcome(termination: .exited(0), latency: .zero, output: [], outputBytes: 0, pid: nil) },
            checkLoop: reactor, jitter: { _ in .zero }, metrics: events)
    }

    /// The IPVS table a director of this size has: the five services with their 100 real servers.
    static var table: [ServiceEntry] {
        (0..<virtualServers).map { v in
            let key = ServiceKey.address(.tcp, IPAddress("198.51.100.\(140 + v)")!, port: 80)
            var stats = Stats()
            stats.connections = 1000
            return ServiceEntry(service: Service(key: key, scheduler: "rr"), stats: stats, destinations: (1...perVirtualServer).map { n in
                DestinationEntry(destination: Destination(address: IPAddress("203.0.113.\(n)")!, port: 80, forwarding: .masquerade, weight: 1),
                                 activeConnections: 2, inactiveConnections: 3)
            })
        }
    }

    /// Waits (60 s at most) until the engine has taken two results of every checker.
    static func twoRounds(_ engine: DaemonEngine) async throws {
        let total = virtualServers * perVirtualServer
        var taken = 0
        for _ in 0..<600 where taken < 2 * total {
            try await Task.sleep(for: .milliseconds(100))
            taken = await engine.checksRun
        }
        try #require(taken >= 2 * total, "every checker's result taken twice: \(taken) of \(2 * total)")
    }

    /// Blocks the calling thread (it stands for a netlink dump) until a chain of 20 timers, each
    /// set 20 ms after the last fired, has run on `reactor`, and `starts` more checks have
    /// started; false at `deadline`. Both need the reactor thread to be free (the checks' starts
    /// need the engine too, to have set their timers).
    static func reactorRuns(_ reactor: Reactor, _ counter: Counter, starts more: Int, deadline: ContinuousClock.Instant) -> Bool {
        let fired = Atomic<Int>(0)
        @Sendable func chain() {
            _ = reactor.schedule(at: .now + .milliseconds(20)) {
                if fired.add(1, ordering: .relaxed).newValue < 20 { chain() }
            }
        }
        chain()
        let starts = counter.value + more
        return block(until: deadline) { fired.load(ordering: .relaxed) >= 20 && counter.value >= starts }
    }

    /// Waits, sleeping between looks (no thread held), until `condition` holds or `deadline`
    /// passes; whether it held.
    static func poll(until deadline: ContinuousClock.Instant, _ condition: @Sendable () -> Bool) async throws -> Bool {
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(2))
        }
        return condition()
    }

    /// Waits (blocking this thread: it stands for the scrape's netlink dump) until `condition`
    /// holds or `deadline` passes; whether it held.
    static func block(until deadline: ContinuousClock.Instant, _ condition: () -> Bool) -> Bool {
        while ContinuousClock.now < deadline {
            if condition() { return true }
            usleep(2000)
        }
        return condition()
    }

    /// The scrape is started from a task on the reactor itself (the worst place it could be
    /// asked from), and its IPVS dump does not return until the reactor has run a chain of
    /// timers and 50 more checks have started (`reactorRuns`). If the scrape's work ran on the
    /// reactor thread, neither could happen and the dump would wait out its deadline.
    @Test func checksRunWhileAScrapeIsRendered() async throws {
        let reactor = Reactor()
        let events = DaemonMetrics(), counter = Counter()
        let engine = try Self.engine(reactor: reactor, events: events, counter: counter)
        await engine.start()
        let total = Self.virtualServers * Self.perVirtualServer
        try await Self.twoRounds(engine)

        let metrics = DirectorMetrics(events: events, runner: ProcessRunner(reactor: reactor), ipvsDump: {
            counter.released.store(Self.reactorRuns(reactor, counter, starts: 50, deadline: .now + .seconds(60)), ordering: .relaxed)
            return Self.table
        }, lvs: engine, vrrp: nil)
        let text = await Task(executorPreference: reactor) { await metrics.scrape() }.value
        await engine.stop()

        let released = counter.released.load(ordering: .relaxed)
        #expect(released, "checks went on while the scrape was made: \(counter.value) starts")
        let lines = String(decoding: text, as: UTF8.self).split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("swiftvs_check_up{") }.count == total)
        #expect(lines.filter { $0.hasPrefix("swiftvs_ipvs_backend_weight{") }.count == total)
        #expect(lines.filter { $0.hasPrefix("swiftvs_check_runs_total{") }.count == total)
        #expect(lines.filter { $0.hasPrefix("# TYPE swiftvs_check_up ") }.count == 1, "one family, its samples together")
    }

    /// A transition makes the engine read the kernel table (and change it, and write the state
    /// file): with 500 real servers a debug build under emulation spends seconds there. The
    /// engine takes the checks' results off the reactor thread, so the reactor goes on firing
    /// the checks' timers (and reaping their processes) meanwhile: the read does not return
    /// until the reactor has shown it runs (`reactorRuns`). (With the results taken on the
    /// reactor, as before, the read held the reactor and the test waits out its deadline.)
    @Test func checksRunWhileATransitionReadsTheKernelTable() async throws {
        let (released, done, starts) = try await Self.transitionWithABlockedRead(startsAsked: 0)
        #expect(released, "checks started while the table was read: \(starts) starts")
        #expect(done, "203.0.113.1 left the table")
    }

    /// While the engine is held by a transition (its table read blocks), every checker keeps
    /// its schedule: the read does not return until two more rounds of all 500 checks (delay_loop
    /// 1) have started. Their timers are set when each check ends, not when the engine takes the
    /// result. (With the timer set by the engine's answer, as before, no check started while the
    /// engine was held, and the read waits out its 60 s deadline.)
    @Test func checksKeepTheirSlotsWhileTheEngineIsBusy() async throws {
        let (released, done, starts) = try await Self.transitionWithABlockedRead(startsAsked: 2 * Self.virtualServers * Self.perVirtualServer)
        #expect(released, "two rounds of checks started while the engine was held: \(starts) starts")
        #expect(done, "203.0.113.1 left the table")
    }

    /// Two rounds of every check, then 203.0.113.1 fails: the transition's table read blocks
    /// until the reactor has run timers and `startsAsked` more checks have started (`SlowTable`).
    /// Whether that happened in time, whether the server then left the table, and the starts.
    static func transitionWithABlockedRead(startsAsked: Int) async throws -> (released: Bool, done: Bool, starts: Int) {
        let reactor = Reactor()
        let counter = Counter()
        let table = SlowTable(counter: counter, reactor: reactor, starts: startsAsked)
        let engine = try Self.engine(reactor: reactor, events: DaemonMetrics(), counter: counter, table: table)
        await engine.start()
        try await Self.twoRounds(engine)
        counter.blockReads.store(true, ordering: .relaxed)
        counter.failing.store(true, ordering: .relaxed)
        // Waited for without holding a thread: the blocked read already holds one of the
        // cooperative pool's (two on this machine), and a second blocked waiter left none for
        // every other suite running beside this one (SSL_GET's timeouts fired seconds late).
        let read = try await poll(until: .now + .seconds(120)) { !counter.blockReads.load(ordering: .relaxed) }
        try #require(read, "a transition read the table")
        let done = try await poll(until: .now + .seconds(120)) { table.inner.entries.allSatisfy { $0.destinations.count < Self.perVirtualServer } }
        await engine.stop()
        return (counter.released.load(ordering: .relaxed), done, counter.value)
    }
}

/// What a scrape of 500 real servers costs, the way the daemon makes it now and the way it did
/// before (every state series registered in a swift-prometheus registry made for the scrape,
/// then emitted). Prints the figures; runs only with `SWIFTVS_SCRAPE_BENCH=1`.
@Suite("Metrics: the cost of a scrape of 500 real servers", .enabled(if: ProcessInfo.processInfo.environment["SWIFTVS_SCRAPE_BENCH"] != nil,
                                                                  "a measurement, not a check: SWIFTVS_SCRAPE_BENCH=1"))
struct ScrapeCostBenchmark {
    @Test func scrapeOf500Servers() async throws {
        let reactor = Reactor()
        let events = DaemonMetrics(), counter = ScrapeDuringChecksTests.Counter()
        let engine = try ScrapeDuringChecksTests.engine(reactor: reactor, events: events, counter: counter)
        await engine.start()
        let total = ScrapeDuringChecksTests.virtualServers * ScrapeDuringChecksTests.perVirtualServer
        try #require(ScrapeDuringChecksTests.block(until: .now + .seconds(60)) { counter.value >= 2 * total })
        let table = ScrapeDuringChecksTests.table
        let runner = ProcessRunner(reactor: reactor)
        let metrics = DirectorMetrics(events: events, runner: runner, ipvsDump: { table }, lvs: engine, vrrp: nil)

        var now: [Duration] = [], before: [Duration] = [], eventsOnly: [Duration] = [], nowBytes = 0, beforeBytes = 0
        for _ in 0..<5 {
            var bytes: [UInt8] = []
            let t = ContinuousClock.now
            events.render(into: &bytes)
            eventsOnly.append(.now - t)
            var start = ContinuousClock.now
            nowBytes = await metrics.scrape().count
            now.append(.now - start)
            start = .now
            beforeBytes = await Self.registryScrape(events: events, engine: engine, table: table).count
            before.append(.now - start)
        }
        await engine.stop()
        func median(_ d: [Duration]) -> String { "\(d.sorted()[d.count / 2])" }
        print("scrape of \(total) real servers: now \(median(now)) (\(nowBytes) bytes), with a registry per scrape \(median(before)) (\(beforeBytes) bytes); the event series alone \(median(eventsOnly)); medians of 5")
        #expect(nowBytes > 0 && beforeBytes > 0)
    }

    /// The scrape as the daemon made it before ExpositionWriter: the state series registered in a
    /// fresh registry (swift-prometheus 2.4.1), then emitted after the event series.
    static func registryScrape(events: DaemonMetrics, engine: DaemonEngine, table: [ServiceEntry]) async -> [UInt8] {
        var out: [UInt8] = []
        events.render(into: &out)
        let r = PrometheusCollectorRegistry()
        let config = await engine.config, state = await engine.state
        for (v, vs) in config.virtualServers.enumerated() {
            let vl = CheckLabels.virtualServer(vs)
            r.gauge("swiftvs_virtual_server_quorum_up", vl, help: "q").set(Int64(state.hasQuorum(virtualServer: v) ? 1 : 0))
            r.gauge("swiftvs_virtual_server_live_weight", vl, help: "w").set(state.liveWeight(virtualServer: v))
            for (i, rs) in vs.realServers.enumerated() {
                let rl = CheckLabels.realServer(vs, rs)
                r.gauge("swiftvs_real_server_up", rl, help: "u").set(Int64(state.isAlive(virtualServer: v, realServer: i) ? 1 : 0))
                r.gauge("swiftvs_real_server_weight", rl, help: "w").set(Int64(state.weight(virtualServer: v, realServer: i)))
                r.gauge("swiftvs_real_server_last_transition_timestamp_seconds", rl, help: "t").set(1.5e9)
                for (c, ch) in rs.checkers.enumerated() {
                    r.gauge("swiftvs_check_up", CheckLabels.checker(vs, rs, ch), help: "c")
                        .set(Int64(state.isCheckerUp(CheckerID(virtualServer: v, realServer: i, checker: c)) ? 1 : 0))
                }
            }
        }
        for entry in table {
            let labels = IPVSLabels.service(entry.service.key)
            for c in IPVSMetrics.statCounters {
                r.counter("swiftvs_ipvs_service_" + c.suffix, labels, help: c.help).increment(by: Int64(clamping: c.value(entry.stats)))
            }
            for d in entry.destinations {
                let dl = IPVSLabels.destination(entry.service.key, address: d.destination.address, port: d.destination.port)
                for c in IPVSMetrics.statCounters {
                    r.counter("swiftvs_ipvs_backend_" + c.suffix, dl, help: c.help).increment(by: Int64(clamping: c.value(d.stats)))
                }
                r.gauge("swiftvs_ipvs_backend_connections_active", dl, help: "a").set(Int64(d.activeConnections))
                r.gauge("swiftvs_ipvs_backend_connections_inactive", dl, help: "i").set(Int64(d.inactiveConnections))
                r.gauge("swiftvs_ipvs_backend_weight", dl, help: "w").set(Int64(d.destination.weight))
            }
        }
        r.emit(into: &out)
        return out
    }
}

/// The soak's load on the host, without the VM: 500 MISC_CHECKs (`busybox test -e`) at
/// delay_loop 5 through the daemon's engine, process runner (64 slots) and reactor, for
/// `SWIFTVS_MISC_BENCH` seconds. Prints the checks run, the engine's CPU per check (this
/// process's, the children's apart) and how late they started.
@Suite("Daemon: the cost of 500 MISC_CHECKs", .enabled(if: ProcessInfo.processInfo.environment["SWIFTVS_MISC_BENCH"] != nil,
                                                     "a measurement, not a check: SWIFTVS_MISC_BENCH=SECONDS"))
struct MiscCheckCostBenchmark {
    static func cpu(_ who: __rusage_who) -> Double {
        var u = rusage()
        getrusage(Int32(who.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    @Test func fiveHundredMiscChecks() async throws {
        let seconds = Double(ProcessInfo.processInfo.environment["SWIFTVS_MISC_BENCH"] ?? "") ?? 30
        var text = ""
        for v in 0..<5 {
            text += "virtual_server 198.51.100.\(140 + v) 80 {\n  delay_loop 5\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n"
            for n in 1...100 {
                text += "  real_server 203.0.113.\(n) 80 {\n    MISC_CHECK {\n      misc_path \"/bin/busybox test -e /\"\n      misc_timeout 2\n    }\n  }\n"
            }
            text += "}\n"
        }
        let reactor = Reactor()
        let events = DaemonMetrics()
        let runner = ProcessRunner(reactor: reactor, maxConcurrent: 64)
        let factory = CheckerFactory(runner: runner)
        let engine = DaemonEngine(
            config: try ConfigParser.parse(text: text, file: "misc.conf"), table: FakeTable(), marks: nil, settings: DaemonSettings(),
            logger: Logger(label: "misc", factory: { _ in SwiftLogNoOpLogHandler() }), makeChecker: { factory.make($0) },
            runScript: { _, _ in CheckOutcome(termination: .exited(0), latency: .zero, output: [], outputBytes: 0, pid: nil) },
            checkLoop: reactor, metrics: events)
        await engine.start()
        let cpu0 = Self.cpu(RUSAGE_SELF), children0 = Self.cpu(RUSAGE_CHILDREN), runs0 = await engine.checksRun
        try await Task.sleep(for: .seconds(seconds))
        let cpu = Self.cpu(RUSAGE_SELF) - cpu0, children = Self.cpu(RUSAGE_CHILDREN) - children0, runs = await engine.checksRun - runs0
        await engine.stop()
        var bytes: [UInt8] = []
        events.render(into: &bytes)
        let late = String(decoding: bytes, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("swiftvs_check_start_delay_seconds_bucket") }
        print("500 MISC_CHECKs at delay_loop 5 for \(Int(seconds)) s: \(runs) checks (\(Int(Double(runs) / seconds))/s), this process \(String(format: "%.2f", cpu)) CPU-s "
              + "(\(String(format: "%.2f", cpu / Double(max(runs, 1)) * 1000)) ms a check), children \(String(format: "%.2f", children)) CPU-s; lateness: \(late.joined(separator: " | "))")
        #expect(runs > 0)
    }
}
