import IPVSModel

/// Turning the kernel's table into a desired one with the fewest changes, and undoing
/// changes the kernel applied.
public enum Plan {
    /// The changes that make `current` equal to `desired`, fewest first-class operations:
    ///
    /// - services only in `current`: `deleteService` (their destinations go with them);
    /// - services in both: untouched if their configuration is equal (counters and
    ///   connections stay), else one `editService`; then, for their destinations,
    ///   `deleteDestination`s first, then `editDestination`s for changed attributes,
    ///   then `addDestination`s;
    /// - services only in `desired`: `addService`, then `addDestination`s in order.
    ///
    /// Deleted services come first, then kept services in `desired`'s order, then new
    /// ones in `desired`'s order. Only configuration is compared (``Service`` and
    /// ``Destination``), never stats. Keys must be unique within each table (as
    /// ``RulesFile/table(startingFrom:)`` guarantees); for a repeated key the first wins.
    /// - Parameter unique: `desired` is known to have no repeated service key, nor a
    ///   repeated real server within a service (a table from ``RulesFile``): the checks for
    ///   repeats are skipped.
    public static func diff(current: [ServiceEntry], desired: [ServiceEntry], unique: Bool = false) -> [Change] {
        if current.isEmpty && unique { return additions(of: desired) }
        var currentByKey: [ServiceKey: ServiceEntry] = [:]
        currentByKey.reserveCapacity(current.count)
        for e in current where currentByKey[e.service.key] == nil { currentByKey[e.service.key] = e }
        var desiredKeys: Set<ServiceKey> = []
        var desiredUnique: [ServiceEntry] = []
        if unique {
            desiredUnique = desired
            // Only deletions need the set, and there are none from an empty table.
            if !current.isEmpty { desiredKeys = Set(desired.lazy.map(\.service.key)) }
        } else {
            desiredKeys.reserveCapacity(desired.count)
            desiredUnique.reserveCapacity(desired.count)
            for e in desired where desiredKeys.insert(e.service.key).inserted { desiredUnique.append(e) }
        }

        var changes: [Change] = []
        var deleted: Set<ServiceKey> = []
        var additions: [Change] = []
        if current.isEmpty {   // a restore into an empty table: everything is added
            additions.reserveCapacity(desiredUnique.reduce(desiredUnique.count) { $0 + $1.destinations.count })
        }
        for e in current where !desiredKeys.contains(e.service.key) && deleted.insert(e.service.key).inserted {
            changes.append(.deleteService(e.service.key))
        }
        for want in desiredUnique {
            let key = want.service.key
            guard let have = currentByKey[key] else {
                additions.append(.addService(want.service))
                let ds = want.destinations
                if unique {
                    for d in ds { additions.append(.addDestination(d.destination, to: key)) }
                } else if ds.count <= 16 {
                    // The usual few real servers: a repeated key found by looking back, no set.
                    for (i, d) in ds.enumerated() where !ds[..<i].contains(where: { $0.destination.key == d.destination.key }) {
                        additions.append(.addDestination(d.destination, to: key))
                    }
                } else {
                    var seen: Set<DestinationKey> = []
                    for d in ds where seen.insert(d.destination.key).inserted {
                        additions.append(.addDestination(d.destination, to: key))
                    }
                }
                continue
            }
            if have.service != want.service {
                changes.append(.editService(want.service))
            }
            var wanted: [DestinationKey: Destination] = [:]
            var wantedOrder: [Destination] = []
            for d in want.destinations where wanted[d.destination.key] == nil {
                wanted[d.destination.key] = d.destination
                wantedOrder.append(d.destination)
            }
            var had: [DestinationKey: Destination] = [:]
            for d in have.destinations where had[d.destination.key] == nil {
                had[d.destination.key] = d.destination
                if wanted[d.destination.key] == nil {
                    changes.append(.deleteDestination(d.destination.key, from: key))
                }
            }
            for d in wantedOrder {
                if let old = had[d.key], old != d { changes.append(.editDestination(d, in: key)) }
            }
            for d in wantedOrder where had[d.key] == nil {
                changes.append(.addDestination(d, to: key))
            }
        }
        if changes.isEmpty { return additions }   // a restore into an empty table: no copy
        return changes + additions
    }

    /// `diff` from an empty table to `desired` (no repeated keys): every service, then its
    /// real servers, in order. The entries are read where they lie (a loop over the
    /// table would copy each entry, and its service, out of the array first).
    private static func additions(of desired: [ServiceEntry]) -> [Change] {
        let total = desired.reduce(desired.count) { $0 + $1.destinations.count }
        if total == 0 { return [] }
        // Each change is made in its place in the result (no capacity check per append).
        return [Change](unsafeUninitializedCapacity: total) { out, initialized in
            var next = out.baseAddress!
            desired.withUnsafeBufferPointer { entries in
                for i in entries.indices {
                    next.initialize(to: .addService(entries[i].service))
                    next += 1
                    let key = entries[i].service.key
                    entries[i].destinations.withUnsafeBufferPointer { destinations in
                        for j in destinations.indices {
                            next.initialize(to: .addDestination(destinations[j].destination, to: key))
                            next += 1
                        }
                    }
                }
            }
            initialized = next - out.baseAddress!
        }
    }

