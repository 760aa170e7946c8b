import IPVS
import KeepalivedConfig
import EventLoop

struct Semantics {
    let fileSystem: ConfigFileSystem
    /// The generic value readers, and every diagnostic so far (the document's first).
    private var reader: StatementReader
    var diagnostics: [Diagnostic] { reader.diagnostics }
    private var warnedBlocks: Set<String> = []
    /// Top-level keywords another pass over the same document reads (left alone here).
    var otherPasses: Set<String> = []
    /// Let go of each virtual_server's block once read (`check(document:…releasingBlocks:)`).
    var releaseBlocks = false
    private var groups: [String: (SourceLocation, [GroupEntry])] = [:]
    /// The checkers' settings, each distinct one held once.
    private var checkerSettings = CheckerSettingsPool()
    /// The `SSL { }` block: it applies wherever it is in the file, so it is given to the
    /// SSL_GETs once the file is read (`finish`).
    private var ssl: SSLConfig?
    /// Whether the virtual server being read has an SSL_GET (`parseChecker` sets it).
    private var readSSLGet = false
    /// The top-level statements whose virtual server has an SSL_GET.
    private var withSSLGet: Set<Int> = []
    /// `track_file` blocks read so far (a FILE_CHECK names one defined before it).
    private var trackFiles: [String: FileCheckConfig] = [:]

    enum GroupEntry {
        case address(IPAddress, port: UInt16?)
        case fwmark(UInt32, AddressFamily?)
    }

    /// The document's own diagnostics, put first by `finish`.
    private var documentDiagnostics: [Diagnostic]

    init(fileSystem: ConfigFileSystem, diagnostics: [Diagnostic]) {
        self.fileSystem = fileSystem
        documentDiagnostics = diagnostics
        reader = StatementReader()
    }

    static let ignoredTopLevel: Set<String> = [
        "global_defs", "vrrp_instance", "vrrp_script", "vrrp_sync_group", "vrrp_track_process",
        "vrrp_garp_interval", "garp_group", "static_ipaddress", "static_routes", "static_rules",
        "static_track_group", "linkbeat_interfaces", "bfd_instance", "net_namespace",
        "vrrp_gna_interval", "use_pid_dir", "instance", "child_wait_time",
    ]

    static let checkerKeywords: Set<String> = ["TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "PING_CHECK", "SMTP_CHECK",
                                               "DNS_CHECK", "UDP_CHECK", "FILE_CHECK", "BFD_CHECK"]

    static let schedulers: Set<String> = ["rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"]

    mutating func error(_ loc: SourceLocation, _ msg: String) { reader.error(loc, msg) }
    mutating func warn(_ loc: SourceLocation, _ msg: String) { reader.warn(loc, msg) }

    /// The document's diagnostics, when they are known only after the statements were taken.
    mutating func setDocumentDiagnostics(_ diagnostics: [Diagnostic]) { documentDiagnostics = diagnostics }

    // MARK: the pass, one top-level statement at a time

    /// Diagnostics found so far, kept apart in the order the whole-tree pass reported them:
    /// the groups' (read before anything else), the SSL block's, then each other top-level
    /// statement's by its place in the file (a virtual server read late, below, still reports
    /// at its place), then the duplicate services.
    private var groupDiagnostics: [Diagnostic] = []
    private var sslDiagnostics: [Diagnostic] = []
    private var statementDiagnostics: [(index: Int, diagnostics: [Diagnostic])] = []
    /// Top-level statements taken so far.
    private var taken = 0
    /// Virtual servers read so far, each with its statement's place in the file.
    private var servers: [(index: Int, config: VirtualServerConfig)] = []
    /// Virtual servers that wait for the end: one that names a group not yet defined (keepalived
    /// applies a group wherever it is in the file). Each keeps the track files defined before
    /// it, which is all its FILE_CHECKs may name. (An SSL_GET does not wait for the `SSL`
    /// block: its settings are given at the end, to every SSL_GET.)
    private var waiting: [(index: Int, statement: Statement, trackFiles: [String: FileCheckConfig])] = []

    /// Reads one top-level statement, in file order (`ConfigDocument.load(…taking:)` offers
    /// each as soon as it is finished). Returns false for a keyword another pass owns (left in
    /// the document for it); every other statement is read here and may be let go of.
    mutating func take(_ st: Statement) -> Bool {
        let index = taken
        taken += 1
        let kw = st.keyword.text
        switch kw {
        case "virtual_server_group":
            parseGroup(st)
            groupDiagnostics += drainDiagnostics()
            return true
        case "SSL":
            parseSSL(st)
            sslDiagnostics += drainDiagnostics()
            return true
        case "virtual_server":
            if mustWait(st) {
                waiting.append((index, st, trackFiles))
            } else {
                read(st, at: index)
                if releaseBlocks { st.releaseBlock() }
            }
        case "track_file", "vrrp_track_file":
            parseTrackFile(st)
        case _ where otherPasses.contains(kw):
            return false
        default:
            if Self.ignoredTopLevel.contains(kw) || kw.hasPrefix("vrrp_") || kw.hasPrefix("static_") {
                if warnedBlocks.insert(kw).inserted {
                    warn(st.location, "'\(kw)' is not handled by swiftvs (only the LVS part is); ignored")
                }
            } else {
                error(st.location, "unknown keyword '\(kw)'")
            }
        }
        let found = drainDiagnostics()
        if !found.isEmpty { statementDiagnostics.append((index, found)) }
        return true
    }

    /// The configuration once every statement was taken: the virtual servers that waited are
    /// read (every group and the SSL block known now), and the duplicate services found.
    /// `diagnostics` then holds everything, the document's first (`init`'s).
    mutating func finish() -> DaemonConfig {
        let known = trackFiles
        for w in waiting {
            trackFiles = w.trackFiles
            read(w.statement, at: w.index)
            if releaseBlocks { w.statement.releaseBlock() }
            let found = drainDiagnostics()
            if !found.isEmpty { statementDiagnostics.append((w.index, found)) }
        }
        trackFiles = known
        if !waiting.isEmpty {
            servers.sort { $0.index < $1.index }
            statementDiagnostics.sort { $0.index < $1.index }
        }
        waiting = []
        if let ssl, !withSSLGet.isEmpty {
            for i in servers.indices where withSSLGet.contains(servers[i].index) {
                var vs = servers[i].config
                give(ssl, to: &vs)
                servers[i].config = vs
            }
        }
        let config = DaemonConfig(virtualServers: servers.map(\.config))
        servers = []
        reader.diagnostics = documentDiagnostics + groupDiagnostics + sslDiagnostics + statementDiagnostics.flatMap(\.diagnostics)
        for d in ConfigParser.duplicates(config.virtualServers) { error(d.location, d.message) }
        return config
    }

    /// Reads the virtual server of top-level statement `index`.
    private mutating func read(_ st: Statement, at index: Int) {
        readSSLGet = false
        guard let vs = parseVirtualServer(st) else { return }
        servers.append((index, vs))
        if readSSLGet { withSSLGet.insert(index) }
    }

    /// The `SSL` block's settings given to every SSL_GET of `vs` (keepalived has one SSL
    /// context, made once the whole file is read); the checkers' settings still shared.
    private mutating func give(_ ssl: SSLConfig, to vs: inout VirtualServerConfig) {
        for r in vs.realServers.indices {
            for c in vs.realServers[r].checkers.indices {
                let checker = vs.realServers[r].checkers[c]
                guard case var .http(http) = checker.kind, http.tls else { continue }
                http.ssl = ssl
                var settings = checker.settings
                settings.kind = .http(http)
                vs.realServers[r].checkers[c] = CheckerConfig(location: checker.location, connectIP: checker.connectIP,
                                                              connectPort: checker.connectPort, settings: checkerSettings.share(settings))
            }
        }
    }

    /// What the reader found since the last call (it is emptied).
    private mutating func drainDiagnostics() -> [Diagnostic] {
        guard !reader.diagnostics.isEmpty else { return [] }
        defer { reader.diagnostics = [] }
        return reader.diagnostics
    }

    /// Whether a virtual server must wait for the end of the file: it names a group not
    /// defined yet.
    private func mustWait(_ st: Statement) -> Bool {
        st.args.count > 1 && st.args[0].text == "group" && groups[st.args[1].text] == nil
    }

