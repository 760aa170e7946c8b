/// A rule of ours as found in the firewall.
struct InstalledRule: Sendable, Hashable {
    var rule: MarkRule
    /// nft rule handle; nil for iptables (rules are addressed by their spec there).
    var handle: Int64?
}
