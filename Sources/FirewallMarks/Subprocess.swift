#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import SystemErrors

/// What a finished command produced.
struct CommandResult: Sendable {
    var argv: [String]
    /// Exit code, or 128 + signal number when killed by a signal.
    var status: Int32
    var stdout: String
    var stderr: String
    /// stdout went past the capture limit and was cut.
    var stdoutTruncated: Bool
    var timedOut: Bool

    var succeeded: Bool { status == 0 && !timedOut }
}

/// Runs programs without a shell: `posix_spawn` of an absolute path with an argv, a fixed
/// environment (`PATH`, `LC_ALL=C` so messages are parseable), stdin from a string or
/// /dev/null, stdout and stderr captured up to a limit, nothing else inherited (every fd
/// from 3 up is closed in the child), a time limit, and the child always reaped.
enum Subprocess {
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    static func run(_ argv: [String], input: String? = nil, timeout: Duration = .seconds(60),
                    outputLimit: Int = 16 << 20) throws(MarkError) -> CommandResult {
        precondition(!argv.isEmpty && argv[0].hasPrefix("/"), "Subprocess.run needs an absolute program path")
        func failure(_ what: String, _ e: Errno) -> MarkError {
            MarkError(code: .system, message: FailureText.render(subject: "cannot run \(argv[0])", step: what, errno: e),
                      command: argv)
        }

        // [parent end, child end] for stdout, stderr, stdin; all close-on-exec.
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        var inPair: [Int32] = [-1, -1]
        var opened: [Int32] = []
        defer { for fd in opened where fd >= 0 { close(fd) } }

        // Socket pairs rather than pipes: SOCK_CLOEXEC makes them close-on-exec atomically, and
        // send(MSG_NOSIGNAL) on the stdin one cannot raise SIGPIPE in this process when the
        // child exits without reading everything (a pipe has no such flag: that is why these
        // stay socket pairs now that pipe2 is reachable through CLinux).
        func makePipe(_ fds: inout [Int32]) throws(MarkError) {
            var raw: [Int32] = [-1, -1]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &raw) == 0 else {
                throw failure("socketpair", .current)
            }
            fds = [try aboveStdio(raw[0]), try aboveStdio(raw[1])]
            opened += fds
        }
        // A descriptor the child's dup2 onto 0/1/2 cannot clobber (matters only if the
        // parent runs with a standard descriptor closed).
        func aboveStdio(_ fd: Int32) throws(MarkError) -> Int32 {
            if fd > 2 { return fd }
            let moved = fcntl(fd, F_DUPFD_CLOEXEC, 3)
            let e = Errno.current
            close(fd)
            guard moved >= 0 else { throw failure("fcntl", e) }
            return moved
        }
        try makePipe(&outPipe)
        try makePipe(&errPipe)
        if input != nil { try makePipe(&inPair) }

        let pid: pid_t
        do throws(Errno) {
            pid = try spawn(argv, stdin: input != nil ? inPair[1] : nil, stdout: outPipe[1], stderr: errPipe[1])
        } catch {
            throw failure("posix_spawn", error)
        }

        // The child's ends now belong to the child.
        func closeOwned(_ fd: Int32) {
            close(fd)
            opened.removeAll { $0 == fd }
        }
        closeOwned(outPipe[1])
        closeOwned(errPipe[1])
        if input != nil { closeOwned(inPair[1]) }

