protocol MarkBackend: Sendable {
    var kind: MarkBackendKind { get }
    /// "iptables table mangle chain PREROUTING" — for messages.
    var location: String { get }
    func read() throws(MarkError) -> MarkState
    /// Removes `remove` and appends `add`, as one transaction where the tool allows.
    func change(remove: [InstalledRule], add: [MarkRule]) throws(MarkError)
    func saveText(_ state: MarkState, family: AddressFamily?) -> String
}
