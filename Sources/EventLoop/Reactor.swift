#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import SystemErrors
import Synchronization
import TimeBase

/// One epoll instance served by one dedicated thread. Every checker socket, MISC_CHECK child and
/// timer waits here, so thousands of checks in flight cost one thread and one epoll_wait per
/// batch of ready descriptors, never a thread or a blocked executor slot per check.
///
/// It is also a `TaskExecutor`: tasks that prefer it (the daemon's checker loops) run their
/// jobs on the reactor thread itself, between two epoll_waits. A check then costs no thread
/// switch at all: the timer fires, the task spawns the child, the child's exit resumes the task
/// on the same thread, keepalived's single-threaded event loop in effect. Jobs enqueued from
/// other threads wake the loop through an eventfd.
///
/// It is a `SerialExecutor` too: an actor whose executor it is (the VRRP engine) runs on its
/// thread, and a callback of the reactor enters it synchronously (`assumeIsolated`).
///
/// * `register(fd:events:_:)` watches a descriptor for good: its body runs on the reactor
///   thread at every pass that finds it ready (a socket read for the process's life).
/// * `wait(fd:)` is one-shot: the descriptor is added when the wait starts and removed (under
///   the lock, before the waiter resumes) when it ends, so a caller may close it right after
///   `wait` returns. Only one wait per descriptor may be outstanding.
/// * `sleep(until:)` is a timer on the same heap (no libdispatch timer, no extra thread).
/// * `watch(_:completion:)` follows a started child process to its end entirely on the reactor
///   thread: its output pipe is drained as it is written, its timeout and kill grace are timers,
///   and its completion is called once, on that thread, with the outcome.
///
/// There is no process-wide instance: whoever needs one makes it and hands it on (the daemon
/// makes one at its start, for its process runner, its checkers and its control socket). Its
/// thread holds it, so a reactor lives, with its thread, for the rest of the process.
public final class Reactor: TaskExecutor, SerialExecutor, Sendable {
    /// How a `wait(fd:events:deadline:)` ended.
    public enum Outcome: Sendable, Equatable {
        /// The epoll events that fired (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP…).
        case ready(UInt32)
        /// The deadline passed first.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
    }

    private struct Waiter {
        var fd: Int32
        /// A suspended task (`wait`) or a function (`watch`).
        var resume: Resumer<Outcome>
        /// The deadline's timer (0: none).
        var timerID: UInt64 = 0
    }

    /// A descriptor watched until `unregister`, its body called on the reactor thread at every
    /// pass that finds it ready.
    private struct Registration {
        var id: UInt64
        var fd: Int32
        var events: UInt32
        var body: @Sendable (UInt32) -> Void
        /// `register(fd:events:coalescing:_:)`'s window in nanoseconds (nil: every readiness is
        /// reported).
        var window: Int64?
        /// When it was last found ready (for the window).
        var lastReady: Moment?
        /// Readiness is not watched until the window's timer (`Timed.resume`).
        var paused = false
    }

    /// A sleeping task's continuation, boxed: the Concurrency library's types are resilient
    /// (their layout unknown when this is compiled), and an enum holding one inline is moved
    /// and destroyed through the runtime's generic value witnesses at each timer.
    private final class Sleeper {
        let continuation: CheckedContinuation<Void, any Error>
        init(_ continuation: CheckedContinuation<Void, any Error>) { self.continuation = continuation }
    }

    private enum Timed {
        /// The deadline of the wait with this id.
        case waiter(UInt64)
        /// A `sleep` whose continuation is not in yet (its slot is taken first, so that a
        /// cancellation can find it).
        case sleeping
        case sleeper(Sleeper)
        case process(ProcessWatch)
        case callback(@Sendable () -> Void)
        /// The end of a coalescing window: the registration is drained and watched again.
        case resume(UInt64)
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// Persistent descriptor registrations (`register(fd:events:_:)`): a handful for the
        /// process's life, searched by id (a few comparisons, where a dictionary hashed the id at
        /// every event).
        var registrations: [Registration] = []
        /// What each live timer stands for, under the ids in the heap's entries.
        var timed = SlotTable<Timed>()
        var processes: [UInt64: ProcessWatch] = [:]
        /// `wait`s begun whose continuation is not in yet: a cancellation then removes the id,
        /// and the continuation, finding it gone, ends the wait as cancelled. (A set of the
        /// cancelled ones instead kept, for ever, the id of a wait cancelled after it had ended.)
        var pendingWaits: Set<UInt64> = []
        var nextID: UInt64 = 1
        var timers = TimerHeap()
        var jobs: [UnownedJob] = []
        /// The reactor thread is in (or about to enter) epoll_wait: new work must poke it.
        var polling = false
        var poked = false

