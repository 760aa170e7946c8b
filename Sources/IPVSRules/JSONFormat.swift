import IPVSModel
import Serialization

/// The table as JSON, for `swiftvs list --json`: a stable, documented shape with keys
/// always present and always in this order (2-space indentation, trailing newline).
///
/// ```
/// {
///   "format": "swiftvs-table/1",
///   "services": [
///     {
///       "family": "inet",              // "inet" | "inet6"
///       "protocol": "tcp",             // "tcp" | "udp" | "sctp"; null for fwmark services
///       "address": "192.0.2.10",       // null for fwmark services
///       "port": 80,                    // null for fwmark services
///       "fwmark": null,                // 1...4294967295 for fwmark services
///       "scheduler": "wlc",
///       "schedulerFlags": [],          // "sh-fallback", "sh-port" (sh), "mh-fallback", "mh-port" (mh),
///                                      // otherwise "flag-1", "flag-2", "flag-3"
///       "persistent": false,
///       "timeout": 0,                  // persistence timeout, seconds
///       "netmask": "255.255.255.255",  // as ipvsadm's -M: dotted quad (IPv4), prefix length (IPv6, "128")
///       "onePacket": false,
///       "persistenceEngine": null,     // e.g. "sip"
///       "stats": { STATS },
///       "destinations": [
///         {
///           "address": "192.0.2.21",
///           "family": "inet",
///           "port": 80,
///           "forwarding": "route",     // "masq" | "route" | "tunnel" | "local" | "bypass"
///           "tunnel": null,            // for "tunnel": {"type": "ipip"|"gue"|"gre", "port": 0,
///                                      //                "checksum": "none"|"csum"|"remcsum"}
///           "weight": 1,
///           "upperThreshold": 0,
///           "lowerThreshold": 0,
///           "activeConnections": 0,
///           "inactiveConnections": 0,
///           "persistentConnections": 0,
///           "stats": { STATS }
///         }
///       ]
///     }
///   ]
/// }
/// ```
/// `STATS` is `{"connections", "inPackets", "outPackets", "inBytes", "outBytes",
/// "connectionRate", "inPacketRate", "outPacketRate", "inByteRate", "outByteRate"}`, all
/// unsigned 64-bit integers (rates per second). Services and destinations come in
/// ipvsadm's listing order unless `sorted` is false. New keys may be added to objects in
/// a later `swiftvs-table/1` revision; existing keys keep their meaning and order.
public enum JSONFormat {
    public static let formatName = "swiftvs-table/1"

    public static func render(_ services: [ServiceEntry], sorted: Bool = true) -> String {
        let ordered = sorted ? IpvsadmOrder.sorted(services) : services
        let w = Writer()
        w.object {
            w.key("format"); w.string(formatName)
            w.key("services")
            w.array(ordered) { w.service($0) }
        }
        return w.out + "\n"
    }

    final class Writer {
        var out = ""
        private var indent = 0
        private var first: [Bool] = []

        private func newline() {
            out += "\n" + String(repeating: "  ", count: indent)
        }

        private func element() {
            if let f = first.last, !f { out += "," }
            if !first.isEmpty { first[first.count - 1] = false }
            newline()
        }

        func object(_ body: () -> Void) {
            out += "{"
            indent += 1
            first.append(true)
            body()
            let empty = first.removeLast()
            indent -= 1
            if !empty { newline() }
            out += "}"
        }

        func array<T>(_ items: [T], _ body: (T) -> Void) {
            out += "["
            indent += 1
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline()
                body(item)
            }
            indent -= 1
            if !items.isEmpty { newline() }
            out += "]"
        }

        func key(_ k: String) {
            element()
            out += JSONString.quoted(k) + ": "
        }

        func string(_ s: String?) { out += s.map { JSONString.quoted($0) } ?? "null" }
        func number<N: BinaryInteger>(_ n: N?) { out += n.map { String($0) } ?? "null" }
        func bool(_ b: Bool) { out += b ? "true" : "false" }

        func field(_ k: String, _ s: String?) { key(k); string(s) }
        func field<N: BinaryInteger>(_ k: String, _ n: N?) { key(k); number(n) }
        func field(_ k: String, _ b: Bool) { key(k); bool(b) }

