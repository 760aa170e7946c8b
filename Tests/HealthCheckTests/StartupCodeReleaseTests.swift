#if canImport(Glibc)
import Glibc
#endif
import EventLoop
import Testing

/// `SystemCalls.releaseStartupCode`: the read-only pages of the shared libraries (here libc's)
/// leave the resident set as the executable's do, and the process runs on (they come back from
/// the page cache when used). It releases this test process's pages as it does the daemon's;
/// the other tests fault back what they run.
@Suite("Daemon: start-up code released from the resident set")
struct StartupCodeReleaseTests {
    @Test func theLibrariesReadOnlyPagesLeaveTheResidentSet() throws {
        let before = try Self.readOnlyResidentKB(of: "/libc.so")
        try #require(before > 64, "libc's read-only pages resident before: \(before) KB")
        let released = SystemCalls.releaseStartupCode()
        #expect(released > 0, "releaseStartupCode returned \(released)")
        let after = try Self.readOnlyResidentKB(of: "/libc.so")
        #expect(after < before, "libc's read-only pages resident: \(before) KB before, \(after) KB after")
        // Its code and its relocated data still work: a call through libc and libm.
        #expect(strlen("swiftvs") == 7)
        #expect(cos(0.0) == 1.0)
    }

    /// The resident KB of the file-backed, never-written mappings of the object whose path
    /// contains `name`, from /proc/self/smaps.
    static func readOnlyResidentKB(of name: String) throws -> Int {
        let text = try #require(Self.read("/proc/self/smaps"), "/proc/self/smaps unreadable")
        var total = 0, counting = false, rss = 0
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let first = fields.first, first.contains("-"), fields.count >= 5, first.first?.isHexDigit == true {
                counting = fields.count >= 6 && fields[5].contains(name) && !fields[1].contains("w")
                rss = 0
            } else if counting, fields.first == "Rss:", fields.count >= 2 {
                rss = Int(fields[1]) ?? 0
            } else if counting, fields.first == "Anonymous:", fields.count >= 2, Int(fields[1]) == 0 {
                total += rss
            }
        }
        return total
    }

    static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
