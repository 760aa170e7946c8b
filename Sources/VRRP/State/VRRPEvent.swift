import NetworkModel
import TimeBase

/// An advert that passed ``AdvertValidator``, as the state machine sees it.
public struct ReceivedAdvert: Sendable, Hashable {
    /// Sender's priority (0: the master is stopping).
    public var priority: UInt8
    /// Sender's address.
    public var source: IPAddress
    /// The interval carried, in nanoseconds (v3 backups adopt it; v2 has already been checked
    /// equal).
    public var advertIntervalNanoseconds: Int64

    /// The interval carried.
    public var advertInterval: Duration { .nanoseconds(advertIntervalNanoseconds) }

    public init(priority: UInt8, source: IPAddress, advertIntervalNanoseconds: Int64) {
        self.priority = priority
        self.source = source
        self.advertIntervalNanoseconds = advertIntervalNanoseconds
    }

    public init(priority: UInt8, source: IPAddress, advertInterval: Duration) {
        self.init(priority: priority, source: source, advertIntervalNanoseconds: advertInterval.inNanoseconds)
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
    /// The ``VRRPTimer/masterDown`` deadline passed while the instance's `vrrp_sync_group` holds
    /// it back (another member does not want MASTER yet): the instance stays BACKUP, now
    /// wanting MASTER (``VRRPStateMachine/wantsMaster``), with a new down timer
    /// (keepalived's `vrrp_sync_can_goto_master`).
    case masterDownDeferred
    /// Another member of the instance's sync group became MASTER: a BACKUP follows at once
    /// (keepalived's `vrrp_sync_master`).
    case syncGroupMaster(reason: String)
    /// Another member of the instance's sync group left MASTER for BACKUP: a MASTER follows,
    /// without a priority-0 advert (keepalived's `vrrp_sync_backup`, `leave_master` with no
    /// advert).
    case syncGroupBackup(reason: String)
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
