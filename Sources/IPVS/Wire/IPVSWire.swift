// The kernel's IPVS generic-netlink protocol (include/uapi/linux/ip_vs.h), and the mapping
// between it and the domain types. Nothing here talks to a socket.

enum IPVSWire {
    static let familyName = "IPVS"
    static let version: UInt8 = 1

    enum Command: UInt8 {
        case newService = 1, setService, delService, getService
        case newDest, setDest, delDest, getDest
        case newDaemon, delDaemon, getDaemon
        case setConfig, getConfig
        case setInfo, getInfo
        case zero, flush
    }

    // The attribute types of include/uapi/linux/ip_vs.h, numbered from 1 in the header's
    // order as its enumerations number them (`IPVS_CMD_ATTR_UNSPEC` is 0).

    /// `IPVS_CMD_ATTR_*`: a message's top-level attributes.
    enum CommandAttr: UInt16, AttributeType, CaseIterable {
        case service = 1, dest, daemon, timeoutTCP, timeoutTCPFin, timeoutUDP
    }

    /// `IPVS_SVC_ATTR_*`: the attributes of a service nest.
    enum ServiceAttr: UInt16, AttributeType, CaseIterable {
        case af = 1, `protocol`, addr, port, fwmark, schedName, flags, timeout, netmask, stats, peName, stats64
    }

    /// `IPVS_DEST_ATTR_*`: the attributes of a destination nest.
    enum DestAttr: UInt16, AttributeType, CaseIterable {
        case addr = 1, port, fwdMethod, weight, upperThreshold, lowerThreshold
        case activeConns, inactiveConns, persistConns, stats, addrFamily, stats64
        case tunType, tunPort, tunFlags
    }

    /// `IPVS_DAEMON_ATTR_*`: the attributes of a sync daemon nest.
    enum DaemonAttr: UInt16, AttributeType, CaseIterable {
        case state = 1, mcastInterface, syncID, syncMaxLen, mcastGroup, mcastGroup6, mcastPort, mcastTTL
    }

    /// `IPVS_STATS_ATTR_*`: the counters of a STATS or STATS64 nest.
    enum StatsAttr: UInt16, AttributeType, CaseIterable {
        case conns = 1, inPkts, outPkts, inBytes, outBytes, cps, inPPS, outPPS, inBPS, outBPS
    }

    /// `IPVS_INFO_ATTR_*`: GET_INFO's reply.
    enum InfoAttr: UInt16, AttributeType, CaseIterable {
        case version = 1, connTabSize
    }

    /// `IP_VS_CONN_F_*` forwarding methods: the low three bits of a destination's
    /// `IPVS_DEST_ATTR_FWD_METHOD` (``mask``).
    enum ForwardingCode: UInt32, CaseIterable {
        case masq = 0, localNode, tunnel, directRoute, bypass
        static let mask: UInt32 = 0x7
    }

    static let hashedFlag: UInt32 = 0x0002
    /// Size of union nf_inet_addr: addresses always travel as 16 bytes.
    static let inetAddrLength = 16
}

// MARK: - Encoding

extension IPVSWire {
    // The service and destination nests are written with their size computed first and
    // stored in one claimed region (``MessageWriter/store(_:_:)``): a batch encodes tens
    // of thousands of them.

    /// The size of the attributes that identify a service.
    static func serviceKeySize(_ key: ServiceKey) -> Int {
        switch key {
        case .address: return 8 + 8 + AttributeStore.inetAddrSize + 8   // af, protocol, addr, port
        case .fwmark: return 8 + 8                                      // af, fwmark
        }
    }

    /// The attributes that identify a service (what DEL_SERVICE and GET_SERVICE need).
    static func putServiceKey(_ key: ServiceKey, into a: inout AttributeStore) {
        a.u16(ServiceAttr.af, key.family.rawValue)
        switch key {
        case let .address(proto, address, port):
            a.u16(ServiceAttr.protocol, proto.rawValue)
            a.inetAddr(ServiceAttr.addr, address)
            a.be16(ServiceAttr.port, port)
        case let .fwmark(mark, _):
            a.u32(ServiceAttr.fwmark, mark)
        }
    }

