#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
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
        /// Never started: posix_spawn (or the user lookup) failed.
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
/// * posix_spawn (vfork-style clone in glibc): its own process group, signal mask emptied and
///   every signal back to SIG_DFL, stdin on /dev/null, stdout+stderr on one pipe, and every
///   other descriptor closed (`addclosefrom_np(3)`; all of swiftvs' own descriptors are
///   close-on-exec as well).
/// * Exit is observed through a pidfd on the shared `Reactor` (one epoll thread for everything);
///   no SIGCHLD handler, no `waitpid(-1)`, so nothing else in the process is disturbed and
///   nothing is reaped twice. The leader is reaped with `waitpid(pid)` only after its process
///   group has been killed, so the group id can never have been reused when it is signalled.
/// * At the timeout the whole group gets SIGTERM, and SIGKILL `killGrace` later.
/// * Output: the first `outputLimit` bytes are kept, the rest is read and dropped, so a chatty
///   child never blocks on a full pipe.
/// * At most `maxConcurrent` children run at once; the rest wait in FIFO order.
/// * `user`/`group`: posix_spawn cannot change credentials, so the command is run through
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
    /// The last children this runner started (at most `startedHistory`), oldest first: how
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
    }

    /// Children running right now.
    public var running: Int { slots.inUse }
    /// Commands waiting for a slot.
    public var queued: Int { slots.waiting }

    public func run(_ command: CheckCommand, timeout: Duration) async -> CheckOutcome {
        await slots.acquire()
        defer { slots.release() }
        return await runNow(command, timeout: timeout)
    }

    /// The argv actually spawned, with the setpriv prefix when a user is set.
    public func spawnArgv(_ command: CheckCommand) -> Result<[String], SpawnError> {
        guard let user = command.user else { return .success(command.argv) }
        guard let (uid, gid) = Self.lookup(user: user, group: command.group) else {
            return .failure(SpawnError(errno: ESRCH, message: "unknown user \(user)\(command.group.map { " or group \($0)" } ?? "")"))
        }
        return .success([setprivPath, "--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"] + command.argv)
    }

    public struct SpawnError: Error, Sendable {
        public var errno: Int32
        public var message: String
    }

    private func runNow(_ command: CheckCommand, timeout: Duration) async -> CheckOutcome {
        let start = ContinuousClock.now
        func failed(_ e: Int32, _ message: String) -> CheckOutcome {
            CheckOutcome(termination: .spawnFailed(errno: e, message: message), latency: start.duration(to: .now),
                         output: [], outputBytes: 0, pid: nil)
        }
        let argv: [String]
        switch spawnArgv(command) {
        case let .success(a): argv = a
        case let .failure(e): return failed(e.errno, e.message)
        }
        guard !argv.isEmpty else { return failed(EINVAL, "empty command") }

        var fds: [Int32] = [-1, -1]
        guard Sys.pipe2(&fds, Sys.cloexec) == 0 else { return failed(errno, "pipe2: \(Sys.errnoString(errno))") }
        let readFD = fds[0], writeFD = fds[1]
        Sys.setNonBlocking(readFD)

        var pid: pid_t = 0
        let rc = Self.spawn(argv: argv, stdoutFD: writeFD, pid: &pid)
        close(writeFD)
        if rc != 0 {
            close(readFD)
            return failed(rc, "\(argv[0]): \(Sys.errnoString(rc))")
        }
        started.withLock {
            $0.append(pid)
            if $0.count > Self.startedHistory { $0.removeFirst($0.count - Self.startedHistory) }
        }

        let limit = outputLimit
        let reactor = self.reactor
        let reader = Task { await Self.drain(readFD, limit: limit, reactor: reactor) }

        let deadline = start + timeout
        var killedWith: Int32 = 0
        let pidfd = Sys.pidfdOpen(pid)
        if pidfd >= 0 {
            if await reactor.wait(fd: pidfd, events: Sys.EPOLLIN, deadline: deadline) != .ready(Sys.EPOLLIN) {
                killedWith = SIGTERM
                kill(-pid, SIGTERM)
                if await reactor.wait(fd: pidfd, events: Sys.EPOLLIN, deadline: .now + killGrace) != .ready(Sys.EPOLLIN) {
                    killedWith = SIGKILL
                    kill(-pid, SIGKILL)
                    _ = await reactor.wait(fd: pidfd, events: Sys.EPOLLIN, deadline: nil)
                }
            }
            close(pidfd)
        } else {
            // No pidfd (kernel < 5.3): poll the leader without reaping it.
            var termAt: ContinuousClock.Instant?
            while !Self.hasExited(pid) {
                let now = ContinuousClock.now
                if killedWith == 0 && now >= deadline {
                    killedWith = SIGTERM; kill(-pid, SIGTERM); termAt = now
                } else if killedWith == SIGTERM, let t = termAt, now >= t + killGrace {
                    killedWith = SIGKILL; kill(-pid, SIGKILL)
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        let latency = start.duration(to: .now)
        // The leader is a zombie until reaped, so -pid still names its group.
        if killStragglers || killedWith != 0 { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}

        reader.cancel()
        let (output, total) = await reader.value
        close(readFD)

        let termination: CheckOutcome.Termination
        if killedWith != 0 {
            termination = .timedOut(killedWith: killedWith)
        } else if status & 0x7F == 0 {
            termination = .exited((status >> 8) & 0xFF)
        } else {
            termination = .signaled(status & 0x7F)
        }
        return CheckOutcome(termination: termination, latency: latency, output: output, outputBytes: total, pid: pid)
    }

    /// Whether `pid` has terminated, without reaping it.
    private static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        let r = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        if r < 0 { return errno != EINTR }
        return info._sifields._kill.si_pid == pid
    }

    /// Reads until EOF; when cancelled, takes what is already in the pipe and stops.
    private static func drain(_ fd: Int32, limit: Int, reactor: Reactor) async -> ([UInt8], Int) {
        var kept: [UInt8] = []
        var total = 0
        let chunk = 65536
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 1)
        defer { buffer.deallocate() }
        var stopping = false
        while true {
            let n = read(fd, buffer, chunk)
            if n > 0 {
                total += n
                if kept.count < limit {
                    let take = min(n, limit - kept.count)
                    kept.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: take))
                }
                continue
            }
            if n == 0 { break }
            if errno == EINTR { continue }
            if errno != EAGAIN || stopping { break }
            if Task.isCancelled { stopping = true; continue }
            switch await reactor.wait(fd: fd, events: Sys.EPOLLIN) {
            case .cancelled: stopping = true
            default: break
            }
        }
        return (kept, total)
    }

    /// posix_spawn with a fresh process group, default signal state, stdin=/dev/null and
    /// stdout/stderr → `stdoutFD`. Returns 0 or an errno.
    private static func spawn(argv: [String], stdoutFD: Int32, pid: inout pid_t) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 1)
        posix_spawn_file_actions_adddup2(&actions, stdoutFD, 2)
        if let closeFrom = Sys.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attr, 0)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var all = sigset_t()
        sigfillset(&all)
        // sigfillset leaves out glibc's internal signals (32 SIGCANCEL, 33 SIGSETXID), and
        // posix_spawn then leaves them SIG_IGN in the child, which survives exec. Set their bits
        // by hand so the program starts with every disposition at its default.
        withUnsafeMutableBytes(of: &all) { raw in
            raw.storeBytes(of: raw.load(as: UInt64.self) | (1 << 31) | (1 << 32), as: UInt64.self)
        }
        posix_spawnattr_setsigdefault(&attr, &all)

        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cargs.append(nil)
        defer { for p in cargs { free(p) } }
        return posix_spawnp(&pid, argv[0], &actions, &attr, cargs, environ)
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
