#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// How the binding builds its errors: refused values, a missing IPVS, and the kernel's errnos
/// mapped to codes and reasons.
extension IPVSError {
    static func invalid(_ op: Operation, _ object: Object?, _ reason: String) -> IPVSError {
        IPVSError(code: .invalidValue, operation: op, object: object, reason: reason)
    }

    static func unavailable(_ op: Operation, errno: Errno?, detail: String) -> IPVSError {
        IPVSError(code: .ipvsUnavailable, errno: errno, operation: op,
                  reason: "IPVS is not available (is the ip_vs module loaded?): \(detail)")
    }

    /// Maps a kernel errno for a request to a code and a message at least as precise as
    /// ipvsadm's `ipvs_strerror`, sharpening EINVAL with what the request itself says.
    static func fromKernel(errno: Errno, request: Request, extAck: String?) -> IPVSError {
        let e = errno.rawValue
        let op = request.operation
        let object = request.object
        func make(_ code: Code, _ reason: String) -> IPVSError {
            var r = reason
            if let extAck, !extAck.isEmpty { r += " (kernel: \(extAck))" }
            return IPVSError(code: code, errno: errno, operation: op, object: object, reason: r)
        }
        switch (request, e) {
        case (.change(.addService), EEXIST):
            return make(.serviceExists, "Service already exists")
        case (.change(.addService(let s)), ENOENT), (.change(.editService(let s)), ENOENT):
            if let pe = s.persistenceEngine, !pe.isEmpty, Self.schedulerLoaded(s.scheduler) {
                return make(.persistenceEngineNotFound, "Persistence engine not found: ip_vs_pe_\(pe)")
            }
            if let pe = s.persistenceEngine, !pe.isEmpty {
                return make(.schedulerNotFound, "Scheduler or persistence engine not found: ip_vs_\(s.scheduler) / ip_vs_pe_\(pe)")
            }
            return make(.schedulerNotFound, "Scheduler not found: ip_vs_\(s.scheduler)")
        case (.change(.editService), ESRCH), (.change(.deleteService), ESRCH), (.getService, ESRCH),
             (.change(.zero), ESRCH), (.dumpDestinations, ESRCH):
            return make(.noSuchService, "No such service")
        case (.change(.addDestination), ESRCH), (.change(.editDestination), ESRCH), (.change(.deleteDestination), ESRCH):
            return make(.noSuchService, "Service not defined")
        case (.change(.addDestination), EEXIST):
            return make(.destinationExists, "Destination already exists")
        case (.change(.editDestination), ENOENT), (.change(.deleteDestination), ENOENT):
            return make(.noSuchDestination, "No such destination")
        case (.startDaemon, EEXIST):
            return make(.daemonRunning, "Daemon has already run")
        case (.stopDaemon, ESRCH):
            return make(.noDaemon, "No daemon is running")
        case (_, EPERM), (_, EACCES):
            return make(.permissionDenied, "Operation not permitted (needs CAP_NET_ADMIN)")
        case (_, ENOMEM):
            return make(.noMemory, "Memory allocation problem")
        case (_, ENOPROTOOPT):
            return make(.ipvsUnavailable, "IPVS is not available (is the ip_vs module loaded?): Protocol not available")
        case (_, EMSGSIZE):
            return make(.system, "Module is wrong version")
        case (_, EINVAL), (_, ERANGE), (_, EAFNOSUPPORT), (_, EOPNOTSUPP):
            return make(.invalidArgument, invalidReason(errno: e, request: request))
        default:
            return make(.system, errno.description)
        }
    }

    /// The kernel's reasons for refusing values, reconstructed from the checks it makes
    /// (net/netfilter/ipvs/ip_vs_ctl.c) against what was sent.
    static func invalidReason(errno e: Int32, request: Request) -> String {
        switch request {
        case let .change(.addDestination(d, key)), let .change(.editDestination(d, key)):
            if e == ERANGE {
                if d.weight < 0 { return "Invalid weight \(d.weight): must be 0 or more" }
                if d.lowerThreshold > d.upperThreshold, d.upperThreshold != 0 {
                    return "Lower threshold \(d.lowerThreshold) is above upper threshold \(d.upperThreshold)"
                }
                return "Value out of range"
            }
            var isTunnel = false
            if case .tunnel = d.forwarding { isTunnel = true }
            var isMasquerade = false
            if case .masquerade = d.forwarding { isMasquerade = true }
            if d.address.family != key.family, !isTunnel {
                let svc = key.family == .inet ? "IPv4" : "IPv6"
                let dst = d.address.family == .inet ? "IPv4" : "IPv6"
                return "Mixed address families: an \(svc) service takes an \(dst) destination only with tunnelling (-i)"
            }
            if case let .tunnel(t) = d.forwarding, t.kind == .gue, t.port == 0 {
                return "GUE tunnel needs a tunnel port (--tun-port)"
            }
            if !isMasquerade, e == EINVAL {
                return "Invalid operation: address not unicast (the kernel takes only a unicast or local address as a direct-routing or tunnel real server, not a broadcast, multicast or link-local one)"
            }
            if e == EAFNOSUPPORT { return "Operation not supported with specified address family" }
            return "Invalid operation: the kernel refused the destination's values"
        case let .change(.addService(s)), let .change(.editService(s)):
            if s.key.family == .inet6, s.netmask < 1 || s.netmask > 128 {
                return "Invalid IPv6 persistence netmask /\(s.netmask): must be 1 to 128"
            }
            if e == EAFNOSUPPORT || e == EOPNOTSUPP {
                return "Operation not supported with IPv6 (kernel without IPv6 IPVS support?)"
            }
            return "Invalid operation: the kernel refused the service's values"
        case .startDaemon:
            return e == EAFNOSUPPORT
                ? "Operation not supported with specified address family"
                : "Invalid operation: bad daemon parameters (multicast group not multicast, or mixed-family services in the table)"
        default:
            return "Invalid operation (\(Errno(rawValue: e)))"
        }
    }

    /// Whether the kernel has the scheduler, loaded as a module: tells a missing persistence
    /// engine from a missing scheduler after an ENOENT.
    static func schedulerLoaded(_ name: String) -> Bool {
        access("/sys/module/ip_vs_\(name)", F_OK) == 0
    }
}
