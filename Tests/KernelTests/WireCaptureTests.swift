import Foundation
import Testing
@_spi(WireCapture) @testable import IPVS

extension Kernel {
    /// Captures the kernel's replies for a table with every kind of entry, checks that they
    /// decode to what was configured, and (with SWIFTVS_CAPTURE=1) prints them as
    /// `WIRE-FIXTURE name hex` lines: Scripts/capture-wire-fixtures turns those into the
    /// host decoder tests' fixtures (Tests/IPVSTests/CapturedReplies.swift).
    @Suite("Reply capture")
    struct WireCaptureTests {
        static let tunnelService = ServiceKey.address(.tcp, vip4, port: 80)
        static let v6Service = ServiceKey.address(.udp, vip6, port: 53)
        static let fwmark6 = ServiceKey.fwmark(80, family: .inet6)
        static let trafficService = ServiceKey.address(.udp, IPAddress("192.0.2.202")!, port: 7)

        static let services: [Service] = [
            Service(key: tunnelService, scheduler: "wrr", flags: [.persistent], timeout: 300, netmask: 0xFFFF_FF00),
            Service(key: v6Service, scheduler: "sh", flags: [.shFallback, .shPort, .onePacket]),
            Service(key: fwmark6, scheduler: "lc", flags: [.persistent], timeout: 60, netmask: 64),
            Service(key: trafficService, scheduler: "rr"),
        ]
        static let destinations: [ServiceKey: [Destination]] = [
            tunnelService: [
                Destination(address: rs(1), port: 80, forwarding: .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote)), weight: 3),
                Destination(address: rs(2), port: 80, forwarding: .tunnel(Tunnel(kind: .gre, checksum: .checksum)), weight: 2,
                            upperThreshold: 500, lowerThreshold: 50),
                Destination(address: rs6(3), port: 80, forwarding: .tunnel(Tunnel()), weight: 1),
                Destination(address: rs(4), port: 8080, forwarding: .masquerade, weight: 0),
            ],
            v6Service: [Destination(address: rs6(1), port: 53)],
            fwmark6: [Destination(address: rs6(2), port: 0, weight: 7)],
            trafficService: [Destination(address: rs(5), port: 7)],
        ]

        @Test func capturedRepliesDecodeToTheTable() async throws {
            let ipvs = try freshTable()
            var fixtures: [(String, [UInt8])] = []
            // The sync daemon first: the kernel refuses it while mixed-family tunnels exist.
            try ipvs.startSyncDaemon(SyncDaemon(role: .backup, interface: "swvs0", syncID: 42))
            let daemons = try ipvs.capturedReplies(.daemons)
            try ipvs.stopSyncDaemon(.backup)
            #expect(try daemons.map { try IPVSWire.decodeDaemon(ByteView($0)) }.map(\.syncID) == [42])
            fixtures.append(("daemon-backup", daemons[0]))

            for s in Self.services {
                try ipvs.addService(s)
                for d in Self.destinations[s.key] ?? [] { try ipvs.addDestination(d, to: s.key) }
            }
            // Traffic, so the STATS64 nests carry real numbers.
            let client = try ClientNamespace(tag: "wire")
            try sh("ip addr add 192.0.2.202/32 dev lo")
            defer { client.remove(); try? sh("ip addr del 192.0.2.202/32 dev lo") }
            try client.sendUDP(to: "192.0.2.202", port: 7, count: 12)
            #expect(try await eventually { try ipvs.service(Self.trafficService).stats.connections >= 12 })

            let serviceReplies = try ipvs.capturedReplies(.services)
            #expect(serviceReplies.count == Self.services.count)
            for body in serviceReplies {
                let entry = try IPVSWire.decodeService(ByteView(body))
                #expect(Self.services.contains(entry.service), "\(entry.service)")
                let name: String
                switch entry.service.key {
                case Self.tunnelService: name = "service-tcp4-persistent"
                case Self.v6Service: name = "service-udp6-sh-flags"
                case Self.fwmark6: name = "service-fwmark6-persistent"
                default:
                    name = "service-udp4-traffic"
                    #expect(entry.stats.connections == 12)
                    #expect(entry.stats.inPackets == 12)
                    #expect(entry.stats.inBytes > 0)
                }
                fixtures.append((name, body))
                let destReplies = try ipvs.capturedReplies(.destinations(entry.service.key))
                let decoded = try destReplies.map { try IPVSWire.decodeDestination(ByteView($0), serviceFamily: entry.service.key.family) }
                #expect(Set(decoded.map(\.destination)) == Set(Self.destinations[entry.service.key] ?? []))
                for (j, d) in destReplies.enumerated() { fixtures.append(("\(name)-dest\(j)", d)) }
            }
            fixtures.append(("info", try ipvs.capturedReplies(.info)[0]))
            fixtures.append(("timeouts", try ipvs.capturedReplies(.timeouts)[0]))

            if ProcessInfo.processInfo.environment["SWIFTVS_CAPTURE"] == "1" {
                for (name, bytes) in fixtures {
                    print("WIRE-FIXTURE \(name) \(bytes.map { String(format: "%02x", $0) }.joined())")
                }
            }
        }
    }
}
