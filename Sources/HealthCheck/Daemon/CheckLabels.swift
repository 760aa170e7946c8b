import DaemonMetrics
import IPVS
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The labels of the LVS half's series: a virtual server as node_exporter names an IPVS
/// service (`local_address`, `local_port`, `local_mark`, `proto`; a `virtual_server_group` has
/// its name in `local_address` and an empty `proto`), a real server with `remote_address` and
/// `remote_port`, a checker with `checker` (TCP_CHECK, HTTP_GET…) and `checker_target` (the
/// address and port it connects to, or the address a MISC_CHECK or PING_CHECK is for).
enum CheckLabels {
    static func virtualServer(_ vs: VirtualServerConfig) -> [(String, String)] {
        switch vs.address {
        case let .address(a, port):
            return [("local_address", a.description), ("local_port", String(port)), ("local_mark", ""), ("proto", vs.proto.description)]
        case let .fwmark(m):
            return [("local_address", ""), ("local_port", "0"), ("local_mark", String(m)), ("proto", "FWM")]
        case let .group(g):
            return [("local_address", g), ("local_port", "0"), ("local_mark", ""), ("proto", "")]
        }
    }

    static func realServer(_ vs: VirtualServerConfig, _ rs: RealServerConfig) -> [(String, String)] {
        virtualServer(vs) + realServerOnly(rs)
    }

    /// The two labels a real server adds to its virtual server's.
    static func realServerOnly(_ rs: RealServerConfig) -> [(String, String)] {
        [("remote_address", rs.address.description), ("remote_port", String(rs.port))]
    }

    static func checker(_ vs: VirtualServerConfig, _ rs: RealServerConfig, _ c: CheckerConfig) -> [(String, String)] {
        realServer(vs, rs) + checkerOnly(c)
    }

    /// The two labels a checker adds to its real server's.
    static func checkerOnly(_ c: CheckerConfig) -> [(String, String)] {
        [("checker", c.kind.name), ("checker_target", target(c))]
    }

    /// What `swiftvs status` shows as the checker's target.
    static func target(_ c: CheckerConfig) -> String {
        if c.kind == .ping { return c.connectIP.description }
        if case .misc = c.kind { return c.connectIP.description }
        if case let .file(f) = c.kind { return f.path }
        return DestinationKey(address: c.connectIP, port: c.connectPort).description
    }

    /// The `reason` label of a failed check.
    static func reason(_ r: CheckResult.Reason) -> String {
        switch r {
        case .ok: return "ok"
        case .exitStatus: return "exit_status"
        case .killedBySignal: return "signal"
        case .scriptTimedOut, .timedOut: return "timeout"
        case .cannotRun: return "cannot_run"
        case let .connectFailed(e, _): return e == .connectionRefused ? "refused" : (e == .timedOut ? "timeout" : "connect_error")
        case .httpStatus: return "http_status"
        case .digestMismatch: return "digest"
        case .regexMismatch: return "regex"
        case .badResponse: return "bad_response"
        case .icmp: return "icmp"
        case .disabled: return "disabled"
        case .tls: return "tls"
        case .unreachable: return "unreachable"
        case .trackedFile: return "tracked_file"
        }
    }
}
