internal import CNetlinkRoute
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Runs code inside another network namespace without moving the calling thread.
///
/// The same approach as the IPVS binding's `--netns` (NetlinkSocket.createInNamespace): a
/// short-lived pthread opens `/run/netns/NAME`, calls `setns(CLONE_NEWNET)`, runs the body and
/// ends; the caller waits for it (pthread_join). Sockets made there stay in that namespace
/// for their whole life, wherever they are used afterwards, so a test (or a daemon with
/// `net_namespace`) can own sockets of several namespaces from one thread.
public enum NetworkNamespace {
    /// Runs `body` on a thread inside the namespace `name` (a name under /run/netns, or a
    /// path) and returns what it returns (move-only values such as sockets included).
    /// `body` runs to completion before this returns; it must not wait on the caller.
    ///
    ///     let route = try NetworkNamespace.run(in: "hn-a") { () throws(HostNetworkError) in
    ///         try RouteNetlink()
    ///     }
    ///
    /// (Swift does not infer a closure's typed throws yet, hence the annotation.)
    public static func run<Result: ~Copyable>(
        in name: String, _ body: () throws(HostNetworkError) -> Result
    ) throws(HostNetworkError) -> Result {
        let path = name.contains("/") ? name : "/run/netns/\(name)"
        let nsfd = open(path, O_RDONLY | O_CLOEXEC)
        if nsfd < 0 {
            throw HostNetworkError(code: .namespace, errno: swiftvs_rt_errno(), operation: .enterNamespace, object: name, step: "open \(path)")
        }
        let descriptor = OwnedDescriptor(nsfd)
        return try withoutActuallyEscaping(body) { escapable throws(HostNetworkError) -> Result in
            let job = Job(nsfd: descriptor.rawValue, name: name, body: escapable)
            try job.runOnThread()
            return try job.take()
        }
    }

    /// The work handed to the namespace thread and read back after pthread_join.
    /// `@unchecked Sendable`: one thread touches it at a time; pthread_create and pthread_join
    /// order the hand-offs.
    fileprivate final class Job<Result: ~Copyable>: @unchecked Sendable {
        let nsfd: Int32
        let name: String
        let body: () throws(HostNetworkError) -> Result
        var result: Result?
        var failure: HostNetworkError?

        init(nsfd: Int32, name: String, body: @escaping () throws(HostNetworkError) -> Result) {
            self.nsfd = nsfd
            self.name = name
            self.body = body
        }

        func runOnThread() throws(HostNetworkError) {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(ThreadEntry { self.runInNamespace() }).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                Unmanaged<ThreadEntry>.fromOpaque(raw!).takeRetainedValue().work()
                return nil
            }, context)
            if rc != 0 {
                Unmanaged<ThreadEntry>.fromOpaque(context).release()
                throw HostNetworkError(code: .system, errno: rc, operation: .enterNamespace, object: name, step: "pthread_create")
            }
            pthread_join(thread, nil)
        }

        func take() throws(HostNetworkError) -> Result {
            if let failure { throw failure }
            guard let value = result.take() else {
                throw HostNetworkError(code: .system, operation: .enterNamespace, object: name, step: "the namespace thread returned nothing")
            }
            return value
        }
    }
}

/// What the namespace thread calls (type-erased: a C thread entry cannot be generic).
/// `@unchecked Sendable`: handed over once, by pthread_create.
private final class ThreadEntry: @unchecked Sendable {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}

extension NetworkNamespace.Job where Result: ~Copyable {
    func runInNamespace() {
        // Namespace membership is per thread; this thread ends right after the body, so
        // nothing else ever runs in the entered namespace by accident.
        if swiftvs_rt_setns_net(nsfd) != 0 {
            let e = swiftvs_rt_errno()
            failure = HostNetworkError(code: e == EPERM ? .permissionDenied : .namespace, errno: e,
                                       operation: .enterNamespace, object: name, step: "setns")
            return
        }
        do { result = try body() } catch { failure = error }
    }
}