    // MARK: value helpers (KeepalivedConfig's StatementReader)

    private mutating func arg(_ st: Statement, _ i: Int = 0, what: String = "value") -> Token? { reader.arg(st, i, what: what) }
    private mutating func noMoreArgs(_ st: Statement, after n: Int) { reader.noMoreArgs(st, after: n) }
    private mutating func noBlock(_ st: Statement) { reader.noBlock(st) }
    private mutating func timer(_ st: Statement, allowZero: Bool, limit: Duration? = nil) -> Duration? {
        reader.timer(st, allowZero: allowZero, limit: limit)
    }
    /// keepalived's `check_true_false`: the words in lower case only ("On" is refused, as
    /// keepalived's config test refuses it).
    private mutating func flag(_ st: Statement) -> Bool? {
        if let t = st.args.first, t.text != t.text.lowercased(), ["on", "off", "true", "false", "yes", "no"].contains(t.text.lowercased()) {
            noBlock(st)
            error(t.location, "\(st.keyword.text): expected on|off|true|false|yes|no, got '\(t.text)' (keepalived takes them in lower case only)")
            return nil
        }
        return reader.flag(st)
    }
    private mutating func string(_ st: Statement) -> String? { reader.string(st) }
    private mutating func address(_ t: Token, what: String) -> IPAddress? { reader.address(t, what: what) }
    private mutating func port(_ t: Token, name: String) -> UInt16? { reader.port(t, name: name) }

    private mutating func integer(_ st: Statement, _ range: ClosedRange<Int64>, index: Int = 0, what: String = "value", last: Bool = true) -> Int64? {
        reader.integer(st, range, index: index, what: what, last: last)
    }

    private mutating func integer(_ t: Token, _ range: ClosedRange<Int64>, name: String) -> Int64? {
        reader.integer(t, range, name: name)
    }

    /// A script line made a command (shell syntax → /bin/sh -c, else keepalived's word split).
    private mutating func script(_ st: Statement, allowUser: Bool = true) -> ScriptConfig? {
        guard let line = reader.scriptLine(st, allowUser: allowUser) else { return nil }
        guard let cmd = CheckCommand.parse(line.text, user: line.user, group: line.group) else {
            error(st.location, "\(st.keyword.text): cannot parse script '\(line.text)'")
            return nil
        }
        return ScriptConfig(text: line.text, command: cmd)
    }

    private mutating func tunnelMethod(_ st: Statement) -> ForwardingMethod? {
        noBlock(st)
        guard let m = arg(st, what: "forwarding method") else { return nil }
        switch m.text {
        case "NAT": noMoreArgs(st, after: 1); return .masquerade
        case "DR": noMoreArgs(st, after: 1); return .directRouting
        case "TUN": break
        default:
            error(m.location, "\(st.keyword.text): unknown forwarding method '\(m.text)' (NAT, DR or TUN)")
            return nil
        }
        var tunnel = Tunnel()
        var i = 1
        let a = st.args
        if i < a.count && a[i].text == "type" {
            guard i + 1 < a.count else { error(a[i].location, "\(st.keyword.text): missing tunnel type"); return nil }
            let t = a[i + 1]
            i += 2
            switch t.text {
            case "ipip": tunnel.kind = .ipip
            case "gre": tunnel.kind = .gre
            case "gue":
                tunnel.kind = .gue
                guard i + 1 < a.count, a[i].text == "port" else {
                    error(t.location, "\(st.keyword.text): gue tunnel needs 'port NUM'")
                    return nil
                }
                guard let p = integer(a[i + 1], 1...65535, name: "tunnel port") else { return nil }
                tunnel.port = UInt16(p)
                i += 2
            default:
                error(t.location, "\(st.keyword.text): unknown tunnel type '\(t.text)' (ipip, gue or gre)")
                return nil
            }
        }
        if i < a.count {
            let c = a[i]
            switch c.text {
            case "nocsum": tunnel.checksum = .none
            case "csum": tunnel.checksum = .checksum
            case "remcsum": tunnel.checksum = .remote
            default:
                error(c.location, "\(st.keyword.text): unexpected argument '\(c.text)'")
                return nil
            }
            if tunnel.kind == .ipip {
                error(c.location, "\(st.keyword.text): checksum options need a gue or gre tunnel")
                return nil
            }
            if tunnel.kind == .gre && tunnel.checksum == .remote {
                error(c.location, "\(st.keyword.text): remcsum is not supported with gre")
                return nil
            }
            i += 1
        }
        noMoreArgs(st, after: i)
        return .tunnel(tunnel)
    }

    // MARK: virtual_server_group

    private mutating func parseGroup(_ st: Statement) {
        guard let nameTok = arg(st, what: "group name") else { return }
        noMoreArgs(st, after: 1)
        guard let block = st.block else {
            error(st.location, "virtual_server_group \(nameTok.text): missing '{' block")
            return
        }
        if let prev = groups[nameTok.text] {
            error(nameTok.location, "duplicate virtual_server_group '\(nameTok.text)' (first at \(prev.0))")
            return
        }
        var entries: [GroupEntry] = []
        for e in block {
            noBlock(e)
            if e.keyword.text == "fwmark" {
                guard let m = integer(e, 1...Int64(UInt32.max), what: "mark", last: false) else { continue }
                var fam: AddressFamily?
                if let f = e.args.dropFirst().first {
                    switch f.text {
                    case "inet": fam = .inet
                    case "inet6": fam = .inet6
                    default: error(f.location, "fwmark: expected inet or inet6, got '\(f.text)'")
                    }
                }
                noMoreArgs(e, after: 2)
                entries.append(.fwmark(UInt32(m), fam))
                continue
            }
            var port: UInt16?
            if let p = e.args.first { port = self.port(p, name: "virtual_server_group port") }
            noMoreArgs(e, after: 1)
            guard let addrs = expandRange(e.keyword) else { continue }
            for a in addrs { entries.append(.address(a, port: port)) }
        }
        groups[nameTok.text] = (nameTok.location, entries)
    }

    static func v4(_ x: UInt32) -> IPAddress {
        .v4(UInt8(x >> 24), UInt8((x >> 16) & 0xFF), UInt8((x >> 8) & 0xFF), UInt8(x & 0xFF))
    }

    /// IPv4 `a.b.c.d`, `a.b.c.d-e`, `a.b.c.d/nn`; IPv6 single or `x::y-z` (last group).
    private mutating func expandRange(_ t: Token) -> [IPAddress]? {
        let text = t.text
        if let a = IPAddress(text) { return [a] }
        if let slash = text.firstIndex(of: "/"), let base = IPAddress(text[..<slash]), case let .v4(a, b, c, d) = base,
           let len = Int(text[text.index(after: slash)...]), (8...32).contains(len) {
            let v = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
            let mask: UInt32 = len == 32 ? ~0 : ~(UInt32.max >> UInt32(len))
            let first = v & mask, count = UInt64(1) << UInt64(32 - len)
            return (0..<count).map { Self.v4(first &+ UInt32($0)) }
        }
        if let dash = text.lastIndex(of: "-") {
            let head = String(text[..<dash]), tail = String(text[text.index(after: dash)...])
            if let base = IPAddress(head) {
                switch base {
                case let .v4(a, b, c, d):
                    if let end = UInt8(tail), end >= d {
                        return (d...end).map { .v4(a, b, c, $0) }
                    }
                    if let endAddr = IPAddress(tail), case let .v4(e0, e1, e2, e3) = endAddr {
                        let s = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
                        let e = UInt32(e0) << 24 | UInt32(e1) << 16 | UInt32(e2) << 8 | UInt32(e3)
                        if e >= s && e - s < 65536 {
                            return (s...e).map(Self.v4)
                        }
                    }
                case let .v6(bytes):
                    if let end = UInt16(tail, radix: 16) {
                        let start = UInt16(bytes[14]) << 8 | UInt16(bytes[15])
                        if end >= start {
                            return (start...end).map { v in
                                var b = bytes
                                b[14] = UInt8(v >> 8); b[15] = UInt8(v & 0xFF)
                                return .v6(bytes: b)
                            }
                        }
                    }
                }
            }
        }
        error(t.location, "invalid virtual_server_group address or range '\(text)'")
        return nil
    }

