import TimeBase

/// The timers the state machine asks its driver to run. Each has at most one deadline.
public enum VRRPTimer: String, Sendable, Hashable, CaseIterable {
    /// MASTER: time to send the next advert.
    case advert
    /// BACKUP: the master is considered down when this passes.
    case masterDown
    /// BACKUP with `preempt_delay`: lower-priority adverts are heeded until this passes.
    case preemptDelay
}

/// Why gratuitous ARPs / unsolicited neighbour adverts are asked for.
public enum AnnouncementReason: String, Sendable, Hashable {
    /// Just became master: the `garp_master_delay`/`_repeat` burst (and refresh) applies.
    case becameMaster
    /// A master heard a lower priority: send `garp_lower_prio_repeat` of them (none when 0).
    case lowerPriorityAdvert
}

/// Role of the IPVS connection-sync daemon that follows the instance (`lvs_sync_daemon`).
public enum SyncDaemonRole: String, Sendable, Hashable { case master, backup }

/// The outputs of ``VRRPStateMachine/handle(_:now:)``, to be carried out in order.
public enum VRRPAction: Sendable, Hashable {
    /// Send one advert (to the group, or one copy per unicast peer) with this priority.
    case sendAdvert(priority: UInt8)
    /// Add the virtual addresses (rtnetlink).
    case addVirtualAddresses
    /// Remove the virtual addresses (idempotent: also asked at start and stop).
    case removeVirtualAddresses
    /// Send gratuitous ARPs / unsolicited NAs for the virtual addresses.
    case sendAnnouncements(AnnouncementReason)
    /// Switch the connection-sync daemon (when one is bound to this instance).
    case setSyncDaemonRole(SyncDaemonRole)
    /// Arm `timer` for the absolute `deadline` (replacing any earlier deadline).
    case setTimer(VRRPTimer, deadline: Moment)
    /// Disarm `timer`.
    case cancelTimer(VRRPTimer)
    /// The state changed: the notify point (scripts, FIFO, log).
    case stateChanged(from: VRRPState, to: VRRPState, reason: String)
}
