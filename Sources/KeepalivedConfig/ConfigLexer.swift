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
