/// Mark rules in the mangle table's PREROUTING chain via `iptables`/`ip6tables` (whichever
/// flavour, legacy or nft, is installed), each tagged `-m comment --comment swiftvs`.
struct IptablesBackend: MarkBackend {
    let runner: ToolRunner
    let locator: ToolLocator
    let iptables: String
    let ip6tables: String?

    var kind: MarkBackendKind { .iptables }
    var location: String { "iptables table mangle chain PREROUTING" }

    init(runner: ToolRunner, locator: ToolLocator) throws(MarkError) {
        self.runner = runner
        self.locator = locator
        iptables = try locator.require("iptables", package: "iptables", for: "for the iptables backend")
        ip6tables = locator.find("ip6tables")
    }

    private func tool(_ family: AddressFamily) throws(MarkError) -> String {
        switch family {
        case .inet: return iptables
        case .inet6:
            guard let ip6tables else {
                return try locator.require("ip6tables", package: "iptables", for: "for IPv6 mark rules")
            }
            return ip6tables
        }
    }

    func read() throws(MarkError) -> MarkState {
        var state = MarkState()
        for family in AddressFamily.allCases {
            // Without ip6tables there can be no IPv6 rules of ours.
            if family == .inet6 && ip6tables == nil { continue }
            let what = "read \(family == .inet ? "iptables" : "ip6tables") table mangle chain PREROUTING"
            let r = try runner.run([try tool(family), "-w", "-t", "mangle", "-S", "PREROUTING"])
            if !r.succeeded {
                // A kernel without IPv6 (ipv6.disable=1) has no IPv6 rules of ours either;
                // adding one will still fail, with ip6tables' own message.
                if family == .inet6, !r.timedOut, Self.ipv6Unavailable(r.stderr) { continue }
                throw runner.failure(r, what: what)
            }
            if r.stdoutTruncated {
                throw MarkError(code: .unexpectedOutput, message: "\(what)\(runner.whereSuffix): the output is too large",
                                hint: "the chain holds more rules than swiftvs reads (16 MiB of text)",
                                command: r.argv, exitStatus: r.status)
            }
            for line in r.stdout.split(separator: "\n") {
                switch Self.parse(line: line, family: family) {
                case .foreign: break
                case let .ours(rule): state.rules.append(InstalledRule(rule: rule, handle: nil))
                case .unrecognised: state.unrecognised.append((family == .inet6 ? "ip6tables: " : "iptables: ") + line)
                }
            }
        }
        return state
    }

    static func ipv6Unavailable(_ stderr: String) -> Bool {
        ["Address family not supported", "can't initialize ip6tables table", "Protocol not supported"]
            .contains { stderr.contains($0) }
    }

    func change(remove: [InstalledRule], add: [MarkRule]) throws(MarkError) {
        for family in AddressFamily.allCases {
            var ops: [(verb: String, rule: MarkRule)] = []
            ops += remove.filter { $0.rule.family == family }.map { ("-D", $0.rule) }
            ops += add.filter { $0.family == family }.map { ("-A", $0) }
            if ops.isEmpty { continue }
            let tool = try tool(family)
            let name = family == .inet ? "iptables" : "ip6tables"
            let restore = locator.find(name + "-restore")
            if ops.count == 1 || restore == nil {
                for op in ops {
                    _ = try runner.checked([tool, "-w", "-t", "mangle", op.verb, "PREROUTING"] + op.rule.iptablesArguments,
                                           what: "\(op.verb == "-A" ? "add" : "delete") \(op.rule) in \(name) table mangle chain PREROUTING")
                }
            } else {
                // One atomic transaction: all or nothing, no window without a mark.
                var script = "*mangle\n"
                for op in ops { script += ([op.verb, "PREROUTING"] + op.rule.iptablesArguments).joined(separator: " ") + "\n" }
                script += "COMMIT\n"
                _ = try runner.checked([restore!, "-w", "--noflush"], input: script,
                                       what: "change \(ops.count) rules in \(name) table mangle chain PREROUTING")
            }
        }
    }

