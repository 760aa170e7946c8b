/// A command a MISC_CHECK (or notify/quorum script) runs.
///
/// keepalived 2.x never uses a shell: it splits `misc_path`'s value with its quote-and-escape
/// rules and execs the words. swiftvs does the same for plain commands, and hands commands
/// that use shell syntax (pipes, redirections, `$`, globs, `;`, `&&`…) to `/bin/sh -c` so that
/// they do what their author meant.
public struct CheckCommand: Sendable, Hashable, CustomStringConvertible {
    public enum Form: Sendable, Hashable {
        /// argv; argv[0] is a path, or a name looked up in PATH.
        case exec([String])
        /// A command line for `/bin/sh -c`.
        case shell(String)
    }

    public var form: Form
    /// Run as this user (name or numeric id) instead of the daemon's own.
    public var user: String?
    /// Group for `user`; its primary group when nil.
    public var group: String?

    public init(_ form: Form, user: String? = nil, group: String? = nil) {
        self.form = form
        self.user = user
        self.group = group
    }

    public static func exec(_ argv: [String], user: String? = nil, group: String? = nil) -> CheckCommand {
        CheckCommand(.exec(argv), user: user, group: group)
    }

    public static func shell(_ line: String, user: String? = nil, group: String? = nil) -> CheckCommand {
        CheckCommand(.shell(line), user: user, group: group)
    }

    /// Builds a command from a script string as keepalived receives it (the first word after
    /// `misc_path`, already unquoted once): shell syntax → `/bin/sh -c`, otherwise keepalived's
    /// word splitting. Nil when the string is empty or has an unterminated quote.
    public static func parse(_ text: String, user: String? = nil, group: String? = nil) -> CheckCommand? {
        if needsShell(text) {
            return text.allSatisfy({ $0 == " " || $0 == "\t" }) ? nil : .shell(text, user: user, group: group)
        }
        guard let words = KeepalivedQuoting.splitQuotedEscaped(text), !words.isEmpty else { return nil }
        return .exec(words, user: user, group: group)
    }

    /// True when `text` uses shell syntax outside quotes (`$` and backquotes count inside double
    /// quotes too, as the shell expands them there).
    public static func needsShell(_ text: String) -> Bool {
        let operators: Set<Character> = ["|", "&", ";", "<", ">", "(", ")", "*", "?", "[", "~", "\n"]
        var quote: Character?
        var escaped = false
        var atWordStart = true
        var firstWord = true
        for ch in text {
            if escaped { escaped = false; atWordStart = false; continue }
            switch quote {
            case "'":
                if ch == "'" { quote = nil }
                continue
            case "\"":
                if ch == "\"" { quote = nil } else if ch == "$" || ch == "`" { return true } else if ch == "\\" { escaped = true }
                continue
            default:
                break
            }
            if ch == "\\" { escaped = true; continue }
            if ch == "'" || ch == "\"" { quote = ch; atWordStart = false; continue }
            if ch == "$" || ch == "`" || operators.contains(ch) { return true }
            if ch == "#" && atWordStart { return true }
            if ch == "=" && firstWord { return true }
            if ch == " " || ch == "\t" {
                if !atWordStart { firstWord = false }
                atWordStart = true
            } else {
                atWordStart = false
            }
        }
        return false
    }

    /// The program and arguments handed to posix_spawn, before any user switch.
    public var argv: [String] {
        switch form {
        case let .exec(a): return a
        case let .shell(s): return ["/bin/sh", "-c", s]
        }
    }

    public var description: String {
        switch form {
        case let .exec(a): return a.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        case let .shell(s): return s
        }
    }
}

/// keepalived's string rules.
public enum KeepalivedQuoting {
    /// keepalived's `alloc_strvec_quoted_escaped`: words split on blanks; "…" and '…' group
    /// (the quotes are dropped, the other quote character is literal inside); backslash escapes
    /// (\a \b \E \f \n \r \t \v, \NNN octal, \xHH hex, \cC control, \C literal) apply
    /// everywhere, inside either quote too. Nil on an unterminated quote.
    public static func splitQuotedEscaped(_ text: String) -> [String]? {
        let chars = Array(text.unicodeScalars)
        var words: [String] = []
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" { i += 1 }
            if i >= chars.count { break }
            var word = String.UnicodeScalarView()
            var quote: Unicode.Scalar?
            while i < chars.count {
                let c = chars[i]
                if quote == nil && (c == " " || c == "\t" || c == "\n" || c == "\r") { break }
                if c == "\\" {
                    i += 1
                    guard i < chars.count else { break }
                    let e = chars[i]
                    i += 1
                    switch e {
                    case "a": word.append("\u{07}")
                    case "b": word.append("\u{08}")
                    case "E": word.append("\u{1B}")
                    case "f": word.append("\u{0C}")
                    case "n": word.append("\n")
                    case "r": word.append("\r")
                    case "t": word.append("\t")
                    case "v": word.append("\u{0B}")
                    case "0"..."7":
                        var v = Int(e.value - 0x30)
                        var n = 1
                        while n < 3, i < chars.count, ("0"..."7").contains(chars[i]) {
                            v = v * 8 + Int(chars[i].value - 0x30); i += 1; n += 1
                        }
                        word.append(Unicode.Scalar(UInt8(truncatingIfNeeded: v)))
                    case "x":
                        var v = 0
                        var n = 0
                        while i < chars.count, let d = Int(String(chars[i]), radix: 16) { v = (v * 16 + d) & 0xFF; i += 1; n += 1 }
                        word.append(n == 0 ? "x" : Unicode.Scalar(UInt8(v)))
                    case "c":
                        if i < chars.count { word.append(Unicode.Scalar(UInt8(truncatingIfNeeded: chars[i].value) & 0x1F)); i += 1 }
                    default: word.append(e)
                    }
                    continue
                }
                if let q = quote {
                    if c == q { quote = nil } else { word.append(c) }
                    i += 1
                    continue
                }
                if c == "\"" || c == "'" { quote = c; i += 1; continue }
                word.append(c)
                i += 1
            }
            if quote != nil { return nil }
            words.append(String(word))
        }
        return words
    }
}
