import Foundation
import NetworkModel
import Testing

/// track_script and track_interface (issue 16; interop notes case 5) on the pair of `VRRPCases`:
/// n1 100 (120), n2 110 (130), chk = "test -f nX.ok", interval 1, weight 20.
enum VRRPTrackingCases {
    /// The master's script fails: n2 drops to 110 < 120 and n1 takes over within
    /// fall·interval + MDI(120); the script passes again: n2 (130) takes the VIP back within
    /// interval + MDI(130). `notify` reports every transition in order, with the priority.
    static func trackScript(_ impls: [VRRPImplementation]) async throws {
        var recorders: [NotifyRecorder] = []
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { topology, i, instance in
            let recorder = try NotifyRecorder(directory: topology.directory, label: topology.nodes[i].name)
            recorders.append(recorder)
            instance.notifyLines = [recorder.notifyLine]
        }
        defer { s.teardown() }
        let tag = "track_script (\(VRRPCases.label(impls)))"
        _ = try await VRRPCases.elect(s)
        _ = try await s.awaitAdvert(from: "n2", after: WallClock.now(), priority: 130, within: .seconds(2))

        let failed = WallClock.now()
        try FileManager.default.removeItem(atPath: s.topology.path("n2.ok"))
        let lowered = try await s.awaitAdvert(from: "n2", after: failed, priority: 110, within: .seconds(3))
        let mdi120 = VRRPTiming.masterDown(priority: 120)
        try await s.awaitHolders("held by n1 alone", within: .seconds(1 + mdi120 + 2)) { $0 == ["n1"] }
        let n1Held = try #require(try s.sampler.firstTime(heldBy: "n1", after: failed))
        print(String(format: "[vrrp] %@: script failed → n2 advertises 110 after %.3f s, n1 holds the VIP %.3f s after (bound fall·interval + MDI(120) = %.3f s)",
                     tag, lowered.time - failed, n1Held - failed, 1 + mdi120))
        #expect(n1Held - failed <= 1 + mdi120 + 0.3, "\(s.diagnostics())")

        let restored = WallClock.now()
        _ = FileManager.default.createFile(atPath: s.topology.path("n2.ok"), contents: nil)
        let mdi130 = VRRPTiming.masterDown(priority: 130)
        try await s.awaitHolders("back on n2 alone", within: .seconds(1 + mdi130 + 2)) { $0 == ["n2"] }
        let n2Back = try #require(try s.sampler.firstTime(heldBy: "n2", after: restored))
        print(String(format: "[vrrp] %@: script passes again → n2 holds the VIP %.3f s later (bound interval + MDI(130) = %.3f s)",
                     tag, n2Back - restored, 1 + mdi130))
        #expect(n2Back - restored <= 1 + mdi130 + 0.3, "\(s.diagnostics())")
        #expect(try s.sampler.unheldIntervals(from: failed).allSatisfy { $0.duration < 0.1 }, "\(s.diagnostics())")

        // notify: after the first BACKUP (its priority depends on whether chk has run yet), the
        // transitions in order with the effective priority at the time.
        let expected1 = ["INSTANCE VI_1 MASTER 120", "INSTANCE VI_1 BACKUP 120"]
        let expected2 = ["INSTANCE VI_1 MASTER 130", "INSTANCE VI_1 BACKUP 110", "INSTANCE VI_1 MASTER 130"]
        do {
            try await awaitCondition("notify lines", within: .seconds(6)) {
                Array(recorders[1].lines().dropFirst()) == expected2 && Array(recorders[0].lines().dropFirst()) == expected1
            }
        } catch {
            Issue.record("notify lines n1 \(recorders[0].lines()), n2 \(recorders[1].lines())\n\(s.diagnostics())")
            throw error
        }
        #expect(recorders.allSatisfy { $0.lines().first?.hasPrefix("INSTANCE VI_1 BACKUP ") == true })
        print("[vrrp] \(tag): notify n1 \(recorders[0].lines()), n2 \(recorders[1].lines())")
    }

