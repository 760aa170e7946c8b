internal import CNetlinkRoute
import NetworkModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// The one long-lived rtnetlink (NETLINK_ROUTE) socket for requests: interface and address
/// dumps, and address add/delete through libnl-route (`rtnl_addr_add` / `rtnl_addr_delete`).
/// No socket per message. Made in the caller's network namespace (see `NetworkNamespace.run`
/// for another one); freed exactly once in `deinit`.
///
/// Requests are synchronous: the kernel handles an rtnetlink request inside the send and
/// queues its reply before the send returns, so a request never waits on anything but the
/// kernel, and the socket can stay blocking without stalling a reactor. As a bound, receives
/// time out after `replyTimeout` (SO_RCVTIMEO): a reply that never comes is an error
/// (EAGAIN), never a hang. Notifications come on a `RouteEventSocket`, not here.
///
/// `@unchecked Sendable`: the libnl socket and the error slot belong to this one move-only
/// value; moving it to another thread moves them, and it is never used from two at once.
public struct RouteNetlink: ~Copyable, @unchecked Sendable {
    private let sock: OpaquePointer
    /// Where the error callback leaves the kernel's errno and extended-ack text.
    private let lastError: UnsafeMutablePointer<swiftvs_nl_error>
    private static let receiveSize = 32 << 10
    /// How long a request waits for the kernel's reply before failing with EAGAIN.
    public static let replyTimeout: Duration = .seconds(5)

    /// Opens and connects the socket, with extended acks so kernel messages reach errors.
    public init() throws(HostNetworkError) {
        guard let s = nl_socket_alloc() else {
            throw HostNetworkError(code: .system, errno: .noMemory, operation: .openRouteSocket, object: "", step: "nl_socket_alloc")
        }
        let rc = nl_connect(s, NETLINK_ROUTE)
        if rc < 0 {
            let e = Errno.current
            nl_socket_free(s)
            throw .system(e.rawValue == 0 ? .protocolError : e, .openRouteSocket, "", step: "nl_connect: \(String(cString: nl_geterror(rc)))")
        }
        var on: Int32 = 1
        _ = setsockopt(nl_socket_get_fd(s), swiftvs_sol_netlink(), NETLINK_EXT_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(nl_socket_get_fd(s), swiftvs_sol_netlink(), NETLINK_CAP_ACK, &on, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: Int(Self.replyTimeout.components.seconds), tv_usec: 0)
        if setsockopt(nl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size)) != 0 {
            let e = Errno.current
            nl_socket_free(s)
            throw .system(e, .openRouteSocket, "", step: "setsockopt SO_RCVTIMEO")
        }
        lastError = .allocate(capacity: 1)
        lastError.initialize(to: swiftvs_nl_error())
        _ = swiftvs_nl_capture_errors(s, lastError)
        // Dumps are read here, not by libnl, so libnl's expected sequence number would lag
        // behind; requests are strictly one at a time, so the check adds nothing.
        nl_socket_disable_seq_check(s)
        sock = s
    }

    deinit {
        nl_socket_free(sock)
        lastError.deallocate()
    }

    /// The socket's descriptor (blocking; used synchronously, see the type's notes).
    public var fileDescriptor: Int32 {
        borrowing get { nl_socket_get_fd(sock) }
    }

    // MARK: - Interfaces

    /// Every interface of the namespace (an RTM_GETLINK dump).
    public func interfaces() throws(HostNetworkError) -> [NetworkInterface] {
        try dump(RouteMessageDecoder.rtmGetLink, family: 0, .listInterfaces, "").compactMap {
            if case let .link(i, _) = $0 { return i } else { return nil }
        }
    }

    /// The interface called `name`; `.noSuchInterface` ("find interface eth9: No such device").
    public func interface(named name: String) throws(HostNetworkError) -> NetworkInterface {
        guard let found = try interfaces().first(where: { $0.name == name }) else {
            throw HostNetworkError(code: .noSuchInterface, errno: .operationNotSupportedByDevice, operation: .findInterface, object: name)
        }
        return found
    }

    /// The interface with index `index`; `.noSuchInterface` otherwise.
    public func interface(index: Int32) throws(HostNetworkError) -> NetworkInterface {
        guard let found = try interfaces().first(where: { $0.index == index }) else {
            throw HostNetworkError(code: .noSuchInterface, errno: .operationNotSupportedByDevice, operation: .findInterface, object: "index \(index)")
        }
        return found
    }