    // MARK: virtual_server

    /// What a virtual_server block's statements said, before the defaults and the real servers
    /// are resolved against each other.
    private struct VirtualServerStatements {
        var cascade = InheritedSettings()
        var proto: TransportProtocol?
        var forwarding: ForwardingMethod?
        var scheduler: String?
        var family: AddressFamily?
        var schedFlags: [(Token, String)] = []
        var granularityTok: Token?
        var sorryForwarding: ForwardingMethod?
        var sorryLoc: SourceLocation?
        var pending: [PendingRS] = []
        var seenRS: [DestinationKey: SourceLocation] = [:]
        var hysteresisSet = false
    }

    private mutating func parseVirtualServer(_ st: Statement) -> VirtualServerConfig? {
        guard let first = arg(st, what: "address, 'fwmark N' or 'group NAME'") else { return nil }
        let vsAddr = virtualServerAddress(st, first)
        guard let block = st.block else {
            error(st.location, "virtual_server: missing '{' block")
            return nil
        }
        var vs = VirtualServerConfig(
            location: st.location, address: vsAddr ?? .fwmark(0), services: [], proto: .udp, scheduler: "",
            flags: [], forwarding: .masquerade, persistenceTimeout: nil, persistenceGranularity: nil,
            persistenceEngine: nil, delayLoop: .seconds(60), inhibitOnFailure: false, alpha: false, omega: false,
            quorum: 1, hysteresis: 0, quorumUp: nil, quorumDown: nil, sorryServer: nil, virtualhost: nil,
            haSuspend: false, realServers: [])
        var said = VirtualServerStatements()
        for s in block { virtualServerStatement(s, vsAddr: vsAddr, into: &vs, &said) }
        if let sorryLoc = said.sorryLoc {
            if vs.sorryServer == nil { error(sorryLoc, "sorry_server_inhibit without sorry_server") } else { vs.sorryServer!.inhibit = true }
        }
        applyVirtualServerDefaults(st, said, to: &vs)
        resolveRealServers(said, in: &vs)
        checkQuorum(st, said, &vs)
        let vsFamily = virtualServerFamily(st, vs, given: said.family)
        applyPersistence(said.granularityTok, family: vsFamily, to: &vs, st)
        vs.services = kernelServices(of: vs, family: vsFamily, st)
        if vsAddr == nil { return nil }
        return vs
    }

    /// `virtual_server ADDRESS [PORT]`, `virtual_server fwmark N`, `virtual_server group NAME`.
    private mutating func virtualServerAddress(_ st: Statement, _ first: Token) -> VirtualServerAddress? {
        var vsAddr: VirtualServerAddress?
        switch first.text {
        case "fwmark":
            if let m = integer(st, 1...Int64(UInt32.max), index: 1, what: "mark", last: false) { vsAddr = .fwmark(UInt32(m)) }
            noMoreArgs(st, after: 2)
        case "group":
            if let g = arg(st, 1, what: "group name") {
                if groups[g.text] == nil { error(g.location, "unknown virtual_server_group '\(g.text)'") } else { vsAddr = .group(g.text) }
            }
            noMoreArgs(st, after: 2)
        default:
            let ip = self.address(first, what: "virtual server")
            var p: UInt16 = 0
            if st.args.count > 1, let v = port(st.args[1], name: "virtual server port") { p = v }
            noMoreArgs(st, after: 2)
            if let ip { vsAddr = .address(ip, port: p) }
        }
        return vsAddr
    }

    /// One statement of a virtual_server block: a real server, a setting its checkers inherit,
    /// the kernel service's, the quorum's or the sorry server's.
    private mutating func virtualServerStatement(_ s: Statement, vsAddr: VirtualServerAddress?,
                                                 into vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) {
        let kw = s.keyword.text
        if kw == "real_server" { addRealServer(s, vsAddr: vsAddr, &said); return }
        if cascadedKeyword(s, kw, &vs, &said) || serviceKeyword(s, kw, &vs, &said)
            || quorumKeyword(s, kw, &vs, &said) || sorryServerKeyword(s, kw, &vs, &said) { return }
        if Self.checkerKeywords.contains(kw) {
            error(s.location, "\(kw) must be inside a real_server block")
        } else {
            error(s.location, "unknown keyword '\(kw)' in virtual_server")
        }
    }

    /// `real_server`: read, unless the virtual server has one with its address and port already.
    private mutating func addRealServer(_ s: Statement, vsAddr: VirtualServerAddress?, _ said: inout VirtualServerStatements) {
        guard var rs = parseRealServer(s, vsAddress: vsAddr) else { return }
        if let prev = said.seenRS[rs.config.key] {
            error(s.location, "duplicate real_server \(rs.config.key) (first at \(prev))")
            return
        }
        said.seenRS[rs.config.key] = s.location
        if rs.config.weight < 0 { rs.config.weight = 1 }
        said.pending.append(rs)
    }

    /// The virtual server's settings its real servers and checkers inherit (delay_loop, retry,
    /// alpha, virtualhost…). False when `kw` is none of them.
    private mutating func cascadedKeyword(_ s: Statement, _ kw: String, _ vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) -> Bool {
        switch kw {
        case "delay_loop": said.cascade.delayLoop = timer(s, allowZero: false) ?? said.cascade.delayLoop
        case "delay_before_retry": said.cascade.delayBeforeRetry = timer(s, allowZero: true) ?? said.cascade.delayBeforeRetry
        case "warmup": said.cascade.warmup = timer(s, allowZero: true) ?? said.cascade.warmup
        case "connect_timeout": said.cascade.connectTimeout = timer(s, allowZero: false, limit: StatementReader.checkerTimerLimit) ?? said.cascade.connectTimeout
        case "retry": if let v = integer(s, 1...Int64(UInt32.max)) { said.cascade.retry = Int(v) }
        case "nb_get_retry":
            warn(s.location, "nb_get_retry is deprecated - please use 'retry'")
            if let v = integer(s, 1...Int64(UInt32.max)) { said.cascade.retry = Int(v) }
        case "inhibit_on_failure": said.cascade.inhibit = virtualServerSwitch(s)
        case "alpha": said.cascade.alpha = virtualServerSwitch(s); vs.alpha = true
        case "virtualhost": said.cascade.virtualhost = string(s)
        default: return false
        }
        return true
    }

    /// The kernel service's keywords: scheduler and its flags, forwarding, protocol, family,
    /// persistence. False when `kw` is none of them.
    private mutating func serviceKeyword(_ s: Statement, _ kw: String, _ vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) -> Bool {
        switch kw {
        case "lb_algo", "lvs_sched":
            if let v = string(s) {
                if Self.schedulers.contains(v) { said.scheduler = v } else { error(s.args[0].location, "\(kw): unknown scheduler '\(v)'") }
            }
        case "lb_kind", "lvs_method": said.forwarding = tunnelMethod(s) ?? said.forwarding
        case "protocol":
            if let v = string(s) {
                switch v.uppercased() {
                case "TCP": said.proto = .tcp
                case "UDP": said.proto = .udp
                case "SCTP": said.proto = .sctp
                default: error(s.args[0].location, "protocol: unknown protocol '\(v)' (TCP, UDP or SCTP)")
                }
            }
        case "ip_family":
            if let v = string(s) {
                switch v {
                case "inet": said.family = .inet
                case "inet6": said.family = .inet6
                default: error(s.args[0].location, "ip_family: expected inet or inet6, got '\(v)'")
                }
            }
        default: return persistenceKeyword(s, kw, &vs, &said) || schedulerFlagKeyword(s, kw, &vs, &said)
        }
        return true
    }

    /// persistence_timeout, persistence_granularity, persistence_engine. False when `kw` is
    /// none of them.
    private mutating func persistenceKeyword(_ s: Statement, _ kw: String, _ vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) -> Bool {
        switch kw {
        case "persistence_timeout":
            noBlock(s)
            if s.args.isEmpty { vs.persistenceTimeout = Service.defaultPersistenceTimeout }
            else if let v = integer(s, 1...Int64(UInt32.max)) { vs.persistenceTimeout = UInt32(v) }
        case "persistence_granularity":
            noBlock(s)
            said.granularityTok = arg(s)
            noMoreArgs(s, after: 1)
        case "persistence_engine": vs.persistenceEngine = string(s)
        default: return false
        }
        return true
    }

