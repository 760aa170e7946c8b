#if canImport(Glibc)
import Glibc
#endif
@testable import HealthCheck
import IPVS
import Testing

/// A fault that goes away on its own (the kernel takes a change it refused, the state
/// directory becomes writable again) is recovered from at the next check result after
/// `faultRetry`, without waiting for a transition; each fault is logged once while it lasts.
/// (Against the real kernel and real file systems: DaemonFaultKernelTests, in the VM.)
@Suite("Daemon: faults retried without a transition")
struct DaemonFaultRetryTests {
    @Test func aRefusedChangeIsRetriedAtTheNextResultAndLoggedOnce() async throws {
        let h = try DaemonHarness(config: webConfig(), faultRetry: .zero)
        h.table.refuse(real(3))
        await h.engine.start(runCheckers: false)
        #expect(h.destinations().count == 2)
        // Three results with no transition: each retries, each is refused, one error line.
        for _ in 0..<3 { await h.succeed(1) }
        #expect(await h.engine.refusedChanges == 4)
        #expect(h.logs.all.filter { $0.hasPrefix("error kernel refused") }.count == 1, "\(h.logs.all)")
        h.table.refuse(nil)
        await h.succeed(1)   // still no transition
        #expect(h.destinations() == (1...3).map { DestinationKey(address: real($0), port: 80) })
        #expect(h.logs.contains("kernel accepted -a -t 192.0.2.100:80 -r 192.0.2.103:80 -g -w 1 after refusing it 4 times"), "\(h.logs.all)")
        // Nothing more to retry: the next result sends nothing.
        h.table.resetLog()
        await h.succeed(1)
        #expect(h.table.sent.isEmpty)
    }

    @Test func aRefusalIsNotRetriedBeforeItsTime() async throws {
        let h = try DaemonHarness(config: webConfig(), faultRetry: .seconds(3600))
        h.table.refuse(real(3))
        await h.engine.start(runCheckers: false)
        h.table.refuse(nil)
        await h.succeed(1)
        #expect(h.destinations().count == 2, "retried only after faultRetry")
    }

    @Test func aStateFileThatCannotBeWrittenIsWrittenOnceItCan() async throws {
        let dir = try TempDir()
        let stateDir = dir.path + "/state"
        let path = stateDir + "/ipvs.rules"
        let h = try DaemonHarness(config: webConfig(), statePath: path, faultRetry: .zero)
        await h.engine.start(runCheckers: false)   // the directory does not exist: ENOENT
        for _ in 0..<3 { await h.succeed(1) }
        let errors = h.logs.all.filter { $0.hasPrefix("error state file:") }
        #expect(errors.count == 1, "one error while the fault lasts: \(h.logs.all)")
        #expect(errors.first?.contains("No such file or directory") == true)
        #expect(access(path, F_OK) != 0)
        #expect(mkdir(stateDir, 0o755) == 0)
        await h.succeed(1)   // no transition, no kernel change: the retry writes it
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("-a -t 192.0.2.100:80 -r 192.0.2.103:80 -g -w 1"), "\(text)")
        #expect(h.logs.contains("state file: \(path) written again"), "\(h.logs.all)")
    }
}
