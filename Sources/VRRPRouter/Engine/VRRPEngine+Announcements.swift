import NetworkModel
import HostNetwork
import VRRP

extension VRRPEngine {
    /// Gratuitous ARPs / unsolicited NAs: on becoming master a burst of `garp_master_repeat`
    /// per address, a second one `garp_master_delay` later, then `garp_master_refresh_repeat`
    /// every `garp_master_refresh`, for as long as this mastership lasts; on hearing a lower
    /// priority, one burst of `garp_lower_prio_repeat` (none unless configured).
    func announce(_ r: VirtualRouter, _ reason: AnnouncementReason) {
        let garp = r.config.garp
        switch reason {
        case .becameMaster:
            sendAnnouncements(r, count: garp.masterRepeat)
            if garp.masterDelay > .zero {
                scheduleAnnouncement(r, after: garp.masterDelay, count: garp.masterRepeat, then: garp.masterRefresh)
            } else if let refresh = garp.masterRefresh {
                scheduleAnnouncement(r, after: refresh, count: garp.masterRefreshRepeat, then: refresh)
            }
        case .lowerPriorityAdvert:
            sendAnnouncements(r, count: garp.lowerPriorityRepeat ?? 0)
        }
    }

    /// The next announcement burst of the current mastership, and the refresh after it.
    func scheduleAnnouncement(_ r: VirtualRouter, after delay: Duration, count: Int, then refresh: Duration?) {
        let epoch = r.epoch, name = r.name
        if r.announcementTimer != 0 { reactor.cancelTimer(r.announcementTimer) }
        r.announcementTimer = reactor.schedule(at: .now + delay) { [self] in
            assumeIsolated { $0.announcementDue(name, epoch: epoch, count: count, refresh: refresh) }
        }
    }

    func announcementDue(_ name: String, epoch: Int, count: Int, refresh: Duration?) {
        guard running, let r = routers[name], r.epoch == epoch, r.machine.state == .master else { return }
        r.announcementTimer = 0
        sendAnnouncements(r, count: count)
        if let refresh { scheduleAnnouncement(r, after: refresh, count: r.config.garp.masterRefreshRepeat, then: refresh) }
    }

    /// `count` announcements per address; with `vrrp_garp_interval` / `vrrp_gna_interval` the
    /// messages are spaced by it, else sent back to back.
    func sendAnnouncements(_ r: VirtualRouter, count: Int) {
        guard count > 0 else { return }
        let spacing = max(config.globals.garpInterval, config.globals.gnaInterval)
        if spacing == .zero {
            for _ in 0..<count { sendAnnouncementRound(r) }
            return
        }
        let name = r.name, epoch = r.epoch, reactor = reactor
        Task(executorPreference: reactor) {
            for i in 0..<count {
                if i > 0 { try? await reactor.sleep(until: .now + spacing) }
                guard await self.announcementRound(name, epoch: epoch) else { return }
            }
        }
    }

    func announcementRound(_ name: String, epoch: Int) -> Bool {
        guard running, let r = routers[name], r.epoch == epoch, r.machine.state == .master else { return false }
        sendAnnouncementRound(r)
        return true
    }

    /// One message per address: a GARP for IPv4, an unsolicited NA for IPv6, on the address's
    /// own interface when it has a `dev` (sent from the instance's interface otherwise).
    func sendAnnouncementRound(_ r: VirtualRouter) {
        for a in r.addresses {
            do {
                try r.announcer.send(for: a.address)
            } catch {
                report(r, "announce \(a.address): \(error)")
            }
        }
    }
}
