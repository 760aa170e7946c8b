internal import CNetlinkRoute
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// A non-blocking rtnetlink socket subscribed to link and address notifications
/// (RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR). Wait for `fileDescriptor` to be
/// readable (epoll), then call `receive()`, which drains everything queued.
///
/// ENOBUFS: when notifications arrive faster than they are read, the kernel drops some and
/// the next receive fails with ENOBUFS. `receive()` then ends its batch with `.overflow`; the
/// caller must resynchronise from a dump (`RouteNetlink.interfaces()` and `addresses(...)`)
/// and carry on receiving (the socket stays subscribed). The receive buffer is 1 MiB by
/// default (SO_RCVBUFFORCE when permitted, so beyond rmem_max) to make that rare.
public struct RouteEventSocket: ~Copyable, Sendable {
    private let descriptor: OwnedDescriptor
    /// The default receive buffer: 1 MiB.
    public static let defaultReceiveBufferSize = 1 << 20
    private static let datagramSize = 32 << 10

    /// Opens and subscribes the socket in the caller's network namespace.
    /// - Parameter receiveBufferSize: bytes of queued notifications before the kernel drops
    ///   some (the kernel doubles it for bookkeeping).
    public init(receiveBufferSize: Int = RouteEventSocket.defaultReceiveBufferSize) throws(HostNetworkError) {
        let d = try OwnedDescriptor.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue), NETLINK_ROUTE, label: "AF_NETLINK, NETLINK_ROUTE",
                                           .openEventSocket, "")
        var local = sockaddr_nl()
        local.nl_family = sa_family_t(AF_NETLINK)
        let rc = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(d.rawValue, $0, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
        if rc != 0 { throw .system(.current, .openEventSocket, "", step: "bind") }
        for (group, label) in [(swiftvs_rtmgrp_link(), "RTNLGRP_LINK"), (swiftvs_rtmgrp_ipv4_ifaddr(), "RTNLGRP_IPV4_IFADDR"),
                               (swiftvs_rtmgrp_ipv6_ifaddr(), "RTNLGRP_IPV6_IFADDR")] {
            try d.setOption(swiftvs_sol_netlink(), NETLINK_ADD_MEMBERSHIP, Int32(group), "NETLINK_ADD_MEMBERSHIP \(label)",
                            .openEventSocket, "")
        }
        var size = Int32(clamping: receiveBufferSize)
        if setsockopt(d.rawValue, SOL_SOCKET, SO_RCVBUFFORCE, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            try d.setOption(SOL_SOCKET, SO_RCVBUF, size, "SO_RCVBUF", .openEventSocket, "")
        }
        descriptor = d
    }

    /// The socket's descriptor, for the reactor to wait on (readable = events queued).
    public var fileDescriptor: Int32 {
        borrowing get { descriptor.rawValue }
    }

    /// Every notification queued now, decoded, oldest first; empty when none is queued
    /// (never blocks). Ends with `.overflow` when the kernel reported lost notifications.
    public func receive() throws(HostNetworkError) -> [RouteEvent] {
        var events: [RouteEvent] = []
        var buffer = [UInt8](repeating: 0, count: Self.datagramSize)
        while true {
            let n: Int
            switch valueOrErrno({ buffer.withUnsafeMutableBytes { recv(descriptor.rawValue, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) } }) {
            case let .success(count): n = count
            case .failure(.resourceTemporarilyUnavailable): return events
            case .failure(.noBufferSpace): events.append(.overflow); return events
            case let .failure(e): throw .system(e, .receiveEvents, "")
            }
            let decoded = buffer.withUnsafeBytes { raw in
                Result { () throws(RouteMessageDecoder.DecodeError) in
                    try RouteMessageDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                }
            }
            switch decoded {
            case let .failure(error):
                throw HostNetworkError(code: .malformedMessage, operation: .receiveEvents, object: "", step: error.reason)
            case let .success(messages):
                for message in messages {
                    switch message {
                    case let .link(interface, deleted): events.append(.link(LinkEvent(interface: interface, isDeleted: deleted)))
                    case let .address(address, deleted): events.append(.address(AddressEvent(address: address, isDeleted: deleted)))
                    default: break
                    }
                }
            }
        }
    }
}
