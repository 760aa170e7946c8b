import DaemonMetrics
#if canImport(Glibc)
import Glibc
#endif
@testable import HealthCheck
@testable import Director
@testable import EventLoop
@testable import IPVS
import Logging
import Synchronization
import Testing

/// A `--metrics` scrape of a large daemon (500 real servers) while their checks run: the
/// scrape's IPVS dump and its text are made off the reactor thread and off the engine, so the
/// checks keep their schedule while it is rendered (issue 21: the scrape of 2.8 MB used to
/// hold the reactor for seconds).
@Suite("Daemon: checks keep their schedule during a large metrics scrape")
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
    struct CountingChecker: StartableChecker {
        let counter: Counter
        func check() async -> CheckResult { .ok() }
        func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
            counter.starts.add(1, ordering: .relaxed)
            completion(.ok(latency: .milliseconds(1)))
            return {}
        }
    }

    final class Counter: Sendable {
        let starts = Atomic<Int>(0)
        var value: Int { starts.load(ordering: .relaxed) }
        let released = Atomic<Bool>(false)
    }

    /// The engine with its checkers on `reactor`, its metrics kept in `events`.
    static func engine(reactor: Reactor, events: DaemonMetrics, counter: Counter) throws -> DaemonEngine {
        DaemonEngine(
            config: try ConfigParser.parse(text: config, file: "scrape.conf"), table: FakeTable(), marks: nil, settings: DaemonSettings(),
            logger: Logger(label: "scrape", factory: { _ in SwiftLogNoOpLogHandler() }),
            makeChecker: { _ in CountingChecker(counter: counter) },
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
    /// asked from), and its IPVS dump does not return until the checkers have run two more full
    /// rounds (1,000 checks at delay_loop 1). If the scrape's work ran on the reactor thread, or
    /// held the engine, those checks could not run (their timers fire on the reactor, their next
    /// slot is set by the engine) and the dump would wait out its deadline.
    @Test func checksRunWhileAScrapeIsRendered() async throws {
        let reactor = Reactor()
        let events = DaemonMetrics(), counter = Counter()
        let engine = try Self.engine(reactor: reactor, events: events, counter: counter)
        await engine.start()
        let total = Self.virtualServers * Self.perVirtualServer
        let firstRound = Self.block(until: .now + .seconds(60)) { counter.value >= total }
        try #require(firstRound, "every checker ran once: \(counter.value) of \(total)")

        let metrics = DirectorMetrics(events: events, runner: ProcessRunner(reactor: reactor), ipvsDump: {
            let target = counter.value + 2 * total
            counter.released.store(Self.block(until: .now + .seconds(60)) { counter.value >= target }, ordering: .relaxed)
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
}
