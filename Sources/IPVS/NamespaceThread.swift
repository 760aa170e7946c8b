internal import CNetlink
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The binding's one way into another network namespace: `body` runs on a short-lived thread
/// that has entered it (`/run/netns/NAME`, or a path), so the calling thread never changes
/// namespace and nothing else runs there by accident. What `body` opens (a netlink socket,
/// /proc/thread-self/net/ip_vs_conn) stays bound to that namespace after the thread ends.
enum NamespaceThread {
    static func run<T>(in name: String, operation: IPVSError.Operation,
                       _ body: @escaping () -> Result<T, IPVSError>) throws(IPVSError) -> T {
        let path = name.contains("/") ? name : "/run/netns/\(name)"
        let nsfd = open(path, O_RDONLY | O_CLOEXEC)
        if nsfd < 0 {
            let e = swiftvs_errno()
            throw IPVSError(code: .setupFailed, errno: e, operation: operation, object: .namespace(name),
                            reason: "cannot open \(path): \(String(cString: strerror(e)))")
        }
        defer { close(nsfd) }
        var result: Result<T, IPVSError>?
        let work = Work(nsfd: nsfd) { result = body() }
        var thread = pthread_t()
        let context = Unmanaged.passRetained(work).toOpaque()
        let rc = pthread_create(&thread, nil, { raw in
            Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<Work>.fromOpaque(context).release()
            throw IPVSError(code: .setupFailed, errno: rc, operation: operation, object: .namespace(name),
                            reason: "cannot start a thread to enter the namespace: \(String(cString: strerror(rc)))")
        }
        pthread_join(thread, nil)
        if work.setnsErrno != 0 {
            let e = work.setnsErrno
            let reason = e == EPERM
                ? "cannot enter the namespace: Operation not permitted (needs CAP_SYS_ADMIN)"
                : "cannot enter the namespace: \(String(cString: strerror(e)))"
            throw IPVSError(code: e == EPERM ? .permissionDenied : .setupFailed, errno: e,
                            operation: operation, object: .namespace(name), reason: reason)
        }
        guard let result else {
            throw IPVSError(code: .setupFailed, operation: operation, object: .namespace(name),
                            reason: "namespace thread produced nothing")
        }
        return try result.get()
    }

    /// Handed to the thread and read back after `pthread_join`. `@unchecked Sendable`: one
    /// thread touches it at a time, the hand-offs ordered by pthread_create and pthread_join.
    private final class Work: @unchecked Sendable {
        let nsfd: Int32
        let body: () -> Void
        /// setns(2)'s errno, 0 when the thread entered the namespace (and ran `body`).
        var setnsErrno: Int32 = 0

        init(nsfd: Int32, body: @escaping () -> Void) {
            self.nsfd = nsfd
            self.body = body
        }

        func run() {
            if swiftvs_setns_net(nsfd) != 0 { setnsErrno = swiftvs_errno(); return }
            body()
        }
    }
}
