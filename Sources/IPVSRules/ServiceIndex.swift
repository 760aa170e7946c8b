import IPVSModel

/// Where each service is in the simulator's table: a map from service keys to positions.
///
/// What a `[ServiceKey: Int]` does, for the one use that inserts a key per `-A` line of a
/// big file: a `Dictionary` hashes each key with SipHash through `Hasher` (about 200
/// instructions for a key that fits in one word), this folds the key's fields into one
/// word and multiplies (open addressing, linear probing). The multiplier is mixed with a
/// per-process random seed, so no file is slow on every run.
struct ServiceIndex {
    private enum State: UInt8 { case empty, used, removed }

    private struct Slot {
        var key: ServiceKey
        var value: Int
        var state: State
    }

    private var slots: [Slot]
    /// Keys in the index.
    private(set) var count = 0
    /// Slots in use or left by a removal (what a probe walks over).
    private var occupied = 0
    /// log2 of the number of slots.
    private var bits: Int
    private let seed: UInt64

    /// An index with room for `capacity` keys before it grows.
    init(capacity: Int = 0) {
        self.init(capacity: capacity, seed: UInt64.random(in: 0...UInt64.max))
    }

    private init(capacity: Int, seed: UInt64) {
        self.seed = seed
        bits = 3
        while (1 << bits) * 3 < capacity * 4 { bits += 1 }   // at most three quarters full
        slots = Array(repeating: Slot(key: .fwmark(0, family: .inet), value: 0, state: .empty), count: 1 << bits)
    }

    /// The key's fields in one word (equal keys give equal words).
    @inline(__always)
    private static func word(_ key: ServiceKey) -> UInt64 {
        switch key {
        case let .address(proto, address, port):
            let head = UInt64(proto.rawValue) << 48 | UInt64(port) << 32
            switch address {
            case let .v4(a, b, c, d):
                return head | UInt64(a) << 24 | UInt64(b) << 16 | UInt64(c) << 8 | UInt64(d)
            case let .v6(bytes):
                let (h, t) = withUnsafeBytes(of: bytes) {
                    ($0.loadUnaligned(fromByteOffset: 0, as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                }
                return head ^ (h &* 0xFF51_AFD7_ED55_8CCD) ^ (t &* 0xC4CE_B9FE_1A85_EC53) ^ (1 << 47)
            }
        case let .fwmark(mark, family):
            return UInt64(1) << 63 | UInt64(family.rawValue) << 32 | UInt64(mark)
        }
    }

    /// The first slot to look at for `key`.
    @inline(__always)
    private func home(_ key: ServiceKey) -> Int {
        var h = Self.word(key) ^ seed
        h ^= h >> 31
        h &*= 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h >> UInt64(64 - bits))
    }

    /// The slot holding `key`, or nil.
    private func slot(of key: ServiceKey) -> Int? {
        let mask = (1 << bits) - 1
        var i = home(key)
        while true {
            switch slots[i].state {
            case .empty: return nil
            case .used: if TableSimulator.same(slots[i].key, key) { return i }
            case .removed: break
            }
            i = (i + 1) & mask
        }
    }

    subscript(key: ServiceKey) -> Int? {
        slot(of: key).map { slots[$0].value }
    }

    /// Adds `key` at `value` unless it is there: returns the value it already has, if any
    /// (and changes nothing then). One probe finds the key or the slot for it.
    @discardableResult
    mutating func insertIfAbsent(_ key: ServiceKey, _ value: Int) -> Int? {
        if (occupied + 1) * 4 > (1 << bits) * 3 { rehash(minimumCapacity: max(count + 1, count * 2)) }
        let mask = (1 << bits) - 1
        var i = home(key)
        var free = -1   // the first slot a removal left on the way, if any
        while true {
            switch slots[i].state {
            case .empty:
                if free < 0 {
                    free = i
                    occupied += 1
                }
                slots[free] = Slot(key: key, value: value, state: .used)
                count += 1
                return nil
            case .used:
                if TableSimulator.same(slots[i].key, key) { return slots[i].value }
            case .removed:
                if free < 0 { free = i }
            }
            i = (i + 1) & mask
        }
    }

    /// Takes `key` out, if it is there.
    mutating func remove(_ key: ServiceKey) {
        guard let i = slot(of: key) else { return }
        slots[i].state = .removed
        count -= 1
    }

    /// Takes every key out.
    mutating func removeAll() {
        self = ServiceIndex(capacity: 0, seed: seed)
    }

    /// Moves every key into slots for at least `minimumCapacity` keys (dropping what
    /// removals left behind).
    private mutating func rehash(minimumCapacity: Int) {
        let old = slots
        self = ServiceIndex(capacity: minimumCapacity, seed: seed)
        for slot in old where slot.state == .used { insertIfAbsent(slot.key, slot.value) }
    }
}
