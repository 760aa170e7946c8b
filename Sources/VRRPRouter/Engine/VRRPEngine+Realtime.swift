import EventLoop

extension VRRPEngine {
    /// VRRP's timers on a real-time thread: once the configuration has instances (at start, or
    /// first at a reload), the reactor's thread, the engine's executor, runs SCHED_RR at
    /// `vrrp_rt_priority` (1 when it is not given), so Master_Down and the advert timer fire on
    /// time on a loaded node (an ordinary thread's wake-up waited behind the others' slices).
    /// keepalived does the same with `vrrp_rt_priority`, off by default there. Scripts and checks
    /// started from it run as ordinary processes (SCHED_RESET_ON_FORK). Without CAP_SYS_NICE the
    /// engine warns once per priority asked and runs on. A daemon with no instance stays ordinary.
    func applyRealtime() {
        guard !config.instances.isEmpty else { return }
        let wanted = config.globals.realtimePriority
        guard realtimePriority != wanted else { return }
        realtimePriority = wanted
        // The engine runs on the reactor's thread: the call applies to that thread.
        reactor.checkIsolated()
        if let failure = SystemCalls.makeThisThreadRealtime(priority: wanted) {
            logger.warning("vrrp: the event loop stays an ordinary thread (sched_setscheduler SCHED_RR \(wanted): \(failure)); under load its timers may be late")
        }
    }
}
