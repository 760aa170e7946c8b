/// Mark rules in swiftvs's own nftables table:
///
///     table inet swiftvs {
///         chain prerouting {
///             type filter hook prerouting priority mangle; policy accept;
///             ip daddr 192.0.2.100 counter meta mark set 0x00000050
///         }
///     }
///
/// Read with `nft -j list table inet swiftvs`, changed with one `nft -f -` transaction that
/// (re)declares the table and chain, deletes rules by handle and adds rules.
struct NftBackend: MarkBackend {
    static let table = "swiftvs"
    static let chain = "prerouting"
    static let chainDeclaration = "type filter hook prerouting priority mangle; policy accept;"

    let runner: ToolRunner
    let nft: String

    var kind: MarkBackendKind { .nft }
    var location: String { "nft table inet \(Self.table) chain \(Self.chain)" }

    init(runner: ToolRunner, locator: ToolLocator) throws(MarkError) {
        self.runner = runner
        nft = try locator.require("nft", package: "nftables", for: "for the nft backend")
    }

    func read() throws(MarkError) -> MarkState {
        let what = "read nft table inet \(Self.table)"
        let r = try runner.run([nft, "-j", "list", "table", "inet", Self.table])
        if !r.succeeded {
            // No table yet: nothing of ours.
            if !r.timedOut, r.stderr.hasPrefix("Error: No such file or directory"), r.stderr.contains("list table inet") {
                return MarkState()
            }
            throw runner.failure(r, what: what)
        }
        let json: JSON
        do {
            json = try JSON.parse(r.stdout)
        } catch {
            throw MarkError(code: .unexpectedOutput,
                            message: "\(what)\(runner.whereSuffix): nft -j printed invalid JSON at byte \(error.offset) (\(error.reason))",
                            hint: "check 'nft -j list table inet \(Self.table)' by hand; nftables 0.9.3 or later is needed",
                            command: r.argv, exitStatus: r.status)
        }
        guard let items = json["nftables"]?.arrayValue else {
            throw MarkError(code: .unexpectedOutput, message: "\(what)\(runner.whereSuffix): nft -j printed no \"nftables\" array",
                            hint: "check 'nft -j list table inet \(Self.table)' by hand",
                            command: r.argv, exitStatus: r.status)
        }
        return Self.state(from: items)
    }

    static func state(from items: [JSON]) -> MarkState {
        var state = MarkState()
        for item in items {
            if let chain = item["chain"] {
                let name = chain["name"]?.stringValue ?? "?"
                if name != Self.chain {
                    state.unrecognised.append("nft: chain \(name) in table inet \(Self.table)")
                } else if chain["type"]?.stringValue != "filter" || chain["hook"]?.stringValue != "prerouting"
                            || chain["prio"]?.integerValue != -150 {
                    state.unrecognised.append("nft: chain \(name) is not 'type filter hook prerouting priority mangle'")
                }
            } else if let rule = item["rule"] {
                let handle = rule["handle"]?.integerValue
                if rule["chain"]?.stringValue == Self.chain, let handle,
                   let exprs = rule["expr"]?.arrayValue, let parsed = parseRule(exprs) {
                    state.rules.append(InstalledRule(rule: parsed, handle: handle))
                } else if rule["chain"]?.stringValue == Self.chain {
                    state.unrecognised.append("nft: rule handle \(handle.map(String.init) ?? "?") in chain \(Self.chain)")
                }
            } else if let set = item["set"] ?? item["map"] {
                state.unrecognised.append("nft: set \(set["name"]?.stringValue ?? "?") in table inet \(Self.table)")
            }
        }
        return state
    }

