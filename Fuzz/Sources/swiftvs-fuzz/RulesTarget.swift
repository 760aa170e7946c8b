import IPVS
import IPVSRules

/// ipvsadm-restore text and the restore planner. The input is one rules file, or two
/// separated by a line `%%`: the table the kernel has (`current`) and the file restored onto it
/// (`desired`). Beyond not trapping, what `swiftvs restore` relies on must hold:
///
/// - the plan from `current` to `desired` (`Plan.diff`) replays (`Plan.simulate`) with no
///   refused change and gives `desired`'s configuration;
/// - its inverse (`Plan.inverse`, the rollback) gives `current`'s back;
/// - `desired` saved (`SaveFormat.render`) and read again is the same table, but for what the
///   save leaves out by design (`asSaved`).
enum RulesTarget {
    static func run(_ bytes: [UInt8]) {
        let parts = split(bytes)
        let tables = parts.map { part -> [ServiceEntry]? in
            (try? RulesFile.parseWithTable(utf8: part, fileName: "fuzz.rules", resolver: NumericResolver()))?.table
        }
        // The --append path too: the second file read on top of the first table.
        if parts.count == 2, let base = tables[0] {
            _ = try? RulesFile.parseWithTable(utf8: parts[1], fileName: "fuzz.rules", resolver: NumericResolver(), startingFrom: base)
        }
        guard let desired = tables.last ?? nil else { return }
        let current = parts.count == 2 ? (tables[0] ?? []) : []
        checkPlan(from: current, to: desired)
        checkSaveRoundTrip(desired)
    }

    static func split(_ bytes: [UInt8]) -> [[UInt8]] {
        let marker: [UInt8] = Array("\n%%\n".utf8)
        guard bytes.count >= marker.count else { return [bytes] }
        for i in 0...(bytes.count - marker.count) where bytes[i..<(i + marker.count)].elementsEqual(marker) {
            return [Array(bytes[..<(i + 1)]), Array(bytes[(i + marker.count)...])]
        }
        return [bytes]
    }

    static func checkPlan(from current: [ServiceEntry], to desired: [ServiceEntry]) {
        let changes = Plan.diff(current: current, desired: desired, unique: true)
        let forward = Plan.simulate(changes, on: current)
        precondition(forward.rejected.isEmpty, "plan has refused changes \(forward.rejected): \(changes)")
        precondition(configuration(forward.table) == configuration(desired),
                     "plan does not reach the desired table:\n\(changes)")
        let undo = Plan.inverse(of: changes, before: current)
        let back = Plan.simulate(undo, on: forward.table)
        precondition(back.rejected.isEmpty, "rollback has refused changes \(back.rejected): \(undo)")
        precondition(configuration(back.table) == configuration(current), "rollback does not restore the table:\n\(undo)")
    }

    static func checkSaveRoundTrip(_ table: [ServiceEntry]) {
        let text = SaveFormat.render(table, numeric: true, resolver: NumericResolver(), includeThresholds: true, sorted: false)
        let again: [ServiceEntry]?
        do {
            again = try RulesFile.parseWithTable(text, fileName: "saved.rules", resolver: NumericResolver()).table
        } catch {
            preconditionFailure("the save of a table read from a file is refused:\n\(text)\n\(error)")
        }
        precondition(again.map { configuration($0.map(asSaved)) } == configuration(table.map(asSaved)),
                     "the save does not read back as the table:\n\(text)")
    }

    /// A table entry as the save can say it. Like ipvsadm's, the save leaves out (`SaveFormat`'s
    /// documentation) the persistence netmask of a service that is not persistent, and
    /// flag-3 of sh and mh, which name only flag-1 and flag-2: both are read and sent to the
    /// kernel, which keeps them, but no save shows them, so they are no part of what must
    /// read back.
    static func asSaved(_ entry: ServiceEntry) -> ServiceEntry {
        var e = entry
        if !e.service.flags.contains(.persistent) { e.service.netmask = Service.fullNetmask(e.service.key.family) }
        if ["sh", "mh"].contains(e.service.scheduler) { e.service.flags.remove(.schedulerFlag3) }
        return e
    }

    /// A table's configuration, the part a restore sets: services by key, each with its real
    /// servers by key (order and counters left out).
    static func configuration(_ table: [ServiceEntry]) -> [ServiceKey: Entry] {
        var out: [ServiceKey: Entry] = [:]
        for e in table {
            var ds: [DestinationKey: Destination] = [:]
            for d in e.destinations { ds[d.destination.key] = d.destination }
            out[e.service.key] = Entry(service: e.service, destinations: ds)
        }
        return out
    }

    struct Entry: Equatable {
        var service: Service
        var destinations: [DestinationKey: Destination]
    }
}
