import Foundation
import NetworkModel
import Testing

/// The namespace test cases as functions of which daemon runs on n1 and n2, so the keepalived
/// baseline, all-swiftvs groups and mixed pairs run the same bodies in the same test run.
/// Topology as the interop notes' case 1: n1 priority 100, n2 110, each +20 from a passing
/// track_script (effective 120 and 130); v2, advert_int 1, unicast, auth PASS. Every case prints
/// its measured figures as `[vrrp] CASE (n1/n2 implementations): …`.
enum VRRPCases {
    /// Starts n2 (the higher priority) first, then n1, and waits until n2 alone holds the VIP.
    static func elect(_ s: VRRPScenario) async throws -> (n2Started: Double, held: Double) {
        let n2Started = WallClock.now()
        try await s.node("n2").start()
        try await s.node("n1").start()
        let mdi = VRRPTiming.masterDown(priority: s.effectivePriority("n2"))
        let held = try await s.awaitHolders("held by n2 alone", within: .seconds(mdi + 3)) { $0 == ["n2"] }
        return (n2Started, held.time)
    }

    static func label(_ impls: [VRRPImplementation]) -> String { impls.map(\.rawValue).joined(separator: "/") }

    private static func isKeepalived(_ node: any VRRPNode) -> Bool { node is KeepalivedNode }

