internal import CNetlink
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The kernel's connection table as text: /proc/net/ip_vs_conn of a network namespace, the
/// file `ipvsadm -L -c` reads. Read it with IPVSRules' `ConnectionListing`/`ConnectionReader`.
public struct ConnectionTableFile: ~Copyable {
    /// The path ipvsadm opens (in the caller's own namespace).
    public static let path = "/proc/net/ip_vs_conn"

    /// The open descriptor (read-only, close-on-exec); closed when this value ends.
    public let fd: Int32

    /// Opens the table of the calling process's namespace, or of the named one (a name
    /// under /run/netns, or a path). For a namespace the file is opened on a short-lived
    /// thread that enters it, through /proc/thread-self (the /proc/net link follows the
    /// process's main thread, not the caller's); the open file keeps showing that
    /// namespace's entries whoever reads it.
    public init(namespace: String? = nil) throws(IPVSError) {
        guard let namespace else {
            let fd = open(Self.path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw Self.openError(swiftvs_errno(), path: Self.path, namespace: nil) }
            self.fd = fd
            return
        }
        fd = try Self.openInNamespace(namespace)
    }

    deinit { close(fd) }

    private static func openError(_ e: Int32, path: String, namespace: String?) -> IPVSError {
        let code: IPVSError.Code = e == ENOENT ? .ipvsUnavailable : e == EACCES || e == EPERM ? .permissionDenied : .system
        return IPVSError(code: code, errno: e, operation: .listConnections, object: namespace.map { .namespace($0) },
                         reason: "cannot open file \(path): \(String(cString: strerror(e)))")
    }

    private static func openInNamespace(_ name: String) throws(IPVSError) -> Int32 {
        let nsPath = name.contains("/") ? name : "/run/netns/\(name)"
        let nsfd = open(nsPath, O_RDONLY | O_CLOEXEC)
        if nsfd < 0 {
            let e = swiftvs_errno()
            throw IPVSError(code: .setupFailed, errno: e, operation: .listConnections, object: .namespace(name),
                            reason: "cannot open \(nsPath): \(String(cString: strerror(e)))")
        }
        defer { close(nsfd) }
        let job = Job(nsfd: nsfd, name: name)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<Job>.fromOpaque(context).release()
            throw IPVSError(code: .setupFailed, errno: rc, operation: .listConnections, object: .namespace(name),
                            reason: "cannot start a thread to enter the namespace: \(String(cString: strerror(rc)))")
        }
        pthread_join(thread, nil)
        switch job.outcome {
        case let .opened(fd): return fd
        case let .failed(error): throw error
        case .none:
            throw IPVSError(code: .setupFailed, operation: .listConnections, object: .namespace(name),
                            reason: "namespace thread produced nothing")
        }
    }

    /// Work for the namespace thread, read back after pthread_join (which orders the
    /// hand-offs; one thread touches it at a time).
    private final class Job: @unchecked Sendable {
        enum Outcome { case opened(Int32), failed(IPVSError) }
        let nsfd: Int32
        let name: String
        var outcome: Outcome?

        init(nsfd: Int32, name: String) {
            self.nsfd = nsfd
            self.name = name
        }

        func run() {
            if swiftvs_setns_net(nsfd) != 0 {
                let e = swiftvs_errno()
                let reason = e == EPERM
                    ? "cannot enter the namespace: Operation not permitted (needs CAP_SYS_ADMIN)"
                    : "cannot enter the namespace: \(String(cString: strerror(e)))"
                outcome = .failed(IPVSError(code: e == EPERM ? .permissionDenied : .setupFailed, errno: e,
                                            operation: .listConnections, object: .namespace(name), reason: reason))
                return
            }
            let path = "/proc/thread-self/net/ip_vs_conn"
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            outcome = fd < 0 ? .failed(ConnectionTableFile.openError(swiftvs_errno(), path: path, namespace: name)) : .opened(fd)
        }
    }
}
