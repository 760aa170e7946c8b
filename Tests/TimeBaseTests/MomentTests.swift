import Testing
import TimeBase

@Suite struct MomentTests {
    /// The moment is read from the clock ContinuousClock reads: between two of its instants.
    @Test func nowLiesBetweenTwoContinuousClockReadings() {
        let before = ContinuousClock.now
        let m = Moment.now
        let after = ContinuousClock.now
        #expect(before <= m.instant)
        #expect(m.instant <= after)
    }

    /// Read after the moment, ContinuousClock's instant is later, by less than a second.
    @Test func clockIsTheContinuousClocks() {
        let m = Moment.now
        let c = Moment(ContinuousClock.now)
        #expect(c.nanoseconds - m.nanoseconds >= 0)
        #expect(c.nanoseconds - m.nanoseconds < 1_000_000_000)
    }

    @Test func convertsToAndFromAnInstantExactly() {
        let i = ContinuousClock.now
        #expect(Moment(i).instant == i)
        let m = Moment(nanoseconds: 1_234_567_890_123)
        #expect(Moment(m.instant) == m)
    }

    @Test func arithmeticInNanoseconds() {
        let m = Moment(nanoseconds: 5_000_000_000)
        #expect(m.advanced(byNanoseconds: 1_500) == Moment(nanoseconds: 5_000_001_500))
        #expect(m.advanced(byNanoseconds: -1_500) < m)
        #expect(m.nanoseconds(to: Moment(nanoseconds: 4_000_000_000)) == -1_000_000_000)
        #expect(m + .milliseconds(3) == Moment(nanoseconds: 5_003_000_000))
        #expect(m - .microseconds(7) == Moment(nanoseconds: 4_999_993_000))
        #expect(Moment(nanoseconds: 9) - Moment(nanoseconds: 4) == .nanoseconds(5))
    }

    @Test func durationsInWholeNanoseconds() {
        #expect(Duration.seconds(3).inNanoseconds == 3_000_000_000)
        #expect((Duration.milliseconds(-1500)).inNanoseconds == -1_500_000_000)
        #expect(Duration(secondsComponent: 0, attosecondsComponent: 999_999_999).inNanoseconds == 0)
        #expect(Duration.seconds(Int64.max / 2).inNanoseconds == .max)
        #expect(Duration.seconds(Int64.min / 2).inNanoseconds == .min)
    }

    @Test func describesItselfInSeconds() {
        #expect(Moment(nanoseconds: 12_000_000_345).description == "12.000000345 s")
    }
}
