/// Two optional values that are seldom set, kept behind one reference: a struct that holds a
/// `SparsePair?` pays one word for both, nil when neither is set (so no values compare equal to
/// no pair). Immutable: a change makes a new pair. Equal and hashed by value, so the holder
/// compares and hashes as it did with the two values inline.
///
/// Used where the two values are large inline and rare: a real server's notify_up and
/// notify_down (HealthCheck's `NotifyScripts`), a parsed rule's service and real-server tokens
/// (IPVSRules' `RuleCommand`).
public final class SparsePair<Value: Hashable & Sendable>: Hashable, Sendable {
    public let first: Value?
    public let second: Value?

    @usableFromInline
    init(first: Value?, second: Value?) {
        self.first = first
        self.second = second
    }

    /// The pair for these values; nil when neither is set.
    @inlinable
    public static func make(_ first: Value?, _ second: Value?) -> SparsePair? {
        first == nil && second == nil ? nil : SparsePair(first: first, second: second)
    }

    @inlinable
    public static func == (a: SparsePair, b: SparsePair) -> Bool { a.first == b.first && a.second == b.second }

    @inlinable
    public func hash(into h: inout Hasher) {
        h.combine(first)
        h.combine(second)
    }
}
