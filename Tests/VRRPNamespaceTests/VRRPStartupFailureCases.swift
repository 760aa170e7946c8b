import Foundation
import Testing

/// What the daemon does when an instance cannot be set up (issue 16: "a missing interface, an
/// address not on it: an explained error, exit 1"): it says which instance and why, and exits
/// promptly — no half-started daemon left running.
enum VRRPStartupFailureCases {
    enum Fault: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case missingInterface, sourceNotOnInterface
        var testDescription: String { rawValue }
    }

    static func exitsWithTheReason(_ fault: Fault) async throws {
        let topology = try Topology(nodes: 1)
        defer { topology.teardown() }
        let node = topology.nodes[0]
        var instance = VRRPInstanceSpec()
        instance.virtualAddresses = ["198.51.100.39/24"]
        let expected: String
        switch fault {
        case .missingInterface:
            instance.interface = "nope0"
            expected = "vrrp_instance VI_1: find interface nope0: No such device"
        case .sourceNotOnInterface:
            instance.unicastSource = "198.51.100.99"
            instance.unicastPeers = ["198.51.100.12"]
            expected = "vrrp_instance VI_1: open VRRP receive socket on eth0: bind 198.51.100.99: Cannot assign requested address"
        }
        let file = topology.path("fault.conf")
        try VRRPConfig(routerID: "n1", instances: [instance]).render().write(toFile: file, atomically: true, encoding: .utf8)
        let started = WallClock.now()
        // `timeout` turns a daemon that hangs instead of exiting into a failure (status 124).
        let r = try Command.run(["/usr/bin/timeout", "-k", "5", "20", "/usr/sbin/ip", "netns", "exec", node.namespace,
                                 SwiftvsBinary.path, "daemon", "--config", file,
                                 "--control", topology.path("fault.sock"), "--no-state"])
        let took = WallClock.now() - started
        print(String(format: "[vrrp] start-up fault %@: exit %d after %.2f s: %@", fault.rawValue, r.status, took,
                     r.stderr.split(separator: "\n").last.map(String.init) ?? ""))
        #expect(r.status == 1, "exit \(r.status)\n\(r.stderr)")
        #expect(r.stderr.contains(expected), "\(r.stderr)")
        #expect(took < 10, "exits promptly, not at the timeout")
    }
}
