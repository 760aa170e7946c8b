#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension IPAddress {
    /// The socket domain of the address's family: AF_INET or AF_INET6.
    public var socketDomain: Int32 { family == .inet ? AF_INET : AF_INET6 }

    /// Calls `body` with this address and `port` as a `sockaddr_in` or `sockaddr_in6` and its
    /// length, for bind, connect and sendto. The address bytes and the port in network order;
    /// `scope` is the IPv6 scope id (the interface index a link-local address needs).
    public func withSocketAddress<R>(port: UInt16 = 0, scope: UInt32 = 0,
                                     _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch self {
        case .v4:
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            return fill(&address, at: \.sin_addr, body)
        case .v6:
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_scope_id = scope
            return fill(&address, at: \.sin6_addr, body)
        }
    }

    /// Copies the address bytes into `socketAddress`'s address field and calls `body` with it.
    private func fill<S, Field, R>(_ socketAddress: inout S, at field: WritableKeyPath<S, Field>,
                                _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        let bytes = self.bytes
        withUnsafeMutableBytes(of: &socketAddress[keyPath: field]) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<S>.size)) }
        }
    }
}
