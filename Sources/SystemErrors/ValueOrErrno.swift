#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs `call`, a system call that returns -1 and sets errno when it fails, again for as long as
/// it fails with EINTR: what it returned, or the `Errno` it failed with otherwise.
///
/// The retry swift-system's `FileDescriptor` does for read and write, for the calls it does not
/// wrap (recv, send, poll, waitpid, flock, …). A call that returns something else than -1 on
/// failure (the pthread calls, posix_spawn) does not go through here.
@inlinable
public func valueOrErrno<I: FixedWidthInteger & SignedInteger>(_ call: () -> I) -> Result<I, Errno> {
    while true {
        let value = call()
        if value != -1 { return .success(value) }
        let code = errno
        if code != EINTR { return .failure(Errno(rawValue: code)) }
    }
}

/// `valueOrErrno` for a call whose value says nothing but success (0): nothing, or the `Errno`.
@inlinable
public func nothingOrErrno<I: FixedWidthInteger & SignedInteger>(_ call: () -> I) -> Result<Void, Errno> {
    valueOrErrno(call).map { _ in () }
}
