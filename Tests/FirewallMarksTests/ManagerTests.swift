import Testing
@testable import FirewallMarks

/// Behaviour both backends share: apply(desired:), round trips, concurrency, bad input.
@Suite("MarkManager, both backends", .enabled(if: Namespaces.available, Namespaces.reason),
       .enabled(if: Namespaces.canPing, "needs /usr/bin/ping (iputils-ping) to send marked packets"))
struct ManagerTests {
    /// Plants a foreign mark rule for 198.51.100.7 the backend must leave alone, and returns
    /// a function that reads "everything foreign" back.
    func plantForeign(_ ns: TestNamespace, _ backend: MarkBackendKind) throws -> () throws -> String {
        switch backend {
        case .iptables:
            try ns.addForeign(.inet, "-d 198.51.100.7/32 -j MARK --set-xmark 0x7/0xffffffff")
            try ns.addForeign(.inet6, "-d 2001:db8::7/128 -j MARK --set-xmark 0x7/0xffffffff")
            return {
                (try ns.mangleRules(.inet) + ns.mangleRules(.inet6)).filter { !$0.contains("swiftvs") }.joined(separator: "\n")
            }
        case .nft:
            _ = try ns.exec(["/usr/sbin/nft", "-f", "-"], input: NftTests.foreignScript)
            return { try ns.exec(["/usr/sbin/nft", "list", "table", "ip", "filterish"]) }
        }
    }

    /// Packets the rule for `address` has counted (0 when the rule is missing).
    func packets(_ ns: TestNamespace, _ backend: MarkBackendKind, _ r: MarkRule) throws -> Int {
        switch backend {
        case .iptables:
            let t = r.family == .inet ? "/usr/sbin/iptables" : "/usr/sbin/ip6tables"
            let lines = try ns.exec([t, "-w", "-t", "mangle", "-S", "PREROUTING", "-v"]).split(separator: "\n")
            // "-A PREROUTING -d X/32 -m comment --comment swiftvs -c PKTS BYTES -j MARK …"
            for l in lines where l.hasPrefix("-A PREROUTING -d \(r.destination) ") && l.contains("--set-xmark 0x\(String(r.mark, radix: 16))/") {
                let words = l.split(separator: " ")
                if let i = words.firstIndex(of: "-c"), let n = Int(words[i + 1]) { return n }
            }
        case .nft:
            let text = try ns.exec(["/usr/sbin/nft", "list", "table", "inet", "swiftvs"])
            let prefix = r.nftStatement.replacingCounter()
            for l in text.split(separator: "\n") where l.trimmingLeadingTabs.hasPrefix(prefix.before) {
                let words = l.split(separator: " ")
                if let i = words.firstIndex(of: "packets"), let n = Int(words[i + 1]) { return n }
            }
        }
        return 0
    }

    /// Sends traffic to `address` inside the namespace (it is put on lo, so packets loop
    /// back through PREROUTING).
    func ping(_ ns: TestNamespace, _ address: String) throws {
        _ = try ns.exec(["/usr/sbin/ip", "link", "set", "lo", "up"])
        _ = try ns.exec(["/usr/sbin/ip", "addr", "add", address + (address.contains(":") ? "/128" : "/32"), "dev", "lo"] + (address.contains(":") ? ["nodad"] : []))
        _ = try ns.exec(["/usr/bin/ping", "-c", "1", "-W", "2", address])
    }

