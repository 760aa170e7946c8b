import IPVS

/// Every error in a configuration (thrown by `ConfigParser.parse`), with the warnings beside them.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [Diagnostic]
    public var warnings: [Diagnostic]

    public init(errors: [Diagnostic], warnings: [Diagnostic] = []) {
        self.errors = errors
        self.warnings = warnings
    }

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// The LVS half of a keepalived.conf.
public struct DaemonConfig: Sendable, Hashable {
    public var virtualServers: [VirtualServerConfig]
    /// Things accepted but not acted on (global_defs, vrrp_* blocks, unsupported checkers…).
    public var warnings: [Diagnostic]

    public init(virtualServers: [VirtualServerConfig] = [], warnings: [Diagnostic] = []) {
        self.virtualServers = virtualServers
        self.warnings = warnings
    }

    /// Every kernel service the configuration declares.
    public var services: [Service] { virtualServers.flatMap(\.services) }

    /// How many MISC_CHECK processes are running at once, on average, when every check runs
    /// until its misc_timeout: an enabled checker starts a check every delay_loop (or as soon
    /// as the last one ended, when it ran longer), so its check is in flight for
    /// min(1, misc_timeout / delay_loop) of the time.
    public var miscProcessesAtTimeout: Double {
        var n = 0.0
        for v in virtualServers {
            for r in v.realServers {
                for c in r.checkers where c.enabled {
                    guard let timeout = c.miscTimeout else { continue }
                    n += c.delayLoop > .zero ? min(1, timeout / c.delayLoop) : 1
                }
            }
        }
        return n
    }

    /// Why checks may run late under `--max-processes limit`, or nil: their processes, when
    /// they run until their timeout, would need more slots than that at once, and a check
    /// waits for a slot before it starts (its timeout counts from its start).
    public func processLimitWarning(limit: Int) -> String? {
        let need = miscProcessesAtTimeout
        guard need > Double(limit) else { return nil }
        return "the MISC_CHECKs need up to \(Int(need.rounded(.up))) processes at once when they run until their misc_timeout, more than --max-processes \(limit): checks then wait for a free slot and run later than delay_loop; raise --max-processes"
    }
}

/// A script keepalived runs on a transition (notify_up/down, quorum_up/down).
public struct ScriptConfig: Sendable, Hashable {
    /// The script as written (after keepalived's first unquoting).
    public var text: String
    public var command: CheckCommand
}

/// What `virtual_server` names.
public enum VirtualServerAddress: Sendable, Hashable, CustomStringConvertible {
    case address(IPAddress, port: UInt16)
    case fwmark(UInt32)
    case group(String)

    public var description: String {
        switch self {
        case let .address(a, port): return a.family == .inet6 ? "[\(a)]:\(port)" : "\(a):\(port)"
        case let .fwmark(m): return "fwmark \(m)"
        case let .group(g): return "group \(g)"
        }
    }
}

public struct SorryServerConfig: Sendable, Hashable {
    public var location: SourceLocation
    public var address: IPAddress
    public var port: UInt16
    public var forwarding: ForwardingMethod
    /// sorry_server_inhibit: weight 0 instead of removal when it goes out.
    public var inhibit: Bool

    public var destination: Destination {
        Destination(address: address, port: port, forwarding: forwarding, weight: 1)
    }
}

public struct VirtualServerConfig: Sendable, Hashable {
    public var location: SourceLocation
    public var address: VirtualServerAddress
    /// The kernel services: one, or one per virtual_server_group entry.
    public var services: [Service]
    public var proto: TransportProtocol
    public var scheduler: String
    public var flags: ServiceFlags
    public var forwarding: ForwardingMethod
    public var persistenceTimeout: UInt32?
    public var persistenceGranularity: UInt32?
    public var persistenceEngine: String?
    public var delayLoop: Duration
    public var inhibitOnFailure: Bool
    public var alpha: Bool
    public var omega: Bool
    public var quorum: Int64
    public var hysteresis: Int64
    public var quorumUp: ScriptConfig?
    public var quorumDown: ScriptConfig?
    public var sorryServer: SorryServerConfig?
    public var virtualhost: String?
    public var haSuspend: Bool
    public var realServers: [RealServerConfig]

