import IPVSModel
import Prometheus

/// The IPVS table as Prometheus series: one dump of the kernel's table (statistics included)
/// becomes, per service and per real server, the kernel's 64-bit counters (connections,
/// packets and bytes in and out) as counters, and per real server the active and inactive
/// connections and the weight as gauges. Names follow node_exporter's `node_ipvs_*` with the
/// `swiftvs_ipvs_` prefix, and so do the labels (`IPVSLabels`).
///
/// The values are the kernel's own totals, so they are written into a registry made for the
/// one scrape (`record(_:into:)`): a series of a service that is gone is gone from the next
/// scrape too.
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

    /// Writes the series of `entries` (one `services()` dump with statistics) into `registry`,
    /// which must be fresh: counters are set by incrementing from zero.
    public static func record(_ entries: [ServiceEntry], into registry: PrometheusCollectorRegistry) {
        for entry in entries {
            let key = entry.service.key
            let labels = IPVSLabels.service(key)
            for c in statCounters {
                set(registry.counter("swiftvs_ipvs_service_" + c.suffix, labels, help: "IPVS service: " + c.help),
                    to: c.value(entry.stats))
            }
            for d in entry.destinations {
                let dl = IPVSLabels.destination(key, address: d.destination.address, port: d.destination.port)
                for c in statCounters {
                    set(registry.counter("swiftvs_ipvs_backend_" + c.suffix, dl,
                                             help: "IPVS real server: " + c.help), to: c.value(d.stats))
                }
                registry.gauge("swiftvs_ipvs_backend_connections_active", dl,
                                   help: "IPVS real server: active connections (ESTABLISHED TCP)")
                    .set(Int64(d.activeConnections))
                registry.gauge("swiftvs_ipvs_backend_connections_inactive", dl,
                                   help: "IPVS real server: inactive connections (other states)")
                    .set(Int64(d.inactiveConnections))
                registry.gauge("swiftvs_ipvs_backend_weight", dl,
                                   help: "IPVS real server: weight in the kernel (0: quiesced)")
                    .set(Int64(d.destination.weight))
            }
        }
    }

    /// The exposition text of `entries` alone (what `swiftvs metrics` prints).
    public static func text(_ entries: [ServiceEntry]) -> String {
        let registry = PrometheusCollectorRegistry()
        record(entries, into: registry)
        return registry.emitToString()
    }

    /// A fresh counter set to `value`.
    static func set(_ counter: Counter, to value: UInt64) {
        counter.reset()
        counter.increment(by: Int64(clamping: value))
    }
}
