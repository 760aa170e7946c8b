/// keepalived's string rules.
public enum KeepalivedQuoting {
    /// keepalived's `alloc_strvec_quoted_escaped`: words split on blanks; "…" and '…' group
    /// (the quotes are dropped, the other quote character is literal inside); backslash escapes
    /// (\a \b \E \f \n \r \t \v, \NNN octal, \xHH hex, \cC control, \C literal) apply
    /// everywhere, inside either quote too. Nil on an unterminated quote.
    public static func splitQuotedEscaped(_ text: String) -> [String]? {
        let chars = Array(text.unicodeScalars)
        var words: [String] = []
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i] == " " || chars[i] == "\t" || chars[i] == "\n" || chars[i] == "\r" { i += 1 }
            if i >= chars.count { break }
            var word = String.UnicodeScalarView()
            var quote: Unicode.Scalar?
            while i < chars.count {
                let c = chars[i]
                if quote == nil && (c == " " || c == "\t" || c == "\n" || c == "\r") { break }
                if c == "\\" {
                    i += 1
                    guard i < chars.count else { break }
                    let e = chars[i]
                    i += 1
                    switch e {
                    case "a": word.append("\u{07}")
                    case "b": word.append("\u{08}")
                    case "E": word.append("\u{1B}")
                    case "f": word.append("\u{0C}")
                    case "n": word.append("\n")
                    case "r": word.append("\r")
                    case "t": word.append("\t")
                    case "v": word.append("\u{0B}")
                    case "0"..."7":
                        var v = Int(e.value - 0x30)
                        var n = 1
                        while n < 3, i < chars.count, ("0"..."7").contains(chars[i]) {
                            v = v * 8 + Int(chars[i].value - 0x30); i += 1; n += 1
                        }
                        word.append(Unicode.Scalar(UInt8(truncatingIfNeeded: v)))
                    case "x":
                        var v = 0
                        var n = 0
                        while i < chars.count, let d = Int(String(chars[i]), radix: 16) { v = (v * 16 + d) & 0xFF; i += 1; n += 1 }
                        word.append(n == 0 ? "x" : Unicode.Scalar(UInt8(v)))
                    case "c":
                        if i < chars.count { word.append(Unicode.Scalar(UInt8(truncatingIfNeeded: chars[i].value) & 0x1F)); i += 1 }
                    default: word.append(e)
                    }
                    continue
                }
                if let q = quote {
                    if c == q { quote = nil } else { word.append(c) }
                    i += 1
                    continue
                }
                if c == "\"" || c == "'" { quote = c; i += 1; continue }
                word.append(c)
                i += 1
            }
            if quote != nil { return nil }
            words.append(String(word))
        }
        return words
    }
}
