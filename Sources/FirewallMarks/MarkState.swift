/// What the firewall holds for swiftvs.
struct MarkState: Sendable {
    /// Our rules in chain order (IPv4 chain before IPv6 chain for iptables).
    var rules: [InstalledRule] = []
    /// Rules that carry our tag (iptables comment) or sit in our table (nft) but that
    /// swiftvs does not understand: never changed, reported.
    var unrecognised: [String] = []
}
