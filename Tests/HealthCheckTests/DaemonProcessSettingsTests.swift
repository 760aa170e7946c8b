#if canImport(Glibc)
import Glibc
#endif
@testable import Director
import Testing

/// `DaemonMain.settleProcess`: the time zone read once (a `TZ` the admin set is kept) and the
/// soft limit of open files raised to the hard one. It changes this test process's settings as
/// it changes the daemon's; both are harmless to the other tests.
@Suite("Daemon: process settings for a big configuration")
struct DaemonProcessSettingsTests {
    @Test func theTimeZoneIsReadOnceAndTheFileLimitRaised() throws {
        let before = getenv("TZ").map { String(cString: $0) }
        DaemonMain.settleProcess()
        let after = getenv("TZ").map { String(cString: $0) }
        #expect(after == (before ?? ":/etc/localtime"), "TZ \(String(describing: before)) -> \(String(describing: after))")
        var limit = rlimit()
        #expect(getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0)
        #expect(limit.rlim_cur == limit.rlim_max, "soft \(limit.rlim_cur), hard \(limit.rlim_max)")
    }
}
