/// Where something is in a text file (a rules file, a configuration, a command line): the
/// file's name, 1-based line and 1-based column (columns count characters).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file's path as it was named (or a stand-in such as `command line`).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column (characters).
    public var column: Int
    /// For text that a configuration's parameter substitution put here (keepalived.conf's
    /// `$NAME`, `~SEQ`): where it came from, e.g. `in $VIP defined at keepalived.conf:2:1`;
    /// nil for text written where it is. Not part of `description`; `Diagnostic` prints it.
    public var note: String?

    /// A location.
    public init(file: String, line: Int, column: Int, note: String? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.note = note
    }

    /// `FILE:LINE:COLUMN`.
    public var description: String { "\(file):\(line):\(column)" }
}
