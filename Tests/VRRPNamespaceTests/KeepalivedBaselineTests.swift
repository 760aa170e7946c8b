import Foundation
import NetworkModel
import Testing

/// All-keepalived pairs in network namespaces: they prove the harness (topology, capture,
/// sampler, node runner) and give the reference figures the swiftvs VRRP tests and the `vrrp`
/// benchmark compare against. Topology as the interop notes' case 1: n1 priority 100, n2 110,
/// each +20 from a passing track_script, so effective 120 and 130; v2, advert_int 1, unicast,
/// auth PASS.
@Suite("keepalived VRRP baseline in namespaces", .serialized,
       .enabled(if: HarnessGate.ready, "needs root, ip netns, /usr/sbin/keepalived and tcpdump"))
struct KeepalivedBaselineTests {
    /// Starts n2 (the higher priority) first, then n1, and waits for n2 to hold the VIP. Returns
    /// when each was started.
    private func elect(_ s: VRRPScenario) async throws -> (n2Started: Double, n1Started: Double, held: Double) {
        let n2Started = WallClock.now()
        try await s.node("n2").start()
        let n1Started = WallClock.now()
        try await s.node("n1").start()
        let mdi = VRRPTiming.masterDown(priority: s.effectivePriority("n2"))
        let held = try await s.sampler.awaitHolders("held by n2 alone", within: .seconds(mdi + 3)) { $0 == ["n2"] }
        return (n2Started, n1Started, held.time)
    }

    @Test("cold start: the higher priority becomes MASTER at its Master_Down_Interval; the VIP is on exactly one node at every sample after")
    func coldStart() async throws {
        let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
        defer { s.teardown() }
        let e = try await elect(s)
        let mdi = VRRPTiming.masterDown(priority: 130)

        let first = try #require(try s.adverts(from: "n2").first, "\(s.diagnostics())")
        let election = first.time - e.n2Started
        print(String(format: "[vrrp-baseline] keepalived cold start: n2 (p130) first advert %.3f s after start (MDI %.3f s), VIP held %.3f s after start",
                     election, mdi, e.held - e.n2Started))
        #expect(election >= mdi - 0.02 && election <= mdi + 0.5, "first advert \(election) s after start, MDI \(mdi) s\n\(s.diagnostics())")

        // The advert as keepalived sends it: v2, vrid 51, effective priority, TTL 255, the VIP, PASS.
        #expect(first.version == 2 && first.vrid == 51 && first.priority == 130 && first.ttl == 255)
        #expect(first.advertInterval == 1 && first.addresses == [s.vipAddress])
        #expect(first.destination == IPAddress(s.node("n1").node.ipv4), "unicast to the peer")
        #expect(first.authType == 1 && first.authData == Array("s3cret".utf8) + [0, 0])

        // GARPs for the VIP from n2's MAC, after its first advert.
        let garp = try await s.wire.awaitAnnouncement(of: s.vipAddress, within: .seconds(2))
        #expect(garp.senderMAC == s.node("n2").node.mac && garp.kind == .arpRequest)
        #expect(garp.time >= first.time, "advert before GARP")
        print(String(format: "[vrrp-baseline] keepalived first GARP %.1f ms after its first advert", (garp.time - first.time) * 1000))

        // Two more adverts' worth of samples: exactly one holder, always n2; n1 never held it.
        _ = try await s.awaitAdvert(from: "n2", after: first.time + 1.5, within: .seconds(3))
        let after = try s.sampler.intervals(from: e.held)
        #expect(after.allSatisfy { $0.holders == ["n2"] }, "holders after the election: \(after)\n\(s.diagnostics())")
        #expect(try s.sampler.firstTime(heldBy: "n1") == nil, "n1 never holds the VIP\n\(s.diagnostics())")
        #expect(s.node("n2").logCount("Entering MASTER STATE") == 1)
        #expect(s.node("n1").logCount("Entering MASTER STATE") == 0)
        #expect(s.node("n1").logCount("Entering BACKUP STATE") >= 1)

        let period = try s.sampler.achievedPeriod()
        print(String(format: "[vrrp-baseline] VIP sampler: %d samples, period median %.1f ms, worst %.1f ms",
                     period.count, period.median * 1000, period.worst * 1000))
        let gaps = try s.sampler.gaps(longerThan: 0.04).map { String(format: "%.0f ms at +%.3f s", $0.length * 1000, $0.start - e.n2Started) }
        print("[vrrp-baseline] VIP sampler gaps over 40 ms: \(gaps.isEmpty ? "none" : gaps.joined(separator: ", "))")
        #expect(period.median < 0.025, "the sampler keeps its 20 ms period")
    }

