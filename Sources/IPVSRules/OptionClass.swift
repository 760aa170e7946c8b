#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// ipvsadm's option classes (OPTC_*): each may be given once per command.
enum OptionClass: Hashable, Sendable {
    case numeric, connection, service, scheduler, persistent, netmask, server, forward, weight
    case uThreshold, lThreshold, mcastInterface, timeout, daemon, stats, rate, thresholds
    case persistentConn, nosort, syncid, exact, ops, pe, schedFlags, mcastGroup, mcastPort
    case mcastTTL, syncMaxlen, tunInfo, tunType, tunPort, tunNocsum, tunCsum, tunRemcsum

    /// What the option is, for messages.
    var what: String {
        switch self {
        case .service: return "a virtual service (-t, -u, --sctp-service or -f)"
        case .server: return "a real server (-r ADDRESS[:PORT])"
        case .forward: return "a forwarding method (-g, -i or -m)"
        default: return "this option"
        }
    }
}
