#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import HealthCheck
@testable import EventLoop

@Suite("MISC_CHECK process runner", .serialized)
struct ProcessRunnerTests {
    let runner = ProcessRunner(reactor: testReactor, maxConcurrent: 16)

    /// Every child this suite's runner started is gone: reaped (a zombie keeps its /proc
    /// entry) and not running. Other suites' children, running in parallel, are not ours to judge.
    private func assertNoChildren(sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let started = runner.started.withLock { $0 }
        let left = started.filter { access("/proc/\($0)/stat", F_OK) == 0 }
            .map { pid in (pid, childProcesses().first { $0.pid == pid }?.state ?? "not ours") }
        #expect(left.allSatisfy { $0.1 == "not ours" }, "children left (running or zombie): \(left)", sourceLocation: sourceLocation)
    }

    @Test func exitStatusesAndMiscDynamic() async throws {
        let dir = try TempDir()
        for (code, dynamic, expected) in [
            (0, false, CheckResult.ok()), (1, false, .failed(.exitStatus(1))), (12, false, .failed(.exitStatus(12))),
            (0, true, .ok()), (1, true, .failed(.exitStatus(1))), (2, true, .ok(weight: 0)), (12, true, .ok(weight: 10)),
            (255, true, .ok(weight: 253)),
        ] as [(Int, Bool, CheckResult)] {
            let script = try dir.script("exit\(code).sh", "exit \(code)")
            let checker = MiscChecker(command: .exec([script]), timeout: .seconds(5), dynamic: dynamic, runner: runner)
            var r = await checker.check()
            #expect(r.latency > .zero)
            r.latency = .zero
            #expect(r == expected, "exit \(code) dynamic \(dynamic)")
        }
        assertNoChildren()
    }

    @Test func miscCheckFromConfig() async throws {
        let config = try ConfigParser.parse(text: """
        virtual_server fwmark 1 {
          real_server 127.0.0.1 {
            MISC_CHECK {
              misc_path "/bin/sh -c 'exit 7'"
              misc_dynamic
              misc_timeout 2
            }
          }
        }
        """)
        let c = config.virtualServers[0].realServers[0].checkers[0]
        #expect(c.enabled)
        let r = await CheckerFactory(runner: runner).make(c).check()
        #expect(r.success && r.weight == 5)
        assertNoChildren()
    }

    @Test func outputIsCapturedFromStdoutAndStderr() async throws {
        let o = await runner.run(.shell("echo out; echo err >&2; exit 3"), timeout: .seconds(5))
        #expect(o.termination == .exited(3))
        #expect(o.outputText == "out\nerr\n")
        #expect(!o.outputTruncated)
        assertNoChildren()
    }

    @Test func hangingScriptIsTerminatedAtTheTimeout() async throws {
        let dir = try TempDir()
        let script = try dir.script("hang.sh", "sleep 30")
        let start = ContinuousClock.now
        let o = await runner.run(.exec([script]), timeout: .milliseconds(300))
        let took = start.duration(to: .now)
        #expect(o.termination == .timedOut(killedWith: SIGTERM))
        // Terminated at the timeout, not after the script's 30 s (upper bound loose: CI load).
        #expect(took >= .milliseconds(300) && took < .seconds(15))
        #expect(groupDies(try #require(o.pid)))
        let r = MiscChecker.interpret(o, dynamic: false)
        #expect(!r.success && r.reason == .scriptTimedOut)
        assertNoChildren()
    }

    @Test func scriptIgnoringSIGTERMIsKilledTwoSecondsLater() async throws {
        let dir = try TempDir()
        let script = try dir.script("stubborn.sh", "trap '' TERM\necho ready\nwhile :; do sleep 0.05; done")
        let start = ContinuousClock.now
        // The timeout leaves the shell time to start and set its trap on a loaded host (at
        // 0.2 s a SIGTERM once came first and ended it).
        let o = await runner.run(.exec([script]), timeout: .seconds(1))
        let took = start.duration(to: .now)
        #expect(o.termination == .timedOut(killedWith: SIGKILL))
        // SIGTERM at 1 s is ignored; SIGKILL follows the 2 s grace (the script never ends by itself).
        #expect(took >= .milliseconds(3000))
        #expect(o.outputText == "ready\n")
        #expect(groupDies(try #require(o.pid)))
        assertNoChildren()
    }

