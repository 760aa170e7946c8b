/// Where a check's waits end: on the reactor thread, whoever awaits the check.
extension Reactor {
    /// Runs `body` with this reactor as the task's executor preference, so that every wait,
    /// sleep and timeout inside it is resumed on the reactor thread, where it fired, and not on
    /// the caller's executor. A check awaited from Swift's cooperative pool used to continue
    /// there after each wait: with the pool's threads blocked (a synchronous netlink read, a test
    /// waiting for a peer), a 0.5 s timeout was read 48 s late, and the next stage of the check,
    /// its deadline and its latency with it. Now the whole check runs on the reactor; only its
    /// result goes back to the caller. The daemon's checker tasks prefer the reactor already
    /// (this costs them nothing more); the code before the first wait may still run on the
    /// caller's thread.
    public func resumingHere<T>(_ body: () async -> T) async -> T {
        await withTaskExecutorPreference(self, operation: body)
    }
}
