import Foundation
import NetworkModel
import Testing

/// nopreempt and preempt_delay (issue 16; interop notes case 4) on the pair of `VRRPCases`:
/// n1 100 (120), n2 110 (130), state BACKUP everywhere.
enum VRRPPreemptionCases {
    /// nopreempt: n2 is MASTER, stops cleanly, n1 takes over; n2 restarts and stays BACKUP past
    /// its Master_Down_Interval and two more adverts of n1.
    static func nopreempt(_ impls: [VRRPImplementation]) async throws {
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { _, _, instance in
            instance.nopreempt = true
        }
        defer { s.teardown() }
        let tag = "nopreempt (\(VRRPCases.label(impls)))"
        _ = try await VRRPCases.elect(s)
        try s.node("n2").stop()
        #expect(await s.node("n2").waitForExit(within: .seconds(5)))
        try await s.awaitHolders("held by n1 alone", within: .seconds(3)) { $0 == ["n1"] }

        let restarted = WallClock.now()
        try await s.node("n2").start()
        let mdi = VRRPTiming.masterDown(priority: 130)
        let last = try await s.awaitAdvert(from: "n1", after: restarted + mdi + 2, within: .seconds(mdi + 4))
        #expect(try s.sampler.intervals(from: restarted).allSatisfy { $0.holders == ["n1"] }, "n1 keeps the VIP\n\(s.diagnostics())")
        #expect(try s.adverts(from: "n2").allSatisfy { $0.time < restarted }, "the restarted n2 never advertises\n\(s.diagnostics())")
        #expect(s.node("n2").logCount("Entering MASTER STATE") == 0, "\(s.node("n2").log())")
        #expect(s.node("n2").logCount("Entering BACKUP STATE") >= 1)
        print(String(format: "[vrrp] %@: the restarted n2 (130) stayed BACKUP for %.3f s (MDI(130) %.3f s) under n1 (120)",
                     tag, last.time - restarted, mdi))
    }

    /// preempt_delay 3: n1 is MASTER; n2 (130) starts, accepts n1's lower adverts for 3 s from the
    /// first one it hears, then lets its down timer run out: it takes over at
    /// (n1's last advert before the delay ended) + MDI(130), i.e. about 3 s later than without.
    static func preemptDelay(_ impls: [VRRPImplementation]) async throws {
        let delay = 3.0
        let s = try await VRRPScenario(implementations: impls, priorities: [100, 110]) { _, _, instance in
            instance.preemptDelay = Int(delay)
        }
        defer { s.teardown() }
        let tag = "preempt_delay 3 (\(VRRPCases.label(impls)))"
        try await s.node("n1").start()
        try await s.awaitHolders("held by n1", within: .seconds(VRRPTiming.masterDown(priority: 120) + 3)) { $0 == ["n1"] }

        let started = WallClock.now()
        try await s.node("n2").start()
        let heard = try await s.awaitAdvert(from: "n1", after: WallClock.now(), within: .seconds(2))
        let mdi = VRRPTiming.masterDown(priority: 130)
        let takeover = try await s.awaitAdvert(from: "n2", after: started, within: .seconds(delay + mdi + 3))
        let fromHeard = takeover.time - heard.time
        print(String(format: "[vrrp] %@: n2 took over %.3f s after its start, %.3f s after the first lower advert it heard (delay %.0f + MDI(130) %.3f, minus up to one interval); without the delay it would be MDI after its start",
                     tag, takeover.time - started, fromHeard, delay, mdi))
        // The last accepted advert is 2 or 3 intervals after the first (an advert lands on the
        // delay's end); the takeover is MDI after it.
        #expect(fromHeard >= delay - 1 + mdi - 0.05 && fromHeard <= delay + mdi + 0.25,
                "takeover \(fromHeard) s after the first lower advert\n\(s.diagnostics())")
        #expect(takeover.time - started >= delay + mdi - 1 - 0.05, "the delay is added to the preemption\n\(s.diagnostics())")
        try await s.awaitHolders("held by n2 alone", within: .seconds(2)) { $0 == ["n2"] }
    }
}
