/// The kernel's connection-synchronisation daemon.
public struct SyncDaemon: Hashable, Sendable {
    public enum Role: UInt32, Hashable, Sendable, CustomStringConvertible {
        case master = 1   // IP_VS_STATE_MASTER
        case backup = 2   // IP_VS_STATE_BACKUP
        public var description: String { self == .master ? "master" : "backup" }
    }
    public var role: Role
    public var interface: String
    public var syncID: UInt32
    /// UDP payload size; nil lets the kernel choose.
    public var maxLength: UInt16?
    /// Multicast group (IPv4 or IPv6); nil for the default 224.0.0.81.
    public var group: IPAddress?
    /// Multicast port; nil for the default 8848.
    public var port: UInt16?
    /// Multicast TTL; nil for the default 1.
    public var ttl: UInt8?

    public init(role: Role, interface: String, syncID: UInt32 = 0, maxLength: UInt16? = nil,
                group: IPAddress? = nil, port: UInt16? = nil, ttl: UInt8? = nil) {
        self.role = role
        self.interface = interface
        self.syncID = syncID
        self.maxLength = maxLength
        self.group = group
        self.port = port
        self.ttl = ttl
    }
}
