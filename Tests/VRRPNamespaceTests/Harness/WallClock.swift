import Foundation

/// Wall-clock seconds since the epoch (CLOCK_REALTIME), the clock tcpdump stamps packets with,
/// so samples, log observations and packets can be compared directly.
enum WallClock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

/// Polls `probe` until it returns a value or `limit` passes; the failure names what was awaited.
func awaitValue<T>(_ what: String, within limit: Duration, poll: Duration = .milliseconds(20),
                   _ probe: () throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + limit
    while true {
        if let value = try probe() { return value }
        guard ContinuousClock.now < deadline else {
            throw HarnessError(code: .timeout, operation: "wait for", object: what, detail: "gave up after \(limit)")
        }
        try await Task.sleep(for: poll)
    }
}

/// Polls `condition` until it holds or `limit` passes.
func awaitCondition(_ what: String, within limit: Duration, poll: Duration = .milliseconds(20),
                    _ condition: () throws -> Bool) async throws {
    let _: Bool = try await awaitValue(what, within: limit, poll: poll) { try condition() ? true : nil }
}
