#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// ipvsadm 1.31's own command line: `parse_options` and the checks of `process_options`, in
/// ipvsadm's order, with its messages and exit statuses (what `ipvsadm ARGS…` and
/// `swiftvs ipvsadm ARGS…` print before any kernel call).
///
/// Options are read one at a time as popt hands them over (``PoptScanner``); each value is read
/// by ``LineParser``'s own option code (the one rules files go through), and the first problem
/// ends the line with the message ipvsadm prints for that option. Then come ipvsadm's
/// argument checks, its table of legal options per command (`generic_opt_check`), and the
/// service, real-server, tunnel and listing checks.
public enum IpvsadmCommandLine {
    /// ipvsadm's command names (`cmdnames`), for its messages.
    static func commandName(_ c: IpvsadmCommand) -> String {
        switch c {
        case .flush: return "flush"
        default: return c.name
        }
    }

    /// Parses the words after the program name. `program` is ipvsadm's `argv[0]`, which its
    /// help messages name; `readingStdin` is true for a line of `-R`.
    public static func parse(_ words: [String], program: String, readingStdin: Bool = false,
                             resolver: any NameResolver = SystemResolver()) -> Result<IpvsadmRequest, IpvsadmFailure> {
        var reader = Reader(words: words, program: program, resolver: resolver)
        do {
            return .success(try reader.read(readingStdin: readingStdin))
        } catch {
            return .failure(error)
        }
    }

    /// One command line being read: popt's position, the rules parser's state.
    struct Reader {
        var scanner: PoptScanner
        let program: String
        var parser: LineParser
        var state = LineParser.LineState(command: .flush, commandToken: LocatedToken(column: 1, text: ""))
        var seen = SeenOptions()
        var classes = Set<OptionClass>()
        var schedFlags = ""
        var list = ListOptions()

        init(words: [String], program: String, resolver: any NameResolver) {
            scanner = PoptScanner(words)
            self.program = program
            parser = LineParser(file: "", line: 1, resolver: resolver)
        }

        mutating func read(readingStdin: Bool) throws(IpvsadmFailure) -> IpvsadmRequest {
            guard case let .option(first, value)? = scanner.nextItem(), case let .command(command) = first else {
                throw .tryHelp(program)
            }
            switch command {
            case .help: return .help
            case .version: return .version
            case .startDaemon, .stopDaemon:
                switch value {
                case "master": state.role = .master
                case "backup": state.role = .backup
                default:
                    throw .fail(command == .startDaemon ? "illegal start-daemon parameter specified" : "illegal start_daemon specified")
                }
            default: break
            }
            state.command = command
            state.commandToken = LocatedToken(column: 1, text: command.short)
            while let item = scanner.nextItem() {
                switch item {
                case let .error(word, error):
                    throw IpvsadmFailure(message: "\(word): \(error.text)\n", status: 255, exits: false)
                case let .option(option, value):
                    try apply(option, value)
                }
            }
            try arguments()
            if !schedFlags.isEmpty { try schedulerFlags() }
            try IpvsadmOptionTable.check(command, classes)
            return try finish(command, readingStdin: readingStdin)
        }

