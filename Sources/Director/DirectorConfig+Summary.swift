import HealthCheck

extension DirectorConfig {
    /// What `swiftvs check-config` says of a configuration it accepts, so the admin sees what
    /// will run: `2 virtual servers, 5 real servers, 5 checkers (3 TCP_CHECK, 2 HTTP_GET; 1
    /// disabled)`, and the VRRP half when the file has instances: `, 1 vrrp instances, 1 vrrp
    /// scripts` (and sync groups when there are some). Checker kinds in keepalived's keyword spelling, in the order first met.
    public var summary: String {
        // Counted in place: a flattened copy of every real server and checker (hundreds of
        // bytes each) was check-config's peak memory at 37,298 real servers.
        var kinds: [(String, Int)] = []
        var reals = 0, checkers = 0, disabled = 0
        for vs in lvs.virtualServers {
            reals += vs.realServers.count
            for rs in vs.realServers {
                for c in rs.checkers {
                    checkers += 1
                    if !c.enabled { disabled += 1 }
                    if let i = kinds.firstIndex(where: { $0.0 == c.kind.name }) { kinds[i].1 += 1 } else { kinds.append((c.kind.name, 1)) }
                }
            }
        }
        var detail = kinds.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        if disabled > 0 { detail += "; \(disabled) disabled" }
        var text = "\(Self.count(lvs.virtualServers.count, "virtual server")), \(Self.count(reals, "real server")), "
            + Self.count(checkers, "checker") + (detail.isEmpty ? "" : " (\(detail))")
        if !vrrp.isEmpty {
            text += ", \(Self.count(vrrp.instances.count, "vrrp instance")), \(Self.count(vrrp.scripts.count, "vrrp script"))"
            if !vrrp.syncGroups.isEmpty { text += ", \(Self.count(vrrp.syncGroups.count, "vrrp sync group"))" }
        }
        return text
    }

    /// "N nouns", plural even for one: the form scripts already grep for ("1 virtual servers").
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)s" }
}