    /// A name for logs and events: `192.0.2.1:80`, `fwmark 80`, `group web`.
    public var name: String { address.description }
}

public struct RealServerConfig: Sendable, Hashable {
    public var location: SourceLocation
    public var address: IPAddress
    public var port: UInt16
    /// Configured weight (0...65535), what the server gets while it is up.
    public var weight: Int32
    public var forwarding: ForwardingMethod
    public var upperThreshold: UInt32
    public var lowerThreshold: UInt32
    public var inhibitOnFailure: Bool
    /// Starts down until its checkers first succeed.
    public var alpha: Bool
    public var notifyUp: ScriptConfig? {
        get { scripts?.up }
        set { scripts = NotifyScripts.make(up: newValue, down: notifyDown) }
    }
    public var notifyDown: ScriptConfig? {
        get { scripts?.down }
        set { scripts = NotifyScripts.make(up: notifyUp, down: newValue) }
    }
    public var virtualhost: String?
    public var checkers: [CheckerConfig]
    /// notify_up and notify_down behind one reference, nil when neither is set: inline, the
    /// two optional scripts were 146 of the real server's 248 bytes, at 37,000 real servers
    /// about 5 MB of a configuration that rarely has one.
    private var scripts: NotifyScripts?

    public init(location: SourceLocation, address: IPAddress, port: UInt16, weight: Int32, forwarding: ForwardingMethod,
                upperThreshold: UInt32, lowerThreshold: UInt32, inhibitOnFailure: Bool, alpha: Bool,
                notifyUp: ScriptConfig?, notifyDown: ScriptConfig?, virtualhost: String?, checkers: [CheckerConfig]) {
        self.location = location
        self.address = address
        self.port = port
        self.weight = weight
        self.forwarding = forwarding
        self.upperThreshold = upperThreshold
        self.lowerThreshold = lowerThreshold
        self.inhibitOnFailure = inhibitOnFailure
        self.alpha = alpha
        self.virtualhost = virtualhost
        self.checkers = checkers
        scripts = NotifyScripts.make(up: notifyUp, down: notifyDown)
    }

    /// The destination as configured (up, configured weight).
    public var destination: Destination {
        Destination(address: address, port: port, forwarding: forwarding, weight: weight,
                    upperThreshold: upperThreshold, lowerThreshold: lowerThreshold)
    }

    public var key: DestinationKey { DestinationKey(address: address, port: port) }
}

public struct URLCheckConfig: Sendable, Hashable {
    public var path: String
    /// Accepted status codes; 200-299 by default.
    public var statusCodes: [ClosedRange<Int>]
    /// Lower-case hex MD5 of the body, keepalived's `digest`.
    public var digest: String?
    public var virtualhost: String?
    /// regex and its settings: the response must (or, with regex_no_match, must not) match.
    public var regex: URLRegexConfig?

    public init(path: String, statusCodes: [ClosedRange<Int>] = [200...299], digest: String? = nil, virtualhost: String? = nil,
                regex: URLRegexConfig? = nil) {
        self.path = path
        self.statusCodes = statusCodes
        self.digest = digest
        self.virtualhost = virtualhost
        self.regex = regex
    }

    public func accepts(status: Int) -> Bool { statusCodes.contains { $0.contains(status) } }
}

public struct HTTPCheckConfig: Sendable, Hashable {
    public enum ProtocolVersion: String, Sendable, Hashable {
        case http10 = "1.0"
        /// 1.0 plus `Connection: close`.
        case http10Close = "1.0C"
        case http11 = "1.1"
    }
    public var urls: [URLCheckConfig]
    public var version: ProtocolVersion
    public var virtualhost: String?
    public var fastRecovery: Bool
    public var tls: Bool
    /// SSL_GET: send the virtual host (url's, checker's, real or virtual server's) as the TLS
    /// server name.
    public var enableSNI: Bool
    /// SSL_GET: the configuration's `SSL { }` block (nil: keepalived's default context, no
    /// client certificate). Part of the checker's identity, so a reload that changes it
    /// restarts the SSL_GET checkers.
    public var ssl: SSLConfig? = nil
}

