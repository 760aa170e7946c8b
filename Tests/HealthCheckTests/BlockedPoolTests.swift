#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import IPVS
@testable import EventLoop
@testable import HealthCheck

/// Checks keep their time while every thread of Swift's cooperative pool is blocked (as a
/// synchronous netlink read or a test waiting for a peer blocks one): a timeout fires, and the
/// check goes on, on the reactor thread; a command queued for a process slot starts when the
/// slot frees up. Before, both were resumed on the awaiting task's executor, the pool: a 0.5 s
/// handshake timeout was read 48 s late.
///
/// These tests block the whole pool for seconds, which would stall every suite beside them, so
/// `Scripts/test` runs this suite in a pass of its own.
@Suite("checks keep their time with the cooperative pool blocked", .serialized)
struct BlockedPoolTests {
    /// How long the pool is held; the bounds asserted are well inside it.
    static let hold: Duration = .seconds(6)

    /// Holds every thread of the cooperative pool for `hold` from now: at each task priority
    /// (libdispatch on Linux keeps a pool of threads per QoS), more tasks than the pool has
    /// threads, each blocking its thread (a synchronous sleep to the same absolute deadline,
    /// which is the point here: a blocked thread, not a suspended task). Returns probe tasks,
    /// one per priority, queued behind them: each reports when it ran, after `hold` if its pool
    /// was held.
    static func holdThePool() -> [Task<ContinuousClock.Instant, Never>] {
        var wake = timespec()
        clock_gettime(CLOCK_MONOTONIC, &wake)
        let (s, a) = hold.components
        wake.tv_sec += Int(s)
        wake.tv_nsec += Int(a / 1_000_000_000)
        if wake.tv_nsec >= 1_000_000_000 { wake.tv_sec += 1; wake.tv_nsec -= 1_000_000_000 }
        let deadline = wake
        let priorities: [TaskPriority] = [.background, .low, .medium, .high]
        for priority in priorities {
            for _ in 0..<(8 * ProcessInfo.processInfo.activeProcessorCount + 16) {
                Task.detached(priority: priority) {
                    var at = deadline
                    while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, nil) == EINTR {}
                }
            }
        }
        return priorities.map { p in Task.detached(priority: p) { ContinuousClock.now } }
    }

    /// Whether every probe of `holdThePool` ran only once the hold was over.
    static func held(_ probes: [Task<ContinuousClock.Instant, Never>], from blocked: ContinuousClock.Instant) async -> Bool {
        var all = true
        for p in probes { all = await p.value >= blocked + hold - .milliseconds(100) && all }
        return all
    }

    /// A listener that never accepts: the kernel completes the connection and takes the request,
    /// and no answer ever comes.
    static func silentListener() throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0, IPAddress.v4(127, 0, 0, 1).withSocketAddress(port: 0, { bind(fd, $0, $1) }) == 0, listen(fd, 4) == 0 else {
            throw TestError("silent listener: errno \(errno)")
        }
        var sa = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, UInt16(bigEndian: sa.sin_port))
    }

    @Test func anHTTPReadTimesOutOnTimeWithThePoolBlocked() async throws {
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let checker = HTTPChecker(endpoint: Endpoint(address: .v4(127, 0, 0, 1), port: port), urls: [URLCheckConfig(path: "/")],
                                  timeout: .seconds(1), reactor: testReactor)
        let check = Task { await checker.check() }
        // Once the connection is in the listener's queue the check is at its writes and its read.
        var queued = false
        for _ in 0..<200 where !queued {
            if case .ready = await testReactor.wait(fd: fd, events: SystemCalls.EPOLLIN, deadline: .now + .milliseconds(50)) { queued = true }
        }
        try #require(queued, "the check connected")
        let blocked = ContinuousClock.now
        let probe = Self.holdThePool()
        let result = await check.value
        #expect(await Self.held(probe, from: blocked), "every thread of the pool was held")
        #expect(result.reason == .timedOut("read"), "\(result)")
        #expect(result.latency >= .milliseconds(900) && result.latency < .seconds(4),
                "the 1 s read timeout ended the check \(result.latency) after it began, with the pool blocked for \(Self.hold)")
    }

    @Test func aQueuedCommandStartsWhenItsSlotFreesWithThePoolBlocked() async throws {
        let runner = ProcessRunner(reactor: testReactor, maxConcurrent: 1)
        let first = Task { await runner.run(.exec(["/bin/sleep", "1.5"]), timeout: .seconds(10)) }
        // The second is started once the first holds the slot: two tasks started together may
        // run in either order, and a `cat` that took the slot first would end before it is seen.
        var holding = false
        for _ in 0..<200 where !holding {
            holding = runner.running == 1
            if !holding { try await testReactor.sleep(until: .now + .milliseconds(5)) }
        }
        try #require(holding, "the first command holds the slot")
        let second = Task { await runner.run(.exec(["/bin/cat", "/proc/uptime"]), timeout: .seconds(10)) }
        var queued = false
        for _ in 0..<200 where !queued {
            queued = runner.running == 1 && runner.queued == 1
            if !queued { try await testReactor.sleep(until: .now + .milliseconds(20)) }
        }
        try #require(queued, "one command runs, the other waits for its slot")
        let uptime = try Self.uptime(String(contentsOfFile: "/proc/uptime", encoding: .utf8))
        let blocked = ContinuousClock.now
        let probe = Self.holdThePool()
        #expect(await first.value.termination == .exited(0))
        let o = await second.value
        #expect(await Self.held(probe, from: blocked), "every thread of the pool was held")
        #expect(o.termination == .exited(0))
        let ran = try Self.uptime(o.outputText) - uptime
        #expect(ran < 4, "the queued command ran \(ran) s after the pool was blocked (its slot freed at most 1.5 s in; the pool was held \(Self.hold))")
    }

    /// The first field of /proc/uptime (seconds since boot, the clock ContinuousClock reads).
    static func uptime(_ text: String) throws -> Double {
        try #require(text.split(separator: " ").first.flatMap { Double($0) }, "uptime in '\(text)'")
    }
}
