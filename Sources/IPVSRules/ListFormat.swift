import IPVSModel

/// What `ipvsadm -L` shows; the flags are ipvsadm's listing options.
///
/// As in ipvsadm, one view wins when several are asked for, in this order:
/// `stats`, `rate`, `thresholds`, `persistentConnections`, `tunnelInfo`, the default.
public struct ListOptions: Hashable, Sendable {
    /// `-n`: numeric addresses and ports.
    public var numeric: Bool
    /// `--stats`: connection, packet and byte counters.
    public var stats: Bool
    /// `--rate`: the estimated rates.
    public var rate: Bool
    /// `--thresholds`: upper and lower connection thresholds.
    public var thresholds: Bool
    /// `--persistent-conn`: persistent connection counts.
    public var persistentConnections: Bool
    /// `--tun-info`: tunnel type, port and checksum mode.
    public var tunnelInfo: Bool
    /// `--exact`: counters in full instead of K/M/G/T.
    public var exact: Bool
    /// ipvsadm's sort (the default); false is `--nosort`, the given (kernel) order.
    public var sort: Bool

    public init(numeric: Bool = false, stats: Bool = false, rate: Bool = false, thresholds: Bool = false,
                persistentConnections: Bool = false, tunnelInfo: Bool = false, exact: Bool = false, sort: Bool = true) {
        self.numeric = numeric
        self.stats = stats
        self.rate = rate
        self.thresholds = thresholds
        self.persistentConnections = persistentConnections
        self.tunnelInfo = tunnelInfo
        self.exact = exact
        self.sort = sort
    }

    enum View { case normal, stats, rate, thresholds, persistentConnections, tunnelInfo }

    var view: View {
        if stats { return .stats }
        if rate { return .rate }
        if thresholds { return .thresholds }
        if persistentConnections { return .persistentConnections }
        if tunnelInfo { return .tunnelInfo }
        return .normal
    }
}

/// `ipvsadm -L` / `-l` output, byte for byte as ipvsadm 1.31 prints it, and the
/// `--timeout` and `--daemon` listings.
public enum ListFormat {
    /// `ipvsadm -L [options]`: the version line, the column titles, every service.
    /// - Parameters:
    ///   - services: the table in the kernel's dump order (sorted here unless `options.sort` is false).
    ///   - info: the kernel's IPVS version and connection table size (GET_INFO).
    public static func render(_ services: [ServiceEntry], info: Info, options: ListOptions = ListOptions(),
                              resolver: any NameResolver = SystemResolver()) -> String {
        var out = "IP Virtual Server version \(info.version) (size=\(Int32(bitPattern: info.connectionTableSize)))\n"
        out += title(options.view)
        let ordered = options.sort ? IpvsadmOrder.sorted(services) : services
        for entry in ordered {
            out += service(entry, options: options, resolver: resolver)
        }
        return out
    }

    /// `ipvsadm -L -t|-u|-f SERVICE [options]`: the column titles and one service, no version line.
    public static func render(service entry: ServiceEntry, options: ListOptions = ListOptions(),
                              resolver: any NameResolver = SystemResolver()) -> String {
        var e = entry
        if options.sort {
            e.destinations = IpvsadmOrder.mergeSort(entry.destinations) {
                IpvsadmOrder.compareDestinations($0.destination, $1.destination)
            }
        }
        return title(options.view) + service(e, options: options, resolver: resolver)
    }

    /// `ipvsadm -L --timeout`.
    public static func timeouts(_ t: Timeouts) -> String {
        "Timeout (tcp tcpfin udp): \(Int32(bitPattern: t.tcp)) \(Int32(bitPattern: t.tcpFin)) \(Int32(bitPattern: t.udp))\n"
    }

    /// `ipvsadm -L --daemon`, for the daemons in the kernel's order (master, then backup).
    public static func daemons(_ daemons: [SyncDaemon]) -> String {
        var out = ""
        for d in daemons {
            out += "\(d.role) sync daemon (mcast=\(d.interface), syncid=\(Int32(bitPattern: d.syncID))"
            if let m = d.maxLength, m != 0 { out += ", maxlen=\(m)" }
            if let g = d.group { out += ", group=\(g)" }
            if let p = d.port, p != 0 { out += ", port=\(p)" }
            if let t = d.ttl, t != 0 { out += ", ttl=\(t)" }
            out += ")\n"
        }
        return out
    }

    // MARK: - Pieces

    static func title(_ view: ListOptions.View) -> String {
        let prot = IpvsadmPrintf.left("Prot LocalAddress:Port", 33)
        switch view {
        case .stats:
            return prot + ["Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"].map { " " + IpvsadmPrintf.right($0, 8) }.joined()
                + "\n  -> RemoteAddress:Port\n"
        case .rate:
            return prot + ["CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"].map { " " + IpvsadmPrintf.right($0, 8) }.joined()
                + "\n  -> RemoteAddress:Port\n"
        case .thresholds:
            return prot + ["Uthreshold", "Lthreshold", "ActiveConn", "InActConn"].map { " " + IpvsadmPrintf.left($0, 10) }.joined()
                + "\n  -> RemoteAddress:Port\n"
        case .persistentConnections:
            return prot + " " + IpvsadmPrintf.left("Weight", 9) + " " + IpvsadmPrintf.left("PersistConn", 11) + " "
                + IpvsadmPrintf.left("ActiveConn", 10) + " " + IpvsadmPrintf.left("InActConn", 10) + "\n  -> RemoteAddress:Port\n"
        case .tunnelInfo:
            return "Prot LocalAddress:Port Scheduler Flags\n"
                + "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
        case .normal:
            return "Prot LocalAddress:Port Scheduler Flags\n"
                + "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
        }
    }

