/// Identifies a real server within a service.
public struct DestinationKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var address: IPAddress
    /// Host byte order.
    public var port: UInt16

    public init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    public static func < (lhs: DestinationKey, rhs: DestinationKey) -> Bool {
        lhs.address != rhs.address ? lhs.address < rhs.address : lhs.port < rhs.port
    }

    public var description: String {
        address.family == .inet6 ? "[\(address)]:\(port)" : "\(address):\(port)"
    }
}

/// A real server as configured: what `ipvsadm -a` sets.
public struct Destination: Hashable, Sendable {
    public var address: IPAddress
    public var port: UInt16
    public var forwarding: ForwardingMethod
    /// 0...65535; 0 quiesces the server (no new connections).
    public var weight: Int32
    /// Upper connection threshold, 0 = none.
    public var upperThreshold: UInt32
    /// Lower connection threshold, 0 = none.
    public var lowerThreshold: UInt32

    public init(
        address: IPAddress,
        port: UInt16 = 0,
        forwarding: ForwardingMethod = .directRouting,
        weight: Int32 = 1,
        upperThreshold: UInt32 = 0,
        lowerThreshold: UInt32 = 0
    ) {
        self.address = address
        self.port = port
        self.forwarding = forwarding
        self.weight = weight
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
    }

    public var key: DestinationKey { DestinationKey(address: address, port: port) }
}