    /// A complete service, as NEW_SERVICE and SET_SERVICE need it.
    static func putService(_ s: Service, into w: inout MessageWriter) {
        let pe = s.persistenceEngine.flatMap { $0.isEmpty ? nil : $0 }
        let size = NetlinkConstants.attributeHeaderLength + serviceKeySize(s.key) + AttributeStore.stringSize(s.scheduler)
            + (pe.map(AttributeStore.stringSize) ?? 0) + 12 + 8 + 8
        w.store(size) { a in
            a.nest(CommandAttr.service, length: size)
            putServiceKey(s.key, into: &a)
            a.string(ServiceAttr.schedName, s.scheduler)
            if let pe { a.string(ServiceAttr.peName, pe) }
            // struct ip_vs_flags { __u32 flags; __u32 mask; }: the mask says which bits to set or clear.
            a.u32(ServiceAttr.flags, s.flags.rawValue, UInt32.max)
            a.u32(ServiceAttr.timeout, s.timeout)
            a.u32(ServiceAttr.netmask, netmaskWord(s.netmask, family: s.key.family))
        }
    }

    /// The netmask attribute's four bytes as the native u32 to store. IPv4: a __be32 mask.
    /// IPv6: the prefix length as a native u32 (the kernel reads the same field with a cast).
    static func netmaskWord(_ netmask: UInt32, family: AddressFamily) -> UInt32 {
        family == .inet ? netmask.bigEndian : netmask
    }

    static func netmaskValue(_ raw: [UInt8], family: AddressFamily) -> UInt32 {
        var value: UInt32 = 0
        withUnsafeMutableBytes(of: &value) { for i in 0..<4 { $0[i] = raw[i] } }
        return netmaskValue(value, family: family)
    }

    /// The netmask attribute's four bytes loaded as a native u32.
    static func netmaskValue(_ loaded: UInt32, family: AddressFamily) -> UInt32 {
        family == .inet ? UInt32(bigEndian: loaded) : loaded
    }

    @inline(__always)
    static func putServiceKeyNest(_ key: ServiceKey, into w: inout MessageWriter) {
        let size = NetlinkConstants.attributeHeaderLength + serviceKeySize(key)
        w.store(size) { a in
            a.nest(CommandAttr.service, length: size)
            putServiceKey(key, into: &a)
        }
    }

    static func forwardingCode(_ f: ForwardingMethod) -> UInt32 {
        let code: ForwardingCode
        switch f {
        case .masquerade: code = .masq
        case .local: code = .localNode
        case .tunnel: code = .tunnel
        case .directRouting: code = .directRoute
        case .bypass: code = .bypass
        }
        return code.rawValue
    }

    /// A complete destination, as NEW_DEST and SET_DEST need it.
    @inline(__always)
    static func putDestination(_ d: Destination, into w: inout MessageWriter) {
        var tunnel: Tunnel?
        if case let .tunnel(t) = d.forwarding { tunnel = t }
        // addr, port, fwd_method, weight, [tun_type, tun_port, tun_flags], u_threshold, l_threshold, addr_family
        let size = NetlinkConstants.attributeHeaderLength + AttributeStore.inetAddrSize + 8 * 6 + (tunnel == nil ? 0 : 8 * 3)
        w.store(size) { a in
            a.nest(CommandAttr.dest, length: size)
            a.inetAddr(DestAttr.addr, d.address)
            a.be16(DestAttr.port, d.port)
            a.u32(DestAttr.fwdMethod, forwardingCode(d.forwarding))
            a.u32(DestAttr.weight, UInt32(bitPattern: d.weight))
            if let t = tunnel {
                a.u8(DestAttr.tunType, t.kind.rawValue)
                a.be16(DestAttr.tunPort, t.port)
                a.u16(DestAttr.tunFlags, t.checksum.rawValue)
            }
            a.u32(DestAttr.upperThreshold, d.upperThreshold)
            a.u32(DestAttr.lowerThreshold, d.lowerThreshold)
            a.u16(DestAttr.addrFamily, d.address.family.rawValue)
        }
    }

