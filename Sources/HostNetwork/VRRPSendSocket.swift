internal import CNetlinkRoute
import NetworkModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The socket VRRP advertisements leave by on one interface, opened as keepalived 2.2.7's
/// `open_vrrp_send_socket`: raw, IP protocol 112, non-blocking, bound to the interface
/// (SO_BINDTODEVICE), never receiving (SO_RCVBUF 0 and a drop-all filter), and
/// IP_TOS / IPV6_TCLASS 0xc0 (internetwork control).
///
/// IPv4 (IP_HDRINCL, IP_MULTICAST_ALL 0): `send` takes the **whole IP datagram**, header
/// included, as the caller built it: version/IHL 0x45, TOS 0xc0, TTL 255 (unicast too),
/// protocol 112, source and destination. The kernel fills in a zero `id` and a zero source,
/// always writes `tot_len` and the header checksum, and never fragments a datagram this small.
/// The destination of the sendto must equal the header's.
///
/// IPv6 (IPV6_CHECKSUM at offset 6): `send` takes the **VRRP message only**; the kernel
/// builds the header and computes the checksum over the IPv6 pseudo-header. Multicast:
/// IPV6_MULTICAST_HOPS 255; unicast: the kernel's default hop limit unless `unicastHopLimit`
/// is given (IPV6_UNICAST_HOPS), as keepalived's `unicast_ttl`.
///
/// Multicast mode also sets the multicast interface (IP_MULTICAST_IF / IPV6_MULTICAST_IF) and
/// IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP 0, so the node does not hear itself.
public struct VRRPSendSocket: ~Copyable, Sendable {
    private let descriptor: OwnedDescriptor
    public let family: AddressFamily
    public let interface: NetworkInterface

    /// Opens the socket for `interface` in the caller's network namespace.
    /// - Parameters:
    ///   - unicast: true for unicast peers (no multicast options), false for the group.
    ///   - unicastHopLimit: IPv6 unicast only: IPV6_UNICAST_HOPS (nil = kernel default).
    public init(family: AddressFamily, interface: NetworkInterface, unicast: Bool,
                unicastHopLimit: UInt8? = nil) throws(HostNetworkError) {
        let op = HostNetworkError.Operation.openVRRPSendSocket
        let object = "on \(interface.name)"
        let d = try OwnedDescriptor.vrrpSocket(family, op, object)
        try d.setOption(SOL_SOCKET, SO_RCVBUF, 0, "SO_RCVBUF 0", op, object)
        if family == .inet {
            try d.setOption(Int32(IPPROTO_IP), IP_MULTICAST_ALL, 0, "IP_MULTICAST_ALL 0", op, object)
            try d.setOption(Int32(IPPROTO_IP), IP_HDRINCL, 1, "IP_HDRINCL", op, object)
        } else {
            try d.setOption(Int32(IPPROTO_IPV6), IPV6_CHECKSUM, 6, "IPV6_CHECKSUM 6", op, object)
            if !unicast {
                try d.setOption(Int32(IPPROTO_IPV6), IPV6_MULTICAST_HOPS, 255, "IPV6_MULTICAST_HOPS 255", op, object)
            } else if let unicastHopLimit {
                try d.setOption(Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, Int32(unicastHopLimit),
                                "IPV6_UNICAST_HOPS \(unicastHopLimit)", op, object)
            }
        }
        try d.bind(toDevice: interface.name, op, object)
        if !unicast {
            if family == .inet {
                var m = ip_mreqn()
                m.imr_ifindex = interface.index
                try d.setOption(Int32(IPPROTO_IP), IP_MULTICAST_IF, value: m, "IP_MULTICAST_IF \(interface.name)", op, object)
                try d.setOption(Int32(IPPROTO_IP), IP_MULTICAST_LOOP, 0, "IP_MULTICAST_LOOP 0", op, object)
            } else {
                try d.setOption(Int32(IPPROTO_IPV6), IPV6_MULTICAST_IF, interface.index, "IPV6_MULTICAST_IF \(interface.name)", op, object)
                try d.setOption(Int32(IPPROTO_IPV6), IPV6_MULTICAST_LOOP, 0, "IPV6_MULTICAST_LOOP 0", op, object)
            }
        }
        if family == .inet {
            try d.setOption(Int32(IPPROTO_IP), IP_TOS, 0xc0, "IP_TOS 0xc0", op, object)
        } else {
            try d.setOption(Int32(IPPROTO_IPV6), IPV6_TCLASS, 0xc0, "IPV6_TCLASS 0xc0", op, object)
        }
        if swiftvs_attach_drop_all_filter(d.rawValue) != 0 {
            throw .system(.current, op, object, step: "setsockopt SO_ATTACH_FILTER (drop all)")
        }
        descriptor = d
        self.family = family
        self.interface = interface
    }

