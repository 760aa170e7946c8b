import VRRP

/// `vrrp_sync_group`: the members change state together, as keepalived 2.2.7 does it
/// (`vrrp_sync.c`). A member's down timer passing makes the group MASTER only when every other
/// member wants MASTER too (or is already); a member that becomes MASTER takes the others with
/// it; a MASTER that steps down to BACKUP takes the other masters down with it; a member's own
/// fault (a link, a weight-0 script) puts every member in FAULT until it clears. The group's
/// notify scripts run once per group state, in order, with priority 0 as keepalived passes it.
extension VRRPEngine {
    /// The reason a member is in FAULT for another member's fault starts with this; such
    /// faults are the group's to raise and clear, never the tracking code's.
    static let groupFaultPrefix = "vrrp_sync_group "

    static func isGroupFault(_ reason: String) -> Bool { reason.hasPrefix(groupFaultPrefix) }

    /// The event for `r`'s down timer: `.masterDownTimerFired`, or `.masterDownDeferred` while
    /// another member of its group neither is MASTER nor wants to be.
    func masterDownEvent(for r: VirtualRouter) -> VRRPEvent {
        guard let group = config.syncGroup(of: r.name) else { return .masterDownTimerFired }
        let waitingFor = members(of: group).filter {
            $0 !== r && $0.machine.state != .master && !$0.machine.wantsMaster
        }
        guard !waitingFor.isEmpty else { return .masterDownTimerFired }
        if !r.machine.wantsMaster {
            let names = waitingFor.map(\.name).joined(separator: ", ")
            logger.info("(\(r.name)) master down, but vrrp_sync_group \(group.name) waits for \(names): staying BACKUP")
        }
        return .masterDownDeferred
    }

    /// What `r`'s group does after an event on `r` changed its state (from `from`) or its own
    /// faults (from `faultsBefore`). The followers' own changes don't start another round.
    func syncGroup(after r: VirtualRouter, from: VRRPState, faultsBefore: [String]) {
        guard let group = config.syncGroup(of: r.name), syncingGroups.insert(group.name).inserted else { return }
        defer { syncingGroups.remove(group.name) }
        let members = members(of: group)
        if ownFaults(r) != faultsBefore { propagateFaults(group, members) }
        let to = r.machine.state
        if to != from {
            switch (from, to) {
            case (_, .master):
                follow(group, members, from: .backup, "\(r.name) became MASTER") { .syncGroupMaster(reason: $0) }
            case (.master, .backup):
                follow(group, members, from: .master, "\(r.name) left MASTER") { .syncGroupBackup(reason: $0) }
            default: break
            }
        }
        notifyGroupIfAgreed(group, members)
    }

    func members(of group: VRRPSyncGroupConfig) -> [VirtualRouter] {
        group.members.compactMap { routers[$0] }
    }

    func ownFaults(_ r: VirtualRouter) -> [String] {
        r.machine.faults.filter { !Self.isGroupFault($0) }
    }

    /// Every member in `state` gets `event`, with the group's reason.
    private func follow(_ group: VRRPSyncGroupConfig, _ members: [VirtualRouter], from state: VRRPState,
                        _ why: String, _ event: (String) -> VRRPEvent) {
        let followers = members.filter { $0.machine.state == state }
        guard !followers.isEmpty else { return }
        let target = state == .backup ? "MASTER" : "BACKUP"
        logger.notice("VRRP_Group(\(group.name)) Syncing instances to \(target) state (\(why))")
        for m in followers { handle(event("vrrp_sync_group \(group.name): \(why)"), on: m) }
    }

    /// Each member carries, as faults of its own state machine, the other members' own faults.
    private func propagateFaults(_ group: VRRPSyncGroupConfig, _ members: [VirtualRouter]) {
        for m in members {
            var wanted: Set<String> = []
            for o in members where o !== m {
                for f in ownFaults(o) { wanted.insert("\(Self.groupFaultPrefix)\(group.name): \(o.name): \(f)") }
            }
            let current = Set(m.machine.faults.filter(Self.isGroupFault))
            for f in wanted.subtracting(current).sorted() { handle(.faultRaised(reason: f), on: m) }
            for f in current.subtracting(wanted).sorted() { handle(.faultCleared(reason: f), on: m) }
        }
    }

    /// The group's notify scripts, when every member is now in one state that the group was
    /// not last notified of.
    private func notifyGroupIfAgreed(_ group: VRRPSyncGroupConfig, _ members: [VirtualRouter]) {
        guard let state = members.first?.machine.state, state != .initialize,
              members.allSatisfy({ $0.machine.state == state }), groupStates[group.name] != state else { return }
        groupStates[group.name] = state
        logger.notice("VRRP_Group(\(group.name)) is \(state.rawValue)")
        let queue = notifyQueue(for: Self.groupFaultPrefix + group.name)
        for script in notifyScripts(group.notify, state: state, kind: "GROUP", name: group.name, priority: 0) {
            queue.enqueue(script)
        }
    }
}
