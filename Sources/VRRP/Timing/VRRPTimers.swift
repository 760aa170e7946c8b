/// The VRRP timers of RFC 3768 §6.1 / RFC 5798 §6.1, computed as keepalived 2.2.7 does
/// (`vrrp.h` VRRP_TIMER_SKEW / VRRP_TIMER_SKEW_MIN, in whole microseconds, truncated).
///
/// `priority` is always the local *effective* priority; `advertInterval` is, for v3, the
/// master's interval a backup has adopted (Master_Adver_Interval).
public enum VRRPTimers {
    /// Skew_Time. v2: (256 − p) / 256 s. v3: (256 − p) × interval / 256.
    public static func skew(priority: UInt8, advertInterval: Duration, version: VRRPVersion) -> Duration {
        let weight = Int64(256 - Int(priority))
        switch version {
        case .v2: return .microseconds(weight * 1_000_000 / 256)
        case .v3: return .microseconds(weight * microseconds(advertInterval) / 256)
        }
    }

    /// Master_Down_Interval: 3 × interval + skew.
    public static func masterDownInterval(priority: UInt8, advertInterval: Duration,
                                          version: VRRPVersion) -> Duration {
        // Added, not `* 3`: Duration's multiplication by an integer is generic over the integer
        // type, and a backup runs this for every advert it accepts.
        advertInterval + advertInterval + advertInterval
            + skew(priority: priority, advertInterval: advertInterval, version: version)
    }

    /// The skew of priority 255 (keepalived's VRRP_TIMER_SKEW_MIN): 1/256 s in v2,
    /// interval / 256 in v3. An instance configured `state MASTER` below 255 starts with its
    /// down timer at interval + this (`vrrp_scheduler.c`).
    public static func minimumSkew(advertInterval: Duration, version: VRRPVersion) -> Duration {
        switch version {
        case .v2: return .microseconds(1_000_000 / 256)
        case .v3: return .microseconds(microseconds(advertInterval) / 256)
        }
    }

    static func microseconds(_ d: Duration) -> Int64 {
        let c = d.components
        return c.seconds * 1_000_000 + c.attoseconds / 1_000_000_000_000
    }
}
