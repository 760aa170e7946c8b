#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension Errno {
    /// The errno the last failed system call on this thread set (C's `errno`): read it at once
    /// after the call, before anything else can set it.
    @inlinable
    public static var current: Errno {
        #if canImport(Glibc)
        Errno(rawValue: Glibc.errno)
        #else
        Errno(rawValue: Musl.errno)
        #endif
    }
}
