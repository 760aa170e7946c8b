#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// One epoll instance served by one dedicated thread. Every checker socket, MISC_CHECK pipe and
/// child pidfd waits here, so thousands of checks in flight cost one thread and one epoll_wait
/// per batch of ready descriptors, never a thread or a blocked executor slot per check.
///
/// A wait is one-shot: the descriptor is added when the wait starts and removed (under the lock,
/// before the waiter resumes) when it ends, so a caller may close it right after `wait` returns.
/// Only one wait per descriptor may be outstanding.
public final class Reactor: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// The epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP…).
        case ready(UInt32)
        case timedOut
        case cancelled
    }

    public static let shared = Reactor()

    private struct Waiter {
        var fd: Int32
        var continuation: CheckedContinuation<Outcome, Never>
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        var cancelledEarly: Set<UInt64> = []
        var nextID: UInt64 = 1
        var timers = TimerHeap()
    }

    private let epfd: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())

    public init() {
        epfd = Sys.epollCreate1(Sys.cloexec)
        precondition(epfd >= 0, "epoll_create1: \(Sys.errnoString(errno))")
        wakeFD = Sys.eventfd(0, Sys.cloexec | Sys.nonblock)
        precondition(wakeFD >= 0, "eventfd: \(Sys.errnoString(errno))")
        var ev = [UInt8](repeating: 0, count: Sys.epollEventSize)
        ev.withUnsafeMutableBytes { raw in
            Sys.writeEvent(raw.baseAddress!, events: Sys.EPOLLIN, data: 0)
            _ = Sys.epollCtl(epfd, Sys.EPOLL_CTL_ADD, wakeFD, raw.baseAddress!)
        }
        let box = Unmanaged.passRetained(self)
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let reactor = Unmanaged<Reactor>.fromOpaque(arg!).takeRetainedValue()
            reactor.run()
            return nil
        }, box.toOpaque())
        precondition(rc == 0, "pthread_create: \(rc)")
        pthread_detach(tid)
    }

    /// Waits until `fd` reports one of `events` (EPOLLERR/EPOLLHUP are always reported),
    /// the deadline passes, or the task is cancelled.
    public func wait(fd: Int32, events: UInt32, deadline: ContinuousClock.Instant? = nil) async -> Outcome {
        let id = state.withLock { s -> UInt64 in
            defer { s.nextID += 1 }
            return s.nextID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Outcome, Never>) in
                var immediate: Outcome?
                var wake = false
                state.withLock { s in
                    if s.cancelledEarly.remove(id) != nil {
                        immediate = .cancelled
                        return
                    }
                    var ev = [UInt8](repeating: 0, count: Sys.epollEventSize)
                    let rc = ev.withUnsafeMutableBytes { raw -> Int32 in
                        Sys.writeEvent(raw.baseAddress!, events: events | Sys.EPOLLONESHOT, data: id)
                        var r = Sys.epollCtl(epfd, Sys.EPOLL_CTL_ADD, fd, raw.baseAddress!)
                        if r != 0 && errno == EEXIST {
                            r = Sys.epollCtl(epfd, Sys.EPOLL_CTL_MOD, fd, raw.baseAddress!)
                        }
                        return r
                    }
                    if rc != 0 {
                        immediate = .ready(Sys.EPOLLERR)
                        return
                    }
                    s.waiters[id] = Waiter(fd: fd, continuation: cont)
                    if let deadline {
                        wake = s.timers.peek.map { deadline < $0.deadline } ?? true
                        s.timers.push(deadline: deadline, id: id)
                    }
                }
                if let immediate { cont.resume(returning: immediate) }
                if wake { poke() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                if let w = s.waiters.removeValue(forKey: id) {
                    _ = Sys.epollCtl(epfd, Sys.EPOLL_CTL_DEL, w.fd, nil)
                    return w
                }
                s.cancelledEarly.insert(id)
                return nil
            }
            waiter?.continuation.resume(returning: .cancelled)
        }
    }

    private func poke() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func run() {
        let capacity = 256
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity * Sys.epollEventSize, alignment: 8)
        var ready: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
        ready.reserveCapacity(capacity)
        while true {
            let timeout: Int32 = state.withLock { s in
                guard let first = s.timers.peek else { return -1 }
                let left = ContinuousClock.now.duration(to: first.deadline)
                if left <= .zero { return 0 }
                let (sec, atto) = left.components
                let ms = sec * 1000 + (atto + 999_999_999_999_999) / 1_000_000_000_000_000
                return Int32(clamping: ms)
            }
            let n = Sys.epollWait(epfd, buffer, Int32(capacity), timeout)
            if n < 0 && errno != EINTR { continue }
            state.withLock { s in
                if n > 0 {
                    for i in 0..<Int(n) {
                        let (events, data) = Sys.readEvent(buffer + i * Sys.epollEventSize)
                        if data == 0 {
                            var sink: UInt64 = 0
                            _ = Glibc.read(wakeFD, &sink, 8)
                            continue
                        }
                        if let w = s.waiters.removeValue(forKey: data) {
                            _ = Sys.epollCtl(epfd, Sys.EPOLL_CTL_DEL, w.fd, nil)
                            ready.append((w.continuation, .ready(events)))
                        }
                    }
                }
                let now = ContinuousClock.now
                while let first = s.timers.peek, first.deadline <= now {
                    s.timers.pop()
                    if let w = s.waiters.removeValue(forKey: first.id) {
                        _ = Sys.epollCtl(epfd, Sys.EPOLL_CTL_DEL, w.fd, nil)
                        ready.append((w.continuation, .timedOut))
                    }
                }
                // Drop timers of waiters that already finished once they dominate the heap.
                if s.timers.count > 64 && s.timers.count > 4 * s.waiters.count {
                    s.timers.retain { s.waiters[$0] != nil }
                }
            }
            for (c, o) in ready { c.resume(returning: o) }
            ready.removeAll(keepingCapacity: true)
        }
    }
}

/// Binary min-heap of (deadline, waiter id); stale entries are skipped when popped.
struct TimerHeap {
    private(set) var items: [(deadline: ContinuousClock.Instant, id: UInt64)] = []
    var count: Int { items.count }
    var peek: (deadline: ContinuousClock.Instant, id: UInt64)? { items.first }

    mutating func push(deadline: ContinuousClock.Instant, id: UInt64) {
        items.append((deadline, id))
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
