import VRRP

extension VRRPEngine {
    /// Applies a new configuration without a flap: an instance whose block is unchanged keeps
    /// its state, addresses and timers (no extra announcement); a removed instance stops (a
    /// master sends priority 0); an added one starts; a changed one is stopped and started
    /// again. Track scripts follow their definitions the same way.
    public func reload(_ new: VRRPConfiguration) async {
        guard running else { config = new; return }
        let old = config
        config = new
        let newByName = Dictionary(new.instances.map { ($0.name, $0.behaviour) }, uniquingKeysWith: { a, _ in a })
        for inst in old.instances where newByName[inst.name] != inst.behaviour {
            if let r = routers.removeValue(forKey: inst.name) {
                logger.notice("(\(inst.name)) reload: \(new.instances.contains { $0.name == inst.name } ? "changed, restarting" : "removed")")
                stopRouter(r)
            }
        }
        reloadScripts(old: old, new: new)
        for inst in new.instances where routers[inst.name] == nil {
            do {
                let r = try open(inst)
                routers[inst.name] = r
                startRouter(r)
            } catch {
                logger.error("reload: \(error)\(error.hint.map { " (\($0))" } ?? "")")
            }
        }
        for r in routers.values { applyWeights(r) }
    }

    func reloadScripts(old: VRRPConfiguration, new: VRRPConfiguration) {
        for (name, monitor) in scripts where new.scripts[name]?.behaviour != old.scripts[name]?.behaviour || !isTracked(name) {
            monitor.stop()
            scripts[name] = nil
            scriptStatus[name] = nil
        }
        for (name, script) in new.scripts where scripts[name] == nil && isTracked(name) { startScript(script) }
    }
}
