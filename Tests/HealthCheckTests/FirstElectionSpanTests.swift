@testable import Director
import Diagnostics
import Testing
import VRRPRouter

/// `VRRPConfiguration.firstElectionSpan`: when the daemon releases the first election's code
/// (after the longest Master_Down wait, a preempt_delay and the second GARP burst).
@Suite("Daemon: the first election's span")
struct FirstElectionSpanTests {
    static func instance(_ name: String, advert: Duration, garpDelay: Duration = .seconds(5)) -> VRRPInstanceConfig {
        var i = VRRPInstanceConfig(name: name, location: SourceLocation(file: "k.conf", line: 1, column: 1),
                                   interface: "eth0", virtualRouterID: 1)
        i.advertInterval = advert
        i.garp.masterDelay = garpDelay
        return i
    }

    @Test func noInstancesNoSpan() {
        #expect(VRRPConfiguration().firstElectionSpan == nil)
    }

    @Test func theLongestInstanceAndTheStartupDelayCount() {
        var c = VRRPConfiguration()
        c.instances = [Self.instance("A", advert: .seconds(1)), Self.instance("B", advert: .seconds(2), garpDelay: .seconds(1))]
        // A: 3 + 1 + 5 = 9 s; B: 6 + 2 + 5 (the global garp_master_delay) = 13 s; then 1 s more.
        #expect(c.firstElectionSpan == .seconds(14))
        c.globals.startupDelay = .seconds(3)
        #expect(c.firstElectionSpan == .seconds(17))
    }
}
