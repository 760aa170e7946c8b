/// A 48-bit Ethernet hardware address, in wire order.
public struct MACAddress: Sendable, Hashable, CustomStringConvertible {
    public var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    public init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8, _ b4: UInt8, _ b5: UInt8) {
        bytes = (b0, b1, b2, b3, b4, b5)
    }

    /// From exactly six bytes; nil otherwise (an interface without one, e.g. a tunnel).
    public init?(bytes: some Collection<UInt8>) {
        let b = Array(bytes)
        guard b.count == 6 else { return nil }
        self.init(b[0], b[1], b[2], b[3], b[4], b[5])
    }

    /// ff:ff:ff:ff:ff:ff
    public static let broadcast = MACAddress(0xff, 0xff, 0xff, 0xff, 0xff, 0xff)

    /// The six bytes as an array.
    public var array: [UInt8] { [bytes.0, bytes.1, bytes.2, bytes.3, bytes.4, bytes.5] }

    /// `aa:bb:cc:dd:ee:ff`, as ip(8) prints it.
    public var description: String {
        array.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: ":")
    }

    public static func == (a: MACAddress, b: MACAddress) -> Bool { a.array == b.array }
    public func hash(into hasher: inout Hasher) { hasher.combine(array) }
}
