import Foundation
import NetworkModel
import Testing

/// The VIP's continuity (issue 16): exactly one holder at every 20 ms sample outside the
/// takeover windows, GARP bursts after each takeover, no second holder after a restart that
/// follows a kill -9, and no transition on a SIGHUP that changes nothing.
enum VRRPContinuityCases {
    /// garp_master_repeat in the continuity case (keepalived's default is 5; 3 shows it is read).
    static let garpRepeat = 3

    /// Cold start, clean stop of n2, its restart (it preempts back), then a kill -9 of n2.
    /// Outside each takeover window (from the action to the new master's first sample) the VIP is
    /// on exactly one node; each takeover is followed by `garp_master_repeat` GARPs from the new
    /// master's MAC for the VIP (and no GARP from anyone else).
    static func sequence(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { _, _, instance in
            instance.extraLines = ["garp_master_repeat \(garpRepeat)", "garp_master_delay 0"]
        }
        defer { s.teardown() }
        let tag = "continuity (\(VRRPCases.label(impls)))"
        var windows: [(start: Double, end: Double)] = []
        var takeovers: [(name: String, at: Double)] = []

        let e = try await VRRPCases.elect(s)
        windows.append((0, e.held))
        takeovers.append(("n2", e.held))

        let stopped = WallClock.now()
        try s.node("n2").stop()
        let n1Held = try await s.awaitHolders("held by n1 alone", within: .seconds(3)) { $0 == ["n1"] }
        windows.append((stopped, n1Held.time))
        takeovers.append(("n1", n1Held.time))
        #expect(await s.node("n2").waitForExit(within: .seconds(5)))
        _ = try await s.awaitAdvert(from: "n1", after: n1Held.time + 1, within: .seconds(3))

        let restarted = WallClock.now()
        try await s.node("n2").start()
        let mdi = VRRPTiming.masterDown(priority: 130)
        let n2Back = try await s.awaitHolders("back on n2 alone", within: .seconds(mdi + 3)) { $0 == ["n2"] }
        windows.append((restarted + mdi - 0.05, n2Back.time))
        takeovers.append(("n2", n2Back.time))
        _ = try await s.awaitAdvert(from: "n2", after: n2Back.time + 1.5, within: .seconds(3))

        let killed = WallClock.now()
        try s.node("n2").crash()
        let both = try await s.awaitHolders("held by both (stale VIP on the killed n2)", within: .seconds(VRRPTiming.masterDown(priority: 120) + 2)) {
            $0 == ["n1", "n2"]
        }
        // The first sample with both (a stalled sampler can append several at once).
        let bothFirst = try #require(try s.sampler.firstTime(heldBy: "n1", after: killed))
        takeovers.append(("n1", bothFirst))
        _ = try await s.awaitAdvert(from: "n1", after: both.time + 1.2, within: .seconds(3))
        let end = WallClock.now()

        // Every sample outside the windows (and before the crash's takeover) has one holder.
        let samples = try s.sampler.samples().filter { t in
            t.time < bothFirst && !windows.contains { t.time >= $0.start && t.time <= $0.end }
        }
        let bad = samples.filter { $0.holders.count != 1 }
        let period = try s.sampler.achievedPeriod()
        print(String(format: "[vrrp] %@: %d samples outside the takeover windows (period median %.1f ms, worst %.1f ms), %d with other than one holder; windows %@",
                     tag, samples.count, period.median * 1000, period.worst * 1000, bad.count,
                     windows.dropFirst().map { String(format: "%.3f s", $0.end - $0.start) }.joined(separator: ", ")))
        #expect(bad.isEmpty, "samples with 0 or 2+ holders: \(bad.prefix(5))\n\(s.diagnostics())")
        #expect(try s.sampler.unheldIntervals(from: killed, to: end).isEmpty, "after the kill the VIP is never unheld")
        let overlap = try s.sampler.sharedIntervals(from: e.held, to: bothFirst - 0.001)
        #expect(overlap.allSatisfy { $0.duration < 0.05 }, "overlaps at handovers: \(overlap)")

        // GARPs: a burst of garp_master_repeat from the new master after each takeover.
        let announcements = try s.wire.announcements().filter { $0.senderIP == s.vipAddress }
        var report: [String] = []
        for (i, t) in takeovers.enumerated() {
            let next = i + 1 < takeovers.count ? takeovers[i + 1].at - 0.2 : end
            let mac = s.node(t.name).node.mac
            // A stale holder's kernel answers the new master's gratuitous requests for an address
            // it still has (after kill -9 the old master keeps the VIP): that reply, sender and
            // target the VIP, is the kernel's, not an announcement; any other packet counts.
            let burst = announcements.filter {
                $0.time >= t.at - 0.2 && $0.time < next && !($0.kind == .arpReply && $0.senderMAC != mac)
            }
            let first = burst.first?.time ?? 0
            report.append(String(format: "%@ %d (%.0f ms after the VIP)", t.name, burst.count, (first - t.at) * 1000))
            #expect(burst.count == garpRepeat && burst.allSatisfy { $0.senderMAC == mac && $0.kind == .arpRequest },
                    "takeover \(i) by \(t.name): \(burst)\n\(s.diagnostics())")
        }
        print("[vrrp] \(tag): GARP bursts after each takeover: \(report.joined(separator: "; "))")
    }

    /// kill -9 of the master n2 leaves its VIP (so n1 and n2 both hold it); swiftvs restarted on
    /// n2 removes the stale VIP before it takes part in any election, so from then on there is
    /// never a second holder: n1 alone, then n2 alone after it preempts.
    static func restartAfterKill(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110])
        defer { s.teardown() }
        let tag = "restart after kill -9 (\(VRRPCases.label(impls)))"
        _ = try await VRRPCases.elect(s)
        try s.node("n2").crash()
        try await s.awaitHolders("held by both", within: .seconds(VRRPTiming.masterDown(priority: 120) + 2)) { $0 == ["n1", "n2"] }
        #expect(await s.node("n2").waitForExit(within: .seconds(3)))

        let restarted = WallClock.now()
        try await s.node("n2").start()
        let mdi = VRRPTiming.masterDown(priority: 130)
        try await s.awaitHolders("back on n2 alone", within: .seconds(mdi + 4)) { $0 == ["n2"] }
        let removed = try #require(try s.sampler.firstTime(notHeldBy: "n2", after: restarted))
        let firstAdvert = try await s.firstAdvert(from: "n2", after: restarted)
        print(String(format: "[vrrp] %@: the stale VIP went %.3f s after the restart, n2's first advert %.3f s after the restart",
                     tag, removed - restarted, firstAdvert.time - restarted))
        #expect(removed < firstAdvert.time, "removed before any election")
        #expect(removed - restarted < 2, "removed at start\n\(s.diagnostics())")
        #expect(try s.sampler.sharedIntervals(from: removed).allSatisfy { $0.duration < 0.05 }, "no second holder after the restart\n\(s.diagnostics())")
        #expect(s.node("n2").log().contains("removed 198.51.100.39"), "the removal is logged\n\(s.node("n2").log())")
    }

    /// SIGHUP with the same file, then with a comment added above the instance: no transition
    /// ("Entering" lines unchanged), the VIP stays on n2 at every sample, no GARP after the reload.
    static func reloadUnchanged(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { _, _, instance in
            instance.extraLines = ["garp_master_delay 0"]   // no second GARP burst 5 s after the election
        }
        defer { s.teardown() }
        let tag = "SIGHUP unchanged (\(VRRPCases.label(impls)))"
        let e = try await VRRPCases.elect(s)
        _ = try await s.awaitAdvert(from: "n2", after: e.held + 1.2, within: .seconds(3))
        let before = s.nodes.map { $0.logCount("Entering") }
        let reloaded = WallClock.now()

        for variant in ["same file", "comment added above the instance"] {
            for node in s.nodes {
                var config = node.config
                if variant != "same file" { config.instances[0].leadingComment = "reloaded at \(WallClock.now())" }
                let hups = node.logCount("reload: reading")
                try node.reload(with: config)
                try await awaitCondition("\(node.node) to reload", within: .seconds(3)) { node.logCount("reload: reading") > hups }
            }
            // Two more adverts of n2 after the reload.
            let t = WallClock.now()
            _ = try await s.awaitAdvert(from: "n2", after: t + 1.1, within: .seconds(3))
            print("[vrrp] \(tag): \(variant): reloaded; n2 logged \(s.node("n2").log().split(whereSeparator: \.isNewline).filter { $0.contains("reload") }.count) reload lines")
        }
        #expect(s.nodes.map { $0.logCount("Entering") } == before, "no transition\n\(s.diagnostics())")
        #expect(try s.sampler.intervals(from: reloaded).allSatisfy { $0.holders == ["n2"] }, "\(s.diagnostics())")
        let gaps = try s.sampler.gaps(longerThan: 0.04).filter { $0.start >= reloaded }
        let garps = try s.wire.announcements().filter { $0.time >= reloaded }
        #expect(garps.isEmpty, "no GARP burst on reload: \(garps)")
        #expect(try s.adverts(from: "n1").allSatisfy { $0.time < e.held }, "n1 never advertises")
        print("[vrrp] \(tag): no transition, VIP on n2 at every sample, \(garps.count) GARPs after the reload, sampler gaps over 40 ms: \(gaps.count)")
    }
}

