import IPVSModel

/// Dumps read whole.
///
/// A netlink dump is not one atomic read: the kernel answers it in parts (datagrams, at least
/// a filled one and the empty one that ends it), takes its lock for each, and resumes the next
/// part by index. A change between two parts shifts the entries the index counts: an entry
/// added ahead of the index (a destination goes to the head of its service's list, a service
/// to the head of its hash bucket) makes the next part list an entry again; one removed ahead
/// of it makes the next part skip an entry that is still there, and nothing in the read shows
/// it. A read in one part with room left (`DumpParts.isOneUncutPart`, the usual few
/// destinations) was listed in one go and is taken as it is. Any other read is taken when the
/// read after it lists the same keys in the same order; a read that lists a key twice is torn
/// for certain. Up to `wholeDumpAttempts` reads; a table that keeps changing fails as
/// `.tornDump` rather than reach a save file or a diff.
extension Connection {
    static let wholeDumpAttempts = 20

    mutating func dumpServicesWhole(statistics: Bool = true) throws(IPVSError) -> [ServiceEntry] {
        try Self.readWhole(.dumpServices, key: \.service.key) { (parts: inout DumpParts) throws(IPVSError) in
            try dumpServices(statistics: statistics, parts: &parts)
        }
    }

    mutating func dumpDestinationsWhole(_ key: ServiceKey, statistics: Bool = true) throws(IPVSError) -> [DestinationEntry] {
        try Self.readWhole(.dumpDestinations(key), key: \.destination.key) { (parts: inout DumpParts) throws(IPVSError) in
            try dumpDestinations(key, statistics: statistics, parts: &parts)
        }
    }

    /// `read` until a read is one uncut part, or two reads in a row list the same keys, never
    /// one that lists a key twice; at most `attempts` reads.
    static func readWhole<Entry, Key: Hashable>(
        _ request: Request, attempts: Int = wholeDumpAttempts, key: (Entry) -> Key,
        _ read: (inout DumpParts) throws(IPVSError) -> [Entry]
    ) throws(IPVSError) -> [Entry] {
        var previous: [Key]?
        for _ in 0..<attempts {
            var parts = DumpParts()
            let entries = try read(&parts)
            let keys = entries.map(key)
            if repeatsAKey(keys) {
                previous = nil
                continue
            }
            if parts.isOneUncutPart || keys == previous { return entries }
            previous = keys
        }
        throw IPVSError(code: .tornDump, operation: request.operation, object: request.object,
                        reason: "the table changed during each of \(attempts) reads (the kernel lists it in parts, and a change between two parts lists an entry twice or leaves one out)")
    }

    /// Whether a key comes twice.
    static func repeatsAKey<Keys: Collection>(_ keys: Keys) -> Bool where Keys.Element: Hashable {
        var seen = Set<Keys.Element>(minimumCapacity: keys.count)
        for key in keys where !seen.insert(key).inserted { return true }
        return false
    }
}
