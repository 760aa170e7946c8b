import Testing
import TimeBase
@testable import VRRP

@Suite struct DeadlinesTests {
    @Test func eachTimerHasItsOwnDeadline() {
        var d = VRRPDeadlines()
        #expect(d.isEmpty && d.earliest == nil)
        d[.masterDown] = Moment(nanoseconds: 30)
        d[.advert] = Moment(nanoseconds: 20)
        #expect(d[.masterDown] == Moment(nanoseconds: 30) && d[.advert] == Moment(nanoseconds: 20))
        #expect(d[.preemptDelay] == nil && !d.isEmpty)
        d[.advert] = nil
        #expect(d[.advert] == nil && d[.masterDown] == Moment(nanoseconds: 30))
    }

    @Test func theEarliestOfTheArmedOnes() {
        var d = VRRPDeadlines()
        d[.preemptDelay] = Moment(nanoseconds: 7)
        #expect(d.earliest == Moment(nanoseconds: 7))
        d[.masterDown] = Moment(nanoseconds: 5)
        d[.advert] = Moment(nanoseconds: 9)
        #expect(d.earliest == Moment(nanoseconds: 5))
        d[.masterDown] = nil
        #expect(d.earliest == Moment(nanoseconds: 7))
    }

    /// Iteration gives the armed timers in `VRRPTimer.allCases` order (the sweep's order
    /// between equal deadlines of one instance).
    @Test func iteratesTheArmedOnesInCaseOrder() {
        var d = VRRPDeadlines()
        d[.preemptDelay] = Moment(nanoseconds: 1)
        d[.advert] = Moment(nanoseconds: 3)
        #expect(d.map(\.timer) == [.advert, .preemptDelay])
        d[.masterDown] = Moment(nanoseconds: 2)
        #expect(d.map(\.timer) == VRRPTimer.allCases)
        #expect(d.map(\.deadline.nanoseconds) == [3, 2, 1])
    }
}
