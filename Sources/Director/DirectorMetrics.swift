import DaemonMetrics
import EventLoop
import HealthCheck
import IPVS
import Prometheus
import VRRP
import VRRPRouter

/// One scrape of `--metrics`: the daemon's event series (`DaemonMetrics`), then its state as
/// it is at this moment, written into a registry made for this scrape: process slots, the LVS
/// engine's checkers, real and virtual servers, each VRRP instance, and the IPVS table from one
/// dump of the kernel's table (`IPVSMetrics`).
public struct DirectorMetrics: Sendable {
    public let events: DaemonMetrics
    public let runner: ProcessRunner
    public let ipvs: IPVSHandle?
    public let lvs: DaemonEngine?
    public let vrrp: VRRPEngine?

    public init(events: DaemonMetrics, runner: ProcessRunner, ipvs: IPVSHandle?, lvs: DaemonEngine?, vrrp: VRRPEngine?) {
        self.events = events
        self.runner = runner
        self.ipvs = ipvs
        self.lvs = lvs
        self.vrrp = vrrp
    }

    /// The exposition text of one scrape.
    public func scrape() async -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16384)
        events.render(into: &out)
        let now = PrometheusCollectorRegistry()
        recordSlots(into: now)
        await lvs?.recordState(into: now)
        if let vrrp { Self.record(await vrrp.status(), into: now) }
        if let ipvs { Self.recordIPVS(ipvs, into: now) }
        now.emit(into: &out)
        return out
    }

    private func recordSlots(into r: PrometheusCollectorRegistry) {
        r.gauge("swiftvs_process_slots", help: "check and script processes that may run at once (--max-processes)")
            .set(Int64(runner.maxConcurrent))
        r.gauge("swiftvs_process_slots_in_use", help: "check and script processes running now")
            .set(Int64(runner.running))
        r.gauge("swiftvs_process_slots_queued", help: "checks and scripts waiting for a free process slot now")
            .set(Int64(runner.queued))
    }

    /// The table from one dump; when the dump fails, `swiftvs_ipvs_up` is 0 and no IPVS series.
    static func recordIPVS(_ ipvs: IPVSHandle, into r: PrometheusCollectorRegistry) {
        let up = r.gauge("swiftvs_ipvs_up", help: "1 when this scrape read the kernel's IPVS table, 0 when the dump failed")
        do {
            let entries = try ipvs.services()
            up.set(Int64(1))
            IPVSMetrics.record(entries, into: r)
        } catch {
            up.set(Int64(0))
        }
    }

    /// Each VRRP instance: state, priorities, adverts and transitions.
    static func record(_ instances: [VRRPInstanceStatus], into r: PrometheusCollectorRegistry) {
        for i in instances {
            let l = [("vrrp_instance", i.name), ("interface", i.interface), ("vrid", String(i.virtualRouterID))]
            for s in VRRPState.allCases {
                r.gauge("swiftvs_vrrp_state", l + [("state", s.rawValue)],
                            help: "1 for the state the instance is in (INIT, BACKUP, MASTER, FAULT), 0 for the others")
                    .set(Int64(i.state == s ? 1 : 0))
            }
            r.gauge("swiftvs_vrrp_priority", l, help: "the instance's effective priority (configured plus tracker weights)")
                .set(Int64(i.effectivePriority))
            r.gauge("swiftvs_vrrp_priority_configured", l, help: "the instance's configured priority")
                .set(Int64(i.configuredPriority))
            let c = i.counters
            counter(r, "swiftvs_vrrp_adverts_sent_total", l, "adverts sent (priority 0 ones included)", c.advertsSent)
            counter(r, "swiftvs_vrrp_adverts_received_total", l, "valid adverts received", c.advertsReceived)
            counter(r, "swiftvs_vrrp_adverts_priority_zero_received_total", l, "valid adverts with priority 0 (a master leaving) received",
                    c.priorityZeroReceived)
            for cause in RejectionCause.allCases {
                counter(r, "swiftvs_vrrp_adverts_rejected_total", l + [("cause", cause.rawValue)],
                        "packets rejected by validation, by cause (keepalived's checks)", c.rejected[cause] ?? 0)
            }
            for s in VRRPState.allCases {
                counter(r, "swiftvs_vrrp_transitions_total", l + [("to", s.rawValue)], "state changes, by the state entered",
                        c.transitions[s] ?? 0)
            }
        }
    }

    static func counter(_ r: PrometheusCollectorRegistry, _ name: String, _ labels: [(String, String)], _ help: String, _ value: Int) {
        let c = r.counter(name, labels, help: help)
        c.increment(by: Int64(value))
    }
}