        /// One option, as parse_options' loop takes it.
        mutating func apply(_ option: IpvsadmOption, _ value: String?) throws(IpvsadmFailure) {
            if case .command = option { throw .fail("invalid option `\(scanner.lastWord)'") }
            if let cls = option.optionClass {
                if classes.contains(cls) { throw .fail("multiple '\(IpvsadmOptionTable.name(cls))' options specified") }
                classes.insert(cls)
            }
            let v = value ?? ""
            let occurrence = LineParser.Occurrence(option: option, spelled: "", column: 1, value: value, valueColumn: 1)
            if let cls = option.optionClass { seen[cls] = occurrence }
            switch option {
            case .scheduler:
                // strncpy into 16 bytes; an empty name is the default.
                state.scheduler = String(decoding: v.utf8.prefix(15), as: UTF8.self)
                return
            case .pe:
                state.pe = v.isEmpty ? nil : String(decoding: v.utf8.prefix(15), as: UTF8.self)
                return
            case .mcastInterface:
                state.interface = String(decoding: v.utf8.prefix(15), as: UTF8.self)
                return
            case .schedFlags:
                schedFlags = String(decoding: v.utf8.prefix(127), as: UTF8.self)
                return
            case .netmask where state.serviceFamily == .inet6:
                let n = Self.atoi(v)
                guard n >= 1, n <= 128 else { throw .fail("illegal ipv6 netmask specified") }
                state.netmask = UInt32(n)
                return
            case .numeric: list.numeric = true
            case .stats: list.stats = true
            case .rate: list.rate = true
            case .thresholds: list.thresholds = true
            case .persistentConn: list.persistentConnections = true
            case .nosort: list.sort = false
            case .exact: list.exact = true
            case .tunInfo: list.tunnelInfo = true
            default: break
            }
            parser.apply(occurrence, to: &state)
            if !parser.diagnostics.isEmpty || state.serviceBroken || state.destinationBroken || state.broken {
                throw .fail(Self.message(option, v))
            }
        }

        /// `--set`'s three values and the words no option took.
        mutating func arguments() throws(IpvsadmFailure) {
            var rest = scanner.remainingLeftovers()[...]
            if state.command == .set {
                guard rest.count >= 3 else { throw .fail("--set option requires 3 timeout values") }
                var values: [UInt32] = []
                for word in rest.prefix(3) {
                    guard let n = IpvsadmScan.number(word, 0...LineParser.maxTimeout) else {
                        throw .fail("invalid timeout value `\(word)' specified")
                    }
                    values.append(UInt32(n))
                }
                state.timeouts = Timeouts(tcp: values[0], tcpFin: values[1], udp: values[2])
                rest = rest.dropFirst(3)
            }
            if let word = rest.first { throw .fail("unexpected argument \(word)") }
        }

        /// `parse_sched_flags` against the scheduler given (default wlc).
        mutating func schedulerFlags() throws(IpvsadmFailure) {
            let scheduler = state.scheduler.isEmpty ? Service.defaultScheduler : state.scheduler
            state.flags.subtract(IpvsadmNames.anySchedulerFlag)
            for flag in schedFlags.split(separator: ",") {
                switch flag {
                case "flag-1": state.flags.insert(.schedulerFlag1)
                case "flag-2": state.flags.insert(.schedulerFlag2)
                case "flag-3": state.flags.insert(.schedulerFlag3)
                case "sh-fallback", "sh-port", "mh-fallback", "mh-port":
                    state.flags.insert(flag.hasSuffix("fallback") ? .schedulerFlag1 : .schedulerFlag2)
                    if flag.prefix(2) != scheduler { throw .fail("incompatible scheduler flag `\(flag)'") }
                default:
                    throw .fail("invalid scheduler flag `\(flag)'")
                }
            }
        }

        /// process_options after generic_opt_check: the per-command checks, then the request.
        mutating func finish(_ command: IpvsadmCommand, readingStdin: Bool) throws(IpvsadmFailure) -> IpvsadmRequest {
            switch command {
            case .add, .edit:
                if !state.fwmarkGiven, state.servicePort == 0, !state.flags.contains(.persistent) {
                    throw .fail("Zero port specified for non-persistent service")
                }
                if state.flags.contains(.onePacket), !state.fwmarkGiven, state.serviceProtocol != .udp {
                    throw .fail("One-Packet Scheduling is only for UDP virtual services")
                }
                if state.scheduler.isEmpty { state.scheduler = Service.defaultScheduler }
            case .addServer, .editServer:
                try checkServer()
            case .list:
                return try listRequest()
            case .restore:
                if readingStdin { throw .tryHelp(program) }
                return .restore
            case .save:
                return .save(numeric: list.numeric)
            default:
                break
            }
            guard let action = parser.build(state, seen).command?.action else {
                // Every way to get here was refused above; a gap would be a bug, not input.
                preconditionFailure("ipvsadm command line accepted but not built: \(command)")
            }
            return .action(action)
        }

