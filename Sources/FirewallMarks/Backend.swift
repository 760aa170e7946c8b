/// A rule of ours as found in the firewall.
struct InstalledRule: Sendable, Hashable {
    var rule: MarkRule
    /// nft rule handle; nil for iptables (rules are addressed by their spec there).
    var handle: Int64?
}

/// What the firewall holds for swiftvs.
struct MarkState: Sendable {
    /// Our rules in chain order (IPv4 chain before IPv6 chain for iptables).
    var rules: [InstalledRule] = []
    /// Rules that carry our tag (iptables comment) or sit in our table (nft) but that
    /// swiftvs does not understand: never changed, reported.
    var unrecognised: [String] = []
}

protocol MarkBackend: Sendable {
    var kind: MarkBackendKind { get }
    /// "iptables table mangle chain PREROUTING" — for messages.
    var location: String { get }
    func read() throws(MarkError) -> MarkState
    /// Removes `remove` and appends `add`, as one transaction where the tool allows.
    func change(remove: [InstalledRule], add: [MarkRule]) throws(MarkError)
    func saveText(_ state: MarkState, family: AddressFamily?) -> String
}
