/// A token's place, kept for diagnostics.
struct LocatedToken: Hashable, Sendable {
    var column: Int
    var text: String
}