    @Test func theWholeProcessGroupDiesAtTheTimeout() async throws {
        let dir = try TempDir()
        let script = try dir.script("forks.sh", "sleep 100 &\nsleep 100 &\n(trap '' TERM; sleep 100) &\necho forked\nwait")
        let o = await runner.run(.exec([script]), timeout: .milliseconds(300))
        let pgid = try #require(o.pid)
        // The leader may die of SIGTERM; the subshell ignoring it is then SIGKILLed with the group.
        #expect(o.termination == .timedOut(killedWith: SIGTERM))
        #expect(o.outputText == "forked\n")
        #expect(groupDies(pgid))
        assertNoChildren()
    }

    @Test func backgroundChildrenLeftByAFinishedScriptAreKilled() async throws {
        // The straggler keeps the output pipe open: the runner must not wait for EOF.
        let start = ContinuousClock.now
        let o = await runner.run(.shell("sleep 100 & echo bye; exit 0"), timeout: .seconds(10))
        #expect(o.termination == .exited(0))
        #expect(o.outputText == "bye\n")
        // Not held until the 10 s timeout by the straggler's copy of the pipe.
        #expect(start.duration(to: .now) < .seconds(8))
        #expect(groupDies(try #require(o.pid)))
        assertNoChildren()
    }

    /// The check above can fail: without killStragglers the background child outlives the
    /// script, and processGroupAlive sees it.
    @Test func withoutKillStragglersTheGroupOutlivesTheScript() async throws {
        let keep = ProcessRunner(reactor: testReactor, maxConcurrent: 1, killStragglers: false)
        let o = await keep.run(.shell("sleep 100 & echo bye; exit 0"), timeout: .seconds(10))
        let pgid = try #require(o.pid)
        #expect(o.termination == .exited(0))
        #expect(processGroupAlive(pgid))
        #expect(!groupDies(pgid, within: 0.3))   // and the wait does not pretend otherwise
        kill(-pgid, SIGKILL)
        #expect(groupDies(pgid))
    }

    @Test func megabytesOfOutputAreBoundedWithoutDeadlock() async throws {
        let o = await runner.run(.shell("head -c 5000000 /dev/zero | tr '\\0' x; echo; echo done >&2; exit 4"), timeout: .seconds(20))
        #expect(o.termination == .exited(4))
        #expect(o.output.count == 4096)
        #expect(o.output.allSatisfy { $0 == UInt8(ascii: "x") })
        #expect(o.outputBytes == 5_000_000 + 1 + 5)
        #expect(o.outputTruncated)
        assertNoChildren()
    }

    @Test func noDescriptorLeaksIntoTheChild() async throws {
        // A descriptor opened WITHOUT close-on-exec must not reach the child either.
        let leaky = open("/dev/null", O_RDONLY)
        #expect(leaky > 2)
        defer { close(leaky) }
        let o = await runner.run(.exec(["/bin/ls", "/proc/self/fd"]), timeout: .seconds(5))
        #expect(o.termination == .exited(0))
        // 0, 1, 2, and the descriptor ls itself opened to read the directory.
        #expect(o.outputText.split(separator: "\n") == ["0", "1", "2", "3"])
        let stdin = await runner.run(.exec(["/bin/readlink", "/proc/self/fd/0"]), timeout: .seconds(5))
        #expect(stdin.outputText == "/dev/null\n")
        assertNoChildren()
    }

