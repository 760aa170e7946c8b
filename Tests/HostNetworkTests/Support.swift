import Foundation
import Synchronization
import Testing
@testable import HostNetwork
import NetworkModel
@_exported import TestSupport

/// Whether namespace tests can run here: root, and iproute2's `ip`.
enum TestEnvironment {
    static let ip = "/usr/sbin/ip"
    static let canUseNamespaces: Bool = getuid() == 0 && FileManager.default.isExecutableFile(atPath: ip)
}

/// Runs a tool and returns its standard output; throws when it fails.
@discardableResult
func run(_ argv: [String]) throws -> String { try TestProcess.check(argv).stdout }

/// `ip ARGS...`
@discardableResult
func ipTool(_ args: String...) throws -> String { try run([TestEnvironment.ip] + args) }

private let topologyCounter = Atomic<Int>(0)

/// A bridge in its own namespace and `nodes` node namespaces, each with `eth0` on the bridge
/// (a veth), up, with 198.51.100.(11+i)/24 and IPv6 DAD off (addresses usable at once).
/// Removed afterwards even when the body fails.
struct Topology: Sendable {
    let bridge: String
    let nodes: [String]

    static func with<T>(nodes count: Int, _ body: (Topology) throws -> T) throws -> T {
        let n = topologyCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let tag = "\(getpid())-\(n)"
        let topology = Topology(bridge: "hn-sw-\(tag)", nodes: (0..<count).map { "hn-n\($0)-\(tag)" })
        defer { topology.remove() }
        try topology.build()
        return try body(topology)
    }

    func ipv4(_ node: Int) -> IPAddress { .v4(198, 51, 100, UInt8(11 + node)) }

    private func build() throws {
        for ns in [bridge] + nodes {
            try ipTool("netns", "add", ns)
            try ipTool("-n", ns, "link", "set", "lo", "up")
            try run(["/usr/sbin/ip", "netns", "exec", ns, "/usr/sbin/sysctl", "-qw",
                     "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"])
        }
        try ipTool("-n", bridge, "link", "add", "br0", "type", "bridge")
        try ipTool("-n", bridge, "link", "set", "br0", "up")
        for (i, ns) in nodes.enumerated() {
            try ipTool("-n", bridge, "link", "add", "p\(i)", "type", "veth", "peer", "name", "eth0", "netns", ns)
            try ipTool("-n", bridge, "link", "set", "p\(i)", "master", "br0", "up")
            try ipTool("-n", ns, "link", "set", "eth0", "up")
            try ipTool("-n", ns, "addr", "add", "\(ipv4(i))/24", "dev", "eth0")
        }
        try awaitLinkLocalAddresses()
    }

    /// Waits until every node's eth0 has its IPv6 link-local address. The kernel gives it only
    /// once the veth has carrier, which it notes asynchronously (linkwatch, up to a second after
    /// `link set up`): read or used at once, it was missing (sourceAddress nil, and an IPv6
    /// multicast datagram sent then was never received; 2 runs in 4 of VRRPSocketTests).
    private func awaitLinkLocalAddresses() throws {
        for i in nodes.indices {
            let index = try eth0(i).index
            let present = try eventually(timeout: .seconds(10)) {
                try route(i).sourceAddress(interfaceIndex: index, family: .inet6) != nil
            }
            guard present else { throw SetupError("\(nodes[i]): eth0 has no IPv6 link-local address 10 s after it was set up") }
        }
    }

    func remove() {
        for ns in nodes + [bridge] { _ = try? ipTool("netns", "delete", ns) }
    }

    /// `ip -n NODE ARGS...`
    @discardableResult
    func ip(node: Int, _ args: String...) throws -> String {
        try run([TestEnvironment.ip, "-n", nodes[node]] + args)
    }

    /// The node's request socket (made inside its namespace).
    func route(_ node: Int) throws -> RouteNetlink {
        try NetworkNamespace.run(in: nodes[node]) { () throws(HostNetworkError) in try RouteNetlink() }
    }

    /// The node's eth0 as rtnetlink reports it.
    func eth0(_ node: Int) throws -> NetworkInterface {
        try route(node).interface(named: "eth0")
    }
}

/// Waits until `fd` is readable or `timeout` passes (poll, no sleeping); true if readable.
func waitReadable(_ fd: Int32, timeout: Duration) -> Bool {
    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ms = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    while true {
        let rc = poll(&p, 1, ms)
        if rc < 0 && errno == EINTR { continue }
        return rc > 0
    }
}

/// Polls `condition` until it holds or `timeout` passes (for state only a tool can show,
/// such as a neighbour entry: checked every 10 ms against a deadline).
func eventually(timeout: Duration = .seconds(5), _ condition: () throws -> Bool) rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try condition() { return true }
        var ts = timespec(tv_sec: 0, tv_nsec: 10_000_000)
        nanosleep(&ts, nil)
    }
    return try condition()
}

/// Runs `body` and returns the HostNetworkError it throws (recording an issue otherwise).
func hostError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> HostNetworkError? {
    do {
        try body()
        Issue.record("expected a HostNetworkError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as HostNetworkError {
        return error
    } catch {
        Issue.record("expected a HostNetworkError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// An IPv4 datagram for protocol 112 with the given TTL, built independently of
/// `VRRPSendSocket.ipv4Header` (checksum and id left to the kernel).
func ipv4Datagram(from source: IPAddress, to destination: IPAddress, ttl: UInt8 = 255, payload: [UInt8]) -> [UInt8] {
    let total = 20 + payload.count
    var h: [UInt8] = [0x45, 0xc0, UInt8(total >> 8), UInt8(total & 0xff), 0, 0, 0, 0, ttl, 112, 0, 0]
    h += source.bytes + destination.bytes
    return h + payload
}
