import TimeBase

/// Counters of one instance, for `swiftvs status`.
public struct VRRPCounters: Sendable, Hashable {
    /// Adverts the machine asked to send (priority-0 ones included).
    public var advertsSent = 0
    /// Valid adverts received.
    public var advertsReceived = 0
    /// Valid adverts with priority 0 received.
    public var priorityZeroReceived = 0
    /// Valid lower-priority adverts a preempting backup discarded.
    public var lowerPriorityDiscarded = 0
    /// Rejected packets by cause.
    public var rejected: [RejectionCause: Int] = [:]
    /// Transitions into MASTER.
    public var becameMaster = 0
    /// State changes, by the state entered (INIT -> BACKUP at start included).
    public var transitions: [VRRPState: Int] = [:]

    /// Zero counters.
    public init() {}
}

/// The last state change, for `swiftvs status`.
public struct VRRPTransition: Sendable, Hashable {
    /// State left.
    public var from: VRRPState
    /// State entered.
    public var to: VRRPState
    /// Why.
    public var reason: String
    /// When.
    public var at: Moment
}
