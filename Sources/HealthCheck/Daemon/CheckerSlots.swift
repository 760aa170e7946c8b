import DaemonMetrics

/// The engine's running checkers by serial, in one dense table: a serial is the index of the
/// checker's slot, kept for the checker's life (a reload that carries it over keeps it) and
/// given to a new checker once its own was stopped. What the engine holds for each checker
/// (where it is, its driver or task, its last result, its metrics series) is one element of
/// one array.
///
/// It was six dictionaries by serial or by id (serial → id, id → serial, drivers, tasks, last
/// results, series): at 37,000 checkers each table's storage was rounded up to 65,536 buckets,
/// about 9 MB in all, and a reload built the id tables once more beside the old ones.
///
/// Where a checker is, and back, is kept by virtual server: one `Block` each, in file order,
/// with its checkers' serials; a slot names its block, real server and checker. A reload takes
/// an unchanged virtual server's block over whole (its array shared, not copied) and only
/// updates where each block now is, so it looks checker by checker only at the virtual
/// servers that changed: its cost follows the change, not the table (an index of every
/// checker, rebuilt at each reload, was most of a one-server reload at 37,000 checkers).
///
/// A reused serial must not take an older checker's result: a driver's result carries the
/// driver (`driver(serial) === it`), and a task-run checker's result is refused once its task
/// was cancelled (`DaemonEngine.deliver(serial:)`).
struct CheckerSlots {
    /// Where a checker is: its virtual server's block, its real server and checker.
    struct Place {
        var block: Int
        var realServer: Int32
        var checker: Int32
    }

    struct Slot {
        var place: Place
        var driver: (any ScheduledCheck)?
        var task: Task<Void, Never>?
        var last: DaemonEngine.CheckRecord?
        var series: CheckerSeries?
    }

    /// One virtual server's checkers.
    struct Block {
        /// Never given again; the same while the virtual server is carried over whole.
        let id: Int
        /// Where each real server's checkers start in `serials`, then where the last ends.
        let first: [Int32]
        /// Each checker's serial in file order; -1 for a disabled one, which has none.
        let serials: [Int32]
        /// How many have a serial.
        let count: Int

        /// The serial of real server `r`'s checker `c`, if it runs.
        func serial(realServer r: Int, checker c: Int) -> Int? {
            guard r >= 0, r + 1 < first.count, c >= 0 else { return nil }
            let i = Int(first[r]) + c
            guard i < Int(first[r + 1]), serials[i] >= 0 else { return nil }
            return Int(serials[i])
        }

        /// Every checker's serial with its real server and checker indexes.
        var checkers: [(serial: Int, realServer: Int, checker: Int)] {
            var out: [(serial: Int, realServer: Int, checker: Int)] = []
            for r in 0..<(first.count - 1) {
                for i in Int(first[r])..<Int(first[r + 1]) where serials[i] >= 0 { out.append((Int(serials[i]), r, i - Int(first[r]))) }
            }
            return out
        }
    }

    /// What a reload did to the checkers.
    struct Reload {
        /// The checkers to start, in file order, with their serials.
        var started: [(serial: Int, id: CheckerID)] = []
        /// The checkers removed, with their ids before the reload.
        var removed: [CheckerID] = []
        /// How many of those had a driver or task (were running).
        var stopped = 0
        /// How many checkers kept their serial (and state).
        var kept = 0
    }

    private var slots: [Slot?] = []
    /// Serials whose slot is empty, to be given again.
    private var free: [Int] = []
    /// Each virtual server's block, by its index in the configuration.
    private var blocks: [Block] = []
    /// Each block's virtual server now.
    private var indexOfBlock: [Int: Int] = [:]
    private var nextBlock = 0

    /// How many checkers hold a slot.
    var count: Int { slots.count - free.count }
    /// How many serials there are (live or free): a table by serial needs this many places.
    var capacity: Int { slots.count }

    /// Room for `n` checkers without growing by doubling.
    mutating func reserve(_ n: Int) {
        slots.reserveCapacity(n)
    }

