/// Where something is in the configuration: file, 1-based line and 1-based column.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file's path as the configuration named it.
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
