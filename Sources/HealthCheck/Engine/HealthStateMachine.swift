import IPVS

/// Identifies one checker: virtual server, real server and checker indexes in the configuration.
public struct CheckerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var virtualServer: Int
    public var realServer: Int
    public var checker: Int

    public static func < (a: CheckerID, b: CheckerID) -> Bool {
        (a.virtualServer, a.realServer, a.checker) < (b.virtualServer, b.realServer, b.checker)
    }

    public var description: String { "vs\(virtualServer)/rs\(realServer)/c\(checker)" }
}

/// A transition the daemon should log, and a script it may have to run.
public struct HealthEvent: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case checkerUp
        case checkerDown
        case realServerUp
        case realServerDown
        case weightChanged(from: Int32, to: Int32)
        case quorumGained(weight: Int64)
        case quorumLost(weight: Int64)
        case sorryServerIn
        case sorryServerOut
    }

    public var kind: Kind
    public var virtualServer: Int
    /// The real (or sorry) server concerned.
    public var server: DestinationKey?
    public var checker: CheckerID?
    public var reason: String
    /// notify_up/notify_down/quorum_up/quorum_down to run, if configured.
    public var script: ScriptConfig?

    public var description: String {
        words(service: "vs\(virtualServer)", checker: "checker \(checker?.checker ?? 0)", weightLabel: "weight")
    }

    /// `SERVICE [SERVER] WHAT[: REASON]`: the event in words, the virtual server named
    /// `service`, a checker's transition naming it `checkerName`, and `weightLabel` before a
    /// quorum's weight (the daemon's log says "live weight", what it is).
    func words(service: String, checker checkerName: String, weightLabel: String) -> String {
        var s = service
        if let server { s += " \(server)" }
        switch kind {
        case .checkerUp: s += " \(checkerName) up"
        case .checkerDown: s += " \(checkerName) down"
        case .realServerUp: s += " UP"
        case .realServerDown: s += " DOWN"
        case let .weightChanged(f, t): s += " weight \(f) -> \(t)"
        case let .quorumGained(w): s += " quorum gained (\(weightLabel) \(w))"
        case let .quorumLost(w): s += " quorum lost (\(weightLabel) \(w))"
        case .sorryServerIn: s += " sorry server in"
        case .sorryServerOut: s += " sorry server out"
        }
        return reason.isEmpty ? s : s + ": " + reason
    }
}

/// The health of every real server, driven by check results. Pure and synchronous: the
/// scheduler (or a test) feeds results, and reads back when to check next, the events, and
/// the destinations each service should have.
///
/// keepalived's rules:
/// * a checker that is up and fails is retried `retry` times, `delay_before_retry` apart,
///   before it goes down; one success brings it back up (and resets the retries);
/// * a real server is up when all its enabled checkers are up (always, when it has none);
///   `alpha` starts its checkers down, so it stays out until they have all succeeded;
/// * down: removed, or kept with weight 0 under `inhibit_on_failure`;
/// * misc_dynamic results set the server's weight (exit status − 2); FILE_CHECK results add
///   their tracked value × weight to it (clamped to 0…65535);
/// * quorum: the summed weight of live servers; lost below quorum − hysteresis, regained at
///   quorum + hysteresis. While lost, a configured sorry server replaces the real servers;
/// * `omega`: `shutdown()` reports real servers down and quorum lost, with their scripts.
public struct HealthStateMachine: Sendable {
    /// A checker's state. Its configuration is `config`'s (not copied here: at 37,000
    /// checkers a copy per state was about 20 MB, and a reload held two machines).
    struct CheckerState: Sendable {
        var up: Bool
        /// The configuration's `enabled`, kept here: whether the real server is alive reads it
        /// for every checker at every result.
        var enabled: Bool
        var retriesLeft: Int
        var dynamicWeight: Int32?
        /// FILE_CHECK: what it adds to the server's weight (0 while down).
        var weightOffset: Int64 = 0
    }

    /// A real server's state; its configuration is `config`'s, its checkers' states are in
    /// its virtual server's `checkers`.
    struct RealState: Sendable {
        /// Where its checkers' states begin in `VirtualState.checkers`, and how many there are.
        var firstChecker: Int32
        var checkerCount: Int32
        var alive: Bool

        var checkerRange: Range<Int> { Int(firstChecker)..<Int(firstChecker + checkerCount) }

        /// Alive: every enabled checker is up.
        static func alive(_ checkers: some Sequence<CheckerState>) -> Bool { checkers.allSatisfy { $0.up || !$0.enabled } }

