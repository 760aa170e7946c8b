import NetworkModel
import HostNetwork
import EventLoop
import VRRP

extension VRRPEngine {
    func isTracked(_ script: String) -> Bool {
        config.instances.contains { $0.trackScripts.contains { $0.name == script } }
    }

    func startScript(_ script: VRRPScriptConfig) {
        scriptStatus[script.name] = script.initFail ? .failed : .unknown
        scripts[script.name] = TrackScriptMonitor(config: script, runner: runner, logger: logger) { [self] name, status in
            await self.scriptChanged(name, status)
        }
    }

    func scriptChanged(_ name: String, _ status: TrackScriptMonitor.Status) {
        guard running else { return }
        scriptStatus[name] = status
        for r in routers.values where r.config.trackScripts.contains(where: { $0.name == name }) { applyWeights(r) }
    }

    /// Recomputes an instance's track weights and faults and hands the changes to its machine.
    func applyWeights(_ r: VirtualRouter, initial: Bool = false) {
        var weights: [String: Int] = [:]
        var faults: Set<String> = []
        for t in r.config.trackScripts {
            guard let script = config.scripts[t.name], let status = scriptStatus[t.name], status != .unknown else { continue }
            let weight = t.weight ?? script.weight
            let reverse = t.reverse != script.weightReverse
            let failing = (status == .failed) != reverse
            if weight == 0 {
                if failing { faults.insert("vrrp_script \(t.name) failed") }
            } else if (weight > 0) != failing {
                weights["script \(t.name)"] = weight
            }
        }
        trackInterfaces(r, &weights, &faults)
        setFaults(r, faults)
        r.weights = weights
        let base = r.machine.ownerConflict ? EffectivePriority.owner - 1 : r.config.priority
        let effective = EffectivePriority.compute(base: base, weights: weights.values)
        if effective != r.machine.effectivePriority || initial {
            if !initial { logger.info("(\(r.name)) priority \(r.machine.effectivePriority) -> \(effective) (\(weights.isEmpty ? "no weights" : weights.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value > 0 ? "+" : "")\($0.value)" }.joined(separator: ", ")))") }
            handle(.priorityChanged(effective), on: r)
        }
    }

    /// The instance's own interface (unless dont_track_primary) and its track_interface list.
    func trackInterfaces(_ r: VirtualRouter, _ weights: inout [String: Int], _ faults: inout Set<String>) {
        if !r.config.dontTrackPrimary, linkRunning[r.interface.name] == false {
            faults.insert("interface \(r.interface.name) down")
        }
        for t in r.config.trackInterfaces {
            let up = linkRunning[t.name] ?? false
            let failing = up == t.reverse
            if t.weight == 0 {
                if failing { faults.insert("track_interface \(t.name) down") }
            } else if (t.weight > 0) != failing {
                weights["interface \(t.name)"] = t.weight
            }
        }
    }

    func setFaults(_ r: VirtualRouter, _ wanted: Set<String>) {
        let current = Set(ownFaults(r))
        for f in wanted.subtracting(current).sorted() { handle(.faultRaised(reason: f), on: r) }
        for f in current.subtracting(wanted).sorted() { handle(.faultCleared(reason: f), on: r) }
    }

    // MARK: - Link events

    /// The link-event socket, registered on the reactor and read on its thread.
    func startEvents() {
        switch reactor.register(fd: events.fileDescriptor, events: SystemCalls.EPOLLIN, { [self] _ in
            assumeIsolated { $0.drainEvents() }
        }) {
        case let .success(id): eventRegistration = id
        case let .failure(e): logger.error("vrrp: link events: epoll_ctl: \(e); link changes are not followed")
        }
    }

    func drainEvents() {
        guard running else { return }
        let batch: [RouteEvent]
        do { batch = try events.receive() } catch {
            logger.error("vrrp: link events: \(error)")
            return
        }
        var changed = false
        for e in batch {
            switch e {
            case let .link(l):
                if l.isDeleted { interfacesByName[l.name] = nil } else { interfacesByName[l.name] = l.interface }
                let now = l.isDeleted ? false : l.isRunning
                if linkRunning[l.name] != now {
                    logger.info("vrrp: interface \(l.name) is \(now ? "up" : (l.isDeleted ? "gone" : "down"))")
                    linkRunning[l.name] = now
                    changed = true
                }
            case .address:
                continue
            case .overflow:
                logger.warning("vrrp: link notifications were lost; re-reading every interface")
                do { try refreshLinks() } catch { logger.error("\(error)") }
                changed = true
            }
        }
        if changed { for r in routers.values { applyWeights(r) } }
    }
}
