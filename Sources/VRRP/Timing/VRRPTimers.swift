import TimeBase

/// The VRRP timers of RFC 3768 §6.1 / RFC 5798 §6.1, computed as keepalived 2.2.7 does
/// (`vrrp.h` VRRP_TIMER_SKEW / VRRP_TIMER_SKEW_MIN, in whole microseconds, truncated).
///
/// `priority` is always the local *effective* priority; `advertInterval` is, for v3, the
/// master's interval a backup has adopted (Master_Adver_Interval). The `…Nanoseconds` forms
/// are the same values in integer nanoseconds, for the state machine, which computes them
/// for every advert it accepts.
public enum VRRPTimers {
    /// Skew_Time. v2: (256 − p) / 256 s. v3: (256 − p) × interval / 256.
    public static func skew(priority: UInt8, advertInterval: Duration, version: VRRPVersion) -> Duration {
        .nanoseconds(skewNanoseconds(priority: priority, advertInterval: advertInterval.inNanoseconds, version: version))
    }

    /// Master_Down_Interval: 3 × interval + skew.
    public static func masterDownInterval(priority: UInt8, advertInterval: Duration,
                                          version: VRRPVersion) -> Duration {
        .nanoseconds(masterDownIntervalNanoseconds(priority: priority, advertInterval: advertInterval.inNanoseconds,
                                                   version: version))
    }

    /// The skew of priority 255 (keepalived's VRRP_TIMER_SKEW_MIN): 1/256 s in v2,
    /// interval / 256 in v3. An instance configured `state MASTER` below 255 starts with its
    /// down timer at interval + this (`vrrp_scheduler.c`).
    public static func minimumSkew(advertInterval: Duration, version: VRRPVersion) -> Duration {
        .nanoseconds(minimumSkewNanoseconds(advertInterval: advertInterval.inNanoseconds, version: version))
    }

    /// `skew` with the interval and the result in nanoseconds.
    public static func skewNanoseconds(priority: UInt8, advertInterval: Int64, version: VRRPVersion) -> Int64 {
        let weight = Int64(256 - Int(priority))
        switch version {
        case .v2: return weight * 1_000_000 / 256 * 1000
        case .v3: return weight * (advertInterval / 1000) / 256 * 1000
        }
    }

    /// `masterDownInterval` with the interval and the result in nanoseconds.
    public static func masterDownIntervalNanoseconds(priority: UInt8, advertInterval: Int64,
                                                     version: VRRPVersion) -> Int64 {
        3 * advertInterval + skewNanoseconds(priority: priority, advertInterval: advertInterval, version: version)
    }

    /// `minimumSkew` with the interval and the result in nanoseconds.
    public static func minimumSkewNanoseconds(advertInterval: Int64, version: VRRPVersion) -> Int64 {
        switch version {
        case .v2: return 1_000_000 / 256 * 1000
        case .v3: return advertInterval / 1000 / 256 * 1000
        }
    }
}
