import Glibc
import SystemErrors
import Testing

@Suite("valueOrErrno: the EINTR retry over swift-system's Errno")
struct ValueOrErrnoTests {
    @Test func interruptedCallsAreRetriedUntilTheyReturn() {
        var calls = 0
        let result = valueOrErrno { () -> Int in
            calls += 1
            if calls < 3 { errno = EINTR; return -1 }
            return 7
        }
        #expect(result == .success(7))
        #expect(calls == 3)
    }

    @Test func anotherFailureIsReturnedAtOnceAsItsErrno() throws {
        var calls = 0
        let result = valueOrErrno { () -> Int32 in
            calls += 1
            return close(-1)
        }
        #expect(result == .failure(.badFileDescriptor))
        #expect(calls == 1)
        // Errno's description is strerror's text, which messages and tests rely on.
        #expect(Errno.badFileDescriptor.description == String(cString: strerror(EBADF)))
        #expect("\(Errno.noSuchFileOrDirectory)" == "No such file or directory")
    }

    @Test func nothingOrErrnoDropsTheValue() {
        var fds: [Int32] = [-1, -1]
        #expect(throws: Never.self) { try nothingOrErrno { pipe(&fds) }.get() }
        defer { close(fds[0]); close(fds[1]) }
        #expect(fds[0] >= 0 && fds[1] >= 0)
        // A short write loop is FileDescriptor's: all of it arrives.
        let bytes = Array("saved table\n".utf8)
        #expect(throws: Never.self) { try FileDescriptor(rawValue: fds[1]).writeAll(bytes) }
        var back = [UInt8](repeating: 0, count: 64)
        let n = valueOrErrno { back.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) } }
        #expect(n == .success(bytes.count))
        #expect(Array(back.prefix(bytes.count)) == bytes)
    }
}
