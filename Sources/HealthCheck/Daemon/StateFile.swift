#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// Writing a file so that a reader (or a crash) sees the old content or the new, never a
/// mix: write a temporary file beside it, fsync it, rename it over, fsync the directory.
public enum AtomicFile {
    /// `PATH: STEP: REASON` (`/run/swiftvs/state.json.tmp.42: write: No space left on device`).
    public typealias WriteError = SystemCallFailure

    public static func write(_ text: String, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        try write(bytes: text.utf8, to: path, mode: mode)
    }

    /// `write`, of bytes rendered elsewhere (a state file's, where they were written: no
    /// String of them made first).
    public static func write(bytes: some Sequence<UInt8>, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let dir = directory(of: path)
        let tmp = path + ".tmp.\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw WriteError(subject: tmp, step: "open", errno: .current) }
        do { _ = try FileDescriptor(rawValue: fd).writeAll(bytes) } catch {
            close(fd)
            unlink(tmp)
            throw WriteError(subject: tmp, step: "write", errno: error as? Errno ?? .ioError)
        }
        if fsync(fd) != 0 {
            let e = Errno.current
            close(fd)
            unlink(tmp)
            throw WriteError(subject: tmp, step: "fsync", errno: e)
        }
        close(fd)
        if rename(tmp, path) != 0 {
            let e = Errno.current
            unlink(tmp)
            throw WriteError(subject: path, step: "rename", errno: e)
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd < 0 { throw WriteError(subject: dir, step: "open directory", errno: .current) }
        defer { close(dfd) }
        if fsync(dfd) != 0 { throw WriteError(subject: dir, step: "fsync directory", errno: .current) }
    }

    /// Creates `path` and its parents (like mkdir -p).
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws(WriteError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, mode) != 0 && errno != EEXIST {
                throw WriteError(subject: prefix, step: "mkdir", errno: .current)
            }
        }
    }

    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }
}
