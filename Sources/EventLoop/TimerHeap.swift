import TimeBase

/// Binary min-heap of (deadline, timer id); stale entries are skipped when popped.
struct TimerHeap {
    struct Entry {
        var deadline: Moment
        var id: UInt64
    }

    private(set) var items: [Entry] = []
    var count: Int { items.count }
    var peek: Entry? { items.first }

    mutating func push(deadline: Moment, id: UInt64) {
        items.append(Entry(deadline: deadline, id: id))
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if items[p].deadline <= items[i].deadline { break }
            items.swapAt(p, i)
            i = p
        }
    }

    mutating func pop() {
        guard !items.isEmpty else { return }
        items.swapAt(0, items.count - 1)
        items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count && items[l].deadline < items[m].deadline { m = l }
            if r < items.count && items[r].deadline < items[m].deadline { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
    }

    mutating func retain(_ keep: (UInt64) -> Bool) {
        let kept = items.filter { keep($0.id) }
        items = []
        for k in kept { push(deadline: k.deadline, id: k.id) }
    }
}
