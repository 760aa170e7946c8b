import Diagnostics
@testable import KeepalivedConfig
import Testing

/// The byte-level lexer (`ConfigLexer.lex` of a line as written: ASCII lines on their bytes)
/// against the Character one (`ConfigLexer.lexCharacters`): the same tokens, offsets, columns,
/// comment cut and diagnostics, line for line, including lines that take the Character path.
@Suite("KeepalivedConfig: the byte lexer gives the Character lexer's lines")
struct ConfigLexerTests {
    static let lines = [
        "virtual_server 192.0.2.100 80 {",
        "  real_server 192.0.2.101 80 {   # a comment",
        "\tweight 1 ! another comment",
        "    misc_path \"/usr/bin/check -x 'a b'\" nobody",
        "notify \"unterminated quote",
        "a{b}c \"q\"d#e",
        "\u{0B}\u{0C} x",
        "",
        "   ",
        "}",
        "}}{",
        "misc_path \"\"",
        "é weight 2",                      // not ASCII: the Character path
        "\u{A0}\u{A0}weight 3",            // no-break spaces: the Character path, with a warning
        "include /etc/keepalived/*.conf",
        "  delay_loop 6\r",               // a carriage return: the Character path
    ]

    func lexed(_ text: String, _ lex: (LogicalLine, inout [Diagnostic]) -> Line) -> [(Line, [Diagnostic])] {
        var out: [(Line, [Diagnostic])] = []
        ConfigLexer.forEachLine(of: text) { raw, number in
            var d: [Diagnostic] = []
            let line = lex(LogicalLine(text: raw, sources: nil, file: "f.conf", line: number), &d)
            out.append((line, d))
        }
        return out
    }

    func characterLexed(_ text: String) -> [(Line, [Diagnostic])] { lexed(text) { ConfigLexer.lexCharacters($0, diagnostics: &$1) } }

    func byteLexed(_ text: String) -> [(Line, [Diagnostic])] { lexed(text) { ConfigLexer.lex($0, diagnostics: &$1) } }

    @Test(arguments: [false, true])
    func sameLinesAsTheCharacterLexer(trailingNewline: Bool) {
        let text = Self.lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")
        let a = characterLexed(text), b = byteLexed(text)
        #expect(a.count == b.count)
        for (x, y) in zip(a, b) {
            #expect(x.0.tokens == y.0.tokens, "\(x.0.text)")
            #expect(x.0.text == y.0.text)
            #expect(x.1.map(\.description) == y.1.map(\.description), "\(x.0.text)")
        }
        #expect(b.contains { !$0.1.isEmpty }, "the unterminated quote's error is there")
    }

    /// The line split by bytes (`forEachLine`) against the Character "\n"'s split it replaced:
    /// the same lines, also where "\r\n" (one Character, not "\n") and non-ASCII text are.
    @Test(arguments: ["a b\nc\n", "a\r\nb\nc", "\r\r\n\n\r\n", "\n\r", "\n", "", "x\r", "é\ne\u{301}\n\u{301}z\n",
                      "\u{A0}a\n\r\n\r\nb\r\n", "\r\n"])
    func linesSplitAsTheCharacterSearchSplitThem(text: String) {
        var byBytes: [(Substring, Int)] = []
        ConfigLexer.forEachLine(of: text) { byBytes.append(($0, $1)) }
        var byCharacters: [(Substring, Int)] = []
        let t = text[...]
        var start = t.startIndex, number = 0
        while true {
            let end = t[start...].firstIndex(of: "\n") ?? t.endIndex
            number += 1
            byCharacters.append((t[start..<end], number))
            if end == t.endIndex { break }
            start = t.index(after: end)
        }
        #expect(byBytes.map { String($0.0) } == byCharacters.map { String($0.0) })
        #expect(byBytes.map(\.1) == byCharacters.map(\.1))
        // The pieces are the same slices of the text, not only equal strings.
        #expect(byBytes.map { $0.0.startIndex } == byCharacters.map { $0.0.startIndex })
    }
}
