/// Values kept under ids the table hands out. An id is a slot's index and the slot's
/// generation, so a lookup is an array index and a comparison, with no hashing: the reactor's
/// timers are made, found and dropped at every wake-up of an idle daemon, and a dictionary
/// keyed by id ran the standard library's hasher each time (code the kernel then kept mapped
/// for the daemon's life). A removed value's slot is used again with the next generation, so
/// an old id (a timer heap's stale entry) never finds the value that took its place.
///
/// Ids are never 0 (callers use 0 for "none") and stay below 2^60.
struct SlotTable<Value> {
    private struct Slot {
        var generation: UInt64
        var value: Value?
    }

    private var slots: [Slot] = []
    private var free: [Int] = []
    /// How many values the table holds.
    private(set) var count = 0

    /// Generations wrap within 28 bits (a slot reused 2^28 times may meet a 2^28-old id again).
    private static var generationMask: UInt64 { (1 << 28) - 1 }

    /// Keeps `value` under a new id.
    mutating func insert(_ value: Value) -> UInt64 {
        let index: Int
        if let i = free.popLast() {
            index = i
            slots[i].value = value
        } else {
            index = slots.count
            slots.append(Slot(generation: 0, value: value))
        }
        count += 1
        return slots[index].generation << 32 | UInt64(index + 1)
    }

    /// The value under `id`, nil when there is none (removed, or never handed out). Setting a
    /// value replaces the one under a live id (the id stays); setting nil removes it.
    subscript(id: UInt64) -> Value? {
        get { index(of: id).flatMap { slots[$0].value } }
        set {
            guard let newValue else { remove(id); return }
            guard let i = index(of: id), slots[i].value != nil else { return }
            slots[i].value = newValue
        }
    }

    /// Removes and returns the value under `id` (nil when there is none).
    @discardableResult
    mutating func remove(_ id: UInt64) -> Value? {
        guard let i = index(of: id), let value = slots[i].value else { return nil }
        slots[i].value = nil
        slots[i].generation = (slots[i].generation + 1) & Self.generationMask
        free.append(i)
        count -= 1
        return value
    }

    /// Whether a value is kept under `id`.
    func contains(_ id: UInt64) -> Bool {
        guard let i = index(of: id) else { return false }
        return slots[i].value != nil
    }

    private func index(of id: UInt64) -> Int? {
        let i = Int(truncatingIfNeeded: id & 0xffff_ffff) - 1
        guard i >= 0, i < slots.count, slots[i].generation == id >> 32 else { return nil }
        return i
    }
}
