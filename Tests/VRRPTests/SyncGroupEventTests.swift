import TimeBase
import NetworkModel
import Testing
@testable import VRRP

/// The three events a `vrrp_sync_group` feeds a member's state machine (keepalived's
/// `vrrp_sync.c`): held back, made MASTER by another member, taken down to BACKUP by one.
@Suite struct SyncGroupEventTests {
    private let mdi100 = Duration.seconds(3) + .microseconds(609_375)

    @Test func heldBackMemberStaysBackupWantingMasterWithANewTimer() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        // A stale deferral (before the deadline) changes nothing.
        #expect(m.handle(.masterDownDeferred, now: Clock.at(ms: 1000)) == [])
        #expect(!m.wantsMaster)
        #expect(m.handle(.masterDownDeferred, now: Clock.at(mdi100))
                == [.setTimer(.masterDown, deadline: Clock.at(mdi100 + mdi100))])
        #expect(m.state == .backup)
        #expect(m.wantsMaster)
        // Hearing a master again: no longer wanting it.
        _ = m.handle(advert(150), now: Clock.at(.seconds(5)))
        #expect(!m.wantsMaster)
    }

    @Test func becomingMasterClearsWantsMaster() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownDeferred, now: Clock.at(mdi100))
        _ = m.handle(.masterDownTimerFired, now: Clock.at(mdi100 + mdi100))
        #expect(m.state == .master)
        #expect(!m.wantsMaster)
    }

    @Test func groupMasterTakesABackupToMasterAtOnce() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        let at = Clock.at(ms: 500)
        let actions = m.handle(.syncGroupMaster(reason: "vrrp_sync_group G: VI_2 became MASTER"), now: at)
        #expect(actions == [
            .cancelTimer(.masterDown), .sendAdvert(priority: 100), .addVirtualAddresses,
            .sendAnnouncements(.becameMaster),
            .stateChanged(from: .backup, to: .master, reason: "vrrp_sync_group G: VI_2 became MASTER"),
            .setSyncDaemonRole(.master), .setTimer(.advert, deadline: at + .seconds(1)),
        ])
        // Only a BACKUP follows: a master, a faulted or a stopped instance does not.
        #expect(m.handle(.syncGroupMaster(reason: "again"), now: at) == [])
        var faulted = machine()
        _ = faulted.handle(.faultRaised(reason: "link"), now: Clock.t0)
        _ = faulted.handle(.start, now: Clock.t0)
        #expect(faulted.handle(.syncGroupMaster(reason: "x"), now: at) == [])
        #expect(faulted.state == .fault)
    }

    @Test func groupBackupTakesAMasterDownWithoutPriorityZero() {
        var m = machine()
        _ = m.handle(.start, now: Clock.t0)
        _ = m.handle(.masterDownTimerFired, now: Clock.at(mdi100))
        let at = Clock.at(.seconds(6))
        #expect(m.handle(.syncGroupBackup(reason: "vrrp_sync_group G: VI_2 left MASTER"), now: at) == [
            .cancelTimer(.advert), .setSyncDaemonRole(.backup), .removeVirtualAddresses,
            .stateChanged(from: .master, to: .backup, reason: "vrrp_sync_group G: VI_2 left MASTER"),
            .setTimer(.masterDown, deadline: at + mdi100),
        ])
        #expect(m.masterAddress == nil)
        #expect(m.handle(.syncGroupBackup(reason: "again"), now: at) == [])
    }
}
