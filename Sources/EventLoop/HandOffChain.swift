import Synchronization

/// Runs the starts that freed slots hand on one after another, in a loop, instead of each
/// inside the end of the one before.
///
/// A queued command whose start fails at once (an unknown `user`, a spawn error) reports its
/// end, and that end hands the slot to the next queued command. Called directly, every
/// handed-on start would nest in its predecessor's frames, a set per queued command, until
/// the thread's stack ran out (tens of thousands of checks queued behind a full set of
/// slots). The first `run` drains the chain on its thread; a `run` that comes while a drain
/// is under way (from inside it, or from another thread) joins the drain's queue.
final class HandOffChain: Sendable {
    private struct State {
        var draining = false
        var pending: [@Sendable () -> Void] = []
        var head = 0
    }
    private let state = Mutex(State())

    func run(_ start: @escaping @Sendable () -> Void) {
        let drains = state.withLock { s -> Bool in
            if s.draining { s.pending.append(start); return false }
            s.draining = true
            return true
        }
        guard drains else { return }
        var next: (@Sendable () -> Void)? = start
        while let current = next {
            current()
            next = state.withLock { s -> (@Sendable () -> Void)? in
                guard s.head < s.pending.count else {
                    s = State()
                    return nil
                }
                s.head += 1
                return s.pending[s.head - 1]
            }
        }
    }
}