        func stats(_ s: Stats) {
            object {
                for (name, counter) in JSONFormat.statsFields { field(name, s[keyPath: counter]) }
            }
        }

        func service(_ e: ServiceEntry) {
            let s = e.service
            object {
                field("family", s.key.family == .inet ? "inet" : "inet6")
                switch s.key {
                case let .address(proto, address, port):
                    field("protocol", SystemResolver.protocolName(proto))
                    field("address", address.description)
                    field("port", port)
                    field("fwmark", Optional<UInt32>.none)
                case let .fwmark(mark, _):
                    field("protocol", Optional<String>.none)
                    field("address", Optional<String>.none)
                    field("port", Optional<UInt16>.none)
                    field("fwmark", mark)
                }
                field("scheduler", s.scheduler)
                key("schedulerFlags")
                array(JSONFormat.schedulerFlagNames(s)) { string($0) }
                field("persistent", s.flags.contains(.persistent))
                field("timeout", s.timeout)
                field("netmask", s.key.family == .inet ? IpvsadmPrintf.dottedQuad(s.netmask) : String(s.netmask))
                field("onePacket", s.flags.contains(.onePacket))
                field("persistenceEngine", s.persistenceEngine.flatMap { $0.isEmpty ? nil : $0 })
                key("stats"); stats(e.stats)
                key("destinations")
                array(e.destinations) { destination($0) }
            }
        }

        func destination(_ e: DestinationEntry) {
            let d = e.destination
            object {
                field("address", d.address.description)
                field("family", d.address.family == .inet ? "inet" : "inet6")
                field("port", d.port)
                field("forwarding", JSONFormat.forwardingName(d.forwarding))
                key("tunnel")
                if case let .tunnel(t) = d.forwarding {
                    object {
                        field("type", IpvsadmNames.tunnelType(t.kind))
                        field("port", t.port)
                        field("checksum", JSONFormat.checksumName(t.checksum))
                    }
                } else {
                    string(nil)
                }
                field("weight", d.weight)
                field("upperThreshold", d.upperThreshold)
                field("lowerThreshold", d.lowerThreshold)
                field("activeConnections", e.activeConnections)
                field("inactiveConnections", e.inactiveConnections)
                field("persistentConnections", e.persistentConnections)
                key("stats"); stats(e.stats)
            }
        }
    }

    /// `STATS`' counters in their order, by their JSON names.
    static let statsFields: [(name: String, counter: KeyPath<Stats, UInt64> & Sendable)] = [
        ("connections", \.connections),
        ("inPackets", \.inPackets),
        ("outPackets", \.outPackets),
        ("inBytes", \.inBytes),
        ("outBytes", \.outBytes),
        ("connectionRate", \.connectionRate),
        ("inPacketRate", \.inPacketRate),
        ("outPacketRate", \.outPacketRate),
        ("inByteRate", \.inByteRate),
        ("outByteRate", \.outByteRate),
    ]

    /// `"forwarding"`: masq, route, tunnel, local, bypass.
    static func forwardingName(_ f: ForwardingMethod) -> String {
        switch f {
        case .masquerade: "masq"
        case .directRouting: "route"
        case .tunnel: "tunnel"
        case .local: "local"
        case .bypass: "bypass"
        }
    }

    /// A tunnel's `"checksum"`: none, csum, remcsum.
    static func checksumName(_ c: Tunnel.Checksum) -> String {
        switch c {
        case .none: "none"
        case .checksum: "csum"
        case .remote: "remcsum"
        }
    }

    /// Every scheduler flag set, named for the scheduler (unlike ipvsadm, flag-3 of sh/mh is not hidden).
    static func schedulerFlagNames(_ s: Service) -> [String] {
        var names: [String] = []
        let special = s.scheduler == "sh" || s.scheduler == "mh"
        if s.flags.contains(.schedulerFlag1) { names.append(special ? "\(s.scheduler)-fallback" : "flag-1") }
        if s.flags.contains(.schedulerFlag2) { names.append(special ? "\(s.scheduler)-port" : "flag-2") }
        if s.flags.contains(.schedulerFlag3) { names.append("flag-3") }
        return names
    }
}