    /// The service column: `TCP  192.0.2.1:80` (IPv4 cut at 33 bytes), `FWM  80 IPv6`.
    static func serviceName(_ key: ServiceKey, numeric: Bool, resolver: any NameResolver) -> String {
        let name = IpvsadmNames.serviceName(key, numeric: numeric, resolver: resolver, ipv6Mark: " IPv6") {
            IpvsadmPrintf.left($0?.description ?? "FWM", 4)
        }
        return key.family == .inet6 ? name : IpvsadmPrintf.truncate(name, 33)
    }

    /// The destination column: IPv4 cut at 28 bytes.
    static func destinationName(_ d: Destination, proto: TransportProtocol?, numeric: Bool, resolver: any NameResolver) -> String {
        let v = IpvsadmNames.addressPort(d.address, d.port, proto, numeric: numeric, resolver: resolver)
        return d.address.family == .inet6 ? v : IpvsadmPrintf.truncate(v, 28)
    }

    static func service(_ entry: ServiceEntry, options: ListOptions, resolver: any NameResolver) -> String {
        let s = entry.service
        let name = serviceName(s.key, numeric: options.numeric, resolver: resolver)
        let exact = options.exact
        func big(_ v: UInt64) -> String { IpvsadmPrintf.largeNumber(v, exact: exact) }
        var out: String
        switch options.view {
        case .stats:
            let st = entry.stats
            out = IpvsadmPrintf.left(name, 33) + big(st.connections) + big(st.inPackets) + big(st.outPackets)
                + big(st.inBytes) + big(st.outBytes)
        case .rate:
            let st = entry.stats
            out = IpvsadmPrintf.left(name, 33) + big(st.connectionRate) + big(st.inPacketRate) + big(st.outPacketRate)
                + big(st.inByteRate) + big(st.outByteRate)
        default:
            out = "\(name) \(s.scheduler)"
            if !s.flags.isDisjoint(with: IpvsadmNames.anySchedulerFlag) {
                out += " (" + IpvsadmNames.schedulerFlags(s) + ")"
            }
            if s.flags.contains(.persistent) {
                out += " persistent \(s.timeout)"
                if let mask = IpvsadmNames.persistenceMask(s) { out += " mask \(mask)" }
                if let pe = s.persistenceEngine, !pe.isEmpty { out += " pe \(pe)" }
            }
            if s.flags.contains(.onePacket) { out += " ops" }
        }
        out += "\n"

        let proto = SaveFormat.protocolOf(s.key)
        for e in entry.destinations {
            let d = e.destination
            let dname = IpvsadmPrintf.left(destinationName(d, proto: proto, numeric: options.numeric, resolver: resolver), 28)
            let st = e.stats
            switch options.view {
            case .stats:
                out += "  -> " + dname + big(st.connections) + big(st.inPackets) + big(st.outPackets)
                    + big(st.inBytes) + big(st.outBytes) + "\n"
            case .rate:
                out += "  -> " + dname + " " + IpvsadmPrintf.right(String(st.connectionRate), 8)
                    + " " + IpvsadmPrintf.right(String(st.inPacketRate), 8)
                    + " " + IpvsadmPrintf.right(String(st.outPacketRate), 8)
                    + big(st.inByteRate) + big(st.outByteRate) + "\n"
            case .thresholds:
                out += "  -> " + dname + " " + IpvsadmPrintf.left(String(d.upperThreshold), 10)
                    + " " + IpvsadmPrintf.left(String(d.lowerThreshold), 10)
                    + " " + IpvsadmPrintf.left(String(e.activeConnections), 10)
                    + " " + IpvsadmPrintf.left(String(e.inactiveConnections), 10) + "\n"
            case .persistentConnections:
                out += "  -> " + dname + " " + IpvsadmPrintf.left(String(d.weight), 9)
                    + " " + IpvsadmPrintf.left(String(e.persistentConnections), 11)
                    + " " + IpvsadmPrintf.left(String(e.activeConnections), 10)
                    + " " + IpvsadmPrintf.left(String(e.inactiveConnections), 10) + "\n"
            case .tunnelInfo:
                out += "  -> " + dname + " " + IpvsadmPrintf.left(IpvsadmNames.forwardName(d.forwarding), 7)
                    + " " + IpvsadmPrintf.left(IpvsadmNames.tunnelInfo(d.forwarding), 13)
                    + " " + IpvsadmPrintf.left(String(d.weight), 6)
                    + " " + IpvsadmPrintf.left(String(e.activeConnections), 10)
                    + " " + IpvsadmPrintf.left(String(e.inactiveConnections), 10) + "\n"
            case .normal:
                out += "  -> " + dname + " " + IpvsadmPrintf.left(IpvsadmNames.forwardName(d.forwarding), 7)
                    + " " + IpvsadmPrintf.left(String(d.weight), 6)
                    + " " + IpvsadmPrintf.left(String(e.activeConnections), 10)
                    + " " + IpvsadmPrintf.left(String(e.inactiveConnections), 10) + "\n"
            }
        }
        return out
    }
}
