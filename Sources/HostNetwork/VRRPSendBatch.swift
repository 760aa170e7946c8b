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
    /// Where each datagram lies in `data`, where it goes and from where, as the C call reads it.
    var items: [swiftvs_send_item] = []
    /// What each datagram was added with, in order.
    public private(set) var destinationAddresses: [IPAddress] = []

    public init() {}

    /// How many datagrams are gathered.
    public var count: Int { items.count }

    public var isEmpty: Bool { items.isEmpty }

    /// Adds one datagram, in the form `VRRPSendSocket.send(_:to:from:)` takes it (IPv4: the
    /// whole datagram with its header; IPv6: the VRRP message, `source` its IPV6_PKTINFO
    /// source). An array, not any collection: a master calls this for every advert from another
    /// module, where a generic parameter left the copy to the standard library's unspecialised
    /// code (its iterator and witness calls), whose pages the idle daemon then kept resident.
    public mutating func append(_ bytes: [UInt8], to destination: IPAddress, from source: IPAddress? = nil) {
        var item = swiftvs_send_item()
        item.offset = UInt32(data.count)
        item.length = UInt32(bytes.count)
        item.needs_scope = destination.needsScope ? 1 : 0
        Self.copy(destination, into: &item.destination)
        if let source {
            Self.copy(source, into: &item.source)
            item.has_source = 1
        }
        data.append(contentsOf: bytes)
        items.append(item)
        destinationAddresses.append(destination)
    }

    /// Empties the batch, keeping its storage for the next one.
    public mutating func removeAll() {
        data.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
        destinationAddresses.removeAll(keepingCapacity: true)
    }

    /// The address's bytes at the start of a 16-byte C array (4 of them for IPv4, the rest 0).
    private static func copy<Field>(_ address: IPAddress, into field: inout Field) {
        withUnsafeMutableBytes(of: &field) { raw in
            precondition(raw.count == 16)
            switch address {
            case let .v4(a, b, c, d):
                raw[0] = a
                raw[1] = b
                raw[2] = c
                raw[3] = d
            case let .v6(bytes):
                for (i, byte) in bytes.enumerated() { raw[i] = byte }
            }
        }
    }
}
