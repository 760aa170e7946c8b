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

    /// The tokens of a preprocessed line. A line as written (no `locations`) has its comment
    /// removed here; a line the preprocessor rewrote has none left (keepalived removes comments
    /// before substitution, and a `#` that `\#` or `${_HASH}` made is a character like others).
    static func lex(_ logical: LogicalLine, diagnostics: inout [Diagnostic]) -> Line {
        let raw = logical.text
        let comments = logical.locations == nil
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
