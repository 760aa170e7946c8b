#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import NetworkModel

/// Owns one file descriptor and closes it exactly once, in `deinit` (swift-system's
/// FileDescriptor style, as a move-only owner). Every socket type of this module holds one.
struct OwnedDescriptor: ~Copyable, Sendable {
    let rawValue: Int32

    init(_ rawValue: Int32) {
        precondition(rawValue >= 0, "OwnedDescriptor needs an open descriptor, not \(rawValue)")
        self.rawValue = rawValue
    }

    deinit {
        _ = close(rawValue)
    }

    /// Sets an integer socket option; throws with the option's name as the failed step.
    func setOption(_ level: Int32, _ name: Int32, _ value: Int32, _ label: String,
                   _ operation: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) {
        var v = value
        if setsockopt(rawValue, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            throw .system(.current, operation, object, step: "setsockopt \(label)")
        }
    }

    /// Sets a socket option from any plain value.
    func setOption<T>(_ level: Int32, _ name: Int32, value: T, _ label: String,
                      _ operation: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) {
        let rc = withUnsafeBytes(of: value) { raw in
            setsockopt(rawValue, level, name, raw.baseAddress, socklen_t(raw.count))
        }
        if rc != 0 {
            throw .system(.current, operation, object, step: "setsockopt \(label)")
        }
    }

    /// SO_BINDTODEVICE: the socket sends and receives on this interface only.
    func bind(toDevice name: String, _ operation: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) {
        let rc = name.withCString { p in
            setsockopt(rawValue, SOL_SOCKET, SO_BINDTODEVICE, p, socklen_t(strlen(p) + 1))
        }
        if rc != 0 { throw .system(.current, operation, object, step: "setsockopt SO_BINDTODEVICE \(name)") }
    }

    /// Opens a socket, non-blocking and close-on-exec.
    static func socket(_ domain: Int32, _ type: Int32, _ proto: Int32, label: String,
                       _ operation: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) -> OwnedDescriptor {
        let fd = Glibc.socket(domain, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), proto)
        if fd < 0 { throw .system(.current, operation, object, step: "socket(\(label))") }
        return OwnedDescriptor(fd)
    }

    /// A raw IPv4 or IPv6 socket for protocol 112 (VRRP), as both VRRP sockets open it.
    static func vrrpSocket(_ family: AddressFamily, _ operation: HostNetworkError.Operation,
                           _ object: String) throws(HostNetworkError) -> OwnedDescriptor {
        try socket(family == .inet ? AF_INET : AF_INET6, Int32(SOCK_RAW.rawValue), 112,
                   label: "\(family == .inet ? "AF_INET" : "AF_INET6"), SOCK_RAW, 112", operation, object)
    }
}