    /// The scheduler's flags (ops, flag-N, sh-/mh- flags) and the keywords keepalived reads and
    /// ignores beside them (hashed, weight). False when `kw` is none of them.
    private mutating func schedulerFlagKeyword(_ s: Statement, _ kw: String, _ vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) -> Bool {
        switch kw {
        case "ops": noBlock(s); noMoreArgs(s, after: 0); vs.flags.insert(.onePacket)
        case "hashed":
            noBlock(s); noMoreArgs(s, after: 0)
            warn(s.location, "hashed has no effect; ignored (keepalived 2.2.7: \"hashed only applies to sh scheduler - ignoring\")")
        case "flag-1": noBlock(s); noMoreArgs(s, after: 0); vs.flags.insert(.schedulerFlag1)
        case "flag-2": noBlock(s); noMoreArgs(s, after: 0); vs.flags.insert(.schedulerFlag2)
        case "flag-3": noBlock(s); noMoreArgs(s, after: 0); vs.flags.insert(.schedulerFlag3)
        case "sh-port", "sh-fallback", "mh-port", "mh-fallback":
            noBlock(s); noMoreArgs(s, after: 0)
            said.schedFlags.append((s.keyword, kw))
        case "weight":
            warn(s.location, "virtual_server weight is ignored (set weight on each real_server)")
            _ = integer(s, 0...65535)
        default: return false
        }
        return true
    }

    /// quorum, hysteresis and their scripts, omega, ha_suspend, and the alerting keywords
    /// (read, not used). False when `kw` is none of them.
    private mutating func quorumKeyword(_ s: Statement, _ kw: String, _ vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) -> Bool {
        switch kw {
        case "omega": vs.omega = virtualServerSwitch(s)
        case "quorum": if let v = integer(s, 1...Int64(UInt32.max)) { vs.quorum = v }
        case "hysteresis": if let v = integer(s, 0...Int64(UInt32.max)) { vs.hysteresis = v; said.hysteresisSet = true }
        case "quorum_up": vs.quorumUp = script(s)
        case "quorum_down": vs.quorumDown = script(s)
        case "ha_suspend": noBlock(s); noMoreArgs(s, after: 0); vs.haSuspend = true
        case "smtp_alert": _ = flag(s)
        case "snmp_name": _ = string(s)
        default: return false
        }
        return true
    }

    /// sorry_server, sorry_server_inhibit, sorry_server_lvs_method. False when `kw` is none of them.
    private mutating func sorryServerKeyword(_ s: Statement, _ kw: String, _ vs: inout VirtualServerConfig, _ said: inout VirtualServerStatements) -> Bool {
        switch kw {
        case "sorry_server":
            noBlock(s)
            guard let a = arg(s, what: "address"), let ip = address(a, what: "sorry server") else { return true }
            var p: UInt16 = 0
            if s.args.count > 1, let v = port(s.args[1], name: "sorry server port") { p = v }
            noMoreArgs(s, after: 2)
            vs.sorryServer = SorryServerConfig(location: s.location, address: ip, port: p, forwarding: .masquerade, inhibit: false)
        case "sorry_server_inhibit":
            noBlock(s)
            _ = flag(s)
            said.sorryLoc = s.location
        case "sorry_server_lvs_method": said.sorryForwarding = tunnelMethod(s) ?? said.sorryForwarding
        default: return false
        }
        return true
    }

    /// A virtual_server's `alpha`, `omega` or `inhibit_on_failure`: keepalived 2.2.7 turns it
    /// on whatever follows the keyword (`alpha 1`, `omega yes`, even `alpha off`); a value that
    /// reads as off is warned about, since it does not do what it says.
    private mutating func virtualServerSwitch(_ s: Statement) -> Bool {
        noBlock(s)
        if let t = s.args.first, ["off", "false", "no", "0"].contains(t.text.lowercased()) {
            warn(t.location, "\(s.keyword.text) '\(t.text)': keepalived 2.2.7 ignores the value of a virtual_server's \(s.keyword.text) and turns it on; so does swiftvs (remove the line to leave it off)")
        }
        return true
    }

    /// The defaults keepalived fills in once the block is read: protocol, scheduler and its
    /// flags, forwarding, and the virtual server's share of the cascaded settings.
    private mutating func applyVirtualServerDefaults(_ st: Statement, _ said: VirtualServerStatements,
                                                     to vs: inout VirtualServerConfig) {
        if said.proto == nil, case .address = vs.address {
            warn(st.location, "no protocol set - defaulting to UDP (as keepalived 2.2 does)")
        }
        if said.proto == nil, case .group = vs.address, let g = groups[vs.address.groupName ?? ""], g.1.contains(where: { if case .address = $0 { return true } else { return false } }) {
            warn(st.location, "no protocol set - defaulting to UDP (as keepalived 2.2 does)")
        }
        vs.proto = said.proto ?? .udp
        vs.scheduler = said.scheduler ?? Service.defaultScheduler
        vs.forwarding = said.forwarding ?? .masquerade
        for (tok, name) in said.schedFlags {
            let needs = String(name.prefix(2))
            guard vs.scheduler == needs else {
                warn(tok.location, "\(name) only applies to the \(needs) scheduler - ignored")
                continue
            }
            switch name {
            case "sh-port": vs.flags.insert(.shPort)
            case "sh-fallback": vs.flags.insert(.shFallback)
            case "mh-port": vs.flags.insert(.mhPort)
            default: vs.flags.insert(.mhFallback)
            }
        }
        if vs.flags.contains(.onePacket) && vs.proto != .udp, case .address = vs.address {
            warn(st.location, "ops (one-packet scheduling) only applies to UDP services")
        }
        vs.delayLoop = said.cascade.delayLoop ?? .seconds(60)
        vs.inhibitOnFailure = said.cascade.inhibit ?? false
        vs.virtualhost = said.cascade.virtualhost
    }

    /// Real servers: forwarding and cascaded checker settings; the sorry server's forwarding.
    private mutating func resolveRealServers(_ said: VirtualServerStatements, in vs: inout VirtualServerConfig) {
        vs.realServers.reserveCapacity(vs.realServers.count + said.pending.count)
        for var p in said.pending {
            p.config.forwarding = p.forwarding ?? vs.forwarding
            let rsCascade = p.cascade.over(said.cascade)
            p.config.inhibitOnFailure = rsCascade.inhibit ?? false
            p.config.alpha = rsCascade.alpha ?? false
            p.config.virtualhost = rsCascade.virtualhost
            // Checkers connect to the port as written: keepalived copies the real server's
            // address to a checker when it reads it, before the corrections below.
            p.config.checkers = p.checkers.map { resolve($0, rs: p.config, cascade: $0.cascade.over(rsCascade)) }
            fixRealServerPort(&p.config, of: vs)
            vs.realServers.append(p.config)
        }
        if var sorry = vs.sorryServer {
            sorry.forwarding = said.sorryForwarding ?? vs.forwarding
            vs.sorryServer = sorry
        }
    }

    /// keepalived's port corrections (check_data.c): a NAT real server without a port takes the
    /// virtual server's; otherwise a fwmark service's real servers have port 0 ("has port
    /// specified - clearing") and an address service's the service's port ("ports don't match -
    /// resetting"), each correction warned about as keepalived reports it.
    private mutating func fixRealServerPort(_ rs: inout RealServerConfig, of vs: VirtualServerConfig) {
        switch vs.address {
        case let .group(name):
            if case .masquerade = rs.forwarding { return }
            let marks = groups[name]?.1.contains { if case .fwmark = $0 { return true } else { return false } } ?? false
            if marks && rs.port != 0 {
                warn(rs.location, "fwmark virtual server group \(name), real server \(rs.key) has port specified - port will be ignored (as keepalived says)")
            }
        case .fwmark:
            if case .masquerade = rs.forwarding { return }
            if rs.port != 0 {
                warn(rs.location, "fwmark virtual server \(vs.address), real server \(rs.key) has port specified - clearing (as keepalived does)")
                rs.port = 0
            }
        case let .address(_, port):
            if rs.port == 0 {
                rs.port = port
            } else if rs.port != port {
                if case .masquerade = rs.forwarding { return }
                warn(rs.location, "virtual server port \(port) and real server \(rs.key) port don't match - resetting to \(port) (as keepalived does; only NAT maps ports)")
                rs.port = port
            }
        }
    }

