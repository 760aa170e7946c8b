#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import Synchronization
import SystemErrors

/// Runs check commands as child processes.
///
/// * `swiftvs_spawn_start` (CLinux: clone(CLONE_VM|CLONE_PIDFD) without CLONE_VFORK, so the
///   caller, usually the reactor thread, never waits for a child's exec): its own process group,
///   signal mask emptied and every signal back to SIG_DFL, stdin on /dev/null, stdout+stderr on
///   one pipe (or /dev/null when the output is not wanted), and every other descriptor closed
///   (close_range; all of swiftvs' own descriptors are close-on-exec as well). A failed exec is
///   known when the child is reaped (it exits 127 and leaves its errno in its spawn block), and
///   reported as `spawnFailed` as before.
/// * Once started, the child is followed by the runner's `Reactor` on its thread
///   (`Reactor.watch`): exit through a pidfd, output drained as it comes, timeout and kill grace
///   as timers; the calling task is resumed once, with the outcome (no task, buffer or thread
///   switch per stage). No SIGCHLD handler, no `waitpid(-1)`, so nothing else in the process is
///   disturbed and nothing is reaped twice. The leader is reaped with `waitpid(pid)` only after
///   its process group has been killed, so the group id can never have been reused when it is
///   signalled.
/// * At the timeout the whole group gets SIGTERM, and SIGKILL `killGrace` later.
/// * Output: the first `outputLimit` bytes are kept, the rest is read and dropped, so a chatty
///   child never blocks on a full pipe.
/// * At most `maxConcurrent` children run at once; the rest wait in FIFO order.
/// * `user`/`group`: the spawn does not change credentials, so the command is run through
///   `setpriv --reuid --regid --init-groups --` (util-linux), which drops privileges and execs
///   it in the same process: pid, process group, pidfd and pipe are unchanged.
public final class ProcessRunner: Sendable {
    /// Children at most at once; the rest wait in FIFO order.
    public let maxConcurrent: Int
    /// Bytes of output kept per child.
    public let outputLimit: Int
    /// From SIGTERM to SIGKILL after a timeout.
    public let killGrace: Duration
    /// After the leader exits, SIGKILL whatever is left of its process group.
    public let killStragglers: Bool
    /// The setpriv(1) that switches user and group for commands that ask for one.
    public let setprivPath: String
    /// Where the children are followed: their exits, output and timeouts.
    public let reactor: Reactor
    private let slots: AsyncSemaphore
    /// The children's stdin, open for the runner's life.
    private let devNull: Int32
    /// The children's stdout and stderr when their output is not wanted.
    private let devNullOut: Int32
    /// The last children this runner started (at least `startedHistory`), oldest first: how
    /// tests check that every one of them was reaped, without looking at other children of
    /// the process.
    let started = Mutex<[pid_t]>([])
    static let startedHistory = 1024
    /// Told how long each command that found no free slot waited for one (on the thread that
    /// freed it): how the daemon counts checks that started late.
    private let slotWait: (@Sendable (Duration) -> Void)?
    /// Where a freed slot's next start runs: in a loop, never nested in the end before it.
    private let handOffs = HandOffChain()

    /// A runner whose children `reactor` follows; the defaults are the daemon's.
    public init(reactor: Reactor, maxConcurrent: Int = 64, outputLimit: Int = 4096, killGrace: Duration = .seconds(2),
                killStragglers: Bool = true, setprivPath: String = "/usr/bin/setpriv",
                slotWait: (@Sendable (Duration) -> Void)? = nil) {
        self.slotWait = slotWait
        self.maxConcurrent = max(1, maxConcurrent)
        self.outputLimit = max(0, outputLimit)
        self.killGrace = killGrace
        self.killStragglers = killStragglers
        self.setprivPath = setprivPath
        self.reactor = reactor
        self.slots = AsyncSemaphore(self.maxConcurrent)
        self.devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        self.devNullOut = open("/dev/null", O_WRONLY | O_CLOEXEC)
    }

