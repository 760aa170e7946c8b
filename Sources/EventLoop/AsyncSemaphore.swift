import Synchronization

/// FIFO counting semaphore whose waiters are functions (`acquire(orWhenFree:)`), run on the
/// thread that frees a slot: no task waits on it, so no executor has to run for a slot to be
/// handed on (`ProcessRunner.run`'s tasks wait for their outcome, not for a slot).
final class AsyncSemaphore: Sendable {
    typealias Waiter = @Sendable () -> Void

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

    /// Takes a slot now (true), or queues `body` to run (on the releasing thread, holding the
    /// slot) when one frees up (false).
    func acquire(orWhenFree body: @escaping Waiter) -> Bool {
        state.withLock { s in
            if s.available > 0 {
                s.available -= 1
                s.inUse += 1
                return true
            }
            s.queue.append((s.nextID, body))
            s.nextID += 1
            return false
        }
    }

    /// Frees a slot, or hands it to the first queued body, which it returns for the caller to
    /// run (outside any lock, holding the slot). So a caller can report an end before it
    /// starts the next command (`ProcessRunner.start`) with `inUse` and `waiting` already
    /// counting the freed slot.
    func handOff() -> Waiter? {
        state.withLock { s -> Waiter? in
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
    }
}
