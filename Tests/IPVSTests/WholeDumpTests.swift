import Testing
import IPVSModel
@testable import IPVS

/// A dump torn by a change between its parts (an entry listed twice, as the kernel's resumed
/// part lists it after an insertion at the head of the list) is read again; a table that keeps
/// changing fails as `.tornDump` instead of reaching a save file or a diff. The reads are
/// scripted: a real kernel tears a dump only in the moment between two of its parts.
@Suite("Dumps read whole: a torn dump is read again")
struct WholeDumpTests {
    static let key = ReplyPathTests.expected.service.key

    /// Reads that return `script`'s tables in turn, counting the calls.
    final class Script {
        var tables: [[Int]]
        var reads = 0
        init(_ tables: [[Int]]) { self.tables = tables }
        func read() -> [Int] { reads += 1; return tables.removeFirst() }
    }

    @Test func aTornReadIsReadAgain() throws {
        let script = Script([[3, 1, 1], [2, 3, 1, 1], [2, 3, 1]])
        let got = try Connection.readWhole(.dumpDestinations(Self.key), key: { $0 }) { script.read() }
        #expect(got == [2, 3, 1])
        #expect(script.reads == 3)
    }

    @Test func aWholeReadIsReadOnce() throws {
        let script = Script([[1, 2], [1, 1]])
        #expect(try Connection.readWhole(.dumpServices, key: { $0 }) { script.read() } == [1, 2])
        #expect(script.reads == 1)
    }

    @Test func aTableThatKeepsChangingFailsAsTorn() {
        let script = Script(Array(repeating: [1, 1], count: 3))
        do throws(IPVSError) {
            let got = try Connection.readWhole(.dumpDestinations(Self.key), attempts: 3, key: { $0 }) { script.read() }
            Issue.record("a torn read was returned: \(got)")
        } catch {
            #expect(error.code == .tornDump)
            #expect("\(error)" == "list destinations of service TCP 192.0.2.100:80: the table changed during each of 3 reads (an entry was listed twice)")
        }
        #expect(script.reads == 3)
    }

    @Test func keysRepeatOnlyWhenTwoAreEqual() {
        #expect(!Connection.repeatsAKey([1, 2, 3]))
        #expect(Connection.repeatsAKey([1, 2, 1]))
        #expect(!Connection.repeatsAKey([Int]()))
    }

    /// The handle reads through the whole-dump path: a real dump of one service comes back as
    /// one entry (a fabricated reply through the fake kernel's socket).
    @Test func aWholeDestinationDumpDecodes() throws {
        let fake = try FakeKernelSocket()
        var c = try ReplyPathTests.connect(fake)
        let port = c.socket.localPort
        let body = hex(capturedReplies["service-tcp4-persistent-dest0"]!)
        #expect(fake.send(netlinkMessage(type: fakeFamily, sequence: 1001, payload: body), to: port))
        #expect(fake.send(doneMessage(1001), to: port))
        let expected = try IPVSWire.decodeDestination(ByteView(body), serviceFamily: Self.key.family)
        #expect(try c.dumpDestinationsWhole(Self.key) == [expected])
    }
}
