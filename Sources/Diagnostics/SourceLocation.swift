/// A note made only when it is read: a configuration preprocessor's record of where a run of
/// substituted text came from, shared by every character of the run (see `SourceLocation.note`).
public protocol DeferredNote: AnyObject, Sendable {
    /// The note of the run's character `offset`.
    func note(at offset: Int) -> String
}

/// Where something is in a text file (a rules file, a configuration, a command line): the
/// file's name, 1-based line and 1-based column (columns count characters).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    /// The file's path as it was named (or a stand-in such as `command line`).
    public var file: String
    /// 1-based line.
    public var line: Int {
        get { Int(storedLine) }
        set { storedLine = Int32(clamping: newValue) }
    }
    /// 1-based column (characters).
    public var column: Int {
        get { Int(storedColumn) }
        set { storedColumn = Int32(clamping: newValue) }
    }
    /// Line and column as 32 bits each, and the note behind one reference: a location is 32
    /// bytes, not 57 (every token of a configuration's statement tree has one, and so has
    /// every checker and real server of the configuration a daemon holds).
    private var storedLine: Int32
    private var storedColumn: Int32
    /// For text that a configuration's parameter substitution put here (keepalived.conf's
    /// `$NAME`, `~SEQ`): where it came from, e.g. `in $VIP defined at keepalived.conf:2:1`;
    /// nil for text written where it is. Not part of `description`; `Diagnostic` prints it.
    public var note: String? {
        get {
            switch storedNote {
            case nil: return nil
            case let .text(s)?: return s
            case let .deferred(source, offset)?: return source.note(at: offset)
            }
        }
        set { storedNote = newValue.map { .text($0) } }
    }

    /// Whether there is a note (without making a deferred one).
    public var hasNote: Bool { storedNote != nil }

    private indirect enum Note: Sendable {
        case text(String)
        case deferred(any DeferredNote, Int)
    }

    /// The note as given, or what makes it when it is read: a big generated configuration's
    /// tokens keep a reference each, not a string each.
    private var storedNote: Note?

    /// A location.
    public init(file: String, line: Int, column: Int, note: String? = nil) {
        self.file = file
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
        storedNote = note.map { .text($0) }
    }

    /// A location whose note `source` makes when it is read (for its character `offset`).
    public init(file: String, line: Int, column: Int, deferredNote source: any DeferredNote, offset: Int) {
        self.file = file
        storedLine = Int32(clamping: line)
        storedColumn = Int32(clamping: column)
        storedNote = .deferred(source, offset)
    }

    /// `FILE:LINE:COLUMN`.
    public var description: String { "\(file):\(line):\(column)" }

    /// Same place and same note.
    public static func == (a: SourceLocation, b: SourceLocation) -> Bool {
        a.file == b.file && a.storedLine == b.storedLine && a.storedColumn == b.storedColumn && a.note == b.note
    }

    /// The place (equal locations have equal places; the note is not made for a hash).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(file)
        hasher.combine(storedLine)
        hasher.combine(storedColumn)
    }
}
