/// One word of a configuration line.
public struct Token: Sendable, Hashable {
    /// The word, without its quotes.
    public var text: String
    /// Where it starts.
    public var location: SourceLocation
    /// Was written in double quotes (so it is never a brace).
    public var quoted: Bool
    /// Offset (in characters) of the token's first character in its line.
    var offset: Int

    /// An unquoted `{`.
    public var isOpen: Bool { !quoted && text == "{" }
    /// An unquoted `}`.
    public var isClose: Bool { !quoted && text == "}" }
}
