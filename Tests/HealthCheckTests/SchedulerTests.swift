import Logging
import Synchronization
import Testing
import IPVS
@testable import HealthCheck
@testable import EventLoop

/// The schedule the daemon runs, on a hand-driven clock: DaemonEngine's CheckDriver (the
/// MISC_CHECK path: reactor timers, no task) and its task loop (TCP_CHECK, HTTP_GET, ...), both
/// with the same rules: no drift, an overrun check started again at once and once,
/// delay_before_retry after a failure, the first check after a part of warmup.
@Suite("daemon check scheduling")
struct SchedulerTests {
    /// Which of the engine's two schedulers a fake checker goes through.
    enum Path: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case driver, task
        var testDescription: String { rawValue }
    }

    /// A checker whose results and duration the test scripts; records when each check started.
    /// As a `StartableChecker` it runs through CheckDriver; wrapped in `TaskChecker`, through
    /// the engine's task loop.
    final class ScriptedChecker: StartableChecker, Sendable {
        let clock: ManualCheckClock
        private let state: Mutex<(results: [CheckResult], durations: [Duration], starts: [Duration])>
        /// Checks that ended (their result handed to the engine, or about to be).
        let ended = Atomic<Int>(0)

        /// Each check takes the next of `durations` (the last one repeats) and gives the next of
        /// `results` (the same).
        init(clock: ManualCheckClock, durations: [Duration] = [.zero], results: [CheckResult] = [.ok()]) {
            self.clock = clock
            state = Mutex((results, durations, []))
        }

        convenience init(clock: ManualCheckClock, duration: Duration, results: [CheckResult] = [.ok()]) {
            self.init(clock: clock, durations: [duration], results: results)
        }

        /// When each check started, in seconds since the clock's start.
        var starts: [Double] { state.withLock { $0.starts }.map(seconds) }

        private func next() -> (CheckResult, Duration) {
            state.withLock { s in
                s.starts.append(clock.elapsed)
                let d = s.durations.count > 1 ? s.durations.removeFirst() : (s.durations.first ?? .zero)
                return (s.results.count > 1 ? s.results.removeFirst() : (s.results.first ?? .ok()), d)
            }
        }

        func start(_ completion: @escaping @Sendable (CheckResult) -> Void) -> @Sendable () -> Void {
            let (result, duration) = next()
            guard duration > .zero else {
                ended.add(1, ordering: .relaxed)
                completion(result)
                return {}
            }
            let timer = clock.schedule(at: clock.now + duration) { [self] in
                ended.add(1, ordering: .relaxed)
                completion(result)
            }
            return { [clock] in clock.cancelTimer(timer) }
        }

        func check() async -> CheckResult {
            let (result, duration) = next()
            if duration > .zero { try? await clock.sleep(until: clock.now + duration) }
            ended.add(1, ordering: .relaxed)
            return result
        }
    }

    /// Hides `StartableChecker`, so the engine runs the checker in a task loop.
    struct TaskChecker: Checker {
        let inner: ScriptedChecker
        func check() async -> CheckResult { await inner.check() }
    }

    static let ok = CheckResult.ok()
    static let fail = CheckResult.failed(.connectFailed(errno: .connectionRefused, message: "Connection refused"))

    /// A virtual server with real servers 192.0.2.11, .12, ... (delay_loop 10 unless `vsExtra`
    /// says otherwise) and an engine whose checkers are `checkers` (by real server), on `clock`.
    static func engine(_ vsExtra: String, servers: Int, checkers: [String: ScriptedChecker], path: Path,
                       clock: ManualCheckClock, table: FakeTable = FakeTable(),
                       jitter: @escaping @Sendable (Duration) -> Duration = { _ in .zero }) throws -> DaemonEngine {
        var text = "virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_kind DR\n  delay_loop 10\n\(vsExtra)\n"
        for n in 1...servers { text += "  real_server 192.0.2.\(10 + n) 80 {\n    TCP_CHECK {\n    }\n  }\n" }
        let config = try ConfigParser.parse(text: text + "}\n", file: "test.conf")
        return DaemonEngine(
            config: config, table: table, marks: nil, settings: DaemonSettings(),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            makeChecker: { c in
                let checker = checkers[c.connectIP.description]!
                return path == .driver ? checker : TaskChecker(inner: checker)
            },
            runScript: { _, _ in CheckOutcome(termination: .exited(0), latency: .zero, output: [], outputBytes: 0, pid: nil) },
            checkLoop: nil, clock: clock, jitter: jitter)
    }

    /// Fires the clock's timers up to `limit` seconds, one deadline at a time, waiting after each
    /// for every checker's next timer (one each: its next slot, or its running check's end) and
    /// for the engine to have taken every result (its answer may move a driver's timer: a
    /// retry).
    /// The engine had not taken every result within 30 s of real time.
    struct EngineBehind: Error, CustomStringConvertible {
        let taken: Int, ended: Int
        var description: String { "the engine took \(taken) of \(ended) results within 30 s" }
    }

    static func run(_ clock: ManualCheckClock, until limit: Double, _ engine: DaemonEngine, _ checkers: [ScriptedChecker]) async throws {
        func settle() async throws {
            await clock.waitForTimers(checkers.count)
            let ended = checkers.map { $0.ended.load(ordering: .relaxed) }.reduce(0, +)
            let deadline = ContinuousClock.now + .seconds(30)
            while case let taken = await engine.checksRun, taken < ended {
                // Firing the next deadline with a result still untaken would test another order
                // of events than the one asked: that is a failure, not a pause.
                guard ContinuousClock.now < deadline else { throw EngineBehind(taken: taken, ended: ended) }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        try await settle()
        while let next = clock.nextDeadline, next <= .seconds(limit) {
            clock.fireNext()
            try await settle()
        }
    }

    @Test("no drift: each slot is the previous planned slot + delay_loop, whatever the check took",
          arguments: Path.allCases)
    func periodsDoNotDrift(_ path: Path) async throws {
        let clock = ManualCheckClock()
        // Checks that take 0.7 s and 2.5 s: a schedule from the check's end would drift by that.
        let a = ScriptedChecker(clock: clock, duration: .milliseconds(700))
        let b = ScriptedChecker(clock: clock, duration: .milliseconds(2500))
        let engine = try Self.engine("", servers: 2, checkers: ["192.0.2.11": a, "192.0.2.12": b], path: path, clock: clock)
        await engine.start()
        try await Self.run(clock, until: 60, engine, [a, b])
        #expect(a.starts == [0, 10, 20, 30, 40, 50, 60])
        #expect(b.starts == [0, 10, 20, 30, 40, 50, 60])
        #expect(await engine.checksRun == 12, "every check's result was delivered (the 60 s ones still run)")
        await engine.stop()
    }

    @Test("a check longer than delay_loop is started again at once, once, and delays no other",
          arguments: Path.allCases)
    func overrunStartsAgainAtOnce(_ path: Path) async throws {
        let clock = ManualCheckClock()
        // 25 s twice, then quick.
        let slow = ScriptedChecker(clock: clock, durations: [.seconds(25), .seconds(25), .zero])
        let fast = ScriptedChecker(clock: clock)
        let engine = try Self.engine("", servers: 2, checkers: ["192.0.2.11": slow, "192.0.2.12": fast], path: path, clock: clock)
        await engine.start()
        try await Self.run(clock, until: 60, engine, [slow, fast])
        // Slot 0 ends at 25, past slot 10: started again at once, at 25 (slots 10 and 20 are not
        // queued up); that one ends at 50, past slot 35: again at once; then every 10 s from 50.
        #expect(slow.starts == [0, 25, 50, 60])
        #expect(fast.starts == [0, 10, 20, 30, 40, 50, 60])
        await engine.stop()
    }

    @Test("after a failure the next check is delay_before_retry later, until retry runs out",
          arguments: Path.allCases)
    func delayBeforeRetryAfterAFailure(_ path: Path) async throws {
        let clock = ManualCheckClock()
        let table = FakeTable()
        let a = ScriptedChecker(clock: clock, results: [Self.ok, Self.fail, Self.fail, Self.fail, Self.ok, Self.ok])
        let engine = try Self.engine("  retry 2\n  delay_before_retry 3\n", servers: 1, checkers: ["192.0.2.11": a],
                                     path: path, clock: clock, table: table)
        await engine.start()
        try await Self.run(clock, until: 13, engine, [a])
        // ok at 0; fails at 10, retried at 13 ...
        #expect(a.starts == [0, 10, 13])
        #expect(table.entries.first?.destinations.count == 1, "two failures of retry 2: still up")
        try await Self.run(clock, until: 16, engine, [a])
        // ... and 16: the third failure, the server goes; then back to delay_loop from the
        // failed slot: 26 (ok: up again), 36.
        #expect(a.starts == [0, 10, 13, 16])
        #expect(table.entries.first?.destinations.count == 0, "down after retry 2 + 1 failures")
        try await Self.run(clock, until: 36, engine, [a])
        #expect(a.starts == [0, 10, 13, 16, 26, 36])
        #expect(table.entries.first?.destinations.count == 1, "up again on the first success")
        await engine.stop()
    }

    @Test("warmup: each checker's first check waits the part of warmup the jitter picks", arguments: Path.allCases)
    func warmupDelaysTheFirstCheck(_ path: Path) async throws {
        let clock = ManualCheckClock()
        let asked = Mutex<[Duration]>([])
        let a = ScriptedChecker(clock: clock)
        let engine = try Self.engine("  warmup 8\n", servers: 1, checkers: ["192.0.2.11": a], path: path, clock: clock,
                                     jitter: { w in asked.withLock { $0.append(w) }; return w * 3 / 8 })
        await engine.start()
        try await Self.run(clock, until: 30, engine, [a])
        #expect(asked.withLock { $0 } == [.seconds(8)], "the jitter is given the configured warmup")
        #expect(a.starts == [3, 13, 23])
        await engine.stop()
    }

    @Test func defaultWarmupJitterSpreadsOverTheWholeWarmup() {
        let samples = (0..<2000).map { _ in seconds(DaemonEngine.jitter(.seconds(6))) }
        #expect(samples.allSatisfy { $0 >= 0 && $0 < 6 })
        #expect(samples.min()! < 0.5 && samples.max()! > 5.5, "spread over 0..<6 s: \(samples.min()!)...\(samples.max()!)")
        #expect(DaemonEngine.jitter(.zero) == .zero, "warmup 0: the first check at once")
    }
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
}
