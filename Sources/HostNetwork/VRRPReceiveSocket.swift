internal import CNetlinkRoute
import NetworkModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// The socket VRRP advertisements arrive on for one interface, opened as keepalived 2.2.7's
/// `open_vrrp_read_socket`: raw, IP protocol 112, non-blocking, bound to the interface
/// (SO_BINDTODEVICE), and
/// - multicast: joined to the group (224.0.0.18 / ff02::12 by default) on the interface and
///   bound to the group (IPv4) or to ::1 (IPv6), so unicast VRRP is not delivered to it;
/// - unicast: bound to the local unicast source address (`unicast_src_ip`; an IPv6
///   link-local one with the interface as scope), so only adverts to it arrive.
///
/// IPv4: IP_MULTICAST_ALL 0 and IP_PKTINFO; receives return the IP header too. IPv6:
/// IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT and IPV6_CHECKSUM 6 (the kernel drops a bad checksum).
public struct VRRPReceiveSocket: ~Copyable, Sendable {
    private let descriptor: OwnedDescriptor
    public let family: AddressFamily
    public let interface: NetworkInterface

    /// The largest datagram received whole; longer ones come back with `isTruncated`.
    /// (A VRRP advert with 255 IPv6 addresses is 4088 bytes.)
    public static let maximumDatagramSize = 8192

    /// The VRRP group of a family: 224.0.0.18 or ff02::12.
    public static func defaultGroup(_ family: AddressFamily) -> IPAddress {
        family == .inet ? .v4(224, 0, 0, 18) : IPAddress("ff02::12")!
    }

