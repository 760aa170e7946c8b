import EventLoop
import KeepalivedConfig

extension CheckCommand {
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
}
