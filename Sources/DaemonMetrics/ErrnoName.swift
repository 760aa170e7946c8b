#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// The symbolic name of an errno for a label (`EINVAL`), so that a dashboard does not depend on
/// the numbers of one architecture; an errno without a name here is `errno_N`, none at all
/// `none` (a change refused with no errno from the kernel).
public enum ErrnoName {
    static let names: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO",
        E2BIG: "E2BIG", EBADF: "EBADF", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EFAULT: "EFAULT",
        EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV", EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE",
        ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENOSYS: "ENOSYS", ENOTSUP: "EOPNOTSUPP", EPROTONOSUPPORT: "EPROTONOSUPPORT",
        EAFNOSUPPORT: "EAFNOSUPPORT", EADDRNOTAVAIL: "EADDRNOTAVAIL", ENOBUFS: "ENOBUFS", ETIMEDOUT: "ETIMEDOUT",
        ECONNREFUSED: "ECONNREFUSED", EHOSTUNREACH: "EHOSTUNREACH", ENETUNREACH: "ENETUNREACH",
    ]

    /// `EINVAL`, `errno_N`, or `none` for nil.
    public static func of(_ errno: Errno?) -> String {
        guard let code = errno?.rawValue else { return "none" }
        return names[code] ?? "errno_\(code)"
    }
}