    static func putDestinationKey(_ k: DestinationKey, into w: inout MessageWriter) {
        let size = NetlinkConstants.attributeHeaderLength + AttributeStore.inetAddrSize + 8 + 8
        w.store(size) { a in
            a.nest(CommandAttr.dest, length: size)
            a.inetAddr(DestAttr.addr, k.address)
            a.be16(DestAttr.port, k.port)
            a.u16(DestAttr.addrFamily, k.address.family.rawValue)
        }
    }

    static func putDaemon(_ d: SyncDaemon, into w: inout MessageWriter) {
        w.beginNested(CommandAttr.daemon)
        w.put(DaemonAttr.state, u32: d.role.rawValue)
        w.put(DaemonAttr.mcastInterface, string: d.interface)
        w.put(DaemonAttr.syncID, u32: d.syncID)
        if let maxLength = d.maxLength { w.put(DaemonAttr.syncMaxLen, u16: maxLength) }
        if let group = d.group {
            switch group {
            case .v4: w.put(DaemonAttr.mcastGroup, bytes: group.bytes)
            case .v6: w.put(DaemonAttr.mcastGroup6, bytes: group.bytes)
            }
        }
        // The kernel reads the sync port as a host-order u16 (nla_get_u16), unlike service ports.
        if let port = d.port { w.put(DaemonAttr.mcastPort, u16: port) }
        if let ttl = d.ttl { w.put(DaemonAttr.mcastTTL, u8: ttl) }
        w.endNested()
    }

    /// Appends one complete request message (netlink + genl headers, attributes) to `w`.
    static func appendMessage(_ request: Request, family: UInt16, flags: UInt16, sequence: UInt32,
                              port: UInt32, into w: inout MessageWriter) {
        w.beginMessage(family: family, flags: flags, sequence: sequence, port: port,
                       command: request.command.rawValue, version: version)
        encode(request, into: &w)
        w.endMessage()
    }

    /// `appendMessage` for a table change, without making a request of it first (a batch
    /// encodes tens of thousands).
    @inline(__always)
    static func appendMessage(_ change: UnsafePointer<Change>, family: UInt16, flags: UInt16, sequence: UInt32,
                              port: UInt32, into w: inout MessageWriter) {
        w.beginMessage(family: family, flags: flags, sequence: sequence, port: port,
                       command: command(for: change.pointee).rawValue, version: version)
        encode(change, into: &w)
        w.endMessage()
    }

    /// The body (command and attributes) of one request. Framing is added by the caller.
    static func encode(_ request: Request, into w: inout MessageWriter) {
        switch request {
        case .getInfo, .getConfig, .getDaemons, .dumpServices:
            break
        case let .getService(key), let .dumpDestinations(key):
            putServiceKeyNest(key, into: &w)
        case let .setTimeouts(t):
            w.put(CommandAttr.timeoutTCP, u32: t.tcp)
            w.put(CommandAttr.timeoutTCPFin, u32: t.tcpFin)
            w.put(CommandAttr.timeoutUDP, u32: t.udp)
        case let .startDaemon(d):
            putDaemon(d, into: &w)
        case let .stopDaemon(role):
            w.beginNested(CommandAttr.daemon)
            w.put(DaemonAttr.state, u32: role.rawValue)
            w.endNested()
        case let .change(c):
            encode(c, into: &w)
        }
    }

    /// The body of a table change.
    static func encode(_ change: Change, into w: inout MessageWriter) {
        withUnsafePointer(to: change) { encode($0, into: &w) }
    }