/// keepalived's `SSL { password / ca / certificate / key }` block (a top-level block, read by
/// keepalived's checker process): the TLS context every SSL_GET shares. keepalived loads the CA
/// file but never asks OpenSSL to verify the server's certificate, and neither does swiftvs.
public struct SSLConfig: Sendable, Hashable {
    /// The private key's PEM password.
    public var password: String?
    /// CA file (loaded as keepalived loads it; not used to verify).
    public var ca: String?
    /// Client certificate chain file (PEM), presented when the server asks for one.
    public var certificate: String?
    /// The client certificate's private key file (PEM).
    public var key: String?
}

/// SMTP_CHECK: banner 220, `HELO helo_name` answered 250, QUIT.
public struct SMTPCheckConfig: Sendable, Hashable {
    /// keepalived's default is `smtpchecker.keepalived.org`.
    public var heloName: String
}

/// DNS_CHECK: one query over UDP, answered with the query's id, QR set and RCODE 0.
public struct DNSCheckConfig: Sendable, Hashable {
    /// The query type (A, NS, CNAME, SOA, MX, TXT, AAAA, RRSIG, DNSKEY); SOA by default.
    public var type: DNSQuestionType
    /// The name queried; the root (empty) by default.
    public var name: String
}

/// UDP_CHECK: a datagram to the server on a connected socket; an ICMP unreachable fails it,
/// and with `require_reply` so does silence or a reply that does not match.
public struct UDPCheckConfig: Sendable, Hashable {
    /// What is sent; nil: keepalived's 32 bytes of "keepalived check - " repeated.
    public var payload: [UInt8]?
    public var requireReply: Bool
    /// The reply's expected first bytes (`require_reply HEX`), and which nibbles of them are
    /// wildcards (an `X` digit: mask nibble 0xF).
    public var reply: [UInt8]?
    public var replyMask: [UInt8]?
    public var minReplyLength: Int
    public var maxReplyLength: Int
}

/// FILE_CHECK: the real server follows a number in a file (`track_file NAME { file PATH … }`).
/// Its weight is the number times `weight` (negated with `reverse`) added to the real server's
/// weight; at -65536 or below the server is down. With weight 0, any non-zero number is down
/// (with `reverse`, zero is).
public struct FileCheckConfig: Sendable, Hashable {
    /// The track_file's name.
    public var name: String
    public var path: String
    public var weight: Int32
    public var reverse: Bool
    /// `init_file [VALUE] [overwrite]`: written at start when the file does not exist (or, with
    /// overwrite, is a regular file).
    public var initValue: Int32?
    public var initOverwrite: Bool
}

public struct MiscCheckConfig: Sendable, Hashable {
    /// misc_path as written (after keepalived's first unquoting).
    public var path: String
    public var command: CheckCommand
    /// misc_timeout; the checker's delay_loop when nil.
    public var timeout: Duration?
    public var dynamic: Bool
    public var user: String?
    public var group: String?
}

@dynamicMemberLookup
public struct CheckerConfig: Sendable, Hashable {
    /// What is checked. Indirect: the settings of an HTTP, MISC, SMTP, DNS, UDP or FILE check
    /// are held once, behind a reference, so a TCP_CHECK's configuration is not as large as
    /// the largest kind's (344 bytes a checker before, at 37,000 checkers about 12 MB, held by the
    /// configuration and again by the state machine).
    public indirect enum Kind: Sendable, Hashable {
        case tcp
        case http(HTTPCheckConfig)
        case misc(MiscCheckConfig)
        case ping
        case smtp(SMTPCheckConfig)
        case dns(DNSCheckConfig)
        case udp(UDPCheckConfig)
        case file(FileCheckConfig)

        public var name: String {
            switch self {
            case .tcp: return "TCP_CHECK"
            case let .http(h): return h.tls ? "SSL_GET" : "HTTP_GET"
            case .misc: return "MISC_CHECK"
            case .ping: return "PING_CHECK"
            case .smtp: return "SMTP_CHECK"
            case .dns: return "DNS_CHECK"
            case .udp: return "UDP_CHECK"
            case .file: return "FILE_CHECK"
            }
        }
    }