    /// The socket's descriptor (non-blocking), for the reactor to wait on when a send
    /// reports EAGAIN (then `code == .system`, `errno == EAGAIN`: the queue is full; the
    /// advertisement is lost, as it would be on the wire).
    public var fileDescriptor: Int32 {
        borrowing get { descriptor.rawValue }
    }

    /// Sends one datagram to `destination` (the group or a unicast peer).
    /// - Parameters:
    ///   - packet: IPv4: IP header + VRRP message; IPv6: VRRP message (see the type's notes).
    ///   - source: IPv6 only: the source address (IPV6_PKTINFO), e.g. the interface's
    ///     link-local address or `unicast_src_ip`; nil = the kernel's choice. IPv4 takes its
    ///     source from the header.
    public func send(_ packet: [UInt8], to destination: IPAddress, from source: IPAddress? = nil) throws(HostNetworkError) {
        let result = packet.withUnsafeBytes { raw in
            Result { () throws(HostNetworkError) in try send(raw, to: destination, from: source) }
        }
        try result.get()
    }

    /// Sends every datagram of `batch` (each as `send(_:to:from:)` would) with as few
    /// sendmmsg(2) calls as the kernel allows, in order. A datagram the kernel refuses is
    /// reported in the result, with its index in the batch, and the rest are still sent: one
    /// peer's failure (EAGAIN on a full queue, an unreachable address) never stops the others'.
    /// The batch is left as it was.
    public func send(_ batch: VRRPSendBatch) -> [(index: Int, error: HostNetworkError)] {
        var failures: [(index: Int, error: HostNetworkError)] = []
        var next = 0
        while next < batch.count {
            if batch.destinationAddresses[next].family != family {
                failures.append((next, wrongFamily(batch.destinationAddresses[next])))
                next += 1
                continue
            }
            // Up to the next datagram of the wrong family (reported on its own above).
            var end = next
            while end < batch.count, end - next < Int(SWIFTVS_SEND_BATCH_MAX),
                  batch.destinationAddresses[end].family == family { end += 1 }
            next += call(batch, from: next, count: end - next, &failures)
        }
        return failures
    }

    /// One sendmmsg of `count` datagrams of `batch` from `first`; returns how many it took
    /// (at least one: a datagram the kernel refused is reported in `failures` and passed).
    private func call(_ batch: VRRPSendBatch, from first: Int, count: Int,
                      _ failures: inout [(index: Int, error: HostNetworkError)]) -> Int {
        let domain = family == .inet ? AF_INET : AF_INET6
        return withUnsafeTemporaryAllocation(of: UInt32.self, capacity: Int(SWIFTVS_SEND_BATCH_MAX)) { sent -> Int in
            let n = batch.data.withUnsafeBufferPointer { data in
                batch.items.withUnsafeBufferPointer { items in
                    Int(swiftvs_send_batch(descriptor.rawValue, domain, data.baseAddress, items.baseAddress! + first,
                                           interface.index, UInt32(count), sent.baseAddress))
                }
            }
            if n < 0 {
                failures.append((first, .system(.current, .sendVRRP, "to \(batch.destinationAddresses[first]) on \(interface.name)")))
                return 1
            }
            for i in 0..<n where sent[i] != batch.items[first + i].length {
                failures.append((first + i, HostNetworkError(code: .system, errno: .messageTooLong, operation: .sendVRRP,
                                                             object: "to \(batch.destinationAddresses[first + i]) on \(interface.name)",
                                                             step: "sent \(sent[i]) of \(batch.items[first + i].length) bytes")))
            }
            return n
        }
    }

