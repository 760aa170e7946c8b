import TimeBase
import NetworkModel
import Testing
@testable import VRRP

/// The state machine transition by transition, with a manual clock (RFC 5798 §6.4 and
/// keepalived 2.2.7's behaviour as in shared/notes/vrrp-interop.md).
@Suite struct StateMachineTests {
    let mdi100 = Duration.microseconds(3_609_375)   // v2, adv 1, p 100
    let mdi120 = Duration.microseconds(3_531_250)   // v2, adv 1, p 120

    func becomeMasterActions(_ priority: UInt8, from: VRRPState, reason: String,
                             advertAt: Moment) -> [VRRPAction] {
        [.sendAdvert(priority: priority), .addVirtualAddresses, .sendAnnouncements(.becameMaster),
         .stateChanged(from: from, to: .master, reason: reason), .setSyncDaemonRole(.master),
         .setTimer(.advert, deadline: advertAt)]
    }

    // MARK: start-up

    @Test func backupStartsInBackupAndWaitsTheFullMasterDownInterval() {
        var m = machine()
        #expect(m.handle(.start, now: Clock.t0) == [
            .removeVirtualAddresses, .setSyncDaemonRole(.backup),
            .stateChanged(from: .initialize, to: .backup, reason: "init"),
            .setTimer(.masterDown, deadline: Clock.at(mdi100)),
        ])
        // Early (stale) fire: ignored.
        #expect(m.handle(.masterDownTimerFired, now: Clock.at(ms: 3609)) == [])
        #expect(m.state == .backup)
        let reason = "no advert received within the master down interval"
        #expect(m.handle(.masterDownTimerFired, now: Clock.at(mdi100))
                == becomeMasterActions(100, from: .backup, reason: reason, advertAt: Clock.at(mdi100 + .seconds(1))))
        #expect(m.state == .master)
        #expect(m.masterAddress == addressA)
        #expect(m.handle(.advertTimerFired, now: Clock.at(mdi100 + .seconds(1)))
                == [.sendAdvert(priority: 100), .setTimer(.advert, deadline: Clock.at(mdi100 + .seconds(2)))])
    }

    @Test func stateMasterBelow255WaitsOneIntervalPlusMinimumSkew() {
        var m = machine(state: .master)
        let actions = m.handle(.start, now: Clock.t0)
        #expect(m.state == .backup)
        #expect(actions.last == .setTimer(.masterDown, deadline: Clock.at(.microseconds(1_003_906))))
        var v3 = machine(state: .master, version: .v3, interval: .milliseconds(500))
        #expect(v3.handle(.start, now: Clock.t0).last == .setTimer(.masterDown, deadline: Clock.at(.microseconds(501_953))))
    }

    @Test func ownerWithStateMasterIsMasterAtOnce() {
        var m = machine(priority: 255, state: .master)
        #expect(m.handle(.start, now: Clock.t0) == [.removeVirtualAddresses]
                + becomeMasterActions(255, from: .initialize, reason: "init: priority 255 address owner",
                                      advertAt: Clock.at(.seconds(1))))
        // Owner with state BACKUP still waits (keepalived: only MASTER+255 skips the wait).
        var b = machine(priority: 255, state: .backup)
        _ = b.handle(.start, now: Clock.t0)
        #expect(b.state == .backup)
        #expect(b.deadlines[.masterDown] == Clock.at(.microseconds(3_003_906)))
    }

    // MARK: elections

    @Test func electionByPriority() {
        var lan = Cluster([machine(priority: 100, address: addressA), machine(priority: 120, address: addressB)])
        lan.send(0, .start)
        lan.send(1, .start)
        lan.run(until: Clock.at(.seconds(30)))
        #expect(lan.states == [.backup, .master])
        #expect(lan.becameMaster(1) == Clock.at(mdi120))
        #expect(lan.becameMaster(0) == nil)
        #expect(lan.nodes[0].masterAddress == addressB)
    }

    @Test func tieGoesToTheHigherAddress() {
        // Same priority: while both are master (a partition), then the LAN heals.
        var lan = Cluster([machine(address: addressB), machine(address: addressA)])
        lan.partitioned = true
        lan.send(0, .start)
        lan.send(1, .start)
        lan.run(until: Clock.at(.seconds(5)))
        #expect(lan.states == [.master, .master])
        lan.partitioned = false
        lan.run(until: Clock.at(.seconds(7)))
        #expect(lan.states == [.master, .backup])

        var low = machine(address: addressA)
        _ = low.handle(.start, now: Clock.t0)
        _ = low.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        let step = low.handle(advert(100, from: addressB), now: Clock.at(.seconds(4)))
        #expect(step.contains(.stateChanged(from: .master, to: .backup,
                                             reason: "received higher priority advert (100) from 198.51.100.12")))
        var high = machine(address: addressB)
        _ = high.handle(.start, now: Clock.t0)
        _ = high.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        #expect(high.handle(advert(100, from: addressA), now: Clock.at(.seconds(4)))
                == [.sendAdvert(priority: 100), .sendAnnouncements(.lowerPriorityAdvert)])
        // Our own advert echoed back (own address in the peer list): ignored.
        #expect(high.handle(advert(100, from: addressB), now: Clock.at(.seconds(4))) == [])
    }

    @Test func preemptionByAHigherPriorityNodeThatStartsLater() {
        var lan = Cluster([machine(priority: 100, address: addressA), machine(priority: 120, address: addressB)])
        lan.send(0, .start)
        lan.run(until: Clock.at(.seconds(10)))
        #expect(lan.states == [.master, .initialize])
        lan.send(1, .start)
        lan.run(until: Clock.at(.seconds(30)))
        #expect(lan.states == [.backup, .master])
        // The lower adverts were discarded, so B waited exactly its MDI from its start.
        #expect(lan.becameMaster(1) == Clock.at(.seconds(10) + mdi120))
        #expect(lan.nodes[1].counters.lowerPriorityDiscarded >= 3)
    }

    @Test func nopreemptKeepsTheLowerMaster() {
        var lan = Cluster([machine(priority: 100, address: addressA),
                           machine(priority: 120, address: addressB, nopreempt: true)])
        lan.send(0, .start)
        lan.run(until: Clock.at(.seconds(10)))
        lan.send(1, .start)
        lan.run(until: Clock.at(.seconds(60)))
        #expect(lan.states == [.master, .backup])
        // nopreempt is ignored with state MASTER, as keepalived does.
        #expect(machine(state: .master, nopreempt: true).configuration.effectiveNopreempt == false)
        #expect(machine(priority: 255, nopreempt: true).configuration.effectiveNopreempt == false)
    }

    @Test func preemptDelayHeedsLowerAdvertsUntilItPasses() {
        var m = machine(priority: 120, preemptDelay: .seconds(5))
        _ = m.handle(.start, now: Clock.t0)
        #expect(m.handle(advert(100), now: Clock.at(.seconds(1))) == [
            .setTimer(.preemptDelay, deadline: Clock.at(.seconds(6))),
            .setTimer(.masterDown, deadline: Clock.at(.seconds(1) + mdi120)),
        ])
        for s in 2...5 {
            #expect(m.handle(advert(100), now: Clock.at(.seconds(s)))
                    == [.setTimer(.masterDown, deadline: Clock.at(.seconds(s) + mdi120))])
        }
        #expect(m.handle(.preemptDelayExpired, now: Clock.at(.seconds(6))) == [])
        #expect(m.handle(advert(100), now: Clock.at(.seconds(6))) == [])
        #expect(m.counters.lowerPriorityDiscarded == 1)
        #expect(m.handle(.masterDownTimerFired, now: Clock.at(.seconds(5) + mdi120)).contains(.addVirtualAddresses))
        #expect(m.state == .master)
    }

    @Test func preemptDelayStopsWhenAHigherMasterIsHeard() {
        var m = machine(priority: 120, preemptDelay: .seconds(5))
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(advert(100), now: Clock.at(.seconds(1)))
        #expect(m.handle(advert(130), now: Clock.at(.seconds(2)))
                == [.cancelTimer(.preemptDelay), .setTimer(.masterDown, deadline: Clock.at(.seconds(2) + mdi120))])
    }

    // MARK: priority 0, higher and lower priorities

    @Test func priorityZeroFromTheMasterSetsTheBackupTimerToSkew() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(advert(120), now: Clock.at(.seconds(1)))
        #expect(m.handle(advert(0), now: Clock.at(.seconds(2)))
                == [.setTimer(.masterDown, deadline: Clock.at(.seconds(2) + .microseconds(609_375)))])
        #expect(m.counters.priorityZeroReceived == 1)
        let actions = m.handle(.masterDownTimerFired, now: Clock.at(.seconds(2) + .microseconds(609_375)))
        #expect(actions.first == .sendAdvert(priority: 100))
        #expect(m.state == .master)
    }

    @Test func cleanStopHandsOverWithinSkew() {
        var lan = Cluster([machine(priority: 120, address: addressA), machine(priority: 100, address: addressB)])
        lan.send(0, .start)
        lan.send(1, .start)
        lan.run(until: Clock.at(.seconds(10)))
        #expect(lan.states == [.master, .backup])
        lan.send(0, .stop)
        lan.run(until: Clock.at(.seconds(20)))
        #expect(lan.states == [.stop, .master])
        #expect(lan.becameMaster(1) == Clock.at(.seconds(10) + .microseconds(609_375)))
    }

    @Test func masterHearingHigherPriorityStepsDown() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        #expect(m.handle(advert(150), now: Clock.at(.seconds(5))) == [
            .cancelTimer(.advert), .setSyncDaemonRole(.backup), .removeVirtualAddresses,
            .stateChanged(from: .master, to: .backup, reason: "received higher priority advert (150) from 198.51.100.12"),
            .setTimer(.masterDown, deadline: Clock.at(.seconds(5) + mdi100)),
        ])
        #expect(m.masterAddress == addressB)

        var loud = machine(higherPrioritySendAdvert: true)
        _ = loud.handle(.start, now: Clock.t0)
        _ = loud.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        #expect(loud.handle(advert(150), now: Clock.at(.seconds(5))).first == .sendAdvert(priority: 100))
    }

    @Test func masterHearingPriorityZeroOrLowerReAdvertises() {
        var m = machine(priority: 150)
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownTimerFired, now: Clock.at(.microseconds(3_414_062)))
        #expect(m.handle(advert(0), now: Clock.at(.seconds(5))) == [.sendAdvert(priority: 150)])
        #expect(m.handle(advert(100), now: Clock.at(.milliseconds(5500)))
                == [.sendAdvert(priority: 150), .sendAnnouncements(.lowerPriorityAdvert)])
        var quiet = machine(priority: 150, lowerPriorityNoAdvert: true)
        _ = quiet.handle(.start, now: Clock.t0)
        _ = quiet.handle(.masterDownTimerFired, now: Clock.at(.microseconds(3_414_062)))
        #expect(quiet.handle(advert(100), now: Clock.at(.seconds(5))) == [.sendAnnouncements(.lowerPriorityAdvert)])
        #expect(quiet.state == .master)
    }

    @Test func trackedPriorityDropMovesTheMaster() {
        var lan = Cluster([machine(priority: 100, address: addressA), machine(priority: 110, address: addressB)])
        lan.send(0, .priorityChanged(EffectivePriority.compute(base: 100, weights: [20])))
        lan.send(0, .start)
        lan.send(1, .start)
        lan.run(until: Clock.at(.seconds(10)))
        #expect(lan.states == [.master, .backup])
        lan.send(0, .priorityChanged(EffectivePriority.compute(base: 100, weights: [])))   // chk_docker fails
        lan.run(until: Clock.at(.seconds(20)))
        #expect(lan.states == [.backup, .master])
    }

    @Test func twoOwnersMakeTheLocalOneDropTo254() {
        var m = machine(priority: 255, state: .master, address: addressB)
        _ = m.handle(.start, now: Clock.t0)
        #expect(m.state == .master)
        let actions = m.handle(advert(255, from: addressA), now: Clock.at(.seconds(1)))
        #expect(m.ownerConflict)
        #expect(m.effectivePriority == 254)
        #expect(m.state == .backup)
        #expect(actions.contains(.removeVirtualAddresses))
    }

    @Test func risingPriorityBringsTheBackupTimerForward() {
        var m = machine(priority: 100)
        _ = m.handle(.start, now: Clock.t0)
        // 100 → 120: the skew shrinks by 20/256 s = 78 125 µs.
        #expect(m.handle(.priorityChanged(120), now: Clock.at(.seconds(1)))
                == [.setTimer(.masterDown, deadline: Clock.at(mdi100 - .microseconds(78_125)))])
        #expect(m.handle(.priorityChanged(90), now: Clock.at(.seconds(1))) == [])
        #expect(m.effectivePriority == 90)
        #expect(m.deadlines[.masterDown] == Clock.at(mdi100 - .microseconds(78_125)))
        var owner = machine(priority: 255)
        _ = owner.handle(.priorityChanged(200), now: Clock.t0)
        #expect(owner.effectivePriority == 255)
    }

    // MARK: v3

    @Test func v3BackupAdoptsTheMastersInterval() {
        var m = machine(version: .v3)
        _ = m.handle(.start, now: Clock.t0)
        #expect(m.handle(advert(120, interval: .milliseconds(500)), now: Clock.at(.seconds(1)))
                == [.setTimer(.masterDown, deadline: Clock.at(.seconds(1) + .microseconds(1_500_000 + 304_687)))])
        #expect(m.masterAdvertInterval == .milliseconds(500))
        // As master it advertises its own interval again.
        _ = m.handle(.masterDownTimerFired, now: Clock.at(.seconds(1) + .microseconds(1_804_687)))
        #expect(m.deadlines[.advert] == Clock.at(.seconds(2) + .microseconds(1_804_687)))
        // v2 never adopts (a differing v2 interval is rejected by the validator).
        var v2 = machine()
        _ = v2.handle(.start, now: Clock.t0)
        _ = v2.handle(advert(120, interval: .seconds(3)), now: Clock.at(.seconds(1)))
        #expect(v2.masterAdvertInterval == .seconds(1))
    }

    // MARK: rejected adverts

    @Test func rejectedAdvertsNeverResetTheTimer() throws {
        var m = machine(priority: 100)
        _ = m.handle(.start, now: Clock.t0)
        let before = m.deadlines
        // A real keepalived advert with the wrong password, through the validator.
        let packet = try #require(try Fixtures.load("v2-pass-unicast").first)
        var e = Fixtures.expectation("v2-pass-unicast")
        e.authentication = .password("other")
        switch AdvertValidator(e).validate(ipv4Datagram: packet.bytes) {
        case .success: Issue.record("accepted with the wrong password")
        case let .failure(rejection):
            #expect(m.handle(.advertRejected(rejection.cause), now: Clock.at(.seconds(1))) == [])
        }
        #expect(m.deadlines == before)
        #expect(m.counters.rejected[.passwordMismatch] == 1)
        // With the right password the same bytes reset it.
        let ok = try #require(AdvertValidator(Fixtures.expectation("v2-pass-unicast")).validate(ipv4Datagram: packet.bytes).accepted)
        #expect(m.handle(.advertReceived(ok.event), now: Clock.at(.seconds(1)))
                == [.setTimer(.masterDown, deadline: Clock.at(.seconds(1) + mdi100))])
    }

    // MARK: reload

    @Test func reconfiguredMasterKeepsItsStateWithoutActions() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        var config = m.configuration
        config.advertInterval = .seconds(2)
        var reloaded = m.reconfigured(config)
        #expect(reloaded.state == .master)
        #expect(reloaded.deadlines == m.deadlines)
        #expect(reloaded.counters == m.counters)
        // The running advert timer keeps its deadline; the next one uses the new interval.
        #expect(reloaded.handle(.advertTimerFired, now: Clock.at(mdi100 + .seconds(1)))
                == [.sendAdvert(priority: 100), .setTimer(.advert, deadline: Clock.at(mdi100 + .seconds(3)))])
        config.priority = 255
        #expect(reloaded.reconfigured(config).effectivePriority == 255)
    }

    // MARK: fault and stop

    @Test func faultAndRecovery() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        #expect(m.handle(.faultRaised(reason: "eth0 down"), now: Clock.at(.seconds(5))) == [
            .cancelTimer(.advert), .setSyncDaemonRole(.backup), .sendAdvert(priority: 0), .removeVirtualAddresses,
            .stateChanged(from: .master, to: .fault, reason: "fault: eth0 down"),
        ])
        #expect(m.handle(.faultRaised(reason: "chk_dns failed"), now: Clock.at(.seconds(6))) == [])
        #expect(m.handle(advert(200), now: Clock.at(.seconds(6))) == [])
        #expect(m.handle(.faultCleared(reason: "eth0 down"), now: Clock.at(.seconds(7))) == [])
        #expect(m.state == .fault)
        #expect(m.handle(.faultCleared(reason: "chk_dns failed"), now: Clock.at(.seconds(8))) == [
            .setSyncDaemonRole(.backup),
            .stateChanged(from: .fault, to: .backup, reason: "fault cleared: chk_dns failed"),
            .setTimer(.masterDown, deadline: Clock.at(.seconds(8) + mdi100)),
        ])
    }

    @Test func leavingFaultWaitsTheFullIntervalEvenWithStateMaster() {
        var m = machine(state: .master)
        _ = m.handle(.faultRaised(reason: "eth0 down"), now: Clock.t0)
        _ = m.handle(.start, now: Clock.t0)
        #expect(m.handle(.faultCleared(reason: "eth0 down"), now: Clock.at(.seconds(1))).last
                == .setTimer(.masterDown, deadline: Clock.at(.seconds(1) + mdi100)))
        var owner = machine(priority: 255, state: .master)
        _ = owner.handle(.faultRaised(reason: "eth0 down"), now: Clock.t0)
        _ = owner.handle(.start, now: Clock.t0)
        #expect(owner.handle(.faultCleared(reason: "eth0 down"), now: Clock.at(.seconds(1))).last
                == .setTimer(.masterDown, deadline: Clock.at(.seconds(2) + .microseconds(3_906))))
    }

    @Test func faultBeforeStartStartsInFault() {
        var m = machine()
        _ = m.handle(.faultRaised(reason: "eth0 down"), now: Clock.t0)
        #expect(m.handle(.start, now: Clock.t0) == [
            .removeVirtualAddresses, .stateChanged(from: .initialize, to: .fault, reason: "fault at start: eth0 down"),
        ])
        #expect(m.deadlines.isEmpty)
    }

    @Test func stopSendsPriorityZeroFromMaster() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        #expect(m.handle(.stop, now: Clock.at(.seconds(5))) == [
            .cancelTimer(.advert), .setSyncDaemonRole(.backup), .sendAdvert(priority: 0), .removeVirtualAddresses,
            .stateChanged(from: .master, to: .stop, reason: "stopping"),
        ])
        #expect(m.handle(.advertTimerFired, now: Clock.at(.seconds(6))) == [])
        var b = machine()
        _ = b.handle(.start, now: Clock.t0)
        #expect(b.handle(.stop, now: Clock.at(.seconds(1))) == [
            .cancelTimer(.masterDown), .removeVirtualAddresses,
            .stateChanged(from: .backup, to: .stop, reason: "stopping"),
        ])
        #expect(m.counters.advertsSent == 2)   // becoming master, then priority 0
    }
}