    @Test(arguments: MarkBackendKind.allCases)
    func applyMakesTheMinimalChange(_ backend: MarkBackendKind) throws {
        try withNamespace { ns in
            let foreign = try plantForeign(ns, backend)
            let foreignBefore = try foreign()
            let m = try ns.manager(backend)
            let a = try rule("-d 192.0.2.100/32 --mark 80")
            let b = try rule("-d 192.0.2.101/32 -p tcp --dport 80 --mark 81")
            let c = try rule("-d 2001:db8::100/128 -p udp --dport 53:54 --mark 82")
            let d = try rule("-d 203.0.113.0/24 -p sctp --mark 83")

            var changes = try m.apply(desired: [a, b, c])
            #expect(changes == MarkChanges(added: [a, b, c], removed: []))
            #expect(try m.list() == [a, b, c])

            // Traffic through a: its counter moves; a later apply must keep that rule as is.
            try ping(ns, "192.0.2.100")
            let counted = try packets(ns, backend, a)
            #expect(counted > 0)

            changes = try m.apply(desired: [c, d, a, d])
            #expect(changes == MarkChanges(added: [d], removed: [b]))
            #expect(Set(try m.list()) == [a, c, d])
            #expect(try m.list().count == 3)
            #expect(try packets(ns, backend, a) == counted)  // not re-created
            #expect(try foreign() == foreignBefore)

            #expect(try m.apply(desired: [a, c, d]).isEmpty)

            changes = try m.apply(desired: [])
            #expect(Set(changes.removed) == [a, c, d])
            #expect(changes.added.isEmpty)
            #expect(try m.list() == [])
            #expect(try foreign() == foreignBefore)
        }
    }