    /// Reads a rule's JSON expressions back into a `MarkRule`; nil for anything but
    /// `ip[6] daddr NET [l4proto P | P dport PORTS] [counter] meta mark set N`.
    static func parseRule(_ exprs: [JSON]) -> MarkRule? {
        var family: AddressFamily?
        var net: MarkNetwork?
        var l4: TransportProtocol?
        var portProto: TransportProtocol?
        var ports: ClosedRange<UInt16>?
        var nfproto: AddressFamily?
        var mark: UInt32?
        for e in exprs {
            if mark != nil {
                // Only a counter may follow the mark statement.
                guard e["counter"] != nil else { return nil }
                continue
            }
            if let m = e["match"] {
                if let op = m["op"]?.stringValue, op != "==" { return nil }
                guard let left = m["left"], let right = m["right"] else { return nil }
                if let payload = left["payload"] {
                    let proto = payload["protocol"]?.stringValue
                    let field = payload["field"]?.stringValue
                    if field == "daddr", proto == "ip" || proto == "ip6", net == nil {
                        let f: AddressFamily = proto == "ip" ? .inet : .inet6
                        guard let n = network(right), n.family == f else { return nil }
                        family = f
                        net = n
                    } else if field == "dport", let p = proto.flatMap(TransportProtocol.init(name:)), ports == nil {
                        guard let r = portRange(right) else { return nil }
                        portProto = p
                        ports = r
                    } else {
                        return nil
                    }
                } else if let meta = left["meta"], let key = meta["key"]?.stringValue {
                    if key == "l4proto", l4 == nil {
                        if let s = right.stringValue { l4 = TransportProtocol(name: s) }
                        if let n = right.integerValue { l4 = TransportProtocol(number: Int(n)) }
                        guard l4 != nil else { return nil }
                    } else if key == "nfproto", nfproto == nil {
                        switch right.stringValue {
                        case "ipv4": nfproto = .inet
                        case "ipv6": nfproto = .inet6
                        default: return nil
                        }
                    } else {
                        return nil
                    }
                } else {
                    return nil
                }
            } else if e["counter"] != nil {
                continue
            } else if let mangle = e["mangle"] {
                guard mangle["key"]?["meta"]?["key"]?.stringValue == "mark", let v = mangle["value"] else { return nil }
                if let n = v.integerValue, n > 0, n <= Int64(UInt32.max) {
                    mark = UInt32(n)
                } else if let s = v.stringValue, let n = try? MarkRule.parseMark(s) {
                    mark = n
                } else {
                    return nil
                }
            } else {
                return nil
            }
        }
        guard let family, let net, let mark else { return nil }
        if let nfproto, nfproto != family { return nil }
        if let l4, let portProto, l4 != portProto { return nil }
        return try? MarkRule(destination: net, protocol: portProto ?? l4, ports: ports, mark: mark)
    }

    private static func network(_ v: JSON) -> MarkNetwork? {
        if let s = v.stringValue { return try? MarkNetwork(s) }
        if let p = v["prefix"], let addr = p["addr"]?.stringValue, let len = p["len"]?.integerValue {
            return try? MarkNetwork("\(addr)/\(len)")
        }
        return nil
    }

    private static func portRange(_ v: JSON) -> ClosedRange<UInt16>? {
        if let n = v.integerValue, let p = UInt16(exactly: n) { return p...p }
        if let r = v["range"]?.arrayValue, r.count == 2,
           let a = r[0].integerValue.flatMap({ UInt16(exactly: $0) }),
           let b = r[1].integerValue.flatMap({ UInt16(exactly: $0) }), a <= b {
            return a...b
        }
        return nil
    }

    func change(remove: [InstalledRule], add: [MarkRule]) throws(MarkError) {
        if remove.isEmpty && add.isEmpty { return }
        var script = """
            table inet \(Self.table) {
            \tchain \(Self.chain) {
            \t\t\(Self.chainDeclaration)
            \t}
            }

            """
        for r in remove {
            guard let handle = r.handle else { continue }
            script += "delete rule inet \(Self.table) \(Self.chain) handle \(handle)\n"
        }
        for rule in add {
            script += "add rule inet \(Self.table) \(Self.chain) \(rule.nftStatement)\n"
        }
        let what: String
        switch (remove.count, add.count) {
        case (0, 1): what = "add \(add[0]) in nft table inet \(Self.table)"
        case (1, 0): what = "delete \(remove[0].rule) in nft table inet \(Self.table)"
        default: what = "change \(remove.count + add.count) rules in nft table inet \(Self.table)"
        }
        _ = try runner.checked([nft, "-f", "-"], input: script, what: what)
    }

    func saveText(_ state: MarkState, family: AddressFamily?) -> String {
        var out = """
            #!/usr/sbin/nft -f
            # swiftvs mark rules (nft backend): load with 'nft -f FILE'; replaces table inet \(Self.table) only.
            table inet \(Self.table)
            delete table inet \(Self.table)
            table inet \(Self.table) {
            \tchain \(Self.chain) {
            \t\t\(Self.chainDeclaration)

            """
        for r in state.rules where family == nil || r.rule.family == family {
            out += "\t\t\(r.rule.nftStatement)\n"
        }
        out += "\t}\n}\n"
        for u in state.unrecognised {
            out += "# not saved, in table inet \(Self.table) but not understood: \(u)\n"
        }
        return out
    }
}
