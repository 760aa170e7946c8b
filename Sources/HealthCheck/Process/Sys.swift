#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Linux calls that Swift's Glibc module does not export (they sit behind _GNU_SOURCE or in
/// headers outside its module map). Looked up once with dlsym, so no C target is needed.
enum Sys {
    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let p = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(p, to: type)
    }

    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias EpollCreate1 = @convention(c) (Int32) -> Int32
    typealias EpollCtl = @convention(c) (Int32, Int32, Int32, UnsafeMutableRawPointer?) -> Int32
    typealias EpollWait = @convention(c) (Int32, UnsafeMutableRawPointer, Int32, Int32) -> Int32
    typealias EventFD = @convention(c) (UInt32, Int32) -> Int32
    typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
    typealias Syscall2 = @convention(c) (Int, Int, Int) -> Int

    nonisolated(unsafe) static let pipe2 = symbol("pipe2", as: Pipe2.self)!
    nonisolated(unsafe) static let epollCreate1 = symbol("epoll_create1", as: EpollCreate1.self)!
    nonisolated(unsafe) static let epollCtl = symbol("epoll_ctl", as: EpollCtl.self)!
    nonisolated(unsafe) static let epollWait = symbol("epoll_wait", as: EpollWait.self)!
    nonisolated(unsafe) static let eventfd = symbol("eventfd", as: EventFD.self)!
    nonisolated(unsafe) static let accept4 = symbol("accept4", as: Accept4.self)!
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    private static let setNameFn = symbol("pthread_setname_np", as: SetName.self)

    /// Names the calling thread (15 bytes at most), as ps, top and perf show it; the children it
    /// clones carry the name until they exec.
    static func nameThisThread(_ name: String) {
        _ = setNameFn?(pthread_self(), name)
    }

    private static let pidfdOpenFn = symbol("pidfd_open", as: PidfdOpen.self)
    private static let syscallFn = symbol("syscall", as: Syscall2.self)

    /// pidfd_open(2) for a process that is not our child (the runner gets its children's
    /// pidfds from the clone): glibc ≥ 2.36 wrapper, else the raw syscall (434 everywhere).
    static func pidfdOpen(_ pid: pid_t) -> Int32 {
        if let f = pidfdOpenFn { return f(pid, 0) }
        if let s = syscallFn { return Int32(truncatingIfNeeded: s(434, Int(pid), 0)) }
        errno = ENOSYS
        return -1
    }

    static let cloexec: Int32 = O_CLOEXEC
    static let nonblock: Int32 = O_NONBLOCK

    static let EPOLLIN: UInt32 = 0x001
    static let EPOLLPRI: UInt32 = 0x002
    static let EPOLLOUT: UInt32 = 0x004
    static let EPOLLERR: UInt32 = 0x008
    static let EPOLLHUP: UInt32 = 0x010
    static let EPOLLRDHUP: UInt32 = 0x2000
    static let EPOLLONESHOT: UInt32 = 1 << 30
    static let EPOLL_CTL_ADD: Int32 = 1
    static let EPOLL_CTL_DEL: Int32 = 2
    static let EPOLL_CTL_MOD: Int32 = 3

    /// struct epoll_event is packed (12 bytes) on x86-64 and naturally aligned (16) elsewhere.
    #if arch(x86_64)
    static let epollEventSize = 12
    #else
    static let epollEventSize = 16
    #endif
    static let epollDataOffset = epollEventSize == 12 ? 4 : 8

    static func writeEvent(_ p: UnsafeMutableRawPointer, events: UInt32, data: UInt64) {
        p.storeBytes(of: events, toByteOffset: 0, as: UInt32.self)
        p.storeBytes(of: data, toByteOffset: epollDataOffset, as: UInt64.self)
    }

    static func readEvent(_ p: UnsafeRawPointer) -> (events: UInt32, data: UInt64) {
        (p.loadUnaligned(fromByteOffset: 0, as: UInt32.self),
         p.loadUnaligned(fromByteOffset: epollDataOffset, as: UInt64.self))
    }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    static func errnoString(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