    /// keepalived's corrections of quorum and hysteresis, once the real servers are known: a
    /// quorum above the real servers' total weight is lowered to it, a hysteresis not below the
    /// quorum to quorum - 1; and the protocol of a fwmark service, which is ignored.
    private mutating func checkQuorum(_ st: Statement, _ said: VirtualServerStatements, _ vs: inout VirtualServerConfig) {
        // keepalived drops a virtual server without real servers before it looks at its quorum.
        guard !vs.realServers.isEmpty else { return }
        let total = vs.realServers.reduce(Int64(0)) { $0 + Int64($1.weight) }
        if vs.quorum > total {
            warn(st.location, "quorum \(vs.quorum) exceeds total weight of real servers \(total), reducing quorum to \(total) (as keepalived does)")
            vs.quorum = total
        }
        if vs.hysteresis >= vs.quorum {
            let h = vs.quorum == 0 ? Int64(UInt32.max) : vs.quorum - 1
            if said.hysteresisSet || vs.hysteresis != 0 || vs.quorum == 0 {
                warn(st.location, "hysteresis \(vs.hysteresis) >= quorum \(vs.quorum); setting hysteresis to \(h) (as keepalived does)")
            }
            vs.hysteresis = h
        }
        if said.proto != nil, case let .fwmark(mark) = vs.address, mark != 0 {
            warn(st.location, "protocol specified for fwmark - protocol will be ignored (as keepalived does)")
        }
    }

    /// Address family: the VS address, else ip_family, else the non-tunnelled real servers;
    /// reports real and sorry servers of another family (tunnelled ones may differ).
    private mutating func virtualServerFamily(_ st: Statement, _ vs: VirtualServerConfig, given family: AddressFamily?) -> AddressFamily {
        let vsFamily: AddressFamily
        switch vs.address {
        case let .address(ip, _):
            vsFamily = ip.family
            if let family, family != ip.family { error(st.location, "ip_family \(family == .inet ? "inet" : "inet6") conflicts with the virtual server address") }
        default:
            let direct = vs.realServers.filter { if case .tunnel = $0.forwarding { return false } else { return true } }
            if let family { vsFamily = family }
            else if let f = direct.first?.address.family { vsFamily = f }
            else if let f = vs.sorryServer?.address.family { vsFamily = f }
            else {
                let fams = Set(vs.realServers.map(\.address.family))
                vsFamily = fams.count == 1 ? fams.first! : .inet
            }
        }
        for rs in vs.realServers {
            if case .tunnel = rs.forwarding { continue }
            if rs.address.family != vsFamily {
                error(rs.location, "real server \(rs.key) address family differs from the virtual server's (only tunnelled real servers may differ)")
            }
        }
        if let sorry = vs.sorryServer, sorry.address.family != vsFamily {
            if case .tunnel = sorry.forwarding {} else {
                error(sorry.location, "sorry server \(sorry.address) address family differs from the virtual server's")
            }
        }
        return vsFamily
    }

    /// persistence_granularity (a contiguous IPv4 netmask, or an IPv6 prefix length), and the
    /// persistence a zero port implies.
    private mutating func applyPersistence(_ granularity: Token?, family vsFamily: AddressFamily,
                                           to vs: inout VirtualServerConfig, _ st: Statement) {
        if let g = granularity {
            if vsFamily == .inet {
                if let m = IPAddress(g.text), case let .v4(a, b, c, d) = m {
                    let v = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
                    if v == 0 || (~v & (~v &+ 1)) != 0 {
                        error(g.location, "persistence_granularity: netmask '\(g.text)' is not contiguous")
                    } else {
                        vs.persistenceGranularity = v
                    }
                } else {
                    error(g.location, "persistence_granularity: invalid IPv4 netmask '\(g.text)'")
                }
            } else if let v = integer(g, 1...128, name: "persistence_granularity") {
                vs.persistenceGranularity = UInt32(v)
            }
            if vs.persistenceTimeout == nil { vs.persistenceTimeout = Service.defaultPersistenceTimeout }
        }
        if case let .address(_, port) = vs.address, port == 0, vs.persistenceTimeout == nil {
            warn(st.location, "zero port only valid for persistent services - making it persistent (\(Service.defaultPersistenceTimeout)s)")
            vs.persistenceTimeout = Service.defaultPersistenceTimeout
        }
    }

    /// The kernel services the virtual server stands for (one, or one per group entry).
    private mutating func kernelServices(of vs: VirtualServerConfig, family vsFamily: AddressFamily, _ st: Statement) -> [Service] {
        var keys: [ServiceKey] = []
        switch vs.address {
        case let .address(ip, port): keys = [.address(vs.proto, ip, port: port)]
        case let .fwmark(m): keys = [.fwmark(m, family: vsFamily)]
        case let .group(name):
            for e in groups[name]?.1 ?? [] {
                switch e {
                case let .address(ip, port):
                    if port == nil && vs.persistenceTimeout == nil {
                        error(st.location, "group \(name) entry \(ip) has no port: the virtual server must be persistent")
                    }
                    keys.append(.address(vs.proto, ip, port: port ?? 0))
                case let .fwmark(m, fam): keys.append(.fwmark(m, family: fam ?? vsFamily))
                }
            }
        }
        return keys.map { key in
            var svc = Service(key: key, scheduler: vs.scheduler, flags: vs.flags, persistenceEngine: vs.persistenceEngine)
            if let t = vs.persistenceTimeout { svc.persistence = t }
            if let g = vs.persistenceGranularity, key.family == vsFamily { svc.netmask = g }
            return svc
        }
    }

    // MARK: real_server

    private mutating func parseRealServer(_ st: Statement, vsAddress: VirtualServerAddress?) -> PendingRS? {
        guard let a = arg(st, what: "address") else { return nil }
        let ip = address(a, what: "real server")
        var p: UInt16 = 0
        if st.args.count > 1, let v = port(st.args[1], name: "real server port") { p = v }
        noMoreArgs(st, after: 2)
        guard let ip else { return nil }
        var rs = PendingRS(config: RealServerConfig(
            location: st.location, address: ip, port: p, weight: 1, forwarding: .masquerade, upperThreshold: 0,
            lowerThreshold: 0, inhibitOnFailure: false, alpha: false, notifyUp: nil, notifyDown: nil,
            virtualhost: nil, checkers: []))
        guard let block = st.block else { return rs }
        for s in block {
            let kw = s.keyword.text
            switch kw {
            case "weight": if let v = integer(s, 0...Int64(Int32.max)) { rs.config.weight = Int32(v) }
            case "lvs_method", "lb_kind": rs.forwarding = tunnelMethod(s) ?? rs.forwarding
            case "uthreshold": if let v = integer(s, 0...Int64(UInt32.max)) { rs.config.upperThreshold = UInt32(v) }
            case "lthreshold": if let v = integer(s, 0...Int64(UInt32.max)) { rs.config.lowerThreshold = UInt32(v) }
            case "inhibit_on_failure": if let b = flag(s) { rs.cascade.inhibit = b }
            case "alpha": if let b = flag(s) { rs.cascade.alpha = b }
            case "notify_up": rs.config.notifyUp = script(s)
            case "notify_down": rs.config.notifyDown = script(s)
            case "retry": if let v = integer(s, 1...Int64(UInt32.max)) { rs.cascade.retry = Int(v) }
            case "delay_before_retry": rs.cascade.delayBeforeRetry = timer(s, allowZero: true) ?? rs.cascade.delayBeforeRetry
            case "warmup": rs.cascade.warmup = timer(s, allowZero: true) ?? rs.cascade.warmup
            case "delay_loop": rs.cascade.delayLoop = timer(s, allowZero: false) ?? rs.cascade.delayLoop
            case "connect_timeout": rs.cascade.connectTimeout = timer(s, allowZero: false, limit: StatementReader.checkerTimerLimit) ?? rs.cascade.connectTimeout
            case "virtualhost": rs.cascade.virtualhost = string(s)
            case "smtp_alert": _ = flag(s)
            case "snmp_name": _ = string(s)
            case "TCP_CHECK", "HTTP_GET", "SSL_GET", "MISC_CHECK", "PING_CHECK", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK":
                rs.checkers += parseChecker(s)
            case "FILE_CHECK":
                if let c = parseFileCheck(s) { rs.checkers.append(c) }
            case "BFD_CHECK":
                warn(s.location, "BFD_CHECK: BFD is not implemented by swiftvs; checker ignored")
            default:
                error(s.location, "unknown keyword '\(kw)' in real_server")
            }
        }
        if rs.config.upperThreshold != 0 && rs.config.lowerThreshold > rs.config.upperThreshold {
            error(st.location, "lthreshold \(rs.config.lowerThreshold) is above uthreshold \(rs.config.upperThreshold)")
        }
        return rs
    }

