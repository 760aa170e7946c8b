import IPVSModel

/// Parses one line's tokens into a command, emulating `ipvsadm` (popt option handling,
/// `parse_options`, `process_options`), and reports every problem it finds.
struct LineParser {
    let file: String
    let line: Int
    let resolver: any NameResolver
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String, line: Int, resolver: any NameResolver) {
        self.file = file
        self.line = line
        self.resolver = resolver
    }

    struct Occurrence {
        var option: IpvsadmOption
        /// As written: `-w`, `--weight`.
        var spelled: String
        var column: Int
        var value: String?
        var valueColumn: Int
        var located: LocatedToken { LocatedToken(column: column, text: spelled) }
        var valueToken: LocatedToken { LocatedToken(column: valueColumn, text: value ?? "") }
    }

    struct Result {
        var command: RuleCommand?
        var isAddService = false
        var serviceKey: ServiceKey?
    }

    mutating func error(_ located: LocatedToken, _ message: String, _ hint: String) {
        diagnostics.append(Diagnostic(.error, SourceLocation(file: file, line: line, column: located.column),
                                      message, token: located.text, hint: hint))
    }

    mutating func error(_ token: Tokenizer.Token, _ message: String, _ hint: String) {
        error(LocatedToken(column: token.column, text: token.text), message, hint)
    }

    /// An error that makes the line unusable: reported at `located`, and the line not applied.
    mutating func reject(_ located: LocatedToken, _ message: String, _ hint: String, _ s: inout LineState) {
        error(located, message, hint)
        s.broken = true
    }

    // MARK: popt

    /// Splits tokens into options (with their values) and positional arguments, like popt.
    mutating func expand(_ tokens: [Tokenizer.Token]) -> ([Occurrence], [Tokenizer.Token]) {
        var options: [Occurrence] = []
        var positional: [Tokenizer.Token] = []
        var i = 0
        var optionsEnded = false
        while i < tokens.count {
            let t = tokens[i]
            i += 1
            if optionsEnded || !Self.hasDashes(t.text, 1) || t.text == "-" {
                positional.append(t)
            } else if t.text == "--" {
                optionsEnded = true
            } else if Self.hasDashes(t.text, 2) {
                expandLong(t, tokens, &i, into: &options)
            } else {
                expandBundle(t, tokens, &i, into: &options)
            }
        }
        return (options, positional)
    }

    /// A long option, `--name` or `--name=value`; a value written apart is the next token,
    /// tokens[i] (`i` then moves past it).
    mutating func expandLong(_ t: Tokenizer.Token, _ tokens: [Tokenizer.Token], _ i: inout Int,
                             into options: inout [Occurrence]) {
        let body = t.text.dropFirst(2)
        let name: String
        var inline: String? = nil
        if let eq = body.firstIndex(of: "=") {
            name = String(body[..<eq])
            inline = String(body[body.index(after: eq)...])
        } else {
            name = String(body)
        }
        let spelled = "--" + name
        guard let spec = IpvsadmOption.byLong[name] else {
            error(LocatedToken(column: t.column, text: spelled), "unknown option \(spelled)", Self.unknownOptionHint(spelled))
            return
        }
        let valueColumn = t.column + 2 + name.count + 1
        func occurrence(_ value: String?, _ valueColumn: Int) -> Occurrence {
            Occurrence(option: spec.option, spelled: spelled, column: t.column, value: value, valueColumn: valueColumn)
        }
        switch spec.argument {
        case .none:
            if inline != nil {
                error(LocatedToken(column: t.column, text: t.text), "option \(spelled) takes no value",
                      "write \(spelled) alone")
                return
            }
            options.append(occurrence(nil, t.column))
        case .required:
            if let inline {
                options.append(occurrence(inline, valueColumn))
            } else if i < tokens.count {
                options.append(occurrence(tokens[i].text, tokens[i].column))
                i += 1
            } else if spec.option == .schedFlags {
                // Bare at the end of the line: what ipvsadm-save writes for flag-3 of sh/mh.
                options.append(occurrence(nil, t.column))
            } else {
                error(LocatedToken(column: t.column, text: spelled), "option \(spelled) needs a value", Self.valueHint(spec.option, spelled))
            }
        case .optional:
            if let inline {
                options.append(occurrence(inline, valueColumn))
            } else if i < tokens.count, !tokens[i].text.hasPrefix("-") {
                options.append(occurrence(tokens[i].text, tokens[i].column))
                i += 1
            } else {
                options.append(occurrence(nil, t.column))
            }
        }
    }

    /// A bundle of short options: -At, -w5, -mw3. An option that takes a value ends the
    /// bundle: the rest of it is the value, else the next token, tokens[i] (`i` then moves past it).
    mutating func expandBundle(_ t: Tokenizer.Token, _ tokens: [Tokenizer.Token], _ i: inout Int,
                               into options: inout [Occurrence]) {
        let chars = Array(t.text)
        var k = 1
        while k < chars.count {
            let c = chars[k]
            // The first option of a bundle is located at its dash, later ones at their letter.
            let column = k == 1 ? t.column : t.column + k
            let spelled = "-" + String(c)
            guard let spec = IpvsadmOption.short(c) else {
                error(LocatedToken(column: column, text: spelled), "unknown option \(spelled)", Self.unknownOptionHint(spelled))
                break
            }
            let rest = k + 1 < chars.count ? String(chars[(k + 1)...]) : ""
            if spec.argument == .none {
                options.append(Occurrence(option: spec.option, spelled: spelled, column: column, value: nil, valueColumn: column))
                k += 1
                continue
            }
            if !rest.isEmpty {
                options.append(Occurrence(option: spec.option, spelled: spelled, column: column, value: rest, valueColumn: t.column + k + 1))
            } else if i < tokens.count, spec.argument == .required || !tokens[i].text.hasPrefix("-") {
                options.append(Occurrence(option: spec.option, spelled: spelled, column: column,
                                          value: tokens[i].text, valueColumn: tokens[i].column))
                i += 1
            } else if spec.argument == .optional || spec.option == .schedFlags {
                options.append(Occurrence(option: spec.option, spelled: spelled, column: column, value: nil, valueColumn: column))
            } else {
                error(LocatedToken(column: column, text: spelled), "option \(spelled) needs a value", Self.valueHint(spec.option, spelled))
            }
            break
        }
    }

    /// `text.hasPrefix(String(repeating: "-", count: n))` for n = 1 or 2, on bytes when the
    /// answer cannot depend on a combining character after the dashes (Character semantics).
    static func hasDashes(_ text: String, _ n: Int) -> Bool {
        var it = text.utf8.makeIterator()
        for _ in 0..<n { guard it.next() == UInt8(ascii: "-") else { return false } }
        if let next = it.next(), next >= 0x80 { return text.hasPrefix(n == 1 ? "-" : "--") }
        return true
    }

    static func unknownOptionHint(_ spelled: String) -> String {
        "ipvsadm has no such option (long options are written out in full, e.g. --scheduler)"
    }

    static func valueHint(_ option: IpvsadmOption, _ spelled: String) -> String {
        switch option {
        case .tcp, .udp, .sctp: "write \(spelled) ADDRESS:PORT, or \(spelled) [IPV6-ADDRESS]:PORT"
        case .fwmark: "write \(spelled) MARK, MARK an integer from 1 to 4294967295"
        case .realServer: "write \(spelled) ADDRESS[:PORT]"
        case .scheduler: "write \(spelled) NAME, e.g. rr, wrr, lc, wlc, sh, mh"
        case .weight: "write \(spelled) WEIGHT, 0 to 65535"
        case .uThreshold, .lThreshold: "write \(spelled) CONNECTIONS, 0 to 2147483647"
        case .netmask: "write \(spelled) 255.255.255.0 (IPv4) or \(spelled) 64 (IPv6)"
        case .schedFlags: "write \(spelled) FLAG[,FLAG...]"
        case .tunType: "write \(spelled) ipip|gue|gre"
        case .tunPort: "write \(spelled) PORT, 1 to 65535"
        case .command(.startDaemon), .command(.stopDaemon): "write \(spelled) master or \(spelled) backup"
        default: "write \(spelled) VALUE"
        }
    }

    // MARK: Lines

    /// One line's command, once every check passed; the problems found otherwise (in
    /// `diagnostics`).
    mutating func parse(_ tokens: [Tokenizer.Token]) -> Result {
        if let word = tokens.first, !word.text.hasPrefix("-") || word.text == "-" {
            error(word, "expected a command, found '\(word.text)'", Self.commandHint)
            return Result()
        }
        let (occurrences, positional) = expand(tokens)
        guard let lead = leadingCommand(occurrences, positional) else { return Result() }
        let (first, command) = (lead.occurrence, lead.command)
        var state = LineState(command: command, commandToken: first.located)
        readSyncRole(first, &state)
        let seen = applyOptions(occurrences.dropFirst(), after: first, &state)
        // Positional arguments: only --set takes them.
        let rest = command == .set ? readTimeouts(positional[...], first, &state) : positional[...]
        rejectArguments(rest, &state)
        readSchedulerFlags(&state)
        checkAllowed(seen, first, &state)
        switch command {
        case .add, .edit:
            checkService(&state, seen)
        case .addServer, .editServer:
            checkDestination(&state, seen)
        default:
            break
        }
        return build(state, seen)
    }

    static let commandHint = "begin the line with -A, -E, -D, -C, -a, -e, -d, -Z, --set, --start-daemon or --stop-daemon"

    /// The line's command: its first option, one a rules file may hold. Nil (and the reason
    /// reported) otherwise.
    mutating func leadingCommand(_ occurrences: [Occurrence], _ positional: [Tokenizer.Token])
        -> (occurrence: Occurrence, command: IpvsadmCommand)?
    {
        guard let first = occurrences.first, case let .command(command) = first.option else {
            if let first = occurrences.first {
                error(first.located, "a line must start with a command, not \(first.spelled)", Self.commandHint)
            } else if let p = positional.first {
                error(p, "expected a command, found '\(p.text)'", Self.commandHint)
            }
            return nil
        }
        guard command.allowedInRules else {
            error(first.located, "\(first.spelled) (\(command.name)) cannot be used in a rules file",
                  "rules files hold -A, -E, -D, -C, -a, -e, -d, -Z, --set, --start-daemon and --stop-daemon lines")
            return nil
        }
        return (first, command)
    }

    /// --start-daemon's and --stop-daemon's value: master or backup.
    mutating func readSyncRole(_ first: Occurrence, _ state: inout LineState) {
        guard state.command == .startDaemon || state.command == .stopDaemon else { return }
        switch first.value {
        case "master": state.role = .master
        case "backup": state.role = .backup
        default:
            reject(first.valueToken, "invalid sync daemon role '\(first.value ?? "")'",
                   "write \(first.spelled) master or \(first.spelled) backup", &state)
        }
    }

    /// The options after the command, in order, each applied unless it is a second command or
    /// one of a class given already; returns the options applied, by class.
    mutating func applyOptions(_ occurrences: ArraySlice<Occurrence>, after first: Occurrence,
                               _ state: inout LineState) -> SeenOptions {
        var seen = SeenOptions()
        for occ in occurrences {
            if case .command = occ.option {
                reject(occ.located, "more than one command on a line (\(first.spelled) and \(occ.spelled))",
                       "put each command on its own line", &state)
                continue
            }
            if let cls = occ.option.optionClass {
                if let earlier = seen[cls] {
                    let same = earlier.spelled == occ.spelled
                    reject(occ.located, same ? "option \(occ.spelled) is given twice"
                                          : "option \(occ.spelled) conflicts with \(earlier.spelled) (column \(earlier.column))",
                           cls == .service || cls == .forward
                               ? "give one \(cls == .service ? "virtual service" : "forwarding method") per line"
                               : "give each option once per line", &state)
                    continue
                }
                seen[cls] = occ
            }
            apply(occ, to: &state)
        }
        return seen
    }

    /// --set's three timeouts, the first positional arguments; returns the arguments after them.
    mutating func readTimeouts(_ positional: ArraySlice<Tokenizer.Token>, _ first: Occurrence,
                               _ state: inout LineState) -> ArraySlice<Tokenizer.Token> {
        var rest = positional
        var values: [UInt32] = []
        while values.count < 3, let p = rest.first {
            rest = rest.dropFirst()
            if let v = IpvsadmScan.number(p.text, 0...Self.maxTimeout) {
                values.append(UInt32(v))
            } else {
                error(p, "invalid timeout '\(p.text)'", "a timeout is 0 to \(Self.maxTimeout) seconds (0 leaves it unchanged)")
                values.append(0)
                state.broken = true
            }
        }
        if values.count < 3 {
            reject(first.located, "--set needs 3 timeout values", "write --set TCP TCPFIN UDP, in seconds (0 leaves one unchanged)", &state)
        } else {
            state.timeouts = Timeouts(tcp: values[0], tcpFin: values[1], udp: values[2])
        }
        return rest
    }

    /// Positional arguments no option takes: each an error.
    mutating func rejectArguments(_ arguments: ArraySlice<Tokenizer.Token>, _ state: inout LineState) {
        for p in arguments {
            if p.text.hasPrefix("#") {
                error(p, "unexpected argument '\(p.text)'",
                      "comments must be on a line of their own, starting with # in column 1")
            } else {
                error(p, "unexpected argument '\(p.text)'", "every value belongs to an option; check for a missing option or a stray word")
            }
            state.broken = true
        }
    }

    /// Scheduler flags are read last, against the final scheduler (default wlc).
    mutating func readSchedulerFlags(_ state: inout LineState) {
        guard let occ = state.schedFlags else { return }
        if let arg = occ.value {
            if !arg.isEmpty {
                state.flags.subtract(IpvsadmNames.anySchedulerFlag)
                parseSchedulerFlags(arg, occ, &state)
            }
        } else if state.scheduler == "sh" || state.scheduler == "mh" {
            // ipvsadm-save names only two flags of sh and mh, and writes a bare "-b"
            // at the end of the line when just the third is set: read it back as that.
            state.flags.subtract(IpvsadmNames.anySchedulerFlag)
            state.flags.insert(.schedulerFlag3)
        } else {
            reject(occ.located, "option \(occ.spelled) needs a value", Self.valueHint(.schedFlags, occ.spelled), &state)
        }
    }

    /// ipvsadm's table of legal options per command: each option the command does not take,
    /// and each it needs that is missing, an error.
    mutating func checkAllowed(_ seen: SeenOptions, _ first: Occurrence, _ state: inout LineState) {
        let command = state.command
        for (cls, occ) in seen.sorted(by: { $0.value.column < $1.value.column }) {
            if !command.required.contains(cls) && !command.optional.contains(cls) {
                reject(occ.located, "option \(occ.spelled) cannot be used with \(first.spelled) (\(command.name))",
                       Self.allowedHint(command, first.spelled), &state)
            }
        }
        for cls in command.required where seen[cls] == nil {
            reject(first.located, "\(first.spelled) (\(command.name)) needs \(cls.what)", Self.allowedHint(command, first.spelled), &state)
        }
    }

    static let maxTimeout = 86400 * 31

    static func allowedHint(_ command: IpvsadmCommand, _ spelled: String) -> String {
        switch command {
        case .add, .edit: "\(spelled) takes a service and -s, -p, -M, -o, --pe, -b"
        case .delete: "\(spelled) takes a service only"
        case .addServer, .editServer: "\(spelled) takes a service, -r and -g|-i|-m, -w, -x, -y, --tun-type, --tun-port, --tun-nocsum|--tun-csum|--tun-remcsum"
        case .deleteServer: "\(spelled) takes a service and -r only"
        case .zero: "\(spelled) takes an optional service only"
        case .flush: "\(spelled) takes no options"
        case .set: "write --set TCP TCPFIN UDP"
        case .startDaemon: "\(spelled) takes --mcast-interface, --syncid, --mcast-group, --mcast-port, --mcast-ttl, --sync-maxlen"
        case .stopDaemon: "\(spelled) takes --syncid only"
        default: ""
        }
    }

    /// Everything ipvsadm's `struct ipvs_command_entry` holds while a line is parsed.
    struct LineState {
        var command: IpvsadmCommand
        var commandToken: LocatedToken
        var broken = false

        // Service.
        var serviceFamily: AddressFamily? = nil
        var serviceProtocol: TransportProtocol? = nil
        var serviceAddress: IPAddress? = nil
        var servicePort: UInt16 = 0
        var fwmark: UInt32 = 0
        var fwmarkGiven = false
        var serviceBroken = false
        var serviceToken: LocatedToken? = nil
        var scheduler = ""
        var flags: ServiceFlags = []
        var timeout: UInt32 = 0
        var netmask: UInt32 = 0xFFFF_FFFF
        var pe: String? = nil
        var schedFlags: Occurrence? = nil

        // Destination.
        var destinationAddress: IPAddress? = nil
        var destinationPort: UInt16 = 0
        var destinationBroken = false
        var serverToken: LocatedToken? = nil
        var forwarding: Forwarding = .directRouting
        var weight: Int32 = 1
        var upperThreshold: UInt32 = 0
        var lowerThreshold: UInt32 = 0
        var tunnelKind: Tunnel.Kind = .ipip
        var tunnelPort: UInt16 = 0
        var tunnelFlags: UInt16 = 0

        // Daemon, timeouts.
        var role: SyncDaemon.Role? = nil
        var interface = ""
        var syncID: UInt32 = 0
        var group: IPAddress? = nil
        var mcastPort: UInt16? = nil
        var ttl: UInt8? = nil
        var maxLength: UInt16? = nil
        var timeouts: Timeouts? = nil

        enum Forwarding { case masquerade, directRouting, tunnel }

        var serviceKey: ServiceKey? {
            if fwmarkGiven { return fwmark == 0 ? nil : .fwmark(fwmark, family: serviceFamily ?? .inet) }
            guard let p = serviceProtocol, let a = serviceAddress, !serviceBroken else { return nil }
            return .address(p, a, port: servicePort)
        }

        /// The virtual service `key` with the line's attributes (-A, -E).
        func service(_ key: ServiceKey) -> Service {
            Service(key: key, scheduler: scheduler, flags: flags, timeout: timeout, netmask: netmask,
                    persistenceEngine: pe)
        }

        /// The real server (-a, -e); nil without -r.
        var destination: Destination? {
            guard let a = destinationAddress else { return nil }
            let f: ForwardingMethod
            switch forwarding {
            case .masquerade: f = .masquerade
            case .directRouting: f = .directRouting
            case .tunnel:
                f = .tunnel(Tunnel(kind: tunnelKind, port: tunnelPort,
                                   checksum: Tunnel.Checksum(rawValue: tunnelFlags) ?? .none))
            }
            return Destination(address: a, port: destinationPort, forwarding: f, weight: weight,
                               upperThreshold: upperThreshold, lowerThreshold: lowerThreshold)
        }
    }

    /// One option, in order, as ipvsadm's `parse_options` applies it; `v` is its value ("" for
    /// none), for the group's function.
    mutating func apply(_ occ: Occurrence, to s: inout LineState) {
        let v = occ.value ?? ""
        switch occ.option {
        case .tcp, .udp, .sctp, .fwmark, .ipv6:
            applyServiceKey(occ, v, to: &s)
        case .scheduler, .persistent, .netmask, .ops, .pe, .schedFlags:
            applyServiceAttribute(occ, v, to: &s)
        case .realServer, .masquerading, .ipip, .gatewaying, .weight, .uThreshold, .lThreshold,
             .tunType, .tunPort, .tunNocsum, .tunCsum, .tunRemcsum:
            applyServerOption(occ, v, to: &s)
        case .mcastInterface, .syncid, .mcastGroup, .mcastPort, .mcastTTL, .syncMaxlen:
            applyDaemonOption(occ, v, to: &s)
        case .command, .sort, .numeric, .connection, .timeout, .daemon, .stats, .rate, .thresholds,
             .persistentConn, .nosort, .exact, .tunInfo:
            break
        }
    }

    /// The option's value as a number in `range`; otherwise a diagnostic at the value (the
    /// message built only then) and the line marked broken.
    private mutating func number(_ occ: Occurrence, _ range: ClosedRange<Int>, _ s: inout LineState,
                                 _ message: @autoclosure () -> String, _ hint: @autoclosure () -> String) -> Int? {
        if let n = IpvsadmScan.number(occ.value ?? "", range) { return n }
        reject(occ.valueToken, message(), hint(), &s)
        return nil
    }

    /// The option's value as a name the kernel keeps in 16 bytes (an interface, a persistence
    /// engine): 1 to 15 bytes, else a diagnostic at the value and the line marked broken.
    private mutating func kernelName(_ occ: Occurrence, _ s: inout LineState,
                                     _ message: @autoclosure () -> String, _ hint: String) -> String {
        let v = occ.value ?? ""
        if v.isEmpty || v.utf8.count > 15 {
            reject(occ.valueToken, message(), hint, &s)
        }
        return v
    }

    /// The virtual service: `-t -u --sctp-service ADDRESS[:PORT]`, `-f MARK`, `-6`.
    private mutating func applyServiceKey(_ occ: Occurrence, _ v: String, to s: inout LineState) {
        switch occ.option {
        case .tcp, .udp, .sctp:
            let proto: TransportProtocol = occ.option == .tcp ? .tcp : occ.option == .udp ? .udp : .sctp
            s.serviceProtocol = proto
            s.serviceToken = occ.valueToken
            if let parsed = parseAddressPort(occ, protocol: proto, role: "virtual service") {
                s.serviceAddress = parsed.address
                s.serviceFamily = parsed.address.family
                if parsed.address.family == .inet6 { s.netmask = 128 }
                if let p = parsed.port { s.servicePort = p }
            } else {
                s.serviceBroken = true
            }
        case .fwmark:
            s.serviceFamily = .inet
            s.serviceProtocol = .tcp
            s.fwmarkGiven = true
            s.serviceToken = occ.valueToken
            if let n = IpvsadmScan.integer(v), n >= 1, n <= Int(UInt32.max) {
                s.fwmark = UInt32(n)
            } else if let n = IpvsadmScan.integer(v), n >= Int(Int32.min), n <= -1 {
                // ipvsadm-save prints marks as signed: read -1 back as 4294967295.
                s.fwmark = UInt32(bitPattern: Int32(n))
            } else {
                error(occ.valueToken, "invalid firewall mark '\(v)'", "a firewall mark is an integer from 1 to 4294967295")
                s.serviceBroken = true
            }
        case .ipv6:
            if s.fwmarkGiven {
                s.serviceFamily = .inet6
                s.netmask = 128
            } else {
                reject(occ.located, "\(occ.spelled) used before -f",
                       "\(occ.spelled) marks a firewall-mark service as IPv6: write it after -f MARK", &s)
            }
        default:
            preconditionFailure("\(occ.option) is not handled by applyServiceKey")
        }
    }

    /// The service's attributes: scheduler, persistence, netmask, one-packet, engine, scheduler flags.
    private mutating func applyServiceAttribute(_ occ: Occurrence, _ v: String, to s: inout LineState) {
        switch occ.option {
        case .scheduler:
            if v.isEmpty {
                reject(occ.valueToken, "empty scheduler name",
                       "name a scheduler module without the ip_vs_ prefix: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos", &s)
            } else if v.utf8.count > 15 {
                reject(occ.valueToken, "scheduler name '\(v)' is longer than 15 characters",
                       "use a scheduler module's name without the ip_vs_ prefix: rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos", &s)
            }
            s.scheduler = v
        case .persistent:
            s.flags.insert(.persistent)
            if let value = occ.value {
                if let n = IpvsadmScan.number(value, 1...Self.maxTimeout) {
                    s.timeout = UInt32(n)
                } else {
                    reject(occ.valueToken, "invalid persistence timeout '\(value)'",
                           "a timeout is 1 to \(Self.maxTimeout) seconds; -p alone means 360", &s)
                }
            } else {
                s.timeout = Service.defaultPersistenceTimeout
            }
        case .netmask:
            if s.serviceFamily != .inet6 {
                if let a = IpvsadmScan.inetAton(v) ?? resolver.ipv4Address(forHost: v), case let .v4(b0, b1, b2, b3) = a {
                    s.netmask = UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3)
                } else {
                    reject(occ.valueToken, "invalid IPv4 persistence netmask '\(v)'",
                           "write an IPv4 mask such as 255.255.255.0 (for an IPv6 service, give the service first, then -M PREFIXLEN)", &s)
                }
            } else {
                if let n = number(occ, 1...128, &s, "invalid IPv6 persistence netmask '\(v)'",
                                  "an IPv6 netmask is a prefix length from 1 to 128") { s.netmask = UInt32(n) }
            }
        case .ops:
            s.flags.insert(.onePacket)
        case .pe:
            s.pe = kernelName(occ, &s, "invalid persistence engine name '\(v)'", "the kernel has one persistence engine: sip")
        case .schedFlags:
            s.schedFlags = occ
        default:
            preconditionFailure("\(occ.option) is not handled by applyServiceAttribute")
        }
    }

    /// The real server: address, forwarding, weight, thresholds, tunnel.
    private mutating func applyServerOption(_ occ: Occurrence, _ v: String, to s: inout LineState) {
        switch occ.option {
        case .realServer:
            s.serverToken = occ.valueToken
            if let parsed = parseAddressPort(occ, protocol: s.serviceProtocol, role: "real server") {
                s.destinationAddress = parsed.address
                s.destinationPort = parsed.port ?? s.servicePort
            } else {
                s.destinationBroken = true
            }
        case .masquerading: s.forwarding = .masquerade
        case .ipip: s.forwarding = .tunnel
        case .gatewaying: s.forwarding = .directRouting
        case .weight:
            if let n = IpvsadmScan.number(v, 0...65535) {
                s.weight = Int32(n)
            } else {
                let out = IpvsadmScan.integer(v) != nil
                reject(occ.valueToken, out ? "weight \(v) is out of range" : "invalid weight '\(v)'",
                       "a weight is 0 to 65535 (0 quiesces the real server)", &s)
            }
        case .uThreshold, .lThreshold:
            let upper = occ.option == .uThreshold
            if let n = number(occ, 0...Int(Int32.max), &s, "invalid \(upper ? "upper" : "lower") connection threshold '\(v)'",
                              "a threshold is 0 to 2147483647 connections (0: none)") {
                if upper { s.upperThreshold = UInt32(n) } else { s.lowerThreshold = UInt32(n) }
            }
        case .tunType:
            switch v {
            case "ipip": s.tunnelKind = .ipip
            case "gue": s.tunnelKind = .gue
            case "gre": s.tunnelKind = .gre
            default:
                reject(occ.valueToken, "unknown tunnel type '\(v)'", "a tunnel type is ipip, gue or gre", &s)
            }
        case .tunPort:
            if let n = number(occ, 1...65535, &s, "invalid tunnel port '\(v)'", "a tunnel port is 1 to 65535") { s.tunnelPort = UInt16(n) }
        case .tunNocsum: s.tunnelFlags |= 0
        case .tunCsum: s.tunnelFlags |= 1
        case .tunRemcsum: s.tunnelFlags |= 2
        default:
            preconditionFailure("\(occ.option) is not handled by applyServerOption")
        }
    }

    /// The sync daemon: interface, id, multicast group, port and TTL, message length.
    private mutating func applyDaemonOption(_ occ: Occurrence, _ v: String, to s: inout LineState) {
        switch occ.option {
        case .mcastInterface:
            s.interface = kernelName(occ, &s, "invalid multicast interface name '\(v)'", "an interface name is 1 to 15 characters")
        case .syncid:
            if let n = number(occ, 0...255, &s, "invalid sync id '\(v)'", "a sync id is 0 to 255") { s.syncID = UInt32(n) }
        case .mcastGroup:
            let a = v.contains(":") ? IpvsadmScan.inetPton6(v) : IpvsadmScan.inetPton4(v)
            let multicast: Bool
            switch a {
            case let .v4(b0, _, _, _)?: multicast = b0 >= 224 && b0 <= 239
            case let .v6(bytes)?: multicast = bytes[0] == 0xFF
            case nil: multicast = false
            }
            if multicast { s.group = a } else {
                reject(occ.valueToken, "invalid multicast group '\(v)'", "give an IPv4 (224.0.0.0/4) or IPv6 (ff00::/8) multicast address", &s)
            }
        case .mcastPort:
            if let n = number(occ, 1...65535, &s, "invalid multicast port '\(v)'", "a port is 1 to 65535") { s.mcastPort = UInt16(n) }
        case .mcastTTL:
            if let n = number(occ, 1...255, &s, "invalid multicast TTL '\(v)'", "a TTL is 1 to 255") { s.ttl = UInt8(n) }
        case .syncMaxlen:
            if let n = number(occ, 1...(65535 - 20 - 8), &s, "invalid sync message length '\(v)'",
                              "a sync message length is 1 to 65507 bytes") { s.maxLength = UInt16(n) }
        default:
            preconditionFailure("\(occ.option) is not handled by applyDaemonOption")
        }
    }

    /// ipvsadm's `parse_service`: `ADDRESS[:PORT]`, `IPV6`, `[IPV6]:PORT`, host and service
    /// names. A bracketed host name is resolved as IPv6 (an extension: ipvsadm cannot).
    mutating func parseAddressPort(_ occ: Occurrence, protocol proto: TransportProtocol?, role: String)
        -> (address: IPAddress, port: UInt16?)?
    {
        let text = occ.value ?? ""
        let located = occ.valueToken
        let hint = role == "real server"
            ? "write ADDRESS[:PORT], IPV6-ADDRESS or [IPV6-ADDRESS]:PORT (a port is 0 to 65535 or a service name)"
            : "write ADDRESS:PORT or [IPV6-ADDRESS]:PORT (a port is 0 to 65535 or a service name)"
        if text.isEmpty || IpvsadmScan.isAllDigits(text) {
            error(located, "invalid \(role) address '\(text)'", hint)
            return nil
        }
        guard let parsed = addressAndPortText(text, located, role: role, hint: hint) else { return nil }
        guard let portToken = parsed.portToken else { return (parsed.address, nil) }
        guard let port = portNumber(portToken, protocol: proto) else { return nil }
        return (parsed.address, port)
    }

    /// The address of `text` (`ADDRESS[:PORT]`, `IPV6`, `[IPV6]:PORT`; a host name resolved),
    /// and its port's text where it has one. Nil, reported at `located`, when there is no address.
    mutating func addressAndPortText(_ text: String, _ located: LocatedToken, role: String, hint: String)
        -> (address: IPAddress, portToken: LocatedToken?)?
    {
        var host = text
        var portText: String? = nil
        var portColumn = located.column
        var bracketed = false
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                error(located, "invalid \(role) address '\(text)': missing ]", hint)
                return nil
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            let after = text[text.index(after: close)...]
            guard after.hasPrefix(":") else {
                error(located, "invalid \(role) address '\(text)': a bracketed address needs :PORT", hint)
                return nil
            }
            portText = String(after.dropFirst())
            portColumn = located.column + text.distance(from: text.startIndex, to: close) + 2
            bracketed = true
        }
        var address: IPAddress
        // Every IPv6 text form has at least two colons: skip inet_pton for the rest (IPv4:PORT).
        var colons = 0
        for b in host.utf8 where b == UInt8(ascii: ":") { colons += 1 }
        if colons >= 2, let a = IpvsadmScan.inetPton6(host) {
            address = a
        } else if bracketed {
            guard let a = resolver.ipv6Address(forHost: host) else {
                error(located, "unknown IPv6 host '\(host)'", "write an IPv6 address, or a host name the resolver knows")
                return nil
            }
            address = a
        } else {
            if let colon = text.lastIndex(of: ":") {
                host = String(text[..<colon])
                portText = String(text[text.index(after: colon)...])
                portColumn = located.column + text.distance(from: text.startIndex, to: colon) + 1
            }
            guard let a = IpvsadmScan.inetAton(host) ?? resolver.ipv4Address(forHost: host) else {
                error(located, "invalid \(role) address '\(text)': '\(host)' is neither an address nor a known host name", hint)
                return nil
            }
            address = a
        }
        return (address, portText.map { LocatedToken(column: portColumn, text: $0) })
    }

    /// A port: a number from 0 to 65535, or a service name of `proto`. Nil, reported at
    /// `portToken`, otherwise.
    mutating func portNumber(_ portToken: LocatedToken, protocol proto: TransportProtocol?) -> UInt16? {
        let p = portToken.text
        if let n = IpvsadmScan.number(p, 0...65535) { return UInt16(n) }
        if let proto, let n = resolver.port(forService: p, protocol: proto) { return n }
        if IpvsadmScan.integer(p) != nil {
            error(portToken, "port \(p) is out of range", "a port is 0 to 65535")
        } else {
            let known = proto.map { " for \(SystemResolver.protocolName($0))" } ?? ""
            error(portToken, "unknown port or service name '\(p)'\(known)",
                  proto == nil ? "give the virtual service before -r, or write the port as a number"
                               : "write the port as a number, or a name from /etc/services")
        }
        return nil
    }

    /// ipvsadm's `parse_sched_flags`.
    mutating func parseSchedulerFlags(_ arg: String, _ occ: Occurrence, _ s: inout LineState) {
        let scheduler = s.scheduler.isEmpty ? Service.defaultScheduler : s.scheduler
        var column = occ.valueColumn
        var any = false
        for part in arg.split(separator: ",", omittingEmptySubsequences: false) {
            defer { column += part.count + 1 }
            if part.isEmpty { continue }
            any = true
            let located = LocatedToken(column: column, text: String(part))
            switch part {
            case "flag-1": s.flags.insert(.schedulerFlag1)
            case "flag-2": s.flags.insert(.schedulerFlag2)
            case "flag-3": s.flags.insert(.schedulerFlag3)
            case "sh-fallback", "sh-port", "mh-fallback", "mh-port":
                let owner = String(part.prefix(2))
                s.flags.insert(part.hasSuffix("fallback") ? .schedulerFlag1 : .schedulerFlag2)
                if owner != scheduler {
                    reject(located, "scheduler flag '\(part)' is for the \(owner) scheduler, not \(scheduler)",
                           "add -s \(owner), or use flag-1, flag-2, flag-3", &s)
                }
            default:
                reject(located, "unknown scheduler flag '\(part)'",
                       "scheduler flags are sh-fallback, sh-port (sh), mh-fallback, mh-port (mh), flag-1, flag-2, flag-3", &s)
            }
        }
        if !any {
            reject(occ.valueToken, "empty scheduler flags '\(arg)'", "give at least one flag, comma-separated", &s)
        }
    }

    /// `process_options` checks for -A/-E.
    mutating func checkService(_ s: inout LineState, _ seen: SeenOptions) {
        guard !s.serviceBroken, seen[.service] != nil else { return }
        if !s.fwmarkGiven, s.servicePort == 0, !s.flags.contains(.persistent) {
            reject(s.serviceToken ?? s.commandToken, "port 0 is only allowed for a persistent service",
                   "give the service a port, or make it persistent with -p (port 0 then takes every port)", &s)
        }
        if s.flags.contains(.onePacket), !s.fwmarkGiven, s.serviceProtocol != .udp, let o = seen[.ops] {
            reject(o.located, "one-packet scheduling (\(o.spelled)) is only for UDP and firewall-mark services",
                   "remove \(o.spelled), or use a UDP (-u) or firewall-mark (-f) service", &s)
        }
        if s.scheduler.isEmpty { s.scheduler = Service.defaultScheduler }
    }

    /// `process_options` checks for -a/-e, plus what the kernel would refuse.
    mutating func checkDestination(_ s: inout LineState, _ seen: SeenOptions) {
        // Direct routing and tunnelling keep the service's port.
        if !s.fwmarkGiven, s.forwarding == .directRouting || s.forwarding == .tunnel {
            s.destinationPort = s.servicePort
        }
        if !s.serviceBroken, !s.destinationBroken, let d = s.destinationAddress, let family = s.serviceFamily,
           d.family != family, s.forwarding != .tunnel
        {
            reject(s.serverToken ?? s.commandToken,
                   "an \(family == .inet ? "IPv4" : "IPv6") service takes an \(d.family == .inet ? "IPv4" : "IPv6") real server only with tunnelling",
                   "add -i, or use a real server of the service's address family", &s)
        }
        if let d = s.destinationAddress, d.isZero {
            reject(s.serverToken ?? s.commandToken, "\(d) is not a usable real server address", "give the real server's unicast address", &s)
        }
        let tunnelOptions: [OptionClass] = [.tunType, .tunPort, .tunNocsum, .tunCsum, .tunRemcsum]
        let given = tunnelOptions.compactMap { seen[$0] }.sorted { $0.column < $1.column }
        if s.forwarding != .tunnel {
            if let t = given.first {
                reject(t.located, "tunnel option \(t.spelled) needs tunnelling (-i)", "add -i, or remove the tunnel options", &s)
            }
        } else {
            let kindName = IpvsadmNames.tunnelType(s.tunnelKind)
            if s.tunnelKind != .gue, let p = seen[.tunPort] {
                reject(p.located, "option \(p.spelled) is not used by the \(kindName) tunnel type", "only gue tunnels have a port", &s)
            }
            if s.tunnelKind == .ipip, let c = given.first(where: { $0.option != .tunType && $0.option != .tunPort }) {
                reject(c.located, "option \(c.spelled) is not used by the ipip tunnel type", "checksum options are for gue and gre tunnels", &s)
            }
            if s.tunnelKind == .gre, let c = seen[.tunRemcsum] {
                reject(c.located, "option \(c.spelled) is not used by the gre tunnel type", "gre tunnels take --tun-nocsum or --tun-csum", &s)
            }
            if s.tunnelKind != .ipip {
                let checksums = given.filter { [.tunNocsum, .tunCsum, .tunRemcsum].contains($0.option.optionClass!) }
                if checksums.count > 1 {
                    reject(checksums[1].located, "option \(checksums[1].spelled) conflicts with \(checksums[0].spelled)",
                           "give one of --tun-nocsum, --tun-csum, --tun-remcsum", &s)
                }
            }
            if s.tunnelKind == .gue, seen[.tunPort] == nil, let t = seen[.tunType] {
                reject(t.valueToken, "a gue tunnel needs --tun-port", "add --tun-port PORT (the real server's GUE port)", &s)
            }
        }
        if s.lowerThreshold > s.upperThreshold {
            let located = seen[.lThreshold]?.valueToken ?? s.commandToken
            reject(located, "lower threshold \(s.lowerThreshold) is above the upper threshold \(s.upperThreshold)",
                   s.upperThreshold == 0
                       ? "the kernel refuses a lower threshold without an upper one: add -x, or remove -y"
                       : "the kernel refuses it: lower -y or raise -x", &s)
        }
    }

    /// The command, once every check passed.
    func build(_ s: LineState, _ seen: SeenOptions) -> Result {
        var result = Result()
        result.isAddService = s.command == .add
        result.serviceKey = s.serviceKey
        guard !s.broken, !s.serviceBroken, !s.destinationBroken, diagnostics.isEmpty else { return result }
        let location = SourceLocation(file: file, line: line, column: s.commandToken.column)
        let action: RuleAction
        switch s.command {
        case .add, .edit:
            guard let key = s.serviceKey else { return result }
            action = s.command == .add ? .change(.addService(s.service(key))) : .change(.editService(s.service(key)))
        case .delete:
            guard let key = s.serviceKey else { return result }
            action = .change(.deleteService(key))
        case .addServer, .editServer:
            guard let key = s.serviceKey, let d = s.destination else { return result }
            action = s.command == .addServer ? .change(.addDestination(d, to: key)) : .change(.editDestination(d, in: key))
        case .deleteServer:
            guard let key = s.serviceKey, let a = s.destinationAddress else { return result }
            action = .change(.deleteDestination(DestinationKey(address: a, port: s.destinationPort), from: key))
        case .flush:
            action = .change(.flush)
        case .zero:
            if seen[.service] != nil {
                guard let key = s.serviceKey else { return result }
                action = .change(.zero(key))
            } else {
                action = .change(.zero(nil))
            }
        case .set:
            guard let t = s.timeouts else { return result }
            action = .setTimeouts(t)
        case .startDaemon:
            guard let role = s.role else { return result }
            action = .startDaemon(SyncDaemon(role: role, interface: s.interface.isEmpty ? "eth0" : s.interface,
                                             syncID: s.syncID, maxLength: s.maxLength, group: s.group,
                                             port: s.mcastPort, ttl: s.ttl))
        case .stopDaemon:
            guard let role = s.role else { return result }
            action = .stopDaemon(role)
        case .list, .help, .version, .restore, .save:
            return result
        }
        var command = RuleCommand(location: location, action: action)
        command.serviceToken = s.serviceToken
        command.serverToken = s.serverToken
        result.command = command
        return result
    }
}
