/// One character of a line being preprocessed, and where it came from.
struct SourceChar: Sendable {
    var char: Character
    /// Where it is reported: where it was written, or for substituted text where the `$NAME`
    /// that brought it was written (with the definition in `note`).
    var location: SourceLocation
    /// The parameters it came through, innermost first: a `$NAME` whose own characters came
    /// through NAME is a definition that refers to itself.
    var via: [String] = []
}

/// A line of characters with their origins: keepalived's line buffer in the preprocessor.
typealias SourceText = [SourceChar]

/// A line as the lexer gets it after preprocessing.
struct LogicalLine: Sendable {
    /// The text; for a line the preprocessor left alone, the file's own line (comment and
    /// all: the lexer removes it).
    var text: Substring
    /// The location of each character of `text` (and one past the end); nil when `text` is
    /// the file's line `line` of `file` as written, columns counting from 1.
    var locations: [SourceLocation]?
    var file: String
    var line: Int

    /// Where character `index` is.
    func location(_ index: Int) -> SourceLocation {
        guard let locations else { return SourceLocation(file: file, line: line, column: index + 1) }
        return locations[min(index, locations.count - 1)]
    }

    /// Where a token over `range` is: its first character's place, with the note of the first
    /// of its characters that substitution put there (`192.0.2.$N` is reported where it is
    /// written, and says where N came from).
    func location(of range: Range<Int>) -> SourceLocation {
        var at = location(range.lowerBound)
        guard let locations, at.note == nil else { return at }
        at.note = locations[range.clamped(to: 0..<locations.count)].first { $0.note != nil }?.note
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