    @Test func signalMaskAndDispositionsAreReset() async throws {
        // Block and ignore a few signals here; the child must see none of it.
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGUSR1)
        var old = sigset_t()
        pthread_sigmask(SIG_BLOCK, &set, &old)
        let oldUSR2 = signal(SIGUSR2, SIG_IGN)
        defer {
            pthread_sigmask(SIG_SETMASK, &old, nil)
            signal(SIGUSR2, oldUSR2)
        }
        let o = await runner.run(.exec(["/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"]), timeout: .seconds(5))
        #expect(o.outputText == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n")
        let pg = await runner.run(.shell("ps -o pid=,pgid= -p $$"), timeout: .seconds(5))
        let fields = pg.outputText.split(whereSeparator: { $0 == " " || $0 == "\n" })
        #expect(fields.count == 2 && fields[0] == fields[1], "own process group: \(pg.outputText)")
        assertNoChildren()
    }

    @Test func withoutCaptureTheOutputGoesToDevNull() async throws {
        let dir = try TempDir()
        // The shell's own stdout and stderr, not a command substitution's pipe.
        let script = try dir.script("where.sh", """
        echo chatter; echo more >&2
        [ "$(readlink /proc/$$/fd/1)" = /dev/null ] && [ "$(readlink /proc/$$/fd/2)" = /dev/null ] || exit 3
        [ "$(readlink /proc/$$/fd/0)" = /dev/null ] || exit 4
        """)
        let prepared = runner.prepare(.exec([script]))
        let o = await runner.run(prepared, timeout: .seconds(5), captureOutput: false)
        #expect(o.termination == .exited(0))
        #expect(o.outputBytes == 0 && o.output.isEmpty)
        // The same command captured: the output is there.
        let captured = await runner.run(prepared, timeout: .seconds(5))
        #expect(captured.outputText == "chatter\nmore\n" && captured.termination == .exited(3))
        // MISC_CHECK runs its command that way: only the exit status counts.
        let checker = MiscChecker(command: .exec([script]), timeout: .seconds(5), dynamic: false, runner: runner)
        #expect(await checker.check().success)
        assertNoChildren()
    }

    @Test func aScriptStillOpenForWritingRunsOnceTheWriterClosesIt() async throws {
        // The writer's descriptor (here our own, in a test also another child's copy of it until
        // that child's exec) makes execve fail with ETXTBSY; the spawn tries again meanwhile.
        let dir = try TempDir()
        let path = dir.path + "/busy.sh"
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0o755)
        #expect(fd >= 0)
        let body = "#!/bin/sh\nexit 7\n"
        #expect(write(fd, body, body.utf8.count) == body.utf8.count)
        let run = Task { await runner.run(.exec([path]), timeout: .seconds(5)) }
        await Task.yield()
        close(fd)
        let o = await run.value
        #expect(o.termination == .exited(7))
        assertNoChildren()
    }

    @Test func failuresOfPreparedCommandsAreReportedPerRun() async {
        let prepared = runner.prepare(.exec(["/bin/true"], user: "no-such-user-hopefully"))
        #expect(prepared.failure == ProcessRunner.SpawnError(errno: .noSuchProcess, message: "unknown user no-such-user-hopefully"))
        let o = await runner.run(prepared, timeout: .seconds(1), captureOutput: false)
        #expect(o.termination == .spawnFailed(errno: .noSuchProcess, message: "unknown user no-such-user-hopefully"))
        let missing = await runner.run(runner.prepare(.exec(["/nonexistent/check"])), timeout: .seconds(1), captureOutput: false)
        #expect(missing.termination == .spawnFailed(errno: .noSuchFileOrDirectory, message: "/nonexistent/check: \(String(cString: strerror(ENOENT)))"))
        assertNoChildren()
    }

    @Test func startedWithoutATaskAndCancelled() async throws {
        let one = ProcessRunner(reactor: testReactor, maxConcurrent: 1)
        let sleeper = one.prepare(.shell("sleep 100"))
        let (ends, sink) = AsyncStream.makeStream(of: (String, CheckOutcome).self)
        let cancelRunning = one.start(sleeper, timeout: .seconds(60)) { sink.yield(("running", $0)) }
        // No slot left: this one waits, and is cancelled before it gets one.
        let cancelQueued = one.start(sleeper, timeout: .seconds(60)) { sink.yield(("queued", $0)) }
        #expect(one.running == 1 && one.queued == 1)
        cancelQueued()
        cancelRunning()
        var it = ends.makeAsyncIterator()
        let first = await it.next(), second = await it.next()
        #expect(first?.0 == "running" && first?.1.termination == .timedOut(killedWith: SIGKILL))
        #expect(second?.0 == "queued" && second?.1.termination == .spawnFailed(errno: .canceled, message: "cancelled"))
        // And one that runs to its end: the one slot was given back.
        let done = await withCheckedContinuation { c in
            _ = one.start(one.prepare(.exec(["/bin/sh", "-c", "exit 5"])), timeout: .seconds(5), captureOutput: false) { c.resume(returning: $0) }
        }
        #expect(done.termination == .exited(5))
    }

    /// Queued commands that cannot start hand the slot on one after another without nesting:
    /// each failed start reports its end and starts the next queued command, and that chain
    /// used to recurse on the releasing thread's stack, a frame set per command (a daemon with
    /// tens of thousands of checks queued behind a full set of slots when spawning fails, an
    /// unknown `user` say, overflowed it). All 50,000 ends come, in order, on one slot.
    @Test func aLongQueueOfFailingStartsDoesNotNest() async throws {
        let one = ProcessRunner(reactor: testReactor, maxConcurrent: 1)
        let failing = one.prepare(.exec(["/bin/true"], user: "no-such-user-hopefully"))
        let count = 50_000
        let ends = Mutex<[Int]>([])
        let (done, sink) = AsyncStream.makeStream(of: Void.self)
        let cancelHolder = one.start(one.prepare(.shell("sleep 100")), timeout: .seconds(60)) { _ in }
        for i in 0..<count {
            _ = one.start(failing, timeout: .seconds(5), captureOutput: false) { outcome in
                let expected = outcome.termination == .spawnFailed(errno: .noSuchProcess, message: "unknown user no-such-user-hopefully")
                let n = ends.withLock { $0.append(expected ? i : -1); return $0.count }
                if n == count { sink.finish() }
            }
        }
        #expect(one.queued == count)
        cancelHolder()   // its end hands the slot to the first queued command, and so on
        for await _ in done {}
        let got = ends.withLock { $0 }
        #expect(got == Array(0..<count))
        #expect(one.running == 0 && one.queued == 0)
    }

    @Test func spawnFailureIsReported() async {
        let o = await runner.run(.exec(["/nonexistent/check"]), timeout: .seconds(1))
        guard case let .spawnFailed(e, message) = o.termination else {
            Issue.record("expected spawn failure, got \(o.termination)")
            return
        }
        #expect(e == .noSuchFileOrDirectory)
        #expect(message.contains("/nonexistent/check"))
        let r = MiscChecker.interpret(o, dynamic: true)
        #expect(!r.success)
        let unknown = await runner.run(.exec(["/bin/true"], user: "no-such-user-hopefully"), timeout: .seconds(1))
        #expect(unknown.termination == .spawnFailed(errno: .noSuchProcess, message: "unknown user no-such-user-hopefully"))
        assertNoChildren()
    }

    @Test func aBareProgramNameIsLookedUpInPATH() async {
        let o = await runner.run(.exec(["echo", "found"]), timeout: .seconds(5))
        #expect(o.termination == .exited(0))
        #expect(o.outputText == "found\n")
        let missing = await runner.run(.exec(["no-such-program-hopefully"]), timeout: .seconds(5))
        #expect(missing.termination == .spawnFailed(errno: .noSuchFileOrDirectory, message: "no-such-program-hopefully: \(String(cString: strerror(ENOENT)))"))
        assertNoChildren()
    }

    @Test func cancellingACheckKillsItsProcessGroup() async throws {
        let start = ContinuousClock.now
        let task = Task { await runner.run(.shell("sleep 100 & sleep 100; exit 0"), timeout: .seconds(60)) }
        try await Task.sleep(for: .milliseconds(200))
        task.cancel()
        let o = await task.value
        #expect(o.termination == .timedOut(killedWith: SIGKILL))
        #expect(start.duration(to: .now) < .seconds(15))
        // The SIGKILL reaches the background sleep asynchronously.
        #expect(groupDies(try #require(o.pid)))
        assertNoChildren()
    }

    @Test(.enabled(if: getuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0, "needs root and /usr/bin/setpriv"))
    func runsAsTheConfiguredUser() async throws {
        let o = await runner.run(.exec(["/usr/bin/id", "-u"], user: "nobody"), timeout: .seconds(5))
        #expect(o.termination == .exited(0))
        #expect(o.outputText == "65534\n")
        let g = await runner.run(.shell("id -u; id -g", user: "nobody", group: "daemon"), timeout: .seconds(5))
        #expect(g.outputText == "65534\n1\n")
        assertNoChildren()
    }

    @Test func concurrencyIsCappedAndTheRestQueued() async throws {
        let capped = ProcessRunner(reactor: testReactor, maxConcurrent: 3)
        let dir = try TempDir()
        let marks = dir.path + "/running"
        mkdir(marks, 0o755)
        let script = try dir.script("count.sh", "touch \(marks)/$$\nls \(marks) | wc -l >> \(dir.path)/counts\nsleep 0.1\nrm \(marks)/$$")
        let results = await withTaskGroup(of: CheckOutcome.self) { group in
            for _ in 0..<12 { group.addTask { await capped.run(.exec([script]), timeout: .seconds(10)) } }
            var all: [CheckOutcome] = []
            for await o in group { all.append(o) }
            return all
        }
        #expect(results.count == 12 && results.allSatisfy { $0.termination == .exited(0) })
        let counts = try LocalFileSystem().read(dir.path + "/counts").split(separator: "\n").compactMap { Int($0.trimmingCharacters()) }
        #expect(counts.count == 12)
        #expect(counts.max()! <= 3)
        #expect(capped.running == 0 && capped.queued == 0)
        assertNoChildren()
    }

    @Test func manyQuickChecks() async {
        let busy = ProcessRunner(reactor: testReactor, maxConcurrent: 64)
        let start = ContinuousClock.now
        let ok = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<300 { group.addTask { await busy.run(.exec(["/bin/true"]), timeout: .seconds(10)).termination == .exited(0) } }
            var n = 0
            for await r in group where r { n += 1 }
            return n
        }
        #expect(ok == 300)
        #expect(start.duration(to: .now) < .seconds(20))
        assertNoChildren()
    }
}

@Suite("reactor: timers and executor")
struct ReactorTests {
    @Test func sleepsUntilTheDeadlineOnTheReactorThread() async throws {
        let reactor = testReactor
        let start = ContinuousClock.now
        let here = await Task(executorPreference: reactor) { () -> pthread_t in
            try? await reactor.sleep(until: start + .milliseconds(100))
            let before = pthread_self()
            try? await reactor.sleep(until: .now + .milliseconds(10))
            // Resumed by the reactor on its own thread: the same thread each time.
            #expect(pthread_equal(before, pthread_self()) != 0)
            return pthread_self()
        }.value
        #expect(start.duration(to: .now) >= .milliseconds(100))
        #expect(pthread_equal(here, pthread_self()) == 0)
    }

    @Test func cancelledSleepThrows() async {
        let reactor = testReactor
        let task = Task { try await reactor.sleep(until: .now + .seconds(60)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        let late = Task {
            try await Task.sleep(for: .milliseconds(50))
            try await reactor.sleep(until: .now + .seconds(60))
        }
        try? await Task.sleep(for: .milliseconds(100))
        late.cancel()
        await #expect(throws: CancellationError.self) { try await late.value }
    }
}
