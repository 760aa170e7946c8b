#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Address family of a service, destination or network, with the kernel's numeric values.
/// IPv4 sorts before IPv6.
public enum AddressFamily: UInt16, Sendable, Hashable, CaseIterable, Comparable {
    case inet = 2     // AF_INET
    case inet6 = 10   // AF_INET6

    /// Address length in bits: 32 or 128.
    public var bitCount: Int { self == .inet ? 32 : 128 }

    /// `IPv4` or `IPv6`, for messages.
    public var displayName: String { self == .inet ? "IPv4" : "IPv6" }

    /// `ipv4` or `ipv6`, for machine-readable output (JSON, nft's `nfproto`).
    public var name: String { self == .inet ? "ipv4" : "ipv6" }

    public static func < (lhs: AddressFamily, rhs: AddressFamily) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The 16 bytes of an IPv6 address in network order, stored inline: no heap array, so
/// addresses, and the keys and destinations holding them, copy without reference counting
/// (a big table copies them hundreds of thousands of times).
public struct IPv6Bytes: Sendable, Hashable, RandomAccessCollection, MutableCollection {
    // Bytes 0..<8 and 8..<16 as they lie in memory (not numbers: only compared for equality).
    private var head: UInt64 = 0
    private var tail: UInt64 = 0

    /// ::
    public init() {}

    /// From exactly 16 bytes in memory, in network order.
    public init(copying raw: UnsafeRawBufferPointer) {
        precondition(raw.count == 16, "an IPv6 address has 16 bytes, not \(raw.count)")
        withUnsafeMutableBytes(of: &self) { $0.copyMemory(from: raw) }
    }

    /// From exactly 16 bytes in network order.
    public init(_ bytes: some Collection<UInt8>) {
        precondition(bytes.count == 16, "an IPv6 address has 16 bytes, not \(bytes.count)")
        if let copied = bytes.withContiguousStorageIfAvailable({ IPv6Bytes(copying: UnsafeRawBufferPointer($0)) }) {
            self = copied
            return
        }
        withUnsafeMutableBytes(of: &self) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { 16 }

    public subscript(i: Int) -> UInt8 {
        get {
            precondition(i >= 0 && i < 16, "IPv6 byte index \(i) out of range")
            return withUnsafeBytes(of: self) { $0[i] }
        }
        set {
            precondition(i >= 0 && i < 16, "IPv6 byte index \(i) out of range")
            withUnsafeMutableBytes(of: &self) { $0[i] = newValue }
        }
    }
}

/// An IPv4 or IPv6 address, stored in network byte order.
public enum IPAddress: Sendable, Hashable, Comparable {
    case v4(UInt8, UInt8, UInt8, UInt8)
    case v6(bytes: IPv6Bytes)

    public var family: AddressFamily {
        switch self {
        case .v4: return .inet
        case .v6: return .inet6
        }
    }

    /// The address bytes in network order: 4 for IPv4, 16 for IPv6.
    public var bytes: [UInt8] {
        switch self {
        case let .v4(a, b, c, d): return [a, b, c, d]
        case let .v6(bytes): return Array(bytes)
        }
    }

    /// Builds an address from network-order bytes (4 or 16 of them).
    @inlinable
    public init?(bytes: some Collection<UInt8>) {
        // From the storage when there is one (no array, no iterator: this runs per advert).
        // Inlinable: the VRRP decoder calls it per advert from another module, where the
        // unspecialised generic went through the standard library's witnesses.
        if let made = bytes.withContiguousStorageIfAvailable({ IPAddress(contiguous: UnsafeRawBufferPointer($0)) }) {
            guard let made else { return nil }
            self = made
            return
        }
        let b = Array(bytes)
        switch b.count {
        case 4: self = .v4(b[0], b[1], b[2], b[3])
        case 16: self = .v6(bytes: IPv6Bytes(b))
        default: return nil
        }
    }

    /// From 4 or 16 network-order bytes in memory; nil for any other count.
    public init?(contiguous b: UnsafeRawBufferPointer) {
        switch b.count {
        case 4: self = .v4(b[0], b[1], b[2], b[3])
        case 16: self = .v6(bytes: IPv6Bytes(copying: b))
        default: return nil
        }
    }

    /// Parses dotted-quad IPv4 or any RFC 4291 IPv6 text form (no brackets, no zone).
    public init?(_ text: some StringProtocol) {
        let s = String(text)
        if s.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, s, &storage) == 1 else { return nil }
            self = .v6(bytes: withUnsafeBytes(of: storage) { IPv6Bytes(copying: $0) })
        } else {
            var storage = in_addr()
            guard inet_pton(AF_INET, s, &storage) == 1 else { return nil }
            let b = withUnsafeBytes(of: storage) { Array($0) }
            self = .v4(b[0], b[1], b[2], b[3])
        }
    }

    /// The zero address of a family (0.0.0.0 or ::).
    public static func any(_ family: AddressFamily) -> IPAddress {
        switch family {
        case .inet: return .v4(0, 0, 0, 0)
        case .inet6: return .v6(bytes: IPv6Bytes())
        }
    }

    public var isZero: Bool {
        switch self {
        case let .v4(a, b, c, d): return a | b | c | d == 0
        case let .v6(bytes): return bytes == IPv6Bytes()
        }
    }

    /// IPv4 before IPv6, then by address bytes (no temporary arrays: tables sort thousands).
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case let (.v4(a0, a1, a2, a3), .v4(b0, b1, b2, b3)):
            return (a0, a1, a2, a3) < (b0, b1, b2, b3)
        case let (.v6(a), .v6(b)):
            return a.lexicographicallyPrecedes(b)
        default:
            return lhs.family.rawValue < rhs.family.rawValue
        }
    }
}

extension IPAddress: CustomStringConvertible {
    /// Text as inet_ntop writes it (what ipvsadm prints).
    public var description: String {
        switch self {
        case let .v4(a, b, c, d):
            return "\(a).\(b).\(c).\(d)"
        case let .v6(bytes):
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in
                for i in 0..<16 { raw[i] = bytes[i] }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            return buffer.withUnsafeMutableBufferPointer { out -> String in
                guard inet_ntop(AF_INET6, &storage, out.baseAddress, socklen_t(out.count)) != nil else {
                    return bytes.map { String($0, radix: 16) }.joined(separator: ":")
                }
                return String(cString: out.baseAddress!)
            }
        }
    }
}
