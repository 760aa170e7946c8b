/// RFC 3768 §6.1 / RFC 5798 §6.1 timers, as keepalived computes them (vrrp.h), in seconds.
enum VRRPTiming {
    /// Skew_Time: (256 − p)/256 s for v2, (256 − p) × advert/256 for v3.
    static func skew(priority: Int, advertInterval: Double = 1, version: Int = 2) -> Double {
        version == 2 ? Double(256 - priority) / 256 : Double(256 - priority) * advertInterval / 256
    }

    /// Master_Down_Interval: 3 × advert + skew.
    static func masterDown(priority: Int, advertInterval: Double = 1, version: Int = 2) -> Double {
        3 * advertInterval + skew(priority: priority, advertInterval: advertInterval, version: version)
    }
}
