#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// Every option ipvsadm knows, with its popt spelling.
enum IpvsadmOption: Hashable, Sendable {
    case command(IpvsadmCommand)
    case tcp, udp, sctp, fwmark, scheduler, persistent, netmask, realServer
    case masquerading, ipip, gatewaying, weight, uThreshold, lThreshold
    case numeric, connection, mcastInterface, syncid, timeout, daemon, stats, rate
    case thresholds, persistentConn, nosort, sort, exact, ipv6, ops, pe, schedFlags
    case mcastGroup, mcastPort, mcastTTL, syncMaxlen, tunInfo, tunType, tunPort
    case tunNocsum, tunCsum, tunRemcsum

    enum Argument { case none, required, optional }

    struct Spec {
        var long: String
        var short: Character?
        var argument: Argument
        var option: IpvsadmOption
    }

    /// The commands as `IpvsadmCommand` spells them, ipvsadm's second letter for --list (`-l`),
    /// then the other options.
    static let specs: [Spec] = IpvsadmCommand.allCases.map { c in
        Spec(long: c.name, short: c.letter, argument: c.takesRole ? .required : .none, option: .command(c))
    } + [
        Spec(long: "list", short: "l", argument: .none, option: .command(.list)),
        Spec(long: "tcp-service", short: "t", argument: .required, option: .tcp),
        Spec(long: "udp-service", short: "u", argument: .required, option: .udp),
        Spec(long: "sctp-service", short: nil, argument: .required, option: .sctp),
        Spec(long: "fwmark-service", short: "f", argument: .required, option: .fwmark),
        Spec(long: "scheduler", short: "s", argument: .required, option: .scheduler),
        Spec(long: "persistent", short: "p", argument: .optional, option: .persistent),
        Spec(long: "netmask", short: "M", argument: .required, option: .netmask),
        Spec(long: "real-server", short: "r", argument: .required, option: .realServer),
        Spec(long: "masquerading", short: "m", argument: .none, option: .masquerading),
        Spec(long: "ipip", short: "i", argument: .none, option: .ipip),
        Spec(long: "gatewaying", short: "g", argument: .none, option: .gatewaying),
        Spec(long: "weight", short: "w", argument: .required, option: .weight),
        Spec(long: "u-threshold", short: "x", argument: .required, option: .uThreshold),
        Spec(long: "l-threshold", short: "y", argument: .required, option: .lThreshold),
        Spec(long: "numeric", short: "n", argument: .none, option: .numeric),
        Spec(long: "connection", short: "c", argument: .none, option: .connection),
        Spec(long: "mcast-interface", short: nil, argument: .required, option: .mcastInterface),
        Spec(long: "syncid", short: nil, argument: .required, option: .syncid),
        Spec(long: "timeout", short: nil, argument: .none, option: .timeout),
        Spec(long: "daemon", short: nil, argument: .none, option: .daemon),
        Spec(long: "stats", short: nil, argument: .none, option: .stats),
        Spec(long: "rate", short: nil, argument: .none, option: .rate),
        Spec(long: "thresholds", short: nil, argument: .none, option: .thresholds),
        Spec(long: "persistent-conn", short: nil, argument: .none, option: .persistentConn),
        Spec(long: "nosort", short: nil, argument: .none, option: .nosort),
        Spec(long: "sort", short: nil, argument: .none, option: .sort),
        Spec(long: "exact", short: "X", argument: .none, option: .exact),
        Spec(long: "ipv6", short: "6", argument: .none, option: .ipv6),
        Spec(long: "ops", short: "o", argument: .none, option: .ops),
        Spec(long: "pe", short: nil, argument: .required, option: .pe),
        Spec(long: "sched-flags", short: "b", argument: .required, option: .schedFlags),
        Spec(long: "mcast-group", short: nil, argument: .required, option: .mcastGroup),
        Spec(long: "mcast-port", short: nil, argument: .required, option: .mcastPort),
        Spec(long: "mcast-ttl", short: nil, argument: .required, option: .mcastTTL),
        Spec(long: "sync-maxlen", short: nil, argument: .required, option: .syncMaxlen),
        Spec(long: "tun-info", short: nil, argument: .none, option: .tunInfo),
        Spec(long: "tun-type", short: nil, argument: .required, option: .tunType),
        Spec(long: "tun-port", short: nil, argument: .required, option: .tunPort),
        Spec(long: "tun-nocsum", short: nil, argument: .none, option: .tunNocsum),
        Spec(long: "tun-csum", short: nil, argument: .none, option: .tunCsum),
        Spec(long: "tun-remcsum", short: nil, argument: .none, option: .tunRemcsum),
    ]

    static let byLong: [String: Spec] = {
        var d: [String: Spec] = [:]
        for s in specs where d[s.long] == nil { d[s.long] = s }
        return d
    }()

    static let byShort: [Character: Spec] = {
        var d: [Character: Spec] = [:]
        for s in specs { if let c = s.short { d[c] = s } }
        return d
    }()

    /// `byShort` for ASCII letters, by code: no Character hashing on the hot path.
    static let byShortASCII: [Spec?] = {
        var t = [Spec?](repeating: nil, count: 128)
        for s in specs { if let c = s.short, let a = c.asciiValue, t[Int(a)] == nil { t[Int(a)] = byShort[c] } }
        return t
    }()

    static func short(_ c: Character) -> Spec? {
        if let a = c.asciiValue { return byShortASCII[Int(a)] }
        return byShort[c]
    }

    var optionClass: OptionClass? {
        switch self {
        case .command, .sort, .ipv6: return nil
        case .tcp, .udp, .sctp, .fwmark: return .service
        case .scheduler: return .scheduler
        case .persistent: return .persistent
        case .netmask: return .netmask
        case .realServer: return .server
        case .masquerading, .ipip, .gatewaying: return .forward
        case .weight: return .weight
        case .uThreshold: return .uThreshold
        case .lThreshold: return .lThreshold
        case .numeric: return .numeric
        case .connection: return .connection
        case .mcastInterface: return .mcastInterface
        case .syncid: return .syncid
        case .timeout: return .timeout
        case .daemon: return .daemon
        case .stats: return .stats
        case .rate: return .rate
        case .thresholds: return .thresholds
        case .persistentConn: return .persistentConn
        case .nosort: return .nosort
        case .exact: return .exact
        case .ops: return .ops
        case .pe: return .pe
        case .schedFlags: return .schedFlags
        case .mcastGroup: return .mcastGroup
        case .mcastPort: return .mcastPort
        case .mcastTTL: return .mcastTTL
        case .syncMaxlen: return .syncMaxlen
        case .tunInfo: return .tunInfo
        case .tunType: return .tunType
        case .tunPort: return .tunPort
        case .tunNocsum: return .tunNocsum
        case .tunCsum: return .tunCsum
        case .tunRemcsum: return .tunRemcsum
        }
    }
}
