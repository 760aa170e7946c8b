import NetworkModel
import TimeBase

/// One VRRP instance's protocol state machine: RFC 3768 / RFC 5798 §6.4 with keepalived 2.2.7's
/// start-up, preemption, priority-0, FAULT and STOP behaviour. Pure and deterministic: no
/// clock, socket or timer of its own. The driver feeds it events with the current time and
/// carries out the returned actions in order (timers as absolute deadlines).
///
/// Times are `Moment`s and intervals whole nanoseconds inside: a backup computes its down
/// timer for every advert it accepts, and `Duration` arithmetic runs out-of-line 128-bit code
/// of the Swift runtime (see `Moment`). The `Duration` properties are for status and tests.
public struct VRRPStateMachine: Sendable {
    /// The instance's configuration.
    public private(set) var configuration: VRRPInstanceConfiguration
    /// Current state.
    public private(set) var state: VRRPState = .initialize
    /// Priority now in force (``EffectivePriority``); starts at the configured one.
    public private(set) var effectivePriority: UInt8
    /// The interval the down timer uses: ours, or (v3 backup) the master's adopted one.
    public var masterAdvertInterval: Duration { .nanoseconds(masterAdvertIntervalNanoseconds) }
    private var masterAdvertIntervalNanoseconds: Int64
    /// The configuration's interval as carried on the wire, and its effective preempt_delay,
    /// in nanoseconds (converted once per configuration).
    private var advertIntervalNanoseconds: Int64
    private var preemptDelayNanoseconds: Int64
    /// The master's address as last heard (ours while MASTER; nil when unknown).
    public private(set) var masterAddress: IPAddress?
    /// Armed timers and their deadlines.
    public private(set) var deadlines = VRRPDeadlines()
    /// Faults in force, by reason, in the order they were raised.
    public private(set) var faults: [String] = []
    /// The last transition.
    public private(set) var lastTransition: VRRPTransition?
    /// Counters.
    public private(set) var counters = VRRPCounters()

    /// Whether the instance wants MASTER: its down timer passed while its sync group held it
    /// back, and no master has been heard since (keepalived's `wantstate == MASTER`). A sync
    /// group becomes MASTER only when every member wants it.
    public private(set) var wantsMaster = false

    /// Set when another router also advertised priority 255 while we were the owner: our
    /// priority is then 254 (keepalived lowers its base priority too; the driver should
    /// compute further effective priorities from base 254).
    public private(set) var ownerConflict = false

    private var preemptDeadline: Moment?

    /// A machine in INIT.
    public init(configuration: VRRPInstanceConfiguration) {
        self.configuration = configuration
        self.effectivePriority = configuration.priority
        advertIntervalNanoseconds = configuration.wireAdvertInterval.inNanoseconds
        preemptDelayNanoseconds = configuration.effectivePreemptDelay.inNanoseconds
        masterAdvertIntervalNanoseconds = advertIntervalNanoseconds
    }

    /// The same instance under a new configuration (SIGHUP): state, timers, master, faults,
    /// counters and the adopted interval carry over, so an unchanged instance neither flaps nor
    /// announces again. The effective priority becomes the new base priority when the owner
    /// status changes and stays otherwise; feed ``VRRPEvent/priorityChanged(_:)`` with the one
    /// the new weights give. Running timers keep their deadlines; the new interval applies
    /// from the next one armed.
    public func reconfigured(_ newConfiguration: VRRPInstanceConfiguration) -> VRRPStateMachine {
        var copy = self
        copy.configuration = newConfiguration
        copy.advertIntervalNanoseconds = newConfiguration.wireAdvertInterval.inNanoseconds
        copy.preemptDelayNanoseconds = newConfiguration.effectivePreemptDelay.inNanoseconds
        let owner = EffectivePriority.owner
        if (configuration.priority == owner) != (newConfiguration.priority == owner) {
            copy.effectivePriority = newConfiguration.priority
            copy.ownerConflict = false
        }
        if state != .backup || newConfiguration.version != configuration.version {
            copy.masterAdvertIntervalNanoseconds = copy.advertIntervalNanoseconds
        }
        return copy
    }

    /// Skew_Time now (effective priority, adopted interval).
    public var skew: Duration { .nanoseconds(skewNanoseconds) }

    /// Master_Down_Interval now.
    public var masterDownInterval: Duration { .nanoseconds(masterDownNanoseconds) }

