/// A problem found in a text file, at the offending token.
///
/// Two forms are printed, both byte-for-byte what the tools printed before they shared this type:
/// - without a hint (keepalived.conf): `FILE:LINE:COLUMN: MESSAGE` for an error (keepalived labels
///   none) and `FILE:LINE:COLUMN: warning: MESSAGE` for a warning;
/// - with a hint (ipvsadm rules files, command lines): `FILE:LINE:COLUMN: error: MESSAGE` (or
///   `warning:`) and an indented `hint: HINT` line, even when the hint is empty.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// Whether the input is refused (error) or accepted anyway (warning).
    public enum Severity: String, Hashable, Sendable {
        /// The input cannot be used.
        case error
        /// Accepted; something is ignored or differs from the original tool.
        case warning
    }

    /// Error or warning.
    public var severity: Severity
    /// Where: for a token with a value part (`--option=value`, `-wVALUE`), the value's column.
    public var location: SourceLocation
    /// What, without the location.
    public var message: String
    /// The offending text as written; empty when the reader did not keep it.
    public var token: String
    /// What to do about it; nil when the reader gives no hint (keepalived.conf).
    public var hint: String?

    /// A diagnostic.
    public init(_ severity: Severity, _ location: SourceLocation, _ message: String,
                token: String = "", hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = message
        self.token = token
        self.hint = hint
    }

    /// The printed form (see the type's description); a location's `note` follows the
    /// message in parentheses: `FILE:LINE:COLUMN: MESSAGE (in $VIP defined at FILE:2:1)`.
    public var description: String {
        let text = location.note.map { "\(message) (\($0))" } ?? message
        guard let hint else {
            return severity == .error ? "\(location): \(text)" : "\(location): warning: \(text)"
        }
        return "\(location): \(severity.rawValue): \(text)\n    hint: \(hint)"
    }
}
