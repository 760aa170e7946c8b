import IPVSModel

/// Dumps read whole.
///
/// A netlink dump is not one atomic read: the kernel answers it in parts (at least a filled
/// one and the empty one that ends it), takes its lock for each, and resumes the next part by
/// index. It adds a destination at the head of its service's list, so one added between two
/// parts pushes the rest along and the resumed part lists an entry again. A read that lists an
/// entry twice is no table the kernel held: it is read again, up to `wholeDumpAttempts` times,
/// and a last torn read fails as `.tornDump` rather than reach a save file or a diff.
extension Connection {
    static let wholeDumpAttempts = 20

    mutating func dumpServicesWhole(statistics: Bool = true) throws(IPVSError) -> [ServiceEntry] {
        try Self.readWhole(.dumpServices, key: \.service.key) { () throws(IPVSError) in
            try dumpServices(statistics: statistics)
        }
    }

    mutating func dumpDestinationsWhole(_ key: ServiceKey, statistics: Bool = true) throws(IPVSError) -> [DestinationEntry] {
        try Self.readWhole(.dumpDestinations(key), key: \.destination.key) { () throws(IPVSError) in
            try dumpDestinations(key, statistics: statistics)
        }
    }

    /// `read` until no two entries share a key, at most `attempts` times.
    static func readWhole<Entry, Key: Hashable>(
        _ request: Request, attempts: Int = wholeDumpAttempts, key: (Entry) -> Key,
        _ read: () throws(IPVSError) -> [Entry]
    ) throws(IPVSError) -> [Entry] {
        for _ in 0..<attempts {
            let entries = try read()
            if !repeatsAKey(entries.lazy.map(key)) { return entries }
        }
        throw IPVSError(code: .tornDump, operation: request.operation, object: request.object,
                        reason: "the table changed during each of \(attempts) reads (an entry was listed twice)")
    }

    /// Whether a key comes twice.
    static func repeatsAKey<Keys: Collection>(_ keys: Keys) -> Bool where Keys.Element: Hashable {
        var seen = Set<Keys.Element>(minimumCapacity: keys.count)
        for key in keys where !seen.insert(key).inserted { return true }
        return false
    }
}
