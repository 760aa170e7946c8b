#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// IPv4 or IPv6: which of iptables/ip6tables, `ip`/`ip6` in nft.
public enum MarkFamily: String, Sendable, Hashable, CaseIterable, Comparable {
    case ipv4, ipv6

    /// Address length in bits.
    public var bitCount: Int { self == .ipv4 ? 32 : 128 }

    public static func < (lhs: MarkFamily, rhs: MarkFamily) -> Bool { lhs == .ipv4 && rhs == .ipv6 }

    var displayName: String { self == .ipv4 ? "IPv4" : "IPv6" }
}

/// A destination network: an address and a prefix length, host bits cleared
/// (`192.0.2.7/24` is stored, listed and saved as `192.0.2.0/24`, as iptables does).
public struct MarkNetwork: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let family: MarkFamily
    /// Network-order bytes: 4 for IPv4, 16 for IPv6, host bits zero.
    public let bytes: [UInt8]
    /// 1…32 for IPv4, 1…128 for IPv6.
    public let prefixLength: Int

    /// Builds a network from address bytes (4 or 16) and a prefix; host bits are cleared.
    public init(bytes: [UInt8], prefixLength: Int) throws(MarkError) {
        let family: MarkFamily
        switch bytes.count {
        case 4: family = .ipv4
        case 16: family = .ipv6
        default:
            throw .invalid("an address has 4 (IPv4) or 16 (IPv6) bytes, not \(bytes.count)")
        }
        guard prefixLength >= 1, prefixLength <= family.bitCount else {
            throw Self.prefixError(prefixLength: String(prefixLength), family: family, address: nil)
        }
        self.family = family
        self.prefixLength = prefixLength
        self.bytes = Self.masked(bytes, prefixLength)
    }

    /// Parses `ADDR` or `ADDR/PREFIX` (dotted-quad IPv4 or RFC 4291 IPv6, no brackets,
    /// no zone). A missing prefix means a single host (/32 or /128).
    public init(_ text: some StringProtocol) throws(MarkError) {
        let s = String(text)
        guard !s.isEmpty else {
            throw .invalid("-d: the destination is empty", hint: "give an address like 192.0.2.100 or 2001:db8::100[/PREFIX]")
        }
        let parts = s.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let addressText = String(parts[0])
        guard let (family, raw) = Self.parseAddress(addressText) else {
            var hint = "give an IPv4 address (192.0.2.100) or an IPv6 address (2001:db8::100), optionally with /PREFIX"
            if addressText.hasPrefix("[") { hint = "write IPv6 addresses without brackets" }
            if addressText.contains("%") { hint = "zone indexes (%eth0) are not allowed in a destination" }
            throw .invalid("-d \(s): '\(addressText)' is not an IPv4 or IPv6 address", hint: hint)
        }
        var prefix = family.bitCount
        if parts.count == 2 {
            let p = parts[1]
            guard !p.isEmpty, p.count <= 9, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = Int(p) else {
                throw .invalid("-d \(s): the prefix '/\(p)' is not a number",
                               hint: "write the prefix as a length, 1 to \(family.bitCount) for \(family.displayName) (e.g. /\(family.bitCount))")
            }
            guard n >= 1, n <= family.bitCount else {
                throw Self.prefixError(prefixLength: String(p), family: family, address: s)
            }
            prefix = n
        }
        self.family = family
        self.prefixLength = prefix
        self.bytes = Self.masked(raw, prefix)
    }

    private static func prefixError(prefixLength p: String, family: MarkFamily, address: String?) -> MarkError {
        let n = Int(p) ?? 0
        let where_ = address.map { "-d \($0): " } ?? ""
        if n == 0 {
            return .invalid("\(where_)prefix /0 would mark every \(family.displayName) packet",
                            hint: "give the VIP's own address or network, prefix 1 to \(family.bitCount)")
        }
        if family == .ipv4 && n <= 128 {
            return .invalid("\(where_)prefix /\(p) is too long for an IPv4 address (at most /32)",
                            hint: "IPv6 prefixes go with IPv6 addresses; for one IPv4 host use /32")
        }
        return .invalid("\(where_)prefix /\(p) is too long for an \(family.displayName) address (at most /\(family.bitCount))",
                        hint: "for one host use /\(family.bitCount)")
    }

    static func parseAddress(_ s: String) -> (MarkFamily, [UInt8])? {
        if s.isEmpty || s.utf8.count > 45 { return nil }
        if s.contains(":") {
            var storage = in6_addr()
            guard inet_pton(AF_INET6, s, &storage) == 1 else { return nil }
            return (.ipv6, withUnsafeBytes(of: storage) { Array($0) })
        }
        // Dotted quad only: four decimal parts (inet_pton's rule), no shorthand forms.
        var storage = in_addr()
        guard inet_pton(AF_INET, s, &storage) == 1 else { return nil }
        return (.ipv4, withUnsafeBytes(of: storage) { Array($0) })
    }

    static func masked(_ bytes: [UInt8], _ prefix: Int) -> [UInt8] {
        var out = bytes
        for i in 0..<out.count {
            let bitsHere = max(0, min(8, prefix - i * 8))
            let mask: UInt8 = bitsHere == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
            out[i] &= mask
        }
        return out
    }

    /// Whether the prefix covers the whole address (a single host).
    public var isHost: Bool { prefixLength == family.bitCount }

    /// The address as inet_ntop writes it (what iptables and nft print).
    public var address: String {
        switch family {
        case .ipv4:
            return "\(bytes[0]).\(bytes[1]).\(bytes[2]).\(bytes[3])"
        case .ipv6:
            var storage = in6_addr()
            withUnsafeMutableBytes(of: &storage) { raw in
                for i in 0..<16 { raw[i] = bytes[i] }
            }
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            return buffer.withUnsafeMutableBufferPointer { out -> String in
                guard inet_ntop(AF_INET6, &storage, out.baseAddress, socklen_t(out.count)) != nil else {
                    return "::"  // unreachable for 16 bytes
                }
                return String(cString: out.baseAddress!)
            }
        }
    }

    /// `ADDR/PREFIX`, always with the prefix (as `iptables -S` prints it).
    public var description: String { "\(address)/\(prefixLength)" }

    public static func < (lhs: MarkNetwork, rhs: MarkNetwork) -> Bool {
        if lhs.family != rhs.family { return lhs.family < rhs.family }
        if lhs.bytes != rhs.bytes { return lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }
        return lhs.prefixLength < rhs.prefixLength
    }
}
