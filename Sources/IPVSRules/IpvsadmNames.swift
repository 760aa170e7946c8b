import IPVSModel

/// ipvsadm's names for the pieces of a service and a destination.
enum IpvsadmNames {
    /// `-t`, `-u`, `--sctp-service` (`option_from_protocol`); a StaticString, which the save
    /// writes once per service without making a String.
    static func serviceOption(_ p: TransportProtocol) -> StaticString {
        switch p {
        case .tcp: return "-t"
        case .udp: return "-u"
        case .sctp: return "--sctp-service"
        }
    }

    /// `print_sched_flags`: the names depend on the scheduler, and sh/mh show only their two flags.
    static func schedulerFlags(_ s: Service) -> String {
        var names: [String] = []
        switch s.scheduler {
        case "sh":
            if s.flags.contains(.shFallback) { names.append("sh-fallback") }
            if s.flags.contains(.shPort) { names.append("sh-port") }
        case "mh":
            if s.flags.contains(.mhFallback) { names.append("mh-fallback") }
            if s.flags.contains(.mhPort) { names.append("mh-port") }
        default:
            if s.flags.contains(.schedulerFlag1) { names.append("flag-1") }
            if s.flags.contains(.schedulerFlag2) { names.append("flag-2") }
            if s.flags.contains(.schedulerFlag3) { names.append("flag-3") }
        }
        return names.joined(separator: ",")
    }

    static let anySchedulerFlag: ServiceFlags = [.schedulerFlag1, .schedulerFlag2, .schedulerFlag3]

    /// `fwd_name` (a bypass destination has none: glibc prints a null `%s` as "(null)").
    static func forwardName(_ f: ForwardingMethod) -> String {
        switch f {
        case .masquerade: return "Masq"
        case .local: return "Local"
        case .tunnel: return "Tunnel"
        case .directRouting: return "Route"
        case .bypass: return "(null)"
        }
    }

    /// `fwd_switch`; a StaticString, which the save writes once per real server without
    /// making a String.
    static func forwardSwitch(_ f: ForwardingMethod) -> StaticString {
        switch f {
        case .masquerade: return "-m"
        case .tunnel: return "-i"
        case .local, .directRouting: return "-g"
        case .bypass: return "(null)"
        }
    }

    static func tunnelType(_ k: Tunnel.Kind) -> String {
        switch k {
        case .ipip: return "ipip"
        case .gue: return "gue"
        case .gre: return "gre"
        }
    }

    static func tunnelChecksumOption(_ c: Tunnel.Checksum) -> String {
        switch c {
        case .none: return "--tun-nocsum"
        case .checksum: return "--tun-csum"
        case .remote: return "--tun-remcsum"
        }
    }

    /// `fwd_tun_info` (`--tun-info` column).
    static func tunnelInfo(_ f: ForwardingMethod) -> String {
        guard case let .tunnel(t) = f else { return "n/a" }
        let flag: String
        switch t.checksum {
        case .none: flag = "-c"
        case .checksum: flag = "+c"
        case .remote: flag = "r+c"
        }
        switch t.kind {
        case .ipip: return "ipip"
        case .gue: return "gue:\(t.port):\(flag)"
        case .gre: return "gre:\(flag)"
        }
    }

    /// `addrport_to_anyname`: `addr:port`, `[addr6]:port`, names unless `numeric`; the
    /// result is cut at 59 bytes like ipvsadm's 60-byte buffer. `proto` is nil for
    /// firewall-mark services (ipvsadm then never names ports).
    static func addressPort(_ address: IPAddress, _ port: UInt16, _ proto: TransportProtocol?,
                            numeric: Bool, resolver: any NameResolver) -> String {
        let open = address.family == .inet ? "" : "["
        let close = address.family == .inet ? "" : "]"
        if numeric { return "\(open)\(address)\(close):\(port)" }
        let host = resolver.hostName(for: address) ?? address.description
        let service = proto.flatMap { resolver.serviceName(port: port, protocol: $0) } ?? String(port)
        return IpvsadmPrintf.truncate("\(open)\(host)\(close):\(service)", 59)
    }

    /// A service as a listing names it, `KIND NAME`: `kind` is the word for its protocol (nil
    /// for a firewall-mark service); the name is the mark (`ipv6Mark` after an IPv6 one) or
    /// `addressPort`'s text.
    static func serviceName(_ key: ServiceKey, numeric: Bool, resolver: any NameResolver, ipv6Mark: String,
                            kind: (TransportProtocol?) -> String) -> String {
        switch key {
        case let .fwmark(mark, family):
            return kind(nil) + " " + IpvsadmPrintf.fwmark(mark) + (family == .inet6 ? ipv6Mark : "")
        case let .address(proto, address, port):
            return kind(proto) + " " + addressPort(address, port, proto, numeric: numeric, resolver: resolver)
        }
    }

    /// A persistent service's netmask as ipvsadm prints it, when it is not the full one
    /// (dotted quad for IPv4, a prefix length for IPv6); nil for /32 and /128.
    static func persistenceMask(_ s: Service) -> String? {
        if s.key.family == .inet, s.netmask != 0xFFFF_FFFF { return IpvsadmPrintf.dottedQuad(s.netmask) }
        if s.key.family == .inet6, s.netmask != 128 { return "\(Int32(bitPattern: s.netmask))" }
        return nil
    }
}
