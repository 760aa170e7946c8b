import DaemonMetrics

/// The engine's running checkers by serial, in one dense table: a serial is the index of the
/// checker's slot, kept for the checker's life (a reload that carries it over keeps it) and
/// given to a new checker once its own was stopped. What the engine holds for each checker
/// (its id, its driver or task, its last result, its metrics series) is one element of one
/// array, and an id finds its serial by a binary search of the ids in file order.
///
/// It was six dictionaries by serial or by id (serial → id, id → serial, drivers, tasks, last
/// results, series): at 37,000 checkers each table's storage was rounded up to 65,536 buckets,
/// about 9 MB in all, and a reload built the id tables once more beside the old ones.
///
/// A reused serial must not take an older checker's result: a driver's result carries the
/// driver (`driver(serial) === it`), and a task-run checker's result is refused once its task
/// was cancelled (`DaemonEngine.deliver(serial:)`).
struct CheckerSlots {
    struct Slot {
        var id: CheckerID
        var driver: CheckDriver?
        var task: Task<Void, Never>?
        var last: DaemonEngine.CheckRecord?
        var series: CheckerSeries?
    }

    private var slots: [Slot?] = []
    /// Serials whose slot is empty, to be given again.
    private var free: [Int] = []
    /// Every live checker's id in file order, and its serial beside it (`index()` makes it).
    private var orderedIDs: [CheckerID] = []
    private var orderedSerials: [Int32] = []

    /// How many checkers hold a slot.
    var count: Int { orderedIDs.count }
    /// How many serials there are (live or free): a table by serial needs this many places.
    var capacity: Int { slots.count }

    /// Room for `n` checkers without growing by doubling.
    mutating func reserve(_ n: Int) {
        slots.reserveCapacity(n)
    }

    /// A slot for `id`; its serial. Call `index()` once the ids are all placed.
    mutating func add(_ id: CheckerID) -> Int {
        if let s = free.popLast() {
            slots[s] = Slot(id: id)
            return s
        }
        slots.append(Slot(id: id))
        return slots.count - 1
    }

    /// Empties `serial`'s slot: its task is cancelled and its driver stopped.
    mutating func remove(_ serial: Int) {
        guard let slot = slots[serial] else { return }
        slot.task?.cancel()
        slot.driver?.stop()
        slots[serial] = nil
        free.append(serial)
    }

    /// Moves the checker of `serial` to `id` (a reload that carried it over to a new place).
    mutating func move(_ serial: Int, to id: CheckerID) {
        slots[serial]?.id = id
    }

    /// Sorts the live checkers' ids for `serial(of:)`; after a batch of `add`, `remove`, `move`.
    mutating func index() {
        var pairs: [(CheckerID, Int32)] = []
        pairs.reserveCapacity(slots.count - free.count)
        for (s, slot) in slots.enumerated() {
            if let slot { pairs.append((slot.id, Int32(s))) }
        }
        pairs.sort { $0.0 < $1.0 }
        orderedIDs = pairs.map(\.0)
        orderedSerials = pairs.map(\.1)
        free.sort(by: >)   // the lowest serial is given first
    }

    /// The serial of checker `id`, nil if it has none.
    func serial(of id: CheckerID) -> Int? {
        var lo = 0, hi = orderedIDs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if orderedIDs[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        guard lo < orderedIDs.count, orderedIDs[lo] == id else { return nil }
        return Int(orderedSerials[lo])
    }

    func id(of serial: Int) -> CheckerID? { slots[safe: serial]??.id }
    func driver(_ serial: Int) -> CheckDriver? { slots[safe: serial]??.driver }
    func last(_ serial: Int) -> DaemonEngine.CheckRecord? { slots[safe: serial]??.last }
    func series(_ serial: Int) -> CheckerSeries? { slots[safe: serial]??.series }
    func hasTask(_ serial: Int) -> Bool { slots[safe: serial]??.task != nil }

    mutating func setDriver(_ d: CheckDriver, at serial: Int) { slots[serial]?.driver = d }
    mutating func setTask(_ t: Task<Void, Never>, at serial: Int) { slots[serial]?.task = t }
    mutating func setLast(_ r: DaemonEngine.CheckRecord, at serial: Int) { slots[serial]?.last = r }
    mutating func setSeries(_ s: CheckerSeries, at serial: Int) { slots[serial]?.series = s }

    /// Forgets every checker's metrics series (a reload: the labels may have changed).
    mutating func forgetSeries() {
        for s in slots.indices where slots[s]?.series != nil { slots[s]?.series = nil }
    }

    /// Calls `body` with every live checker's serial and id (no list of them is made: at a
    /// reload of 37,000 checkers that was 3 MB more at the peak).
    func forEachLive(_ body: (Int, CheckerID) -> Void) {
        for (s, slot) in slots.enumerated() {
            if let slot { body(s, slot.id) }
        }
    }

    /// Stops every checker; their ids, last results and series stay (the status after a stop
    /// still shows them, as it did).
    mutating func stopAll() {
        for s in slots.indices {
            slots[s]?.task?.cancel()
            slots[s]?.driver?.stop()
            slots[s]?.task = nil
            slots[s]?.driver = nil
        }
    }

    /// Stops every checker and empties the table.
    mutating func removeAll() {
        for s in slots.indices { remove(s) }
        slots = []
        free = []
        orderedIDs = []
        orderedSerials = []
    }
}
