/// Where a run of characters came from, shared by every character of the run: a line's text
/// as written, or the value a `$NAME` brought. A character's location is computed from its run
/// and its offset in it only when asked (a token's first character, a diagnostic), so a line
/// that substitution makes long costs a few runs, not a location (and its note) per character.
final class SourceOrigin: DeferredNote {
    enum Kind: Sendable {
        /// Text where it is written: the run's first character is at `first`, the next one
        /// column further on each.
        case written(first: SourceLocation)
        /// Every character at one place (a predefined or ~SEQ value, a generated character).
        case fixed(SourceLocation)
        /// A definition's value brought by the `$NAME` written at `use`: each character is
        /// reported at `use`, with where it was in the definition (`inner`) in its note.
        case substituted(use: SourceLocation, name: String, inner: SourceOrigin)
        /// A ~SEQ / ~LST round's text: its locations with the round's note first.
        case round(note: String, inner: SourceOrigin)
    }

    let kind: Kind
    /// The parameters the run came through, innermost first: a `$NAME` whose own characters
    /// came through NAME is a definition that refers to itself.
    let via: [String]

    init(_ kind: Kind, via: [String] = []) {
        self.kind = kind
        self.via = via
    }

    /// The location of the run's character `offset`; its note, for substituted text, is made
    /// when it is read (`note(at:)`).
    func location(_ offset: Int) -> SourceLocation {
        switch kind {
        case let .written(first):
            var l = first
            l.column += offset
            return l
        case let .fixed(l):
            return l
        case let .substituted(use, _, _):
            return SourceLocation(file: use.file, line: use.line, column: use.column, deferredNote: self, offset: offset)
        case let .round(_, inner):
            let l = inner.location(offset)
            return SourceLocation(file: l.file, line: l.line, column: l.column, deferredNote: self, offset: offset)
        }
    }

    /// The note of character `offset`: where a substituted character was defined (and the
    /// note of the use), or a round's note before the text's own.
    func note(at offset: Int) -> String {
        switch kind {
        case let .substituted(use, name, inner):
            let origin = inner.location(offset)
            let note = "in $\(name) defined at \(origin)" + (origin.note.map { ", \($0)" } ?? "")
            return use.note.map { "\(note), \($0)" } ?? note
        case let .round(note, inner):
            return inner.location(offset).note.map { "\(note), \($0)" } ?? note
        case let .written(first):
            return first.note ?? ""
        case let .fixed(l):
            return l.note ?? ""
        }
    }
}

/// One character of a line being preprocessed: the character, its run and its offset in it.
struct SourceChar: Sendable {
    var char: Character
    var origin: SourceOrigin
    var offset: Int

    /// Where it is reported: where it was written, or for substituted text where the `$NAME`
    /// that brought it was written (with the definition in `note`).
    var location: SourceLocation { origin.location(offset) }
    /// The parameters it came through, innermost first.
    var via: [String] { origin.via }
}

/// A line of characters with their origins: keepalived's line buffer in the preprocessor.
typealias SourceText = [SourceChar]

/// A line as the lexer gets it after preprocessing.
struct LogicalLine: Sendable {
    /// The text; for a line the preprocessor left alone, the file's own line (comment and
    /// all: the lexer removes it).
    var text: Substring
    /// The origin of each character of `text`; nil when `text` is the file's line `line` of
    /// `file` as written, columns counting from 1.
    var sources: SourceText?
    var file: String
    var line: Int

    init(text: Substring, sources: SourceText?, file: String, line: Int) {
        self.text = text
        self.sources = sources
        self.file = file
        self.line = line
    }

    /// Whether the preprocessor made the text (its locations are not simply columns).
    var isPreprocessed: Bool { sources != nil }

    /// Where character `index` is (one past the end: where the last one is).
    func location(_ index: Int) -> SourceLocation {
        guard let sources, !sources.isEmpty else { return SourceLocation(file: file, line: line, column: index + 1) }
        return sources[min(index, sources.count - 1)].location
    }

    /// Where a token over `range` is: its first character's place, with the note of the first
    /// of its characters that substitution put there (`192.0.2.$N` is reported where it is
    /// written, and says where N came from).
    func location(of range: Range<Int>) -> SourceLocation {
        let at = location(range.lowerBound)
        guard let sources, !sources.isEmpty, !at.hasNote else { return at }
        for c in sources[range.clamped(to: 0..<sources.count)] {
            if case .written = c.origin.kind { continue }
            let l = c.location
            if l.hasNote { return SourceLocation(file: at.file, line: at.line, column: at.column, deferredNote: c.origin, offset: c.offset) }
        }
        return at
    }
}

extension SourceChar {
    static func isBlank(_ c: Character) -> Bool { c == " " || c == "\t" }
    static func isAlpha(_ c: Character) -> Bool { c.isASCII && c.isLetter }
    static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
    static func isNameChar(_ c: Character) -> Bool { isAlpha(c) || isDigit(c) || c == "_" }
}

extension Array where Element == SourceChar {
    /// The characters as a string.
    var string: String { String(map(\.char)) }

    /// keepalived's `decomment`: leading blanks removed; `#` or `!` outside double quotes ends
    /// the line, `\#` and `\!` outside them are a literal `#` and `!`; a `\` as the last
    /// character (even after a comment) is kept as the line's last character, the mark of a
    /// continued definition; trailing blanks removed. A backslash skips the character after it
    /// (so `\"` neither opens nor closes a quote).
    mutating func decomment() {
        let lead = prefix { SourceChar.isBlank($0.char) }.count
        if lead > 0 { removeFirst(lead) }
        var quote = false
        var skip: Int?
        var continued: SourceChar?
        var p = 0
        while p < count {
            let c = self[p].char
            if c == "\"" {
                if skip == nil { quote.toggle() }
                p += 1
            } else if c == "\\" {
                if p + 1 < count {
                    if !quote && (self[p + 1].char == "#" || self[p + 1].char == "!") {
                        remove(at: p)
                        p += 1
                    } else {
                        p += 2
                    }
                    continue
                }
                continued = self[p]
                removeSubrange(p...)
                break
            } else {
                if !quote && skip == nil && (c == "!" || c == "#") { skip = p }
                p += 1
            }
        }
        if let skip, skip < count { removeSubrange(skip...) }
        while let last = last, SourceChar.isBlank(last.char) { removeLast() }
        if let continued { append(continued) }
    }
}

/// The new run made for each run of a text being rewritten (a value substituted, a round's
/// text): one per run, however many characters it has.
struct OriginMap {
    private var made: [ObjectIdentifier: SourceOrigin] = [:]
    private var last: (SourceOrigin, SourceOrigin)?

    /// The run made for `inner`, made by `make` the first time.
    mutating func origin(for inner: SourceOrigin, _ make: (SourceOrigin) -> SourceOrigin) -> SourceOrigin {
        if let (from, to) = last, from === inner { return to }
        let id = ObjectIdentifier(inner)
        let to = made[id] ?? make(inner)
        made[id] = to
        last = (inner, to)
        return to
    }
}
