/// glibc's `random()` as `srandom(seed)` leaves it (the default TYPE_3 state: an additive
/// feedback generator over 31 words, separation 3), as a value: keepalived's `${_RANDOM}` draws
/// from `random()`, so the same seed gives the same numbers here as glibc gives keepalived, with
/// no process-wide state.
struct GlibcRandom: Sendable {
    private var state: [Int32]
    private var front: Int
    private var rear = 0

    /// glibc's `srandom_r`: the state from `seed` (0 taken as 1) by the minimal standard
    /// generator, then 310 outputs discarded.
    init(seed: UInt32) {
        let s = seed == 0 ? 1 : seed
        var word = Int32(bitPattern: s)
        var state = [Int32](repeating: 0, count: 31)
        state[0] = word
        for i in 1..<31 {
            // state[i] = 16807 * state[i-1] % 2147483647, without overflow (C division).
            let hi = Int64(word) / 127773
            let lo = Int64(word) % 127773
            word = Int32(truncatingIfNeeded: 16807 * lo - 2836 * hi)
            if word < 0 { word &+= 2147483647 }
            state[i] = word
        }
        self.state = state
        front = 3
        for _ in 0..<310 { _ = next() }
    }

    /// glibc's `random_r`: the next number, 0 ... 2^31 - 1.
    mutating func next() -> Int32 {
        let sum = UInt32(bitPattern: state[front]) &+ UInt32(bitPattern: state[rear])
        state[front] = Int32(bitPattern: sum)
        front += 1
        if front >= state.count {
            front = 0
            rear += 1
        } else {
            rear += 1
            if rear >= state.count { rear = 0 }
        }
        return Int32(bitPattern: sum >> 1)
    }
}
