import Testing
@testable import IPVS
@testable import IPVSRules
import SystemErrors
import TestSupport

private func v4(_ s: String) -> IPAddress { IPAddress(s)! }
private let k80 = ServiceKey.address(.tcp, v4("192.0.2.10"), port: 80)
private let k443 = ServiceKey.address(.tcp, v4("192.0.2.10"), port: 443)
private let k53 = ServiceKey.address(.udp, v4("192.0.2.10"), port: 53)
private func dest(_ a: String, _ port: UInt16 = 80, _ f: ForwardingMethod = .masquerade, weight: Int32 = 1) -> Destination {
    Destination(address: v4(a), port: port, forwarding: f, weight: weight)
}
private func entry(_ s: Service, _ d: [Destination], conns: UInt64 = 0) -> ServiceEntry {
    var e = ServiceEntry(service: s, destinations: d.map { DestinationEntry(destination: $0) })
    e.stats.connections = conns
    for i in e.destinations.indices { e.destinations[i].stats.connections = conns + 1 }
    return e
}

@Suite("plan")
struct PlanTests {
    @Test("an equal table needs no change, whatever the counters and order")
    func nothingToDo() {
        let current = [entry(Service(key: k80), [dest("192.0.2.20"), dest("192.0.2.21")], conns: 5),
                       entry(Service(key: k53, scheduler: "rr"), [])]
        let desired = [entry(Service(key: k53, scheduler: "rr"), []),
                       entry(Service(key: k80), [dest("192.0.2.21"), dest("192.0.2.20")])]
        #expect(Plan.diff(current: current, desired: desired) == [])
    }