        /// misc_dynamic's weight (or `configured`) plus the FILE_CHECK offsets of `checkers`
        /// (its own), clamped to 0…65535 as keepalived's real_weight does.
        static func weight(configured: Int32, checkers: ArraySlice<CheckerState>) -> Int32 {
            // The last checker's misc_dynamic weight wins; no array made (this is read twice
            // per check result).
            var base = Int64(configured), offsets: Int64 = 0
            for c in checkers {
                if let w = c.dynamicWeight { base = Int64(w) }
                offsets += c.weightOffset
            }
            return Int32(max(0, min(65535, base + offsets)))
        }
    }

    /// A virtual server's state; its configuration is `config`'s.
    struct VirtualState: Sendable {
        var reals: [RealState]
        /// Every real server's checkers' states, real server after real server: one array a
        /// virtual server, not one a real server (37,000 of them were 3 MB).
        var checkers: [CheckerState]
        var quorumUp: Bool
        var sorryActive: Bool

        /// Real server `r`'s checkers' states.
        func checkers(of r: Int) -> ArraySlice<CheckerState> { checkers[reals[r].checkerRange] }

        /// Checker `c` of real server `r`.
        subscript(real r: Int, checker c: Int) -> CheckerState {
            get { checkers[Int(reals[r].firstChecker) + c] }
            set { checkers[Int(reals[r].firstChecker) + c] = newValue }
        }

        /// Real server `r`'s weight (see `RealState.weight`).
        func weight(of r: Int, configured: Int32) -> Int32 { RealState.weight(configured: configured, checkers: checkers(of: r)) }
    }

    public let config: DaemonConfig
    /// Each virtual server's state (internal for the tests that check a reload shares, not
    /// rebuilds, an unchanged virtual server's).
    private(set) var vss: [VirtualState]

    public init(config: DaemonConfig) {
        self.config = config
        vss = config.virtualServers.map(Self.initialState)
    }

    private init(config: DaemonConfig, states: [VirtualState]) {
        self.config = config
        vss = states
    }

    /// A virtual server's state at start-up: its checkers up unless `alpha`, quorum up.
    private static func initialState(_ vs: VirtualServerConfig) -> VirtualState {
        var checkers: [CheckerState] = []
        checkers.reserveCapacity(vs.realServers.reduce(0) { $0 + $1.checkers.count })
        let reals = vs.realServers.map { rs in
            let first = checkers.count
            for c in rs.checkers {
                checkers.append(CheckerState(up: !(c.alpha || rs.alpha) || !c.enabled, enabled: c.enabled, retriesLeft: c.retry, dynamicWeight: nil))
            }
            return RealState(firstChecker: Int32(first), checkerCount: Int32(rs.checkers.count),
                             alive: RealState.alive(checkers[first...]))
        }
        return VirtualState(reals: reals, checkers: checkers, quorumUp: true, sorryActive: false)
    }

    /// Virtual server `v`'s configuration.
    private func vsConfig(_ v: Int) -> VirtualServerConfig { config.virtualServers[v] }
    /// Real server `r` of virtual server `v`: its configuration.
    private func rsConfig(_ v: Int, _ r: Int) -> RealServerConfig { config.virtualServers[v].realServers[r] }
    /// A checker's configuration.
    public func checkerConfig(_ id: CheckerID) -> CheckerConfig {
        config.virtualServers[id.virtualServer].realServers[id.realServer].checkers[id.checker]
    }

    /// What `reloaded` made: the machine, and how each virtual server's state came over.
    public struct Reload: Sendable {
        public var machine: HealthStateMachine
        /// The checkers matched one by one (in virtual servers not carried whole) that kept
        /// their state: id in the new machine -> id in the old.
        public var carried: [CheckerID: CheckerID]
        /// The virtual servers carried over whole: index in the new machine -> in the old.
        /// Their checkers are the old ones at the same real server and checker indexes.
        public var whole: [Int: Int]
    }

