internal import CNetlinkRoute
import NetworkModel

/// Datagrams gathered for one `VRRPSendSocket` and handed to the kernel together
/// (`VRRPSendSocket.send(_:)`: sendmmsg(2), up to 32 per call): a master's adverts that fall due
/// in one pass of its timers then cost one system call, not one each. The storage is kept
/// between batches (`removeAll()` keeps its capacity), so a steady master allocates nothing per
/// advert here.
public struct VRRPSendBatch: Sendable {
    /// The datagrams' bytes, one after the other.
    var data: [UInt8] = []
    var offsets: [UInt32] = []
    var lengths: [UInt32] = []
    /// 16 bytes per datagram (4 used for IPv4).
    var destinations: [UInt8] = []
    /// 1 where the destination needs the interface as its scope (IPv6 link-local and
    /// link-scope multicast).
    var needsScope: [UInt8] = []
    /// 16 bytes per datagram: the IPv6 source (IPV6_PKTINFO) when `hasSource` says so.
    var sources: [UInt8] = []
    var hasSource: [UInt8] = []
    /// What each datagram was added with, in order.
    public private(set) var destinationAddresses: [IPAddress] = []

    public init() {}

    /// How many datagrams are gathered.
    public var count: Int { lengths.count }

    public var isEmpty: Bool { lengths.isEmpty }

    /// Adds one datagram, in the form `VRRPSendSocket.send(_:to:from:)` takes it (IPv4: the
    /// whole datagram with its header; IPv6: the VRRP message, `source` its IPV6_PKTINFO
    /// source).
    public mutating func append(_ bytes: some Collection<UInt8>, to destination: IPAddress, from source: IPAddress? = nil) {
        offsets.append(UInt32(data.count))
        lengths.append(UInt32(bytes.count))
        data.append(contentsOf: bytes)
        Self.append16(destination, to: &destinations)
        needsScope.append(destination.needsScope ? 1 : 0)
        if let source {
            Self.append16(source, to: &sources)
            hasSource.append(1)
        } else {
            sources.append(contentsOf: repeatElement(0, count: 16))
            hasSource.append(0)
        }
        destinationAddresses.append(destination)
    }

    /// Empties the batch, keeping its storage for the next one.
    public mutating func removeAll() {
        data.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        destinations.removeAll(keepingCapacity: true)
        needsScope.removeAll(keepingCapacity: true)
        sources.removeAll(keepingCapacity: true)
        hasSource.removeAll(keepingCapacity: true)
        destinationAddresses.removeAll(keepingCapacity: true)
    }

    private static func append16(_ address: IPAddress, to storage: inout [UInt8]) {
        switch address {
        case let .v4(a, b, c, d):
            storage.append(a)
            storage.append(b)
            storage.append(c)
            storage.append(d)
            storage.append(contentsOf: repeatElement(0, count: 12))
        case let .v6(bytes):
            storage.append(contentsOf: bytes)
        }
    }
}
