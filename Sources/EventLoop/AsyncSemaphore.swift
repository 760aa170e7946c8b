import Synchronization

/// FIFO counting semaphore for tasks, and for callers without one (`acquire(orWhenFree:)`).
final class AsyncSemaphore: Sendable {
    enum Waiter {
        case task(CheckedContinuation<Void, Never>)
        case callback(@Sendable () -> Void)
    }

    private struct State {
        var available: Int
        var inUse = 0
        var queue: [(UInt64, Waiter)] = []
        var head = 0
        var nextID: UInt64 = 0
    }
    private let state: Mutex<State>

    init(_ count: Int) { state = Mutex(State(available: count)) }

    var inUse: Int { state.withLock { $0.inUse } }
    var waiting: Int { state.withLock { $0.queue.count - $0.head } }

    /// Takes a slot if one is free, without suspending.
    func tryAcquire() -> Bool {
        state.withLock { s in
            guard s.available > 0 else { return false }
            s.available -= 1
            s.inUse += 1
            return true
        }
    }

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            if takeOrQueue(.task(c)) { c.resume() }
        }
    }

    /// Takes a slot now (true), or queues `body` to run (on the releasing thread, holding the
    /// slot) when one frees up (false).
    func acquire(orWhenFree body: @escaping @Sendable () -> Void) -> Bool {
        takeOrQueue(.callback(body))
    }

    /// Takes a slot if one is free (true), else queues `waiter` (false).
    private func takeOrQueue(_ waiter: Waiter) -> Bool {
        state.withLock { s in
            if s.available > 0 {
                s.available -= 1
                s.inUse += 1
                return true
            }
            s.queue.append((s.nextID, waiter))
            s.nextID += 1
            return false
        }
    }

    func release() {
        let next = state.withLock { s -> Waiter? in
            if s.head < s.queue.count {
                let c = s.queue[s.head].1
                s.head += 1
                if s.head > 1024 && s.head * 2 > s.queue.count {
                    s.queue.removeFirst(s.head)
                    s.head = 0
                }
                return c
            }
            s.available += 1
            s.inUse -= 1
            return nil
        }
        switch next {
        case let .task(c): c.resume()
        case let .callback(f): f()
        case nil: break
        }
    }
}
