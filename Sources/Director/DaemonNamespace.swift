#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CLinux
import SystemErrors

/// `--netns NAME` for the daemon and the commands around it: the process moves into
/// `/run/netns/NAME` (as `ip netns exec` would put it there) before it opens anything that
/// belongs to a network namespace, so that the IPVS handle, the mark rules, the check sockets
/// and processes and the VRRP sockets are all in it. What the admin places elsewhere stays
/// there: the control socket is a path in the file system (no namespace), and the metrics
/// listener is opened before the move, in the namespace the daemon was started in.
///
/// The move is of the calling thread, and threads inherit it: it must happen before the process
/// has any other thread (first thing in `main`, before the first `await`).
public enum DaemonNamespace {
    /// Why the namespace could not be entered.
    /// `network namespace 'NAME': STEP /run/netns/NAME: REASON`.
    public struct EnterError: DescribedFailure, Sendable {
        public var name: String
        public var step: String
        public var errno: Errno
        public var failureSubject: String { "network namespace '\(name)'" }
        public var failureStep: String? { "\(step) /run/netns/\(name)" }
        public var failureReason: String { errno.description }
    }

    /// Moves the calling thread (and the threads it starts from now on) into `/run/netns/NAME`.
    public static func enter(_ name: String) throws(EnterError) {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw EnterError(name: name, step: "open", errno: .invalidArgument)
        }
        let fd = open("/run/netns/" + name, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw EnterError(name: name, step: "open", errno: .current) }
        defer { close(fd) }
        if swiftvs_enter_netns(fd) != 0 { throw EnterError(name: name, step: "setns", errno: .current) }
    }
}