    private var skewNanoseconds: Int64 {
        VRRPTimers.skewNanoseconds(priority: effectivePriority, advertInterval: masterAdvertIntervalNanoseconds,
                                   version: configuration.version)
    }

    private var masterDownNanoseconds: Int64 {
        VRRPTimers.masterDownIntervalNanoseconds(priority: effectivePriority, advertInterval: masterAdvertIntervalNanoseconds,
                                                 version: configuration.version)
    }

    /// Applies one event at time `now`; returns the actions to carry out, in order.
    public mutating func handle(_ event: VRRPEvent, now: Moment) -> [VRRPAction] {
        var out: [VRRPAction] = []
        switch event {
        case .start: start(now, &out)
        case let .advertReceived(advert): received(advert, now, &out)
        case let .advertRejected(cause): counters.rejected[cause, default: 0] += 1
        case .advertTimerFired: if fired(.advert, now) { advertTick(now, &out) }
        case .masterDownTimerFired: if fired(.masterDown, now) { masterDown(now, &out) }
        case .masterDownDeferred: if fired(.masterDown, now) { deferMaster(now, &out) }
        case let .syncGroupMaster(reason): if state == .backup { becomeMaster(reason, now, &out) }
        case let .syncGroupBackup(reason): if state == .master { stepDown(reason, master: nil, now, &out) }
        case .preemptDelayExpired: _ = fired(.preemptDelay, now)
        case let .priorityChanged(p): changePriority(p, now, &out)
        case let .faultRaised(reason): raise(reason, now, &out)
        case let .faultCleared(reason): clear(reason, now, &out)
        case .stop: stop(now, &out)
        }
        counters.advertsSent += out.reduce(0) { if case .sendAdvert = $1 { $0 + 1 } else { $0 } }
        return out
    }

    // MARK: - Events

    private mutating func start(_ now: Moment, _ out: inout [VRRPAction]) {
        guard state == .initialize || state == .stop else { return }
        out.append(.removeVirtualAddresses)
        if !faults.isEmpty {
            transition(to: .fault, "fault at start: \(faults.joined(separator: ", "))", now, &out)
        } else {
            enterRunning(from: state, reason: "init", now, &out)
        }
    }

    /// Start-up or leaving FAULT, as keepalived 2.2.7 (`vrrp_init_state`, `try_up_instance`).
    /// At start the owner with `state MASTER` is master at once; everybody else enters BACKUP,
    /// with the down timer at interval + minimum skew for `state MASTER` and the full
    /// Master_Down_Interval for `state BACKUP`. Leaving FAULT, everybody enters BACKUP: the
    /// owner with `state MASTER` waits interval + skew, the others the full interval.
    private mutating func enterRunning(from: VRRPState, reason: String, _ now: Moment,
                                       _ out: inout [VRRPAction]) {
        masterAdvertIntervalNanoseconds = advertIntervalNanoseconds
        preemptDeadline = nil
        wantsMaster = false
        let ownerMaster = configuration.priority == EffectivePriority.owner && configuration.initialState == .master
        if ownerMaster && from != .fault {
            becomeMaster("\(reason): priority 255 address owner", now, &out)
            return
        }
        out.append(.setSyncDaemonRole(.backup))
        transition(to: .backup, reason, now, &out)
        let interval = masterAdvertIntervalNanoseconds
        let minimumSkew = VRRPTimers.minimumSkewNanoseconds(advertInterval: interval, version: configuration.version)
        let wait: Int64
        if from == .fault {
            wait = ownerMaster ? interval + skewNanoseconds : masterDownNanoseconds
        } else {
            wait = configuration.initialState == .master ? interval + minimumSkew : masterDownNanoseconds
        }
        arm(.masterDown, now.advanced(byNanoseconds: wait), &out)
    }

    private mutating func received(_ advert: ReceivedAdvert, _ now: Moment, _ out: inout [VRRPAction]) {
        guard state == .backup || state == .master else { return }
        counters.advertsReceived += 1
        if advert.priority == 0 { counters.priorityZeroReceived += 1 }
        if state == .backup {
            backupReceived(advert, now, &out)
        } else {
            masterReceived(advert, now, &out)
        }
    }