    // MARK: checkers

    /// A checker block's own settings while it is read (keepalived's checker-specific data),
    /// made the checker's kind at the block's end (`finishChecker`).
    private struct CheckerBlock {
        /// TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, PING_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK.
        let keyword: String
        var http: HTTPCheckConfig
        var misc = MiscCheckConfig(path: "", command: .exec([]), timeout: nil, dynamic: false, user: nil, group: nil)
        var miscPathSeen = false
        var smtp = SMTPCheckConfig(heloName: "smtpchecker.keepalived.org")
        var smtpHosts: [PendingChecker] = []
        var dns = DNSCheckConfig(type: .soa, name: "")
        var dnsNameSeen = false
        var udp = UDPCheckConfig(payload: nil, requireReply: false, reply: nil, replyMask: nil, minReplyLength: 0, maxReplyLength: 255)

        init(keyword: String) {
            self.keyword = keyword
            http = HTTPCheckConfig(urls: [], version: .http10, virtualhost: nil, fastRecovery: false, tls: keyword == "SSL_GET", enableSNI: false)
        }

        /// The checker's kind before its block is read.
        var kind: CheckerConfig.Kind {
            switch keyword {
            case "TCP_CHECK": return .tcp
            case "PING_CHECK": return .ping
            case "MISC_CHECK": return .misc(misc)
            case "SMTP_CHECK": return .smtp(smtp)
            case "DNS_CHECK": return .dns(dns)
            case "UDP_CHECK": return .udp(udp)
            default: return .http(http)
            }
        }
    }

    /// One checker block; SMTP_CHECK's deprecated `host { }` sub-blocks each make a checker of
    /// their own, as keepalived 2.2.7 turns them into one.
    private mutating func parseChecker(_ st: Statement) -> [PendingChecker] {
        noMoreArgs(st, after: 0)
        var block = CheckerBlock(keyword: st.keyword.text)
        var c = PendingChecker(location: st.location, kind: block.kind)
        let connection = block.keyword != "MISC_CHECK"
        for s in st.block ?? [] where !commonCheckerKeyword(s, into: &c, connection: connection) && !checkerKeyword(s, &block, &c) {
            error(s.location, "unknown keyword '\(s.keyword.text)' in \(block.keyword)")
        }
        return finishChecker(st, &block, c)
    }

    /// A keyword of the block's own kind of checker. False when `s` is none of them.
    private mutating func checkerKeyword(_ s: Statement, _ b: inout CheckerBlock, _ c: inout PendingChecker) -> Bool {
        switch b.keyword {
        case "MISC_CHECK": return miscKeyword(s, &b)
        case "HTTP_GET", "SSL_GET": return httpKeyword(s, &b)
        case "SMTP_CHECK": return smtpKeyword(s, &b, &c)
        case "DNS_CHECK": return dnsKeyword(s, &b)
        case "UDP_CHECK": return udpKeyword(s, &b)
        default: return false
        }
    }

    /// MISC_CHECK's misc_path, misc_timeout, misc_dynamic, user. False when `s` is none of them.
    private mutating func miscKeyword(_ s: Statement, _ b: inout CheckerBlock) -> Bool {
        switch s.keyword.text {
        case "misc_path":
            b.miscPathSeen = true
            if let sc = script(s, allowUser: false) {
                b.misc.path = sc.text
                b.misc.command = sc.command
            }
        case "misc_timeout": b.misc.timeout = timer(s, allowZero: false) ?? b.misc.timeout
        case "misc_dynamic": noBlock(s); noMoreArgs(s, after: 0); b.misc.dynamic = true
        case "user":
            noBlock(s)
            if let u = arg(s, what: "user name") { b.misc.user = u.text }
            if s.args.count > 1 { b.misc.group = s.args[1].text }
            noMoreArgs(s, after: 2)
        default: return false
        }
        return true
    }

    /// HTTP_GET's and SSL_GET's url, http_protocol, fast_recovery, virtualhost; SSL_GET's
    /// enable_sni. False when `s` is none of them.
    private mutating func httpKeyword(_ s: Statement, _ b: inout CheckerBlock) -> Bool {
        switch s.keyword.text {
        case "url":
            if let u = parseURL(s) { b.http.urls.append(u) }
        case "http_protocol":
            if let v = string(s) {
                if let p = HTTPCheckConfig.ProtocolVersion(rawValue: v) { b.http.version = p } else { error(s.args[0].location, "http_protocol: expected 1.0, 1.0C or 1.1, got '\(v)'") }
            }
        case "fast_recovery": if let on = flag(s) { b.http.fastRecovery = on }
        case "virtualhost": b.http.virtualhost = string(s)
        case "enable_sni" where b.keyword == "SSL_GET": if let on = flag(s) { b.http.enableSNI = on }
        default: return false
        }
        return true
    }

    /// SMTP_CHECK's helo_name and `host { }`. False when `s` is neither.
    private mutating func smtpKeyword(_ s: Statement, _ b: inout CheckerBlock, _ c: inout PendingChecker) -> Bool {
        switch s.keyword.text {
        case "helo_name":
            noBlock(s)
            if s.args.isEmpty { error(s.location, "SMTP_CHECK helo name missing") } else { b.smtp.heloName = s.args.map(\.text).joined(separator: " ") }
        case "host":
            b.smtpHosts.append(parseSMTPHost(s, checker: &c))
        default: return false
        }
        return true
    }

    /// DNS_CHECK's type and name. False when `s` is neither.
    private mutating func dnsKeyword(_ s: Statement, _ b: inout CheckerBlock) -> Bool {
        switch s.keyword.text {
        case "type":
            if let t = string(s) {
                if let v = DNSQuestionType(name: t) { b.dns.type = v } else { error(s.args[0].location, "Unknown DNS check type \(t) - ignoring") }
            }
        case "name":
            if let n = string(s) {
                if b.dnsNameSeen { error(s.location, "DNS_CHECK name already specified - ignoring") }
                else if (n.hasPrefix(".") && n != ".") || n.contains("..") { error(s.args[0].location, "DNS_CHECK name '\(n)' has empty label - ignoring") }
                else { b.dns.name = n; b.dnsNameSeen = true }
            }
        default: return false
        }
        return true
    }

    /// UDP_CHECK's payload, require_reply, min_reply_length, max_reply_length. False when `s`
    /// is none of them.
    private mutating func udpKeyword(_ s: Statement, _ b: inout CheckerBlock) -> Bool {
        switch s.keyword.text {
        case "payload":
            noBlock(s)
            if s.args.isEmpty { error(s.location, "UDP_CHECK payload requires a payload"); return true }
            if let h = UDPChecker.hexBytes(s.args.map(\.text).joined(separator: " "), wildcards: false) { b.udp.payload = h.bytes }
            else { error(s.args[0].location, "Invalid hex string for UDP_CHECK payload") }
        case "require_reply":
            noBlock(s)
            b.udp.requireReply = true
            guard !s.args.isEmpty else { return true }
            if let h = UDPChecker.hexBytes(s.args.map(\.text).joined(separator: " "), wildcards: true) { b.udp.reply = h.bytes; b.udp.replyMask = h.mask }
            else { error(s.args[0].location, "Invalid hex string for UDP_CHECK reply") }
        case "min_reply_length": if let v = integer(s, 0...65535) { b.udp.minReplyLength = Int(v) }
        case "max_reply_length": if let v = integer(s, 0...65535) { b.udp.maxReplyLength = Int(v) }
        default: return false
        }
        return true
    }

