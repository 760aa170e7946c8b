import Testing

/// The soak's per-server books (`Kernel.SoakKernelTests.balance`), on log lines written here:
/// a pure function, so it runs on the host, and shows the books can fail.
@Suite("soak: per-server books")
struct SoakBooksTests {
    typealias Soak = Kernel.SoakKernelTests
    static let a = "198.51.100.140:80 203.0.113.1:80", b = "198.51.100.141:80 203.0.113.2:80"

    static func line(_ server: String, _ text: String) -> Substring {
        Substring("2026-12-05T09:00:00+0000 notice swiftvs: [Director] \(server) \(text)")
    }

    @Test func flipsSeenOnceEachBalance() {
        let lines = [Self.line(Self.a, "DOWN: exit status 1"), Self.line(Self.a, "UP: all checkers up"), Self.line(Self.b, "DOWN: exit status 1")]
        let books = Soak.balance(transitions: lines, flips: [Self.a: [10, 80], Self.b: [30]], log: lines)
        #expect(books.unbalanced.isEmpty, "\(books.detail)")
    }

    @Test func aHealthyServerMarkedDownAndUpIsNamed() {
        let lines = [Self.line(Self.a, "DOWN: script timed out"), Self.line(Self.a, "UP: all checkers up"), Self.line(Self.b, "DOWN: exit status 1")]
        let log = lines + [Self.line(Self.a, "MISC_CHECK (swiftvs.conf:5) down: script timed out")]
        let books = Soak.balance(transitions: lines, flips: [Self.b: [30]], log: log)
        #expect(books.unbalanced == [Self.a])
        #expect(books.detail.contains("\(Self.a): 2 transitions, 0 flips"))
        #expect(books.summary.hasSuffix("1 checker-down lines for a timed-out script"))
    }

    @Test func aFlipNeverSeenIsNamed() {
        let books = Soak.balance(transitions: [], flips: [Self.b: [30]], log: [])
        #expect(books.unbalanced == [Self.b])
    }
}
