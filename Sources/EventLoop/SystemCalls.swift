import CLinux
import SystemErrors
import Glibc

/// The Linux calls the event loop, the process runner and their users need beyond what Swift's
/// Glibc module exports (pipe2, epoll, eventfd, accept4, pidfd_open, thread names), reached
/// through the CLinux shim, with the epoll constants spelled as Swift values.
public enum SystemCalls {
    /// O_CLOEXEC (also EPOLL_CLOEXEC, EFD_CLOEXEC and SOCK_CLOEXEC, which Linux defines equal).
    public static let cloexec: Int32 = O_CLOEXEC
    /// O_NONBLOCK (also EFD_NONBLOCK and SOCK_NONBLOCK).
    public static let nonblock: Int32 = O_NONBLOCK

    /// Readable.
    public static let EPOLLIN: UInt32 = 0x001
    /// Urgent data.
    public static let EPOLLPRI: UInt32 = 0x002
    /// Writable.
    public static let EPOLLOUT: UInt32 = 0x004
    /// An error on the descriptor (always reported).
    public static let EPOLLERR: UInt32 = 0x008
    /// Hang-up (always reported).
    public static let EPOLLHUP: UInt32 = 0x010
    /// The peer shut down its writing half.
    public static let EPOLLRDHUP: UInt32 = 0x2000
    /// Disarm after one event.
    public static let EPOLLONESHOT: UInt32 = 1 << 30
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2
    static let EPOLL_CTL_MOD: Int32 = 3

    /// pipe2(2): (read end, write end), or nil with errno set.
    public static func pipe2(flags: Int32) -> (read: Int32, write: Int32)? {
        var fds: (Int32, Int32) = (-1, -1)
        let rc = withUnsafeMutableBytes(of: &fds) { swiftvs_pipe2($0.baseAddress!.assumingMemoryBound(to: Int32.self), flags) }
        return rc == 0 ? (fds.0, fds.1) : nil
    }

    /// accept4(2) without the peer's address: the new descriptor, or -1 with errno set.
    public static func accept4(_ fd: Int32, flags: Int32) -> Int32 {
        swiftvs_accept4(fd, nil, nil, flags)
    }

    /// eventfd(2): the descriptor, or -1 with errno set.
    static func eventfd(_ initial: UInt32, flags: Int32) -> Int32 {
        swiftvs_eventfd(initial, flags)
    }

    /// epoll_create1(2): the descriptor, or -1 with errno set.
    static func epollCreate1(flags: Int32) -> Int32 {
        swiftvs_epoll_create1(flags)
    }

    /// epoll_ctl(2) for `fd` with `events` and the `data` epoll_wait will hand back.
    @discardableResult
    static func epollCtl(_ epfd: Int32, _ op: Int32, _ fd: Int32, events: UInt32 = 0, data: UInt64 = 0) -> Int32 {
        swiftvs_epoll_ctl(epfd, op, fd, events, data)
    }

    /// The size of one struct epoll_event (12 bytes on x86-64, where it is packed; 16 elsewhere).
    static var epollEventSize: Int { swiftvs_epoll_event_size() }

    /// epoll_wait(2) into `buffer` (room for `capacity` events of `epollEventSize` bytes), for at
    /// most `ns` nanoseconds (-1: until an event).
    static func epollWait(_ epfd: Int32, _ buffer: UnsafeMutableRawPointer, capacity: Int32, timeoutNanoseconds ns: Int64) -> Int32 {
        swiftvs_epoll_wait_ns(epfd, buffer, capacity, ns)
    }

    /// The events and data of the `index`th entry of an epoll_wait buffer.
    static func epollEvent(_ buffer: UnsafeRawPointer, _ index: Int) -> (events: UInt32, data: UInt64) {
        (swiftvs_epoll_event_events(buffer, Int32(index)), swiftvs_epoll_event_data(buffer, Int32(index)))
    }

    /// Names the calling thread (15 bytes at most), as ps, top and perf show it; the children it
    /// clones carry the name until they exec.

    public static func nameThisThread(_ name: String) {
        _ = swiftvs_name_this_thread(name)
    }

    /// Makes the calling thread a real-time one (SCHED_RR at `priority`, 1–99), whose wake-ups
    /// preempt every ordinary thread of the host; the threads and processes it clones start as
    /// ordinary ones (SCHED_RESET_ON_FORK), so scripts never run real-time. Returns the errno
    /// (EPERM without CAP_SYS_NICE), nil on success.
    public static func makeThisThreadRealtime(priority: Int32) -> Errno? {
        let code = swiftvs_realtime_this_thread(priority)
        return code == 0 ? nil : Errno(rawValue: code)
    }

    /// pidfd_open(2) for a process that is not our child (the runner gets its children's
    /// pidfds from the clone): glibc ≥ 2.36's wrapper, else the raw syscall (434 everywhere).
    public static func pidfdOpen(_ pid: pid_t) -> Int32 {
        swiftvs_pidfd_open(pid)
    }

    /// Sets O_NONBLOCK on `fd` (nothing when F_GETFL fails).
    public static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    /// Drops from this process's page tables the code and constant data, of the executable and
    /// of its shared libraries, that start-up touched (and the kernel mapped around it), with
    /// read-ahead off there, so a long-running daemon's resident size is what it runs, not what
    /// it ran once. Returns the bytes of the segments released, or -errno of the madvise that
    /// failed.
    public static func releaseStartupCode() -> Int {
        swiftvs_release_startup_code()
    }
}
