/// A keyword line with its arguments and, if it opened one, its block.
public final class Statement {
    /// The first word.
    public let keyword: Token
    /// The words after it on its line (up to a brace).
    public let args: [Token]
    /// The line it was written on (comment removed, a slice of the file's text) up to the brace
    /// that follows the keyword on that line, if any: what a script keyword re-splits.
    private let text: Substring
    /// The statements of its `{ … }` block; nil when it opened none.
    public internal(set) var block: [Statement]?
    /// Where its block's `{` is.
    public internal(set) var blockOpen: SourceLocation?

    init(keyword: Token, args: [Token], line: Line) {
        self.keyword = keyword
        self.args = args
        let brace = line.tokens.first { $0.offset > keyword.offset && ($0.isOpen || $0.isClose) }
        text = brace.map { line.text.prefix($0.offset) } ?? line.text
    }

    /// Where its keyword is.
    public var location: SourceLocation { keyword.location }

    /// Lets go of its block, once a pass has read it and no other pass will: the statements
    /// under it are freed then, so a big file's tree shrinks while its configuration is built
    /// instead of being held whole until the end. `block` is empty afterwards.
    public func releaseBlock() {
        if block != nil { block = [] }
    }

    /// keepalived's re-split of a script keyword's line (`alloc_strvec_quoted_escaped` on the
    /// line from the keyword to the end, or to a brace that follows on the same line).
    public func quotedEscapedWords() -> [String]? {
        KeepalivedQuoting.splitQuotedEscaped(String(text.dropFirst(keyword.offset)))
    }
}
