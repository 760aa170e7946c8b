import EventLoop
import VRRP

extension VRRPEngine {
    /// One reactor timer for every instance's Master_Down deadline: it fires at the earliest
    /// of them, hands the event to each instance whose deadline has passed, and arms itself
    /// again for the earliest left (the deadlines are the state machines', the one truth).
    ///
    /// A backup's deadline moves at every advert it hears. Re-arming a timer per advert cost a
    /// cancel and a schedule each; a timer per instance armed lazily still woke the daemon once
    /// per instance and Master_Down_Interval (28 wake-ups a second for 100 instances at
    /// advert_int 1, each a thread switch, most of a backup's CPU). The sweep wakes once per
    /// earliest deadline of all, a few times a minute while the masters advertise, and at the
    /// deadline itself when one goes silent.
    func armMasterDownSweep(_ deadline: ContinuousClock.Instant) {
        if let armed = masterDownSweep {
            if armed.deadline <= deadline { return }
            reactor.cancelTimer(armed.id)
        }
        sweepGeneration += 1
        let generation = sweepGeneration
        // On the reactor thread that fired it, as the per-instance timers (see `arm`).
        let id = reactor.schedule(at: deadline) { [self, reactor] in
            Task(executorPreference: reactor) { await self.sweepMasterDown(generation: generation) }
        }
        masterDownSweep = (id, deadline)
    }

    /// The sweep's timer fired: every instance whose Master_Down deadline has passed gets the
    /// event (in configuration order, as their timers would have fired), then the sweep waits
    /// for the earliest deadline left.
    func sweepMasterDown(generation: Int) {
        guard running, generation == sweepGeneration else { return }
        masterDownSweep = nil
        for inst in config.instances {
            guard let r = routers[inst.name], let due = r.machine.deadlines[.masterDown], due <= .now else { continue }
            handle(masterDownEvent(for: r), on: r)
        }
        if let next = routers.values.compactMap({ $0.machine.deadlines[.masterDown] }).min() {
            armMasterDownSweep(next)
        }
    }

    /// Drops the sweep (the engine stops).
    func cancelMasterDownSweep() {
        if let armed = masterDownSweep { reactor.cancelTimer(armed.id) }
        masterDownSweep = nil
    }
}
