/// Where something is in a text file (a rules file, a configuration, a command line): the
/// file's name, 1-based line and 1-based column (columns count characters).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file's path as it was named (or a stand-in such as `command line`).
    public var file: String
    /// 1-based line.
    public var line: Int
    /// 1-based column (characters).
    public var column: Int

    /// A location.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COLUMN`.
    public var description: String { "\(file):\(line):\(column)" }
}
