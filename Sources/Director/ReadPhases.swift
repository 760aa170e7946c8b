import HealthCheck

/// The steps of a reload's read and how long each took: `file 0.010 s, cut and digested
/// 0.120 s, …` in the daemon's log.
public struct ReadPhases: Sendable, CustomStringConvertible {
    public private(set) var steps: [(name: String, time: Duration)] = []
    private var mark = ContinuousClock.now

    public init() {}

    /// Ends the step that began at the last call (or at `init`), named `name`.
    public mutating func end(_ name: String) {
        let now = ContinuousClock.now
        steps.append((name, now - mark))
        mark = now
    }

    public var description: String { steps.map { "\($0.name) \($0.time.logSeconds)" }.joined(separator: ", ") }
}
