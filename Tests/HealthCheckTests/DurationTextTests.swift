import Testing
import HealthCheck

/// The three-decimal duration texts of the log (`logSeconds`), the director status's
/// advert_int (`secondsText`) and the daemon status's latencies (`millisecondsText`).
@Suite("Duration texts")
struct DurationTextTests {
    @Test func secondsAreCutToTheMillisecond() {
        #expect(Duration.milliseconds(1234).secondsText == "1.234")
        #expect(Duration.seconds(1).secondsText == "1.000")
        #expect(Duration.milliseconds(5).secondsText == "0.005")
        #expect(Duration.microseconds(1999).secondsText == "0.001")
        #expect(Duration.milliseconds(100).logSeconds == "0.100 s")
    }

    @Test func millisecondsAreCutToTheMicrosecond() {
        #expect(Duration.microseconds(12345).millisecondsText == "12.345")
        #expect(Duration.milliseconds(1).millisecondsText == "1.000")
        #expect(Duration.nanoseconds(1999).millisecondsText == "0.001")
        #expect(Duration.seconds(2).millisecondsText == "2000.000")
    }

    @Test func aNegativeDurationIsSigned() {
        #expect(Duration.milliseconds(-5).logSeconds == "-0.005 s")
        #expect(Duration.milliseconds(-1500).secondsText == "-1.500")
    }
}
