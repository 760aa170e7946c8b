#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// An advisory lock (flock on /run/swiftvs-marks.lock) that serialises swiftvs processes
/// changing marks (in any namespace: one file, no litter), so check-then-add stays
/// one-rule-per-key. Best effort: if no lock
/// file can be made, work goes on unlocked (the firewall tools still lock themselves).
enum ExclusiveLock {
    static func holding<T>(_ body: () throws(MarkError) -> T) throws(MarkError) -> T {
        // /run, not the world-writable /run/lock: nobody but root can plant the file there
        // and hold its lock. Without root the firewall cannot be changed anyway.
        let fd = open("/run/swiftvs-marks.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        defer { if fd >= 0 { close(fd) } }  // closing releases the lock
        // Best effort, as above: a lock that cannot be taken (other than by a signal, which
        // retries) leaves the work unlocked.
        if fd >= 0 { _ = nothingOrErrno { flock(fd, LOCK_EX) } }
        return try body()
    }
}
