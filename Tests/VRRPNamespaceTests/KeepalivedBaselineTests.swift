import Foundation
import NetworkModel
import Testing

extension VRRPNamespace {
    /// All-keepalived pairs in network namespaces (the cases in `VRRPCases`): they prove the
    /// harness (topology, capture, sampler, node runner) and give the reference figures the swiftvs
    /// VRRP tests and the `vrrp` benchmark compare against. The last two exercise the harness's
    /// freeze and link controls.
    @Suite("keepalived VRRP baseline in namespaces", .serialized,
           .enabled(if: HarnessGate.ready, "needs root, ip netns, /usr/sbin/keepalived and tcpdump"))
    struct KeepalivedBaselineTests {
        private let pair: [VRRPImplementation] = [.keepalived, .keepalived]

        private func elect(_ s: VRRPScenario) async throws { _ = try await VRRPCases.elect(s) }

        @Test("cold start: the higher priority becomes MASTER at its Master_Down_Interval; the VIP is on exactly one node at every sample after")
        func coldStart() async throws { try await VRRPCases.coldStart(pair) }

        @Test("clean stop (SIGTERM of the parent): a priority-0 advert, then the backup's first advert after its skew")
        func cleanStop() async throws { try await VRRPCases.cleanStop(pair) }

        @Test("crash (kill -9 of the VRRP child): the backup takes over at its Master_Down_Interval; the dead node keeps the VIP")
        func crash() async throws { try await VRRPCases.crash(pair) }

        @Test("password mismatch: both nodes become MASTER and keepalived logs \"invalid passwd\"")
        func passwordMismatch() async throws { try await VRRPCases.passwordMismatch(pair) }

        @Test("v3 over IPv6, unicast: the higher priority becomes MASTER, sends v3 adverts and an unsolicited NA with the override flag")
        func ipv6ColdStart() async throws {
            let s = try await VRRPScenario(implementations: pair, priorities: [100, 110], ipv6: true)
            defer { s.teardown() }
            let started = WallClock.now()
            try await elect(s)
            let first = try await s.firstAdvert(from: "n2")
            let mdi = VRRPTiming.masterDown(priority: 130, advertInterval: 1, version: 3)
            print(String(format: "[vrrp] keepalived v3/IPv6: n2 first advert %.3f s after start (MDI %.3f s), hop limit %d",
                         first.time - started, mdi, first.ttl))
            #expect(first.version == 3 && first.vrid == 51 && first.priority == 130 && first.advertInterval == 1)
            #expect(first.addresses == [s.vipAddress] && first.destination == s.address(of: "n1"))
            #expect(first.authType == nil && first.payload.count == 8 + 16, "v3: no auth bytes, one IPv6 address")
            let na = try await s.wire.awaitAnnouncement(of: s.vipAddress, within: .seconds(2))
            #expect(na.kind == .neighborAdvert && na.detail == "O" && na.senderMAC == s.node("n2").node.mac)
            _ = try await s.awaitAdvert(from: "n2", after: first.time + 1.5, within: .seconds(3))
            let held = try #require(try s.sampler.firstTime(heldBy: "n2"))
            #expect(try s.sampler.intervals(from: held).allSatisfy { $0.holders == ["n2"] }, "\(s.diagnostics())")
        }

        @Test("nopreempt: a higher priority that starts later stays BACKUP; notify reports each transition")
        func nopreemptAndNotify() async throws {
            var recorders: [NotifyRecorder] = []
            let s = try await VRRPScenario(implementations: pair, priorities: [100, 110]) { topology, i, instance in
                let recorder = try NotifyRecorder(directory: topology.directory, label: topology.nodes[i].name)
                recorders.append(recorder)
                instance.nopreempt = true
                instance.notifyLines = [recorder.notifyLine]
            }
            defer { s.teardown() }
            try await s.node("n1").start()
            try await s.awaitHolders("held by n1", within: .seconds(VRRPTiming.masterDown(priority: 120) + 3)) { $0 == ["n1"] }
            let n2Started = WallClock.now()
            try await s.node("n2").start()
            // Past n2's Master_Down_Interval plus an advert: with preemption it would have taken over.
            _ = try await s.awaitAdvert(from: "n1", after: n2Started + VRRPTiming.masterDown(priority: 130) + 0.5, within: .seconds(6))
            #expect(try s.sampler.intervals(from: n2Started).allSatisfy { $0.holders == ["n1"] }, "\(s.diagnostics())")
            #expect(s.node("n2").logCount("Entering MASTER STATE") == 0)
            #expect(!recorders[1].lines().contains { $0.contains("MASTER") })
            try await awaitCondition("notify lines", within: .seconds(2)) {
                // The first BACKUP line carries the priority before the track script's first success.
                recorders[0].lines().contains("INSTANCE VI_1 MASTER 120")
                    && recorders[1].lines().contains { $0.hasPrefix("INSTANCE VI_1 BACKUP ") }
            }
            print("[vrrp] keepalived nopreempt: notify n1 \(recorders[0].lines()), n2 \(recorders[1].lines())")
        }