    // MARK: - Addresses

    /// The addresses of the namespace (an RTM_GETADDR dump), optionally of one family and
    /// one interface, in the kernel's order (an interface's primary IPv4 address first).
    public func addresses(family: AddressFamily? = nil, interfaceIndex: Int32? = nil) throws(HostNetworkError) -> [InterfaceAddress] {
        let object = interfaceIndex.map { "of interface index \($0)" } ?? ""
        return try dump(RouteMessageDecoder.rtmGetAddr, family: UInt8(family?.rawValue ?? 0),
                        .listAddresses, object).compactMap {
            guard case let .address(a, _) = $0 else { return nil }
            if let interfaceIndex, a.interfaceIndex != interfaceIndex { return nil }
            if let family, a.family != family { return nil }
            return a
        }
    }

    /// The address VRRP sends from on an interface, as keepalived picks it: IPv4, the
    /// primary (first non-secondary) address; IPv6, the first link-local address that is not
    /// tentative. nil when the interface has none.
    public func sourceAddress(interfaceIndex: Int32, family: AddressFamily) throws(HostNetworkError) -> IPAddress? {
        let all = try addresses(family: family, interfaceIndex: interfaceIndex)
        switch family {
        case .inet: return all.first(where: { !$0.isSecondary })?.address
        case .inet6: return all.first(where: { $0.isIPv6LinkLocal && !$0.isTentative })?.address
        }
    }

    /// Adds the address (RTM_NEWADDR with NLM_F_CREATE|NLM_F_EXCL). An address the interface
    /// already has throws `.addressExists` ("add address 198.51.100.39/24 to eth0: File
    /// exists"); a missing interface `.noSuchInterface`.
    public func addAddress(_ address: InterfaceAddress) throws(HostNetworkError) {
        try change(address, operation: .addAddress) { sock, addr in
            rtnl_addr_add(sock, addr, swiftvs_nlm_f_excl())
        }
    }

    /// Deletes the address (RTM_DELADDR). One the interface does not have throws
    /// `.addressNotPresent` ("delete address 198.51.100.39/24 from eth0: Cannot assign
    /// requested address").
    public func deleteAddress(_ address: InterfaceAddress) throws(HostNetworkError) {
        try change(address, operation: .deleteAddress) { sock, addr in
            rtnl_addr_delete(sock, addr, 0)
        }
    }

    /// Adds the address unless present: true if added, false if it was already there.
    @discardableResult
    public func addAddressIfAbsent(_ address: InterfaceAddress) throws(HostNetworkError) -> Bool {
        do { try addAddress(address); return true } catch where error.code == .addressExists { return false }
    }

    /// Deletes the address if present: true if deleted, false if it was not there.
    @discardableResult
    public func deleteAddressIfPresent(_ address: InterfaceAddress) throws(HostNetworkError) -> Bool {
        do { try deleteAddress(address); return true } catch where error.code == .addressNotPresent { return false }
    }

    // MARK: - Internals

