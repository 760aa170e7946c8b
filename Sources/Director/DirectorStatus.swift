import HealthCheck
import VRRPRouter
import VRRP
import TimeBase

/// What `swiftvs status` answers: the LVS half's report (unchanged) followed by each VRRP
/// instance: state, configured and effective priority with the weights that make it, the
/// master, the advert interval, the last transition, the adverts counted and the sync
/// daemon's role.
public struct DirectorStatus: Sendable {
    public var lvs: DaemonStatus?
    public var vrrp: [VRRPInstanceStatus]
    /// The check and script processes' slots (nil when the daemon did not say).
    public var processes: ProcessSlots?
    /// The last SIGHUP reload; nil before the first.
    public var lastReload: ReloadResult?

    public static func collect(lvs: DaemonEngine?, vrrp: VRRPEngine?) async -> DirectorStatus {
        DirectorStatus(lvs: await lvs?.status(), vrrp: await vrrp?.status() ?? [])
    }

    public var text: String {
        var out = lvs?.text ?? "swiftvs daemon: no virtual servers\n"
        out += daemonLines
        for i in vrrp {
            out += "\nvrrp_instance \(i.name)  \(i.state.rawValue)  on \(i.interface) vrid \(i.virtualRouterID)\n"
            let weights = i.weights.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value > 0 ? "+" : "")\($0.value)" }
            out += "  priority \(i.effectivePriority) (configured \(i.configuredPriority)\(weights.isEmpty ? "" : "; " + weights.joined(separator: ", ")))"
            out += "  advert_int \(i.advertInterval.secondsText) s  master \(i.masterAddress?.description ?? "-")\n"
            if !i.faults.isEmpty { out += "  faults: \(i.faults.joined(separator: "; "))\n" }
            if let t = i.lastTransition {
                out += "  last transition \(t.from.rawValue) -> \(t.to.rawValue) at \(Self.wallTime(t.at)): \(t.reason)\n"
            }
            let c = i.counters
            out += "  adverts sent \(c.advertsSent), received \(c.advertsReceived), priority 0 received \(c.priorityZeroReceived), lower priority discarded \(c.lowerPriorityDiscarded)"
            let rejected = c.rejected.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }
            out += rejected.isEmpty ? ", none rejected\n" : ", rejected: \(rejected.joined(separator: ", "))\n"
            out += "  addresses \(i.virtualAddresses.joined(separator: ", "))"
            if let role = i.syncDaemonRole { out += "  lvs_sync_daemon \(role.rawValue)" }
            if let error = i.syncDaemonError { out += " (not running: \(error))" }
            out += "\n"
        }
        return out
    }

    /// The process slots and the last reload, one line each.
    var daemonLines: String {
        var out = ""
        if let p = processes { out += "process slots: \(p.running) in use, \(p.queued) queued (of \(p.limit))\n" }
        if let r = lastReload {
            out += r.ok ? "last reload: ok at \(r.at)\n" : "last reload: FAILED at \(r.at) (\(r.errors) error\(r.errors == 1 ? "" : "s"); running configuration kept)\n"
        } else if processes != nil {
            out += "last reload: none\n"
        }
        return out
    }

    /// `"process_slots":{…},"last_reload":{…}` (null before the first reload).
    var daemonJSON: String {
        let w = JSONWriter()
        w.object {
            if let p = processes {
                w.object("process_slots") {
                    w.field("limit", p.limit)
                    w.field("in_use", p.running)
                    w.field("queued", p.queued)
                }
            }
            if let r = lastReload {
                w.object("last_reload") {
                    w.field("ok", r.ok)
                    w.field("errors", r.errors)
                    w.field("at", r.at.description)
                }
            } else {
                w.rawField("last_reload", nil)
            }
        }
        return String(w.out.dropFirst().dropLast())
    }

    /// The LVS report's JSON object with a `vrrp_instances` array added as its last key.
    public var json: String {
        let w = JSONWriter()
        w.object {
            w.array("vrrp_instances", vrrp) { i in
                w.object {
                    w.field("name", i.name)
                    w.field("interface", i.interface)
                    w.field("virtual_router_id", Int(i.virtualRouterID))
                    w.field("state", i.state.rawValue)
                    w.field("priority", Int(i.effectivePriority))
                    w.field("configured_priority", Int(i.configuredPriority))
                    w.array("weights", i.weights.sorted { $0.key < $1.key }) { kv in
                        w.object { w.field("tracker", kv.key); w.field("weight", kv.value) }
                    }
                    w.array("faults", i.faults) { w.value($0) }
                    w.field("master", i.masterAddress?.description)
                    w.rawField("advert_int", i.advertInterval.secondsText)
                    w.field("last_transition", i.lastTransition.map { "\($0.from.rawValue) -> \($0.to.rawValue): \($0.reason)" })
                    w.field("last_transition_at", i.lastTransition.map { Self.wallTime($0.at) })
                    w.field("adverts_sent", i.counters.advertsSent)
                    w.field("adverts_received", i.counters.advertsReceived)
                    w.array("adverts_rejected", i.counters.rejected.sorted { $0.key.rawValue < $1.key.rawValue }) { kv in
                        w.object { w.field("cause", kv.key.rawValue); w.field("count", kv.value) }
                    }
                    w.array("addresses", i.virtualAddresses) { w.value($0) }
                    w.field("lvs_sync_daemon", i.syncDaemonRole?.rawValue)
                    w.field("lvs_sync_daemon_error", i.syncDaemonError)
                }
            }
        }
        let vrrpPart = daemonJSON + "," + String(w.out.dropFirst().dropLast())   // …,"vrrp_instances":[…]
        guard let lvs else { return "{" + vrrpPart + "}\n" }
        var base = lvs.json
        while base.last == "\n" || base.last == "}" { if base.removeLast() == "}" { break } }
        return base + "," + vrrpPart + "}\n"
    }

    static func wallTime(_ moment: Moment) -> String {
        WallTime(nanoseconds: WallTime.now.nanoseconds - moment.nanoseconds(to: .now)).description
    }
}