    /// The outcome of replaying changes on an in-memory table.
    public struct Simulation: Hashable, Sendable {
        /// The table afterwards.
        public var table: [ServiceEntry]
        /// Indexes of the changes the kernel would refuse (missing or already existing
        /// objects); they changed nothing.
        public var rejected: [Int]
    }

    /// Applies `changes` to `table` in memory as the kernel would: new services and
    /// destinations go last with zero counters, edits keep counters, a refused change
    /// (adding what exists, touching what does not) changes nothing.
    public static func simulate(_ changes: [Change], on table: [ServiceEntry]) -> Simulation {
        var t = Table(table)
        var rejected: [Int] = []
        for (i, c) in changes.enumerated() where !t.apply(c) { rejected.append(i) }
        return Simulation(table: t.entries, rejected: rejected)
    }

    /// The changes that undo `applied` — the changes the kernel actually made, in order,
    /// starting from `before` — restoring `before`'s configuration exactly: deleted
    /// services come back with their attributes and destinations, added ones go,
    /// edits are edited back. Changes that could not have succeeded on the table at
    /// their point are skipped. Counters cannot be restored (`zero` has no inverse).
    public static func inverse(of applied: [Change], before: [ServiceEntry]) -> [Change] {
        var t = Table(before)
        var groups: [[Change]] = []
        for c in applied {
            var undo: [Change] = []
            switch c {
            case let .addService(s):
                if t.index(s.key) == nil { undo = [.deleteService(s.key)] }
            case let .editService(s):
                if let i = t.index(s.key) { undo = [.editService(t.entries[i].service)] }
            case let .deleteService(k):
                if let i = t.index(k) { undo = recreate(t.entries[i]) }
            case let .addDestination(d, k):
                if let i = t.index(k), t.destinationIndex(d.key, i) == nil { undo = [.deleteDestination(d.key, from: k)] }
            case let .editDestination(d, k):
                if let i = t.index(k), let j = t.destinationIndex(d.key, i) {
                    undo = [.editDestination(t.entries[i].destinations[j].destination, in: k)]
                }
            case let .deleteDestination(dk, k):
                if let i = t.index(k), let j = t.destinationIndex(dk, i) {
                    undo = [.addDestination(t.entries[i].destinations[j].destination, to: k)]
                }
            case .flush:
                undo = t.entries.flatMap(recreate)
            case .zero:
                break
            }
            if t.apply(c), !undo.isEmpty { groups.append(undo) }
        }
        return groups.reversed().flatMap { $0 }
    }

    /// The changes of a batch that the kernel applied: those sent (`result.processed`)
    /// and not among `result.failures`.
    public static func applied(_ changes: [Change], result: BatchResult) -> [Change] {
        let failed = Set(result.failures.map(\.index))
        return changes.prefix(result.processed).enumerated().filter { !failed.contains($0.offset) }.map(\.element)
    }

    private static func recreate(_ e: ServiceEntry) -> [Change] {
        [.addService(e.service)] + e.destinations.map { .addDestination($0.destination, to: e.service.key) }
    }

    /// An in-memory table with the kernel's rules for changes.
    struct Table {
        var entries: [ServiceEntry]

        init(_ entries: [ServiceEntry]) { self.entries = entries }

        func index(_ key: ServiceKey) -> Int? { entries.firstIndex { $0.service.key == key } }

        func destinationIndex(_ key: DestinationKey, _ service: Int) -> Int? {
            entries[service].destinations.firstIndex { $0.destination.key == key }
        }

        /// False when the kernel would refuse the change.
        mutating func apply(_ c: Change) -> Bool {
            switch c {
            case let .addService(s):
                guard index(s.key) == nil else { return false }
                entries.append(ServiceEntry(service: s))
            case let .editService(s):
                guard let i = index(s.key) else { return false }
                entries[i].service = s
            case let .deleteService(k):
                guard let i = index(k) else { return false }
                entries.remove(at: i)
            case let .addDestination(d, k):
                guard let i = index(k), destinationIndex(d.key, i) == nil else { return false }
                entries[i].destinations.append(DestinationEntry(destination: d))
            case let .editDestination(d, k):
                guard let i = index(k), let j = destinationIndex(d.key, i) else { return false }
                entries[i].destinations[j].destination = d
            case let .deleteDestination(dk, k):
                guard let i = index(k), let j = destinationIndex(dk, i) else { return false }
                entries[i].destinations.remove(at: j)
            case .flush:
                entries = []
            case let .zero(k):
                if let k {
                    guard let i = index(k) else { return false }
                    zero(i)
                } else {
                    for i in entries.indices { zero(i) }
                }
            }
            return true
        }

        private mutating func zero(_ i: Int) {
            entries[i].stats = Stats()
            for j in entries[i].destinations.indices { entries[i].destinations[j].stats = Stats() }
        }
    }
}
