/// JSON string literals (RFC 8259, section 7), the one escaping every JSON writer in the
/// package uses: the rules JSON (`swiftvs list --json`), the mark rules JSON and the daemon's
/// status.
///
/// `"` and `\` are escaped, the control characters U+0000…U+001F are written with their short
/// escapes where JSON has one (`\b \f \n \r \t`) and as `\u00XX` (lowercase hex) otherwise;
/// everything else, DEL and non-ASCII included, is written as itself in UTF-8, which RFC 8259
/// allows and every parser reads.
public enum JSONString {
    /// `text` as a quoted JSON string literal.
    public static func quoted(_ text: some StringProtocol) -> String {
        var out = "\""
        out.reserveCapacity(text.utf8.count + 2)
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}
