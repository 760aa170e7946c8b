import Foundation
import Synchronization
import Testing
@testable import IPVS

extension Kernel {
    /// Dumps torn by the kernel itself: a service with more real servers than one part of a
    /// dump holds, and a thread that deletes the newest one and adds it back (to the head of
    /// the list), one change for every round of reads, while they run. (Without pause, it
    /// changes the table during every read, and the binding rightly gives up with `.tornDump`:
    /// seen in the VM.) A single read (`dumpDestinations`)
    /// is seen torn: a real server twice, or one left out that was never deleted. The
    /// binding's read (`IPVSHandle.destinations(of:)`) must be a table the kernel held every
    /// time: all of them, or all but the churned one, each once.
    @Suite("Torn dumps against the kernel", .serialized)
    struct TornDumpKernelTests {
        static let key = ServiceKey.address(.tcp, IPAddress("203.0.113.60")!, port: 80)
        static let count = 600
        static func destination(_ i: Int) -> Destination {
            Destination(address: IPAddress("198.51.100.10")!, port: UInt16(10_000 + i), forwarding: .masquerade)
        }

        @Test func wholeReadsWhileTheTableChanges() throws {
            let ipvs = try freshTable()
            try ipvs.addService(Service(key: Self.key, scheduler: "rr"))
            let applied = try ipvs.apply((0..<Self.count).map { .addDestination(Self.destination($0), to: Self.key) })
            #expect(applied.succeeded, "\(applied.failures.prefix(3))")
            let all = Set((0..<Self.count).map { Self.destination($0).key })
            let churned = Self.destination(Self.count - 1)
            let others = all.subtracting([churned.key])

            let reader = try IPVSHandle()
            var raw = DumpParts()
            _ = try reader.connection.withLock { (c: inout Connection) throws(IPVSError) in
                try c.dumpDestinations(Self.key, statistics: false, parts: &raw)
            }
            #expect(raw.count > 1, "\(Self.count) real servers take more than one part: \(raw)")

            let churn = Churn()
            let churner = try IPVSHandle()
            Thread {
                defer { churn.done.signal() }
                do throws(IPVSError) {
                    while true {
                        churn.go.wait()
                        if churn.stop.load(ordering: .relaxed) { break }
                        // One change a round: a deletion ahead of the kernel's index leaves
                        // an entry out, an addition lists one twice.
                        if churn.rounds.load(ordering: .relaxed) % 2 == 0 {
                            try churner.deleteDestination(churned.key, from: Self.key)
                        } else {
                            try churner.addDestination(churned, to: Self.key)
                        }
                        churn.rounds.add(1, ordering: .relaxed)
                        churn.roundDone.signal()
                    }
                } catch {
                    churn.failure.withLock { $0 = error }
                    churn.roundDone.signal()
                }
            }.start()

            var tornRaw = 0, rawReads = 0, wholeReads = 0, repeated = 0, leftOut = 0
            var wrong: [String] = []
            func readSingle() throws {
                let single = try reader.connection.withLock { (c: inout Connection) throws(IPVSError) in
                    var parts = DumpParts()
                    return try c.dumpDestinations(Self.key, statistics: false, parts: &parts).map(\.destination.key)
                }
                rawReads += 1
                if !Self.held(single, others: others, all: all) {
                    tornRaw += 1
                    if Set(single).count < single.count { repeated += 1 }
                    if !others.isSubset(of: single) { leftOut += 1 }
                }
            }
            func readWhole() throws {
                let whole = try reader.destinations(of: Self.key).map(\.destination.key)
                wholeReads += 1
                if !Self.held(whole, others: others, all: all) {
                    wrong.append("\(whole.count) entries, \(Set(whole).count) distinct, \(others.subtracting(whole).count) never deleted left out")
                }
            }
            // Each round's change runs while a single and a whole read do, the one or the
            // other first, in turn every two rounds (deletions and additions alternate: every
            // round would pair each kind of change with one order); the next round waits for the
            // reads and the change before.
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, tornRaw < 5 || wholeReads < 50 {
                churn.go.signal()
                if rawReads / 2 % 2 == 0 {
                    try readSingle()
                    try readWhole()
                } else {
                    try readWhole()
                    try readSingle()
                }
                churn.roundDone.wait()
                if churn.failure.withLock({ $0 }) != nil { break }
            }
            churn.stop.store(true, ordering: .relaxed)
            churn.go.signal()
            churn.done.wait()
            print("TornDump: \(Self.count) real servers in \(raw.count) parts; \(churn.rounds.load(ordering: .relaxed)) changes (deletions and additions in turn); single reads \(tornRaw) torn of \(rawReads) (\(repeated) listing a real server twice, \(leftOut) leaving out one never deleted); whole reads \(wrong.count) torn of \(wholeReads)")
            let failed = churn.failure.withLock { $0 }
            #expect(failed == nil, "the churning thread failed: \(String(describing: failed))")
            #expect(tornRaw > 0, "the churn tore no single read in \(rawReads): the test shows nothing")
            #expect(wrong.isEmpty, "whole reads that are no table the kernel held: \(wrong.prefix(5))")
            try ipvs.flush()
        }

        /// The churning thread's flag, count and failure.
        final class Churn: Sendable {
            let stop = Atomic<Bool>(false)
            let rounds = Atomic<Int>(0)
            let failure = Mutex<IPVSError?>(nil)
            /// One round of changes per signal.
            let go = DispatchSemaphore(value: 0)
            let roundDone = DispatchSemaphore(value: 0)
            let done = DispatchSemaphore(value: 0)
        }

        /// Whether `keys` is a table the kernel held: every real server once, the churned one
        /// present or not.
        static func held(_ keys: [DestinationKey], others: Set<DestinationKey>, all: Set<DestinationKey>) -> Bool {
            let set = Set(keys)
            return set.count == keys.count && (set == all || set == others)
        }
    }
}
