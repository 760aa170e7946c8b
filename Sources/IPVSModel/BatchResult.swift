/// What a batch did: changes `0..<processed` reached the kernel, and all of them succeeded
/// except those in `failures`. Changes from `processed` on were not sent.
public struct BatchResult: Sendable, Hashable {
    /// How many changes, from the first, were sent.
    public var processed: Int
    /// The sent changes the kernel refused (or validation refused before sending), in order.
    public var failures: [BatchFailure]
    /// Whether every change was sent and applied.
    public var succeeded: Bool { failures.isEmpty }

    /// A result.
    public init(processed: Int, failures: [BatchFailure]) {
        self.processed = processed
        self.failures = failures
    }
}

/// One change the kernel (or validation) refused, with its position in the batch.
public struct BatchFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// 0-based position in the batch.
    public var index: Int
    /// The change refused.
    public var change: Change
    /// Why.
    public var error: IPVSError
    /// `change N: ERROR` (N 1-based).
    public var description: String { "change \(index + 1): \(error)" }

    /// A failure.
    public init(index: Int, change: Change, error: IPVSError) {
        self.index = index
        self.change = change
        self.error = error
    }
}
