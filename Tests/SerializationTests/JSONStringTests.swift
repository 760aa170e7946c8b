import Serialization
import Testing

/// The one JSON string escaping: what must be escaped is, in the short form where JSON has one;
/// the rest is written as itself.
@Suite("JSON string literals")
struct JSONStringTests {
    @Test("quotes and backslashes are escaped")
    func quotesAndBackslashes() {
        #expect(JSONString.quoted(#"a"b\c"#) == #""a\"b\\c""#)
        #expect(JSONString.quoted("") == #""""#)
        #expect(JSONString.quoted("/") == #""/""#)
    }

    @Test("control characters: the short escapes, \\u00XX for the rest, every one of U+0000…U+001F")
    func controlCharacters() {
        #expect(JSONString.quoted("\u{08}\u{0C}\n\r\t") == #""\b\f\n\r\t""#)
        #expect(JSONString.quoted("\u{00}\u{01}\u{1B}\u{1F}") == #""\u0000\u0001\u001b\u001f""#)
        let short: [UInt32: String] = [0x08: #"\b"#, 0x0C: #"\f"#, 0x0A: #"\n"#, 0x0D: #"\r"#, 0x09: #"\t"#]
        for v in UInt32(0)..<0x20 {
            let escaped = short[v] ?? "\\u00" + (v < 0x10 ? "0" : "") + String(v, radix: 16)
            #expect(JSONString.quoted(String(Unicode.Scalar(v)!)) == "\"" + escaped + "\"", "U+\(String(v, radix: 16))")
        }
    }

    @Test("DEL and non-ASCII are written as themselves (UTF-8)")
    func nonASCII() {
        #expect(JSONString.quoted("\u{7F}") == "\"\u{7F}\"")
        #expect(JSONString.quoted("café 😀 \u{2028}") == "\"café 😀 \u{2028}\"")
        #expect(Array(JSONString.quoted("é").utf8) == [0x22, 0xC3, 0xA9, 0x22])
    }

    @Test("a substring is quoted like the string")
    func substring() {
        let s = "x\"y\"z"
        #expect(JSONString.quoted(s.dropFirst().dropLast()) == #""\"y\"""#)
    }
}
