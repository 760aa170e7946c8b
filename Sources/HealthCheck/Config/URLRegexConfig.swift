/// A url's `regex` and its settings (keepalived 2.2.7, built with --enable-regex as Debian's is).
public struct URLRegexConfig: Sendable, Hashable {
    public var pattern: String
    /// regex_options, as PCRE2 compile option bits.
    public var options: UInt32
    /// regex_no_match: a match fails the check, no match passes it.
    public var noMatch: Bool
    /// regex_min_offset: the first byte of the response a match may start at (0: the first).
    public var minOffset: Int
    /// regex_max_offset: the last byte a match may start at; nil: no bound.
    public var maxOffset: Int?
    /// regex_stack: the PCRE2 JIT stack's start and maximum sizes, in bytes.
    public var stack: ClosedRange<Int>?

    public init(pattern: String, options: UInt32 = 0, noMatch: Bool = false, minOffset: Int = 0, maxOffset: Int? = nil, stack: ClosedRange<Int>? = nil) {
        self.pattern = pattern
        self.options = options
        self.noMatch = noMatch
        self.minOffset = minOffset
        self.maxOffset = maxOffset
        self.stack = stack
    }

    /// regex_options' words (keepalived's table) and the PCRE2 compile options they set.
    public static let optionBits: [String: UInt32] = [
        "allow_empty_class": 0x0000_0001, "alt_bsux": 0x0000_0002, "auto_callout": 0x0000_0004,
        "caseless": 0x0000_0008, "dollar_endonly": 0x0000_0010, "dotall": 0x0000_0020,
        "dupnames": 0x0000_0040, "extended": 0x0000_0080, "firstline": 0x0000_0100,
        "match_unset_backref": 0x0000_0200, "multiline": 0x0000_0400, "never_ucp": 0x0000_0800,
        "never_utf": 0x0000_1000, "no_auto_capture": 0x0000_2000, "no_auto_possess": 0x0000_4000,
        "no_dotstar_anchor": 0x0000_8000, "no_start_optimize": 0x0001_0000, "ucp": 0x0002_0000,
        "ungreedy": 0x0004_0000, "utf": 0x0008_0000, "never_backslash_c": 0x0010_0000,
        "alt_circumflex": 0x0020_0000, "alt_verbnames": 0x0040_0000, "use_offset_limit": 0x0080_0000,
    ]
}
