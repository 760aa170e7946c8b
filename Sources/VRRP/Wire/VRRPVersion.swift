/// VRRP protocol version: 2 (RFC 3768, IPv4 only) or 3 (RFC 5798, IPv4 and IPv6).
public enum VRRPVersion: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case v2 = 2
    case v3 = 3

    public var description: String { "VRRPv\(rawValue)" }
}