    @Test(arguments: MarkBackendKind.allCases)
    func listSaveLineRoundTrip(_ backend: MarkBackendKind) throws {
        let rules = try [
            rule("-d 192.0.2.100/32 --mark 80"),
            rule("-d 198.51.100.0/24 -p tcp --mark 0x10"),
            rule("-d 203.0.113.7 -p udp --dport 1:65535 --mark 4294967295"),
            rule("-d 2001:db8::100 -p sctp --dport 80 --mark 1"),
            rule("-d 2001:db8:a::/64 -p tcp --dport 80:81 --mark 0x50"),
        ]
        let lines = try withNamespace { ns in
            let m = try ns.manager(backend)
            for r in rules { try m.add(r) }
            return try m.list().map(\.saveLine)
        }
        #expect(lines == [
            "# swiftvs-mark -d 192.0.2.100/32 --mark 80",
            "# swiftvs-mark -d 198.51.100.0/24 -p tcp --mark 16",
            "# swiftvs-mark -d 203.0.113.7/32 -p udp --dport 1:65535 --mark 4294967295",
            "# swiftvs-mark -d 2001:db8::100/128 -p sctp --dport 80 --mark 1",
            "# swiftvs-mark -d 2001:db8:a::/64 -p tcp --dport 80:81 --mark 80",
        ])
        let parsed = try lines.map { (l: String) throws(MarkError) in try MarkRule.parseSaveLine(l) }
        #expect(parsed == rules)
        // Restoring into an empty namespace reproduces the same rules.
        try withNamespace { ns in
            let m = try ns.manager(backend)
            #expect(try m.apply(desired: parsed).added == rules)
            #expect(try m.list() == rules)
        }
    }

    @Test(arguments: MarkBackendKind.allCases)
    func concurrentAddsKeepOneRule(_ backend: MarkBackendKind) async throws {
        try await withNamespaceAsync { ns in
            let m = try ns.manager(backend)
            let r = try rule("-d 192.0.2.100/32 -p tcp --dport 80 --mark 80")
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<6 { group.addTask { try m.add(r) } }
                var out: [Bool] = []
                for try await x in group { out.append(x) }
                return out
            }
            #expect(results.filter { $0 }.count == 1)
            #expect(try m.list() == [r])
        }
    }

    @Test func duplicatesOfOursAreCollapsedByApply() throws {
        try withNamespace { ns in
            let m = try ns.manager(.iptables)
            let r = try rule("-d 192.0.2.100/32 --mark 80")
            // Someone ran the same iptables command twice by hand.
            for _ in 0..<2 {
                _ = try ns.exec(["/usr/sbin/iptables", "-w", "-t", "mangle", "-A", "PREROUTING"] + r.iptablesArguments)
            }
            #expect(try m.list() == [r, r])
            #expect(try m.add(r) == false)
            #expect(try m.apply(desired: [r]) == MarkChanges(added: [], removed: [r]))
            #expect(try ns.mangleRules() == [r.iptablesSaveLine])
            // delete removes every copy.
            _ = try ns.exec(["/usr/sbin/iptables", "-w", "-t", "mangle", "-A", "PREROUTING"] + r.iptablesArguments)
            #expect(try m.delete(r))
            #expect(try ns.mangleRules() == [])
        }
    }

    @Test(arguments: MarkBackendKind.allCases)
    func badInputIsRefusedPreciselyAndChangesNothing(_ backend: MarkBackendKind) throws {
        try withNamespace { ns in
            let m = try ns.manager(backend)
            try m.add(rule("-d 192.0.2.100/32 --mark 80"))
            let before = try ns.ruleset()
            let cases: [(d: String, p: String?, dport: String?, mark: String, message: String)] = [
                ("192.0.2.300", nil, nil, "80", "-d 192.0.2.300: '192.0.2.300' is not an IPv4 or IPv6 address"),
                ("vip.example", nil, nil, "80", "-d vip.example: 'vip.example' is not an IPv4 or IPv6 address"),
                ("192.0.2.1/33", nil, nil, "80", "-d 192.0.2.1/33: prefix /33 is too long for an IPv4 address (at most /32)"),
                ("192.0.2.1/64", nil, nil, "80", "-d 192.0.2.1/64: prefix /64 is too long for an IPv4 address (at most /32)"),
                ("2001:db8::1/129", nil, nil, "80", "-d 2001:db8::1/129: prefix /129 is too long for an IPv6 address (at most /128)"),
                ("192.0.2.1/0", nil, nil, "80", "-d 192.0.2.1/0: prefix /0 would mark every IPv4 packet"),
                ("192.0.2.1/x", nil, nil, "80", "-d 192.0.2.1/x: the prefix '/x' is not a number"),
                ("192.0.2.1", "icmp", nil, "80", "-p icmp: the protocol must be tcp, udp or sctp"),
                ("192.0.2.1", nil, "80", "80", "--dport 80: a destination port needs a protocol"),
                ("192.0.2.1", "tcp", "90:80", "80", "--dport 90:80: the range is upside down (90 is above 80)"),
                ("192.0.2.1", "tcp", "65536", "80", "--dport 65536: port 65536 is above 65535"),
                ("192.0.2.1", "tcp", "http", "80", "--dport http: 'http' is not a port number"),
                ("192.0.2.1", nil, nil, "0", "--mark 0: mark 0 means 'no mark' and cannot select an IPVS service"),
                ("192.0.2.1", nil, nil, "0x0", "--mark 0x0: mark 0 means 'no mark' and cannot select an IPVS service"),
                ("192.0.2.1", nil, nil, "4294967296", "--mark 4294967296: larger than 4294967295 (0xffffffff), the largest 32-bit mark"),
                ("192.0.2.1", nil, nil, "0x100000000", "--mark 0x100000000: larger than 4294967295 (0xffffffff), the largest 32-bit mark"),
                ("192.0.2.1", nil, nil, "-1", "--mark -1: not a number"),
                ("192.0.2.1", nil, nil, "0x", "--mark 0x: not a number"),
            ]
            for c in cases {
                let e = markError {
                    let r = try MarkRule(destination: c.d, protocol: c.p, ports: c.dport, mark: c.mark)
                    try m.add(r)
                }
                #expect(e?.code == .invalidValue)
                #expect(e?.exitCode == 2)
                #expect(e?.message == c.message)
                #expect(e?.hint != nil)
            }
            #expect(try ns.ruleset() == before)
            #expect(try m.list() == [try rule("-d 192.0.2.100/32 --mark 80")])
        }
    }
}

extension String {
    /// Splits an nft statement at its counter: the part before is what listing lines start with.
    func replacingCounter() -> (before: String, after: String) {
        guard let r = firstRange(of: " counter") else { return (self, "") }
        return (String(self[..<r.lowerBound]), String(self[r.upperBound...]))
    }
}

extension Substring {
    var trimmingLeadingTabs: Substring { drop(while: { $0 == "\t" }) }
}