    /// n2 tracks a second interface (trk0, a veth whose peer trk1 is taken down, so trk0 loses
    /// carrier with eth0 up): FAULT, a priority-0 advert, its VIP removed, n1 MASTER after
    /// skew(120); the carrier back: BACKUP, then MASTER again. Then the primary interface's link
    /// goes down: FAULT and the VIP removed; up again: n2 takes it back.
    static func trackInterface(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { topology, i, instance in
            guard i == 1 else { return }
            let ns = topology.nodes[1].namespace
            try Command.ip("-n", ns, "link", "add", "trk0", "type", "veth", "peer", "name", "trk1")
            try Command.ip("-n", ns, "link", "set", "trk1", "up")
            try Command.ip("-n", ns, "link", "set", "trk0", "up")
            instance.trackInterfaces = ["trk0"]
        }
        defer { s.teardown() }
        let tag = "track_interface (\(VRRPCases.label(impls)))"
        let ns = s.topology.nodes[1].namespace
        _ = try await VRRPCases.elect(s)

        let down = WallClock.now()
        try Command.ip("-n", ns, "link", "set", "trk1", "down")
        let zero = try await s.awaitAdvert(from: "n2", after: down, priority: 0, within: .seconds(2))
        try await s.node("n2").awaitLog("Entering FAULT STATE", within: .seconds(2))
        try await s.awaitHolders("held by n1 alone", within: .seconds(3)) { $0 == ["n1"] }
        let released = try #require(try s.sampler.firstTime(notHeldBy: "n2", after: down))
        let takeover = try await s.awaitAdvert(from: "n1", after: zero.time, within: .seconds(2))
        print(String(format: "[vrrp] %@: trk0 carrier lost → priority 0 after %.3f s, VIP off n2 after %.3f s, n1's first advert %.3f s after the priority 0 (skew(120) %.3f s)",
                     tag, zero.time - down, released - down, takeover.time - zero.time, VRRPTiming.skew(priority: 120)))
        #expect(zero.time - down < 0.5, "link events, not polling\n\(s.diagnostics())")
        #expect(takeover.time - zero.time <= VRRPTiming.skew(priority: 120) + 0.15)

        let up = WallClock.now()
        try Command.ip("-n", ns, "link", "set", "trk1", "up")
        try await s.node("n2").awaitLog("Entering BACKUP STATE (fault cleared", within: .seconds(3))
        let mdi = VRRPTiming.masterDown(priority: 130)
        try await s.awaitHolders("back on n2 alone", within: .seconds(mdi + 3)) { $0 == ["n2"] }
        let back = try #require(try s.sampler.firstTime(heldBy: "n2", after: up))
        print(String(format: "[vrrp] %@: trk0 back → n2 holds the VIP %.3f s later (MDI(130) %.3f s)", tag, back - up, mdi))

        // The primary interface: link down at both ends.
        let n2 = s.topology.nodes[1]
        let primaryDown = WallClock.now()
        try s.topology.linkDown(n2)
        try await s.awaitHolders("held by n1 alone (n2's link down)", within: .seconds(VRRPTiming.masterDown(priority: 120) + 2)) { $0 == ["n1"] }
        let removed = try #require(try s.sampler.firstTime(notHeldBy: "n2", after: primaryDown))
        #expect(removed - primaryDown < 0.5, "n2 removes its VIP on the link event\n\(s.diagnostics())")
        #expect(s.node("n2").logCount("Entering FAULT STATE") == 2, "\(s.node("n2").log())")
        try s.topology.linkUp(n2)
        try await s.awaitHolders("back on n2 alone (link up)", within: .seconds(mdi + 4)) { $0 == ["n2"] }
        print(String(format: "[vrrp] %@: eth0 down → VIP off n2 after %.3f s; up → back on n2", tag, removed - primaryDown))
    }
}
