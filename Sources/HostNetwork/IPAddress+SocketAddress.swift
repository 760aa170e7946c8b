import NetworkModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension IPAddress {
    /// Calls `body` with this address as a sockaddr_in / sockaddr_in6 (port 0; `scope` as the
    /// IPv6 scope id, needed for link-local addresses).
    func withSocketAddress<R>(scope: UInt32 = 0, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .v4:
            var a = sockaddr_in()
            a.sin_family = sa_family_t(AF_INET)
            withUnsafeMutableBytes(of: &a.sin_addr) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6:
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &a.sin6_addr) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
            return withUnsafePointer(to: &a) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

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