    /// `encode` of a change read where it lies (a batch's changes are not copied out of
    /// their array one by one).
    @inline(__always)
    static func encode(_ change: UnsafePointer<Change>, into w: inout MessageWriter) {
        switch change.pointee {
        case let .addService(s), let .editService(s):
            putService(s, into: &w)
        case let .deleteService(key):
            putServiceKeyNest(key, into: &w)
        case let .addDestination(d, key), let .editDestination(d, key):
            putServiceKeyNest(key, into: &w)
            putDestination(d, into: &w)
        case let .deleteDestination(k, key):
            putServiceKeyNest(key, into: &w)
            putDestinationKey(k, into: &w)
        case let .zero(key):
            if let key { putServiceKeyNest(key, into: &w) }
        case .flush:
            break
        }
    }

    static func command(for change: Change) -> Command {
        switch change {
        case .addService: return .newService
        case .editService: return .setService
        case .deleteService: return .delService
        case .addDestination: return .newDest
        case .editDestination: return .setDest
        case .deleteDestination: return .delDest
        case .zero: return .zero
        case .flush: return .flush
        }
    }
}

/// Every request the binding sends, one netlink message each.
enum Request: Hashable, Sendable {
    case getInfo
    case getConfig
    case setTimeouts(Timeouts)
    case getDaemons
    case startDaemon(SyncDaemon)
    case stopDaemon(SyncDaemon.Role)
    case dumpServices
    case getService(ServiceKey)
    case dumpDestinations(ServiceKey)
    /// A change of the table: a batch encodes and checks its changes as they are, and a
    /// request of one carries it whole.
    case change(Change)

    var command: IPVSWire.Command {
        switch self {
        case .getInfo: return .getInfo
        case .getConfig: return .getConfig
        case .setTimeouts: return .setConfig
        case .getDaemons: return .getDaemon
        case .startDaemon: return .newDaemon
        case .stopDaemon: return .delDaemon
        case .dumpServices, .getService: return .getService
        case .dumpDestinations: return .getDest
        case let .change(c): return IPVSWire.command(for: c)
        }
    }

    var isDump: Bool {
        switch self {
        case .dumpServices, .dumpDestinations, .getDaemons: return true
        default: return false
        }
    }

    var operation: IPVSError.Operation {
        switch self {
        case .getInfo: return .getInfo
        case .getConfig: return .getTimeouts
        case .setTimeouts: return .setTimeouts
        case .getDaemons: return .listDaemons
        case .startDaemon: return .startDaemon
        case .stopDaemon: return .stopDaemon
        case .dumpServices: return .listServices
        case .getService: return .getService
        case .dumpDestinations: return .listDestinations
        case let .change(c):
            switch c {
            case .addService: return .addService
            case .editService: return .editService
            case .deleteService: return .deleteService
            case .addDestination: return .addDestination
            case .editDestination: return .editDestination
            case .deleteDestination: return .deleteDestination
            case .zero: return .zero
            case .flush: return .flush
            }
        }
    }

    var object: IPVSError.Object? {
        switch self {
        case let .getService(k), let .dumpDestinations(k),
             let .change(.deleteService(k)):
            return .service(k)
        case let .change(.addService(s)), let .change(.editService(s)):
            return .service(s.key)
        case let .change(.addDestination(d, k)), let .change(.editDestination(d, k)):
            return .destination(d.key, in: k)
        case let .change(.deleteDestination(d, k)):
            return .destination(d, in: k)
        case let .change(.zero(k)):
            return k.map { .service($0) }
        case let .startDaemon(d):
            return .daemon(d.role)
        case let .stopDaemon(role):
            return .daemon(role)
        case .getInfo, .getConfig, .setTimeouts, .getDaemons, .dumpServices, .change(.flush):
            return nil
        }
    }
}

// MARK: - Decoding

extension IPVSWire {
    /// What follows a reply's generic-netlink header.
    static func afterHeader(_ body: ByteView) throws(DecodeError) -> ByteView {
        try checkHeader(body.count)
        return body.slice(NetlinkConstants.genlHeaderLength..<body.count)
    }

    static func afterHeader(_ body: RawView) throws(DecodeError) -> RawView {
        try checkHeader(body.count)
        return body.slice(NetlinkConstants.genlHeaderLength..<body.count)
    }

