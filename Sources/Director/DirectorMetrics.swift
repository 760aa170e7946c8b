import DaemonMetrics
import EventLoop
import HealthCheck
import IPVS
import VRRP
import VRRPRouter

/// One scrape of `--metrics`: the daemon's event series (`DaemonMetrics`), then its state as
/// it is at this moment: process slots, the LVS engine's checkers, real and virtual servers,
/// each VRRP instance, and the IPVS table from one dump of the kernel's table (`IPVSMetrics`),
/// written with an `ExpositionWriter` rather than into a registry made for the scrape (see
/// there why).
public struct DirectorMetrics: Sendable {
    public let events: DaemonMetrics
    public let runner: ProcessRunner
    /// One dump of the kernel's IPVS table with its counters (nil: no IPVS series).
    public let ipvsDump: (@Sendable () throws -> [ServiceEntry])?
    public let lvs: DaemonEngine?
    public let vrrp: VRRPEngine?

    public init(events: DaemonMetrics, runner: ProcessRunner, ipvs: IPVSHandle?, lvs: DaemonEngine?, vrrp: VRRPEngine?) {
        var dump: (@Sendable () throws -> [ServiceEntry])?
        if let ipvs { dump = { () throws -> [ServiceEntry] in try ipvs.services() } }
        self.init(events: events, runner: runner, ipvsDump: dump, lvs: lvs, vrrp: vrrp)
    }

    /// With the IPVS table read by `ipvsDump` (a test gives its own).
    public init(events: DaemonMetrics, runner: ProcessRunner, ipvsDump: (@Sendable () throws -> [ServiceEntry])?,
                lvs: DaemonEngine?, vrrp: VRRPEngine?) {
        self.events = events
        self.runner = runner
        self.ipvsDump = ipvsDump
        self.lvs = lvs
        self.vrrp = vrrp
    }

    /// The exposition text of one scrape. The engines are asked for their state (a copy each);
    /// the IPVS dump and the writing of the text then run on the global executor, never on the
    /// reactor thread, so the checks' timers and the reaping of their processes go on during
    /// a large scrape.
    public func scrape() async -> [UInt8] {
        let lvsState = await lvs?.metricsState()
        let vrrpStatus = await vrrp?.status()
        return await withTaskExecutorPreference(globalConcurrentExecutor) {
            render(lvs: lvsState, vrrp: vrrpStatus)
        }
    }

    /// The text from the states taken: the event series, then the state's.
    func render(lvs: LVSMetricsState?, vrrp: [VRRPInstanceStatus]?) -> [UInt8] {
        var events: [UInt8] = []
        self.events.render(into: &events)
        var out = ExpositionWriter(capacity: events.count + 65536)
        out.append(events)
        writeSlots(into: &out)
        lvs?.write(into: &out)
        if let vrrp, !vrrp.isEmpty { Self.write(vrrp, into: &out) }
        if let ipvsDump { Self.writeIPVS(ipvsDump, into: &out) }
        return out.bytes
    }

    private func writeSlots(into out: inout ExpositionWriter) {
        let none = ExpositionLabels()
        out.family("swiftvs_process_slots", .gauge, help: "check and script processes that may run at once (--max-processes)")
        out.sample("swiftvs_process_slots", none, Int64(runner.maxConcurrent))
        out.family("swiftvs_process_slots_in_use", .gauge, help: "check and script processes running now")
        out.sample("swiftvs_process_slots_in_use", none, Int64(runner.running))
        out.family("swiftvs_process_slots_queued", .gauge, help: "checks and scripts waiting for a free process slot now")
        out.sample("swiftvs_process_slots_queued", none, Int64(runner.queued))
    }

    /// The table from one dump; when the dump fails, `swiftvs_ipvs_up` is 0 and no IPVS series.
    static func writeIPVS(_ dump: () throws -> [ServiceEntry], into out: inout ExpositionWriter) {
        let entries = try? dump()
        out.family("swiftvs_ipvs_up", .gauge, help: "1 when this scrape read the kernel's IPVS table, 0 when the dump failed")
        out.sample("swiftvs_ipvs_up", ExpositionLabels(), entries != nil)
        if let entries { IPVSMetrics.write(entries, into: &out) }
    }

    /// Each VRRP instance: state, priorities, adverts and transitions, family by family.
    static func write(_ instances: [VRRPInstanceStatus], into out: inout ExpositionWriter) {
        guard !instances.isEmpty else { return }
        let labels = instances.map {
            ExpositionLabels([("vrrp_instance", $0.name), ("interface", $0.interface), ("vrid", String($0.virtualRouterID))])
        }
        out.family("swiftvs_vrrp_state", .gauge, help: "1 for the state the instance is in (INIT, BACKUP, MASTER, FAULT), 0 for the others")
        for (i, inst) in instances.enumerated() {
            for s in VRRPState.allCases { out.sample("swiftvs_vrrp_state", labels[i].appending([("state", s.rawValue)]), inst.state == s) }
        }
        out.family("swiftvs_vrrp_priority", .gauge, help: "the instance's effective priority (configured plus tracker weights)")
        for (i, inst) in instances.enumerated() { out.sample("swiftvs_vrrp_priority", labels[i], Int64(inst.effectivePriority)) }
        out.family("swiftvs_vrrp_priority_configured", .gauge, help: "the instance's configured priority")
        for (i, inst) in instances.enumerated() { out.sample("swiftvs_vrrp_priority_configured", labels[i], Int64(inst.configuredPriority)) }
        let counters: [(String, String, (VRRPInstanceStatus) -> Int)] = [
            ("swiftvs_vrrp_adverts_sent_total", "adverts sent (priority 0 ones included)", { $0.counters.advertsSent }),
            ("swiftvs_vrrp_adverts_received_total", "valid adverts received", { $0.counters.advertsReceived }),
            ("swiftvs_vrrp_adverts_priority_zero_received_total", "valid adverts with priority 0 (a master leaving) received",
             { $0.counters.priorityZeroReceived }),
        ]
        for (name, help, value) in counters {
            out.family(name, .counter, help: help)
            for (i, inst) in instances.enumerated() { out.sample(name, labels[i], Int64(value(inst))) }
        }
        out.family("swiftvs_vrrp_adverts_rejected_total", .counter, help: "packets rejected by validation, by cause (keepalived's checks)")
        for (i, inst) in instances.enumerated() {
            for cause in RejectionCause.allCases {
                out.sample("swiftvs_vrrp_adverts_rejected_total", labels[i].appending([("cause", cause.rawValue)]),
                           Int64(inst.counters.rejected[cause] ?? 0))
            }
        }
        out.family("swiftvs_vrrp_transitions_total", .counter, help: "state changes, by the state entered")
        for (i, inst) in instances.enumerated() {
            for s in VRRPState.allCases {
                out.sample("swiftvs_vrrp_transitions_total", labels[i].appending([("to", s.rawValue)]), Int64(inst.counters.transitions[s] ?? 0))
            }
        }
    }
}
