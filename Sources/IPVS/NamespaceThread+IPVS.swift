#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
internal import NetworkNamespaces
import SystemErrors

/// The binding's one way into another network namespace: `body` runs on a short-lived thread
/// that has entered it (`/run/netns/NAME`, or a path), so the calling thread never changes
/// namespace and nothing else runs there by accident. What `body` opens (a netlink socket,
/// /proc/thread-self/net/ip_vs_conn) stays bound to that namespace after the thread ends.
extension NamespaceThread {
    static func run<T>(in name: String, operation: IPVSError.Operation,
                       _ body: @escaping () -> Result<T, IPVSError>) throws(IPVSError) -> T {
        let result: Result<T, IPVSError>
        do throws(NamespaceThread.Failure) {
            result = try run(in: name, body)
        } catch {
            throw error.ipvsError(operation: operation, name: name)
        }
        return try result.get()
    }
}

extension NamespaceThread.Failure {
    /// The binding's words for a namespace it could not enter.
    func ipvsError(operation: IPVSError.Operation, name: String) -> IPVSError {
        let reason: String
        var code = IPVSError.Code.setupFailed
        switch step {
        case .open:
            reason = FailureText.render(subject: "cannot open \(path)", errno: errno)
        case .startThread:
            reason = FailureText.render(subject: "cannot start a thread to enter the namespace", errno: errno)
        case .enter where errno == .notPermitted:
            code = .permissionDenied
            reason = "cannot enter the namespace: Operation not permitted (needs CAP_SYS_ADMIN)"
        case .enter:
            reason = FailureText.render(subject: "cannot enter the namespace", errno: errno)
        }
        return IPVSError(code: code, errno: errno, operation: operation, object: .namespace(name), reason: reason)
    }
}
