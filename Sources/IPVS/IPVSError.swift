#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything that can go wrong talking to IPVS: what was attempted, on what, and why,
/// with the kernel's errno when the kernel said no.
public struct IPVSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure, stable for callers to switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        public static let serviceExists = Code("serviceExists")
        public static let noSuchService = Code("noSuchService")
        public static let destinationExists = Code("destinationExists")
        public static let noSuchDestination = Code("noSuchDestination")
        public static let schedulerNotFound = Code("schedulerNotFound")
        public static let persistenceEngineNotFound = Code("persistenceEngineNotFound")
        public static let daemonRunning = Code("daemonRunning")
        public static let noDaemon = Code("noDaemon")
        public static let noMemory = Code("noMemory")
        public static let permissionDenied = Code("permissionDenied")
        public static let ipvsUnavailable = Code("ipvsUnavailable")
        /// The kernel refused the values (EINVAL, ERANGE, EAFNOSUPPORT…).
        public static let invalidArgument = Code("invalidArgument")
        /// Rejected before anything was sent.
        public static let invalidValue = Code("invalidValue")
        /// A namespace could not be entered or a socket not set up.
        public static let setupFailed = Code("setupFailed")
        /// The kernel's reply could not be decoded.
        public static let malformedReply = Code("malformedReply")
        /// Any other errno from the kernel or a system call.
        public static let system = Code("system")
    }

    /// What was being done.
    public enum Operation: String, Sendable, Hashable {
        case open, getInfo, getTimeouts, setTimeouts
        case listDaemons, startDaemon, stopDaemon
        case listServices, getService, addService, editService, deleteService
        case listDestinations, addDestination, editDestination, deleteDestination
        case zero, flush
    }

    /// What it was done to.
    public enum Object: Sendable, Hashable, CustomStringConvertible {
        case service(ServiceKey)
        case destination(DestinationKey, in: ServiceKey)
        case daemon(SyncDaemon.Role)
        case namespace(String)

        public var description: String {
            switch self {
            case let .service(k): return "service \(k)"
            case let .destination(d, k): return "destination \(d) of service \(k)"
            case let .daemon(role): return "\(role) sync daemon"
            case let .namespace(name): return "network namespace \(name)"
            }
        }
    }

    public var code: Code
    /// The errno the kernel (or a system call) returned, positive; nil when nothing was sent.
    public var errno: Int32?
    public var operation: Operation
    public var object: Object?
    /// The precise reason, in words.
    public var reason: String

    public init(code: Code, errno: Int32? = nil, operation: Operation, object: Object? = nil, reason: String) {
        self.code = code
        self.errno = errno
        self.operation = operation
        self.object = object
        self.reason = reason
    }

    /// "add service TCP 192.0.2.1:80: Service already exists"
    public var description: String {
        var s = Self.verb(operation)
        if let object { s += " \(object)" }
        return s + ": " + reason
    }

    static func verb(_ op: Operation) -> String {
        switch op {
        case .open: return "open IPVS"
        case .getInfo: return "get IPVS info"
        case .getTimeouts: return "get timeouts"
        case .setTimeouts: return "set timeouts"
        case .listDaemons: return "list sync daemons"
        case .startDaemon: return "start"
        case .stopDaemon: return "stop"
        case .listServices: return "list services"
        case .getService: return "get"
        case .addService: return "add"
        case .editService: return "edit"
        case .deleteService: return "delete"
        case .listDestinations: return "list destinations of"
        case .addDestination: return "add"
        case .editDestination: return "edit"
        case .deleteDestination: return "delete"
        case .zero: return "zero counters of"
        case .flush: return "flush the table"
        }
    }

    static func invalid(_ op: Operation, _ object: Object?, _ reason: String) -> IPVSError {
        IPVSError(code: .invalidValue, operation: op, object: object, reason: reason)
    }

    static func unavailable(_ op: Operation, errno: Int32?, detail: String) -> IPVSError {
        IPVSError(code: .ipvsUnavailable, errno: errno, operation: op,
                  reason: "IPVS is not available (is the ip_vs module loaded?): \(detail)")
    }

    /// Maps a kernel errno for a request to a code and a message at least as precise as
    /// ipvsadm's `ipvs_strerror`, sharpening EINVAL with what the request itself says.
    static func fromKernel(errno e: Int32, request: Request, extAck: String?) -> IPVSError {
        let op = request.operation
        let object = request.object
        func make(_ code: Code, _ reason: String) -> IPVSError {
            var r = reason
            if let extAck, !extAck.isEmpty { r += " (kernel: \(extAck))" }
            return IPVSError(code: code, errno: e, operation: op, object: object, reason: r)
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
            return make(.system, String(cString: strerror(e)))
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
            return "Invalid operation (\(String(cString: strerror(e))))"
        }
    }

    /// Whether the kernel has the scheduler, loaded as a module: tells a missing persistence
    /// engine from a missing scheduler after an ENOENT.
    static func schedulerLoaded(_ name: String) -> Bool {
        access("/sys/module/ip_vs_\(name)", F_OK) == 0
    }
}

extension IPVSError {
    /// What the admin can do about it, when there is something to say.
    public var hint: String? {
        switch code {
        case .ipvsUnavailable:
            return "load the module with 'modprobe ip_vs', or run on a kernel built with CONFIG_IP_VS"
        case .permissionDenied:
            return "run as root, or give the program CAP_NET_ADMIN"
        case .schedulerNotFound:
            return "schedulers: rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh (twos on newer kernels)"
        case .noSuchService:
            return "'swiftvs list -n' shows the services the kernel has"
        case .noSuchDestination:
            return "'swiftvs list -n' shows each service's real servers"
        default:
            return nil
        }
    }
}