        var io = IOState(stdoutFD: outPipe[0], stderrFD: errPipe[0], stdinFD: input != nil ? inPair[0] : -1,
                         input: Array((input ?? "").utf8), limit: outputLimit)
        opened.removeAll()  // the parent ends now belong to `io`, which closes them
        let (timedOut, ioError) = pump(&io, pid: pid, deadline: ContinuousClock.now.advanced(by: timeout))
        // Whatever happened, close our ends so a killed child cannot block, then reap.
        for fd in [io.stdoutFD, io.stderrFD, io.stdinFD] where fd >= 0 { close(fd) }
        let (status, waitError) = reap(pid)
        if ioError != 0 { throw failure("reading its output", Errno(rawValue: ioError)) }
        if let waitError { throw failure("waitpid (is SIGCHLD ignored?)", waitError) }
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(argv: argv, status: exitStatus,
                             stdout: String(decoding: io.stdout, as: UTF8.self),
                             stderr: String(decoding: io.stderr, as: UTF8.self),
                             stdoutTruncated: io.stdoutTruncated, timedOut: timedOut)
    }

    /// Starts `argv` (absolute path) with the fixed environment: stdin from `stdin` (or
    /// /dev/null), stdout and stderr onto the given descriptors, every other descriptor closed,
    /// signals unblocked and at their defaults. Throws posix_spawn's errno.
    static func spawn(_ argv: [String], stdin: Int32?, stdout: Int32, stderr: Int32) throws(Errno) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdin {
            posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        // glibc ≥ 2.34 (ENOSYS from the shim before that: only close-on-exec protects then).
        _ = swiftvs_spawn_addclosefrom(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        var cEnv: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for p in cArgs { free(p) }
            for p in cEnv { free(p) }
        }
        var pid = pid_t()
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, &cArgs, &cEnv)
        guard rc == 0 else { throw Errno(rawValue: rc) }
        return pid
    }

    /// Pumps stdin, stdout and stderr until both outputs end, the deadline passes or the I/O
    /// fails (the child is killed in the last two cases).
    static func pump(_ io: inout IOState, pid: pid_t, deadline: ContinuousClock.Instant) -> (timedOut: Bool, ioError: Int32) {
        while io.active {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                kill(pid, SIGKILL)
                return (true, 0)
            }
            let (seconds, attoseconds) = remaining.components
            let ms = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            if let e = io.step(timeoutMilliseconds: ms) {
                kill(pid, SIGKILL)
                return (false, e)
            }
        }
        return (false, 0)
    }

    /// waitpid, retried on EINTR: the wait status, or the errno that stopped it.
    static func reap(_ pid: pid_t) -> (status: Int32, waitError: Errno?) {
        var status: Int32 = 0
        switch valueOrErrno({ waitpid(pid, &status, 0) }) {
        case .success: return (status, nil)
        case let .failure(e): return (status, e)
        }
    }

    /// Non-blocking pump of stdin/stdout/stderr with poll(2).
    struct IOState {
        var stdoutFD: Int32
        var stderrFD: Int32
        var stdinFD: Int32
        var input: [UInt8]
        var written = 0
        var limit: Int
        var stdout: [UInt8] = []
        var stderr: [UInt8] = []
        var stdoutTruncated = false

        init(stdoutFD: Int32, stderrFD: Int32, stdinFD: Int32, input: [UInt8], limit: Int) {
            self.stdoutFD = stdoutFD
            self.stderrFD = stderrFD
            self.stdinFD = stdinFD
            self.input = input
            self.limit = limit
            for fd in [stdoutFD, stderrFD, stdinFD] where fd >= 0 {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            }
            if stdinFD >= 0 && input.isEmpty { finishInput() }
        }

        var active: Bool { stdoutFD >= 0 || stderrFD >= 0 }

        mutating func finishInput() {
            if stdinFD >= 0 { close(stdinFD) }
            stdinFD = -1
        }

        /// One poll round; returns an errno on failure.
        mutating func step(timeoutMilliseconds: Int32) -> Int32? {
            var fds: [pollfd] = []
            if stdoutFD >= 0 { fds.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
            if stderrFD >= 0 { fds.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
            if stdinFD >= 0 { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            // Not retried here on EINTR: the caller goes round with the time left to its deadline.
            let n = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
            if n < 0 { return errno == EINTR ? nil : errno }
            if n == 0 { return nil }
            for p in fds where p.revents != 0 {
                if p.fd == stdinFD {
                    if let e = writeInput() { return e }
                } else if let e = drain(p.fd) {
                    return e
                }
            }
            return nil
        }

        private mutating func writeInput() -> Int32? {
            while written < input.count {
                let sent = valueOrErrno {
                    input.withUnsafeBytes { raw in
                        send(stdinFD, raw.baseAddress! + written, raw.count - written, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
                    }
                }
                if case let .success(n) = sent, n > 0 { written += n; continue }
                if case .failure(.resourceTemporarilyUnavailable) = sent { return nil }
                // EPIPE/ECONNRESET: the child stopped reading; its exit status will tell.
                break
            }
            finishInput()
            return nil
        }

        private mutating func drain(_ fd: Int32) -> Int32? {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n: Int
                do {
                    n = try buffer.withUnsafeMutableBytes { try FileDescriptor(rawValue: fd).read(into: $0) }   // EINTR retried
                } catch Errno.resourceTemporarilyUnavailable {
                    return nil
                } catch {
                    return (error as? Errno)?.rawValue ?? EIO
                }
                if n > 0 {
                    let chunk = buffer[0..<n]
                    if fd == stdoutFD {
                        let room = limit - stdout.count
                        if room >= n { stdout += chunk } else {
                            if room > 0 { stdout += chunk.prefix(room) }
                            stdoutTruncated = true
                        }
                    } else {
                        let room = 65536 - stderr.count  // stderr is for messages: keep 64 KiB
                        if room > 0 { stderr += chunk.prefix(room) }
                    }
                    continue
                }
                close(fd)
                if fd == stdoutFD { stdoutFD = -1 } else { stderrFD = -1 }
                return nil
            }
        }
    }
}
