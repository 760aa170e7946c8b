// The one place where the binding calls C: libnl-3 / libnl-genl-3 for the socket's life,
// connection and family resolution; the C library for namespaces and raw I/O.
internal import CNetlink
internal import NetworkNamespaces
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// A failed system call: which one, and its errno.
struct SystemCallError: Error {
    var call: String
    var errno: Errno
}

/// Owns one libnl generic-netlink socket for its whole life; freed exactly once in `deinit`.
struct NetlinkSocket: ~Copyable {
    private let sock: OpaquePointer
    let fd: Int32
    let familyID: UInt16
    let localPort: UInt32
    /// The length every receive on this socket offers the kernel (see `receiveLength`).
    let receiveLength: Int
    /// How long a receive waits before the request fails (see `answerTimeout`).
    let answerTimeout: Duration

    static let receiveBufferSize: Int32 = 8 << 20
    static let sendBufferSize: Int32 = 2 << 20

    /// How many bytes every receive on the socket offers the kernel (libnl's included).
    ///
    /// Netlink sizes each dump datagram by the largest receive ever posted on the socket
    /// (`max_recvmsg_len`, up to 32 KiB), and a kernel with `init_on_alloc` (Debian's
    /// default) zeroes that whole allocation: with 64 KiB receives every dump, even of four
    /// real servers, cost two 32 KiB page allocations and clears (data and NLMSG_DONE), a
    /// third of `save`'s time. With page-sized receives the kernel allocates at most about a
    /// page per datagram. Since Linux 4.14 a dump datagram is trimmed to that allocation
    /// (`max(NLMSG_GOODSIZE, largest receive)`, NLMSG_GOODSIZE being under a page) and other
    /// replies are at most NLMSG_GOODSIZE, so nothing the IPVS family sends is larger than a
    /// page; older kernels may fill the allocator's rounding, so they keep 64 KiB.
    /// A datagram larger than the buffer is still reported, never silently cut.
    ///
    /// The service dump is the exception (`bulkReceiveLength`): the kernel's
    /// `ip_vs_genl_dump_services` walks the table from the start for every datagram, so the
    /// dump of a big table wants the largest datagrams, on a socket of its own.
    static let receiveLength: Int = {
        let page = max(4096, Int(sysconf(Int32(_SC_PAGESIZE))))
        return kernelAtLeast(4, 14) ? page : max(page, 64 << 10)
    }()

    /// Receives for big dumps: the kernel's largest dump datagrams (32 KiB).
    static let bulkReceiveLength = 64 << 10

    /// How long a receive waits for the kernel (SO_RCVTIMEO) before the request fails.
    ///
    /// A correct exchange never waits: the kernel handles a generic-netlink request inside
    /// the `sendto` that carries it, so its answer is queued before the send returns, and it
    /// makes a dump's next part inside the receive that asks for it. But a request whose
    /// handler is interrupted (EINTR: stopping a sync daemon whose thread is still starting,
    /// say) gets no acknowledgement at all (`netlink_rcv_skb` skips it), and an unbounded
    /// receive would hold the caller's thread for good. 30 s is far beyond any answer a
    /// loaded, emulated machine gives, and short enough for a daemon to go on.
    static let answerTimeout: Duration = .seconds(30)