    /// Opens the socket for `interface` in the caller's network namespace.
    /// - Parameters:
    ///   - unicastSource: the address to bind to for unicast (must be on the interface:
    ///     otherwise `.invalidArgument`, EADDRNOTAVAIL, as keepalived's FAULT "src address not
    ///     configured"); nil for multicast.
    ///   - group: the multicast group to join (default 224.0.0.18 / ff02::12); unicast ignores it.
    public init(family: AddressFamily, interface: NetworkInterface, unicastSource: IPAddress? = nil,
                group: IPAddress? = nil) throws(HostNetworkError) {
        let op = HostNetworkError.Operation.openVRRPReceiveSocket
        let object = "on \(interface.name)"
        let d = try OwnedDescriptor.vrrpSocket(family, op, object)
        if family == .inet {
            try d.setOption(Int32(IPPROTO_IP), IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL 0", op, object)
        }
        if let unicastSource {
            guard unicastSource.family == family else {
                throw HostNetworkError(code: .invalidValue, operation: op, object: object,
                                       step: "unicast source \(unicastSource) is not an \(family == .inet ? "IPv4" : "IPv6") address")
            }
            try Self.bind(d, unicastSource, scope: unicastSource.needsScope ? UInt32(interface.index) : 0, op, object)
        } else {
            let group = group ?? Self.defaultGroup(family)
            try Self.join(d, group, interface, op, object)
            try Self.bind(d, family == .inet ? group : IPAddress("::1")!, scope: 0, op, object)
        }
        if family == .inet {
            try d.setOption(Int32(IPPROTO_IP), IP_PKTINFO, 1, "IP_PKTINFO", op, object)
        } else {
            try d.setOption(Int32(IPPROTO_IPV6), IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT", op, object)
            try d.setOption(Int32(IPPROTO_IPV6), IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO", op, object)
        }
        try d.bind(toDevice: interface.name, op, object)
        if family == .inet6 {
            try d.setOption(Int32(IPPROTO_IPV6), IPV6_CHECKSUM, 6, "IPV6_CHECKSUM 6", op, object)
        }
        descriptor = d
        self.family = family
        self.interface = interface
    }

    /// The socket's descriptor (non-blocking), for the reactor to wait on.
    public var fileDescriptor: Int32 {
        borrowing get { descriptor.rawValue }
    }

    /// Every datagram queued now, up to `limit`, oldest first; empty when none is queued
    /// (never blocks). Call again after a full batch: more may be waiting.
    public func receive(limit: Int = 64) throws(HostNetworkError) -> [VRRPDatagram] {
        var datagrams: [VRRPDatagram] = []
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.maximumDatagramSize)
        defer { buffer.deallocate() }
        try receive(into: buffer, limit: limit) { datagrams.append($0) }
        return datagrams
    }

    /// Reads the datagrams queued now, up to `limit`, into `buffer` one at a time (at least
    /// `maximumDatagramSize` bytes, reused for each) and hands each to `body`, oldest first;
    /// returns how many were read (never blocks). The daemon's receive path: one buffer for the
    /// socket's life, no array of datagrams per read.
    @discardableResult
    public func receive(into buffer: UnsafeMutableBufferPointer<UInt8>, limit: Int = 64,
                        _ body: (VRRPDatagram) -> Void) throws(HostNetworkError) -> Int {
        var info = swiftvs_recv_info()
        let domain = family == .inet ? AF_INET : AF_INET6
        var count = 0
        while count < limit {
            let received = valueOrErrno {
                swiftvs_recv_with_info(descriptor.rawValue, domain, buffer.baseAddress, min(buffer.count, Self.maximumDatagramSize), &info)
            }
            switch received {
            case let .success(n):
                count += 1
                // From a buffer pointer, not a slice of one: the copy is then a memcpy, not the
                // generic element-by-element path (a fifth of a backup's CPU per advert).
                body(datagram(Array(UnsafeBufferPointer(rebasing: buffer[0..<Int(n)])), info))
            case .failure(.resourceTemporarilyUnavailable): return count
            case let .failure(e): throw .system(e, .receiveVRRP, "on \(interface.name)")
            }
        }
        return count
    }

    /// Turns the C receive record into a datagram (addresses per family; the IPv4 TTL from
    /// the header, 0 if the datagram is too short to hold one).
    private func datagram(_ bytes: [UInt8], _ info: swiftvs_recv_info) -> VRRPDatagram {
        let width = family == .inet ? 4 : 16
        let source = withUnsafeBytes(of: info.source) { IPAddress(contiguous: UnsafeRawBufferPointer(rebasing: $0[..<width]))! }
        let destination = withUnsafeBytes(of: info.destination) { IPAddress(contiguous: UnsafeRawBufferPointer(rebasing: $0[..<width]))! }
        let hop: UInt8
        if family == .inet {
            hop = bytes.count > 8 ? bytes[8] : 0
        } else {
            hop = info.hoplimit >= 0 ? UInt8(truncatingIfNeeded: info.hoplimit) : 0
        }
        return VRRPDatagram(bytes: bytes, source: source, destination: destination,
                            interfaceIndex: info.ifindex, hopLimit: hop, isTruncated: info.truncated != 0)
    }

    private static func bind(_ d: borrowing OwnedDescriptor, _ address: IPAddress, scope: UInt32,
                             _ op: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) {
        let rc = address.withSocketAddress(scope: scope) { Glibc.bind(d.rawValue, $0, $1) }
        if rc != 0 { throw .system(.current, op, object, step: "bind \(address)") }
    }

    private static func join(_ d: borrowing OwnedDescriptor, _ group: IPAddress, _ interface: NetworkInterface,
                             _ op: HostNetworkError.Operation, _ object: String) throws(HostNetworkError) {
        guard group.isMulticast else {
            throw HostNetworkError(code: .invalidValue, operation: op, object: object, step: "\(group) is not a multicast group")
        }
        switch group {
        case .v4:
            var m = ip_mreqn()
            withUnsafeMutableBytes(of: &m.imr_multiaddr) { raw in for (i, b) in group.bytes.enumerated() { raw[i] = b } }
            m.imr_ifindex = interface.index
            try d.setOption(Int32(IPPROTO_IP), IP_ADD_MEMBERSHIP, value: m, "IP_ADD_MEMBERSHIP \(group)", op, object)
        case .v6:
            var m = ipv6_mreq()
            withUnsafeMutableBytes(of: &m.ipv6mr_multiaddr) { raw in for (i, b) in group.bytes.enumerated() { raw[i] = b } }
            m.ipv6mr_interface = UInt32(interface.index)
            try d.setOption(Int32(IPPROTO_IPV6), IPV6_ADD_MEMBERSHIP, value: m, "IPV6_ADD_MEMBERSHIP \(group)", op, object)
        }
    }
}
