/// A command a MISC_CHECK (or notify/quorum script) runs.
///
/// keepalived 2.x never uses a shell: it splits `misc_path`'s value with its quote-and-escape
/// rules and execs the words. swiftvs does the same for plain commands, and hands commands
/// that use shell syntax (pipes, redirections, `$`, globs, `;`, `&&`…) to `/bin/sh -c` so that
/// they do what their author meant. Building one from keepalived's script text
/// (`CheckCommand.parse`) belongs to the configuration side (HealthCheck, over
/// KeepalivedConfig's quoting rules); this module only runs commands.
public struct CheckCommand: Sendable, Hashable, CustomStringConvertible {
    /// How the command is started.
    public enum Form: Sendable, Hashable {
        /// argv; argv[0] is a path, or a name looked up in PATH.
        case exec([String])
        /// A command line for `/bin/sh -c`.
        case shell(String)
    }

    /// How it is started.
    public var form: Form
    /// Run as this user (name or numeric id) instead of the daemon's own.
    public var user: String?
    /// Group for `user`; its primary group when nil.
    public var group: String?

    /// A command of `form`, run as `user` (and `group`) when given.
    public init(_ form: Form, user: String? = nil, group: String? = nil) {
        self.form = form
        self.user = user
        self.group = group
    }

    /// argv exec'd directly (no shell).
    public static func exec(_ argv: [String], user: String? = nil, group: String? = nil) -> CheckCommand {
        CheckCommand(.exec(argv), user: user, group: group)
    }

    /// A line for `/bin/sh -c`.
    public static func shell(_ line: String, user: String? = nil, group: String? = nil) -> CheckCommand {
        CheckCommand(.shell(line), user: user, group: group)
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

    /// The command as a log line shows it (argv words with blanks quoted, or the shell line).
    public var description: String {
        switch form {
        case let .exec(a): return a.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }.joined(separator: " ")
        case let .shell(s): return s
        }
    }
}
