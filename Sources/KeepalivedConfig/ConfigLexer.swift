/// One line of tokens, comments removed.
struct Line: Sendable {
    var tokens: [Token]
    /// The line with its comment removed, for keywords that re-split their value: a slice of
    /// the file's text (no copy).
    var text: Substring
}

/// keepalived's line tokeniser (`alloc_strvec_r`): words split on blanks, "…" is one word
/// without its quotes, '#' and '!' outside double quotes start a comment, and braces are words
/// of their own. Single quotes are ordinary characters at this level; script keywords re-split
/// their line with `KeepalivedQuoting.splitQuotedEscaped`, as keepalived does.
///
/// One line at a time (`TreeBuilder` keeps only the statements): a whole file's lines at once
/// were most of the daemon's peak heap with a big configuration.
enum ConfigLexer {
    /// Calls `body` with each line of `text` (split on "\n") and its number, from 1.
    static func forEachLine(of text: String, _ body: (Substring, Int) -> Void) {
        forEachLine(of: text[...], body)
    }

    /// Calls `body` with each line of `text` (split on "\n") and its number, from `firstLine`.
    ///
    /// The split is the Character "\n"'s, found by bytes: a "\n" right after a "\r" is the
    /// Character "\r\n", which is not "\n", so it ends no line (the line runs on to the next
    /// lone "\n", as the Character search had it); any other "\n" byte is a Character of its
    /// own (nothing joins a line feed to what follows it). At 290,000 lines the Character
    /// search, grapheme breaking every byte of the file, was an eighth of the start-up's read.
    static func forEachLine(of text: Substring, firstLine: Int = 1, _ body: (Substring, Int) -> Void) {
        let bytes = text.utf8
        var start = bytes.startIndex
        var number = firstLine - 1
        var previous: UInt8 = 0   // the byte before the one looked at ("\r" or not)
        var i = start
        while true {
            while i < bytes.endIndex {
                let b = bytes[i]
                if b == 0x0A && previous != 0x0D { break }
                previous = b
                bytes.formIndex(after: &i)
            }
            number += 1
            body(text[start..<i], number)
            if i == bytes.endIndex { return }
            previous = 0x0A
            bytes.formIndex(after: &i)
            start = i
        }
    }

    /// `lexCharacters` for a line of ASCII bytes (no "\r", no byte above 0x7F), the same tokens:
    /// there each byte is a character, so columns and offsets are the same. At 290,000 lines
    /// (2,284 virtual servers, 37,298 real servers) the Character walk was two thirds of the
    /// whole parse.
    static func lexASCII(_ b: UnsafeBufferPointer<UInt8>, raw: Substring, number lineNo: Int, file: String,
                         diagnostics: inout [Diagnostic]) -> Line {
        func blank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0B || c == 0x0C }
        func text(_ r: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[r]), as: UTF8.self) }
        var tokens: [Token] = []
        let n = b.count
        var i = 0
        var end = n
        while i < n {
            let c = b[i]
            if blank(c) { i += 1; continue }
            if c == 0x23 || c == 0x21 { end = i; break }   // # !
            let loc = SourceLocation(file: file, line: lineNo, column: i + 1)
            if c == 0x22 {   // "
                var j = i + 1
                while j < n && b[j] != 0x22 { j += 1 }
                if j >= n {
                    diagnostics.append(Diagnostic(.error, loc, "unterminated quoted string"))
                    tokens.append(Token(text: text((i + 1)..<n), location: loc, quoted: true, offset: i))
                    break
                }
                tokens.append(Token(text: text((i + 1)..<j), location: loc, quoted: true, offset: i))
                i = j + 1
                continue
            }
            if c == 0x7B || c == 0x7D {   // { }
                tokens.append(Token(text: c == 0x7B ? "{" : "}", location: loc, quoted: false, offset: i))
                i += 1
                continue
            }
            var j = i
            while j < n {
                let d = b[j]
                if blank(d) || d == 0x22 || d == 0x7B || d == 0x7D || d == 0x23 || d == 0x21 { break }
                j += 1
            }
            tokens.append(Token(text: text(i..<j), location: loc, quoted: false, offset: i))
            i = j
        }
        // The comment cut by bytes: `prefix(_:)` would walk the line's Characters again.
        return Line(tokens: tokens, text: end == n ? raw : raw[..<raw.utf8.index(raw.startIndex, offsetBy: end)])
    }

    /// The warning for a line with no-break spaces (folded to one per file by the tree builder).
    static let noBreakSpaceWarning = "no-break space (U+00A0) taken as a blank; keepalived refuses it"

    /// The tokens of a preprocessed line. A line as written (no `sources`) has its comment
    /// removed here; a line the preprocessor rewrote has none left (keepalived removes comments
    /// before substitution, and a `#` that `\#` or `${_HASH}` made is a character like others).
    static func lex(_ logical: LogicalLine, diagnostics: inout [Diagnostic]) -> Line {
        if !logical.isPreprocessed, !logical.text.utf8.contains(where: { $0 >= 0x80 || $0 == 0x0D }),
           let line = logical.text.utf8.withContiguousStorageIfAvailable({
               lexASCII($0, raw: logical.text, number: logical.line, file: logical.file, diagnostics: &diagnostics)
           }) {
            return line
        }
        return lexCharacters(logical, diagnostics: &diagnostics)
    }

    /// `lex` on the line's Characters: any line, as written or rewritten.
    static func lexCharacters(_ logical: LogicalLine, diagnostics: inout [Diagnostic]) -> Line {
        let raw = logical.text
        let comments = !logical.isPreprocessed
        var chars = Array(raw)
        if comments && chars.last == "\r" { chars.removeLast() }
        var tokens: [Token] = []
        var i = 0
        var end = chars.count
        var warnedNoBreakSpace = false
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\u{0B}" || c == "\u{0C}" { i += 1; continue }
            if c == "\u{A0}" {
                // Text copied from a web page indents with no-break spaces: taken as blanks, with
                // a warning, since keepalived 2.2.7 refuses such a line ("Unknown keyword").
                if !warnedNoBreakSpace {
                    diagnostics.append(Diagnostic(.warning, logical.location(i), noBreakSpaceWarning))
                    warnedNoBreakSpace = true
                }
                i += 1
                continue
            }
            if comments && (c == "#" || c == "!") { end = i; break }
            let loc = logical.location(i)
            if c == "\"" {
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += 1 }
                if j >= chars.count {
                    diagnostics.append(Diagnostic(.error, loc, "unterminated quoted string"))
                    tokens.append(Token(text: String(chars[(i + 1)...]), location: logical.location(of: i..<chars.count), quoted: true, offset: i))
                    i = chars.count
                    break
                }
                tokens.append(Token(text: String(chars[(i + 1)..<j]), location: logical.location(of: i..<(j + 1)), quoted: true, offset: i))
                i = j + 1
                continue
            }
            if c == "{" || c == "}" {
                tokens.append(Token(text: String(c), location: loc, quoted: false, offset: i))
                i += 1
                continue
            }
            var j = i
            while j < chars.count {
                let d = chars[j]
                if d == " " || d == "\t" || d == "\u{0B}" || d == "\u{0C}" || d == "\u{A0}" || d == "\"" || d == "{" || d == "}" { break }
                if comments && (d == "#" || d == "!") { break }
                j += 1
            }
            tokens.append(Token(text: String(chars[i..<j]), location: logical.location(of: i..<j), quoted: false, offset: i))
            i = j
        }
        return Line(tokens: tokens, text: raw.prefix(end))
    }
}
