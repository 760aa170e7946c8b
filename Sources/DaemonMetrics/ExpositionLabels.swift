/// A label set rendered once into the exposition format's bytes (`name="value",…`, values
/// escaped: backslash, double quote, line feed), so that writing a series costs one copy of
/// those bytes instead of a formatting pass per sample. Made once per real server and scrape,
/// then used for each of its series; `appending` adds the labels a narrower series has.
public struct ExpositionLabels: Sendable, Equatable {
    /// The rendered text, without braces; empty for no labels.
    public private(set) var rendered: [UInt8]

    /// No labels.
    public init() { rendered = [] }

    /// `pairs` in their order. Names are swiftvs's own (valid Prometheus label names).
    public init(_ pairs: [(String, String)]) {
        rendered = []
        rendered.reserveCapacity(pairs.count * 24)
        for (name, value) in pairs { append(name, value) }
    }

    /// These labels followed by `pairs`.
    public func appending(_ pairs: [(String, String)]) -> ExpositionLabels {
        var copy = self
        for (name, value) in pairs { copy.append(name, value) }
        return copy
    }

    private mutating func append(_ name: String, _ value: String) {
        if !rendered.isEmpty { rendered.append(UInt8(ascii: ",")) }
        rendered.append(contentsOf: name.utf8)
        rendered.append(UInt8(ascii: "="))
        rendered.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): rendered.append(UInt8(ascii: "\\")); rendered.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\""): rendered.append(UInt8(ascii: "\\")); rendered.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\n"): rendered.append(UInt8(ascii: "\\")); rendered.append(UInt8(ascii: "n"))
            default: rendered.append(byte)
            }
        }
        rendered.append(UInt8(ascii: "\""))
    }
}
