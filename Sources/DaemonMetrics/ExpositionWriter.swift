/// The Prometheus text format (version 0.0.4) written straight into one growing byte buffer:
/// what a scrape's state part (the IPVS table, the checkers, VRRP, the process slots) is
/// rendered with.
///
/// Those series are made for one scrape and thrown away. Registering them in a
/// `PrometheusCollectorRegistry` first cost more than writing them: swift-prometheus 2.4.1 copies
/// a family's whole dictionary of label sets at each new label set (`MetricFamily.adding`), so a
/// scrape of n real servers did O(n²) work per family, plus label and help validation per
/// series; at 500 real servers that was seconds of a debug build under emulation. Here a family
/// is its `# HELP` and `# TYPE` lines followed by its samples, each a copy of the series'
/// pre-rendered labels and its value: linear, and no allocation but the buffer's growth.
///
/// The caller writes each family's samples right after its `family` call (the format wants a
/// family's samples together); names and help texts are swiftvs's own constants.
public struct ExpositionWriter: Sendable {
    /// A family's `# TYPE`.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    /// The text so far.
    public private(set) var bytes: [UInt8]

    /// An empty text, with room for `capacity` bytes.
    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends text made elsewhere (swift-prometheus's render of the event series).
    public mutating func append(_ text: [UInt8]) {
        bytes.append(contentsOf: text)
    }

    /// A family's `# HELP NAME TEXT` (backslash escaped) and `# TYPE NAME KIND` lines.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        bytes.append(contentsOf: "# HELP ".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: " "))
        for byte in help.utf8 {
            if byte == UInt8(ascii: "\\") { bytes.append(byte) }
            bytes.append(byte == UInt8(ascii: "\n") ? UInt8(ascii: " ") : byte)
        }
        bytes.append(contentsOf: "\n# TYPE ".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: kind.rawValue.utf8)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `NAME{LABELS} VALUE` with an integer value.
    public mutating func sample(_ name: String, _ labels: ExpositionLabels, _ value: Int64) {
        head(name, labels)
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            digits(value.magnitude)
        } else {
            digits(UInt64(value))
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `NAME{LABELS} VALUE` with an unsigned integer value (the kernel's 64-bit counters,
    /// written whole).
    public mutating func sample(_ name: String, _ labels: ExpositionLabels, _ value: UInt64) {
        head(name, labels)
        digits(value)
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `NAME{LABELS} VALUE` with a floating-point value (Swift's shortest round-trip text).
    public mutating func sample(_ name: String, _ labels: ExpositionLabels, _ value: Double) {
        head(name, labels)
        if value.isFinite {
            bytes.append(contentsOf: value.description.utf8)
        } else {
            bytes.append(contentsOf: (value.isNaN ? "NaN" : value < 0 ? "-Inf" : "+Inf").utf8)
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    /// `1` when true, `0` when false.
    public mutating func sample(_ name: String, _ labels: ExpositionLabels, _ value: Bool) {
        sample(name, labels, Int64(value ? 1 : 0))
    }

    private mutating func head(_ name: String, _ labels: ExpositionLabels) {
        bytes.append(contentsOf: name.utf8)
        if !labels.rendered.isEmpty {
            bytes.append(UInt8(ascii: "{"))
            bytes.append(contentsOf: labels.rendered)
            bytes.append(UInt8(ascii: "}"))
        }
        bytes.append(UInt8(ascii: " "))
    }

    /// The decimal digits of `value`, without a String in between.
    private mutating func digits(_ value: UInt64) {
        if value < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var v = value
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: room for 20 digits
        withUnsafeMutableBytes(of: &tmp) { raw in
            var i = raw.count
            while v > 0 {
                i -= 1
                raw[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            bytes.append(contentsOf: raw[i...])
        }
    }
}
