import DaemonMetrics

/// The LVS half's state for one scrape: per virtual server whether it has quorum and its live
/// weight, per real server whether it is up, its weight and when it last changed, per checker
/// whether it is up.
///
/// Taken on the engine (`DaemonEngine.metricsState()`: the configuration, shared, and a few
/// numbers per real server) and written elsewhere (`write(into:)`, off the engine and off the
/// reactor thread): the engine is held for a copy, not for the text of every series.
public struct LVSMetricsState: Sendable {
    struct RealServer: Sendable {
        var up: Bool
        var weight: Int32
        var lastChange: WallTime?
        /// Per checker of the configuration: whether it is up (nil: disabled).
        var checkersUp: [Bool?]
    }

    struct VirtualServer: Sendable {
        var quorumUp: Bool
        var liveWeight: Int64
        var realServers: [RealServer]
    }

    let config: DaemonConfig
    let virtualServers: [VirtualServer]

    /// The series, family by family.
    public func write(into out: inout ExpositionWriter) {
        let pairs = Array(zip(config.virtualServers, virtualServers))
        guard !pairs.isEmpty else { return }
        let vsLabels = pairs.map { ExpositionLabels(CheckLabels.virtualServer($0.0)) }
        out.family("swiftvs_virtual_server_quorum_up", .gauge, help: "1 while the virtual server's live weight reaches its quorum, else 0")
        for (i, p) in pairs.enumerated() { out.sample("swiftvs_virtual_server_quorum_up", vsLabels[i], p.1.quorumUp) }
        out.family("swiftvs_virtual_server_live_weight", .gauge, help: "the sum of the weights of the virtual server's real servers that are up")
        for (i, p) in pairs.enumerated() { out.sample("swiftvs_virtual_server_live_weight", vsLabels[i], p.1.liveWeight) }

        let rsLabels = pairs.enumerated().map { i, p in
            p.0.realServers.map { vsLabels[i].appending(CheckLabels.realServerOnly($0)) }
        }
        func eachRealServer(_ body: (ExpositionLabels, RealServer) -> Void) {
            for (i, p) in pairs.enumerated() {
                for (r, rs) in p.1.realServers.enumerated() where r < rsLabels[i].count { body(rsLabels[i][r], rs) }
            }
        }
        guard rsLabels.contains(where: { !$0.isEmpty }) else { return }
        out.family("swiftvs_real_server_up", .gauge, help: "1 while the real server is up (its checkers pass), else 0")
        eachRealServer { out.sample("swiftvs_real_server_up", $0, $1.up) }
        out.family("swiftvs_real_server_weight", .gauge,
                   help: "the weight the daemon gives the real server now (0 when down with inhibit_on_failure)")
        eachRealServer { out.sample("swiftvs_real_server_weight", $0, Int64($1.weight)) }
        let transition = "swiftvs_real_server_last_transition_timestamp_seconds"
        out.family(transition, .gauge,
                   help: "when the real server last went up or down or changed weight (Unix time; the daemon's start before any)")
        eachRealServer { labels, rs in
            if let t = rs.lastChange { out.sample(transition, labels, Double(t.nanoseconds) / 1e9) }
        }
        out.family("swiftvs_check_up", .gauge, help: "1 while the checker passes (after its retries), else 0")
        for (i, p) in pairs.enumerated() {
            for (r, rs) in p.1.realServers.enumerated() where r < rsLabels[i].count {
                let checkers = p.0.realServers[r].checkers
                for (c, up) in rs.checkersUp.enumerated() where c < checkers.count {
                    guard let up else { continue }
                    out.sample("swiftvs_check_up", rsLabels[i][r].appending(CheckLabels.checkerOnly(checkers[c])), up)
                }
            }
        }
    }
}

extension DaemonEngine {
    /// The LVS half's state as it is now, for one scrape (`LVSMetricsState.write(into:)`).
    public func metricsState() -> LVSMetricsState {
        let vss = config.virtualServers.enumerated().map { v, vs in
            LVSMetricsState.VirtualServer(
                quorumUp: state.hasQuorum(virtualServer: v), liveWeight: state.liveWeight(virtualServer: v),
                realServers: vs.realServers.enumerated().map { r, rs in
                    LVSMetricsState.RealServer(
                        up: state.isAlive(virtualServer: v, realServer: r), weight: state.weight(virtualServer: v, realServer: r),
                        lastChange: lastTransition(vs, rs),
                        checkersUp: rs.checkers.enumerated().map { c, ch in
                            ch.enabled ? state.isCheckerUp(CheckerID(virtualServer: v, realServer: r, checker: c)) : nil
                        })
                })
        }
        return LVSMetricsState(config: config, virtualServers: vss)
    }
}