    /// A slot for the checker at `place`; its serial.
    private mutating func add(_ place: Place) -> Int {
        if let s = free.popLast() {
            slots[s] = Slot(place: place)
            return s
        }
        slots.append(Slot(place: place))
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

    /// The serial of checker `id`, nil if it has none.
    func serial(of id: CheckerID) -> Int? {
        guard blocks.indices.contains(id.virtualServer) else { return nil }
        return blocks[id.virtualServer].serial(realServer: id.realServer, checker: id.checker)
    }

    func id(of serial: Int) -> CheckerID? {
        guard let p = slots[safe: serial]??.place, let v = indexOfBlock[p.block] else { return nil }
        return CheckerID(virtualServer: v, realServer: Int(p.realServer), checker: Int(p.checker))
    }
    func driver(_ serial: Int) -> (any ScheduledCheck)? { slots[safe: serial]??.driver }
    func last(_ serial: Int) -> DaemonEngine.CheckRecord? { slots[safe: serial]??.last }
    func series(_ serial: Int) -> CheckerSeries? { slots[safe: serial]??.series }
    func hasTask(_ serial: Int) -> Bool { slots[safe: serial]??.task != nil }

    mutating func setDriver(_ d: any ScheduledCheck, at serial: Int) { slots[serial]?.driver = d }
    mutating func setTask(_ t: Task<Void, Never>, at serial: Int) { slots[serial]?.task = t }
    mutating func setLast(_ r: DaemonEngine.CheckRecord, at serial: Int) { slots[serial]?.last = r }
    mutating func setSeries(_ s: CheckerSeries, at serial: Int) { slots[serial]?.series = s }

    /// Slots for every enabled checker of `config` (start-up): the checkers, in file order.
    mutating func assign(_ config: DaemonConfig) -> [(serial: Int, id: CheckerID)] {
        reserve(config.virtualServers.reduce(0) { $0 + $1.realServers.reduce(0) { $0 + $1.checkers.count } })
        return reload(config, whole: [:], carried: [:]).started
    }

    /// The checkers of `config` after a reload: a virtual server of `whole` (new index -> old)
    /// takes its old block as it is; in the others a checker of `carried` (new id -> old id)
    /// keeps its serial (and slot: its driver, last result) and every other enabled one gets a
    /// slot. The checkers of the old blocks not taken whole that were not carried are removed
    /// (their tasks cancelled, their drivers stopped), before the new ones take slots (a freed
    /// one first). A carried checker's metrics series is forgotten (its labels are looked up
    /// again); those of the virtual servers carried whole stay, their labels the same.
    mutating func reload(_ config: DaemonConfig, whole: [Int: Int], carried: [CheckerID: CheckerID]) -> Reload {
        var out = Reload()
        let old = blocks
        var takenWhole = [Bool](repeating: false, count: old.count)
        for ov in whole.values where old.indices.contains(ov) { takenWhole[ov] = true }
        // The serials carried one by one, then the removed checkers' slots emptied: their
        // serials are free for the new checkers below.
        var keptFromOthers = Set<Int>()
        for (_, was) in carried where old.indices.contains(was.virtualServer) && !takenWhole[was.virtualServer] {
            if let s = old[was.virtualServer].serial(realServer: was.realServer, checker: was.checker) { keptFromOthers.insert(s) }
        }
        for (ov, b) in old.enumerated() where !takenWhole[ov] {
            for (s, r, c) in b.checkers where !keptFromOthers.contains(s) {
                out.removed.append(CheckerID(virtualServer: ov, realServer: r, checker: c))
                if slots[s]?.driver != nil || slots[s]?.task != nil { out.stopped += 1 }
                remove(s)
            }
        }
        if !free.isEmpty { free.sort(by: >) }   // the lowest serial is given first
        var made: [Block] = []
        made.reserveCapacity(config.virtualServers.count)
        for (v, vs) in config.virtualServers.enumerated() {
            if let ov = whole[v], old.indices.contains(ov) {
                made.append(old[ov])
                out.kept += old[ov].count
                continue
            }
            let block = nextBlock
            nextBlock += 1
            var first: [Int32] = [0]
            var serials: [Int32] = []
            first.reserveCapacity(vs.realServers.count + 1)
            for (r, rs) in vs.realServers.enumerated() {
                for (c, checker) in rs.checkers.enumerated() {
                    guard checker.enabled else {
                        serials.append(-1)
                        continue
                    }
                    let id = CheckerID(virtualServer: v, realServer: r, checker: c)
                    let place = Place(block: block, realServer: Int32(r), checker: Int32(c))
                    if let was = carried[id], !takenWhole.indices.contains(was.virtualServer) || !takenWhole[was.virtualServer],
                       let s = old[safe: was.virtualServer]?.serial(realServer: was.realServer, checker: was.checker),
                       keptFromOthers.remove(s) != nil {
                        slots[s]?.place = place
                        slots[s]?.series = nil
                        serials.append(Int32(s))
                        out.kept += 1
                    } else {
                        let s = add(place)
                        serials.append(Int32(s))
                        out.started.append((s, id))
                    }
                }
                first.append(Int32(serials.count))
            }
            made.append(Block(id: block, first: first, serials: serials, count: serials.count(where: { $0 >= 0 })))
        }
        // A carried serial no new checker took (none should be left): removed as the others.
        for s in keptFromOthers {
            if let id = id(of: s) { out.removed.append(id) }
            if slots[s]?.driver != nil || slots[s]?.task != nil { out.stopped += 1 }
            remove(s)
        }
        blocks = made
        indexOfBlock = [:]
        indexOfBlock.reserveCapacity(made.count)
        for (v, b) in made.enumerated() { indexOfBlock[b.id] = v }
        return out
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
        blocks = []
        indexOfBlock = [:]
    }
}