extension VRRPContinuityCases {
    /// A reload that takes longer than the peer's Master_Down_Interval (issue 16: "a reload that
    /// takes time never lets a peer take over"): the master n2 is sent SIGHUP with a file that
    /// includes a FIFO nobody writes to for 5 s, so reading the new configuration blocks. n2 must
    /// keep advertising all along (no gap over an interval and a bit), n1 must stay BACKUP and
    /// silent, the VIP on n2 at every sample; once the FIFO is written, the reload completes with
    /// no transition.
    static func slowReload(_ impls: [VRRPImplementation]) async throws {
        precondition(impls[1] == .swiftvs, "n2, the reloaded master, is the daemon under test")
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110])
        defer { s.teardown() }
        let tag = "slow reload (\(VRRPCases.label(impls)))"
        let e = try await VRRPCases.elect(s)
        _ = try await s.awaitAdvert(from: "n2", after: e.held + 1.1, within: .seconds(3))
        let n2 = s.node("n2")
        let fifo = s.topology.path("slow.conf")
        guard mkfifo(fifo, 0o600) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var config = n2.config
        config.includes = [fifo]
        let before = s.nodes.map { $0.logCount("Entering") }
        let reloaded = WallClock.now()
        try n2.reload(with: config)

        let hold = 5.0
        #expect(hold > VRRPTiming.masterDown(priority: 120) + 1, "the reload outlasts n1's Master_Down_Interval")
        try await Task.sleep(for: .seconds(hold))   // the stall itself is what is tested: nothing to await
        #expect(n2.logCount("reload: reading") == 1 && n2.logCount(" applied") == 0,
                "the reload is still blocked on the FIFO\n\(n2.log())")
        // Non-blocking: with no reader (the reload never opened the FIFO) this fails at once
        // with ENXIO instead of hanging the test.
        let fd = open(fifo, O_WRONLY | O_NONBLOCK)
        try #require(fd >= 0, "the reload has the FIFO open for reading: \(String(cString: strerror(errno)))")
        let writer = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        writer.write(Data("# written \(hold) s after SIGHUP\n".utf8))
        try writer.close()
        try await awaitCondition("n2 to finish the reload", within: .seconds(5)) { n2.logCount(" applied") == 1 }
        _ = try await s.awaitAdvert(from: "n2", after: WallClock.now() + 1.1, within: .seconds(3))

        let adverts = try s.adverts(from: "n2").map(\.time).filter { $0 >= reloaded - 1.5 }
        let longest = zip(adverts, adverts.dropFirst()).map { $1 - $0 }.max() ?? .infinity
        print(String(format: "[vrrp] %@: reload blocked %.1f s on a FIFO include; n2's longest advert gap %.3f s (advert_int 1, n1's MDI %.3f s)",
                     tag, hold, longest, VRRPTiming.masterDown(priority: 120)))
        #expect(longest < 1.3, "n2 kept advertising while its reload was blocked\n\(s.diagnostics())")
        #expect(try s.adverts(from: "n1").allSatisfy { $0.time < e.held }, "n1 never advertises\n\(s.diagnostics())")
        #expect(try s.sampler.intervals(from: reloaded).allSatisfy { $0.holders == ["n2"] }, "\(s.diagnostics())")
        #expect(s.nodes.map { $0.logCount("Entering") } == before, "no transition\n\(s.diagnostics())")
    }
}
