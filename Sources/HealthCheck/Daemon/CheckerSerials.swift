/// Each running checker's serial, and back: what the engine keeps a checker's driver or task,
/// its last result and its metrics series by. A serial outlives a reload that keeps its
/// checker, and is never given again (a result still on its way from a stopped checker then
/// finds nothing).
///
/// Kept by virtual server, one `Block` each in file order: a reload takes an unchanged virtual
/// server's block over whole (its arrays shared, not copied) and only the virtual servers that
/// changed are looked at checker by checker, so a reload's cost follows the change, not the
/// table (at 37,000 checkers, two tables of that size made again at every reload, and a third
/// of the serials kept, were a good part of a one-server reload).
struct CheckerSerials {
    /// One virtual server's checkers.
    struct Block {
        /// Never given again; the same while the virtual server is carried over whole.
        let id: Int
        /// Where each real server's checkers start in `serials`, then where the last ends.
        let first: [Int32]
        /// Each checker's serial in file order; -1 for a disabled one, which has none.
        let serials: [Int]
        /// How many have a serial.
        let running: Int

        /// The serial of real server `r`'s checker `c`, if it runs.
        func serial(realServer r: Int, checker c: Int) -> Int? {
            guard r >= 0, r + 1 < first.count, c >= 0 else { return nil }
            let i = Int(first[r]) + c
            guard i < Int(first[r + 1]), serials[i] >= 0 else { return nil }
            return serials[i]
        }

        /// Every running checker's serial with its real server and checker indexes.
        var runningCheckers: [(serial: Int, realServer: Int, checker: Int)] {
            var out: [(serial: Int, realServer: Int, checker: Int)] = []
            for r in 0..<(first.count - 1) {
                for i in Int(first[r])..<Int(first[r + 1]) where serials[i] >= 0 { out.append((serials[i], r, i - Int(first[r]))) }
            }
            return out
        }
    }

    /// Where a serial's checker is: its block, real server and checker.
    struct Place {
        var block: Int
        var realServer: Int32
        var checker: Int32
    }

    /// What a reload did to the serials.
    struct Reload {
        /// The checkers to start, in file order, with their new serials.
        var started: [(serial: Int, id: CheckerID)] = []
        /// The serials no longer in use, with their checker's id before the reload.
        var stopped: [(serial: Int, id: CheckerID)] = []
        /// How many checkers kept their serial.
        var kept = 0
        /// How many of those were in virtual servers carried over whole.
        var keptWhole = 0
    }

    /// Each virtual server's block, by its index in the configuration.
    private(set) var blocks: [Block] = []
    /// Each block's virtual server now.
    private var indexOfBlock: [Int: Int] = [:]
    private var places: [Int: Place] = [:]
    private var nextSerial = 0
    private var nextBlock = 0

    /// How many checkers have a serial.
    var count: Int { places.count }

    /// The serial of checker `id`, if it runs.
    func serial(of id: CheckerID) -> Int? {
        guard blocks.indices.contains(id.virtualServer) else { return nil }
        return blocks[id.virtualServer].serial(realServer: id.realServer, checker: id.checker)
    }

    /// The checker that has `serial` now.
    func id(of serial: Int) -> CheckerID? {
        guard let p = places[serial], let v = indexOfBlock[p.block] else { return nil }
        return CheckerID(virtualServer: v, realServer: Int(p.realServer), checker: Int(p.checker))
    }

    /// Serials for every enabled checker of `config` (start-up): the checkers, in file order.
    mutating func assign(_ config: DaemonConfig) -> [(serial: Int, id: CheckerID)] {
        reload(config, whole: [:], carried: [:]).started
    }

    /// The serials of `config` after a reload: a virtual server of `whole` (new index -> old)
    /// takes its old block as it is; in the others a checker of `carried` (new id -> old id)
    /// keeps its serial and every other enabled one gets a new one. The old blocks not taken
    /// give up the serials that were not carried.
    mutating func reload(_ config: DaemonConfig, whole: [Int: Int], carried: [CheckerID: CheckerID]) -> Reload {
        var out = Reload()
        let old = blocks
        var takenWhole = [Bool](repeating: false, count: old.count)
        for ov in whole.values where old.indices.contains(ov) { takenWhole[ov] = true }
        var keptFromOthers = Set<Int>()
        var made: [Block] = []
        made.reserveCapacity(config.virtualServers.count)
        for (v, vs) in config.virtualServers.enumerated() {
            if let ov = whole[v], old.indices.contains(ov) {
                made.append(old[ov])
                out.kept += old[ov].running
                out.keptWhole += old[ov].running
                continue
            }
            let block = nextBlock
            nextBlock += 1
            var first: [Int32] = [0]
            var serials: [Int] = []
            first.reserveCapacity(vs.realServers.count + 1)
            for (r, rs) in vs.realServers.enumerated() {
                for (c, checker) in rs.checkers.enumerated() {
                    guard checker.enabled else {
                        serials.append(-1)
                        continue
                    }
                    let id = CheckerID(virtualServer: v, realServer: r, checker: c)
                    let s: Int
                    if let was = carried[id], !takenWhole.indices.contains(was.virtualServer) || !takenWhole[was.virtualServer],
                       let kept = old.indices.contains(was.virtualServer) ? old[was.virtualServer].serial(realServer: was.realServer, checker: was.checker) : nil,
                       keptFromOthers.insert(kept).inserted {
                        s = kept
                        out.kept += 1
                    } else {
                        s = nextSerial
                        nextSerial += 1
                        out.started.append((s, id))
                    }
                    serials.append(s)
                    places[s] = Place(block: block, realServer: Int32(r), checker: Int32(c))
                }
                first.append(Int32(serials.count))
            }
            made.append(Block(id: block, first: first, serials: serials, running: serials.count(where: { $0 >= 0 })))
        }
        for (ov, b) in old.enumerated() where !takenWhole[ov] {
            for (s, r, c) in b.runningCheckers where !keptFromOthers.contains(s) {
                out.stopped.append((s, CheckerID(virtualServer: ov, realServer: r, checker: c)))
                places[s] = nil
            }
        }
        blocks = made
        indexOfBlock = [:]
        indexOfBlock.reserveCapacity(made.count)
        for (v, b) in made.enumerated() { indexOfBlock[b.id] = v }
        return out
    }
}
