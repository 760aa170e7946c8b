import VRRP
import TimeBase

extension VRRPEngine {
    /// Applies a new configuration without a flap: an instance whose block is unchanged keeps
    /// its state, addresses and timers (no extra announcement); a removed instance stops (a
    /// master sends priority 0); an added one starts; a changed one is stopped and started
    /// again. Track scripts follow their definitions the same way. A changed `lvs_sync_daemon`
    /// line is applied to the kernel's daemons (see `reloadSyncDaemon(old:new:)`).
    public func reload(_ new: VRRPConfiguration) async {
        guard running else { config = new; return }
        let old = config
        config = new
        applyRealtime()   // the first instances may come now: real-time before they start
        let newByName = Dictionary(new.instances.map { ($0.name, $0.behaviour) }, uniquingKeysWith: { a, _ in a })
        for inst in old.instances where newByName[inst.name] != inst.behaviour {
            if let r = routers.removeValue(forKey: inst.name) {
                logger.notice("(\(inst.name)) reload: \(new.instances.contains { $0.name == inst.name } ? "changed, restarting" : "removed")")
                stopRouter(r)
            }
        }
        reloadScripts(old: old, new: new)
        let now = Moment.now
        for inst in new.instances where routers[inst.name] == nil {
            do {
                let r = try open(inst)
                routers[inst.name] = r
                startRouter(r, now: now)
            } catch {
                logger.error("reload: \(error)\(error.hint.map { " (\($0))" } ?? "")")
            }
        }
        routersInOrder = new.instances.compactMap { routers[$0.name] }   // a new order with no instance changed
        for r in routers.values { applyWeights(r) }
        reloadSyncDaemon(old: old.globals.lvsSyncDaemon, new: new.globals.lvsSyncDaemon)
    }

    /// A changed `lvs_sync_daemon` (interface, instance, id, maxlen, port, ttl, group): the
    /// kernel's daemons are started again with the new settings, in the role the (new)
    /// instance's current state asks for, with no VRRP transition; a removed line stops them.
    /// An unchanged line (wherever it now stands in the file) leaves the running daemons alone.
    func reloadSyncDaemon(old: LVSSyncDaemonConfig?, new: LVSSyncDaemonConfig?) {
        guard !LVSSyncDaemonConfig.sameSettings(old, new), let syncDaemon else { return }
        logger.notice("reload: lvs_sync_daemon \(new.map { "changed to \($0.settingsDescription)" } ?? "removed")")
        guard let new else {
            // Nothing to stop when no instance ever set a role (a daemon without instances).
            guard let old, syncRole != nil || !routers.isEmpty else { return }
            syncRole = nil
            syncError = nil
            let previous = syncChange, logger = logger
            syncChange = Task {
                await previous?.value
                if let error = await syncDaemon.stop(config: old) {
                    logger.error("lvs_sync_daemon: stopping on \(old.interface): \(error)")
                }
            }
            return
        }
        let follows = new.instance.flatMap { routers[$0] } ?? (new.instance == nil ? routers.values.first : nil)
        guard let r = follows else { return }   // its instance is missing: check-config says so
        syncRole = nil   // whatever runs now was set for the old line
        setSyncRole(r.machine.state == .master ? .master : .backup, for: r)
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
