import CNetlink
import Foundation
import NetworkModel

/// A NETLINK_ROUTE socket opened inside one network namespace (a socket keeps the namespace it
/// was created in), asked for the namespace's addresses with one RTM_GETADDR dump per call: no
/// process per sample, so a 20 ms sampler keeps its period.
final class NamespaceAddressReader {
    let namespace: String
    private let fd: Int32
    private var sequence: UInt32 = 0
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// Opens the socket in `namespace`. Switches the calling thread's network namespace and back,
    /// so call it only on a thread the caller owns (the sampler's).
    init(namespace: String) throws {
        self.namespace = namespace
        let target = open("/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
        guard target >= 0 else {
            throw HarnessError(code: .systemCall, operation: "open", object: "/run/netns/\(namespace)", errno: errno)
        }
        defer { close(target) }
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else {
            throw HarnessError(code: .systemCall, operation: "open", object: "/proc/thread-self/ns/net", errno: errno)
        }
        defer { close(home) }
        guard swiftvs_setns_net(target) == 0 else {
            throw HarnessError(code: .systemCall, operation: "setns", object: namespace, errno: errno)
        }
        let socketFD = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
        let socketErrno = errno
        guard swiftvs_setns_net(home) == 0 else {
            fatalError("setns back to the test's own network namespace failed: errno \(errno)")
        }
        guard socketFD >= 0 else {
            throw HarnessError(code: .systemCall, operation: "socket(NETLINK_ROUTE)", object: namespace, errno: socketErrno)
        }
        fd = socketFD
    }

    deinit { close(fd) }

    /// Every address in the namespace (IFA_LOCAL, else IFA_ADDRESS), all interfaces.
    func addresses() throws -> [IPAddress] {
        sequence &+= 1
        try sendDumpRequest()
        var found: [IPAddress] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else {
                throw HarnessError(code: .systemCall, operation: "recv RTM_GETADDR", object: namespace, errno: errno)
            }
            if try parse(count: n, into: &found) { return found }
        }
    }

    private func sendDumpRequest() throws {
        // nlmsghdr (16) + ifaddrmsg (8), AF_UNSPEC: both families.
        var request = [UInt8](repeating: 0, count: 24)
        Self.put32(&request, 0, 24)
        Self.put16(&request, 4, 22)                 // RTM_GETADDR
        Self.put16(&request, 6, 0x0001 | 0x0300)    // NLM_F_REQUEST | NLM_F_DUMP
        Self.put32(&request, 8, sequence)
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = request.withUnsafeBytes { bytes in
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_nl>.size))
                }
            }
        }
        guard sent == request.count else {
            throw HarnessError(code: .systemCall, operation: "send RTM_GETADDR", object: namespace, errno: errno)
        }
    }

    /// Parses one datagram of the dump; true at NLMSG_DONE.
    private func parse(count: Int, into found: inout [IPAddress]) throws -> Bool {
        var offset = 0
        while offset + 16 <= count {
            let length = Int(Self.get32(buffer, offset))
            let type = Self.get16(buffer, offset + 4)
            guard length >= 16, offset + length <= count else {
                throw HarnessError(code: .badData, operation: "parse RTM_NEWADDR", object: namespace)
            }
            switch type {
            case 3: return true                                    // NLMSG_DONE
            case 2:                                                // NLMSG_ERROR
                let code = Int32(bitPattern: Self.get32(buffer, offset + 16))
                throw HarnessError(code: .systemCall, operation: "RTM_GETADDR", object: namespace, errno: -code)
            case 20:                                               // RTM_NEWADDR
                if let address = address(in: offset + 16, end: offset + length) { found.append(address) }
            default: break
            }
            offset += (length + 3) & ~3
        }
        return false
    }

    /// IFA_LOCAL, else IFA_ADDRESS, from the attributes after the ifaddrmsg at `start`.
    private func address(in start: Int, end: Int) -> IPAddress? {
        var attribute = start + 8
        var local: IPAddress?, peer: IPAddress?
        while attribute + 4 <= end {
            let length = Int(Self.get16(buffer, attribute))
            let type = Self.get16(buffer, attribute + 2)
            guard length >= 4, attribute + length <= end else { break }
            let value = buffer[(attribute + 4)..<(attribute + length)]
            if type == 2 { local = IPAddress(bytes: value) }       // IFA_LOCAL
            if type == 1 { peer = IPAddress(bytes: value) }        // IFA_ADDRESS
            attribute += (length + 3) & ~3
        }
        return local ?? peer
    }

    // Netlink headers are in host byte order: native loads and stores.
    private static func put16(_ b: inout [UInt8], _ o: Int, _ v: UInt16) {
        withUnsafeBytes(of: v) { for i in 0..<2 { b[o + i] = $0[i] } }
    }
    private static func put32(_ b: inout [UInt8], _ o: Int, _ v: UInt32) {
        withUnsafeBytes(of: v) { for i in 0..<4 { b[o + i] = $0[i] } }
    }
    private static func get16(_ b: [UInt8], _ o: Int) -> UInt16 {
        b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt16.self) }
    }
    private static func get32(_ b: [UInt8], _ o: Int) -> UInt32 {
        b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) }
    }
}