    private static func checkHeader(_ count: Int) throws(DecodeError) {
        guard count >= NetlinkConstants.genlHeaderLength else {
            throw DecodeError(message: "reply of \(count) bytes has no generic-netlink header")
        }
    }

    /// The payload of the last top-level attribute of `type` (after the genl header), or
    /// "missing WHAT attribute": a dump entry's one nest, found without a whole attribute set.
    static func topLevel(_ body: RawView, _ type: CommandAttr, _ what: String) throws(DecodeError) -> RawView {
        let attrs = try afterHeader(body)
        var found: Range<Int>? = nil
        try AttributeSet.forEach(in: attrs) { (t: UInt16, payload: Range<Int>) throws(DecodeError) in
            if t == type.rawValue { found = payload }
        }
        guard let found else { throw DecodeError(message: "missing \(what) attribute") }
        return attrs.slice(found)
    }

    /// The attributes after a reply's generic-netlink header.
    static func attributes(_ body: ByteView) throws(DecodeError) -> AttributeSet {
        try AttributeSet(parsing: afterHeader(body))
    }

    static func decodeAddress(_ attr: Attribute, family: AddressFamily) throws(DecodeError) -> IPAddress {
        try attr.payload.withRaw { (raw: RawView) throws(DecodeError) in try decodeAddress(raw, family: family) }
    }

