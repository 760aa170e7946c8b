#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writing finished bytes to a file descriptor (standard output, a save file): the one
/// write(2) loop the save, the listings and ipvsadm's front end share.
public enum FileOutput {
    /// write(2)s all of `raw` to `fd`, retrying short writes and EINTR; nil, or the errno that
    /// stopped it.
    public static func writeAll(_ raw: UnsafeRawBufferPointer, to fd: Int32) -> Int32? {
        var offset = 0
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }
}