        /// The -a/-e checks: port, address family, tunnel options (`tunnel_opt_check`).
        mutating func checkServer() throws(IpvsadmFailure) {
            let tunnel = state.forwarding == .tunnel
            if !state.fwmarkGiven, state.forwarding == .directRouting || tunnel {
                state.destinationPort = state.servicePort
            }
            if let d = state.destinationAddress, d.family != (state.serviceFamily ?? .inet), !tunnel {
                throw .fail("Different address family is allowed only for tunneling servers")
            }
            let tunnelOptions: [OptionClass] = [.tunType, .tunPort, .tunNocsum, .tunCsum, .tunRemcsum]
            if !tunnel, tunnelOptions.contains(where: classes.contains) {
                throw .fail("Tunnel options conflict with forward method")
            }
            try IpvsadmOptionTable.checkTunnel(state.tunnelKind, classes)
        }

        /// `-L`: which listing, after ipvsadm's check of conflicting views.
        func listRequest() throws(IpvsadmFailure) -> IpvsadmRequest {
            let tableOnly = classes.contains(.connection) || classes.contains(.timeout) || classes.contains(.daemon)
            let views = classes.contains(.stats) || classes.contains(.rate) || classes.contains(.thresholds)
            let timeoutOrDaemon = classes.contains(.timeout) || classes.contains(.daemon)
            if (tableOnly && views) || (timeoutOrDaemon && classes.contains(.persistentConn)) {
                throw .fail("options conflicts in the list command")
            }
            if classes.contains(.connection) {
                return .listConnections(numeric: list.numeric, persistentConnections: list.persistentConnections)
            }
            if classes.contains(.service), let key = state.serviceKey { return .listService(key, list) }
            if classes.contains(.timeout) { return .listTimeouts }
            if classes.contains(.daemon) { return .listDaemons }
            return .listTable(list)
        }

        /// ipvsadm's message when an option's value is refused.
        static func message(_ option: IpvsadmOption, _ v: String) -> String {
            switch option {
            case .tcp, .udp, .sctp: return "illegal virtual server address[:port] specified"
            case .fwmark: return "invalid fwmark value `\(v)' specified"
            case .persistent: return "invalid timeout value `\(v)' specified"
            case .netmask: return "illegal virtual server persistent mask specified"
            case .realServer: return "illegal real server address[:port] specified"
            case .weight: return "illegal weight specified"
            case .uThreshold: return "illegal u_threshold specified"
            case .lThreshold: return "illegal l_threshold specified"
            case .syncid: return "illegal syncid specified"
            case .mcastGroup: return "invalid \(v.contains(":") ? "IPv6" : "IPv4") mcast-group `\(v)'"
            case .mcastPort: return "illegal mcast-port specified"
            case .mcastTTL: return "illegal mcast-ttl specified"
            case .syncMaxlen: return "illegal sync-maxlen specified"
            case .tunType: return "illegal tunnel type specified"
            case .tunPort: return "illegal tunnel port specified"
            case .ipv6: return "-6 used before -f\n"
            default: return "invalid option value `\(v)'"
            }
        }

        /// C's `atoi`: leading blanks, a sign, the digits that follow; 0 when there are none.
        static func atoi(_ s: String) -> Int {
            var chars = Substring(s).drop(while: { $0 == " " || ("\t"..."\r").contains($0) })
            var negative = false
            if let f = chars.first, f == "+" || f == "-" {
                negative = f == "-"
                chars = chars.dropFirst()
            }
            var v = 0
            for c in chars {
                guard let d = c.wholeNumberValue, c.isASCII, v < Int(Int32.max) else { break }
                v = v * 10 + d
            }
            return negative ? -v : v
        }
    }
}