    func saveText(_ state: MarkState, family: AddressFamily?) -> String {
        var out = ""
        for f in AddressFamily.allCases where family == nil || family == f {
            let rules = state.rules.filter { $0.rule.family == f }
            if family == nil && rules.isEmpty { continue }
            let restore = f == .inet ? "iptables-restore" : "ip6tables-restore"
            out += "# swiftvs mark rules, \(f.displayName): load with '\(restore) --noflush'"
            out += f == .inet ? " (Debian: /etc/iptables/rules.v4)\n" : " (Debian: /etc/iptables/rules.v6)\n"
            out += "*mangle\n"
            for r in rules { out += r.rule.iptablesSaveLine + "\n" }
            out += "COMMIT\n"
        }
        for u in state.unrecognised where family == nil || u.hasPrefix(family == .inet ? "iptables:" : "ip6tables:") {
            out += "# not saved, tagged swiftvs but not understood: \(u)\n"
        }
        return out
    }

    // MARK: - Reading `iptables -S`

    enum LineKind: Equatable {
        case foreign
        case ours(MarkRule)
        case unrecognised
    }

    /// Classifies one `iptables -S` / `iptables-save` line. Ours: `-A PREROUTING`, comment
    /// exactly `swiftvs`, and nothing but `-d`, `-p`, `-m tcp|udp|sctp|comment`, `--dport`,
    /// `-j MARK --set-xmark V/0xffffffff` (or the older `--set-mark V`), in any order —
    /// legacy and nft flavours order and spell matches differently.
    static func parse(line: some StringProtocol, family: AddressFamily) -> LineKind {
        guard let tokens = tokenize(String(line)), tokens.count >= 2,
              tokens[0] == "-A", tokens[1] == "PREROUTING" else { return .foreign }
        var comment: String?
        var destination: String?
        var proto: String?
        var modules: [String] = []
        var dport: String?
        var target: String?
        var markValue: String?
        var understood = true
        var i = 2
        func next() -> String? {
            i += 1
            return i < tokens.count ? tokens[i] : nil
        }
        while i < tokens.count {
            let t = tokens[i]
            switch t {
            case "-d", "--destination": destination = next()
            case "-p", "--protocol": proto = next()
            case "-m", "--match": if let m = next() { modules.append(m) } else { understood = false }
            case "--dport", "--destination-port": dport = next()
            case "--comment":
                let c = next()
                if comment == nil { comment = c } else { understood = false }
            case "-j", "--jump": target = next()
            case "--set-xmark", "--set-mark":
                guard let v = next() else { understood = false; break }
                let parts = v.split(separator: "/", omittingEmptySubsequences: false)
                if parts.count == 2, parts[1].lowercased() != "0xffffffff" { understood = false }
                if parts.count > 2 { understood = false }
                markValue = String(parts[0])
            default:
                understood = false  // "!", -i, -s, --sport, other matches and targets
            }
            i += 1
        }
        guard comment == MarkRule.iptablesComment else { return .foreign }
        guard understood, target == "MARK", let destination, let markValue else { return .unrecognised }
        var protocolValue: TransportProtocol?
        if let proto {
            if let n = Int(proto) { protocolValue = TransportProtocol(number: n) } else { protocolValue = TransportProtocol(name: proto) }
            guard protocolValue != nil else { return .unrecognised }
        }
        for m in modules where !(m == "comment" || m == protocolValue?.name) { return .unrecognised }
        guard let net = try? MarkNetwork(destination), net.family == family,
              let mark = try? MarkRule.parseMark(markValue) else { return .unrecognised }
        var ports: ClosedRange<UInt16>?
        if let dport {
            guard let p = try? MarkRule.parsePorts(dport) else { return .unrecognised }
            ports = p
        }
        guard let rule = try? MarkRule(destination: net, protocol: protocolValue, ports: ports, mark: mark) else {
            return .unrecognised
        }
        return .ours(rule)
    }

    /// Splits a line as iptables-save quotes it: blanks separate words, "double quotes"
    /// group, backslash escapes `"` and `\` inside quotes. Nil on an unterminated quote.
    static func tokenize(_ line: String) -> [String]? {
        var tokens: [String] = []
        var current = ""
        var inWord = false
        var quoted = false
        var chars = line.makeIterator()
        while let c = chars.next() {
            if quoted {
                if c == "\\" {
                    if let n = chars.next() { current.append(n) }
                } else if c == "\"" {
                    quoted = false
                } else {
                    current.append(c)
                }
                continue
            }
            if c == " " || c == "\t" {
                if inWord { tokens.append(current); current = ""; inWord = false }
            } else if c == "\"" {
                quoted = true
                inWord = true
            } else {
                current.append(c)
                inWord = true
            }
        }
        if quoted { return nil }
        if inWord { tokens.append(current) }
        return tokens
    }
}
