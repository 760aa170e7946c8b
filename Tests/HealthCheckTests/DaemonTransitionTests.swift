@testable import HealthCheck
import IPVS
import Testing

/// A transition touches only its own virtual servers: their services are read one by one
/// (no dump of the whole table), and the state file follows within the write window, from the
/// table as the daemon last read it. (Against the real kernel: DaemonKernelTests and
/// DaemonFaultKernelTests, in the VM.)
@Suite("Daemon: a transition reads only its virtual servers")
struct DaemonTransitionTests {
    static let secondService = ServiceKey.address(.tcp, IPAddress("198.51.100.2")!, port: 80)

    /// webConfig's virtual server, and a second one with one real server, 192.0.2.111 (and
    /// `extra` before it).
    static func twoVirtualServers(extra: String = "") -> String {
        webConfig() + """
            virtual_server 198.51.100.2 80 {
              delay_loop 1
              lb_algo rr
              lb_kind DR
              protocol TCP
            \(extra)
              real_server 192.0.2.111 80 {
                weight 1
                TCP_CHECK {
                  connect_timeout 1
                  retry 1
                }
              }
            }

            """
    }

    /// The second virtual server's real server.
    static let second = CheckerID(virtualServer: 1, realServer: 0, checker: 0)

    @Test func aTransitionReadsItsOwnServicesNotTheWholeTable() async throws {
        let h = try DaemonHarness(config: Self.twoVirtualServers(), table: FakeTable([ServiceEntry(service: foreignService)]))
        await h.engine.start(runCheckers: false)
        h.table.resetReads()
        await h.fail(1, times: 2)
        #expect(h.destinations().count == 2)
        #expect(h.table.dumps == 0, "no dump of the whole table for one transition")
        // Its own service, before and after the change: not the second one's.
        #expect(h.table.serviceReads == 2, "\(h.table.serviceReads)")
        #expect(h.destinations(Self.secondService).count == 1)
    }

    @Test func transitionsWithinTheWindowCostOneStateWriteAndAReloadWritesAtOnce() async throws {
        let dir = try TempDir()
        let path = dir.path + "/ipvs.rules"
        // A window longer than the test: the transitions' write waits for the reload.
        let h = try DaemonHarness(config: Self.twoVirtualServers(), statePath: path, stateWriteWindow: .seconds(3600))
        await h.engine.start(runCheckers: false)
        let started = try readFile(path)
        await h.fail(1, times: 2)
        for _ in 0..<2 { await h.engine.deliver(Self.second, .failed(.timedOut("connect timed out"))) }
        // Both transitions are in the kernel at once; the file follows within the window.
        #expect(h.destinations().map(\.description) == ["192.0.2.102:80", "192.0.2.103:80"])
        #expect(h.destinations(Self.secondService).isEmpty)
        #expect(try readFile(path) == started, "not written yet: the window is open")
        // A reload writes before it returns, the pending transitions included.
        await h.engine.reload(try ConfigParser.parse(text: Self.twoVirtualServers(), file: "test.conf"))
        let text = try readFile(path)
        #expect(!text.contains("-r 192.0.2.101:80") && text.contains("-r 192.0.2.103:80") && !text.contains("-r 192.0.2.111:80"), "\(text)")
    }

    @Test func aPendingWriteIsDoneAtTheStop() async throws {
        let dir = try TempDir()
        let path = dir.path + "/ipvs.rules"
        let h = try DaemonHarness(config: Self.twoVirtualServers(), statePath: path, stateWriteWindow: .seconds(3600))
        await h.engine.start(runCheckers: false)
        await h.fail(1, times: 2)
        await h.engine.stop()
        #expect(!(try readFile(path).contains("-r 192.0.2.101:80")))
    }

    @Test func aWriteWhoseTimerIsLateIsDoneAtTheNextResult() async throws {
        let dir = try TempDir()
        let path = dir.path + "/ipvs.rules"
        // A zero window: the timer may not have run yet, but the write is already due.
        let h = try DaemonHarness(config: Self.twoVirtualServers(), statePath: path, stateWriteWindow: .zero)
        await h.engine.start(runCheckers: false)
        await h.fail(1, times: 2)
        await h.succeed(2)   // no transition
        #expect(!(try readFile(path).contains("-r 192.0.2.101:80")))
    }

    @Test func aRefusalInOneVirtualServerIsKeptThroughAnotherOnesTransition() async throws {
        let h = try DaemonHarness(config: Self.twoVirtualServers(), faultRetry: .seconds(3600))
        h.table.refuse(real(3))
        await h.engine.start(runCheckers: false)
        #expect(h.destinations().count == 2)
        // A transition of the other virtual server does not forget the refusal (it is logged
        // once) nor send it again before its time.
        h.table.resetLog()
        for _ in 0..<2 { await h.engine.deliver(Self.second, .failed(.timedOut("connect timed out"))) }
        #expect(h.table.sent.map { "\($0)" }.allSatisfy { !$0.contains("192.0.2.103") }, "\(h.table.sent)")
        // A transition of its own virtual server tries it again, and the kernel now takes it.
        h.table.refuse(nil)
        await h.fail(1, times: 2)
        #expect(h.destinations().map(\.description) == ["192.0.2.102:80", "192.0.2.103:80"])
        #expect(h.logs.contains("kernel accepted -a -t 192.0.2.100:80 -r 192.0.2.103:80 -g -w 1 after refusing it 1 time"), "\(h.logs.all)")
    }
}