    @Test("clean stop (SIGTERM of the parent): a priority-0 advert, then the backup's first advert after its skew")
    func cleanStop() async throws {
        let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
        defer { s.teardown() }
        _ = try await elect(s)

        let stopped = WallClock.now()
        try s.node("n2").stop()
        let zero = try await s.awaitAdvert(from: "n2", after: stopped, priority: 0, within: .seconds(3))
        let takeover = try await s.awaitAdvert(from: "n1", after: zero.time, within: .seconds(3))
        let skew = VRRPTiming.skew(priority: 120)
        let handover = takeover.time - zero.time
        print(String(format: "[vrrp-baseline] keepalived clean stop: priority 0 → n1's first advert %.3f s (skew(120) %.3f s)", handover, skew))
        #expect(handover >= skew - 0.02 && handover <= skew + 0.15, "handover \(handover) s, skew \(skew) s\n\(s.diagnostics())")
        #expect(takeover.priority == 120)

        try await s.sampler.awaitHolders("held by n1 alone", within: .seconds(2)) { $0 == ["n1"] }
        let released = try #require(try s.sampler.firstTime(notHeldBy: "n2", after: stopped))
        let acquired = try #require(try s.sampler.firstTime(heldBy: "n1", after: stopped))
        print(String(format: "[vrrp-baseline] keepalived clean stop: VIP on no node for %.3f s (sampled)", acquired - released))
        #expect(try s.sampler.sharedIntervals(from: stopped).isEmpty, "no overlap\n\(s.diagnostics())")
        #expect(await s.node("n2").waitForExit(within: .seconds(5)), "keepalived exits after SIGTERM")
        #expect((s.node("n2") as? KeepalivedNode)?.exitStatus == 0)
        #expect(s.node("n2").log().contains("sent 0 priority"))
        #expect(s.node("n1").log().contains("Backup received priority 0 advertisement"))
    }

    @Test("crash (kill -9 of the VRRP child): the backup takes over at its Master_Down_Interval; the dead node keeps the VIP")
    func crash() async throws {
        let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
        defer { s.teardown() }
        _ = try await elect(s)
        // Let at least one more advert pass, so the kill lands at a random phase of the interval.
        _ = try await s.awaitAdvert(from: "n2", after: WallClock.now(), within: .seconds(2))

        let killed = WallClock.now()
        try s.node("n2").crash()
        let mdi = VRRPTiming.masterDown(priority: 120)
        let takeover = try await s.awaitAdvert(from: "n1", after: killed, within: .seconds(mdi + 2))
        let last = try #require(try s.adverts(from: "n2").last { $0.time <= killed })
        let gap = takeover.time - last.time
        print(String(format: "[vrrp-baseline] keepalived crash: n2's last advert → n1's first advert %.3f s (MDI(120) %.3f s); %.3f s after the kill",
                     gap, mdi, takeover.time - killed))
        #expect(gap >= mdi - 0.02 && gap <= mdi + 0.15, "takeover gap \(gap) s, MDI \(mdi) s\n\(s.diagnostics())")
        #expect(try s.adverts(from: "n2").allSatisfy { $0.time <= killed || $0.priority != 0 }, "a crash sends no priority 0")

        // keepalived's known behaviour (#2361): the killed node's VIP stays, so two nodes hold it.
        let both = try await s.sampler.awaitHolders("held by both nodes", within: .seconds(2)) { $0 == ["n1", "n2"] }
        let firstN1 = try #require(try s.sampler.firstTime(heldBy: "n1", after: killed))
        print(String(format: "[vrrp-baseline] keepalived crash: n1 holds the VIP %.3f s after the kill; n2 still holds it (%@)",
                     firstN1 - killed, both.holders.sorted().joined(separator: ",")))
        #expect(try s.sampler.unheldIntervals(from: killed).isEmpty, "the stale VIP means it is never unheld")
        let parentExited = await s.node("n2").waitForExit(within: .seconds(3))
        print("[vrrp-baseline] keepalived crash: parent (-R) exited after its child was killed: \(parentExited)")
    }

