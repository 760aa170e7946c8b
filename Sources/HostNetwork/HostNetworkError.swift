#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// Everything that can go wrong on the host network: what was attempted, on what, which
/// step failed, and why, with the kernel's errno (and its extended-ack text when it gave one).
///
/// `description` reads like keepalived's and ip(8)'s messages:
/// `add address 198.51.100.39/24 to eth0: File exists`.
public struct HostNetworkError: DescribedFailure, Sendable, Hashable {
    /// The class of failure, stable for callers to switch on (the codes: below).
    public typealias Code = ErrorCode<HostNetworkError>

    /// What was being done, in the words the description starts with.
    public struct Operation: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ text: String) { description = text }

        public static let addAddress = Operation("add address")
        public static let deleteAddress = Operation("delete address")
        public static let listAddresses = Operation("list addresses")
        public static let listInterfaces = Operation("list interfaces")
        public static let findInterface = Operation("find interface")
        public static let openRouteSocket = Operation("open rtnetlink socket")
        public static let openEventSocket = Operation("open rtnetlink event socket")
        public static let receiveEvents = Operation("receive rtnetlink events")
        public static let openVRRPSendSocket = Operation("open VRRP send socket")
        public static let openVRRPReceiveSocket = Operation("open VRRP receive socket")
        public static let sendVRRP = Operation("send VRRP advertisement")
        public static let receiveVRRP = Operation("receive VRRP advertisements")
        public static let openARPSocket = Operation("open gratuitous ARP socket")
        public static let sendGratuitousARP = Operation("send gratuitous ARP")
        public static let openNDSocket = Operation("open neighbour advertisement socket")
        public static let sendNeighborAdvertisement = Operation("send unsolicited neighbour advertisement")
        public static let enterNamespace = Operation("enter network namespace")
    }

    // A record of what failed: its parts do not change afterwards.
    public let code: Code
    /// The errno the kernel (or a system call) returned; nil when nothing was sent.
    public let errno: Errno?
    public let operation: Operation
    /// What it was done to, as the description shows it: `198.51.100.39/24 to eth0`, `eth0`.
    public let object: String
    /// The step that failed when the operation has several (`setsockopt IP_HDRINCL`), or nil.
    public let step: String?
    /// The kernel's extended-ack message, when it sent one.
    public let kernelMessage: String?

    public init(code: Code, errno: Errno? = nil, operation: Operation, object: String,
                step: String? = nil, kernelMessage: String? = nil) {
        self.code = code
        self.errno = errno
        self.operation = operation
        self.object = object
        self.step = step
        self.kernelMessage = kernelMessage
    }

    /// `OPERATION OBJECT` in `OPERATION OBJECT[: STEP]: REASON` (`add address 198.51.100.39/24
    /// to eth0: File exists`).
    public var failureSubject: String { object.isEmpty ? operation.description : "\(operation) \(object)" }

    public var failureStep: String? { step }

    /// strerror(errno) as ip(8) and keepalived print it, or the kernel's message when there is
    /// no errno. `detailedDescription` adds the kernel's extended-ack text too.
    public var failureReason: String { errno?.description ?? kernelMessage ?? "" }

    /// `description` followed by the kernel's extended-ack message in parentheses when it
    /// sent one: `add address 198.51.100.39/24 to eth0: File exists (ipv4: Address already assigned)`.
    public var detailedDescription: String {
        guard errno != nil, let kernelMessage, !kernelMessage.isEmpty else { return description }
        return "\(description) (\(kernelMessage))"
    }

    /// An error from a failed system call, classified by its errno.
    static func system(_ errno: Errno, _ operation: Operation, _ object: String,
                       step: String? = nil, kernelMessage: String? = nil) -> HostNetworkError {
        HostNetworkError(code: classify(errno, operation), errno: errno, operation: operation,
                         object: object, step: step, kernelMessage: kernelMessage)
    }

    /// The code a given errno means for an operation.
    static func classify(_ errno: Errno, _ operation: Operation) -> Code {
        switch errno.rawValue {
        case EEXIST where operation == .addAddress: return .addressExists
        case EADDRNOTAVAIL where operation == .deleteAddress: return .addressNotPresent
        case ENODEV, ENXIO: return .noSuchInterface
        case EPERM, EACCES: return .permissionDenied
        case EINVAL, EAFNOSUPPORT, EOPNOTSUPP, EADDRNOTAVAIL, ERANGE: return .invalidArgument
        default: return .system
        }
    }
}

/// The classes of `HostNetworkError`.
extension ErrorCode where Domain == HostNetworkError {
    /// Adding an address that the interface already has (EEXIST).
    public static var addressExists: Self { Self(#function) }
    /// Deleting an address that the interface does not have (EADDRNOTAVAIL).
    public static var addressNotPresent: Self { Self(#function) }
    /// No interface by that name or index (ENODEV, or absent from the link dump).
    public static var noSuchInterface: Self { Self(#function) }
    /// A netlink reply or notification could not be decoded.
    public static var malformedMessage: Self { Self(#function) }
}
