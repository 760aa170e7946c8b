@testable import HealthCheck
import IPVS
import Testing

/// A reload diffs the new configuration against the table as the daemon last read it: only
/// the services that differ are read from the kernel and changed, with no dump of the whole
/// table (at 2,284 services a dump is 2,285 netlink requests). (Against the real kernel:
/// DaemonKernelTests' SIGHUP step, in the VM; at scale: Scripts/bench daemon-scale.)
@Suite("Daemon: a reload reads only what changed")
struct DaemonReloadReadsTests {
    @Test func aReloadThatAddsARealServerReadsOnlyItsService() async throws {
        let h = try DaemonHarness(config: DaemonTransitionTests.twoVirtualServers(),
                                  table: FakeTable([ServiceEntry(service: foreignService)]))
        await h.engine.start(runCheckers: false)
        h.table.resetReads()
        h.table.resetLog()
        let added = DaemonTransitionTests.twoVirtualServers(extra: "  real_server 192.0.2.112 80 {\n    weight 1\n  }\n")
        await h.engine.reload(try ConfigParser.parse(text: added, file: "test.conf"))
        #expect(h.table.sent == [.addDestination(Destination(address: IPAddress("192.0.2.112")!, port: 80), to: DaemonTransitionTests.secondService)])
        #expect(h.table.dumps == 0, "no dump of the whole table")
        #expect(h.table.serviceReads == 2, "its service, before and after the change: \(h.table.serviceReads)")
    }

    @Test func aReloadWithNoChangeReadsNothing() async throws {
        let h = try DaemonHarness(config: DaemonTransitionTests.twoVirtualServers())
        await h.engine.start(runCheckers: false)
        h.table.resetReads()
        h.table.resetLog()
        await h.engine.reload(try ConfigParser.parse(text: DaemonTransitionTests.twoVirtualServers(), file: "test.conf"))
        #expect(h.table.sent.isEmpty)
        #expect(h.table.dumps == 0 && h.table.serviceReads == 0)
    }

    @Test func aReloadWithARefusalPendingReadsTheWholeTable() async throws {
        let h = try DaemonHarness(config: DaemonTransitionTests.twoVirtualServers(), faultRetry: .seconds(3600))
        h.table.refuse(real(3))
        await h.engine.start(runCheckers: false)
        h.table.refuse(nil)
        h.table.resetReads()
        await h.engine.reload(try ConfigParser.parse(text: DaemonTransitionTests.twoVirtualServers(), file: "test.conf"))
        #expect(h.table.dumps >= 1)
        #expect(h.destinations().count == 3, "the refused real server is retried by the reload")
    }

    @Test func aReloadThatRemovesAVirtualServerDeletesItsService() async throws {
        let h = try DaemonHarness(config: DaemonTransitionTests.twoVirtualServers(),
                                  table: FakeTable([ServiceEntry(service: foreignService)]))
        await h.engine.start(runCheckers: false)
        h.table.resetLog()
        await h.engine.reload(try ConfigParser.parse(text: webConfig(), file: "test.conf"))
        #expect(h.table.sent == [.deleteService(DaemonTransitionTests.secondService)])
        #expect(h.table.entries.map(\.service.key).sorted { "\($0)" < "\($1)" } == [vipService, foreignService.key].sorted { "\($0)" < "\($1)" })
    }
}
