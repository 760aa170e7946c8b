import Foundation
import Testing
@testable import HostNetwork
import NetworkModel

/// Gratuitous ARP and unsolicited NA, observed in the other node's neighbour table: its entry
/// for the VIP points at a stale MAC first and must move to the sender's MAC.
@Suite(.enabled(if: TestEnvironment.canUseNamespaces, "needs root and network namespaces"))
struct AnnouncementTests {
    let staleMAC = "02:00:00:00:00:99"

    /// The `lladdr` of node's neighbour entry for `address`, or nil.
    func neighbour(_ t: Topology, _ node: Int, _ address: IPAddress) throws -> String? {
        let line = try t.ip(node: node, address.family == .inet ? "-4" : "-6", "neigh", "show", "\(address)", "dev", "eth0")
        let words = line.split(separator: " ")
        guard let i = words.firstIndex(of: "lladdr"), i + 1 < words.count else { return nil }
        return String(words[i + 1])
    }

    @Test func gratuitousARPMovesTheNeighbourEntry() throws {
        try Topology.with(nodes: 2) { t in
            let vip = IPAddress.v4(198, 51, 100, 39)
            let eth0A = try t.eth0(0)
            let macA = try #require(eth0A.macAddress)
            try t.route(0).addAddress(InterfaceAddress(address: vip, prefixLength: 24, interfaceIndex: eth0A.index))
            // B believes the VIP is elsewhere; locktime 0 lets the next ARP override at once.
            try run([TestEnvironment.ip, "netns", "exec", t.nodes[1], "/usr/sbin/sysctl", "-qw", "net.ipv4.neigh.eth0.locktime=0"])
            try t.ip(node: 1, "neigh", "replace", "\(vip)", "lladdr", staleMAC, "dev", "eth0", "nud", "stale")
            #expect(try neighbour(t, 1, vip) == staleMAC)

            let garp = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in
                try GratuitousARPSender(interface: eth0A)
            }
            try garp.send(for: vip)
            let moved = try eventually { try neighbour(t, 1, vip) == macA.description }
            let now = try neighbour(t, 1, vip)
            #expect(moved, "B's entry for \(vip) is \(now ?? "absent"), not \(macA)")

            let wrongFamily = hostError { try garp.send(for: IPAddress("2001:db8::39")!) }
            #expect(wrongFamily?.code == .invalidValue)
        }
    }

    @Test func unsolicitedNeighbourAdvertisementOverridesTheEntry() throws {
        try Topology.with(nodes: 2) { t in
            let vip = try #require(IPAddress("2001:db8::39"))
            let eth0A = try t.eth0(0)
            let macA = try #require(eth0A.macAddress)
            try t.route(0).addAddress(InterfaceAddress(address: vip, prefixLength: 64, interfaceIndex: eth0A.index))
            try t.ip(node: 1, "-6", "neigh", "replace", "\(vip)", "lladdr", staleMAC, "dev", "eth0", "nud", "stale")
            #expect(try neighbour(t, 1, vip) == staleMAC)

            let na = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in
                try NeighborAdvertisementSender(interface: eth0A)
            }
            try na.send(for: vip)
            // Only the Override flag lets an unsolicited NA replace a known link-layer address.
            let moved = try eventually { try neighbour(t, 1, vip) == macA.description }
            let now = try neighbour(t, 1, vip)
            #expect(moved, "B's entry for \(vip) is \(now ?? "absent"), not \(macA)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump"), "needs tcpdump"))
    func gratuitousARPSeenOnTheBridge() throws {
        try Topology.with(nodes: 2) { t in
            let vip = IPAddress.v4(198, 51, 100, 39)
            let eth0A = try t.eth0(0)
            let macA = try #require(eth0A.macAddress)
            let capture = try TCPDump(namespace: t.bridge, interface: "br0", filter: ["arp"])
            let garp = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in
                try GratuitousARPSender(interface: eth0A)
            }
            try garp.send(for: vip)
            let line = try #require(try capture.firstLine(timeout: .seconds(5)))
            #expect(line.contains("\(macA) > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42"))
            #expect(line.contains("Request who-has 198.51.100.39 (ff:ff:ff:ff:ff:ff) tell 198.51.100.39"))
        }
    }
}

/// `tcpdump -l -c 1 -nn -e` in a namespace, started and confirmed listening before use.
final class TCPDump {
    private let process = Process()
    private let out = Pipe()
    private let err = Pipe()

    init(namespace: String, interface: String, filter: [String]) throws {
        process.executableURL = URL(fileURLWithPath: TestEnvironment.ip)
        process.arguments = ["netns", "exec", namespace, "/usr/bin/tcpdump", "-l", "-c", "1", "-nn", "-e", "-i", interface] + filter
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // tcpdump prints "listening on IF" to stderr once its capture is open.
        var seen = ""
        while !seen.contains("listening on") {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { throw SetupError("tcpdump ended before listening: \(seen)") }
            seen += String(decoding: chunk, as: UTF8.self)
        }
    }

    /// The first captured line, or nil when none came before `timeout` (tcpdump is then stopped).
    func firstLine(timeout: Duration) throws -> String? {
        guard waitReadable(out.fileHandleForReading.fileDescriptor, timeout: timeout) else {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        process.waitUntilExit()
        return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }
}
