#if canImport(Glibc)
import Glibc
#endif
import CLinux
import EventLoop
import Testing

/// `SystemCalls.releaseStartupCode`: the read-only pages of the shared libraries (here libc's)
/// leave the resident set as the executable's do, and the process runs on (they come back from
/// the page cache when used). It releases this test process's pages as it does the daemon's;
/// the other tests fault back what they run. (That libc's first segment, its symbol tables,
/// stays out after the release is not asserted here: any test that loads a library meanwhile,
/// SSL_GET's dlopen of libssl among them, reads them again to bind its symbols. The full unit
/// pass did, once in two runs; the release's own reads were traced instead, docs/benchmarks.md.)
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

    /// The release leaves the vDSO alone and only it. The dynamic loader is mapped right after the
    /// vDSO's pages here; the earlier test ("program headers within 64 KB of the vDSO") took the
    /// loader for it, and an idle daemon kept its 150 KB of code mapped. (Whether the loader's
    /// pages leave is not read from this process's resident set: its Swift libraries are shared
    /// objects that reach their thread-local variables through the loader's `__tls_get_addr`, so
    /// the test's other threads map that code again at once. The daemon links the runtime in.)
    @Test func onlyTheVDSOIsTakenForTheVDSO() throws {
        let maps = try #require(Self.read("/proc/self/maps"), "/proc/self/maps unreadable")
        let vdso = try #require(Self.firstMapping(in: maps, named: { $0 == "[vdso]" }), "no vDSO mapped")
        #expect(swiftvs_is_vdso(Self.programHeaders(at: vdso)) == 1)
        for object in ["/ld-linux", "/libc.so"] {
            let start = try #require(Self.firstMapping(in: maps, named: { $0.contains(object) }), "\(object) not mapped")
            #expect(swiftvs_is_vdso(Self.programHeaders(at: start)) == 0,
                    "\(object), mapped \(Int(bitPattern: start) - Int(bitPattern: vdso)) bytes from the vDSO, taken for it")
        }
    }

    /// The start of the first mapping whose path satisfies `named` (its ELF header, offset 0).
    static func firstMapping(in maps: String, named: (Substring) -> Bool) -> UInt? {
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6, named(fields[5]), fields[2] == "00000000" || fields[5] == "[vdso]" else { continue }
            return fields[0].split(separator: "-").first.flatMap { UInt($0, radix: 16) }
        }
        return nil
    }

    /// The program headers of the ELF image mapped at `start` (its header's e_phoff after it).
    static func programHeaders(at start: UInt) -> UnsafeRawPointer? {
        guard let header = UnsafeRawPointer(bitPattern: start) else { return nil }
        return header + Int(header.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
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
