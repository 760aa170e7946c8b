#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// Splits a line like ipvsadm's config_stream: tokens separated by blanks, tabs and CRs.
enum Tokenizer {
    struct Token {
        var text: String
        var column: Int
    }

    static func tokens(_ line: String) -> [Token] {
        var line = line
        if let fast = line.withUTF8({ asciiTokens($0) }) { return fast }
        var result: [Token] = []
        var current = ""
        var start = 0
        var column = 0
        for ch in line {
            column += 1
            if ch == " " || ch == "\t" || ch == "\r" {
                if !current.isEmpty { result.append(Token(text: current, column: start)); current = "" }
            } else {
                if current.isEmpty { start = column }
                current.append(ch)
            }
        }
        if !current.isEmpty { result.append(Token(text: current, column: start)) }
        return result
    }

    /// The same split for an all-ASCII line (one byte per Character, so columns are byte
    /// offsets + 1), without Character iteration; nil if the line has other bytes.
    private static func asciiTokens(_ bytes: UnsafeBufferPointer<UInt8>) -> [Token]? {
        var result: [Token] = []
        var start = -1
        for (i, b) in bytes.enumerated() {
            if b >= 0x80 { return nil }
            if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") {
                if start >= 0 {
                    result.append(Token(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self), column: start + 1))
                    start = -1
                }
            } else if start < 0 {
                start = i
            }
        }
        if start >= 0 {
            result.append(Token(text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self), column: start + 1))
        }
        return result
    }
}
