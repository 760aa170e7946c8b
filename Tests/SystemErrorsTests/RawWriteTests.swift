import Glibc
import SystemErrors
import Testing

@Suite("FileDescriptor.writeAll of raw bytes: all of them, in order, or the errno")
struct RawWriteTests {
    /// A file of its own, removed when the test ends.
    static func withTemporaryFile(_ body: (Int32) throws -> Void) throws {
        var template = Array("/tmp/swiftvs-rawwrite.XXXXXX".utf8CString)
        let fd = mkstemp(&template)
        try #require(fd >= 0)
        defer { close(fd); unlink(template) }
        try body(fd)
    }

    @Test func everyByteIsWrittenInOrder() throws {
        // Larger than a pipe's or a page's worth, with every byte value.
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
        try Self.withTemporaryFile { fd in
            let n = try bytes.withUnsafeBytes { raw in try FileDescriptor(rawValue: fd).writeAll(raw) }
            #expect(n == bytes.count)
            var back = [UInt8](repeating: 0, count: bytes.count + 1)
            let read = pread(fd, &back, back.count, 0)
            #expect(read == bytes.count)
            #expect(Array(back.prefix(bytes.count)) == bytes)
        }
    }

    @Test func aFailedWriteThrowsItsErrno() throws {
        let fd = open("/dev/null", O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let bytes: [UInt8] = [1, 2, 3]
        #expect(throws: Errno.badFileDescriptor) {
            try bytes.withUnsafeBytes { raw in try FileDescriptor(rawValue: fd).writeAll(raw) }
        }
    }
}
