#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
internal import NetworkNamespaces

/// Runs code inside another network namespace without moving the calling thread.
///
/// A short-lived pthread enters `/run/netns/NAME`, runs the body and ends; the caller waits for
/// it (`NamespaceThread`, the same thread the IPVS binding's `--netns` uses). Sockets made there
/// stay in that namespace for their whole life, wherever they are used afterwards, so a test (or
/// a daemon with `net_namespace`) can own sockets of several namespaces from one thread.
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
    public static func run<Value: ~Copyable>(
        in name: String, _ body: () throws(HostNetworkError) -> Value
    ) throws(HostNetworkError) -> Value {
        let outcome: Outcome<Value>
        do throws(NamespaceThread.Failure) {
            outcome = try NamespaceThread.run(in: name) { () -> Outcome<Value> in
                do throws(HostNetworkError) { return .value(try body()) } catch { return .failure(error) }
            }
        } catch {
            throw error.hostNetworkError(name: name)
        }
        switch consume outcome {
        case let .value(value): return value
        case let .failure(error): throw error
        }
    }

    /// What the body gave back on the namespace thread.
    private enum Outcome<Value: ~Copyable>: ~Copyable {
        case value(Value)
        case failure(HostNetworkError)
    }
}

extension NamespaceThread.Failure {
    /// HostNetwork's words for a namespace it could not enter.
    func hostNetworkError(name: String) -> HostNetworkError {
        switch step {
        case .open:
            return HostNetworkError(code: .namespace, errno: errno, operation: .enterNamespace, object: name, step: "open \(path)")
        case .startThread:
            return HostNetworkError(code: .system, errno: errno, operation: .enterNamespace, object: name, step: "pthread_create")
        case .enter:
            return HostNetworkError(code: errno == .notPermitted ? .permissionDenied : .namespace, errno: errno,
                                    operation: .enterNamespace, object: name, step: "setns")
        }
    }
}
