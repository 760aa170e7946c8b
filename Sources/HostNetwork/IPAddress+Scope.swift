import NetworkModel

extension IPAddress {
    /// IPv6 link-local unicast (fe80::/10) or link-scope multicast (ff02::/16): addresses
    /// that need the interface as their scope id.
    var needsScope: Bool {
        guard case let .v6(b) = self else { return false }
        return (b[0] == 0xfe && b[1] & 0xc0 == 0x80) || (b[0] == 0xff && b[1] & 0x0f == 0x02)
    }

    var isMulticast: Bool {
        switch self {
        case let .v4(a, _, _, _): return a & 0xf0 == 0xe0
        case let .v6(b): return b[0] == 0xff
        }
    }
}