    static func decodeAddress(_ raw: RawView, family: AddressFamily) throws(DecodeError) -> IPAddress {
        switch family {
        case .inet:
            guard raw.count >= 4 else { throw DecodeError(message: "IPv4 address attribute has \(raw.count) bytes") }
            // One load, no temporary array: a dump decodes an address per entry.
            let v = UInt32(bigEndian: try raw.native(UInt32.self))
            return .v4(UInt8(truncatingIfNeeded: v >> 24), UInt8(truncatingIfNeeded: v >> 16),
                       UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v))
        case .inet6:
            guard raw.count >= 16 else { throw DecodeError(message: "IPv6 address attribute has \(raw.count) bytes") }
            return .v6(bytes: IPv6Bytes(UnsafeRawBufferPointer(rebasing: raw.bytes[0..<16])))
        }
    }

    static func decodeFamily(_ attr: Attribute) throws(DecodeError) -> AddressFamily {
        try decodeFamily(attr.u16())
    }

    static func decodeFamily(_ raw: UInt16) throws(DecodeError) -> AddressFamily {
        guard let family = AddressFamily(rawValue: raw) else {
            throw DecodeError(message: "unknown address family \(raw)")
        }
        return family
    }

    /// Reads STATS64 when present (kernel 4.1+), else the 32-bit STATS nest (whose byte
    /// counters are 64-bit already).
    static func decodeStats<Nest: AttributeType>(_ attrs: RawAttributes, stats64 type64: Nest, stats type32: Nest) throws(DecodeError) -> Stats {
        var s = Stats()
        let wide = attrs[type64]
        guard let nest = wide ?? attrs[type32] else { return s }
        let a = try RawAttributes(parsing: nest)
        /// A counter that is 64-bit in STATS64 and 32-bit in STATS.
        func counter(_ type: StatsAttr) throws(DecodeError) -> UInt64 {
            wide != nil ? try a.u64(type) ?? 0 : UInt64(try a.u32(type) ?? 0)
        }
        s.connections = try counter(StatsAttr.conns)
        s.inPackets = try counter(StatsAttr.inPkts)
        s.outPackets = try counter(StatsAttr.outPkts)
        s.inBytes = try a.u64(StatsAttr.inBytes) ?? 0
        s.outBytes = try a.u64(StatsAttr.outBytes) ?? 0
        s.connectionRate = try counter(StatsAttr.cps)
        s.inPacketRate = try counter(StatsAttr.inPPS)
        s.outPacketRate = try counter(StatsAttr.outPPS)
        s.inByteRate = try counter(StatsAttr.inBPS)
        s.outByteRate = try counter(StatsAttr.outBPS)
        return s
    }

    /// Decodes one GET_SERVICE reply message body (genl header included); the stats stay
    /// zero unless `statistics`.
    static func decodeService(_ body: ByteView, statistics: Bool = true) throws(DecodeError) -> ServiceEntry {
        try body.withRaw { (raw: RawView) throws(DecodeError) in try decodeService(raw, statistics: statistics) }
    }

    /// `decodeService` on borrowed bytes (a dump decodes each message in the receive buffer).
    static func decodeService(_ body: RawView, statistics: Bool = true) throws(DecodeError) -> ServiceEntry {
        let a = try RawAttributes(parsing: topLevel(body, CommandAttr.service, "service"))
        let family = try decodeFamily(RawAttributes.exact(try a.require(ServiceAttr.af, "service address family"),
                                                          ServiceAttr.af, UInt16.self))
        let key: ServiceKey
        if let mark = try a.u32(ServiceAttr.fwmark) {
            key = .fwmark(mark, family: family)
        } else {
            guard let protoRaw = try a.u16(ServiceAttr.protocol) else { throw DecodeError(message: "missing service protocol attribute") }
            guard let proto = TransportProtocol(rawValue: protoRaw) else {
                throw DecodeError(message: "unknown service protocol \(protoRaw)")
            }
            let address = try decodeAddress(try a.require(ServiceAttr.addr, "service address"), family: family)
            guard let port = try a.be16(ServiceAttr.port) else { throw DecodeError(message: "missing service port attribute") }
            key = .address(proto, address, port: port)
        }
        let flagsAttr = try a.require(ServiceAttr.flags, "service flags")
        guard flagsAttr.count == 8 else {
            throw DecodeError(message: "service flags attribute has \(flagsAttr.count) bytes, expected 8")
        }
        let rawFlags = try flagsAttr.native(UInt32.self, at: 0)
        let netmaskAttr = try a.require(ServiceAttr.netmask, "service netmask")
        guard netmaskAttr.count == 4 else {
            throw DecodeError(message: "service netmask attribute has \(netmaskAttr.count) bytes, expected 4")
        }
        let pe = try a[ServiceAttr.peName]?.string(type: ServiceAttr.peName)
        let service = Service(
            key: key,
            scheduler: try a.require(ServiceAttr.schedName, "scheduler name").string(type: ServiceAttr.schedName),
            flags: ServiceFlags(rawValue: rawFlags & ~hashedFlag),
            timeout: try a.requireU32(ServiceAttr.timeout, "service timeout"),
            netmask: netmaskValue(try netmaskAttr.native(UInt32.self), family: family),
            persistenceEngine: (pe?.isEmpty ?? true) ? nil : pe
        )
        guard statistics else { return ServiceEntry(service: service) }
        return ServiceEntry(service: service, stats: try decodeStats(a, stats64: ServiceAttr.stats64, stats: ServiceAttr.stats))
    }

    /// Decodes one GET_DEST reply message body. `serviceFamily` is used when the kernel
    /// predates the per-destination address family attribute. The stats stay zero unless
    /// `statistics`.
    static func decodeDestination(_ body: ByteView, serviceFamily: AddressFamily,
                                  statistics: Bool = true) throws(DecodeError) -> DestinationEntry {
        try body.withRaw { (raw: RawView) throws(DecodeError) in
            try decodeDestination(raw, serviceFamily: serviceFamily, statistics: statistics)
        }
    }

    /// `decodeDestination` on borrowed bytes (a dump decodes each message in the receive buffer).
    static func decodeDestination(_ body: RawView, serviceFamily: AddressFamily,
                                  statistics: Bool = true) throws(DecodeError) -> DestinationEntry {
        // One pass over the nest, noting where each attribute is (a big listing decodes
        // tens of thousands). The last of a repeated type counts.
        let a = try RawAttributes(parsing: topLevel(body, CommandAttr.dest, "destination"))
        let family = try a.u16(DestAttr.addrFamily).map { raw throws(DecodeError) in try decodeFamily(raw) } ?? serviceFamily
        let address = try decodeAddress(try a.require(DestAttr.addr, "destination address"), family: family)
        guard let port = try a.be16(DestAttr.port) else { throw DecodeError(message: "missing destination port attribute") }
        guard let rawCode = try a.u32(DestAttr.fwdMethod) else { throw DecodeError(message: "missing forwarding method attribute") }
        let code = rawCode & ForwardingCode.mask
        let forwarding: ForwardingMethod
        switch ForwardingCode(rawValue: code) {
        case .masq: forwarding = .masquerade
        case .localNode: forwarding = .local
        case .directRoute: forwarding = .directRouting
        case .bypass: forwarding = .bypass
        case .tunnel:
            var t = Tunnel()
            if let raw = try a.u8(DestAttr.tunType) {
                guard let kind = Tunnel.Kind(rawValue: raw) else { throw DecodeError(message: "unknown tunnel type \(raw)") }
                t.kind = kind
            }
            t.port = try a.be16(DestAttr.tunPort) ?? 0
            if let raw = try a.u16(DestAttr.tunFlags) {
                guard let csum = Tunnel.Checksum(rawValue: raw) else { throw DecodeError(message: "unknown tunnel flags \(raw)") }
                t.checksum = csum
            }
            forwarding = .tunnel(t)
        case nil:
            throw DecodeError(message: "unknown forwarding method \(code)")
        }
        guard let weight = try a.u32(DestAttr.weight) else { throw DecodeError(message: "missing weight attribute") }
        let destination = Destination(
            address: address,
            port: port,
            forwarding: forwarding,
            weight: Int32(bitPattern: weight),
            upperThreshold: try a.u32(DestAttr.upperThreshold) ?? 0,
            lowerThreshold: try a.u32(DestAttr.lowerThreshold) ?? 0
        )
        return DestinationEntry(
            destination: destination,
            activeConnections: try a.u32(DestAttr.activeConns) ?? 0,
            inactiveConnections: try a.u32(DestAttr.inactiveConns) ?? 0,
            persistentConnections: try a.u32(DestAttr.persistConns) ?? 0,
            stats: statistics ? try decodeStats(a, stats64: DestAttr.stats64, stats: DestAttr.stats) : Stats()
        )
    }

    static func decodeInfo(_ body: ByteView) throws(DecodeError) -> Info {
        let a = try attributes(body)
        return Info(
            versionCode: try a.require(InfoAttr.version, "version").u32(),
            connectionTableSize: try a.require(InfoAttr.connTabSize, "connection table size").u32()
        )
    }

    static func decodeTimeouts(_ body: ByteView) throws(DecodeError) -> Timeouts {
        let a = try attributes(body)
        return Timeouts(
            tcp: try a[CommandAttr.timeoutTCP]?.u32() ?? 0,
            tcpFin: try a[CommandAttr.timeoutTCPFin]?.u32() ?? 0,
            udp: try a[CommandAttr.timeoutUDP]?.u32() ?? 0
        )
    }

    static func decodeDaemon(_ body: ByteView) throws(DecodeError) -> SyncDaemon {
        let top = try attributes(body)
        let a = try top.require(CommandAttr.daemon, "daemon").nested()
        let rawState = try a.require(DaemonAttr.state, "daemon state").u32()
        guard let role = SyncDaemon.Role(rawValue: rawState) else {
            throw DecodeError(message: "unknown sync daemon state \(rawState)")
        }
        var group: IPAddress? = nil
        if let g = a[DaemonAttr.mcastGroup6] {
            group = try decodeAddress(g, family: .inet6)
        } else if let g = a[DaemonAttr.mcastGroup] {
            group = try decodeAddress(g, family: .inet)
        }
        return SyncDaemon(
            role: role,
            interface: try a.require(DaemonAttr.mcastInterface, "multicast interface").string(),
            syncID: try a.require(DaemonAttr.syncID, "sync id").u32(),
            maxLength: try a[DaemonAttr.syncMaxLen]?.u16(),
            group: group,
            port: try a[DaemonAttr.mcastPort]?.u16(),
            ttl: try a[DaemonAttr.mcastTTL]?.u8()
        )
    }
}
