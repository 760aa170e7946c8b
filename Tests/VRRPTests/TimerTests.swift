import Testing
@testable import VRRP

@Suite struct TimerTests {
    @Test func v2FromTheNotes() {
        // vrrp-interop.md §2: p 100 → 3.609 s, p 120 → 3.531 s, p 150 → 3.414 s (adv 1).
        #expect(VRRPTimers.masterDownInterval(priority: 100, advertInterval: .seconds(1), version: .v2) == .microseconds(3_609_375))
        #expect(VRRPTimers.masterDownInterval(priority: 120, advertInterval: .seconds(1), version: .v2) == .microseconds(3_531_250))
        #expect(VRRPTimers.masterDownInterval(priority: 150, advertInterval: .seconds(1), version: .v2) == .microseconds(3_414_062))
        #expect(VRRPTimers.skew(priority: 100, advertInterval: .seconds(5), version: .v2) == .microseconds(609_375))
        #expect(VRRPTimers.minimumSkew(advertInterval: .seconds(3), version: .v2) == .microseconds(3_906))
    }

    @Test func v3ScalesWithTheInterval() {
        #expect(VRRPTimers.skew(priority: 200, advertInterval: .seconds(1), version: .v3) == .microseconds(218_750))
        #expect(VRRPTimers.skew(priority: 100, advertInterval: .milliseconds(50), version: .v3) == .microseconds(30_468))
        #expect(VRRPTimers.masterDownInterval(priority: 100, advertInterval: .milliseconds(50), version: .v3)
                == .microseconds(180_468))
        #expect(VRRPTimers.minimumSkew(advertInterval: .seconds(1), version: .v3) == .microseconds(3_906))
    }

    @Test func wireIntervals() {
        #expect(AdvertInterval.wireSeconds(.milliseconds(1499)) == 1)
        #expect(AdvertInterval.wireSeconds(.milliseconds(1500)) == 2)
        #expect(AdvertInterval.wireSeconds(.zero) == 1)
        #expect(AdvertInterval.wireCentiseconds(.milliseconds(50)) == 5)
        #expect(AdvertInterval.wireCentiseconds(.seconds(41)) == 4095)
        #expect(AdvertInterval.effective(.milliseconds(1200), version: .v2) == .seconds(1))
    }

    @Test func effectivePriority() {
        #expect(EffectivePriority.compute(base: 100, weights: [20]) == 120)
        #expect(EffectivePriority.compute(base: 100, weights: [20, -30]) == 90)
        #expect(EffectivePriority.compute(base: 250, weights: [20]) == 254)
        #expect(EffectivePriority.compute(base: 10, weights: [-253]) == 1)
        #expect(EffectivePriority.compute(base: 255, weights: [-100]) == 255)
        #expect(EffectivePriority.compute(base: 100, weights: []) == 100)
    }
}
