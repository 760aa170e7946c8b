import NetworkModel

/// What the state machine needs of a `vrrp_instance` block; what is not set is keepalived's
/// default.
public struct VRRPInstanceConfiguration: Sendable, Hashable {
    /// `state MASTER|BACKUP`: the wanted initial state (every instance still starts in BACKUP
    /// unless it is the owner; MASTER only shortens the first down timer).
    public enum InitialState: String, Sendable, Hashable { case master = "MASTER", backup = "BACKUP" }

    /// Protocol version (IPv6: v3).
    public var version: VRRPVersion = .v2
    /// `state`.
    public var initialState: InitialState = .backup
    /// `priority` 1…255 (255 = address owner).
    public var priority: UInt8 = 100
    /// `nopreempt` (honoured only with `state BACKUP` and priority below 255, as keepalived).
    public var nopreempt = false
    /// `preempt_delay` (0 = none; honoured only with `state BACKUP`, as keepalived).
    public var preemptDelay: Duration = .zero
    /// `advert_int`; use ``AdvertInterval/effective(_:version:)`` for the value on the wire.
    public var advertInterval: Duration = .seconds(1)
    /// `lower_prio_no_advert`: a master does not answer a lower-priority advert with its own.
    public var lowerPriorityNoAdvert = false
    /// `higher_prio_send_advert`: a master hearing a higher priority sends one more advert
    /// before it steps down (so that the new master answers with GARPs).
    public var higherPrioritySendAdvert = false
    /// Our source address (`unicast_src_ip` or the interface's primary), for ties.
    public var localAddress: IPAddress

    /// Whether `nopreempt` takes effect.
    public var effectiveNopreempt: Bool {
        nopreempt && initialState == .backup && priority != EffectivePriority.owner
    }

    /// The `preempt_delay` that takes effect (zero when it does not apply).
    public var effectivePreemptDelay: Duration {
        initialState == .backup && priority != EffectivePriority.owner ? preemptDelay : .zero
    }

    /// The advert interval as carried on the wire (whole seconds for v2, 10 ms steps for v3).
    public var wireAdvertInterval: Duration { AdvertInterval.effective(advertInterval, version: version) }
}

extension VRRPInstanceConfiguration {
    /// keepalived's defaults but for the source address (another module sets the rest; this
    /// one and its tests have the memberwise initialiser).
    public init(localAddress: IPAddress) {
        self.localAddress = localAddress
    }
}
