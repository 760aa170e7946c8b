import EventLoop
import VRRP
import TimeBase

extension VRRPEngine {
    /// One reactor timer for every protocol timer of every instance (advert, Master_Down,
    /// preempt_delay): it fires at the earliest deadline of all, hands each due timer's event to
    /// its instance, and arms itself again for the earliest one left. The deadlines are the state
    /// machines' (the one truth): a deadline that moves later (a backup hears an advert) costs
    /// nothing here, the sweep finds it not due and waits for it.
    ///
    /// The sweep reads the clock once and gives every instance that moment, as keepalived's
    /// loop does with its time of the pass: masters that start or take over together then keep
    /// one advert deadline, and 100 instances at advert_int 1 cost one wake-up a second on the
    /// master (and send their adverts in one burst, which the backup reads in few wake-ups),
    /// where a timer each cost a wake-up, a thread switch and a task per advert.
    func armSweep(_ deadline: Moment) {
        if let armed = sweep {
            if armed.deadline <= deadline { return }
            reactor.cancelTimer(armed.id)
        }
        sweepGeneration += 1
        let generation = sweepGeneration
        // Runs on the reactor thread that fired it, the engine's executor: no task, no hop.
        let id = reactor.schedule(at: deadline) { [self] in
            assumeIsolated { $0.sweepTimers(generation: generation) }
        }
        sweep = (id, deadline)
    }

    /// A timer found due by the sweep.
    struct DueTimer {
        var deadline: Moment
        /// The instance's place in the configuration (the order between equal deadlines).
        var order: Int
        var router: VirtualRouter
        var timer: VRRPTimer

        func precedes(_ other: DueTimer) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : order < other.order
        }
    }

    /// The sweep fired: the events of every due timer, earliest deadline first (configuration
    /// order between equal ones), all at one `now`; then the next sweep.
    func sweepTimers(generation: Int) {
        guard running, generation == sweepGeneration else { return }
        sweep = nil
        let now = Moment.now
        var due: [DueTimer] = []
        for (order, r) in routersInOrder.enumerated() {
            for (timer, deadline) in r.machine.deadlines where deadline <= now {
                due.append(DueTimer(deadline: deadline, order: order, router: r, timer: timer))
            }
        }
        due.sort { $0.precedes($1) }
        // A timer an earlier event of this sweep moved or cancelled is no longer due in its
        // machine, which then does nothing with the event.
        gatheringAdverts {
            for d in due { handle(event(of: d.timer, for: d.router), on: d.router, now: now) }
        }
        if let next = earliestDeadline() { armSweep(next) }
    }

    func event(of timer: VRRPTimer, for r: VirtualRouter) -> VRRPEvent {
        switch timer {
        case .advert: .advertTimerFired
        case .masterDown: masterDownEvent(for: r)
        case .preemptDelay: .preemptDelayExpired
        }
    }

    /// The earliest deadline of any instance's timers.
    func earliestDeadline() -> Moment? {
        var earliest: Moment?
        for r in routersInOrder {
            if let d = r.machine.deadlines.earliest, earliest.map({ d < $0 }) ?? true { earliest = d }
        }
        return earliest
    }

    /// Drops the sweep (the engine stops).
    func cancelSweep() {
        if let armed = sweep { reactor.cancelTimer(armed.id) }
        sweep = nil
    }
}