    /// A machine for `config` that keeps the check state of what it shares with `old` (a
    /// reload): a real server with the same address and port in a virtual server with the same
    /// address keeps the state of each checker whose configuration is unchanged (its place in
    /// the file may move); a virtual server keeps its quorum and sorry-server state. Everything
    /// else starts as at startup. Call `start(virtualServers:)` afterwards to settle quorum.
    /// `unchanged` maps virtual servers of `config` to the one of `old` whose configuration
    /// they repeat (only their lines moved: `IncrementalConfigReader` knows it from the text):
    /// those take their whole state over as it is, its arrays shared with `old` (no work per
    /// real server or checker: at 37,000 checkers, rebuilding them was most of a one-server
    /// reload). A pair whose identity or number of real servers differs is matched as the others.
    public static func reloaded(_ config: DaemonConfig, from old: HealthStateMachine, unchanged: [Int: Int] = [:]) -> Reload {
        var states: [VirtualState] = []
        states.reserveCapacity(config.virtualServers.count)
        var whole: [Int: Int] = [:]
        whole.reserveCapacity(unchanged.count)
        var taken = Set<Int>()
        for (v, vs) in config.virtualServers.enumerated() {
            if let ov = unchanged[v], !taken.contains(ov), old.repeats(vs, at: ov) {
                states.append(old.vss[ov])
                whole[v] = ov
                taken.insert(ov)
            } else {
                states.append(initialState(vs))
            }
        }
        var machine = HealthStateMachine(config: config, states: states)
        var carried: [CheckerID: CheckerID] = [:]
        // The old virtual servers by identity, each list in file order: the first unused one
        // with the same identity is the match (a linear search per virtual server made a
        // reload quadratic in their number: 2.6 M comparisons at 2,284 virtual servers).
        var oldByIdentity: [VirtualServerIdentity: [Int]] = [:]
        oldByIdentity.reserveCapacity(old.vss.count)
        for i in old.vss.indices { oldByIdentity[VirtualServerIdentity(old.vsConfig(i)), default: []].append(i) }
        var nextOfIdentity: [VirtualServerIdentity: Int] = [:]
        for v in machine.vss.indices {
            let vsConfig = machine.vsConfig(v)
            let identity = VirtualServerIdentity(vsConfig)
            if whole[v] != nil {
                nextOfIdentity[identity, default: 0] += 1
                continue
            }
            let taken = nextOfIdentity[identity, default: 0]
            guard let candidates = oldByIdentity[identity], taken < candidates.count else { continue }
            nextOfIdentity[identity] = taken + 1
            let ov = candidates[taken]
            machine.vss[v].quorumUp = old.vss[ov].quorumUp
            machine.vss[v].sorryActive = old.vss[ov].sorryActive && vsConfig.sorryServer != nil
            var usedRS = Set<Int>()
            let oldReals = old.vsConfig(ov).realServers
            for r in machine.vss[v].reals.indices {
                let rsConfig = vsConfig.realServers[r]
                let key = rsConfig.key
                guard let or = oldReals.indices.first(where: { !usedRS.contains($0) && oldReals[$0].key == key })
                else { continue }
                usedRS.insert(or)
                var usedC = Set<Int>()
                for c in 0..<Int(machine.vss[v].reals[r].checkerCount) {
                    let want = Self.identity(rsConfig.checkers[c])
                    guard let oc = oldReals[or].checkers.indices.first(where: {
                        !usedC.contains($0) && Self.identity(oldReals[or].checkers[$0]) == want
                    }) else { continue }
                    usedC.insert(oc)
                    let o = old.vss[ov][real: or, checker: oc]
                    machine.vss[v][real: r, checker: c].up = o.up
                    machine.vss[v][real: r, checker: c].retriesLeft = o.retriesLeft
                    machine.vss[v][real: r, checker: c].dynamicWeight = o.dynamicWeight
                    machine.vss[v][real: r, checker: c].weightOffset = o.weightOffset
                    if o.enabled {
                        carried[CheckerID(virtualServer: v, realServer: r, checker: c)] = CheckerID(virtualServer: ov, realServer: or, checker: oc)
                    }
                }
                machine.vss[v].reals[r].alive = RealState.alive(machine.vss[v].checkers(of: r))
            }
        }
        return Reload(machine: machine, carried: carried, whole: whole)
    }

    /// Whether `vs` can take virtual server `ov`'s state as it is: the caller says it repeats
    /// its configuration; what is checked here, in constant time, is the same identity and
    /// number of real servers (comparing each real server would be the work per real server
    /// that carrying it whole saves).
    private func repeats(_ vs: VirtualServerConfig, at ov: Int) -> Bool {
        guard vss.indices.contains(ov) else { return false }
        let was = vsConfig(ov)
        return VirtualServerIdentity(vs) == VirtualServerIdentity(was) && vs.realServers.count == was.realServers.count
    }

    /// The same virtual server for a reload: same address (or mark, or group) and protocol.
    static func sameVirtualServer(_ a: VirtualServerConfig, _ b: VirtualServerConfig) -> Bool {
        VirtualServerIdentity(a) == VirtualServerIdentity(b)
    }

