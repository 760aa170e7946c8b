internal import CNetlink
internal import NetworkNamespaces
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SystemErrors

/// The kernel's connection table as text: /proc/net/ip_vs_conn of a network namespace, the
/// file `ipvsadm -L -c` reads. Read it with IPVSRules' `ConnectionListing`/`ConnectionReader`.
public struct ConnectionTableFile: ~Copyable {
    /// The path ipvsadm opens (in the caller's own namespace). Static text, computed: using
    /// it makes no String (one made and ended on `list -c`'s route runs the standard library's
    /// String value witnesses) and reads no global (a stored `let` lies in `.data.rel.ro`, a
    /// 64 KB window `list -c` needs nowhere else: docs/benchmarks.md, the connection table).
    public static var path: StaticString { "/proc/net/ip_vs_conn" }

    /// The open descriptor (read-only, close-on-exec); closed when this value ends.
    public let fd: Int32

    /// Opens the table of the calling process's namespace, or of the named one (a name
    /// under /run/netns, or a path). For a namespace the file is opened on a short-lived
    /// thread that enters it, through /proc/thread-self (the /proc/net link follows the
    /// process's main thread, not the caller's); the open file keeps showing that
    /// namespace's entries whoever reads it.
    public init(namespace: String? = nil) throws(IPVSError) {
        guard let namespace else {
            // The literal's own NUL-terminated bytes. Passed as a String, the conversion copies
            // it into an Array<Int8> first (code `list -c` needs nowhere else).
            let fd = open(UnsafeRawPointer(Self.path.utf8Start).assumingMemoryBound(to: CChar.self), O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw Self.openError(.current, path: Self.path.description, namespace: nil) }
            self.fd = fd
            return
        }
        fd = try Self.openInNamespace(namespace)
    }

    deinit { close(fd) }

    private static func openError(_ e: Errno, path: String, namespace: String?) -> IPVSError {
        let code: IPVSError.Code = e == .noSuchFileOrDirectory ? .ipvsUnavailable
            : e == .permissionDenied || e == .notPermitted ? .permissionDenied : .system
        return IPVSError(code: code, errno: e, operation: .listConnections, object: namespace.map { .namespace($0) },
                         reason: FailureText.render(subject: "cannot open file \(path)", errno: e))
    }

    /// Opened through /proc/thread-self on a thread in the namespace (see `NamespaceThread`).
    private static func openInNamespace(_ name: String) throws(IPVSError) -> Int32 {
        try NamespaceThread.run(in: name, operation: .listConnections) { () -> Result<Int32, IPVSError> in
            let path = "/proc/thread-self/net/ip_vs_conn"
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            return fd < 0 ? .failure(ConnectionTableFile.openError(.current, path: path, namespace: name)) : .success(fd)
        }
    }
}
