import NetworkModel
import HostNetwork
import EventLoop
import VRRP

extension VRRPEngine {
    /// Carries out one action of the state machine.
    /// Adverts wait in the pass's batch (`gatheringAdverts`); any other effect that leaves
    /// the engine sends them first, so the wire sees every effect in the machine's order.
    func perform(_ action: VRRPAction, on r: VirtualRouter) {
        switch action {
        case .sendAdvert, .setTimer, .cancelTimer: break
        default: flushAdverts()
        }
        switch action {
        case let .sendAdvert(priority): queueAdvert(r, priority: priority)
        case .addVirtualAddresses: addAddresses(r)
        case .removeVirtualAddresses: removeAddresses(r)
        case let .sendAnnouncements(reason): announce(r, reason)
        case let .setSyncDaemonRole(role): setSyncRole(role, for: r)
        // Every protocol timer is the one sweep's: a cancelled one is simply gone from the
        // machine, a later one is found not due when the sweep fires.
        case let .setTimer(_, deadline): armSweep(deadline)
        case .cancelTimer: break
        case let .stateChanged(from, to, reason): stateChanged(r, from: from, to: to, reason: reason)
        }
    }

    func addAddresses(_ r: VirtualRouter) {
        for a in r.addresses {
            do { try netlink.addAddressIfAbsent(a) } catch { report(r, "\(error)") }
        }
    }

    func removeAddresses(_ r: VirtualRouter) {
        for a in r.addresses {
            do {
                if try netlink.deleteAddressIfPresent(a), r.machine.state != .master {
                    logger.info("(\(r.name)) removed \(a) from \(r.interface.name)")
                }
            } catch { report(r, "\(error)") }
        }
    }

    /// Not at shutdown (`stop()` has cleared `running` before its instances leave): a master's
    /// switch to backup there would start a backup daemon that `stop()` stops right after,
    /// and a kernel sync thread stopped before it first ran makes the stop fail with EINTR,
    /// which netlink answers with no acknowledgement at all: the daemon waited for it forever
    /// (a clean stop that never ended, seen in the director-pair kernel test).
    func setSyncRole(_ role: SyncDaemonRole, for r: VirtualRouter) {
        guard running, var sync = config.globals.lvsSyncDaemon, let syncDaemon,
              sync.instance == nil || sync.instance == r.name, syncRole != role else { return }
        // keepalived's default sync id is the instance's VRID.
        if sync.syncID == nil, sync.instance != nil { sync.syncID = r.config.virtualRouterID }
        syncRole = role
        let logger = logger, name = r.name
        // One change at a time, in the order the state machine asked for them: each waits for
        // the one before (a backup switch and the stop that follows it at SIGTERM must not run
        // side by side on the kernel's daemons).
        let previous = syncChange
        syncChange = Task { [weak self] in
            await previous?.value
            let error = await syncDaemon.setRole(role, config: sync)
            if let error {
                logger.error("(\(name)) lvs_sync_daemon: \(error); the director keeps serving")
            } else {
                logger.notice("(\(name)) lvs_sync_daemon on \(sync.interface): \(role.rawValue)")
            }
            await self?.syncChanged(role: role, error: error)
        }
    }

    /// Records the outcome of a sync daemon change for status, unless a later one was asked for.
    func syncChanged(role: SyncDaemonRole, error: String?) {
        guard syncRole == role else { return }
        syncError = error
    }

    func stateChanged(_ r: VirtualRouter, from: VRRPState, to: VRRPState, reason: String) {
        r.epoch += 1
        logger.notice("(\(r.name)) Entering \(to.rawValue) STATE (\(reason))")
        notify(r, state: to)
    }

    /// The instance's notify scripts, in transition order (its sync group's run once per group
    /// state: see `syncGroup(after:from:faultsBefore:)`).
    /// An instance with no notify script gets no queue (about 3.7 KB each).
    func notify(_ r: VirtualRouter, state: VRRPState) {
        let scripts = notifyScripts(r.config.notify, state: state, kind: "INSTANCE", name: r.name,
                                    priority: r.machine.effectivePriority)
        guard !scripts.isEmpty else { return }
        let queue = notifyQueue(for: r.name)
        for script in scripts { queue.enqueue(script) }
    }

    /// notify_STATE as written, then `notify` with `KIND NAME STATE PRIORITY`.
    func notifyScripts(_ scripts: NotifyScripts, state: VRRPState, kind: String, name: String,
                       priority: UInt8) -> [CheckCommand] {
        let specific: CheckCommand? = switch state {
        case .master: scripts.master
        case .backup: scripts.backup
        case .fault: scripts.fault
        case .stop: scripts.stop
        case .initialize: nil
        }
        var out = specific.map { [$0] } ?? []
        if var any = scripts.any, state != .initialize {
            if case let .exec(argv) = any.form { any.form = .exec(argv + [kind, name, state.rawValue, String(priority)]) }
            out.append(any)
        }
        return out
    }

    func notifyQueue(for name: String) -> OrderedScripts {
        if let q = notifyQueues[name] { return q }
        let q = OrderedScripts(runner: runner, timeout: scriptTimeout, logger: logger, label: "(\(name))")
        notifyQueues[name] = q
        return q
    }
}
