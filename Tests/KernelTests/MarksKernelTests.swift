import Foundation
import Testing
import FirewallMarks
import IPVS

extension Kernel {
    /// A mark rule made by swiftvs really steers packets into the fwmark service: the kernel's
    /// IPVS counters move, with each backend.
    @Suite("Firewall marks feed fwmark services", .serialized)
    struct MarksKernelTests {
        @Test(arguments: [MarkBackendKind.iptables, .nft])
        func markedPacketsLandInTheFwmarkService(_ backend: MarkBackendKind) async throws {
            let ipvs = try freshTable()
            let client = try ClientNamespace(tag: "mark")
            let vip = "192.0.2.201"
            try sh("ip addr add \(vip)/32 dev lo")
            defer { client.remove(); try? sh("ip addr del \(vip)/32 dev lo") }

            let marks = try MarkManager(backend: backend)
            let rule = try MarkRule(destination: vip, protocol: "udp", ports: "5000:5009", mark: "81")
            #expect(try marks.add(rule))
            #expect(try marks.add(rule) == false, "a second add changes nothing")
            defer { _ = try? marks.delete(rule, ifExists: true) }

            let key = ServiceKey.fwmark(81, family: .inet)
            try ipvs.addService(Service(key: key, scheduler: "lc"))
            try ipvs.addDestination(Destination(address: rs(1)), to: key)
            try ipvs.addDestination(Destination(address: rs(2)), to: key)

            try client.sendUDP(to: vip, port: 5003, count: 10)   // marked
            try client.sendUDP(to: vip, port: 6000, count: 5)    // outside the rule: not marked
            let counted = try await eventually { try ipvs.service(key).stats.connections >= 10 }
            let entry = try ipvs.service(key)
            #expect(counted, "\(backend): the fwmark service saw \(entry.stats.connections) connections")
            #expect(entry.stats.connections == 10)
            #expect(entry.destinations.map(\.stats.connections).reduce(0, +) == 10)
            // lc spreads new connections over both real servers.
            #expect(entry.destinations.allSatisfy { $0.stats.connections > 0 })

            #expect(try marks.delete(rule))
            #expect(try marks.list().contains(rule) == false)
        }

        /// `swiftvs save --with-marks` carries the mark rules in `# swiftvs-mark` lines:
        /// ipvsadm-restore reads the file as plain comments and builds the same table, and
        /// `swiftvs restore` puts the rules back (once, however often it runs).
        @Test(arguments: [MarkBackendKind.iptables, .nft])
        func marksTravelInTheSaveFile(_ backend: MarkBackendKind) throws {
            _ = try freshTable()
            let b = backend == .nft ? "nft" : "iptables"
            let marks = try MarkManager(backend: backend)
            defer { _ = try? swiftvs(["delete-service", "-f", "82", "--mark-backend", b]) }
            #expect(try swiftvs(["add-service", "-f", "82", "-s", "lc", "--vip", "192.0.2.202",
                                 "--vip-protocol", "tcp", "--vip-dport", "80", "--mark-backend", b]).status == 0)
            #expect(try swiftvs(["add-server", "-f", "82", "-r", "192.0.2.11", "-g"]).status == 0)
            let rule = try MarkRule(destination: "192.0.2.202", protocol: "tcp", ports: "80", mark: "82")
            #expect(try marks.list() == [rule])

            let saved = try swiftvs(["save", "-n", "--with-marks", "--mark-backend", b])
            #expect(saved.status == 0, "\(saved.stderr)")
            let table = try ipvsadmSave()
            #expect(saved.stdout == table + "# swiftvs-mark -d 192.0.2.202/32 -p tcp --dport 80 --mark 82\n")

            // ipvsadm-restore: the mark lines are comments to it.
            _ = try freshTable()
            let theirs = try run(["/usr/sbin/ipvsadm-restore"], input: saved.stdout)
            #expect(theirs.status == 0 && theirs.stderr.isEmpty, "\(theirs.stderr)")
            #expect(try ipvsadmSave() == table)

            // swiftvs restore after a reboot-like loss of table and rules.
            _ = try freshTable()
            #expect(try marks.delete(rule))
            #expect(try marks.list().isEmpty)
            for _ in 0..<2 {
                let r = try swiftvs(["restore", "--mark-backend", b], input: saved.stdout)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(try ipvsadmSave() == table)
                #expect(try marks.list() == [rule], "one rule, however often restore runs")
            }
            if backend == .iptables {
                let rules = try run(["/usr/sbin/iptables", "-w", "-t", "mangle", "-S", "PREROUTING"]).stdout
                #expect(rules.split(separator: "\n").filter { $0.contains("--set-xmark 0x52/") }.count == 1, "\(rules)")
            } else {
                let ruleset = try run(["/usr/sbin/nft", "list", "table", "inet", "swiftvs"]).stdout
                #expect(ruleset.contains("meta mark set 0x00000052"), "\(ruleset)")
            }
        }
    }
}
