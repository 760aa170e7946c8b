import TimeBase

/// Conversions of an advertisement interval to and from its wire units.
public enum AdvertInterval {
    /// Whole seconds for a v2 advert: rounded to the nearest second, as keepalived rounds
    /// `advert_int` for v2, and kept within 1…255.
    public static func wireSeconds(_ interval: Duration) -> UInt8 {
        let ms = milliseconds(interval)
        return UInt8(clamping: max(1, (ms + 500) / 1000))
    }

    /// Centiseconds for a v3 advert: rounded to the nearest 10 ms and kept within 1…4095.
    public static func wireCentiseconds(_ interval: Duration) -> UInt16 {
        let ms = milliseconds(interval)
        return UInt16(min(4095, max(1, (ms + 5) / 10)))
    }

    /// The interval a `version` advert actually carries for a configured one (the value both
    /// ends' timers must use).
    public static func effective(_ interval: Duration, version: VRRPVersion) -> Duration {
        switch version {
        case .v2: return .seconds(Int(wireSeconds(interval)))
        case .v3: return .milliseconds(Int(wireCentiseconds(interval)) * 10)
        }
    }

    static func milliseconds(_ d: Duration) -> Int64 {
        max(0, d.inNanoseconds / 1_000_000)
    }
}