        @Test("harness: a frozen master (SIGSTOP) is replaced, and takes the VIP back when thawed")
        func freezeAndThaw() async throws {
            let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
            defer { s.teardown() }
            try await elect(s)
            let pid = try #require(s.node("n2").vrrpPID)

            let frozen = WallClock.now()
            try s.topology.freeze(pid: pid)
            let mdi = VRRPTiming.masterDown(priority: 120)
            let takeover = try await s.awaitAdvert(from: "n1", after: frozen, within: .seconds(mdi + 2))
            #expect(takeover.time - frozen <= mdi + 0.15)
            try await s.awaitHolders("held by both (n2 frozen with it)", within: .seconds(2)) { $0 == ["n1", "n2"] }

            let thawed = WallClock.now()
            try s.topology.unfreeze(pid: pid)
            try await s.awaitHolders("back on n2 alone", within: .seconds(3)) { $0 == ["n2"] }
            try await s.node("n1").awaitLog("higher priority 130", within: .seconds(1))
            print(String(format: "[vrrp] keepalived thaw: n1 released the VIP %.3f s after SIGCONT",
                         try #require(try s.sampler.firstTime(notHeldBy: "n1", after: thawed)) - thawed))
        }

        @Test("harness: the master's link down → FAULT and the backup takes over; link up → the master preempts back")
        func linkDownAndUp() async throws {
            let s = try await VRRPScenario(implementations: [.keepalived, .keepalived], priorities: [100, 110])
            defer { s.teardown() }
            try await elect(s)
            let n2 = s.topology.nodes[1]

            let down = WallClock.now()
            try s.topology.linkDown(n2)
            try await s.node("n2").awaitLog("Entering FAULT STATE", within: .seconds(2))
            let mdi = VRRPTiming.masterDown(priority: 120)
            // Measured on the wire (kernel timestamps), from the last advert n1 heard: the link
            // goes down only once `ip` has run, after `down` by as long as starting it takes on
            // a loaded machine, and `down` itself comes a sampler's look after an advert.
            let takeover = try await s.awaitAdvert(from: "n1", after: down, within: .seconds(mdi + 30))
            let last = try #require(try s.adverts(from: "n2").last { $0.time < takeover.time }, "\(s.diagnostics())")
            let gap = takeover.time - last.time
            try await s.awaitHolders("held by n1 alone", within: .seconds(30)) { $0 == ["n1"] }
            let n1Held = try #require(try s.sampler.firstTime(heldBy: "n1", after: down))
            print(String(format: "[vrrp] keepalived link down: n2's last advert → n1's first advert %.3f s (MDI(120) %.3f s); n1 holds the VIP %.3f s after n2's link went down",
                         gap, mdi, n1Held - down))
            #expect(gap >= mdi - 0.02 && gap <= mdi + 0.2, "takeover gap \(gap) s, MDI \(mdi) s\n\(s.diagnostics())")
            // n1 holds the VIP within MDI + 0.2 s of the last advert it heard: no sample without
            // it after that (the last one before n1Held, so a late sample of the sampler's own
            // cannot pass for n1's lateness).
            let lastWithout = try #require(try s.sampler.samples().last { $0.time < n1Held })
            #expect(lastWithout.time - last.time <= mdi + 0.2, "a sample without n1 \(lastWithout.time - last.time) s after n2's last advert, MDI \(mdi) s\n\(s.diagnostics())")

            let up = WallClock.now()
            try s.topology.linkUp(n2)
            let mdi2 = VRRPTiming.masterDown(priority: 130)
            try await s.awaitHolders("back on n2 alone", within: .seconds(mdi2 + 3)) { $0 == ["n2"] }
            let n2Back = try #require(try s.sampler.firstTime(heldBy: "n2", after: up))
            print(String(format: "[vrrp] keepalived link up: n2 holds the VIP again %.3f s after link up", n2Back - up))
            let shared = try s.sampler.sharedIntervals(from: up)
            print("[vrrp] keepalived link up: overlap while n2 took it back: \(shared)")
        }
    }
}