    /// What a checker is set to, apart from where it is and where it connects: the same for
    /// most checkers of a virtual server, so the parser holds each distinct one once
    /// (`CheckerSettingsPool`) and the checkers share it. (Inline, these were 186 bytes a
    /// checker; at 37,000 checkers about 4.5 MB of the configuration.)
    public struct Settings: Sendable, Hashable {
        public var kind: Kind
        public var bindTo: IPAddress?
        public var bindPort: UInt16?
        public var bindInterface: String?
        /// SO_MARK for the checker's packets.
        public var fwmark: UInt32?
        public var connectTimeout: Duration
        /// Additional attempts after a failure before the server is declared down.
        public var retry: Int
        public var delayBeforeRetry: Duration
        public var delayLoop: Duration
        /// Random initial delay up to this; 0 disables.
        public var warmup: Duration
        public var alpha: Bool
        /// False when keepalived would disable it (e.g. its MISC_CHECK program does not exist).
        public var enabled: Bool
    }

    /// `Settings` behind a reference (immutable: a change makes a new one); equal and hashed
    /// by value.
    @usableFromInline final class SharedSettings: Sendable, Hashable {
        @usableFromInline let value: Settings
        @usableFromInline init(_ value: Settings) { self.value = value }
        @usableFromInline static func == (a: SharedSettings, b: SharedSettings) -> Bool { a === b || a.value == b.value }
        @usableFromInline func hash(into h: inout Hasher) { h.combine(value) }
    }

    public var location: SourceLocation
    /// Where to connect: connect_ip/connect_port or the real server's address and port.
    public var connectIP: IPAddress
    public var connectPort: UInt16
    @usableFromInline var shared: SharedSettings

    /// The settings this checker shares with others.
    public var settings: Settings { shared.value }

    /// A setting (`checker.retry`, `checker.kind = …`): read from the shared object; a write
    /// changes this checker's settings only.
    @inlinable public subscript<Value>(dynamicMember setting: WritableKeyPath<Settings, Value>) -> Value {
        get { shared.value[keyPath: setting] }
        set { change { $0[keyPath: setting] = newValue } }
    }

    public init(location: SourceLocation, kind: Kind, connectIP: IPAddress, connectPort: UInt16, bindTo: IPAddress?,
                bindPort: UInt16?, bindInterface: String?, fwmark: UInt32?, connectTimeout: Duration, retry: Int,
                delayBeforeRetry: Duration, delayLoop: Duration, warmup: Duration, alpha: Bool, enabled: Bool) {
        self.init(location: location, connectIP: connectIP, connectPort: connectPort, settings: SharedSettings(Settings(
            kind: kind, bindTo: bindTo, bindPort: bindPort, bindInterface: bindInterface, fwmark: fwmark,
            connectTimeout: connectTimeout, retry: retry, delayBeforeRetry: delayBeforeRetry, delayLoop: delayLoop,
            warmup: warmup, alpha: alpha, enabled: enabled)))
    }

    /// A checker with settings already held (and maybe shared).
    init(location: SourceLocation, connectIP: IPAddress, connectPort: UInt16, settings: SharedSettings) {
        self.location = location
        self.connectIP = connectIP
        self.connectPort = connectPort
        shared = settings
    }

    /// Changes this checker's settings only (the shared object is left as it is).
    @usableFromInline mutating func change(_ body: (inout Settings) -> Void) {
        var v = shared.value
        body(&v)
        shared = SharedSettings(v)
    }

    /// The MISC_CHECK timeout in force.
    public var miscTimeout: Duration? {
        if case let .misc(m) = self.kind { return m.timeout ?? self.delayLoop }
        return nil
    }
}
