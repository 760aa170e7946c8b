#if canImport(Glibc)
import Glibc
#endif
import HostNetwork

/// Why the VRRP half could not start: the instance, and what the system said.
public struct VRRPEngineError: Error, Sendable, CustomStringConvertible {
    /// The `vrrp_instance` (nil: the engine's own netlink sockets).
    public var instance: String?
    public var underlying: HostNetworkError

    public init(instance: String?, underlying: HostNetworkError) {
        self.instance = instance
        self.underlying = underlying
    }

    public var description: String {
        (instance.map { "vrrp_instance \($0): " } ?? "vrrp: ") + underlying.description
    }

    /// What an admin can do about it.
    public var hint: String? {
        switch underlying.errno?.rawValue {
        case EPERM?, EACCES?: return "VRRP needs CAP_NET_RAW and CAP_NET_ADMIN (run as root)"
        case EADDRNOTAVAIL?: return "unicast_src_ip must be an address of the instance's interface"
        case ENODEV?: return "check the instance's 'interface' (ip link)"
        default: return underlying.code == .noSuchInterface ? "check the instance's 'interface' (ip link)" : nil
        }
    }
}
