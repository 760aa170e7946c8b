extension Duration {
    /// The duration as the daemon's log gives it: seconds with three decimals ("1.234 s").
    public var logSeconds: String {
        let ms = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        let magnitude = abs(ms)   // a negative duration must not make a negative padding count
        return "\(ms < 0 ? "-" : "")\(magnitude / 1000).\(String(magnitude % 1000 + 1000).dropFirst()) s"
    }
}