    @Test("password mismatch: both nodes become MASTER and keepalived logs \"invalid passwd\"")
    func passwordMismatch() async throws {
        let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110],
                                       passwords: ["s3cret", "wrong!!"])
        defer { s.teardown() }
        try await s.node("n2").start()
        try await s.node("n1").start()
        let limit = Duration.seconds(VRRPTiming.masterDown(priority: 120) + 3)
        try await s.sampler.awaitHolders("held by both nodes", within: limit) { $0 == ["n1", "n2"] }
        for name in ["n1", "n2"] {
            try await s.node(name).awaitLog("Entering MASTER STATE", within: .seconds(2))
            try await s.node(name).awaitLog("received an invalid passwd", within: .seconds(3))
        }
        let adverts = try s.wire.adverts()
        #expect(Set(adverts.map(\.source)) == [IPAddress("198.51.100.11")!, IPAddress("198.51.100.12")!], "both advertise")
        print("[vrrp-baseline] keepalived password mismatch: n1 logs \(s.node("n1").logCount("invalid passwd")), n2 logs \(s.node("n2").logCount("invalid passwd")) \"invalid passwd\" lines")
    }

    @Test("harness: a frozen master (SIGSTOP) is replaced, and takes the VIP back when thawed")
    func freezeAndThaw() async throws {
        let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
        defer { s.teardown() }
        _ = try await elect(s)
        let pid = try #require(s.node("n2").vrrpPID)

        let frozen = WallClock.now()
        try s.topology.freeze(pid: pid)
        let mdi = VRRPTiming.masterDown(priority: 120)
        let takeover = try await s.awaitAdvert(from: "n1", after: frozen, within: .seconds(mdi + 2))
        #expect(takeover.time - frozen <= mdi + 0.15)
        try await s.sampler.awaitHolders("held by both (n2 frozen with it)", within: .seconds(2)) { $0 == ["n1", "n2"] }

        let thawed = WallClock.now()
        try s.topology.unfreeze(pid: pid)
        try await s.sampler.awaitHolders("back on n2 alone", within: .seconds(3)) { $0 == ["n2"] }
        try await s.node("n1").awaitLog("higher priority 130", within: .seconds(1))
        print(String(format: "[vrrp-baseline] keepalived thaw: n1 released the VIP %.3f s after SIGCONT",
                     try #require(try s.sampler.firstTime(notHeldBy: "n1", after: thawed)) - thawed))
    }

    @Test("harness: the master's link down → FAULT and the backup takes over; link up → the master preempts back")
    func linkDownAndUp() async throws {
        let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
        defer { s.teardown() }
        _ = try await elect(s)
        let n2 = s.topology.nodes[1]

        let down = WallClock.now()
        try s.topology.linkDown(n2)
        try await s.node("n2").awaitLog("Entering FAULT STATE", within: .seconds(2))
        let mdi = VRRPTiming.masterDown(priority: 120)
        try await s.sampler.awaitHolders("held by n1 alone", within: .seconds(mdi + 2)) { $0 == ["n1"] }
        let n1Held = try #require(try s.sampler.firstTime(heldBy: "n1", after: down))
        print(String(format: "[vrrp-baseline] keepalived link down: n1 holds the VIP %.3f s after n2's link went down (MDI(120) %.3f s)",
                     n1Held - down, mdi))
        #expect(n1Held - down <= mdi + 0.2)

        let up = WallClock.now()
        try s.topology.linkUp(n2)
        let mdi2 = VRRPTiming.masterDown(priority: 130)
        try await s.sampler.awaitHolders("back on n2 alone", within: .seconds(mdi2 + 3)) { $0 == ["n2"] }
        let n2Back = try #require(try s.sampler.firstTime(heldBy: "n2", after: up))
        print(String(format: "[vrrp-baseline] keepalived link up: n2 holds the VIP again %.3f s after link up", n2Back - up))
        let shared = try s.sampler.sharedIntervals(from: up)
        print("[vrrp-baseline] keepalived link up: overlap while n2 took it back: \(shared)")
    }
}
