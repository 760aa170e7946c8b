import IPVSModel

/// The IPVS table as Prometheus series: one dump of the kernel's table (statistics included)
/// becomes, per service and per real server, the kernel's 64-bit counters (connections,
/// packets and bytes in and out) as counters, and per real server the active and inactive
/// connections and the weight as gauges. Names follow node_exporter's `node_ipvs_*` with the
/// `swiftvs_ipvs_` prefix, and so do the labels (`IPVSLabels`).
///
/// The values are the kernel's own totals, written as they are read (`write(_:into:)`), so a
/// series of a service that is gone is gone from the next scrape too.
public enum IPVSMetrics {
    /// One counter family of the five the kernel keeps for services and real servers.
    struct StatCounter: Sendable {
        var suffix: String
        var help: String
        var value: @Sendable (Stats) -> UInt64
    }

    static let statCounters: [StatCounter] = [
        StatCounter(suffix: "connections_total", help: "connections scheduled (the kernel's 64-bit counter)") { $0.connections },
        StatCounter(suffix: "incoming_packets_total", help: "packets in, client to real server") { $0.inPackets },
        StatCounter(suffix: "outgoing_packets_total", help: "packets out, real server to client (0 with direct routing)") { $0.outPackets },
        StatCounter(suffix: "incoming_bytes_total", help: "bytes in, client to real server") { $0.inBytes },
        StatCounter(suffix: "outgoing_bytes_total", help: "bytes out, real server to client (0 with direct routing)") { $0.outBytes },
    ]

    /// Writes the series of `entries` (one `services()` dump with statistics), family by family.
    public static func write(_ entries: [ServiceEntry], into out: inout ExpositionWriter) {
        guard !entries.isEmpty else { return }
        let services = entries.map { ExpositionLabels(IPVSLabels.service($0.service.key)) }
        let backends = entries.map { entry in
            entry.destinations.map {
                ExpositionLabels(IPVSLabels.destination(entry.service.key, address: $0.destination.address, port: $0.destination.port))
            }
        }
        for c in statCounters {
            let name = "swiftvs_ipvs_service_" + c.suffix
            out.family(name, .counter, help: "IPVS service: " + c.help)
            for (i, entry) in entries.enumerated() { out.sample(name, services[i], c.value(entry.stats)) }
        }
        guard entries.contains(where: { !$0.destinations.isEmpty }) else { return }
        for c in statCounters {
            let name = "swiftvs_ipvs_backend_" + c.suffix
            out.family(name, .counter, help: "IPVS real server: " + c.help)
            for (i, entry) in entries.enumerated() {
                for (j, d) in entry.destinations.enumerated() { out.sample(name, backends[i][j], c.value(d.stats)) }
            }
        }
        let gauges: [(String, String, (DestinationEntry) -> Int64)] = [
            ("connections_active", "active connections (ESTABLISHED TCP)", { Int64($0.activeConnections) }),
            ("connections_inactive", "inactive connections (other states)", { Int64($0.inactiveConnections) }),
            ("weight", "weight in the kernel (0: quiesced)", { Int64($0.destination.weight) }),
        ]
        for (suffix, help, value) in gauges {
            let name = "swiftvs_ipvs_backend_" + suffix
            out.family(name, .gauge, help: "IPVS real server: " + help)
            for (i, entry) in entries.enumerated() {
                for (j, d) in entry.destinations.enumerated() { out.sample(name, backends[i][j], value(d)) }
            }
        }
    }

    /// The exposition text of `entries` alone (what `swiftvs metrics` prints).
    public static func text(_ entries: [ServiceEntry]) -> String {
        var out = ExpositionWriter(capacity: 4096)
        write(entries, into: &out)
        return String(decoding: out.bytes, as: UTF8.self)
    }
}
