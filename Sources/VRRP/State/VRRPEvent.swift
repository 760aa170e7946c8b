import NetworkModel

/// An advert that passed ``AdvertValidator``, as the state machine sees it.
public struct ReceivedAdvert: Sendable, Hashable {
    /// Sender's priority (0: the master is stopping).
    public var priority: UInt8
    /// Sender's address.
    public var source: IPAddress
    /// The interval carried (v3 backups adopt it; v2 has already been checked equal).
    public var advertInterval: Duration

    /// An advert event.
    public init(priority: UInt8, source: IPAddress, advertInterval: Duration) {
        self.priority = priority
        self.source = source
        self.advertInterval = advertInterval
    }
}

/// The inputs of ``VRRPStateMachine/handle(_:now:)``.
public enum VRRPEvent: Sendable, Hashable {
    /// Start the instance (from INIT or STOP).
    case start
    /// A valid advert for this VRID.
    case advertReceived(ReceivedAdvert)
    /// A packet the validator rejected: counted, nothing else (it never resets a timer).
    case advertRejected(RejectionCause)
    /// The ``VRRPTimer/advert`` deadline passed.
    case advertTimerFired
    /// The ``VRRPTimer/masterDown`` deadline passed.
    case masterDownTimerFired
    /// The ``VRRPTimer/preemptDelay`` deadline passed.
    case preemptDelayExpired
    /// The effective priority changed (see ``EffectivePriority/compute(base:weights:)``).
    case priorityChanged(UInt8)
    /// A fault appeared (interface down, weight-0 tracker failed); `reason` identifies it.
    case faultRaised(reason: String)
    /// The fault `reason` went away; when none is left the instance leaves FAULT.
    case faultCleared(reason: String)
    /// Clean stop (SIGTERM, instance removed on reload).
    case stop
}
