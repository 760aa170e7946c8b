#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVS
import IPVSRules
import SystemErrors

/// Kernel errors as ipvsadm 1.31 words them: libipvs's `ipvs_strerror`, which picks the text
/// by the call that failed and its errno, else strerror's.
extension IPVSError {
    /// The text ipvsadm prints for this error of `action` (nil: a listing).
    func ipvsadmMessage(for action: RuleAction?) -> String {
        guard let e = errno else {
            // Refused before sending, for a value the kernel refuses too: its errno then.
            if case let .change(.addDestination(d, _))? = action ?? nil, d.lowerThreshold > d.upperThreshold {
                return Self.ipvsadmMessage(errno: ERANGE, operation: operation)
            }
            if case let .change(.editDestination(d, _))? = action ?? nil, d.lowerThreshold > d.upperThreshold {
                return Self.ipvsadmMessage(errno: ERANGE, operation: operation)
            }
            return Self.ipvsadmMessage(errno: code == .ipvsUnavailable ? ENOPROTOOPT : EINVAL, operation: operation)
        }
        return Self.ipvsadmMessage(errno: e.rawValue, operation: operation)
    }

    /// `ipvs_strerror(errno)` after the libipvs call that stands for `operation`.
    static func ipvsadmMessage(errno e: Int32, operation: Operation) -> String {
        switch (operation, e) {
        case (.addService, EEXIST): return "Service already exists"
        case (.addService, ENOENT), (.editService, ENOENT): return "Scheduler or persistence engine not found"
        case (.editService, ESRCH), (.deleteService, ESRCH), (.zero, ESRCH): return "No such service"
        case (.addDestination, ESRCH), (.editDestination, ESRCH), (.deleteDestination, ESRCH): return "Service not defined"
        case (.addDestination, EEXIST): return "Destination already exists"
        case (.editDestination, ENOENT), (.deleteDestination, ENOENT): return "No such destination"
        case (.startDaemon, EEXIST): return "Daemon has already run"
        case (.stopDaemon, ESRCH): return "No daemon is running"
        case (.listServices, ESRCH), (.listDestinations, ESRCH), (.getService, ESRCH): return "No such service"
        case (_, EPERM): return "Permission denied (you must be root)"
        case (_, EINVAL): return "Invalid operation.  Possibly wrong module version, address not unicast, ..."
        case (_, ENOPROTOOPT): return "Protocol not available"
        case (_, ENOMEM): return "Memory allocation problem"
        case (_, EOPNOTSUPP): return "Operation not supported with IPv6"
        case (_, EAFNOSUPPORT): return "Operation not supported with specified address family"
        case (_, EMSGSIZE): return "Module is wrong version"
        default: return Errno(rawValue: e).description
        }
    }
}
