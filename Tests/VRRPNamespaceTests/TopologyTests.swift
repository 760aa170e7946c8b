import Foundation
import Testing

extension VRRPNamespace {
    /// The harness's own topology: addresses, reachability, link control, teardown.
    @Suite("VRRP namespace harness: topology", .serialized,
           .enabled(if: HarnessGate.isRoot && HarnessGate.hasNetns, "needs root and ip netns"))
    struct TopologyTests {
        private func ping(from node: Topology.Node, to address: String) throws -> Bool {
            try Command.run([HarnessGate.ip, "netns", "exec", node.namespace, "/usr/bin/ping", "-c1", "-W1", "-q", address]).status == 0
        }

        @Test("nodes and client on one bridge, IPv4 and IPv6 without DAD; link down cuts a node off, link up restores it; teardown leaves nothing")
        func segment() async throws {
            let t = try Topology(nodes: 2, ipv6: true, client: true)
            let namespaces = [t.switchNamespace] + t.members.map(\.namespace)
            let n1 = t.nodes[0], client = try #require(t.client)
            #expect(t.nodes.map(\.ipv4) == ["198.51.100.11", "198.51.100.12"] && client.ipv4 == "198.51.100.100")

            for member in t.members {
                let addrs = try Command.ip("-n", member.namespace, "-o", "addr", "show", "dev", "eth0").stdout
                #expect(addrs.contains("inet \(member.ipv4)/24") && addrs.contains("inet6 \(member.ipv6!)/64"))
                #expect(!addrs.contains("tentative"), "DAD is off: \(addrs)")
                let link = try Command.ip("-n", member.namespace, "-o", "link", "show", "eth0").stdout
                #expect(link.contains("link/ether \(member.mac)"))
            }
            #expect(try ping(from: n1, to: client.ipv4))
            #expect(try ping(from: n1, to: client.ipv6!))

            try t.linkDown(n1)
            #expect(try Command.ip("-n", t.switchNamespace, "-o", "link", "show", n1.bridgePort).stdout.contains("state DOWN"))
            #expect(try !ping(from: n1, to: client.ipv4))
            try t.linkUp(n1)
            try await awaitCondition("n1 to reach the client again", within: .seconds(5), poll: .milliseconds(100)) {
                try ping(from: n1, to: client.ipv4)
            }

            // Frozen and running processes alike are gone after teardown, and so are the namespaces.
            let sleeper = try t.start(["/bin/sleep", "600"], in: n1.namespace, label: "sleeper")
            try await awaitCondition("sleep to enter \(n1.namespace)", within: .seconds(2)) {
                t.processesInNamespaces().contains(sleeper.pid)
            }
            try t.freeze(pid: sleeper.pid)
            t.teardown()
            #expect(!sleeper.isRunning)
            let left = try Command.ip("netns", "list").stdout
            #expect(namespaces.allSatisfy { !left.contains($0) }, "left behind: \(left)")
            #expect(!FileManager.default.fileExists(atPath: t.directory))
        }
    }
}
