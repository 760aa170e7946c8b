#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// Host and service name lookups, the way ipvsadm makes them. Inject one to make
/// renderings and parsing deterministic (tests) or to avoid the system's resolver.
public protocol NameResolver: Sendable {
    /// The host's name for `address` (ipvsadm: `gethostbyaddr`'s `h_name`), nil if none.
    func hostName(for address: IPAddress) -> String?
    /// The service name of `port` (ipvsadm: `getservbyport(port, "tcp"|"udp"|"sctp")`), nil if none.
    func serviceName(port: UInt16, protocol: TransportProtocol) -> String?
    /// The IPv4 address of a host name (ipvsadm: `gethostbyname`, first address, IPv4 only).
    func ipv4Address(forHost name: String) -> IPAddress?
    /// The IPv6 address of a host name written in brackets (`[name]:port`). ipvsadm itself
    /// cannot read these back; swiftvs resolves them with `getaddrinfo(AF_INET6)`.
    func ipv6Address(forHost name: String) -> IPAddress?
    /// The port of a service name (ipvsadm: `getservbyname(name, "tcp"|"udp"|"sctp")`).
    func port(forService name: String, protocol: TransportProtocol) -> UInt16?
}

/// Resolves nothing: every address and port stays numeric, and names in rules are errors.
public struct NumericResolver: NameResolver {
    public init() {}
    public func hostName(for address: IPAddress) -> String? { nil }
    public func serviceName(port: UInt16, protocol: TransportProtocol) -> String? { nil }
    public func ipv4Address(forHost name: String) -> IPAddress? { nil }
    public func ipv6Address(forHost name: String) -> IPAddress? { nil }
    public func port(forService name: String, protocol: TransportProtocol) -> UInt16? { nil }
}

/// The system's resolver through the same libc calls ipvsadm uses (their reentrant
/// `_r` forms), so /etc/hosts, /etc/services and nsswitch.conf apply exactly as for ipvsadm.
public struct SystemResolver: NameResolver {
    public init() {}

    public static func protocolName(_ p: TransportProtocol) -> String {
        switch p {
        case .tcp: return "tcp"
        case .udp: return "udp"
        case .sctp: return "sctp"
        }
    }

    /// Calls a `*_r` function with a buffer that grows while it answers ERANGE.
    private static func withBuffer<R>(_ body: (UnsafeMutablePointer<CChar>, Int) -> (Int32, R?)) -> R? {
        var size = 1024
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let (rc, value) = body(buffer, size)
            if rc == ERANGE { size *= 4; continue }
            return value
        }
        return nil
    }

    public func hostName(for address: IPAddress) -> String? {
        let bytes = address.bytes
        let af = address.family == .inet ? AF_INET : AF_INET6
        return Self.withBuffer { buf, len -> (Int32, String?) in
            var host = hostent()
            var result: UnsafeMutablePointer<hostent>? = nil
            var herr: Int32 = 0
            let rc = bytes.withUnsafeBytes { raw in
                gethostbyaddr_r(raw.baseAddress, socklen_t(bytes.count), af, &host, buf, len, &result, &herr)
            }
            guard rc == 0, let r = result, let name = r.pointee.h_name else { return (rc, nil) }
            return (0, String(cString: name))
        }
    }

    public func serviceName(port: UInt16, protocol p: TransportProtocol) -> String? {
        let proto = Self.protocolName(p)
        return Self.withBuffer { buf, len -> (Int32, String?) in
            var entry = servent()
            var result: UnsafeMutablePointer<servent>? = nil
            let rc = getservbyport_r(Int32(port.bigEndian), proto, &entry, buf, len, &result)
            guard rc == 0, let r = result, let name = r.pointee.s_name else { return (rc, nil) }
            return (0, String(cString: name))
        }
    }

    public func ipv4Address(forHost name: String) -> IPAddress? {
        Self.withBuffer { buf, len -> (Int32, IPAddress?) in
            var host = hostent()
            var result: UnsafeMutablePointer<hostent>? = nil
            var herr: Int32 = 0
            let rc = gethostbyname_r(name, &host, buf, len, &result, &herr)
            guard rc == 0, let r = result, r.pointee.h_addrtype == AF_INET, r.pointee.h_length == 4,
                  let list = r.pointee.h_addr_list, let first = list[0] else { return (rc, nil) }
            let raw = UnsafeRawPointer(first).assumingMemoryBound(to: UInt8.self)
            return (0, IPAddress.v4(raw[0], raw[1], raw[2], raw[3]))
        }
    }

    public func ipv6Address(forHost name: String) -> IPAddress? {
        var hints = addrinfo()
        hints.ai_family = AF_INET6
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        guard getaddrinfo(name, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(list) }
        guard let sa = first.pointee.ai_addr, first.pointee.ai_family == AF_INET6 else { return nil }
        return sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
            var a = p.pointee.sin6_addr
            return withUnsafeBytes(of: &a) { IPAddress(bytes: $0) }
        }
    }

    public func port(forService name: String, protocol p: TransportProtocol) -> UInt16? {
        let proto = Self.protocolName(p)
        return Self.withBuffer { buf, len -> (Int32, UInt16?) in
            var entry = servent()
            var result: UnsafeMutablePointer<servent>? = nil
            let rc = getservbyname_r(name, proto, &entry, buf, len, &result)
            guard rc == 0, let r = result else { return (rc, nil) }
            return (0, UInt16(truncatingIfNeeded: r.pointee.s_port).bigEndian)
        }
    }
}