    /// What makes two virtual servers the same one across a reload.
    struct VirtualServerIdentity: Hashable {
        var address: VirtualServerAddress
        var proto: TransportProtocol
        init(_ c: VirtualServerConfig) {
            address = c.address
            proto = c.proto
        }
    }

    /// A checker's configuration without its place in the file.
    static func identity(_ c: CheckerConfig) -> CheckerConfig {
        var c = c
        c.location = SourceLocation(file: "", line: 0, column: 0)
        return c
    }

    /// Real server `r` of virtual server `v` (for status).
    public func realServerConfig(virtualServer v: Int, realServer r: Int) -> RealServerConfig { rsConfig(v, r) }

    /// Every enabled checker's id, in file order (its configuration: `checkerConfig(_:)`).
    public var checkerIDs: [CheckerID] {
        var out: [CheckerID] = []
        for (v, vs) in vss.enumerated() {
            for r in vs.reals.indices {
                for (c, ch) in vs.checkers(of: r).enumerated() where ch.enabled {
                    out.append(CheckerID(virtualServer: v, realServer: r, checker: c))
                }
            }
        }
        return out
    }

    /// Settles quorum after startup (alpha servers start down). Call once before the first result.
    public mutating func start() -> [HealthEvent] { start(virtualServers: vss.indices) }

    /// Settles the quorum of virtual servers `only` (after a reload: those not carried over
    /// whole, whose quorum is settled already).
    public mutating func start(virtualServers only: some Sequence<Int>) -> [HealthEvent] {
        var events: [HealthEvent] = []
        for v in only where vss.indices.contains(v) { updateQuorum(v, &events) }
        return events
    }

    public func isAlive(virtualServer v: Int, realServer r: Int) -> Bool { vss[v].reals[r].alive }
    public func isCheckerUp(_ id: CheckerID) -> Bool { vss[id.virtualServer][real: id.realServer, checker: id.checker].up }
    public func hasQuorum(virtualServer v: Int) -> Bool { vss[v].quorumUp }
    public func isSorryServerActive(virtualServer v: Int) -> Bool { vss[v].sorryActive }
    public func weight(virtualServer v: Int, realServer r: Int) -> Int32 { vss[v].weight(of: r, configured: rsConfig(v, r).weight) }

    /// The summed weight of live real servers.
    public func liveWeight(virtualServer v: Int) -> Int64 {
        var total: Int64 = 0
        let configs = vsConfig(v).realServers
        let vs = vss[v]
        for (r, rs) in vs.reals.enumerated() where rs.alive { total += Int64(vs.weight(of: r, configured: configs[r].weight)) }
        return total
    }

    /// Records one result; returns the delay before this checker runs next and the events.
    public mutating func record(_ id: CheckerID, _ result: CheckResult) -> (next: Duration, events: [HealthEvent]) {
        var events: [HealthEvent] = []
        let (v, r, c) = (id.virtualServer, id.realServer, id.checker)
        var ch = vss[v][real: r, checker: c]
        let rsConfig = rsConfig(v, r)
        let cc = rsConfig.checkers[c]
        let key = rsConfig.key
        var next = cc.delayLoop
        let oldWeight = vss[v].weight(of: r, configured: rsConfig.weight)

        if result.success {
            ch.retriesLeft = cc.retry
            if let w = result.weight { ch.dynamicWeight = w }
            if let o = result.weightOffset { ch.weightOffset = o }
            if !ch.up {
                ch.up = true
                events.append(HealthEvent(kind: .checkerUp, virtualServer: v, server: key, checker: id, reason: "\(cc.kind.name) succeeded"))
            }
        } else if ch.up {
            ch.weightOffset = 0
            if ch.retriesLeft > 0 {
                ch.retriesLeft -= 1
                next = cc.delayBeforeRetry
            } else {
                ch.up = false
                ch.retriesLeft = cc.retry
                events.append(HealthEvent(kind: .checkerDown, virtualServer: v, server: key, checker: id,
                                          reason: "\(cc.kind.name) \(result.reason)" + (cc.retry > 0 ? " after \(cc.retry) retries" : "")))
            }
        }
        vss[v][real: r, checker: c] = ch

        let wasAlive = vss[v].reals[r].alive
        let alive = RealState.alive(vss[v].checkers(of: r))
        if alive != wasAlive {
            vss[v].reals[r].alive = alive
            events.append(HealthEvent(kind: alive ? .realServerUp : .realServerDown, virtualServer: v, server: key,
                                      checker: id, reason: alive ? "all checkers up" : "\(cc.kind.name) \(result.reason)",
                                      script: alive ? rsConfig.notifyUp : rsConfig.notifyDown))
        }
        let newWeight = vss[v].weight(of: r, configured: rsConfig.weight)
        if newWeight != oldWeight {
            events.append(HealthEvent(kind: .weightChanged(from: oldWeight, to: newWeight), virtualServer: v, server: key,
                                      checker: id, reason: cc.kind.name == "FILE_CHECK" ? "tracked file" : "misc_dynamic"))
        }
        // The live weight changes only with this server's state or weight: the quorum is
        // settled again only then (it summed every real server of the virtual server at each
        // result: at 100 real servers, most of the engine's time per check).
        if alive != wasAlive || newWeight != oldWeight { updateQuorum(v, &events) }
        return (next, events)
    }

