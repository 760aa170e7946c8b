import NetworkModel

/// keepalived's value readers for one statement at a time: each reads a statement's arguments
/// as a timer, a number in a range, a flag, an address, a port, a string or a script line, and
/// records what is wrong with it as a `Diagnostic` at the exact token (the messages are the
/// LVS pass's, so every block of a file reports alike). A semantic pass owns one reader, seeded
/// with the document's diagnostics, and reads `diagnostics` back at its end.
public struct StatementReader: Sendable {
    /// Everything recorded so far, in the order it was found.
    public var diagnostics: [Diagnostic]

    /// A reader that appends to `diagnostics` (usually `ConfigDocument.diagnostics`).
    public init(diagnostics: [Diagnostic] = []) {
        self.diagnostics = diagnostics
    }

    /// Records an error at `location`.
    public mutating func error(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.error, location, message))
    }

    /// Records a warning at `location`.
    public mutating func warn(_ location: SourceLocation, _ message: String) {
        diagnostics.append(Diagnostic(.warning, location, message))
    }

    /// The `index`th argument, or an error "KEYWORD: missing WHAT" at the statement.
    public mutating func arg(_ st: Statement, _ index: Int = 0, what: String = "value") -> Token? {
        if index < st.args.count { return st.args[index] }
        error(st.location, "\(st.keyword.text): missing \(what)")
        return nil
    }

    /// An error at each argument after the first `count`.
    public mutating func noMoreArgs(_ st: Statement, after count: Int) {
        for t in st.args.dropFirst(count) { error(t.location, "\(st.keyword.text): unexpected argument '\(t.text)'") }
    }

    /// An error when the statement opened a block.
    public mutating func noBlock(_ st: Statement) {
        if st.block != nil { error(st.blockOpen ?? st.location, "'\(st.keyword.text)' does not take a block") }
    }

    /// The longest time keepalived's checkers take (UINT_MAX microseconds): `connect_timeout`'s bound.
    public static let checkerTimerLimit: Duration = .microseconds(Int64(UInt32.max))

    /// A time in seconds (fractions allowed, microsecond resolution) as the only argument;
    /// zero only with `allowZero`, at most `limit` when there is one.
    public mutating func timer(_ st: Statement, allowZero: Bool, limit: Duration? = nil) -> Duration? {
        noBlock(st)
        guard let t = arg(st) else { return nil }
        noMoreArgs(st, after: 1)
        // Decimal digits with at most one '.', as keepalived reads a time: Double(_:) alone also
        // takes hexadecimal ("0x10" is 16: found by the keepalived differential fuzzing), signs,
        // exponents, "inf" and "nan".
        // A leading '+' is taken, as strtoull takes it.
        let text = t.text.hasPrefix("+") ? String(t.text.dropFirst()) : t.text
        let digits = text.utf8.filter { $0 >= 0x30 && $0 <= 0x39 }.count
        let dots = text.utf8.filter { $0 == 0x2E }.count
        guard digits > 0, dots <= 1, digits + dots == text.utf8.count, let v = Double(text), v.isFinite else {
            error(t.location, "\(st.keyword.text): invalid time '\(t.text)' (seconds, fractions allowed)")
            return nil
        }
        // keepalived's resolution is a microsecond: more decimals are an error of its config
        // test (it rounds and runs).
        if let dot = text.firstIndex(of: "."), text[text.index(after: dot)...].count > 6 {
            error(t.location, "\(st.keyword.text): number '\(t.text)' has too many decimal places (at most 6: microseconds)")
            return nil
        }
        let micros = (v * 1_000_000).rounded()
        if micros == 0 && !allowZero {
            error(t.location, "\(st.keyword.text): must be greater than 0")
            return nil
        }
        guard micros < 9e15 else {
            error(t.location, "\(st.keyword.text): time '\(t.text)' too large")
            return nil
        }
        if let limit, Duration.microseconds(Int64(micros)) > limit {
            error(t.location, "\(st.keyword.text): time '\(t.text)' is more than \(limit.secondsText) s")
            return nil
        }
        return .microseconds(Int64(micros))
    }

    /// The `index`th argument as an integer in `range`. With `last`, it is the statement's
    /// last argument and the statement takes no block.
    public mutating func integer(_ st: Statement, _ range: ClosedRange<Int64>, index: Int = 0, what: String = "value",
                                 last: Bool = true) -> Int64? {
        if last { noBlock(st) }
        guard let t = arg(st, index, what: what) else { return nil }
        if last { noMoreArgs(st, after: index + 1) }
        return integer(t, range, name: st.keyword.text)
    }

    /// `token` as an integer in `range`; `name` starts the error message.
    public mutating func integer(_ token: Token, _ range: ClosedRange<Int64>, name: String) -> Int64? {
        guard let v = Int64(token.text) else {
            error(token.location, "\(name): invalid number '\(token.text)'")
            return nil
        }
        guard range.contains(v) else {
            error(token.location, "\(name) \(v) out of range \(range.lowerBound)-\(range.upperBound)")
            return nil
        }
        return v
    }

    /// An optional on|off|true|false|yes|no argument; absent means true.
    public mutating func flag(_ st: Statement) -> Bool? {
        noBlock(st)
        guard let t = st.args.first else { return true }
        noMoreArgs(st, after: 1)
        switch t.text.lowercased() {
        case "on", "true", "yes": return true
        case "off", "false", "no": return false
        default:
            error(t.location, "\(st.keyword.text): expected on|off|true|false|yes|no, got '\(t.text)'")
            return nil
        }
    }

    /// `token` as an IPv4 or IPv6 address; `what` names it in the error ("invalid WHAT address").
    public mutating func address(_ token: Token, what: String) -> IPAddress? {
        if let a = IPAddress(token.text) { return a }
        error(token.location, "invalid \(what) address '\(token.text)'")
        return nil
    }

    /// `token` as a port, 0…65535.
    public mutating func port(_ token: Token, name: String) -> UInt16? {
        integer(token, 0...65535, name: name).map { UInt16($0) }
    }

    /// The only argument, as it was written (quotes removed).
    public mutating func string(_ st: Statement) -> String? {
        noBlock(st)
        guard let t = arg(st) else { return nil }
        noMoreArgs(st, after: 1)
        return t.text
    }

    /// A script keyword's line, re-split as keepalived does (`KeepalivedQuoting`): the script
    /// text and, with `allowUser`, the user and group that follow it.
    public mutating func scriptLine(_ st: Statement, allowUser: Bool = true) -> ScriptLine? {
        noBlock(st)
        guard arg(st, what: "script") != nil else { return nil }
        guard let words = st.quotedEscapedWords() else {
            error(st.location, "\(st.keyword.text): missing terminating quote")
            return nil
        }
        guard words.count >= 2 else {
            error(st.location, "\(st.keyword.text): missing script")
            return nil
        }
        if words.count > (allowUser ? 4 : 2) {
            error(st.location, "\(st.keyword.text): too many arguments (quote the script if it has parameters)")
        }
        let user = allowUser && words.count > 2 ? words[2] : nil
        let group = allowUser && words.count > 3 ? words[3] : nil
        return ScriptLine(text: words[1], user: user, group: group)
    }
}

/// What a script keyword (`misc_path`, `notify_up`, `script`…) says: the script text, unquoted
/// once, and the user and group to run it as.
public struct ScriptLine: Sendable, Hashable {
    /// The script, as keepalived hands it on (to be split into words, or given to a shell).
    public var text: String
    /// Run as this user; the daemon's own when nil.
    public var user: String?
    /// Group for `user`.
    public var group: String?

    /// A script line.
    public init(text: String, user: String? = nil, group: String? = nil) {
        self.text = text
        self.user = user
        self.group = group
    }
}

private extension Duration {
    /// Seconds with the microseconds written out when there are any ("4294.967295", "5").
    var secondsText: String {
        let micros = components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000
        let fraction = micros % 1_000_000
        guard fraction != 0 else { return "\(micros / 1_000_000)" }
        let digits = String(fraction)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - digits.count) + digits
    }
}
