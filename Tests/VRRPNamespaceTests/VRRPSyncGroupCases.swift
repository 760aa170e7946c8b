import Foundation
import NetworkModel
import Testing

/// `vrrp_sync_group` (issue 16): the pair of `VRRPCases` (n1 100, n2 110, +20 from chk) with a
/// second instance VI_2 (vrid 52, VIP 198.51.100.40/24) beside VI_1 on both nodes, the two in
/// group G (`sync_group_tracking_weight`, so chk's weight still counts). Only n2's VI_2 tracks
/// trk0 (a veth whose peer is taken down): its fault must take n2's VI_1 into FAULT as well, so
/// both VIPs move to n1 together, and come back together when trk0's carrier returns. Without
/// the group, VI_1 would stay MASTER on n2 and the VIPs would be split.
enum VRRPSyncGroupCases {
    static let secondVIP = IPAddress("198.51.100.40")!

    static func faultMovesTheGroup(_ impls: [VRRPImplementation]) async throws {
        var recorder: NotifyRecorder?
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { topology, i, instance in
            guard i == 1 else { return }
            let ns = topology.nodes[1].namespace
            try Command.ip("-n", ns, "link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
            try Command.ip("-n", ns, "link", "set", "trk1", "up")
            try Command.ip("-n", ns, "link", "set", "trk0", "up")
        } configure: { topology, i, config in
            var second = config.instances[0]
            second.name = "VI_2"
            second.virtualRouterID = 52
            second.virtualAddresses = ["\(secondVIP)/24"]
            if i == 1 { second.trackInterfaces = ["trk0"] }
            config.instances.append(second)
            var group = VRRPSyncGroupSpec(name: "G", members: ["VI_1", "VI_2"], lines: ["sync_group_tracking_weight"])
            if i == 1 {
                let r = try NotifyRecorder(directory: topology.directory, label: "group-n2")
                recorder = r
                group.lines.append(r.notifyLine)
            }
            config.syncGroups = [group]
        }
        defer { s.teardown() }
        let tag = "vrrp_sync_group (\(VRRPCases.label(impls)))"
        let n2 = s.topology.nodes[1]
        let groupNotify = try #require(recorder)
        _ = try await VRRPCases.elect(s)
        try await awaitSecondVIP(on: n2, in: s, within: .seconds(3))
        if impls[1] == .swiftvs {
            // Both instances announce on eth0 through one packet socket (the namespace's only one).
            let packet = try Command.check(["/usr/sbin/ip", "netns", "exec", n2.namespace, "cat", "/proc/net/packet"]).stdout
            let sockets = packet.split(whereSeparator: \.isNewline).count - 1
            #expect(sockets == 1, "packet sockets in n2's namespace:\n\(packet)")
        }

        let down = WallClock.now()
        try Command.ip("-n", n2.namespace, "link", "set", "trk1", "down")
        try await s.node("n2").awaitLog("(VI_2) Entering FAULT STATE", within: .seconds(2))
        try await s.node("n2").awaitLog("(VI_1) Entering FAULT STATE", within: .seconds(2))
        // The forced member leaves MASTER with a priority-0 advert: n1 takes over after its skew
        // (keepalived 2.2.7 the same: it adds a member's tracked interfaces to every member).
        let bound = VRRPTiming.skew(priority: 120) + 1
        try await s.awaitHolders("VI_1's VIP held by n1 alone", within: .seconds(bound)) { $0 == ["n1"] }
        try await awaitSecondVIP(on: s.topology.nodes[0], in: s, within: .seconds(bound))
        let moved = try #require(try s.sampler.firstTime(heldBy: "n1", after: down))
        print(String(format: "[vrrp] %@: VI_2's tracked link down on n2 → VI_1 follows into FAULT; both VIPs on n1, VI_1's %.3f s after (MDI(120) %.3f s, skew(120) %.3f s)",
                     tag, moved - down, VRRPTiming.masterDown(priority: 120), VRRPTiming.skew(priority: 120)))

        let up = WallClock.now()
        try Command.ip("-n", n2.namespace, "link", "set", "trk1", "up")
        let back = VRRPTiming.masterDown(priority: 130) + 3
        try await s.awaitHolders("VI_1's VIP back on n2 alone", within: .seconds(back)) { $0 == ["n2"] }
        try await awaitSecondVIP(on: n2, in: s, within: .seconds(back))
        print(String(format: "[vrrp] %@: trk0 back → both VIPs on n2 again after %.3f s", tag, WallClock.now() - up))

        let expected = ["GROUP G BACKUP 0", "GROUP G MASTER 0", "GROUP G FAULT 0", "GROUP G BACKUP 0", "GROUP G MASTER 0"]
        do {
            try await awaitCondition("the group's notify lines on n2", within: .seconds(3)) { groupNotify.lines() == expected }
        } catch {
            Issue.record("group notify on n2: \(groupNotify.lines())\n\(s.diagnostics())")
            throw error
        }
    }

    /// Waits until VI_2's VIP is on `node` and on no other node.
    private static func awaitSecondVIP(on node: Topology.Node, in s: VRRPScenario, within limit: Duration) async throws {
        let readers = try s.topology.nodes.map { ($0, try NamespaceAddressReader(namespace: $0.namespace)) }
        try await s.explained {
            try await awaitCondition("\(secondVIP) on \(node) alone", within: limit) {
                try readers.allSatisfy { n, reader in try reader.addresses().contains(secondVIP) == (n == node) }
            }
        }
    }
}
