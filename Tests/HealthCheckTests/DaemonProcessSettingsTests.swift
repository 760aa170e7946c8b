#if canImport(Glibc)
import Glibc
#endif
import CLinux
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

/// `DaemonMain.limitMemory`'s fixed mmap threshold: after a large block is freed, a block of
/// 128 KiB or more is still a mapping of its own (glibc would otherwise have raised its
/// threshold to the freed block's size and served the next one from the heap, whose freed
/// middle stays resident: the reloads' growth at 37,000 real servers). In a process of its own,
/// as the setting is the whole process's.
@Suite("Daemon: malloc settings")
struct DaemonMallocSettingsTests {
    @Test("a large block is a mapping of its own after a larger one was freed")
    func largeBlocksStayMappings() async {
        await #expect(processExitsWith: .success) {
            DaemonMain.limitMemory()
            // Freed, a mapped 8 MiB block would raise glibc's dynamic threshold to 8 MiB.
            guard let big = malloc(8 << 20) else { exit(2) }
            memset(big, 1, 8 << 20)
            free(big)
            let before = swiftvs_heap_figures()
            let block = malloc(256 << 10)
            let after = swiftvs_heap_figures()
            free(block)
            // One more mapping, of at least the block's size.
            exit(after.mapped_blocks == before.mapped_blocks + 1 && after.mapped_bytes >= before.mapped_bytes + (256 << 10) ? 0 : 1)
        }
    }
}