    /// The checkers a block makes once it is read: `c` with its kind's settings, after the
    /// checks keepalived makes at a block's end; none for a MISC_CHECK without misc_path.
    private mutating func finishChecker(_ st: Statement, _ b: inout CheckerBlock, _ c: PendingChecker) -> [PendingChecker] {
        var c = c
        switch b.keyword {
        case "MISC_CHECK":
            guard finishMisc(st, &b.misc, miscPathSeen: b.miscPathSeen, &c) else { return [] }
        case "HTTP_GET", "SSL_GET":
            if b.http.urls.isEmpty {
                warn(st.location, "\(b.keyword) has no url; checker disabled")
                c.enabled = false
            }
            if b.http.tls { readSSLGet = true }   // its `ssl`: given by `finish`
            c.kind = .http(b.http)
        case "SMTP_CHECK":
            return smtpCheckers(st, b.smtp, hosts: b.smtpHosts, block: c)
        case "DNS_CHECK": c.kind = .dns(b.dns)
        case "UDP_CHECK":
            if b.udp.minReplyLength > b.udp.maxReplyLength {
                error(st.location, "UDP_CHECK min_reply length \(b.udp.minReplyLength) > max_reply_length \(b.udp.maxReplyLength) - will always fail")
            }
            c.kind = .udp(b.udp)
        default:
            break
        }
        return [c]
    }

    /// SMTP_CHECK's checkers: the block's own, and one per `host { }`. Each host is a copy of
    /// the whole block (whatever order its keywords came in), with its own connection and
    /// connect_timeout; with hosts, the block's own checker is kept only when it set a
    /// connection of its own, as keepalived does.
    private mutating func smtpCheckers(_ st: Statement, _ smtp: SMTPCheckConfig, hosts: [PendingChecker],
                                       block c: PendingChecker) -> [PendingChecker] {
        var c = c
        c.kind = .smtp(smtp)
        guard !hosts.isEmpty else { return [c] }
        var hosts = hosts
        for i in hosts.indices {
            let timeout = hosts[i].cascade.connectTimeout
            hosts[i].cascade = c.cascade
            hosts[i].cascade.connectTimeout = timeout
            hosts[i].kind = .smtp(smtp)
        }
        warn(st.location, "The SMTP_CHECK host block is deprecated. Please define additional checkers.")
        let own = !c.connect.isEmpty || !c.bind.isEmpty
            || c.bindInterface != nil || c.fwmark != nil || c.cascade.connectTimeout != nil
        return (own ? [c] : []) + hosts
    }

    /// The keywords every checker block shares (keepalived's install_checker_common_keywords);
    /// `connection` adds connect_ip, connect_port, bindto, bind_port, bind_if, connect_timeout and
    /// fwmark. False when `s` is none of them.
    private mutating func commonCheckerKeyword(_ s: Statement, into c: inout PendingChecker, connection: Bool) -> Bool {
        checkerSettingKeyword(s, into: &c) || (connection && connectionKeyword(s, into: &c))
    }

    /// The common keywords that set the checker itself (keepalived's `CHECKER_GET_CURRENT()`:
    /// alpha, retry, delay_before_retry, warmup, delay_loop, log_all_failures), not its
    /// connection. False when `s` is none of them.
    private mutating func checkerSettingKeyword(_ s: Statement, into c: inout PendingChecker) -> Bool {
        switch s.keyword.text {
        case "alpha": if let b = flag(s) { c.cascade.alpha = b }
        case "retry": if let v = integer(s, 0...Int64(UInt32.max)) { c.cascade.retry = Int(v) }
        case "nb_get_retry":
            warn(s.location, "nb_get_retry is deprecated - please use 'retry'")
            if let v = integer(s, 0...Int64(UInt32.max)) { c.cascade.retry = Int(v) }
        case "delay_before_retry": c.cascade.delayBeforeRetry = timer(s, allowZero: true) ?? c.cascade.delayBeforeRetry
        case "warmup": c.cascade.warmup = timer(s, allowZero: true) ?? c.cascade.warmup
        case "delay_loop": c.cascade.delayLoop = timer(s, allowZero: false) ?? c.cascade.delayLoop
        case "log_all_failures": _ = flag(s)
        default: return false
        }
        return true
    }

    /// The connection keywords (keepalived's `CHECKER_GET_CO()`: connect_ip, connect_port,
    /// bindto, bind_port, bind_if, connect_timeout, fwmark). False when `s` is none of them.
    private mutating func connectionKeyword(_ s: Statement, into c: inout PendingChecker) -> Bool {
        switch s.keyword.text {
        case "connect_timeout": c.cascade.connectTimeout = timer(s, allowZero: false, limit: StatementReader.checkerTimerLimit) ?? c.cascade.connectTimeout
        case "connect_ip":
            noBlock(s)
            if let t = arg(s) { c.connect.address = address(t, what: "connect_ip") }
            noMoreArgs(s, after: 1)
        case "connect_port": if let v = integer(s, 1...65535) { c.connect.port = UInt16(v) }
        case "bindto":
            noBlock(s)
            if let t = arg(s) { c.bind.address = address(t, what: "bindto") }
            noMoreArgs(s, after: 1)
        case "bind_port": if let v = integer(s, 1...65535) { c.bind.port = UInt16(v) }
        case "bind_if": c.bindInterface = string(s)
        case "fwmark": if let v = integer(s, 0...Int64(UInt32.max)) { c.fwmark = UInt32(v) }
        default: return false
        }
        return true
    }

    /// SMTP_CHECK's `host { }`: a checker of its own with its own connection (the real
    /// server's address and port unless it says otherwise; its connect_timeout is its own or
    /// the real server's, not the SMTP_CHECK block's). Its other keywords (retry,
    /// delay_before_retry, warmup, delay_loop, alpha) set the whole SMTP_CHECK, in file order,
    /// as keepalived 2.2.7's handlers do (they write `CHECKER_GET_CURRENT()`, and every host
    /// is a copy of that checker made at the block's end).
    private mutating func parseSMTPHost(_ st: Statement, checker: inout PendingChecker) -> PendingChecker {
        noMoreArgs(st, after: 0)
        var h = PendingChecker(location: st.location, kind: checker.kind)
        for s in st.block ?? [] where !connectionKeyword(s, into: &h) && !checkerSettingKeyword(s, into: &checker) {
            error(s.location, "unknown keyword '\(s.keyword.text)' in SMTP_CHECK host")
        }
        return h
    }

    /// MISC_CHECK's end: misc_path is required; a program that is not there disables the
    /// checker, as keepalived does.
    private mutating func finishMisc(_ st: Statement, _ misc: inout MiscCheckConfig, miscPathSeen: Bool, _ c: inout PendingChecker) -> Bool {
        if !miscPathSeen {
            error(st.location, "MISC_CHECK without misc_path")
            return false
        }
        misc.command.user = misc.user
        misc.command.group = misc.group
        if case let .exec(argv) = misc.command.form, let prog = argv.first {
            let path = prog.contains("/") ? prog : (["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"].map { $0 + "/" + prog }.first { fileSystem.isExecutable($0) } ?? prog)
            if !fileSystem.isExecutable(path) {
                warn(st.location, "MISC_CHECK program '\(prog)' not found or not executable; checker disabled (as keepalived does)" + (prog.contains(" ") ? ". keepalived reads the whole quoted string as one file name: write misc_path \"prog arg…\" to pass arguments" : ""))
                c.enabled = false
            }
        }
        c.kind = .misc(misc)
        return true
    }

