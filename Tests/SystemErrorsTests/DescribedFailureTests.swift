import Glibc
import SystemErrors
import Testing

private enum Sample {}
extension ErrorCode where Domain == Sample {
    static var firstClass: Self { Self(#function) }
}

@Suite("DescribedFailure: the one wording of a failure, with swift-system's Errno")
struct DescribedFailureTests {
    @Test func partsAreJoinedAndEmptyOnesLeftOut() {
        #expect(FailureText.render(subject: "add address 198.51.100.39/24 to eth0", reason: "File exists")
                == "add address 198.51.100.39/24 to eth0: File exists")
        #expect(FailureText.render(subject: "/run/x.sock", step: "bind", reason: "Address already in use")
                == "/run/x.sock: bind: Address already in use")
        #expect(FailureText.render(subject: "", step: "madvise", errno: .invalidArgument) == "madvise: Invalid argument")
        #expect(FailureText.render(subject: "open rtnetlink socket", reason: "") == "open rtnetlink socket")
        #expect(FailureText.render(subject: "", errno: .connectionRefused) == "Connection refused")
    }

    @Test func systemCallFailureReadsSubjectStepAndStrerror() {
        let failure = SystemCallFailure(subject: "/run/swiftvs/state.json.tmp.1", step: "write", errno: .noSpace)
        #expect("\(failure)" == "/run/swiftvs/state.json.tmp.1: write: " + String(cString: strerror(ENOSPC)))
    }

    @Test func closingReadsTheErrnoBeforeItClosesTheDescriptor() throws {
        // A socket pair, so that the close is seen from the other end: the descriptor's number
        // itself may be reused at once by a test running in parallel.
        var ends: [Int32] = [-1, -1]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &ends) == 0)
        defer { close(ends[1]) }
        #expect(open("/nonexistent/st3", O_RDONLY) == -1)
        let failure = SystemCallFailure.closing(ends[0], subject: "x", step: "open")
        #expect(failure.errno == .noSuchFileOrDirectory)
        var byte: UInt8 = 0
        #expect(recv(ends[1], &byte, 1, Int32(MSG_DONTWAIT)) == 0, "the closed end reads as end of file from its peer")
        // A close that fails itself (EBADF) does not replace the errno being reported.
        #expect(open("/nonexistent/st3", O_RDONLY) == -1)
        #expect(SystemCallFailure.closing(-1, subject: "x", step: "open").errno == .noSuchFileOrDirectory)
    }

    @Test func codesAreNamedAfterTheirMemberAndCompareByName() {
        #expect(ErrorCode<Sample>.firstClass.description == "firstClass")
        #expect(ErrorCode<Sample>.firstClass == .firstClass)
        switch ErrorCode<Sample>.firstClass {
        case .firstClass: break
        default: Issue.record("a code matches its own static member in a switch")
        }
    }
}
