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
}
