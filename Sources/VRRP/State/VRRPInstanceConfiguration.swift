import NetworkModel

/// What the state machine needs of a `vrrp_instance` block.
public struct VRRPInstanceConfiguration: Sendable, Hashable {
    /// `state MASTER|BACKUP`: the wanted initial state (every instance still starts in BACKUP
    /// unless it is the owner; MASTER only shortens the first down timer).
    public enum InitialState: String, Sendable, Hashable { case master = "MASTER", backup = "BACKUP" }

    /// Protocol version (IPv6: v3).
    public var version: VRRPVersion
    /// `state`.
    public var initialState: InitialState
    /// `priority` 1…255 (255 = address owner).
    public var priority: UInt8
    /// `nopreempt` (honoured only with `state BACKUP` and priority below 255, as keepalived).
    public var nopreempt: Bool
    /// `preempt_delay` (0 = none; honoured only with `state BACKUP`, as keepalived).
    public var preemptDelay: Duration
    /// `advert_int`; use ``AdvertInterval/effective(_:version:)`` for the value on the wire.
    public var advertInterval: Duration
    /// `lower_prio_no_advert`: a master does not answer a lower-priority advert with its own.
    public var lowerPriorityNoAdvert: Bool
    /// `higher_prio_send_advert`: a master hearing a higher priority sends one more advert
    /// before it steps down (so that the new master answers with GARPs).
    public var higherPrioritySendAdvert: Bool
    /// Our source address (`unicast_src_ip` or the interface's primary), for ties.
    public var localAddress: IPAddress

    /// A configuration with keepalived's defaults for what is not given.
    public init(version: VRRPVersion = .v2, initialState: InitialState = .backup, priority: UInt8 = 100,
                nopreempt: Bool = false, preemptDelay: Duration = .zero, advertInterval: Duration = .seconds(1),
                lowerPriorityNoAdvert: Bool = false, higherPrioritySendAdvert: Bool = false,
                localAddress: IPAddress) {
        self.version = version
        self.initialState = initialState
        self.priority = priority
        self.nopreempt = nopreempt
        self.preemptDelay = preemptDelay
        self.advertInterval = advertInterval
        self.lowerPriorityNoAdvert = lowerPriorityNoAdvert
        self.higherPrioritySendAdvert = higherPrioritySendAdvert
        self.localAddress = localAddress
    }

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