    deinit {
        if devNull >= 0 { close(devNull) }
        if devNullOut >= 0 { close(devNullOut) }
    }

    /// Children running right now.
    public var running: Int { slots.inUse }
    /// Commands waiting for a slot.
    public var queued: Int { slots.waiting }

    /// Runs `command` (waiting for a slot first) to its end or `timeout`; with
    /// `captureOutput`, its output is kept (else it goes to /dev/null).
    public func run(_ command: CheckCommand, timeout: Duration, captureOutput: Bool = true) async -> CheckOutcome {
        await run(prepare(command), timeout: timeout, captureOutput: captureOutput)
    }

    /// Runs a command prepared once (`prepare`), as a checker that runs the same one again and
    /// again does. Without `captureOutput` the child's stdout and stderr go to /dev/null (as
    /// keepalived's MISC_CHECK does), so no pipe is made or read.
    ///
    /// It is `start` with the caller's task waiting for the outcome: the wait for a slot, the
    /// spawn, the timeout and the reaping all happen on the reactor thread (or the thread that
    /// frees the slot), never on the caller's executor, so a command queued behind others
    /// starts when its slot frees up even while the cooperative pool's threads are blocked. (It
    /// used to be resumed on the caller's executor for its slot, and spawned from there.)
    /// Cancelling the task kills the command's process group (`timedOut(killedWith: SIGKILL)`),
    /// or, while it waits for a slot, ends it as `spawnFailed(ECANCELED)` without running it.
    public func run(_ command: PreparedCommand, timeout: Duration, captureOutput: Bool = true) async -> CheckOutcome {
        let stop = StopSwitch()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (done: CheckedContinuation<CheckOutcome, Never>) in
                stop.arm(start(command, timeout: timeout, captureOutput: captureOutput) { done.resume(returning: $0) })
            }
        } onCancel: {
            stop.trip()
        }
    }

    /// The cancel function of a started command, and whether the task was cancelled before it
    /// was known: whichever comes second calls it.
    private final class StopSwitch: Sendable {
        private struct State {
            var cancel: (@Sendable () -> Void)?
            var tripped = false
        }
        private let state = Mutex(State())

        func arm(_ cancel: @escaping @Sendable () -> Void) {
            if state.withLock({ s -> Bool in s.cancel = cancel; return s.tripped }) { cancel() }
        }

        func trip() {
            state.withLock { s -> (@Sendable () -> Void)? in s.tripped = true; return s.cancel }?()
        }
    }

    /// The argv actually spawned, with the setpriv prefix when a user is set.
    public func spawnArgv(_ command: CheckCommand) -> Result<[String], SpawnError> {
        guard let user = command.user else { return .success(command.argv) }
        guard let (uid, gid) = Self.lookup(user: user, group: command.group) else {
            return .failure(SpawnError(errno: .noSuchProcess, message: "unknown user \(user)\(command.group.map { " or group \($0)" } ?? "")"))
        }
        return .success([setprivPath, "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"] + command.argv)
    }

    /// The argv of `command` (`spawnArgv`: the user is looked up now) in the form the spawn
    /// takes, or why it cannot run.
    public func prepare(_ command: CheckCommand) -> PreparedCommand {
        switch spawnArgv(command) {
        case let .success(argv):
            guard !argv.isEmpty else { return PreparedCommand(failure: SpawnError(errno: .invalidArgument, message: "empty command")) }
            return PreparedCommand(argv: argv)
        case let .failure(e):
            return PreparedCommand(failure: e)
        }
    }

    /// Why a command could not be started: the errno and what failed.
    public struct SpawnError: Error, Sendable, Equatable {
        /// The errno.
        public var errno: Errno
        /// What failed, with strerror's text.
        public var message: String
    }

    /// A command's argv as the spawn takes it: the strings back to back, each NUL-terminated,
    /// made once rather than per run.
    public struct PreparedCommand: Sendable, Equatable {
        /// argv[0], for messages.
        public let program: String
        let args: [UInt8]
        let argc: Int32
        /// Set when the command cannot run at all (unknown user, empty argv).
        public let failure: SpawnError?

        init(argv: [String]) {
            program = argv[0]
            var bytes: [UInt8] = []
            for a in argv {
                // An argument cannot hold a NUL: execve would end it there anyway.
                bytes.append(contentsOf: a.utf8.prefix { $0 != 0 })
                bytes.append(0)
            }
            args = bytes
            argc = Int32(argv.count)
            failure = nil
        }

        init(failure: SpawnError) {
            program = ""
            args = []
            argc = 0
            self.failure = failure
        }
    }

    /// Starts `command` without a task: now, or when a slot frees up (FIFO with the tasks that
    /// wait), and calls `completion` once with the outcome, on the reactor thread (or at once on
    /// this thread when the spawn itself fails). Returns a cancel function: it kills the check's
    /// process group (the outcome still comes, `timedOut(killedWith: SIGKILL)`), or, while the
    /// check waits for a slot, makes it end as `spawnFailed(ECANCELED)` without running.
    /// `began`, when given, is called right before the spawn (after any wait for a slot) instead
    /// of the runner's `slotWait`: the caller measures its own lateness, once.
    public func start(_ command: PreparedCommand, timeout: Duration, captureOutput: Bool = true,
                      began: (@Sendable () -> Void)? = nil,
                      completion: @escaping @Sendable (CheckOutcome) -> Void) -> @Sendable () -> Void {
        enum Phase { case queued, cancelledWhileQueued, running(UInt64), done }
        let phase = Mutex(Phase.queued)
        let queuedAt = ContinuousClock.now
        // The slot is free (or handed on) before the end is reported; the next command starts after.
        let finish: @Sendable (CheckOutcome) -> Void = { [slots, handOffs] outcome in
            let next = slots.handOff()
            completion(outcome)
            if let next { handOffs.run(next) }
        }
        let go: @Sendable (_ waited: Bool) -> Void = { [self] waited in
            if let began { began() } else if waited { slotWait?(.now - queuedAt) }
            let cancelled = phase.withLock { p -> Bool in
                if case .cancelledWhileQueued = p { return true }
                return false
            }
            if cancelled {
                finish(CheckOutcome(termination: .spawnFailed(errno: .canceled, message: "cancelled"), latency: .zero,
                                    output: [], outputBytes: 0, pid: nil))
                return
            }
            let begun = begin(command, timeout: timeout, captureOutput: captureOutput)
            switch begun {
            case let .failure(failed):
                phase.withLock { $0 = .done }
                finish(failed.outcome)
            case let .success(child):
                let id = reactor.watch(child.spec) { [self] end in
                    phase.withLock { $0 = .done }
                    finish(outcome(of: child, end))
                }
                // A cancel that came while the spawn was under way is carried out now.
                let cancelNow = phase.withLock { p -> Bool in
                    switch p {
                    case .queued: p = .running(id); return false
                    case .cancelledWhileQueued: p = .running(id); return true
                    case .running, .done: return false
                    }
                }
                if cancelNow { reactor.cancelWatch(id) }
            }
        }
        if slots.acquire(orWhenFree: { go(true) }) { go(false) }   // else: queued, `go` runs at a release
        return { [reactor] in
            let running = phase.withLock { p -> UInt64? in
                switch p {
                case .queued: p = .cancelledWhileQueued; return nil
                case let .running(id): return id
                case .cancelledWhileQueued, .done: return nil
                }
            }
            if let running { reactor.cancelWatch(running) }
        }
    }

    /// A started child, before its end.
    struct Started {
        var spec: Reactor.ProcessSpec
        var program: String
        var start: ContinuousClock.Instant
    }

    /// Spawns the child (see `swiftvs_spawn_start`); the failure is the outcome to report.
    private func begin(_ command: PreparedCommand, timeout: Duration, captureOutput: Bool) -> Result<Started, Failed> {
        let start = ContinuousClock.now
        func failed(_ e: Errno, _ message: String) -> Result<Started, Failed> {
            .failure(Failed(CheckOutcome(termination: .spawnFailed(errno: e, message: message), latency: start.duration(to: .now),
                                         output: [], outputBytes: 0, pid: nil)))
        }
        if let f = command.failure { return failed(f.errno, f.message) }

        var readFD: Int32 = -1, writeFD = devNullOut
        if captureOutput {
            guard let fds = SystemCalls.pipe2(flags: SystemCalls.cloexec) else {
                let e = Errno.current
                return failed(e, FailureText.render(subject: "pipe2", errno: e))
            }
            readFD = fds.read
            writeFD = fds.write
            SystemCalls.setNonBlocking(readFD)
        }

        var pid: pid_t = 0
        var pidfd: Int32 = -1
        var child: OpaquePointer?
        let rc = command.args.withUnsafeBufferPointer { args in
            args.withMemoryRebound(to: CChar.self) { a in
                swiftvs_spawn_start(a.baseAddress, a.count, command.argc, environ, getenv("PATH"), devNull, writeFD,
                                    &pid, &pidfd, &child)
            }
        }
        if captureOutput { close(writeFD) }
        if rc != 0 {
            if readFD >= 0 { close(readFD) }
            let e = Errno(rawValue: rc)
            return failed(e, FailureText.render(subject: command.program, errno: e))
        }
        started.withLock {
            $0.append(pid)
            if $0.count >= 2 * Self.startedHistory { $0.removeFirst($0.count - Self.startedHistory) }
        }
        return .success(Started(
            spec: Reactor.ProcessSpec(pid: pid, pidfd: pidfd, output: readFD, outputLimit: outputLimit,
                                      deadline: start + timeout, killGrace: killGrace, killStragglers: killStragglers,
                                      child: UInt(bitPattern: child)),
            program: command.program, start: start))
    }

    struct Failed: Error {
        var outcome: CheckOutcome
        init(_ outcome: CheckOutcome) { self.outcome = outcome }
    }

    private func outcome(of child: Started, _ end: Reactor.ProcessEnd) -> CheckOutcome {
        if end.spawnError != 0 {
            let e = Errno(rawValue: end.spawnError)
            return CheckOutcome(termination: .spawnFailed(errno: e, message: FailureText.render(subject: child.program, errno: e)),
                                latency: child.start.duration(to: end.ended), output: [], outputBytes: 0, pid: nil)
        }
        let termination: CheckOutcome.Termination
        if end.killedWith != 0 {
            termination = .timedOut(killedWith: end.killedWith)
        } else if end.status & 0x7F == 0 {
            termination = .exited((end.status >> 8) & 0xFF)
        } else {
            termination = .signaled(end.status & 0x7F)
        }
        return CheckOutcome(termination: termination, latency: child.start.duration(to: end.ended), output: end.output,
                            outputBytes: end.outputBytes, pid: child.spec.pid)
    }

    /// Numeric uid and gid for a user name or number and an optional group name or number.
    static func lookup(user: String, group: String?) -> (uid_t, gid_t)? {
        var uid: uid_t
        var gid: gid_t
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        if getpwnam_r(user, &pwd, &buf, buf.count, &result) == 0, result != nil {
            uid = pwd.pw_uid
            gid = pwd.pw_gid
        } else if let n = UInt32(user) {
            uid = n
            gid = getpwuid_r(n, &pwd, &buf, buf.count, &result) == 0 && result != nil ? pwd.pw_gid : n
        } else {
            return nil
        }
        if let group {
            var grp = Glibc.group()
            var gres: UnsafeMutablePointer<Glibc.group>?
            if getgrnam_r(group, &grp, &buf, buf.count, &gres) == 0, gres != nil {
                gid = grp.gr_gid
            } else if let n = UInt32(group) {
                gid = n
            } else {
                return nil
            }
        }
        return (uid, gid)
    }
}
