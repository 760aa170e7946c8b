import Testing
import Synchronization
@testable import EventLoop

@Suite struct SlotTableTests {
    @Test func valuesAreFoundUnderTheirIdsUntilRemoved() {
        var t = SlotTable<String>()
        let a = t.insert("a"), b = t.insert("b")
        #expect(a != 0 && b != 0 && a != b)
        #expect(t[a] == "a" && t[b] == "b" && t.count == 2)
        #expect(t.remove(a) == "a")
        #expect(t[a] == nil && !t.contains(a) && t.count == 1)
        #expect(t.remove(a) == nil)
        #expect(t[0] == nil && t[1 << 40] == nil)
    }

    /// A removed value's slot is used again under a new id; the old one finds nothing.
    /// (Broken once: without the generation in the id, `t[a]` found "c".)
    @Test func anOldIdNeverFindsTheSlotsNextValue() {
        var t = SlotTable<String>()
        let a = t.insert("a")
        t.remove(a)
        let c = t.insert("c")
        #expect(c & 0xffff_ffff == a & 0xffff_ffff)   // the same slot
        #expect(c != a)
        #expect(t[a] == nil && t[c] == "c")
        t[a] = nil   // removing under the old id leaves the new value alone
        #expect(t[c] == "c" && t.count == 1)
    }

    @Test func settingReplacesOnlyUnderALiveId() {
        var t = SlotTable<Int>()
        let a = t.insert(1)
        t[a] = 2
        #expect(t[a] == 2 && t.count == 1)
        t.remove(a)
        t[a] = 3
        #expect(t[a] == nil && t.count == 0)
    }

    /// The reactor's timers live in a slot table: a cancelled timer's heap entry stays until
    /// its deadline, and its slot may hold a later timer by then. That stale entry must not fire
    /// the later timer early.
    @Test func aCancelledTimersStaleEntryDoesNotFireTheTimerInItsSlot() async {
        let reactor = Reactor()
        let start = ContinuousClock.now
        let early = reactor.schedule(at: start + .milliseconds(20)) { Issue.record("the cancelled timer fired") }
        reactor.cancelTimer(early)
        let fired = Mutex<ContinuousClock.Instant?>(nil)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            let later = reactor.schedule(at: start + .milliseconds(300)) {
                fired.withLock { $0 = .now }
                done.resume()
            }
            #expect(later & 0xffff_ffff == early & 0xffff_ffff, "the later timer took the cancelled one's slot")
        }
        let at = fired.withLock { $0 }!
        #expect(at >= start + .milliseconds(300), "fired \(start.duration(to: at)) after the start")
    }
}
