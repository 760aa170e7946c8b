/// A service's or real server's counters and rates (`Stats`, 80 bytes) kept out of line, and
/// not at all while they are zero: a table read without its counters (`statistics: false`,
/// as the daemon reads it to compare and to write its state file) then takes 8 bytes a real
/// server for them instead of 80 (2.7 MB at 37,000 real servers, in each copy of the table).
/// Compared and hashed by value, as the `Stats` it holds.
struct CounterStorage: Hashable, Sendable {
    private final class Box: Sendable {
        let stats: Stats
        init(_ stats: Stats) { self.stats = stats }
    }

    /// nil when every counter is zero (so two equal values always have the same form).
    private var box: Box?

    init(_ stats: Stats) { box = stats == Stats() ? nil : Box(stats) }

    var stats: Stats { box?.stats ?? Stats() }

    /// Whether a box is held (some counter is not zero).
    var isBoxed: Bool { box != nil }

    static func == (a: CounterStorage, b: CounterStorage) -> Bool {
        a.box === b.box || a.stats == b.stats
    }

    func hash(into hasher: inout Hasher) { hasher.combine(stats) }
}
