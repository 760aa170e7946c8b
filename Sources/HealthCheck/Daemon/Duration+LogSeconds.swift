extension Duration {
    /// The duration as the daemon's log gives it: seconds with three decimals ("1.234 s").
    public var logSeconds: String { secondsText + " s" }

    /// Seconds with three decimals, cut to the millisecond ("1.234"; "-0.005" when negative):
    /// the log's durations and the status's advert interval.
    public var secondsText: String {
        Self.thousandths(components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000)
    }

    /// Milliseconds with three decimals, cut to the microsecond ("12.345"): the status's latencies.
    public var millisecondsText: String {
        Self.thousandths(components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000)
    }

    /// `n` thousandths as a decimal with three places; the padding works on the magnitude, as
    /// a negative count must not make a negative padding count.
    private static func thousandths(_ n: Int64) -> String {
        let magnitude = n.magnitude
        return "\(n < 0 ? "-" : "")\(magnitude / 1000).\(String(magnitude % 1000 + 1000).dropFirst())"
    }
}