        mutating func newID() -> UInt64 {
            defer { nextID += 1 }
            return nextID
        }

        func registrationIndex(_ id: UInt64) -> Int? {
            registrations.firstIndex { $0.id == id }
        }
    }

    /// Ids in epoll data: waiters use `id`, processes `id | pidTag` (pidfd) and `id | pipeTag`
    /// (output pipe); 0 is the wake eventfd.
    private static let pidTag: UInt64 = 1 << 62
    private static let pipeTag: UInt64 = 1 << 61
    private static let tags = pidTag | pipeTag

    /// The epoll instance (internal so a test can break it).
    let epfd: Int32
    private let wakeFD: Int32
    private let state = Mutex(State())
    /// Read buffer for child output; only the reactor thread uses it (under the lock).
    private nonisolated(unsafe) let scratch: UnsafeMutableRawBufferPointer
    /// The reactor thread's pthread_t (0 until it runs): `isIsolatingCurrentContext`.
    private let thread = Atomic<UInt>(0)

    /// Starts a reactor on a thread of its own, named `swiftvs-reactor`. Stops the process when
    /// epoll or eventfd cannot be had (no descriptor left at start is no state to run in).
    public init() {
        epfd = SystemCalls.epollCreate1(flags: SystemCalls.cloexec)
        precondition(epfd >= 0, FailureText.render(subject: "epoll_create1", errno: .current))
        wakeFD = SystemCalls.eventfd(0, flags: SystemCalls.cloexec | SystemCalls.nonblock)
        precondition(wakeFD >= 0, FailureText.render(subject: "eventfd", errno: .current))
        scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 16384, alignment: 8)
        Self.control(epfd, SystemCalls.EPOLL_CTL_ADD, wakeFD, events: SystemCalls.EPOLLIN, data: 0)
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

    @discardableResult
    private static func control(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32, data: UInt64) -> Int32 {
        SystemCalls.epollCtl(epfd, op, fd, events: events, data: data)
    }

    // MARK: - TaskExecutor

