/// A destination network: an address and a prefix length, host bits cleared
/// (`192.0.2.7/24` is stored, listed and saved as `192.0.2.0/24`, as iptables does).
public struct MarkNetwork: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The network's address, host bits zero.
    public let address: IPAddress
    /// 1…32 for IPv4, 1…128 for IPv6.
    public let prefixLength: Int

    /// IPv4 or IPv6: which of iptables/ip6tables, `ip`/`ip6` in nft.
    public var family: AddressFamily { address.family }

    /// Builds a network from an address and a prefix; host bits are cleared.
    public init(address: IPAddress, prefixLength: Int) throws(MarkError) {
        guard prefixLength >= 1, prefixLength <= address.family.bitCount else {
            throw Self.prefixError(prefixLength: String(prefixLength), family: address.family, address: nil)
        }
        self.prefixLength = prefixLength
        self.address = Self.masked(address, prefixLength)
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
        guard let address = Self.parseAddress(addressText) else {
            var hint = "give an IPv4 address (192.0.2.100) or an IPv6 address (2001:db8::100), optionally with /PREFIX"
            if addressText.hasPrefix("[") { hint = "write IPv6 addresses without brackets" }
            if addressText.contains("%") { hint = "zone indexes (%eth0) are not allowed in a destination" }
            throw .invalid("-d \(s): '\(addressText)' is not an IPv4 or IPv6 address", hint: hint)
        }
        let family = address.family
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
        self.prefixLength = prefix
        self.address = Self.masked(address, prefix)
    }

    private static func prefixError(prefixLength p: String, family: AddressFamily, address: String?) -> MarkError {
        let n = Int(p) ?? 0
        let where_ = address.map { "-d \($0): " } ?? ""
        if n == 0 {
            return .invalid("\(where_)prefix /0 would mark every \(family.displayName) packet",
                            hint: "give the VIP's own address or network, prefix 1 to \(family.bitCount)")
        }
        if family == .inet && n <= 128 {
            return .invalid("\(where_)prefix /\(p) is too long for an IPv4 address (at most /32)",
                            hint: "IPv6 prefixes go with IPv6 addresses; for one IPv4 host use /32")
        }
        return .invalid("\(where_)prefix /\(p) is too long for an \(family.displayName) address (at most /\(family.bitCount))",
                        hint: "for one host use /\(family.bitCount)")
    }

    /// Dotted-quad IPv4 (four decimal parts, inet_pton's rule, no shorthand forms) or RFC 4291
    /// IPv6 text, no brackets, no zone.
    static func parseAddress(_ s: String) -> IPAddress? {
        if s.isEmpty || s.utf8.count > 45 { return nil }
        return IPAddress(s)
    }

    /// `address` with the bits past `prefix` cleared.
    static func masked(_ address: IPAddress, _ prefix: Int) -> IPAddress {
        var out = address.bytes
        for i in 0..<out.count {
            let bitsHere = max(0, min(8, prefix - i * 8))
            let mask: UInt8 = bitsHere == 8 ? 0xff : UInt8(truncatingIfNeeded: 0xff << (8 - bitsHere))
            out[i] &= mask
        }
        return IPAddress(bytes: out)!
    }

    /// Whether the prefix covers the whole address (a single host).
    public var isHost: Bool { prefixLength == family.bitCount }

    /// `ADDR/PREFIX`, always with the prefix, the address as inet_ntop writes it (as `iptables -S`
    /// and nft print them).
    public var description: String { "\(address)/\(prefixLength)" }

    /// IPv4 before IPv6, then by address bytes, then by prefix length.
    public static func < (lhs: MarkNetwork, rhs: MarkNetwork) -> Bool {
        if lhs.address != rhs.address { return lhs.address < rhs.address }
        return lhs.prefixLength < rhs.prefixLength
    }
}