    /// Whether the running kernel's release is at least MAJOR.MINOR (false if unreadable).
    static func kernelAtLeast(_ major: Int, _ minor: Int) -> Bool {
        var u = utsname()
        guard uname(&u) == 0 else { return false }
        let release = withUnsafeBytes(of: &u.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (major, minor)
    }

    /// Opens a socket (inside `/run/netns/NAME` when `namespace` is given) and resolves the
    /// IPVS family. With `loadModule`, a missing family triggers one `modprobe ip_vs`, as ipvsadm does.
    init(namespace: String?, loadModule: Bool, receiveLength: Int = NetlinkSocket.receiveLength,
         answerTimeout: Duration = NetlinkSocket.answerTimeout) throws(IPVSError) {
        let created: OpaquePointer
        if let namespace {
            created = try Self.createInNamespace(namespace)
        } else {
            created = try Self.createAndConnect(operation: .open)
        }
        // libnl's own receives (family resolution) count for the socket's dump sizing too:
        // same length as ours, peeking first so a larger reply still gets through whole.
        _ = nl_socket_set_msg_buf_size(created, receiveLength)
        nl_socket_enable_msg_peek(created)
        var id = genl_ctrl_resolve(created, IPVSWire.familyName)
        if id == -NLE_OBJ_NOTFOUND, loadModule, Self.runModprobe() {
            id = genl_ctrl_resolve(created, IPVSWire.familyName)
        }
        guard id > 0 else {
            nl_socket_free(created)
            if id == -NLE_OBJ_NOTFOUND {
                throw IPVSError.unavailable(.open, errno: .noSuchFileOrDirectory,
                    detail: "the kernel has no \"IPVS\" generic-netlink family")
            }
            if id == -NLE_PERM || id == -NLE_NOACCESS {
                throw IPVSError(code: .permissionDenied, errno: .notPermitted, operation: .open,
                                reason: "Operation not permitted (needs CAP_NET_ADMIN)")
            }
            throw IPVSError(code: .setupFailed, operation: .open,
                            reason: "resolving the IPVS generic-netlink family: \(String(cString: nl_geterror(id)))")
        }
        sock = created
        fd = nl_socket_get_fd(created)
        localPort = nl_socket_get_local_port(created)
        familyID = UInt16(id)
        self.receiveLength = receiveLength
        self.answerTimeout = answerTimeout
        Self.tune(fd, answerTimeout: answerTimeout)
    }

    /// A socket whose "kernel" is another user-space socket: a NETLINK_USERSOCK socket that
    /// sends to port `peerPort` instead of the kernel, with `familyID` taken as the IPVS family.
    /// For tests of the receive paths with fabricated replies (the host has no IPVS); tuned
    /// like any other socket.
    init(userPeer peerPort: UInt32, familyID: UInt16, receiveLength: Int = NetlinkSocket.receiveLength,
         answerTimeout: Duration = NetlinkSocket.answerTimeout) throws(IPVSError) {
        guard let s = nl_socket_alloc() else {
            throw IPVSError(code: .noMemory, errno: .noMemory, operation: .open, reason: "Memory allocation problem (nl_socket_alloc)")
        }
        let rc = nl_connect(s, NETLINK_USERSOCK)
        if rc < 0 {
            nl_socket_free(s)
            throw IPVSError(code: .setupFailed, operation: .open,
                            reason: "cannot open a user netlink socket: \(String(cString: nl_geterror(rc)))")
        }
        nl_socket_set_peer_port(s, peerPort)
        sock = s
        fd = nl_socket_get_fd(s)
        localPort = nl_socket_get_local_port(s)
        self.familyID = familyID
        self.receiveLength = receiveLength
        self.answerTimeout = answerTimeout
        Self.tune(fd, answerTimeout: answerTimeout)
    }

    deinit {
        nl_socket_free(sock)
    }

    /// Sends one datagram holding one or more messages.
    func send(_ bytes: [UInt8]) throws(SystemCallError) {
        let result: Result<Void, SystemCallError> = bytes.withUnsafeBytes { raw in
            do throws(SystemCallError) { try send(raw); return .success(()) } catch { return .failure(error) }
        }
        try result.get()
    }

    func send(_ raw: UnsafeRawBufferPointer) throws(SystemCallError) {
        let sent = nl_sendto(sock, UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count)
        if sent < 0 { throw SystemCallError(call: "sendto", errno: .current) }
        if Int(sent) != raw.count { throw SystemCallError(call: "sendto", errno: .messageTooLong) }
    }

    /// Receives one datagram into `buffer`; returns its length. A datagram larger than the
    /// buffer is reported, never silently cut.
    func receive(into buffer: inout [UInt8]) throws(SystemCallError) -> Int {
        let received = valueOrErrno {
            buffer.withUnsafeMutableBytes { raw in recv(fd, raw.baseAddress, raw.count, Int32(MSG_TRUNC)) }
        }
        switch received {
        case let .success(n) where n > buffer.count: throw SystemCallError(call: "recv", errno: .messageTooLong)
        case let .success(n): return n
        case let .failure(e): throw SystemCallError(call: "recv", errno: e)
        }
    }

    /// Receives one or more datagrams (up to `count`, blocking only for the first) into
    /// `buffer`, datagram i at offset i * `slot`, its length in `lengths[i]`; returns how
    /// many. One system call takes a dump's data and its NLMSG_DONE, which the kernel queues
    /// as two datagrams. (The caller's `lengths` is reused: a big listing receives 20000 times.)
    func receiveMany(into buffer: inout [UInt8], slot: Int, count: Int,
                     lengths: inout [Int]) throws(SystemCallError) -> Int {
        precondition(buffer.count >= slot * count && count <= 8 && lengths.count >= count)
        let received = valueOrErrno {
            buffer.withUnsafeMutableBufferPointer { raw in
                lengths.withUnsafeMutableBufferPointer { out in
                    swiftvs_recv_many(fd, raw.baseAddress!, slot, UInt32(count), out.baseAddress!)
                }
            }
        }
        switch received {
        case let .success(n) where lengths[0..<Int(n)].contains(where: { $0 > slot }):
            throw SystemCallError(call: "recvmmsg", errno: .messageTooLong)
        case let .success(n): return Int(n)
        case let .failure(e): throw SystemCallError(call: "recvmmsg", errno: e)
        }
    }

    // MARK: - Setup

    private static func createAndConnect(operation: IPVSError.Operation) throws(IPVSError) -> OpaquePointer {
        guard let s = nl_socket_alloc() else {
            throw IPVSError(code: .noMemory, errno: .noMemory, operation: operation, reason: "Memory allocation problem (nl_socket_alloc)")
        }
        let rc = genl_connect(s)
        if rc < 0 {
            let e = Errno.current
            nl_socket_free(s)
            throw IPVSError(code: .setupFailed, errno: e, operation: operation,
                            reason: "cannot open a generic-netlink socket: \(String(cString: nl_geterror(rc)))")
        }
        return s
    }

    /// Bigger buffers let a batch of thousands of requests and their replies through in one
    /// go; NETLINK_CAP_ACK keeps error replies small; NETLINK_EXT_ACK asks for the kernel's
    /// words; the receive timeout bounds the wait for an answer that never comes.
    private static func tune(_ fd: Int32, answerTimeout: Duration) {
        var on: Int32 = 1
        let size = MemoryLayout<Int32>.size
        _ = setsockopt(fd, NetlinkConstants.solNetlink, NetlinkConstants.capAck, &on, socklen_t(size))
        _ = setsockopt(fd, NetlinkConstants.solNetlink, NetlinkConstants.extAck, &on, socklen_t(size))
        for (force, plain, wanted) in [(SO_RCVBUFFORCE, SO_RCVBUF, receiveBufferSize), (SO_SNDBUFFORCE, SO_SNDBUF, sendBufferSize)] {
            var value = wanted
            if setsockopt(fd, SOL_SOCKET, force, &value, socklen_t(size)) != 0 {
                _ = setsockopt(fd, SOL_SOCKET, plain, &value, socklen_t(size))
            }
        }
        let (seconds, attoseconds) = answerTimeout.components
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The socket's send buffer as the kernel granted it: a batch datagram must stay below it.
    static func sendBufferLimit(_ fd: Int32) -> Int {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &value, &length) == 0 else { return 128 << 10 }
        return Int(value)
    }

    /// Creates the socket on a short-lived thread that enters the namespace, so the calling
    /// thread never changes namespace. The socket stays bound to the namespace it was made in.
    private static func createInNamespace(_ name: String) throws(IPVSError) -> OpaquePointer {
        let address = try NamespaceThread.run(in: name, operation: .open) { () -> Result<UInt, IPVSError> in
            do throws(IPVSError) {
                return .success(UInt(bitPattern: try NetlinkSocket.createAndConnect(operation: .open)))
            } catch {
                return .failure(error)
            }
        }
        return OpaquePointer(bitPattern: address)!
    }

    /// `modprobe -q ip_vs`, without a shell. True when it exited 0.
    private static func runModprobe() -> Bool {
        for path in ["/sbin/modprobe", "/usr/sbin/modprobe"] where access(path, X_OK) == 0 {
            var pid = pid_t()
            let argv: [UnsafeMutablePointer<CChar>?] = [strdup(path), strdup("-q"), strdup("--"), strdup("ip_vs"), nil]
            defer { for p in argv { free(p) } }
            guard posix_spawn(&pid, path, nil, nil, argv, environ) == 0 else { return false }
            var status: Int32 = 0
            guard case .success = valueOrErrno({ waitpid(pid, &status, 0) }) else { return false }
            return status == 0
        }
        return false
    }
}
