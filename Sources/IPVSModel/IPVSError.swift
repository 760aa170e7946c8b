import SystemErrors

/// Everything that can go wrong talking to IPVS: what was attempted, on what, and why,
/// with the kernel's errno when the kernel said no.
public struct IPVSError: DescribedFailure, Sendable, Hashable {
    /// The class of failure, stable for callers to switch on (the codes: below).
    public typealias Code = ErrorCode<IPVSError>

    /// What was being done.
    public enum Operation: String, Sendable, Hashable {
        case open, getInfo, getTimeouts, setTimeouts
        case listDaemons, startDaemon, stopDaemon
        case listServices, getService, addService, editService, deleteService
        case listDestinations, addDestination, editDestination, deleteDestination
        case zero, flush
        case listConnections
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

    // A record of what failed: its parts do not change afterwards.
    public let code: Code
    /// The errno the kernel (or a system call) returned; nil when nothing was sent.
    public let errno: Errno?
    public let operation: Operation
    public let object: Object?
    /// The precise reason, in words.
    public let reason: String

    public init(code: Code, errno: Errno? = nil, operation: Operation, object: Object? = nil, reason: String) {
        self.code = code
        self.errno = errno
        self.operation = operation
        self.object = object
        self.reason = reason
    }

    /// "add service TCP 192.0.2.1:80" in "add service TCP 192.0.2.1:80: Service already exists".
    public var failureSubject: String {
        guard let object else { return Self.verb(operation) }
        return "\(Self.verb(operation)) \(object)"
    }

    public var failureReason: String { reason }

    package static func verb(_ op: Operation) -> String {
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
        case .listConnections: return "list connections"
        }
    }
}

/// The classes of `IPVSError`.
extension ErrorCode where Domain == IPVSError {
    public static var serviceExists: Self { Self(#function) }
    public static var noSuchService: Self { Self(#function) }
    public static var destinationExists: Self { Self(#function) }
    public static var noSuchDestination: Self { Self(#function) }
    public static var schedulerNotFound: Self { Self(#function) }
    public static var persistenceEngineNotFound: Self { Self(#function) }
    public static var daemonRunning: Self { Self(#function) }
    public static var noDaemon: Self { Self(#function) }
    public static var noMemory: Self { Self(#function) }
    public static var ipvsUnavailable: Self { Self(#function) }
    /// A namespace could not be entered or a socket not set up.
    public static var setupFailed: Self { Self(#function) }
    /// The kernel's reply could not be decoded.
    public static var malformedReply: Self { Self(#function) }
    /// The kernel did not answer a request within the socket's receive timeout (it sends no
    /// acknowledgement for a request whose handler was interrupted).
    public static var noAnswer: Self { Self(#function) }
    /// Every read of a dump may have been torn: the table changed between the parts the
    /// kernel answered it in (an entry listed twice, or reads that disagree).
    public static var tornDump: Self { Self(#function) }
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
