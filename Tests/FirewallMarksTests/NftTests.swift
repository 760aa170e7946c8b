import Testing
@testable import FirewallMarks

/// The nft backend against real nftables in throwaway namespaces.
@Suite("nft backend", .enabled(if: Namespaces.available, Namespaces.reason))
struct NftTests {
    /// A foreign table and rule the backend must never touch.
    static let foreignScript = """
        table ip filterish {
        \tchain pre {
        \t\ttype filter hook prerouting priority mangle; policy accept;
        \t\tip daddr 198.51.100.7 meta mark set 0x00000007
        \t}
        }

        """

    @Test func addIsIdempotentInItsOwnTable() throws {
        try withNamespace { ns in
            _ = try ns.exec(["/usr/sbin/nft", "-f", "-"], input: Self.foreignScript)
            let m = try ns.manager(.nft)
            #expect(try m.list() == [])  // no table yet: nothing, no error

            #expect(try m.add(rule("-d 192.0.2.100/32 --mark 80")))
            #expect(try m.add(rule("-d 192.0.2.100 --mark 0x50")) == false)
            #expect(try m.add(rule("-d 203.0.113.0/24 -p tcp --dport 80:81 --mark 81")))
            #expect(try m.add(rule("-d 192.0.2.5 -p sctp --dport 9 --mark 0xffffffff")))
            #expect(try m.add(rule("-d 192.0.2.6 -p udp --mark 1")))
            #expect(try m.add(rule("-d 2001:db8::100 -p tcp --dport 443 --mark 80")))
            #expect(try m.add(rule("-d 2001:db8:1::/48 --mark 2")))
            #expect(try m.add(rule("-d 2001:db8:1::/48 --mark 2")) == false)

            #expect(try ns.ruleset() == Self.foreignScript + expectedNftTable([
                "ip daddr 192.0.2.100 counter packets 0 bytes 0 meta mark set 0x00000050",
                "ip daddr 203.0.113.0/24 tcp dport 80-81 counter packets 0 bytes 0 meta mark set 0x00000051",
                "ip daddr 192.0.2.5 sctp dport 9 counter packets 0 bytes 0 meta mark set 0xffffffff",
                "ip daddr 192.0.2.6 meta l4proto udp counter packets 0 bytes 0 meta mark set 0x00000001",
                "ip6 daddr 2001:db8::100 tcp dport 443 counter packets 0 bytes 0 meta mark set 0x00000050",
                "ip6 daddr 2001:db8:1::/48 counter packets 0 bytes 0 meta mark set 0x00000002",
            ]))
            #expect(try m.list() == [
                rule("-d 192.0.2.100/32 --mark 80"),
                rule("-d 203.0.113.0/24 -p tcp --dport 80:81 --mark 81"),
                rule("-d 192.0.2.5/32 -p sctp --dport 9 --mark 4294967295"),
                rule("-d 192.0.2.6/32 -p udp --mark 1"),
                rule("-d 2001:db8::100/128 -p tcp --dport 443 --mark 80"),
                rule("-d 2001:db8:1::/48 --mark 2"),
            ])
        }
    }

    @Test func deleteRemovesExactlyOurs() throws {
        try withNamespace { ns in
            _ = try ns.exec(["/usr/sbin/nft", "-f", "-"], input: Self.foreignScript)
            let m = try ns.manager(.nft)
            let a = try rule("-d 192.0.2.100/32 --mark 80")
            let b = try rule("-d 2001:db8::100 -p udp --dport 53 --mark 80")
            try m.add(a)
            try m.add(b)
            #expect(try m.delete(a))
            #expect(try ns.ruleset() == Self.foreignScript + expectedNftTable([
                "ip6 daddr 2001:db8::100 udp dport 53 counter packets 0 bytes 0 meta mark set 0x00000050",
            ]))
            let e = markError { try m.delete(a) }
            #expect(e?.code == .notFound)
            #expect(e?.message == "no swiftvs mark rule '-d 192.0.2.100/32 --mark 80' in nft table inet swiftvs chain prerouting in network namespace \(ns.name)")
            #expect(try m.delete(a, ifExists: true) == false)
            #expect(try m.delete(b))
            #expect(try ns.ruleset() == Self.foreignScript + expectedNftTable([]))
        }
    }

    @Test func deleteWithoutTableIsNotFound() throws {
        try withNamespace { ns in
            let m = try ns.manager(.nft)
            #expect(markError { try m.delete(rule("-d 192.0.2.1 --mark 1")) }?.code == .notFound)
            #expect(try m.delete(rule("-d 192.0.2.1 --mark 1"), ifExists: true) == false)
            #expect(try ns.ruleset() == "")  // a failed or no-op delete creates nothing
        }
    }

    @Test func saveTextReloadsToTheSameTable() throws {
        try withNamespace { ns in
            let m = try ns.manager(.nft)
            try m.add(rule("-d 192.0.2.100/32 --mark 80"))
            try m.add(rule("-d 2001:db8::100 -p tcp --dport 80:81 --mark 0x50"))
            let text = try m.saveText()
            #expect(text == """
                #!/usr/sbin/nft -f
                # swiftvs mark rules (nft backend): load with 'nft -f FILE'; replaces table inet swiftvs only.
                table inet swiftvs
                delete table inet swiftvs
                table inet swiftvs {
                \tchain prerouting {
                \t\ttype filter hook prerouting priority mangle; policy accept;
                \t\tip daddr 192.0.2.100 counter meta mark set 0x00000050
                \t\tip6 daddr 2001:db8::100 tcp dport 80-81 counter meta mark set 0x00000050
                \t}
                }

                """)
            // Loading it replaces our table with the same rules (and works on an empty system).
            try m.add(rule("-d 203.0.113.1 --mark 9"))
            _ = try ns.exec(["/usr/sbin/nft", "-f", "-"], input: text)
            #expect(try m.list() == [rule("-d 192.0.2.100/32 --mark 80"), rule("-d 2001:db8::100 -p tcp --dport 80:81 --mark 80")])
            _ = try ns.exec(["/usr/sbin/nft", "delete", "table", "inet", "swiftvs"])
            _ = try ns.exec(["/usr/sbin/nft", "-f", "-"], input: text)
            #expect(try m.list().count == 2)
        }
    }

    @Test func foreignRulesInOurTableAreReportedNotTouched() throws {
        try withNamespace { ns in
            let m = try ns.manager(.nft)
            try m.add(rule("-d 192.0.2.100/32 --mark 80"))
            // Someone adds a rule swiftvs does not make to swiftvs's chain.
            _ = try ns.exec(["/usr/sbin/nft", "add", "rule", "inet", "swiftvs", "prerouting",
                             "iifname", "lo", "ip", "daddr", "192.0.2.7", "meta", "mark", "set", "7"])
            let listing = try m.listing()
            #expect(listing.rules == [try rule("-d 192.0.2.100/32 --mark 80")])
            #expect(listing.unrecognised.count == 1)
            #expect(listing.unrecognised.first?.hasPrefix("nft: rule handle ") == true)
            try m.apply(desired: [])
            #expect(try ns.ruleset() == expectedNftTable([
                "iifname \"lo\" ip daddr 192.0.2.7 meta mark set 0x00000007",
            ]))
        }
    }
}