    /// RFC 5798 §6.4.2 with keepalived's preempt_delay (`vrrp_state_backup`).
    private mutating func backupReceived(_ advert: ReceivedAdvert, _ now: Moment,
                                         _ out: inout [VRRPAction]) {
        if advert.priority == 0 {
            arm(.masterDown, now.advanced(byNanoseconds: skewNanoseconds), &out)
            return
        }
        let delay = preemptDelayNanoseconds
        let delaying = delay > 0 && (preemptDeadline.map { $0 > now } ?? true)
        guard configuration.effectiveNopreempt || advert.priority >= effectivePriority || delaying else {
            // "received lower priority (%d) advert from %s - discarding": the timer runs on.
            counters.lowerPriorityDiscarded += 1
            masterAddress = advert.source
            return
        }
        adoptInterval(advert)
        masterAddress = advert.source
        wantsMaster = false
        if delay > 0 {
            if advert.priority >= effectivePriority {
                if preemptDeadline != nil {
                    preemptDeadline = nil
                    disarm(.preemptDelay, &out)
                }
            } else if preemptDeadline == nil {
                preemptDeadline = now.advanced(byNanoseconds: delay)
                arm(.preemptDelay, now.advanced(byNanoseconds: delay), &out)
            }
        }
        arm(.masterDown, now.advanced(byNanoseconds: masterDownNanoseconds), &out)
    }

    /// RFC 5798 §6.4.3 with keepalived's `vrrp_state_master_rx`: priority 0 is answered with
    /// an advert at once (the advert timer keeps its deadline, as in keepalived); two owners
    /// make the local one drop to 254 ("CONFIGURATION ERROR … reducing local priority").
    private mutating func masterReceived(_ advert: ReceivedAdvert, _ now: Moment,
                                         _ out: inout [VRRPAction]) {
        if advert.priority == 0 {
            out.append(.sendAdvert(priority: effectivePriority))
            return
        }
        let local = configuration.localAddress
        if advert.priority == effectivePriority && advert.source == local { return }  // our own
        if advert.priority == EffectivePriority.owner && effectivePriority == EffectivePriority.owner {
            ownerConflict = true
            effectivePriority = EffectivePriority.owner - 1
        }
        let higher = advert.priority > effectivePriority
            || (advert.priority == effectivePriority && local < advert.source)
        guard higher else {
            if !configuration.lowerPriorityNoAdvert { out.append(.sendAdvert(priority: effectivePriority)) }
            out.append(.sendAnnouncements(.lowerPriorityAdvert))
            return
        }
        if configuration.higherPrioritySendAdvert { out.append(.sendAdvert(priority: effectivePriority)) }
        adoptInterval(advert)
        stepDown("received higher priority advert (\(advert.priority)) from \(advert.source)", master: advert.source, now, &out)
    }

    private mutating func advertTick(_ now: Moment, _ out: inout [VRRPAction]) {
        guard state == .master else { return }
        out.append(.sendAdvert(priority: effectivePriority))
        arm(.advert, now.advanced(byNanoseconds: advertIntervalNanoseconds), &out)
    }

    private mutating func masterDown(_ now: Moment, _ out: inout [VRRPAction]) {
        guard state == .backup else { return }
        becomeMaster("no advert received within the master down interval", now, &out)
    }

    /// Held back by the sync group: still BACKUP, wanting MASTER, the down timer armed again
    /// (its length hardly matters: the group's last member to want MASTER takes all of them).
    private mutating func deferMaster(_ now: Moment, _ out: inout [VRRPAction]) {
        guard state == .backup else { return }
        wantsMaster = true
        arm(.masterDown, now.advanced(byNanoseconds: masterDownNanoseconds), &out)
    }

    /// MASTER to BACKUP, on a higher-priority advert (`master` is its sender) or because the
    /// sync group went there (`master` unknown): the sync daemon and the addresses go, and no
    /// priority-0 advert is sent (a better master is there, or about to be).
    private mutating func stepDown(_ reason: String, master: IPAddress?, _ now: Moment,
                                   _ out: inout [VRRPAction]) {
        disarm(.advert, &out)
        out.append(.setSyncDaemonRole(.backup))
        out.append(.removeVirtualAddresses)
        masterAddress = master
        transition(to: .backup, reason, now, &out)
        arm(.masterDown, now.advanced(byNanoseconds: masterDownNanoseconds), &out)
    }

