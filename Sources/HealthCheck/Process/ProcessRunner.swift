#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CSpawn
import Synchronization

/// How a check process ended.
public struct CheckOutcome: Sendable, Equatable {
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// Exited by itself with this status.
        case exited(Int32)
        /// Killed by a signal nobody in swiftvs sent.
        case signaled(Int32)
        /// Ran past its timeout; its process group got SIGTERM, then SIGKILL if `killedWith` says so.
        case timedOut(killedWith: Int32)
        /// Never started: the spawn (or the user lookup) failed.
        case spawnFailed(errno: Int32, message: String)

        public var description: String {
            switch self {
            case let .exited(code): return "exit status \(code)"
            case let .signaled(sig): return "killed by signal \(sig)"
            case let .timedOut(sig): return "timed out (\(sig == SIGKILL ? "SIGKILL" : "SIGTERM"))"
            case let .spawnFailed(_, message): return "cannot run: \(message)"
            }
        }
    }

    public var termination: Termination
    /// From spawn to the leader's exit (or to the spawn failure).
    public var latency: Duration
    /// The first `outputLimit` bytes of stdout and stderr, interleaved as written.
    public var output: [UInt8]
    /// Everything the process wrote, kept or drained.
    public var outputBytes: Int
    public var pid: pid_t?

    public var outputTruncated: Bool { outputBytes > output.count }
    public var outputText: String { String(decoding: output, as: UTF8.self) }
}

/// Runs check commands as child processes.
///
/// * `swiftvs_spawn_start` (CSpawn: clone(CLONE_VM|CLONE_PIDFD) without CLONE_VFORK, so the
///   caller, usually the reactor thread, never waits for a child's exec): its own process group,
///   signal mask emptied and every signal back to SIG_DFL, stdin on /dev/null, stdout+stderr on
///   one pipe (or /dev/null when the output is not wanted), and every other descriptor closed
///   (close_range; all of swiftvs' own descriptors are close-on-exec as well). A failed exec is
///   known when the child is reaped (it exits 127 and leaves its errno in its spawn block), and
///   reported as `spawnFailed` as before.
/// * Once started, the child is followed by the shared `Reactor` on its own thread
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
    public let maxConcurrent: Int
    public let outputLimit: Int
    public let killGrace: Duration
    /// After the leader exits, SIGKILL whatever is left of its process group.
    public let killStragglers: Bool
    public let setprivPath: String
    private let reactor: Reactor
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

    public init(maxConcurrent: Int = 64, outputLimit: Int = 4096, killGrace: Duration = .seconds(2),
                killStragglers: Bool = true, setprivPath: String = "/usr/bin/setpriv", reactor: Reactor = .shared) {
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

    public func run(_ command: CheckCommand, timeout: Duration, captureOutput: Bool = true) async -> CheckOutcome {
        await run(prepare(command), timeout: timeout, captureOutput: captureOutput)
    }

    /// Runs a command prepared once (`prepare`), as a checker that runs the same one again and
    /// again does. Without `captureOutput` the child's stdout and stderr go to /dev/null (as
    /// keepalived's MISC_CHECK does), so no pipe is made or read.
    public func run(_ command: PreparedCommand, timeout: Duration, captureOutput: Bool = true) async -> CheckOutcome {
        if !slots.tryAcquire() { await slots.acquire() }
        defer { slots.release() }
        return await runNow(command, timeout: timeout, captureOutput: captureOutput)
    }

    /// The argv actually spawned, with the setpriv prefix when a user is set.
    public func spawnArgv(_ command: CheckCommand) -> Result<[String], SpawnError> {
        guard let user = command.user else { return .success(command.argv) }
        guard let (uid, gid) = Self.lookup(user: user, group: command.group) else {
            return .failure(SpawnError(errno: ESRCH, message: "unknown user \(user)\(command.group.map { " or group \($0)" } ?? "")"))
        }
        return .success([setprivPath, "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"] + command.argv)
    }

    /// The argv of `command` (`spawnArgv`: the user is looked up now) in the form the spawn
    /// takes, or why it cannot run.
    public func prepare(_ command: CheckCommand) -> PreparedCommand {
        switch spawnArgv(command) {
        case let .success(argv):
            guard !argv.isEmpty else { return PreparedCommand(failure: SpawnError(errno: EINVAL, message: "empty command")) }
            return PreparedCommand(argv: argv)
        case let .failure(e):
            return PreparedCommand(failure: e)
        }
    }

    public struct SpawnError: Error, Sendable, Equatable {
        public var errno: Int32
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

    private func runNow(_ command: PreparedCommand, timeout: Duration, captureOutput: Bool) async -> CheckOutcome {
        let start = ContinuousClock.now
        func failed(_ e: Int32, _ message: String) -> CheckOutcome {
            CheckOutcome(termination: .spawnFailed(errno: e, message: message), latency: start.duration(to: .now),
                         output: [], outputBytes: 0, pid: nil)
        }
        if let f = command.failure { return failed(f.errno, f.message) }

        var readFD: Int32 = -1, writeFD = devNullOut
        if captureOutput {
            var fds: [Int32] = [-1, -1]
            guard Sys.pipe2(&fds, Sys.cloexec) == 0 else { return failed(errno, "pipe2: \(Sys.errnoString(errno))") }
            readFD = fds[0]
            writeFD = fds[1]
            Sys.setNonBlocking(readFD)
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
            return failed(rc, "\(command.program): \(Sys.errnoString(rc))")
        }
        started.withLock {
            $0.append(pid)
            if $0.count >= 2 * Self.startedHistory { $0.removeFirst($0.count - Self.startedHistory) }
        }

        // From here the reactor follows the child on its own thread: output, timeout, exit,
        // reaping. This task is resumed once, with the result.
        let end = await reactor.watch(Reactor.ProcessSpec(
            pid: pid, pidfd: pidfd, output: readFD, outputLimit: outputLimit,
            deadline: start + timeout, killGrace: killGrace, killStragglers: killStragglers,
            child: UInt(bitPattern: child)))

        if end.spawnError != 0 {
            return failed(end.spawnError, "\(command.program): \(Sys.errnoString(end.spawnError))")
        }
        let termination: CheckOutcome.Termination
        if end.killedWith != 0 {
            termination = .timedOut(killedWith: end.killedWith)
        } else if end.status & 0x7F == 0 {
            termination = .exited((end.status >> 8) & 0xFF)
        } else {
            termination = .signaled(end.status & 0x7F)
        }
        return CheckOutcome(termination: termination, latency: start.duration(to: end.ended), output: end.output,
                            outputBytes: end.outputBytes, pid: pid)
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

/// FIFO counting semaphore for tasks.
final class AsyncSemaphore: Sendable {
    private struct State {
        var available: Int
        var inUse = 0
        var queue: [(UInt64, CheckedContinuation<Void, Never>)] = []
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
            let now = state.withLock { s -> Bool in
                if s.available > 0 {
                    s.available -= 1
                    s.inUse += 1
                    return true
                }
                s.queue.append((s.nextID, c))
                s.nextID += 1
                return false
            }
            if now { c.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
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
        next?.resume()
    }
}
