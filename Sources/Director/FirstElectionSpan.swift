import VRRPRouter

extension VRRPConfiguration {
    /// How long the first election can keep running code that a settled daemon does not run
    /// again until its next transition: `vrrp_startup_delay`, then the longest
    /// Master_Down_Interval (3 × advert_int + the skew, at most one advert_int for v3 and under
    /// a second for v2), a preempt_delay, then the new master's second GARP burst
    /// (garp_master_delay), and a second more. Nil without instances.
    var firstElectionSpan: Duration? {
        guard !instances.isEmpty else { return nil }
        var longest = Duration.zero
        for i in instances {
            let masterDown = i.advertInterval * 3 + max(i.advertInterval, .seconds(1))
            longest = max(longest, masterDown + i.preemptDelay + max(i.garp.masterDelay, globals.garp.masterDelay))
        }
        return globals.startupDelay + longest + .seconds(1)
    }
}
