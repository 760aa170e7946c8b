import Testing
import IPVSModel
@testable import IPVS

/// A dump that may be torn by a change between its parts is read again: one that lists an
/// entry twice (an insertion ahead of the kernel's resume index), and one answered in several
/// parts or in one part too full to tell (a removal ahead of the index leaves an entry out,
/// and nothing in the read shows it) until two reads agree. A table that keeps changing fails
/// as `.tornDump` instead of reaching a save file or a diff. The reads are scripted: a real
/// kernel tears a dump only in the moment between two of its parts (`Kernel.TornDumpKernelTests`
/// tears real ones).
@Suite("Dumps read whole: a torn dump is read again")
struct WholeDumpTests {
    static let key = ReplyPathTests.expected.service.key
    static let onePart = DumpParts(count: 1, fullest: 600)
    static let twoParts = DumpParts(count: 2, fullest: 3000)

    /// Reads that return `script`'s tables in turn, each in its parts, counting the calls.
    final class Script {
        var tables: [([Int], DumpParts)]
        var reads = 0
        init(_ tables: [([Int], DumpParts)]) { self.tables = tables }
        func read(_ parts: inout DumpParts) -> [Int] {
            reads += 1
            let (table, p) = tables.removeFirst()
            parts = p
            return table
        }
    }

    static func readWhole(_ script: Script, attempts: Int = Connection.wholeDumpAttempts) throws(IPVSError) -> [Int] {
        try Connection.readWhole(.dumpDestinations(key), attempts: attempts, key: { $0 }) { (p: inout DumpParts) in script.read(&p) }
    }

    @Test func aWholeReadInOnePartIsReadOnce() throws {
        let script = Script([([1, 2], Self.onePart), ([1, 1], Self.onePart)])
        #expect(try Self.readWhole(script) == [1, 2])
        #expect(script.reads == 1)
    }

    @Test func anEmptyTableIsReadOnce() throws {
        let script = Script([([], DumpParts()), ([1], Self.onePart)])
        #expect(try Self.readWhole(script) == [])
        #expect(script.reads == 1)
    }

    /// An entry listed twice: read again, and the reads after it must agree.
    @Test func aRepeatedKeyIsReadAgain() throws {
        let script = Script([([3, 1, 1], Self.twoParts), ([2, 3, 1], Self.twoParts), ([2, 3, 1], Self.twoParts)])
        #expect(try Self.readWhole(script) == [2, 3, 1])
        #expect(script.reads == 3)
    }

    /// A read in several parts that left an entry out (2, removed from ahead of the index,
    /// shifted 3 past it): the second read disagrees, the third agrees with it.
    @Test func aReadInPartsIsTakenWhenTwoReadsAgree() throws {
        let script = Script([([1, 4], Self.twoParts), ([1, 3, 4], Self.twoParts), ([1, 3, 4], Self.twoParts), ([9], Self.twoParts)])
        #expect(try Self.readWhole(script) == [1, 3, 4])
        #expect(script.reads == 3)
    }

    /// One part with no room left for another entry may have been cut for room, its rest
    /// lost to a removal before the next part: read again.
    @Test func aFullPartIsReadAgain() throws {
        let full = DumpParts(count: 1, fullest: DumpParts.smallestPart - DumpParts.largestEntry + 1)
        let script = Script([([1, 2], full), ([1, 2, 3], full), ([1, 2, 3], full)])
        #expect(try Self.readWhole(script) == [1, 2, 3])
        #expect(script.reads == 3)
    }

    @Test func aTableThatKeepsChangingFailsAsTorn() {
        let script = Script([([1, 1], Self.onePart), ([1, 2], Self.twoParts), ([1, 2, 3], Self.twoParts)])
        do throws(IPVSError) {
            let got = try Self.readWhole(script, attempts: 3)
            Issue.record("a torn read was returned: \(got)")
        } catch {
            #expect(error.code == .tornDump)
            #expect("\(error)" == "list destinations of service TCP 192.0.2.100:80: the table changed during each of 3 reads (the kernel lists it in parts, and a change between two parts lists an entry twice or leaves one out)")
        }
        #expect(script.reads == 3)
    }

    @Test func keysRepeatOnlyWhenTwoAreEqual() {
        #expect(!Connection.repeatsAKey([1, 2, 3]))
        #expect(Connection.repeatsAKey([1, 2, 1]))
        #expect(!Connection.repeatsAKey([Int]()))
    }

    /// The handle reads through the whole-dump path: a real dump of one service comes back as
    /// one entry (a fabricated reply through the fake kernel's socket), read once.
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

    /// Parts are the datagrams that carry entries, not the one that ends the dump; the
    /// fullest is the longest of them. (A whole read of these could not be scripted here: the
    /// fake's answer to the second read would already be in the socket during the first,
    /// which drops what it received past its NLMSG_DONE.)
    @Test func partsAreTheDatagramsWithEntries() throws {
        let fake = try FakeKernelSocket()
        var c = try ReplyPathTests.connect(fake)
        let port = c.socket.localPort
        let first = ReplyPathTests.serviceMessage(1001) + ReplyPathTests.serviceMessage(1001, serviceBody("service-udp6-sh-flags"))
        let second = ReplyPathTests.serviceMessage(1001, serviceBody("service-udp6-sh-flags"))
        #expect(fake.send(first, to: port))
        #expect(fake.send(second, to: port))
        #expect(fake.send(doneMessage(1001), to: port))
        var parts = DumpParts()
        #expect(try c.dumpServices(parts: &parts).count == 3)
        #expect(parts == DumpParts(count: 2, fullest: first.count))
        #expect(!parts.isOneUncutPart)
    }
}