    /// Becoming master: the advert first, then the addresses, the announcements, the notify
    /// point, the sync daemon (keepalived `vrrp_state_become_master`, `vrrp.c` 1654-1812).
    private mutating func becomeMaster(_ reason: String, _ now: Moment, _ out: inout [VRRPAction]) {
        disarm(.masterDown, &out)
        disarm(.preemptDelay, &out)
        preemptDeadline = nil
        wantsMaster = false
        out.append(.sendAdvert(priority: effectivePriority))
        out.append(.addVirtualAddresses)
        out.append(.sendAnnouncements(.becameMaster))
        masterAddress = configuration.localAddress
        transition(to: .master, reason, now, &out)
        counters.becameMaster += 1
        out.append(.setSyncDaemonRole(.master))
        arm(.advert, now.advanced(byNanoseconds: advertIntervalNanoseconds), &out)
    }

    /// keepalived's `vrrp_set_effective_priority`: the owner's priority never changes; a
    /// backup whose priority rises has its down timer brought forward by the shorter skew
    /// (a fall leaves the running timer as it is); a master advertises the new priority from
    /// its next advert on.
    private mutating func changePriority(_ p: UInt8, _ now: Moment, _ out: inout [VRRPAction]) {
        guard configuration.priority != EffectivePriority.owner, p != effectivePriority else { return }
        let oldInterval = masterDownNanoseconds
        let rising = p > effectivePriority
        effectivePriority = p
        if state == .backup, rising, let deadline = deadlines[.masterDown] {
            arm(.masterDown, deadline.advanced(byNanoseconds: masterDownNanoseconds - oldInterval), &out)
        }
    }

    private mutating func raise(_ reason: String, _ now: Moment, _ out: inout [VRRPAction]) {
        if !faults.contains(reason) { faults.append(reason) }
        guard state == .backup || state == .master else { return }
        leaveRunning(to: .fault, "fault: \(reason)", now, &out)
    }

    private mutating func clear(_ reason: String, _ now: Moment, _ out: inout [VRRPAction]) {
        faults.removeAll { $0 == reason }
        guard state == .fault, faults.isEmpty else { return }
        enterRunning(from: .fault, reason: "fault cleared: \(reason)", now, &out)
    }

    private mutating func stop(_ now: Moment, _ out: inout [VRRPAction]) {
        guard state != .stop && state != .initialize else { return }
        leaveRunning(to: .stop, "stopping", now, &out)
    }

    /// Leaving for FAULT or STOP: a master switches the sync daemon to backup, sends
    /// priority 0 and removes its addresses (`vrrp.c:1736`); everybody notifies.
    private mutating func leaveRunning(to target: VRRPState, _ reason: String, _ now: Moment,
                                       _ out: inout [VRRPAction]) {
        for timer in VRRPTimer.allCases { disarm(timer, &out) }
        preemptDeadline = nil
        wantsMaster = false
        if state == .master {
            out.append(.setSyncDaemonRole(.backup))
            out.append(.sendAdvert(priority: 0))
            out.append(.removeVirtualAddresses)
            masterAddress = nil
        } else if target == .stop {
            out.append(.removeVirtualAddresses)
        }
        transition(to: target, reason, now, &out)
    }

    // MARK: - Helpers

    private mutating func adoptInterval(_ advert: ReceivedAdvert) {
        if configuration.version == .v3 && advert.advertIntervalNanoseconds > 0 {
            masterAdvertIntervalNanoseconds = advert.advertIntervalNanoseconds
        }
    }

    private mutating func transition(to target: VRRPState, _ reason: String, _ now: Moment,
                                     _ out: inout [VRRPAction]) {
        let from = state
        state = target
        lastTransition = VRRPTransition(from: from, to: target, reason: reason, at: now)
        counters.transitions[target, default: 0] += 1
        out.append(.stateChanged(from: from, to: target, reason: reason))
    }

    private mutating func arm(_ timer: VRRPTimer, _ deadline: Moment, _ out: inout [VRRPAction]) {
        deadlines[timer] = deadline
        out.append(.setTimer(timer, deadline: deadline))
    }

    private mutating func disarm(_ timer: VRRPTimer, _ out: inout [VRRPAction]) {
        if deadlines[timer] != nil {
            deadlines[timer] = nil
            out.append(.cancelTimer(timer))
        }
    }

    /// Whether `timer` is armed and due at `now` (a stale or early fire is ignored); disarms it.
    private mutating func fired(_ timer: VRRPTimer, _ now: Moment) -> Bool {
        guard let deadline = deadlines[timer], deadline <= now else { return false }
        deadlines[timer] = nil
        return true
    }
}