    /// omega: on shutdown, the scripts keepalived runs (real servers down, quorum lost).
    public mutating func shutdown() -> [HealthEvent] {
        var events: [HealthEvent] = []
        for v in vss.indices where vsConfig(v).omega {
            for r in vss[v].reals.indices where vss[v].reals[r].alive {
                vss[v].reals[r].alive = false
                let rs = rsConfig(v, r)
                events.append(HealthEvent(kind: .realServerDown, virtualServer: v, server: rs.key, reason: "shutdown",
                                          script: rs.notifyDown))
            }
            if vss[v].quorumUp {
                vss[v].quorumUp = false
                events.append(HealthEvent(kind: .quorumLost(weight: 0), virtualServer: v, reason: "shutdown",
                                          script: vsConfig(v).quorumDown))
            }
        }
        return events
    }

    private mutating func updateQuorum(_ v: Int, _ events: inout [HealthEvent]) {
        let vs = vsConfig(v)
        let weight = liveWeight(virtualServer: v)
        if vss[v].quorumUp && weight < vs.quorum - vs.hysteresis {
            vss[v].quorumUp = false
            events.append(HealthEvent(kind: .quorumLost(weight: weight), virtualServer: v,
                                      reason: "live weight \(weight) < quorum \(vs.quorum) - hysteresis \(vs.hysteresis)",
                                      script: vs.quorumDown))
            if let sorry = vs.sorryServer, !vss[v].sorryActive {
                vss[v].sorryActive = true
                events.append(HealthEvent(kind: .sorryServerIn, virtualServer: v, server: sorry.destination.key, reason: "quorum lost"))
            }
        } else if !vss[v].quorumUp && weight >= vs.quorum + vs.hysteresis {
            vss[v].quorumUp = true
            events.append(HealthEvent(kind: .quorumGained(weight: weight), virtualServer: v,
                                      reason: "live weight \(weight) >= quorum \(vs.quorum) + hysteresis \(vs.hysteresis)",
                                      script: vs.quorumUp))
            if let sorry = vs.sorryServer, vss[v].sorryActive {
                vss[v].sorryActive = false
                events.append(HealthEvent(kind: .sorryServerOut, virtualServer: v, server: sorry.destination.key, reason: "quorum regained"))
            }
        }
    }

    /// The destinations virtual server `v`'s services should have now.
    public func desiredDestinations(virtualServer v: Int) -> [Destination] {
        let vs = vss[v]
        let vsConfig = vsConfig(v)
        var out: [Destination] = []
        for (r, rs) in vs.reals.enumerated() {
            let rsConfig = vsConfig.realServers[r]
            var d = rsConfig.destination
            if vs.sorryActive || !rs.alive {
                guard rsConfig.inhibitOnFailure else { continue }
                d.weight = 0
            } else {
                d.weight = vs.weight(of: r, configured: rsConfig.weight)
            }
            out.append(d)
        }
        if let sorry = vsConfig.sorryServer {
            if vs.sorryActive {
                out.append(sorry.destination)
            } else if sorry.inhibit {
                var d = sorry.destination
                d.weight = 0
                out.append(d)
            }
        }
        return out.sorted { $0.key < $1.key }
    }

    /// Every service with the destinations it should have now.
    public var desiredTable: [ServiceKey: [Destination]] {
        var table: [ServiceKey: [Destination]] = [:]
        for v in vss.indices {
            let dests = desiredDestinations(virtualServer: v)
            for svc in vsConfig(v).services { table[svc.key] = dests }
        }
        return table
    }
}
