#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// The connected clients of a listener (the metrics endpoint, the control socket): each one's
/// task, and which of them still wait for their request (the ones that may be dropped to make
/// room).
final class ListenerClients: Sendable {
    private struct State {
        var tasks: [UInt64: Task<Void, Never>] = [:]
        var reading: Set<UInt64> = []
        var nextID: UInt64 = 0
        var stopped = false
    }
    private let state = Mutex(State())

    /// Runs `body` for a new connection `fd`; at `limit` clients, first cancels the oldest one
    /// still reading its request (or, with none, closes `fd` at once). Returns the cancelled
    /// client's task: its descriptor is closed when that task ends, so a listener awaits it
    /// before it accepts again (else a flood outruns the closing, as a test saw: 86 descriptors
    /// held with a limit of 32).
    @discardableResult
    func start(_ fd: Int32, limit: Int, _ body: @escaping @Sendable (UInt64) async -> Void) -> Task<Void, Never>? {
        let (evicted, admitted) = state.withLock { s -> (Task<Void, Never>?, Bool) in
            if s.stopped { return (nil, false) }
            var evicted: Task<Void, Never>?
            if s.tasks.count >= limit {
                guard let oldest = s.reading.min() else { return (nil, false) }
                s.reading.remove(oldest)
                evicted = s.tasks.removeValue(forKey: oldest)
            }
            let id = s.nextID
            s.nextID += 1
            s.reading.insert(id)
            // Made under the lock, so that its own `finished` (which takes the lock) comes after.
            s.tasks[id] = Task { await body(id); self.finished(id) }
            return (evicted, true)
        }
        evicted?.cancel()
        if !admitted { close(fd) }
        return evicted
    }

    /// The client's request is in: it is no longer dropped to make room.
    func answering(_ id: UInt64) { _ = state.withLock { $0.reading.remove(id) } }

    private func finished(_ id: UInt64) {
        state.withLock { s in
            s.tasks[id] = nil
            s.reading.remove(id)
        }
    }

    /// Connected clients right now.
    var count: Int { state.withLock { $0.tasks.count } }

    func stopAll() async {
        let tasks = state.withLock { s -> [Task<Void, Never>] in
            s.stopped = true
            defer { s.tasks = [:]; s.reading = [] }
            return Array(s.tasks.values)
        }
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }
}
