/// The located service and real-server arguments of a command, shared by reference (immutable).
final class ArgumentTokens: Hashable, Sendable {
    let service: LocatedToken?
    let server: LocatedToken?

    init(service: LocatedToken?, server: LocatedToken?) {
        self.service = service
        self.server = server
    }

    /// The box, or nil when there is nothing to keep (so no tokens compare equal to no box).
    static func make(service: LocatedToken?, server: LocatedToken?) -> ArgumentTokens? {
        service == nil && server == nil ? nil : ArgumentTokens(service: service, server: server)
    }

    static func == (a: ArgumentTokens, b: ArgumentTokens) -> Bool { a.service == b.service && a.server == b.server }

    func hash(into h: inout Hasher) {
        h.combine(service)
        h.combine(server)
    }
}

/// A token's place, kept for diagnostics.
struct LocatedToken: Hashable, Sendable {
    var column: Int
    var text: String
}
