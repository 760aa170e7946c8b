import Testing
@testable import FirewallMarks

/// The iptables backend against real iptables/ip6tables in throwaway namespaces.
@Suite("iptables backend", .enabled(if: Namespaces.available, Namespaces.reason))
struct IptablesTests {
    let foreign4 = "-A PREROUTING -d 198.51.100.7/32 -j MARK --set-xmark 0x7/0xffffffff"

    @Test func addIsIdempotentAndLeavesForeignRulesAlone() throws {
        try withNamespace { ns in
            try ns.addForeign(.inet, "-d 198.51.100.7/32 -j MARK --set-xmark 0x7/0xffffffff")
            let m = try ns.manager(.iptables)
            #expect(m.backendKind == .iptables)

            #expect(try m.add(rule("-d 192.0.2.100/32 --mark 80")) == true)
            #expect(try m.add(rule("-d 192.0.2.100 --mark 0x50")) == false)  // same rule, other spelling
            #expect(try m.add(rule("-d 203.0.113.0/24 -p tcp --dport 80:81 --mark 0x51")) == true)
            #expect(try m.add(rule("-d 203.0.113.9/24 -p tcp --dport 80:81 --mark 81")) == false)  // host bits cleared
            #expect(try m.add(rule("-d 192.0.2.5 -p sctp --dport 9 --mark 4294967295")) == true)
            #expect(try m.add(rule("-d 192.0.2.6 -p udp --mark 1")) == true)

            #expect(try ns.mangleRules() == [
                foreign4,
                "-A PREROUTING -d 192.0.2.100/32 -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff",
                "-A PREROUTING -d 203.0.113.0/24 -p tcp -m tcp --dport 80:81 -m comment --comment swiftvs -j MARK --set-xmark 0x51/0xffffffff",
                "-A PREROUTING -d 192.0.2.5/32 -p sctp -m sctp --dport 9 -m comment --comment swiftvs -j MARK --set-xmark 0xffffffff/0xffffffff",
                "-A PREROUTING -d 192.0.2.6/32 -p udp -m comment --comment swiftvs -j MARK --set-xmark 0x1/0xffffffff",
            ])
            #expect(try ns.mangleRules(.inet6) == [])
            #expect(try m.list() == [
                rule("-d 192.0.2.100/32 --mark 80"),
                rule("-d 203.0.113.0/24 -p tcp --dport 80:81 --mark 81"),
                rule("-d 192.0.2.5/32 -p sctp --dport 9 --mark 0xffffffff"),
                rule("-d 192.0.2.6/32 -p udp --mark 1"),
            ])
        }
    }

    @Test func renderedLinesEqualWhatIptablesPrints() throws {
        // Our iptablesSaveLine must be byte-identical to iptables' own listing, which is
        // what makes save output and Debian rules.v4 files match.
        try withNamespace { ns in
            let m = try ns.manager(.iptables)
            let rules = try [
                rule("-d 192.0.2.100/32 --mark 80"),
                rule("-d 198.51.100.0/25 -p tcp --mark 2"),
                rule("-d 203.0.113.1 -p udp --dport 53 --mark 0xabcdef"),
                rule("-d 203.0.113.2 -p sctp --dport 1:65535 --mark 3"),
                rule("-d 2001:db8::100 -p tcp --dport 80:81 --mark 80"),
                rule("-d 2001:db8:0:0:1::/80 --mark 0x50"),
            ]
            for r in rules { try m.add(r) }
            let printed = try ns.mangleRules(.inet) + ns.mangleRules(.inet6)
            #expect(printed == rules.map(\.iptablesSaveLine))
            #expect(try m.list() == rules)
        }
    }

    @Test func deleteRemovesExactlyOursAndIfExists() throws {
        try withNamespace { ns in
            // A foreign rule identical to ours but for the comment, and one with another comment.
            try ns.addForeign(.inet, "-d 192.0.2.100/32 -j MARK --set-xmark 0x50/0xffffffff")
            try ns.addForeign(.inet, "-d 192.0.2.100/32 -m comment --comment swiftvs-other -j MARK --set-xmark 0x50/0xffffffff")
            let m = try ns.manager(.iptables)
            let r = try rule("-d 192.0.2.100/32 --mark 80")
            try m.add(r)
            try m.add(rule("-d 192.0.2.101/32 --mark 80"))
            let before = try ns.mangleRules()
            #expect(before.count == 4)

            #expect(try m.delete(r) == true)
            #expect(try ns.mangleRules() == [before[0], before[1], before[3]])

            // Missing: an error naming the rule and where; nothing changes.
            let e = markError { try m.delete(r) }
            #expect(e?.code == .notFound)
            #expect(e?.exitCode == 1)
            #expect(e?.message == "no swiftvs mark rule '-d 192.0.2.100/32 --mark 80' in iptables table mangle chain PREROUTING in network namespace \(ns.name)")
            #expect(e?.hint?.contains("--if-exists") == true)
            #expect(try m.delete(r, ifExists: true) == false)
            // Same address, other mark: not the rule.
            #expect(markError { try m.delete(rule("-d 192.0.2.101/32 --mark 81")) }?.code == .notFound)
            #expect(try ns.mangleRules() == [before[0], before[1], before[3]])
        }
    }

    @Test func ipv6UsesIp6tables() throws {
        try withNamespace { ns in
            try ns.addForeign(.inet6, "-d 2001:db8::7/128 -j MARK --set-xmark 0x7/0xffffffff")
            let m = try ns.manager(.iptables)
            #expect(try m.add(rule("-d 2001:db8::100/128 -p tcp --dport 80:81 --mark 0x50")))
            #expect(try m.add(rule("-d 2001:DB8:0::100 -p tcp --dport 80:81 --mark 80")) == false)
            #expect(try ns.mangleRules(.inet6) == [
                "-A PREROUTING -d 2001:db8::7/128 -j MARK --set-xmark 0x7/0xffffffff",
                "-A PREROUTING -d 2001:db8::100/128 -p tcp -m tcp --dport 80:81 -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff",
            ])
            #expect(try ns.mangleRules(.inet) == [])
            try m.delete(rule("-d 2001:db8::100/128 -p tcp --dport 80:81 --mark 80"))
            #expect(try ns.mangleRules(.inet6) == ["-A PREROUTING -d 2001:db8::7/128 -j MARK --set-xmark 0x7/0xffffffff"])
        }
    }

    @Test func saveTextIsIptablesSaveFormat() throws {
        try withNamespace { ns in
            try ns.addForeign(.inet, "-d 198.51.100.7/32 -j MARK --set-xmark 0x7/0xffffffff")
            let m = try ns.manager(.iptables)
            try m.add(rule("-d 192.0.2.100/32 --mark 80"))
            try m.add(rule("-d 2001:db8::100 -p udp --dport 53 --mark 81"))
            #expect(try m.saveText(family: .inet) == """
                # swiftvs mark rules, IPv4: load with 'iptables-restore --noflush' (Debian: /etc/iptables/rules.v4)
                *mangle
                -A PREROUTING -d 192.0.2.100/32 -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff
                COMMIT

                """)
            let both = try m.saveText()
            #expect(both.contains("*mangle\n-A PREROUTING -d 2001:db8::100/128 -p udp -m udp --dport 53 -m comment --comment swiftvs -j MARK --set-xmark 0x51/0xffffffff\nCOMMIT\n"))
            #expect(!both.contains("198.51.100.7"))

            // The v4 block is what iptables-save itself prints for our rule, and it restores.
            let saved = try ns.exec(["/usr/sbin/iptables-save", "-t", "mangle"])
            #expect(saved.contains("\n-A PREROUTING -d 192.0.2.100/32 -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff\n"))
            try m.delete(rule("-d 192.0.2.100/32 --mark 80"))
            _ = try ns.exec(["/usr/sbin/iptables-restore", "-w", "--noflush"], input: try m.saveText(family: .inet) + "")
            #expect(try m.list() == [try rule("-d 2001:db8::100 -p udp --dport 53 --mark 81")])
        }
    }

    @Test func rulesWithOurCommentButMoreAreReportedNotTouched() throws {
        try withNamespace { ns in
            // Tagged swiftvs, but with an input interface: not something swiftvs makes.
            try ns.addForeign(.inet, "-i lo -d 192.0.2.100/32 -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff")
            let m = try ns.manager(.iptables)
            let listing = try m.listing()
            #expect(listing.rules == [])
            #expect(listing.unrecognised == ["iptables: -A PREROUTING -d 192.0.2.100/32 -i lo -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff"])
            try m.apply(desired: [])
            #expect(try ns.mangleRules().count == 1)
            #expect(try m.add(rule("-d 192.0.2.100/32 --mark 80")))
            #expect(try ns.mangleRules().count == 2)
        }
    }
}
