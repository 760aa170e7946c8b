#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import SystemErrors

/// Runs code inside another network namespace without moving the calling thread: a short-lived
/// pthread opens nothing of its own, enters the namespace (`setns(CLONE_NEWNET)`), runs the body
/// and ends, and the caller waits for it (pthread_join). What the body opens (a netlink socket,
/// a VRRP socket, /proc/thread-self/net/ip_vs_conn) stays bound to that namespace for its whole
/// life, wherever it is used afterwards, and nothing else ever runs in the namespace by accident.
///
/// The one implementation under the IPVS binding's `--netns` and HostNetwork's
/// `NetworkNamespace.run`; each maps `Failure` to its own error with its own words.
public enum NamespaceThread {
    /// Why the body did not run.
    public struct Failure: Error, Sendable {
        /// The step that failed.
        public enum Step: Sendable {
            /// open(2) of the namespace's path.
            case open
            /// pthread_create(3) of the thread that enters it.
            case startThread
            /// setns(2) on that thread.
            case enter
        }

        public var step: Step
        /// The step's errno.
        public var errno: Errno
        /// The namespace's path, as opened.
        public var path: String
    }

    /// Where the namespace `name` is: `name` itself when it is a path, else `/run/netns/NAME`
    /// (where `ip netns add` puts it).
    public static func path(of name: String) -> String {
        name.contains("/") ? name : "/run/netns/\(name)"
    }

    /// Runs `body` on a thread inside the namespace `name` (see `path(of:)`) and returns what it
    /// returns, move-only values such as sockets included. `body` runs to completion before this
    /// returns; it must not wait on the caller.
    public static func run<Result: ~Copyable>(in name: String, _ body: () -> Result) throws(Failure) -> Result {
        let path = path(of: name)
        let nsfd = open(path, O_RDONLY | O_CLOEXEC)
        if nsfd < 0 { throw Failure(step: .open, errno: .current, path: path) }
        defer { close(nsfd) }
        return try withoutActuallyEscaping(body) { escapable throws(Failure) -> Result in
            let job = Job(nsfd: nsfd, body: escapable)
            var thread = pthread_t()
            let context = Unmanaged.passRetained(ThreadEntry { job.runInNamespace() }).toOpaque()
            let rc = pthread_create(&thread, nil, { raw in
                Unmanaged<ThreadEntry>.fromOpaque(raw!).takeRetainedValue().work()
                return nil
            }, context)
            if rc != 0 {
                Unmanaged<ThreadEntry>.fromOpaque(context).release()
                throw Failure(step: .startThread, errno: Errno(rawValue: rc), path: path)
            }
            pthread_join(thread, nil)
            guard let value = job.result.take() else { throw Failure(step: .enter, errno: Errno(rawValue: job.setnsErrno), path: path) }
            return value
        }
    }

    /// The work handed to the namespace thread and read back after pthread_join.
    /// `@unchecked Sendable`: one thread touches it at a time; pthread_create and pthread_join
    /// order the hand-offs.
    private final class Job<Result: ~Copyable>: @unchecked Sendable {
        let nsfd: Int32
        let body: () -> Result
        var result: Result?
        /// setns(2)'s errno when the thread could not enter the namespace (then `body` did not run).
        var setnsErrno: Int32 = 0

        init(nsfd: Int32, body: @escaping () -> Result) {
            self.nsfd = nsfd
            self.body = body
        }

        func runInNamespace() {
            if swiftvs_enter_netns(nsfd) != 0 {
                setnsErrno = errno
                return
            }
            result = body()
        }
    }
}

/// What the namespace thread calls (type-erased: a C thread entry cannot be generic).
/// `@unchecked Sendable`: handed over once, by pthread_create.
private final class ThreadEntry: @unchecked Sendable {
    let work: () -> Void
    init(_ work: @escaping () -> Void) { self.work = work }
}