    /// `FILE_CHECK { track_file NAME; weight W [reverse|noreverse] }`: the named track_file
    /// (defined before it), with the file's own weight unless one is given here.
    private mutating func parseFileCheck(_ st: Statement) -> PendingChecker? {
        noMoreArgs(st, after: 0)
        var file: FileCheckConfig?
        var weight: (Int32, Bool)?
        for s in st.block ?? [] {
            switch s.keyword.text {
            case "track_file":
                noBlock(s)
                guard let t = arg(s, what: "track file name") else { continue }
                noMoreArgs(s, after: 1)
                if let f = trackFiles[t.text] { file = f } else { error(t.location, "track_file \(t.text) not found") }
            case "weight":
                noBlock(s)
                guard let v = integer(s, -65535...65535, index: 0, what: "weight", last: false) else { continue }
                var reverse = false
                if s.args.count > 1 {
                    switch s.args[1].text {
                    case "reverse": reverse = true
                    case "noreverse": reverse = false
                    default: error(s.args[1].location, "unknown track file weight option \(s.args[1].text) - ignoring"); continue
                    }
                }
                noMoreArgs(s, after: 2)
                weight = (Int32(v), reverse)
            default:
                error(s.location, "unknown keyword '\(s.keyword.text)' in FILE_CHECK")
            }
        }
        guard var f = file else {
            error(st.location, "FILE_CHECK has no track_file specified - ignoring")
            return nil
        }
        if let (w, r) = weight { f.weight = w; f.reverse = r }
        return PendingChecker(location: st.location, kind: .file(f))
    }

    /// `track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }`
    /// (`vrrp_track_file` is keepalived's deprecated name for it).
    private mutating func parseTrackFile(_ st: Statement) {
        if st.keyword.text == "vrrp_track_file" { warn(st.location, "\"vrrp_track_file\" is deprecated, please use \"track_file\"") }
        guard let name = arg(st, what: "track file name") else { return }
        noMoreArgs(st, after: 1)
        var f = FileCheckConfig(name: name.text, path: "", weight: 1, reverse: false, initValue: nil, initOverwrite: false)
        var pathSeen = false, weightSeen = false
        for s in st.block ?? [] {
            switch s.keyword.text {
            case "file":
                guard let p = string(s) else { continue }
                if pathSeen { error(s.location, "File already set for track file \(name.text) - ignoring \(p)") } else { f.path = p; pathSeen = true }
            case "weight":
                noBlock(s)
                if weightSeen { error(s.location, "Weight already set for track file \(name.text) - ignoring"); continue }
                guard let v = integer(s, -254...254, index: 0, what: "weight", last: false) else { continue }
                weightSeen = true
                f.weight = Int32(v)
                if s.args.count > 1 {
                    if s.args[1].text == "reverse" { f.reverse = true } else { error(s.args[1].location, "track_file \(name.text) unknown weight option \(s.args[1].text)") }
                }
                noMoreArgs(s, after: 2)
            case "init_file":
                noBlock(s)
                f.initValue = 0
                for t in s.args {
                    if t.text == "overwrite" { f.initOverwrite = true }
                    else if let v = integer(t, -254...254, name: "Track file \(name.text) init value") { f.initValue = Int32(v) }
                }
            default:
                error(s.location, "unknown keyword '\(s.keyword.text)' in track_file")
            }
        }
        guard pathSeen else {
            error(st.location, "No file set for track_file \(name.text) - ignoring")
            return
        }
        trackFiles[name.text] = f
    }

    /// `SSL { password / ca / certificate / key }` (one per configuration).
    private mutating func parseSSL(_ st: Statement) {
        noMoreArgs(st, after: 0)
        if ssl != nil { error(st.location, "SSL context already specified - replacing") }
        var c = SSLConfig()
        for s in st.block ?? [] {
            let kw = s.keyword.text
            let label = ["password": "password", "ca": "cafile", "certificate": "certfile", "key": "keyfile"][kw]
            guard let label else { error(s.location, "unknown keyword '\(kw)' in SSL"); continue }
            guard let v = string(s) else { continue }
            let already: Bool
            switch kw {
            case "password": already = c.password != nil; c.password = v
            case "ca": already = c.ca != nil; c.ca = v
            case "certificate": already = c.certificate != nil; c.certificate = v
            default: already = c.key != nil; c.key = v
            }
            if already { error(s.location, "SSL \(label) already specified - replacing") }
        }
        ssl = c
    }

    private mutating func parseURL(_ st: Statement) -> URLCheckConfig? {
        noMoreArgs(st, after: 0)
        var url = URLCheckConfig(path: "")
        var pathSeen = false
        var regex = URLRegexReader()
        for s in st.block ?? [] {
            switch s.keyword.text {
            case "path":
                if let p = string(s) { url.path = p; pathSeen = true }
            case "digest":
                if let d = string(s) {
                    let lower = d.lowercased()
                    if lower.count == 32 && lower.allSatisfy({ $0.isHexDigit }) { url.digest = lower } else { error(s.args[0].location, "digest: expected 32 hex digits, got '\(d)'") }
                }
            case "status_code":
                noBlock(s)
                guard !s.args.isEmpty else { _ = arg(s); continue }
                var ranges: [ClosedRange<Int>] = []
                for t in s.args {
                    let parts = t.text.split(separator: "-", omittingEmptySubsequences: false)
                    if parts.count == 1, let v = Int(parts[0]), (100...999).contains(v) { ranges.append(v...v) }
                    else if parts.count == 2, let a = Int(parts[0]), let b = Int(parts[1]), (100...999).contains(a), (100...999).contains(b), a <= b { ranges.append(a...b) }
                    else { error(t.location, "status_code: invalid code or range '\(t.text)'") }
                }
                if !ranges.isEmpty { url.statusCodes = ranges }
            case "virtualhost": url.virtualhost = string(s)
            case "regex", "regex_no_match", "regex_options", "regex_stack", "regex_min_offset", "regex_max_offset":
                regex.read(s, into: &self)
            default:
                error(s.location, "unknown keyword '\(s.keyword.text)' in url")
            }
        }
        if !pathSeen {
            error(st.location, "url without path")
            return nil
        }
        url.regex = regex.finish(url: st, into: &self)
        return url
    }

    private mutating func resolve(_ c: PendingChecker, rs: RealServerConfig, cascade: InheritedSettings) -> CheckerConfig {
        let delayLoop = cascade.delayLoop ?? .seconds(60)
        var retryDefault = 1
        var dbrDefault: Duration = .seconds(1)
        var kind = c.kind
        switch kind {
        case .misc: retryDefault = 0
        case var .http(h):
            dbrDefault = .seconds(3)
            h.virtualhost = h.virtualhost ?? cascade.virtualhost
            kind = .http(h)
        case .dns:
            // check_dns.c: 3 retries, delay_before_retry defaulting to delay_loop.
            retryDefault = 3
            dbrDefault = delayLoop
        case .file:
            // Not a polled check: it waits for the file to change, with no retry and no alpha.
            return CheckerConfig(
                location: c.location, connectIP: rs.address, connectPort: rs.port, settings: checkerSettings.share(.init(
                    kind: kind, bindTo: nil, bindPort: nil, bindInterface: nil, fwmark: nil, connectTimeout: .seconds(5),
                    retry: 0, delayBeforeRetry: .zero, delayLoop: .zero, warmup: .zero, alpha: false, enabled: true)))
        default: break
        }
        var enabled = c.enabled
        let port = c.connect.port ?? rs.port
        switch kind {
        case .tcp, .http, .smtp, .dns, .udp:
            if port == 0 {
                warn(c.location, "\(kind.name) has no port to connect to (set connect_port or the real server's port); checker disabled")
                enabled = false
            }
        default: break
        }
        let connectIP = c.connect.address ?? rs.address
        if let bind = c.bind.address, bind.family != connectIP.family {
            error(c.location, "bindto \(bind) does not match the address family of \(connectIP)")
        }
        return CheckerConfig(
            location: c.location, connectIP: connectIP, connectPort: port, settings: checkerSettings.share(.init(
                kind: kind, bindTo: c.bind.address, bindPort: c.bind.port, bindInterface: c.bindInterface, fwmark: c.fwmark,
                connectTimeout: cascade.connectTimeout ?? .seconds(5), retry: cascade.retry ?? retryDefault,
                delayBeforeRetry: cascade.delayBeforeRetry ?? dbrDefault, delayLoop: delayLoop,
                warmup: cascade.warmup ?? delayLoop, alpha: cascade.alpha ?? false, enabled: enabled)))
    }
}

extension VirtualServerAddress {
    var groupName: String? {
        if case let .group(g) = self { return g }
        return nil
    }
}
