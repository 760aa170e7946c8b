import SystemErrors

/// Everything that can go wrong managing mark rules: what, where, a hint, and — when a
/// tool ran — the command line, its exit status and what it wrote on stderr.
///
/// `description` is the text for a terminal: the first line says what failed and where,
/// then the hint and the tool's own words on following lines.
public struct MarkError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure, stable for callers to compare with (the codes: below). An
    /// extensible struct shared by every domain, so that a new class is not a breaking change
    /// for callers' switches.
    public typealias Code = ErrorCode<MarkError>

    public var code: Code
    /// What failed and where, one line.
    public var message: String
    /// What to do about it.
    public var hint: String?
    /// For save lines and argument lists: the 1-based column of the offending token.
    public var column: Int?
    /// The command that ran (argv, the namespace wrapper included), when one did.
    public var command: [String]?
    /// Its exit status (or 128+signal when killed), when it ran.
    public var exitStatus: Int32?
    /// What it wrote on stderr, trimmed.
    public var standardError: String?

    public init(code: Code, message: String, hint: String? = nil, column: Int? = nil,
                command: [String]? = nil, exitStatus: Int32? = nil, standardError: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.column = column
        self.command = command
        self.exitStatus = exitStatus
        self.standardError = standardError
    }

    /// The process exit code the CLI uses: 2 for bad input, 1 for everything else.
    public var exitCode: Int32 { code == .invalidValue ? 2 : 1 }

    public var description: String {
        var lines = [message]
        if let command {
            var l = "  command: " + command.map(shellQuoted).joined(separator: " ")
            if let exitStatus { l += " (exit status \(exitStatus))" }
            lines.append(l)
        }
        if let standardError, !standardError.isEmpty {
            for line in standardError.split(separator: "\n", omittingEmptySubsequences: true).prefix(8) {
                lines.append("  stderr: " + line)
            }
        }
        if let hint { lines.append("hint: " + hint) }
        return lines.joined(separator: "\n")
    }

    static func invalid(_ message: String, hint: String? = nil, column: Int? = nil) -> MarkError {
        MarkError(code: .invalidValue, message: message, hint: hint, column: column)
    }
}

/// The classes of `MarkError`.
extension ErrorCode where Domain == MarkError {
    /// `delete` without `ifExists` found no such rule of ours.
    public static var notFound: Self { Self(#function) }
    /// Neither the requested nor any usable firewall tool is installed.
    public static var toolMissing: Self { Self(#function) }
    /// A tool ran and failed (non-zero exit, killed, or timed out).
    public static var commandFailed: Self { Self(#function) }
    /// A tool's output could not be understood.
    public static var unexpectedOutput: Self { Self(#function) }
}

/// Quotes a word for display the way a shell would need it (display only; nothing here
/// is ever handed to a shell).
func shellQuoted(_ word: String) -> String {
    let safe = word.utf8.allSatisfy { c in
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
            || c == UInt8(ascii: "-") || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
            || c == UInt8(ascii: "/") || c == UInt8(ascii: ":") || c == UInt8(ascii: "=")
            || c == UInt8(ascii: "@") || c == UInt8(ascii: "+") || c == UInt8(ascii: ",")
    }
    if safe && !word.isEmpty { return word }
    return "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
}
