/// Why bytes could not be read as an IPv4 header or a VRRP packet at all (before any
/// protocol rule is applied: those are ``Rejection``s).
public enum VRRPWireError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bytes end before `field`: `needed` bytes were required, `available` were there.
    case truncated(field: String, needed: Int, available: Int)
    /// The IPv4 header's version nibble is not 4.
    case notIPv4(version: UInt8)
    /// The IPv4 header length (IHL) is below 5 words or beyond the bytes received.
    case badIPHeaderLength(ihl: UInt8, available: Int)
    /// The VRRP version nibble is neither 2 nor 3.
    case unsupportedVersion(UInt8)
    /// VRRPv2 carried over IPv6 (keepalived and RFC 5798 only know v3 there).
    case version2OverIPv6

    public var description: String {
        switch self {
        case let .truncated(field, needed, available):
            return "packet truncated at \(field): needs \(needed) bytes, has \(available)"
        case let .notIPv4(version):
            return "IP version \(version) where 4 was expected"
        case let .badIPHeaderLength(ihl, available):
            return "IPv4 header length \(Int(ihl) * 4) invalid for \(available) bytes"
        case let .unsupportedVersion(v):
            return "VRRP version \(v) not supported"
        case .version2OverIPv6:
            return "VRRPv2 over IPv6"
        }
    }
}
