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
        var start = text.startIndex
        var number = 0
        while true {
            let end = text[start...].firstIndex(of: "\n") ?? text.endIndex
            number += 1
            body(text[start..<end], number)
            if end == text.endIndex { return }
            start = text.index(after: end)
        }
    }

    /// Lexes every line of `text` and calls `body` with each, in order, and the diagnostics
    /// its lexing found (empty for nearly every line). Files without a
    /// carriage return are split and lexed byte by byte (a line of ASCII is lexed on its bytes:
    /// there each byte is a character, so columns and offsets are the same); a line with other
    /// characters, or a file with a "\r" (where "\r\n" is one Character and no line break to
    /// `forEachLine`), goes through `lex(line:)` on Characters, as before. At 290,000 lines
    /// (2,284 virtual servers, 37,298 real servers) the Character walk was two thirds of the
    /// whole parse.
    static func lexLines(of text: String, file: String, _ body: (Line, [Diagnostic]) -> Void) {
        var found: [Diagnostic] = []
        if text.utf8.contains(0x0D) {
            forEachLine(of: text) { raw, number in
                let line = lex(line: raw, number: number, file: file, diagnostics: &found)
                body(line, found)
                found = []
            }
            return
        }
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        var number = 0
        var copy = text
        copy.withUTF8 { bytes in
            var s = 0
            while true {
                var e = s
                var ascii = true
                while e < bytes.count && bytes[e] != 0x0A {
                    if bytes[e] >= 0x80 { ascii = false }
                    e += 1
                }
                number += 1
                let lineEnd = utf8.index(lineStart, offsetBy: e - s)
                let raw = text[lineStart..<lineEnd]
                let line = ascii
                    ? lexASCII(UnsafeBufferPointer(rebasing: bytes[s..<e]), raw: raw, number: number, file: file, diagnostics: &found)
                    : lex(line: raw, number: number, file: file, diagnostics: &found)
                body(line, found)
                if !found.isEmpty { found = [] }
                if e >= bytes.count { return }
                s = e + 1
                lineStart = utf8.index(after: lineEnd)
            }
        }
    }

    /// `lex(line:)` for a line of ASCII bytes (no "\r", no byte above 0x7F), the same tokens.
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

    static func lex(line raw: Substring, number lineNo: Int, file: String, diagnostics: inout [Diagnostic]) -> Line {
        var chars = Array(raw)
        if chars.last == "\r" { chars.removeLast() }
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
                    diagnostics.append(Diagnostic(.warning, SourceLocation(file: file, line: lineNo, column: i + 1),
                                                  noBreakSpaceWarning))
                    warnedNoBreakSpace = true
                }
                i += 1
                continue
            }
            if c == "#" || c == "!" { end = i; break }
            let loc = SourceLocation(file: file, line: lineNo, column: i + 1)
            if c == "\"" {
                var j = i + 1
                while j < chars.count && chars[j] != "\"" { j += 1 }
                if j >= chars.count {
                    diagnostics.append(Diagnostic(.error, loc, "unterminated quoted string"))
                    tokens.append(Token(text: String(chars[(i + 1)...]), location: loc, quoted: true, offset: i))
                    i = chars.count
                    break
                }
                tokens.append(Token(text: String(chars[(i + 1)..<j]), location: loc, quoted: true, offset: i))
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
                if d == " " || d == "\t" || d == "\u{0B}" || d == "\u{0C}" || d == "\u{A0}" || d == "\"" || d == "{" || d == "}" || d == "#" || d == "!" { break }
                j += 1
            }
            tokens.append(Token(text: String(chars[i..<j]), location: loc, quoted: false, offset: i))
            i = j
        }
        return Line(tokens: tokens, text: raw.prefix(end))
    }
}
