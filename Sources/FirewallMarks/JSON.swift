/// A small strict JSON reader for `nft -j` output (RFC 8259; no Foundation needed).
enum JSON: Sendable, Equatable {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    /// Integral numbers; other numbers keep their text.
    case integer(Int64)
    case number(String)
    case bool(Bool)
    case null

    subscript(key: String) -> JSON? {
        if case let .object(o) = self { return o[key] }
        return nil
    }

    var stringValue: String? {
        if case let .string(s) = self { return s }
        return nil
    }

    var integerValue: Int64? {
        if case let .integer(i) = self { return i }
        return nil
    }

    var arrayValue: [JSON]? {
        if case let .array(a) = self { return a }
        return nil
    }

    var objectValue: [String: JSON]? {
        if case let .object(o) = self { return o }
        return nil
    }

    struct ParseError: Error, Sendable {
        var offset: Int
        var reason: String
    }

    static func parse(_ text: String) throws(ParseError) -> JSON {
        var p = Parser(bytes: Array(text.utf8))
        p.skipSpace()
        let v = try p.value(depth: 0)
        p.skipSpace()
        guard p.i == p.bytes.count else { throw ParseError(offset: p.i, reason: "trailing characters") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0a || bytes[i] == 0x0d || bytes[i] == 0x09 { i += 1 }
        }

        func fail(_ reason: String) -> ParseError { ParseError(offset: i, reason: reason) }

        /// After a member of an object or an element of an array: true past a `,` (another
        /// follows), false past `closing` (the end), else an error.
        mutating func another(before closing: Unicode.Scalar) throws(ParseError) -> Bool {
            skipSpace()
            guard i < bytes.count else { throw fail("unexpected end") }
            if bytes[i] == UInt8(ascii: ",") { i += 1; return true }
            if bytes[i] == UInt8(ascii: closing) { i += 1; return false }
            throw fail("expected ',' or '\(closing)'")
        }

        mutating func value(depth: Int) throws(ParseError) -> JSON {
            guard depth < 64 else { throw fail("nested too deeply") }
            guard i < bytes.count else { throw fail("unexpected end") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: JSON] = [:]
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a key") }
                    let k = try string()
                    skipSpace()
                    guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                    i += 1
                    skipSpace()
                    o[k] = try value(depth: depth + 1)
                    if try !another(before: "}") { return .object(o) }
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [JSON] = []
                skipSpace()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    skipSpace()
                    a.append(try value(depth: depth + 1))
                    if try !another(before: "]") { return .array(a) }
                }
            case UInt8(ascii: "\""):
                return .string(try string())
            case UInt8(ascii: "t"):
                try literal("true"); return .bool(true)
            case UInt8(ascii: "f"):
                try literal("false"); return .bool(false)
            case UInt8(ascii: "n"):
                try literal("null"); return .null
            default:
                return try number()
            }
        }

        mutating func literal(_ word: String) throws(ParseError) {
            let w = Array(word.utf8)
            guard bytes.count - i >= w.count, Array(bytes[i..<(i + w.count)]) == w else { throw fail("bad literal") }
            i += w.count
        }

        mutating func number() throws(ParseError) -> JSON {
            let start = i
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            var integral = true
            var digits = 0
            while i < bytes.count {
                let c = bytes[i]
                if c >= 0x30 && c <= 0x39 { digits += 1; i += 1; continue }
                if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                    || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && i > start) {
                    integral = false; i += 1; continue
                }
                break
            }
            guard digits > 0 else { throw fail("expected a value") }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            if integral, let v = Int64(text) { return .integer(v) }
            return .number(text)
        }

        mutating func string() throws(ParseError) -> String {
            i += 1  // opening quote
            var out: [UInt8] = []
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; return String(decoding: out, as: UTF8.self) }
                if c < 0x20 { throw fail("control character in string") }
                if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
                i += 1
                guard i < bytes.count else { break }
                let e = bytes[i]
                i += 1
                switch e {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5c)
                case UInt8(ascii: "/"): out.append(0x2f)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0c)
                case UInt8(ascii: "n"): out.append(0x0a)
                case UInt8(ascii: "r"): out.append(0x0d)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xd800..<0xdc00).contains(scalar), let low = lowSurrogate() {
                        scalar = 0x10000 + ((scalar - 0xd800) << 10) + (low - 0xdc00)
                    }
                    // A surrogate left unpaired is not a scalar: U+FFFD, as other JSON readers do.
                    let u = Unicode.Scalar(scalar) ?? "\u{fffd}"
                    out += Array(String(Character(u)).utf8)
                default:
                    throw fail("bad escape")
                }
            }
            throw fail("unterminated string")
        }

        /// The `\uDC00`–`\uDFFF` escape that completes a high surrogate, consumed only if it is one.
        mutating func lowSurrogate() -> UInt32? {
            guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u"),
                  let low = hexValue(at: i + 2), (0xdc00..<0xe000).contains(low) else { return nil }
            i += 6
            return low
        }

        mutating func hex4() throws(ParseError) -> UInt32 {
            guard let v = hexValue(at: i) else { throw fail("bad \\u escape") }
            i += 4
            return v
        }

        /// Four hexadecimal digits at `start`, and nothing else (no sign, unlike `UInt32(_:radix:)`).
        func hexValue(at start: Int) -> UInt32? {
            guard bytes.count - start >= 4 else { return nil }
            var v: UInt32 = 0
            for c in bytes[start..<(start + 4)] {
                guard let d = Character(Unicode.Scalar(c)).hexDigitValue else { return nil }
                v = v << 4 | UInt32(d)
            }
            return v
        }
    }
}
