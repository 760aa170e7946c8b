/// Service flags a user can set. The kernel's HASHED flag is internal and never appears here.
public struct ServiceFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let persistent = ServiceFlags(rawValue: 0x0001)
    public static let onePacket = ServiceFlags(rawValue: 0x0004)
    public static let schedulerFlag1 = ServiceFlags(rawValue: 0x0008)
    public static let schedulerFlag2 = ServiceFlags(rawValue: 0x0010)
    public static let schedulerFlag3 = ServiceFlags(rawValue: 0x0020)

    /// Source-hash scheduler: fall back to another server when the chosen one is unavailable.
    public static let shFallback = schedulerFlag1
    /// Source-hash scheduler: hash the source port too.
    public static let shPort = schedulerFlag2
    /// Maglev-hash scheduler: fall back to another server when the chosen one is unavailable.
    public static let mhFallback = schedulerFlag1
    /// Maglev-hash scheduler: hash the source port too.
    public static let mhPort = schedulerFlag2

    /// The flags the kernel accepts from user space (everything but HASHED).
    public static let settable: ServiceFlags = [.persistent, .onePacket, .schedulerFlag1, .schedulerFlag2, .schedulerFlag3]
}