    @Test("the minimal changes, in a safe order")
    func example() {
        let current = [
            entry(Service(key: k80), [dest("192.0.2.20"), dest("192.0.2.21"), dest("192.0.2.22")], conns: 9),
            entry(Service(key: k443, scheduler: "rr"), [dest("192.0.2.30", 443)]),
            entry(Service(key: k53), [dest("192.0.2.40", 53)]),
        ]
        let desired = [
            entry(Service(key: .fwmark(7, family: .inet)), [dest("192.0.2.50", 0, .directRouting)]),
            entry(Service(key: k80), [dest("192.0.2.23"), dest("192.0.2.21", weight: 0), dest("192.0.2.20")]),
            entry(Service(key: k443, scheduler: "wrr", flags: .persistent, timeout: 60), [dest("192.0.2.30", 443)]),
        ]
        let changes = Plan.diff(current: current, desired: desired)
        #expect(changes == [
            .deleteService(k53),
            .deleteDestination(DestinationKey(address: v4("192.0.2.22"), port: 80), from: k80),
            .editDestination(dest("192.0.2.21", weight: 0), in: k80),
            .addDestination(dest("192.0.2.23"), to: k80),
            .editService(Service(key: k443, scheduler: "wrr", flags: .persistent, timeout: 60)),
            .addService(Service(key: .fwmark(7, family: .inet))),
            .addDestination(dest("192.0.2.50", 0, .directRouting), to: .fwmark(7, family: .inet)),
        ])
        let after = Plan.simulate(changes, on: current)
        #expect(after.rejected == [])
        #expect(TableConfig(after.table) == TableConfig(desired))
        // The untouched service and destinations keep their counters.
        let web = after.table.first { $0.service.key == k80 }!
        #expect(web.stats.connections == 9)
        #expect(web.destinations.first { $0.destination.address == v4("192.0.2.20") }?.stats.connections == 10)
        #expect(web.destinations.first { $0.destination.address == v4("192.0.2.21") }?.stats.connections == 10)

        let undo = Plan.inverse(of: changes, before: current)
        #expect(undo == [
            .deleteDestination(DestinationKey(address: v4("192.0.2.50"), port: 0), from: .fwmark(7, family: .inet)),
            .deleteService(.fwmark(7, family: .inet)),
            .editService(Service(key: k443, scheduler: "rr")),
            .deleteDestination(DestinationKey(address: v4("192.0.2.23"), port: 80), from: k80),
            .editDestination(dest("192.0.2.21"), in: k80),
            .addDestination(dest("192.0.2.22"), to: k80),
            .addService(Service(key: k53)),
            .addDestination(dest("192.0.2.40", 53), to: k53),
        ])
        let back = Plan.simulate(undo, on: after.table)
        #expect(back.rejected == [])
        #expect(TableConfig(back.table) == TableConfig(current))
    }

    @Test("inverse of a flush re-creates every service with its destinations and attributes")
    func inverseOfFlush() {
        let current = [
            entry(Service(key: k80, scheduler: "sh", flags: [.persistent, .shPort], timeout: 30, netmask: 0xFFFF_FF00),
                  [dest("192.0.2.20", 80, .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote)), weight: 3)]),
            entry(Service(key: .fwmark(1, family: .inet6), netmask: 64), []),
        ]
        let changes: [Change] = [.flush, .addService(Service(key: k53))]
        let after = Plan.simulate(changes, on: current).table
        let undo = Plan.inverse(of: changes, before: current)
        #expect(undo.first == .deleteService(k53))
        #expect(TableConfig(Plan.simulate(undo, on: after).table) == TableConfig(current))
    }

    @Test("changes the kernel refused are not undone")
    func refusedChanges() {
        let current = [entry(Service(key: k80), [dest("192.0.2.20")])]
        // The second add is a duplicate the kernel refuses; the edit of a missing service too.
        let changes: [Change] = [.addService(Service(key: k53)), .addService(Service(key: k53, scheduler: "rr")),
                                 .editService(Service(key: k443))]
        #expect(Plan.simulate(changes, on: current).rejected == [1, 2])
        #expect(Plan.inverse(of: changes, before: current) == [.deleteService(k53)])
    }

    @Test("the applied part of a batch: sent and not failed")
    func appliedPart() {
        let changes: [Change] = [.flush, .addService(Service(key: k80)), .addService(Service(key: k53)), .deleteService(k443)]
        let err = IPVSError(code: .noSuchService, errno: .noSuchProcess, operation: .addService, reason: "x")
        let result = BatchResult(processed: 3, failures: [BatchFailure(index: 1, change: changes[1], error: err)])
        #expect(Plan.applied(changes, result: result) == [.flush, .addService(Service(key: k53))])
    }

    @Test("random tables: diff reaches desired with the fewest changes, inverse restores current",
          arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomized(seed: UInt64) {
        var rng = SplitMix(state: seed)
        for _ in 0..<100 {
            let current = Self.randomTable(&rng)
            let desired = Self.randomTable(&rng)
            let changes = Plan.diff(current: current, desired: desired)
            // These tables have no repeats: skipping the checks for them changes nothing,
            // from this table or from empty.
            #expect(Plan.diff(current: current, desired: desired, unique: true) == changes)
            #expect(Plan.diff(current: [], desired: desired, unique: true) == Plan.diff(current: [], desired: desired))

            let after = Plan.simulate(changes, on: current)
            #expect(after.rejected == [], "refused: \(after.rejected.map { changes[$0] })")
            #expect(TableConfig(after.table) == TableConfig(desired))
            #expect(changes.count == Self.minimalCount(current, desired))

            // Per service: its destination deletes come before its adds.
            for key in Set(desired.map(\.service.key)) {
                let dels = changes.indices.filter { if case .deleteDestination(_, key) = changes[$0] { true } else { false } }
                let adds = changes.indices.filter { if case .addDestination(_, key) = changes[$0] { true } else { false } }
                if let d = dels.max(), let a = adds.min() { #expect(d < a) }
            }

            let undo = Plan.inverse(of: changes, before: current)
            let back = Plan.simulate(undo, on: after.table)
            #expect(back.rejected == [])
            #expect(TableConfig(back.table) == TableConfig(current))

            // A batch cut short, with some failures: undo exactly what went through.
            let processed = Int.random(in: 0...changes.count, using: &rng)
            let failed = (0..<processed).filter { _ in Int.random(in: 0..<5, using: &rng) == 0 }
            let err = IPVSError(code: .invalidArgument, errno: .invalidArgument, operation: .addService, reason: "x")
            let result = BatchResult(processed: processed,
                                     failures: failed.map { BatchFailure(index: $0, change: changes[$0], error: err) })
            let sent = Plan.applied(changes, result: result)
            let partial = Plan.simulate(sent, on: current)
            let kernelApplied = sent.enumerated().filter { !partial.rejected.contains($0.offset) }.map(\.element)
            let rollback = Plan.inverse(of: kernelApplied, before: current)
            let restored = Plan.simulate(rollback, on: partial.table)
            #expect(restored.rejected == [])
            #expect(TableConfig(restored.table) == TableConfig(current))
        }
    }

    /// The number of changes a minimal plan needs, counted independently of `diff`.
    static func minimalCount(_ current: [ServiceEntry], _ desired: [ServiceEntry]) -> Int {
        let c = TableConfig(current), d = TableConfig(desired)
        var n = 0
        for k in c.services.keys where d.services[k] == nil { n += 1 }
        for (k, s) in d.services {
            guard let old = c.services[k] else {
                n += 1 + d.destinations[k]!.count
                continue
            }
            if old != s { n += 1 }
            let od = c.destinations[k]!, nd = d.destinations[k]!
            n += od.keys.filter { nd[$0] == nil }.count
            n += nd.keys.filter { od[$0] == nil }.count
            n += nd.keys.filter { od[$0] != nil && od[$0] != nd[$0] }.count
        }
        return n
    }

    static let keys: [ServiceKey] = [
        .address(.tcp, IPAddress("192.0.2.10")!, port: 80),
        .address(.udp, IPAddress("192.0.2.10")!, port: 53),
        .address(.sctp, IPAddress("198.51.100.1")!, port: 5060),
        .address(.tcp, IPAddress("2001:db8::10")!, port: 443),
        .fwmark(1, family: .inet),
        .fwmark(1, family: .inet6),
    ]

    static func randomTable(_ rng: inout SplitMix) -> [ServiceEntry] {
        var table: [ServiceEntry] = []
        for key in keys.shuffled(using: &rng) where Bool.random(using: &rng) {
            var s = Service(key: key, scheduler: ["rr", "wlc", "sh"].randomElement(using: &rng)!)
            if Bool.random(using: &rng) { s.persistence = [60, 360].randomElement(using: &rng)! }
            if s.scheduler == "sh", Bool.random(using: &rng) { s.flags.insert(.shPort) }
            var dests: [Destination] = []
            let v6 = key.family == .inet6
            for i in (1...5).shuffled(using: &rng) where Int.random(in: 0..<3, using: &rng) > 0 {
                let address = v6 ? IPAddress("2001:db8::\(i)")! : IPAddress("192.0.2.\(20 + i)")!
                let forwarding: ForwardingMethod = [
                    .masquerade, .directRouting, .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .checksum)),
                ].randomElement(using: &rng)!
                dests.append(Destination(address: address, port: [80, 8080].randomElement(using: &rng)!,
                                         forwarding: forwarding, weight: Int32.random(in: 0...2, using: &rng),
                                         upperThreshold: [0, 100].randomElement(using: &rng)!))
            }
            // Two ports per address may collide: keep one destination per key.
            var seen: Set<DestinationKey> = []
            dests = dests.filter { seen.insert($0.key).inserted }
            table.append(entry(s, dests, conns: UInt64.random(in: 0...9, using: &rng)))
        }
        return table
    }
}