    private func wrongFamily(_ destination: IPAddress) -> HostNetworkError {
        HostNetworkError(code: .invalidValue, operation: .sendVRRP, object: "to \(destination) on \(interface.name)",
                         step: "an \(family == .inet ? "IPv4" : "IPv6") socket cannot send to \(destination)")
    }

    /// Sends a VRRP message with the headers VRRP uses, so callers deal in VRRP bytes only:
    /// IPv4: prefixes `ipv4Header(source:destination:payloadLength:ttl:)` (TTL 255 unless
    /// keepalived's `unicast_ttl` says otherwise); IPv6: the message as is, from `source`
    /// (IPV6_PKTINFO), the hop limit being the socket's (255 for multicast).
    public func sendAdvertisement(_ message: [UInt8], from source: IPAddress, to destination: IPAddress,
                                  ttl: UInt8 = 255) throws(HostNetworkError) {
        switch family {
        case .inet:
            guard source.family == .inet else {
                throw HostNetworkError(code: .invalidValue, operation: .sendVRRP, object: "to \(destination) on \(interface.name)",
                                       step: "source \(source) is not an IPv4 address")
            }
            try send(Self.ipv4Header(source: source, destination: destination, payloadLength: message.count, ttl: ttl) + message,
                     to: destination)
        case .inet6:
            try send(message, to: destination, from: source)
        }
    }

    /// The 20-byte IPv4 header keepalived puts before a VRRP message: version 4, IHL 5,
    /// TOS 0xc0 (internetwork control), total length, id 0 (the kernel picks one), no
    /// fragment flags, TTL, protocol 112, checksum 0 (the kernel computes it), source,
    /// destination; multi-byte fields big-endian.
    public static func ipv4Header(source: IPAddress, destination: IPAddress, payloadLength: Int, ttl: UInt8 = 255) -> [UInt8] {
        let total = 20 + payloadLength
        return [0x45, 0xc0, UInt8(total >> 8 & 0xff), UInt8(total & 0xff), 0, 0, 0, 0, ttl, 112, 0, 0]
            + source.bytes + destination.bytes
    }

    /// The same from raw bytes.
    public func send(_ packet: UnsafeRawBufferPointer, to destination: IPAddress, from source: IPAddress? = nil) throws(HostNetworkError) {
        guard destination.family == family else { throw wrongFamily(destination) }
        let sent: Int
        switch family {
        case .inet:
            sent = destination.withSocketAddress { sendto(descriptor.rawValue, packet.baseAddress, packet.count, Int32(MSG_DONTWAIT), $0, $1) }
        case .inet6:
            let scope = destination.needsScope ? UInt32(interface.index) : 0
            let dst = destination.bytes
            if let source {
                let src = source.bytes
                sent = swiftvs_send_v6(descriptor.rawValue, packet.baseAddress, packet.count, dst, scope, src, interface.index)
            } else {
                sent = swiftvs_send_v6(descriptor.rawValue, packet.baseAddress, packet.count, dst, scope, nil, interface.index)
            }
        }
        if sent < 0 {
            throw .system(.current, .sendVRRP, "to \(destination) on \(interface.name)")
        }
        if sent != packet.count {
            throw HostNetworkError(code: .system, errno: .messageTooLong, operation: .sendVRRP, object: "to \(destination) on \(interface.name)",
                                   step: "sent \(sent) of \(packet.count) bytes")
        }
    }
}