    /// Builds the libnl address object, runs `request` on it, and turns a failure into an error
    /// naming the address and the interface.
    private func change(_ address: InterfaceAddress, operation: HostNetworkError.Operation,
                        _ request: (OpaquePointer, OpaquePointer) -> Int32) throws(HostNetworkError) {
        guard let addr = rtnl_addr_alloc() else {
            throw HostNetworkError(code: .system, errno: .noMemory, operation: operation, object: "\(address)", step: "rtnl_addr_alloc")
        }
        defer { rtnl_addr_put(addr) }
        rtnl_addr_set_ifindex(addr, address.interfaceIndex)
        try setAddress(address.address, on: addr, operation, address) { rtnl_addr_set_local($0, $1) }
        rtnl_addr_set_prefixlen(addr, Int32(address.prefixLength))
        rtnl_addr_set_scope(addr, Int32(address.scope.rawValue))
        if address.flags != 0 { rtnl_addr_set_flags(addr, address.flags) }
        if let broadcast = address.broadcast {
            try setAddress(broadcast, on: addr, operation, address) { rtnl_addr_set_broadcast($0, $1) }
        }
        if let label = address.label {
            let rc = label.withCString { rtnl_addr_set_label(addr, $0) }
            if rc < 0 {
                throw HostNetworkError(code: .invalidValue, operation: operation, object: object(address, operation),
                                       step: "label \"\(label)\" is longer than 15 bytes")
            }
        }
        lastError.pointee.error = 0
        let rc = request(sock, addr)
        guard rc < 0 else { return }
        let e = lastError.pointee.error != 0 ? Errno(rawValue: lastError.pointee.error) : libnlErrno(rc)
        let message = withUnsafeBytes(of: lastError.pointee.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        throw .system(e, operation, object(address, operation), kernelMessage: message.isEmpty ? nil : message)
    }

    /// Gives libnl an nl_addr of the address's family and bytes through `set`.
    private func setAddress(_ ip: IPAddress, on addr: OpaquePointer, _ operation: HostNetworkError.Operation,
                            _ address: InterfaceAddress, _ set: (OpaquePointer, OpaquePointer) -> Int32) throws(HostNetworkError) {
        var bytes = ip.bytes
        guard let nl = nl_addr_build(Int32(ip.family.rawValue), &bytes, bytes.count) else {
            throw HostNetworkError(code: .system, errno: .noMemory, operation: operation, object: "\(address)", step: "nl_addr_build")
        }
        defer { nl_addr_put(nl) }
        let rc = set(addr, nl)
        if rc < 0 {
            throw HostNetworkError(code: .invalidValue, operation: operation, object: object(address, operation),
                                   step: "\(ip): \(String(cString: nl_geterror(rc)))")
        }
    }

    /// `198.51.100.39/24 to eth0` (add) or `... from eth0` (delete), the interface named when
    /// it exists, else by its index.
    private func object(_ address: InterfaceAddress, _ operation: HostNetworkError.Operation) -> String {
        let preposition = operation == .deleteAddress ? "from" : "to"
        let name = (try? interface(index: address.interfaceIndex).name) ?? "interface index \(address.interfaceIndex)"
        return "\(address) \(preposition) \(name)"
    }

    /// The errno behind a libnl error code when no NLMSG_ERROR was seen (a local failure).
    private func libnlErrno(_ rc: Int32) -> Errno {
        switch -rc {
        case NLE_EXIST: return .fileExists
        case NLE_NOADDR: return .addressNotAvailable
        case NLE_NODEV: return .operationNotSupportedByDevice
        case NLE_PERM: return .notPermitted
        case NLE_NOMEM: return .noMemory
        case NLE_INVAL: return .invalidArgument
        default: return Errno.current.rawValue != 0 ? .current : .protocolError
        }
    }

    /// Sends a dump request and decodes every reply up to NLMSG_DONE; redone (up to three
    /// times) when the kernel flags it interrupted by a concurrent change.
    private func dump(_ type: UInt16, family: UInt8, _ operation: HostNetworkError.Operation,
                      _ object: String) throws(HostNetworkError) -> [RouteMessageDecoder.Message] {
        var attempt = 0
        while true {
            attempt += 1
            let messages = try dumpOnce(type, family: family, operation, object)
            if !messages.contains(.interrupted) || attempt == 3 { return messages }
        }
    }

    private func dumpOnce(_ type: UInt16, family: UInt8, _ operation: HostNetworkError.Operation,
                          _ object: String) throws(HostNetworkError) -> [RouteMessageDecoder.Message] {
        let rc = nl_rtgen_request(sock, Int32(type), Int32(family), Int32(NLM_F_DUMP))
        if rc < 0 { throw .system(Errno.current.rawValue != 0 ? .current : .ioError, operation, object, step: "send RTM_GET request") }
        let fd = nl_socket_get_fd(sock)
        var buffer = [UInt8](repeating: 0, count: Self.receiveSize)
        var all: [RouteMessageDecoder.Message] = []
        while true {
            let n: Int
            switch valueOrErrno({ buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_TRUNC)) } }) {
            case let .success(count): n = count
            case let .failure(e): throw .system(e, operation, object, step: "recv")
            }
            if n > buffer.count { throw .system(.messageTooLong, operation, object, step: "recv: a \(n)-byte datagram") }
            let decoded = buffer.withUnsafeBytes { raw in
                Result { () throws(RouteMessageDecoder.DecodeError) in
                    try RouteMessageDecoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<n]))
                }
            }
            guard case let .success(messages) = decoded else {
                if case let .failure(error) = decoded {
                    throw HostNetworkError(code: .malformedMessage, operation: operation, object: object, step: error.reason)
                }
                return all
            }
            for m in messages {
                switch m {
                case .done: return all
                case let .error(e, _): throw .system(e, operation, object)
                default: all.append(m)
                }
            }
        }
    }
}
