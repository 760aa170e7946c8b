extension Duration {
    /// The duration as the daemon's log gives it: seconds with three decimals ("1.234 s").
    public var logSeconds: String {
        let ms = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        let frac = String(ms % 1000)
        return "\(ms / 1000).\(String(repeating: "0", count: 3 - frac.count))\(frac) s"
    }
}
