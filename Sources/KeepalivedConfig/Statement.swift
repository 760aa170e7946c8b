/// A keyword line with its arguments and, if it opened one, its block.
public final class Statement {
    /// The first word.
    public let keyword: Token
    /// The words after it on its line (up to a brace).
    public let args: [Token]
    /// The line it was written on (comment removed, a slice of the file's text).
    private let line: Substring
    /// Where (in characters) the brace that follows the keyword on its line is, if one does:
    /// what a script keyword re-splits ends there. Cut only when asked (`quotedEscapedWords`):
    /// cutting every statement's line at its brace walked the line's Characters, a hundredth
    /// of the start-up's read of a big file, for the few script keywords that read it.
    private let brace: Int?
    /// The statements of its `{ … }` block; nil when it opened none.
    public internal(set) var block: [Statement]?
    /// Where its block's `{` is.
    public internal(set) var blockOpen: SourceLocation?

    init(keyword: Token, args: [Token], line: Line) {
        self.keyword = keyword
        self.args = args
        self.line = line.text
        brace = line.tokens.first { $0.offset > keyword.offset && ($0.isOpen || $0.isClose) }?.offset
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
        let text = brace.map { line.prefix($0) } ?? line
        return KeepalivedQuoting.splitQuotedEscaped(String(text.dropFirst(keyword.offset)))
    }
}