    /// Cold start: n2 becomes MASTER at MDI(130) after it started, sends correct adverts and GARPs,
    /// and the VIP is on n2 alone at every sample after the election.
    static func coldStart(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110])
        defer { s.teardown() }
        let e = try await elect(s)
        let mdi = VRRPTiming.masterDown(priority: 130)
        let tag = "cold start (\(label(impls)))"

        let first = try await s.firstAdvert(from: "n2")
        let election = first.time - e.n2Started
        print(String(format: "[vrrp] %@: n2 (p130) first advert %.3f s after start (MDI %.3f s), VIP held %.3f s after start",
                     tag, election, mdi, e.held - e.n2Started))
        #expect(election >= mdi - 0.02 && election <= mdi + 0.5, "first advert \(election) s after start, MDI \(mdi) s\n\(s.diagnostics())")

        // The advert: v2, vrid 51, effective priority, TTL 255, the VIP, PASS, unicast to the peer.
        #expect(first.version == 2 && first.vrid == 51 && first.priority == 130 && first.ttl == 255)
        #expect(first.advertInterval == 1 && first.addresses == [s.vipAddress])
        #expect(first.destination == IPAddress(s.node("n1").node.ipv4), "unicast to the peer")
        #expect(first.authType == 1 && first.authData == Array("s3cret".utf8) + [0, 0])

        // GARPs for the VIP from n2's MAC, after its first advert.
        let garp = try await s.wire.awaitAnnouncement(of: s.vipAddress, within: .seconds(2))
        #expect(garp.senderMAC == s.node("n2").node.mac && garp.kind == .arpRequest)
        #expect(garp.time >= first.time, "advert before GARP")
        print(String(format: "[vrrp] %@: first GARP %.1f ms after the first advert", tag, (garp.time - first.time) * 1000))

        // Two more adverts' worth of samples: exactly one holder, always n2; n1 never held it.
        _ = try await s.awaitAdvert(from: "n2", after: first.time + 1.5, within: .seconds(3))
        let after = try s.sampler.intervals(from: e.held)
        #expect(after.allSatisfy { $0.holders == ["n2"] }, "holders after the election: \(after)\n\(s.diagnostics())")
        #expect(try s.sampler.firstTime(heldBy: "n1") == nil, "n1 never holds the VIP\n\(s.diagnostics())")
        if isKeepalived(s.node("n2")) { #expect(s.node("n2").logCount("Entering MASTER STATE") == 1) }
        if isKeepalived(s.node("n1")) {
            #expect(s.node("n1").logCount("Entering MASTER STATE") == 0)
            #expect(s.node("n1").logCount("Entering BACKUP STATE") >= 1)
        }

        let period = try s.sampler.achievedPeriod()
        let gaps = try s.sampler.gaps(longerThan: 0.04).map { String(format: "%.0f ms at +%.3f s", $0.length * 1000, $0.start - e.n2Started) }
        print(String(format: "[vrrp] %@: VIP sampler %d samples, period median %.1f ms, worst %.1f ms; gaps over 40 ms: %@",
                     tag, period.count, period.median * 1000, period.worst * 1000, gaps.isEmpty ? "none" : gaps.joined(separator: ", ")))
        #expect(period.median < 0.025, "the sampler keeps its 20 ms period")
    }

    /// Clean stop of the master: a priority-0 advert, then n1's first advert after skew(120).
    static func cleanStop(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110])
        defer { s.teardown() }
        _ = try await elect(s)
        let tag = "clean stop (\(label(impls)))"

        let stopped = WallClock.now()
        try s.node("n2").stop()
        let zero = try await s.awaitAdvert(from: "n2", after: stopped, priority: 0, within: .seconds(3))
        let takeover = try await s.awaitAdvert(from: "n1", after: zero.time, within: .seconds(3))
        let skew = VRRPTiming.skew(priority: 120)
        let handover = takeover.time - zero.time
        print(String(format: "[vrrp] %@: priority 0 → n1's first advert %.3f s (skew(120) %.3f s)", tag, handover, skew))
        #expect(handover >= skew - 0.02 && handover <= skew + 0.15, "handover \(handover) s, skew \(skew) s\n\(s.diagnostics())")
        #expect(takeover.priority == 120)

        try await s.awaitHolders("held by n1 alone", within: .seconds(2)) { $0 == ["n1"] }
        let released = try #require(try s.sampler.firstTime(notHeldBy: "n2", after: stopped))
        let acquired = try #require(try s.sampler.firstTime(heldBy: "n1", after: stopped))
        print(String(format: "[vrrp] %@: VIP on no node for %.3f s (sampled)", tag, acquired - released))
        #expect(try s.sampler.sharedIntervals(from: stopped).isEmpty, "no overlap\n\(s.diagnostics())")
        #expect(await s.node("n2").waitForExit(within: .seconds(5)), "the stopped daemon exits")
        if let k = s.node("n2") as? KeepalivedNode {
            #expect(k.exitStatus == 0)
            #expect(k.log().contains("sent 0 priority"))
        }
        if isKeepalived(s.node("n1")) { #expect(s.node("n1").log().contains("Backup received priority 0 advertisement")) }
    }

    /// Crash of the master (kill -9 of the process that sends adverts): n1 takes over at MDI(120)
    /// after n2's last advert; the dead node's VIP stays behind.
    static func crash(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110])
        defer { s.teardown() }
        _ = try await elect(s)
        let tag = "crash (\(label(impls)))"
        // Let one more advert pass, so the kill lands at a random phase of the interval.
        _ = try await s.awaitAdvert(from: "n2", after: WallClock.now(), within: .seconds(2))

        let killed = WallClock.now()
        try s.node("n2").crash()
        let mdi = VRRPTiming.masterDown(priority: 120)
        let takeover = try await s.awaitAdvert(from: "n1", after: killed, within: .seconds(mdi + 2))
        let last = try #require(try s.adverts(from: "n2").last { $0.time <= killed })
        let gap = takeover.time - last.time
        print(String(format: "[vrrp] %@: n2's last advert → n1's first advert %.3f s (MDI(120) %.3f s); %.3f s after the kill",
                     tag, gap, mdi, takeover.time - killed))
        #expect(gap >= mdi - 0.02 && gap <= mdi + 0.15, "takeover gap \(gap) s, MDI \(mdi) s\n\(s.diagnostics())")
        #expect(try s.adverts(from: "n2").allSatisfy { $0.time <= killed || $0.priority != 0 }, "a crash sends no priority 0")

        // Nobody removes the killed node's VIP (keepalived #2361), so two nodes hold it.
        let both = try await s.awaitHolders("held by both nodes", within: .seconds(2)) { $0 == ["n1", "n2"] }
        let firstN1 = try #require(try s.sampler.firstTime(heldBy: "n1", after: killed))
        print(String(format: "[vrrp] %@: n1 holds the VIP %.3f s after the kill; holders now %@",
                     tag, firstN1 - killed, both.holders.sorted().joined(separator: ",")))
        #expect(try s.sampler.unheldIntervals(from: killed).isEmpty, "the stale VIP means it is never unheld")
        if isKeepalived(s.node("n2")) {
            let parentExited = await s.node("n2").waitForExit(within: .seconds(3))
            print("[vrrp] \(tag): keepalived parent (-R) exited after its child was killed: \(parentExited)")
        }
    }

    /// Different passwords: each rejects the other's adverts, so both become MASTER.
    static func passwordMismatch(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110], passwords: ["s3cret", "wrong!!"])
        defer { s.teardown() }
        try await s.node("n2").start()
        try await s.node("n1").start()
        let limit = Duration.seconds(VRRPTiming.masterDown(priority: 120) + 3)
        try await s.awaitHolders("held by both nodes", within: limit) { $0 == ["n1", "n2"] }
        for node in s.nodes where isKeepalived(node) {
            try await node.awaitLog("Entering MASTER STATE", within: .seconds(2))
            try await node.awaitLog("received an invalid passwd", within: .seconds(3))
        }
        // Both advertise. Awaited, not read once: the capture's file lags the wire (see
        // `VRRPScenario.firstAdvert`), so a node that has just become MASTER may have sent an
        // advert tcpdump has not written yet.
        // A node that never advertises fails here with the scenario's diagnostics.
        for name in ["n1", "n2"] { _ = try await s.firstAdvert(from: name) }
        print("[vrrp] password mismatch (\(label(impls))): both MASTER; \"invalid passwd\" lines n1 \(s.node("n1").logCount("invalid passwd")), n2 \(s.node("n2").logCount("invalid passwd"))")
    }
}
