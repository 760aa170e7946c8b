import EventLoop
import Glibc
import Testing

/// The VRRP daemon's event loop runs real-time (SCHED_RR) so its timers fire on time under
/// load; what it starts must not inherit that.
@Suite("Reactor: real-time thread")
struct ReactorRealtimeTests {
    /// SCHED_RESET_ON_FORK (linux/sched.h; Glibc's module does not export it).
    static let resetOnFork: Int32 = 0x4000_0000

    /// The scheduling policy of the reactor's thread, read on it.
    static func policy(on reactor: Reactor) async -> Int32 {
        await withCheckedContinuation { done in reactor.schedule(at: ContinuousClock.now) { done.resume(returning: sched_getscheduler(0)) } }
    }

    /// Spawns, from the reactor's thread, a shell that exits with its own policy (field 41 of
    /// /proc/PID/stat), and returns that exit status (-1 if the spawn failed).
    static func childPolicy(on reactor: Reactor) async -> Int32 {
        await withCheckedContinuation { done in
            reactor.schedule(at: ContinuousClock.now) {
                let argv = ["/bin/sh", "-c", "set -- $(cat /proc/$$/stat); eval exit \\${41}"]
                var cargs = argv.map { strdup($0) } + [nil]
                defer { for a in cargs { free(a) } }
                var pid: pid_t = 0
                guard posix_spawn(&pid, argv[0], nil, nil, &cargs, environ) == 0 else { return done.resume(returning: -1) }
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                done.resume(returning: (status >> 8) & 0xff)
            }
        }
    }

    @Test("makeRealtime: the reactor's thread is SCHED_RR, a process it spawns is SCHED_OTHER",
          .enabled(if: geteuid() == 0, "needs CAP_SYS_NICE (run as root)"))
    func realtimeThreadOrdinaryChildren() async {
        let reactor = Reactor()
        #expect(await Self.policy(on: reactor) == SCHED_OTHER)
        #expect(await reactor.makeRealtime(priority: 1) == nil)
        #expect(await Self.policy(on: reactor) == SCHED_RR | Self.resetOnFork)
        #expect(await Self.childPolicy(on: reactor) == SCHED_OTHER)
    }
}
