#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Writing a file so that a reader (or a crash) sees the old content or the new, never a
/// mix: write a temporary file beside it, fsync it, rename it over, fsync the directory.
public enum AtomicFile {
    public struct WriteError: Error, Sendable, CustomStringConvertible {
        public var path: String
        public var step: String
        public var errno: Int32
        public var description: String { "\(path): \(step): \(String(cString: strerror(errno)))" }
    }

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let dir = directory(of: path)
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw WriteError(path: tmp, step: "open", errno: errno) }
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                close(fd)
                unlink(tmp)
                throw WriteError(path: tmp, step: "write", errno: e)
            }
            done += n
        }
        bytes = []
        if fsync(fd) != 0 {
            let e = errno
            close(fd)
            unlink(tmp)
            throw WriteError(path: tmp, step: "fsync", errno: e)
        }
        close(fd)
        if rename(tmp, path) != 0 {
            let e = errno
            unlink(tmp)
            throw WriteError(path: path, step: "rename", errno: e)
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw WriteError(path: dir, step: "open directory", errno: errno) }
        defer { close(dfd) }
        if fsync(dfd) != 0 { throw WriteError(path: dir, step: "fsync directory", errno: errno) }
    }

    /// Creates `path` and its parents (like mkdir -p).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(WriteError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw WriteError(path: prefix, step: "mkdir", errno: errno)
            }
        }
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }
}
