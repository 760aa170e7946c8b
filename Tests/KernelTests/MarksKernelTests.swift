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
    }
}