    /// Runs `job` on the reactor thread, between two epoll_waits (waking it if it waits).
    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let wake = state.withLock { s -> Bool in
            s.jobs.append(job)
            guard s.polling && !s.poked else { return false }
            s.poked = true
            return true
        }
        if wake { poke() }
    }

    // MARK: - SerialExecutor

    /// An actor whose `unownedExecutor` is this reactor runs on its thread, and code already
    /// running there (a `register` body, a `schedule` callback) may enter it synchronously
    /// with `assumeIsolated`: no task, no job, no hop. The reactor runs one thing at a time, so
    /// it is a serial executor as it stands.
    public func isIsolatingCurrentContext() -> Bool? {
        isReactorThread
    }

    /// Stops the process unless called on the reactor thread (`assumeIsolated` asks this).
    public func checkIsolated() {
        precondition(isReactorThread, "not on the swiftvs-reactor thread")
    }

    /// How many `wait`s have begun without their continuation in (tests: 0 when none is starting).
    var pendingWaitCount: Int { state.withLock { $0.pendingWaits.count } }

    /// Whether the caller runs on the reactor thread.
    public var isReactorThread: Bool {
        let t = thread.load(ordering: .acquiring)
        return t != 0 && t == UInt(pthread_self())
    }

    // MARK: - Waits

    /// Waits until `fd` reports one of `events` (EPOLLERR/EPOLLHUP are always reported),
    /// the deadline passes, or the task is cancelled.
    public func wait(fd: Int32, events: UInt32, deadline: ContinuousClock.Instant? = nil) async -> Outcome {
        let id = state.withLock { s -> UInt64 in
            let id = s.newID()
            s.pendingWaits.insert(id)
            return id
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Outcome, Never>) in
                var immediate: Outcome?
                var wake = false
                state.withLock { s in
                    guard s.pendingWaits.remove(id) != nil else {
                        immediate = .cancelled
                        return
                    }
                    var rc = Self.control(epfd, SystemCalls.EPOLL_CTL_ADD, fd, events: events | SystemCalls.EPOLLONESHOT, data: id)
                    if rc != 0 && errno == EEXIST {
                        rc = Self.control(epfd, SystemCalls.EPOLL_CTL_MOD, fd, events: events | SystemCalls.EPOLLONESHOT, data: id)
                    }
                    if rc != 0 {
                        immediate = .ready(SystemCalls.EPOLLERR)
                        return
                    }
                    var waiter = Waiter(fd: fd, resume: .task(cont))
                    if let deadline {
                        waiter.timerID = s.timed.insert(.waiter(id))
                        wake = addTimer(&s, deadline: Moment(deadline), id: waiter.timerID)
                    }
                    s.waiters[id] = waiter
                }
                if let immediate { cont.resume(returning: immediate) }
                if wake { poke() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> Waiter? in
                if let w = s.waiters.removeValue(forKey: id) {
                    SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, w.fd)
                    s.timed.remove(w.timerID)
                    return w
                }
                // Not begun (the continuation will find its id gone), or already ended.
                s.pendingWaits.remove(id)
                return nil
            }
            waiter?.resume(.cancelled)
        }
    }

    /// `wait(fd:events:deadline:)` without a task: `body` is called once, on the reactor
    /// thread, with how the wait ended (`.cancelled` after `cancelFDWatch`). The id is for
    /// `cancelFDWatch`. A checker that waits this way costs no suspended task between checks.
    @discardableResult
    public func watch(fd: Int32, events: UInt32, deadline: ContinuousClock.Instant? = nil,
                      _ body: @escaping @Sendable (Outcome) -> Void) -> UInt64 {
        var failed = false
        let (id, wake) = state.withLock { s -> (UInt64, Bool) in
            let id = s.newID()
            var rc = Self.control(epfd, SystemCalls.EPOLL_CTL_ADD, fd, events: events | SystemCalls.EPOLLONESHOT, data: id)
            if rc != 0 && errno == EEXIST {
                rc = Self.control(epfd, SystemCalls.EPOLL_CTL_MOD, fd, events: events | SystemCalls.EPOLLONESHOT, data: id)
            }
            if rc != 0 {
                failed = true
                return (id, false)
            }
            var waiter = Waiter(fd: fd, resume: .callback(body))
            defer { s.waiters[id] = waiter }
            guard let deadline else { return (id, false) }
            waiter.timerID = s.timed.insert(.waiter(id))
            return (id, addTimer(&s, deadline: Moment(deadline), id: waiter.timerID))
        }
        if failed { body(.ready(SystemCalls.EPOLLERR)) }
        if wake { poke() }
        return id
    }

    /// Ends a `watch` that has not ended yet: its body is called with `.cancelled` (nothing
    /// happens if it has ended).
    public func cancelFDWatch(_ id: UInt64) {
        let waiter = state.withLock { s -> Waiter? in
            guard let w = s.waiters.removeValue(forKey: id) else { return nil }
            SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, w.fd)
            s.timed.remove(w.timerID)
            return w
        }
        waiter?.resume(.cancelled)
    }

    /// Watches `fd` until `unregister(_:)`: `body` is called on the reactor thread, with the
    /// epoll events, in every pass of the loop that finds it ready (level-triggered: a body that
    /// leaves data queued is called again in the next pass). No task, continuation or epoll_ctl
    /// per event, where a `wait` loop costs all three each time: for a socket that is read
    /// for the life of the process (VRRP adverts). A body may be called once more in the pass
    /// in which it is unregistered. Returns the errno of epoll_ctl when `fd` cannot be added.
    ///
    /// With a `coalescing` window, readiness that comes again within the window of the last
    /// (a burst of datagrams arriving one after another) is not waited for one by one: the
    /// descriptor is left out of the wait, and `body` is called once more at the end of the
    /// window (whatever is queued then, possibly nothing) before it is watched again. A burst
    /// then costs the thread three wake-ups (the first datagram, the second, the window's end)
    /// however long it is, where each datagram could wake it; readiness further apart than the
    /// window is reported at once, as without one. What is read is late by at most the window.
    public func register(fd: Int32, events: UInt32, coalescing window: Duration? = nil,
                         _ body: @escaping @Sendable (UInt32) -> Void) -> Result<UInt64, Errno> {
        state.withLock { s -> Result<UInt64, Errno> in
            let id = s.newID()
            guard Self.control(epfd, SystemCalls.EPOLL_CTL_ADD, fd, events: events, data: id) == 0 else { return .failure(.current) }
            s.registrations.append(Registration(id: id, fd: fd, events: events, body: body, window: window?.inNanoseconds))
            return .success(id)
        }
    }

    /// Ends a `register`: the descriptor leaves the epoll set (call it before closing it).
    public func unregister(_ id: UInt64) {
        state.withLock { s in
            guard let i = s.registrationIndex(id) else { return }
            let r = s.registrations.remove(at: i)
            SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, r.fd)
        }
    }

    /// Sleeps until `deadline` on the reactor's timer heap; throws CancellationError when the
    /// task is cancelled.
    public func sleep(until deadline: ContinuousClock.Instant) async throws {
        // The timer's slot first: a cancellation that comes before the continuation is in
        // removes it, and the continuation then finds it gone.
        let id = state.withLock { $0.timed.insert(.sleeping) }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Void, any Error>) in
                var cancelled = false
                var wake = false
                state.withLock { s in
                    guard case .sleeping = s.timed[id] else {
                        cancelled = true
                        return
                    }
                    s.timed[id] = .sleeper(Sleeper(cont))
                    wake = addTimer(&s, deadline: Moment(deadline), id: id)
                }
                if cancelled { cont.resume(throwing: CancellationError()) }
                if wake { poke() }
            }
        } onCancel: {
            let sleeper = state.withLock { s -> CheckedContinuation<Void, any Error>? in
                switch s.timed[id] {
                case let .sleeper(c):
                    s.timed.remove(id)
                    return c.continuation
                case .sleeping:
                    s.timed.remove(id)
                    return nil
                default:
                    return nil   // it has woken
                }
            }
            sleeper?.resume(throwing: CancellationError())
        }
    }

    /// Adds a timer; true when the reactor thread must be woken to see it (it is polling with a
    /// later timeout).
    private func addTimer(_ s: inout State, deadline: Moment, id: UInt64) -> Bool {
        let earliest = s.timers.peek.map { deadline < $0.deadline } ?? true
        s.timers.push(deadline: deadline, id: id)
        if earliest && s.polling && !s.poked {
            s.poked = true
            return true
        }
        return false
    }

    // MARK: - Child processes

    /// How a watched child ended.
    struct ProcessEnd: Sendable {
        /// waitpid status of the leader.
        var status: Int32
        /// 0, or the last signal sent to the group because of the timeout (or cancellation).
        var killedWith: Int32
        var output: [UInt8]
        var outputBytes: Int
        /// When the leader's exit was seen.
        var ended: ContinuousClock.Instant
        /// 0, or the errno with which the child's setup or exec failed (it never ran).
        var spawnError: Int32
    }

    struct ProcessSpec: Sendable {
        var pid: pid_t
        /// -1 when the kernel has no pidfds: the leader is then polled every 5 ms.
        var pidfd: Int32
        /// Non-blocking read end of the child's stdout+stderr, or -1.
        var output: Int32
        var outputLimit: Int
        var deadline: ContinuousClock.Instant
        var killGrace: Duration
        var killStragglers: Bool
        /// The `swiftvs_child` handle of `swiftvs_spawn_start` (its address; 0 for none), released
        /// once the leader is reaped.
        var child: UInt = 0
    }

    /// Who a wait's end goes to: a suspended task, or a function called on the reactor thread.
    enum Resumer<Value: Sendable> {
        case task(CheckedContinuation<Value, Never>)
        case callback(@Sendable (Value) -> Void)

        func callAsFunction(_ end: Value) {
            switch self {
            case let .task(c): c.resume(returning: end)
            case let .callback(f): f(end)
            }
        }
    }

    /// The reactor-side state of one child; touched only under the lock.
    private final class ProcessWatch {
        let id: UInt64
        let spec: ProcessSpec
        /// The spec's pidfd, or -1 once it turned out unusable (then the leader is polled).
        var pidfd: Int32
        /// Who gets the end (a callback on the reactor thread); nil once delivered.
        var resumer: Resumer<ProcessEnd>?
        var pipeOpen: Bool
        var output: [UInt8] = []
        var outputBytes = 0
        var killedWith: Int32 = 0
        /// The live timer (timeout, kill grace or poll tick); older heap entries are stale.
        var timerID: UInt64 = 0
        var sigtermAt: ContinuousClock.Instant?

        init(id: UInt64, spec: ProcessSpec) {
            self.id = id
            self.spec = spec
            pidfd = spec.pidfd
            pipeOpen = spec.output >= 0
        }
    }

    /// Follows a started child to its end: drains its output (the first `outputLimit` bytes kept),
    /// at the deadline sends SIGTERM to its process group and SIGKILL `killGrace` later, and once
    /// the leader has exited SIGKILLs the rest of the group (with `killStragglers`, or after a
    /// timeout), reaps the leader and closes `pidfd` and `output`. `completion` is called once,
    /// on the reactor thread, with the end. Returns the id for `cancelWatch`.
    func watch(_ spec: ProcessSpec, completion: @escaping @Sendable (ProcessEnd) -> Void) -> UInt64 {
        let (id, wake) = state.withLock { s -> (UInt64, Bool) in
            let id = s.newID()
            return (id, follow(&s, id: id, spec: spec, resumer: .callback(completion)))
        }
        if wake { poke() }
        return id
    }

    /// Kills the process group of a child followed by `watch(_:completion:)`; its completion
    /// still comes, with `killedWith` SIGKILL.
    func cancelWatch(_ id: UInt64) {
        state.withLock { s in
            guard let w = s.processes[id], w.resumer != nil else { return }
            w.killedWith = SIGKILL
            kill(-w.spec.pid, SIGKILL)
        }
    }

    private func follow(_ s: inout State, id: UInt64, spec: ProcessSpec, resumer: Resumer<ProcessEnd>) -> Bool {
        let w = ProcessWatch(id: id, spec: spec)
        w.resumer = resumer
        s.processes[id] = w
        if spec.output >= 0 {
            Self.control(epfd, SystemCalls.EPOLL_CTL_ADD, spec.output, events: SystemCalls.EPOLLIN, data: id | Self.pipeTag)
        }
        if w.pidfd >= 0 && Self.control(epfd, SystemCalls.EPOLL_CTL_ADD, w.pidfd, events: SystemCalls.EPOLLIN, data: id | Self.pidTag) != 0 {
            close(w.pidfd)
            w.pidfd = -1
        }
        return setTimer(&s, w, at: w.pidfd >= 0 ? spec.deadline : min(spec.deadline, .now + .milliseconds(5)))
    }

    // MARK: - Callback timers

    /// Calls `body` on the reactor thread once `deadline` has passed; the id is for `cancelTimer`.
    @discardableResult
    public func schedule(at deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () -> Void) -> UInt64 {
        schedule(at: Moment(deadline), body)
    }

    /// `schedule(at:_:)` with the deadline as a `Moment` (no conversion: for a timer armed at
    /// every wake-up, such as the VRRP sweep's).
    @discardableResult
    public func schedule(at deadline: Moment, _ body: @escaping @Sendable () -> Void) -> UInt64 {
        let (id, wake) = state.withLock { s -> (UInt64, Bool) in
            let id = s.timed.insert(.callback(body))
            return (id, addTimer(&s, deadline: deadline, id: id))
        }
        if wake { poke() }
        return id
    }

    /// Makes the reactor's thread real-time (SCHED_RR at `priority`, see
    /// `SystemCalls.makeThisThreadRealtime`), so that a timer's wake-up preempts whatever
    /// ordinary thread has the core: on a loaded node an ordinary thread's wake-up waited behind
    /// the others' slices (VRRP takeovers up to 130 ms past Master_Down_Interval). Children and
    /// threads it starts are ordinary ones. Returns the errno of sched_setscheduler, nil on success.
    public func makeRealtime(priority: Int32) async -> Errno? {
        await withCheckedContinuation { (done: CheckedContinuation<Errno?, Never>) in
            schedule(at: Moment.now) { done.resume(returning: SystemCalls.makeThisThreadRealtime(priority: priority)) }
        }
    }

    /// Drops a timer of `schedule` that has not fired yet (nothing happens if it has).
    public func cancelTimer(_ id: UInt64) {
        state.withLock { s in
            if case .callback = s.timed[id] { s.timed.remove(id) }
        }
    }

    @discardableResult
    private func setTimer(_ s: inout State, _ w: ProcessWatch, at deadline: ContinuousClock.Instant) -> Bool {
        s.timed.remove(w.timerID)
        w.timerID = s.timed.insert(.process(w))
        return addTimer(&s, deadline: Moment(deadline), id: w.timerID)
    }

    /// Reads what the pipe holds; closes it at EOF.
    private func drain(_ s: inout State, _ w: ProcessWatch) {
        guard w.pipeOpen else { return }
        let fd = w.spec.output
        while true {
            let n: Int
            do {
                n = try FileDescriptor(rawValue: fd).read(into: scratch)   // EINTR retried
            } catch Errno.resourceTemporarilyUnavailable {
                return   // drained for now; the pipe stays open
            } catch {
                n = 0    // any other failure ends the pipe, as EOF does
            }
            if n > 0 {
                w.outputBytes += n
                let limit = w.spec.outputLimit
                if w.output.count < limit {
                    w.output.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<min(n, limit - w.output.count)]))
                }
                continue
            }
            SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, fd)
            close(fd)
            w.pipeOpen = false
            return
        }
    }

    /// The leader has exited (or must be reaped now): kill the group's stragglers, reap the
    /// leader, take the output left in the pipe, close everything.
    private func finish(_ s: inout State, _ w: ProcessWatch) -> ProcessEnd {
        let ended = ContinuousClock.now
        let pid = w.spec.pid
        // The leader is a zombie until reaped, so -pid still names its group.
        if w.spec.killStragglers || w.killedWith != 0 { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        _ = valueOrErrno { waitpid(pid, &status, 0) }
        // Reaped: the child has exec'd or exited, so its spawn block is free.
        let spawnError = swiftvs_child_release(OpaquePointer(bitPattern: w.spec.child))
        drain(&s, w)
        if w.pipeOpen {
            SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, w.spec.output)
            close(w.spec.output)
            w.pipeOpen = false
        }
        if w.pidfd >= 0 {
            SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, w.pidfd)
            close(w.pidfd)
        }
        s.timed.remove(w.timerID)
        s.processes[w.id] = nil
        w.resumer = nil
        return ProcessEnd(status: status, killedWith: w.killedWith, output: w.output, outputBytes: w.outputBytes, ended: ended,
                          spawnError: spawnError)
    }

    /// A process timer fired: timeout (SIGTERM), end of the grace (SIGKILL), or a poll tick.
    private func processTimer(_ s: inout State, _ w: ProcessWatch, now moment: Moment) -> ProcessEnd? {
        let now = moment.instant
        if w.pidfd < 0 && Self.hasExited(w.spec.pid) { return finish(&s, w) }
        // A leader whose exit is not read yet (its pidfd event waits behind others after a busy
        // pass) has ended by itself: it is not a timeout, nor is its group signalled.
        if w.killedWith == 0 && now >= w.spec.deadline && Self.hasExited(w.spec.pid) { return finish(&s, w) }
        if w.killedWith == 0 && now >= w.spec.deadline {
            w.killedWith = SIGTERM
            w.sigtermAt = now
            kill(-w.spec.pid, SIGTERM)
        } else if w.killedWith == SIGTERM, let t = w.sigtermAt, now >= t + w.spec.killGrace {
            w.killedWith = SIGKILL
            kill(-w.spec.pid, SIGKILL)
        }
        var next: ContinuousClock.Instant?
        if w.killedWith == 0 { next = w.spec.deadline } else if w.killedWith == SIGTERM, let t = w.sigtermAt { next = t + w.spec.killGrace }
        if w.pidfd < 0 { next = min(next ?? now + .milliseconds(5), now + .milliseconds(5)) }
        if let next { setTimer(&s, w, at: next) } else if w.timerID != 0 { s.timed.remove(w.timerID); w.timerID = 0 }
        return nil
    }

    /// Whether `pid` has terminated, without reaping it.
    static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        switch nothingOrErrno({ waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) }) {
        case .success: return info._sifields._kill.si_pid == pid
        case .failure: return true   // ECHILD: nothing left to wait for
        }
    }

    // MARK: - The loop

    private func poke() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    /// epoll_wait failed with something other than EINTR: stop the process with the reason.
    static func waitFailed(_ code: Int32) -> Never {
        fatalError("swiftvs-reactor: epoll_wait: \(Errno(rawValue: code)) (errno \(code))")
    }

    /// What one pass of the loop resumes once the lock is released, in this order: ready
    /// waits, slept timers, ended processes, callback timers.
    private struct Resumptions {
        // Structs, not tuples: emptying a list of tuples destroyed each through the runtime's
        // generic tuple code (one more window of the Swift runtime mapped in an idle daemon).
        struct Ready {
            var resume: Resumer<Outcome>
            var outcome: Outcome
        }

        struct Registered {
            var body: @Sendable (UInt32) -> Void
            var events: UInt32
        }

        struct Ended {
            var resume: Resumer<ProcessEnd>
            var end: ProcessEnd
        }

        var ready: [Ready] = []
        var registered: [Registered] = []
        var woken: [CheckedContinuation<Void, any Error>] = []
        var ended: [Ended] = []
        var callbacks: [@Sendable () -> Void] = []

        /// Resumes them all and empties the lists (keeping their capacity for the next pass).
        mutating func resumeAll() {
            for r in ready { r.resume(r.outcome) }
            for r in registered { r.body(r.events) }
            for c in woken { c.resume() }
            for e in ended { e.resume(e.end) }
            for f in callbacks { f() }
            callbacks.removeAll(keepingCapacity: true)
            ready.removeAll(keepingCapacity: true)
            registered.removeAll(keepingCapacity: true)
            woken.removeAll(keepingCapacity: true)
            ended.removeAll(keepingCapacity: true)
        }
    }

    private func run() {
        // Otherwise it would carry the name of whichever thread created it.
        SystemCalls.nameThisThread("swiftvs-reactor")
        thread.store(UInt(pthread_self()), ordering: .releasing)
        let capacity = 256
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity * SystemCalls.epollEventSize, alignment: 8)
        var due = Resumptions()
        var jobs: [UnownedJob] = []
        let executor = asUnownedTaskExecutor(), serial = asUnownedSerialExecutor()
        while true {
            let n = SystemCalls.epollWait(epfd, buffer, capacity: Int32(capacity), timeoutNanoseconds: nextTimeout())
            let now = Moment.now
            // EINTR (a signal) goes round again below. Any other failure (EBADF, EFAULT, EINVAL)
            // means the reactor's own descriptor or buffer is broken: a programming error that no
            // retry mends. It used to `continue`, a busy spin at full CPU with every wait, timer
            // and child frozen; the process now stops, loudly, with the errno.
            if n < 0, case let e = errno, e != EINTR { Self.waitFailed(e) }
            state.withLock { s in
                s.polling = false
                for i in 0..<max(Int(n), 0) {
                    let (events, data) = SystemCalls.epollEvent(buffer, i)
                    handleEvent(&s, events: events, data: data, now: now, &due)
                }
                fireTimers(&s, now: now, &due)
                // Drop stale timers (finished waits) once they dominate the heap.
                if s.timers.count > 64 && s.timers.count > 4 * s.timed.count {
                    s.timers.retain { s.timed.contains($0) }
                }
                swap(&jobs, &s.jobs)
            }
            due.resumeAll()
            runJobs(&jobs, on: executor, serial)
        }
    }

    /// How many nanoseconds the next epoll_wait may sleep: none with jobs queued, until the
    /// first timer, or for ever (-1). Marks the loop as polling (new work must then poke it).
    private func nextTimeout() -> Int64 {
        // To the nanosecond (epoll_pwait2): a millisecond timeout rounded up made every
        // timer, a VRRP takeover's among them, up to 1 ms late.
        state.withLock { s in
            if !s.jobs.isEmpty { return 0 }
            s.polling = true
            guard let first = s.timers.peek else { return -1 }
            return max(0, Moment.now.nanoseconds(to: first.deadline))
        }
    }

    /// One epoll event: the wake-up eventfd, a child's pipe or pidfd, or a descriptor wait.
    private func handleEvent(_ s: inout State, events: UInt32, data: UInt64, now: Moment,
                             _ due: inout Resumptions) {
        if data == 0 {
            var sink: UInt64 = 0
            _ = Glibc.read(wakeFD, &sink, 8)
            s.poked = false
            return
        }
        if data & Self.tags != 0 {
            guard let w = s.processes[data & ~Self.tags] else { return }
            if data & Self.pipeTag != 0 {
                drain(&s, w)
            } else if let c = w.resumer {
                due.ended.append(.init(resume: c, end: finish(&s, w)))
            }
            return
        }
        // Registrations first: a handful, and every event of an idle daemon is one of theirs.
        if let i = s.registrationIndex(data) {
            due.registered.append(.init(body: s.registrations[i].body, events: events))
            if let window = s.registrations[i].window { coalesce(&s, at: i, window: window, now: now) }
        } else if let w = s.waiters.removeValue(forKey: data) {
            SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, w.fd)
            s.timed.remove(w.timerID)
            due.ready.append(.init(resume: w.resume, outcome: .ready(events)))
        }
    }

    /// A coalescing registration was found ready: a second time within its window, it is left
    /// out of the wait (only an error would still be reported, once) until the window's end.
    private func coalesce(_ s: inout State, at i: Int, window: Int64, now: Moment) {
        let r = s.registrations[i]
        defer { s.registrations[i].lastReady = now }
        guard let last = r.lastReady, now < last.advanced(byNanoseconds: window), !r.paused else { return }
        guard Self.control(epfd, SystemCalls.EPOLL_CTL_MOD, r.fd, events: SystemCalls.EPOLLONESHOT, data: r.id) == 0 else { return }
        s.registrations[i].paused = true
        s.timers.push(deadline: now.advanced(byNanoseconds: window), id: s.timed.insert(.resume(r.id)))
    }

    /// A coalescing window ended: the body drains what came meanwhile, and readiness is
    /// watched again (epoll reports at once what is queued after that).
    private func resume(_ s: inout State, id: UInt64, now: Moment, _ due: inout Resumptions) {
        guard let i = s.registrationIndex(id), s.registrations[i].paused else { return }
        let r = s.registrations[i]
        due.registered.append(.init(body: r.body, events: 0))
        s.registrations[i].lastReady = now
        guard Self.control(epfd, SystemCalls.EPOLL_CTL_MOD, r.fd, events: r.events, data: id) == 0 else {
            // Not watched again: the body drains the descriptor once more at the next window's
            // end, rather than never again (a VRRP backup would stop hearing its master).
            s.timers.push(deadline: now.advanced(byNanoseconds: r.window ?? 10_000_000), id: s.timed.insert(.resume(id)))
            return
        }
        s.registrations[i].paused = false
    }

    /// Every timer due by `now`: wait timeouts, sleeps, process timers, callbacks.
    private func fireTimers(_ s: inout State, now: Moment, _ due: inout Resumptions) {
        while let first = s.timers.peek, first.deadline <= now {
            s.timers.pop()
            switch s.timed.remove(first.id) {
            case let .waiter(id):
                if let w = s.waiters.removeValue(forKey: id) {
                    SystemCalls.epollCtl(epfd, SystemCalls.EPOLL_CTL_DEL, w.fd)
                    due.ready.append(.init(resume: w.resume, outcome: .timedOut))
                }
            case let .sleeper(c):
                due.woken.append(c.continuation)
            case let .process(w):
                if w.timerID == first.id { w.timerID = 0 }
                if let c = w.resumer, let end = processTimer(&s, w, now: now) { due.ended.append(.init(resume: c, end: end)) }
            case let .callback(f):
                due.callbacks.append(f)
            case let .resume(id):
                resume(&s, id: id, now: now, &due)
            case .sleeping, nil:
                break   // a sleep's timer is armed with its continuation; nil: a stale entry
            }
        }
    }

    /// Runs the queued jobs. They run after the resumptions, which enqueue the jobs of tasks
    /// preferring this executor: those run in this same pass (up to a bound, then I/O is
    /// polled again, the rest first in the queue).
    /// Every job runs as the serial executor it is too (see `isIsolatingCurrentContext`): a
    /// task that prefers the reactor then enters an actor isolated to it without a hop.
    private func runJobs(_ jobs: inout [UnownedJob], on executor: UnownedTaskExecutor, _ serial: UnownedSerialExecutor) {
        var budget = 256
        while !jobs.isEmpty && budget > 0 {
            for j in jobs { j.runSynchronously(isolatedTo: serial, taskExecutor: executor) }
            budget -= jobs.count
            jobs.removeAll(keepingCapacity: true)
            state.withLock { swap(&jobs, &$0.jobs) }
        }
        if !jobs.isEmpty {
            state.withLock { s in
                s.jobs.insert(contentsOf: jobs, at: 0)
            }
            jobs.removeAll(keepingCapacity: true)
        }
    }
}
