import NetworkModel
import KeepalivedConfig

extension VRRPConfigReader {
    /// `vrrp_instance` keywords keepalived 2.2.7 has that swiftvs accepts and does not act on
    /// (checked against `keepalived -t` word by word, as `inertGlobals`).
    static let inertInstanceKeywords: Set<String> = [
        "smtp_alert", "debug", "accept", "no_accept", "strict_mode", "use_vmac", "vmac_xmit_base", "use_ipvlan",
        "native_ipv6", "mcast_src_ip", "unicast_ttl", "track_file", "track_process", "track_bfd",
        "track_src_ip", "notify_master_rx_lower_pri", "notify_deleted", "kernel_rx_buf_size", "promote_secondaries",
        "linkbeat_use_polling", "virtual_routes", "virtual_rules", "garp_extra_if", "down_timer_adverts",
        "old_unicast_checksum", "skip_check_adv_addr", "unicast_fault_no_peer", "mcast_dst_ip",
        "notify_priority_changes", "use_vmac_addr", "vrf",
    ]

    /// Instance settings that are read after the whole block (version depends on the
    /// addresses, interval rounding on the version, the default priority on the state).
    struct PendingInstance {
        var interface: String?
        var vrid: UInt8?
        var state: VRRPInstanceConfig.InitialState?
        var priority: UInt8?
        var advertInterval: (Duration, Token)?
        var version: UInt8?
        var auth: (type: Token, pass: Token?)?
    }

    mutating func readInstance(_ st: Statement) {
        guard let name = name(st) else { _ = block(st); return }
        if let first = instanceNames[name] {
            reader.error(st.location, "vrrp_instance \(name) defined twice (first at \(first)); this one is ignored")
            return
        }
        instanceNames[name] = st.location
        guard let body = body(st) else { return }
        var inst = VRRPInstanceConfig(name: name, location: st.location, interface: "", virtualRouterID: 0)
        inst.garp = config.globals.garp
        inst.checkUnicastSource = config.globals.checkUnicastSource
        inst.lowerPriorityNoAdvert = config.globals.lowerPriorityNoAdvert
        inst.higherPrioritySendAdvert = config.globals.higherPrioritySendAdvert
        var pending = PendingInstance()
        for s in body { readInstanceKeyword(s, into: &inst, pending: &pending) }
        guard finishInstance(&inst, pending: pending, at: st), claimRouter(inst) else { return }
        config.instances.append(inst)
    }

    /// keepalived refuses two multicast instances with one VRID on one interface and family
    /// (their adverts would be indistinguishable); unicast instances may share one.
    mutating func claimRouter(_ inst: VRRPInstanceConfig) -> Bool {
        guard !inst.isUnicast else { return true }
        let family = inst.family == .inet ? "IPv4" : "IPv6"
        let key = "\(inst.interface)/\(family)/\(inst.virtualRouterID)"
        if let first = routers[key] {
            reader.error(inst.location, "vrrp_instance \(inst.name): virtual_router_id \(inst.virtualRouterID) on \(inst.interface) (\(family), multicast) is already used by the instance at \(first)")
            return false
        }
        routers[key] = inst.location
        return true
    }

    mutating func readInstanceKeyword(_ s: Statement, into inst: inout VRRPInstanceConfig, pending: inout PendingInstance) {
        let kw = s.keyword.text
        switch kw {
        case "state": pending.state = readState(s, after: pending.state) ?? pending.state
        case "interface": pending.interface = reader.string(s)
        case "virtual_router_id": pending.vrid = reader.integer(s, 1...255).map { UInt8($0) }
        case "priority": pending.priority = reader.integer(s, 1...255).map { UInt8($0) }
        case "advert_int": pending.advertInterval = readAdvertInterval(s) ?? pending.advertInterval
        case "version": pending.version = reader.integer(s, 2...3).map { UInt8($0) }
        case "unicast_src_ip": if let t = reader.arg(s, what: "address") { reader.noMoreArgs(s, after: 1); inst.unicastSource = reader.address(t, what: "unicast_src_ip") }
        case "unicast_peer": inst.unicastPeers = readPeers(s)
        case "check_unicast_src": if let v = reader.flag(s) { inst.checkUnicastSource = v }
        case "authentication": pending.auth = readAuthentication(s)
        case "virtual_ipaddress": inst.virtualAddresses += readAddresses(s)
        case "virtual_ipaddress_excluded": inst.excludedAddresses += readAddresses(s)
        case "nopreempt": if let v = reader.flag(s) { inst.nopreempt = v }
        case "preempt": if let v = reader.flag(s) { inst.nopreempt = !v }
        case "preempt_delay": readPreemptDelay(s, into: &inst)
        case "track_script": inst.trackScripts += readTrackScripts(s)
        case "track_interface": inst.trackInterfaces += readTrackInterfaces(s)
        case "dont_track_primary": if let v = reader.flag(s) { inst.dontTrackPrimary = v }
        case "lower_prio_no_advert": if let v = reader.flag(s) { inst.lowerPriorityNoAdvert = v }
        case "higher_prio_send_advert": if let v = reader.flag(s) { inst.higherPrioritySendAdvert = v }
        case "v3_checksum_as_v2": if let v = reader.flag(s) { inst.checksumWithoutPseudoHeader = v }
        case "lvs_sync_daemon_interface": readInstanceSyncInterface(s, into: &inst)
        case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
            readNotify(s, into: &inst.notify)
        default:
            if Self.garpKeywords.contains(kw) {
                inst.garp = readGarp(s, kw, from: inst.garp)
            } else if Self.inertInstanceKeywords.contains(kw) {
                notApplied(s)
            } else {
                unknownKeyword(s, in: "vrrp_instance")
            }
        }
    }

    /// `state MASTER|BACKUP`. keepalived keeps MASTER when BACKUP follows it (and reports it).
    mutating func readState(_ s: Statement, after earlier: VRRPInstanceConfig.InitialState?) -> VRRPInstanceConfig.InitialState? {
        guard let t = reader.arg(s, what: "state") else { return nil }
        reader.noBlock(s)
        reader.noMoreArgs(s, after: 1)
        switch t.text {
        case "MASTER": return .master
        case "BACKUP" where earlier == .master:
            reader.error(t.location, "state: BACKUP after state MASTER in the same instance")
            return nil
        case "BACKUP": return .backup
        default:
            reader.error(t.location, "state: expected MASTER or BACKUP, got '\(t.text)'")
            return nil
        }
    }

    /// `advert_int SECONDS`: keepalived's range, 0.01-255 s, for either version (the version's
    /// own step and range are applied once the version is known).
    mutating func readAdvertInterval(_ s: Statement) -> (Duration, Token)? {
        guard let v = reader.timer(s, allowZero: false) else { return nil }
        guard v >= .milliseconds(10) && v <= .seconds(255) else {
            reader.error(s.args[0].location, "advert_int \(s.args[0].text) out of range 0.01-255")
            return nil
        }
        return (v, s.args[0])
    }

    mutating func readPreemptDelay(_ s: Statement, into inst: inout VRRPInstanceConfig) {
        guard let v = reader.timer(s, allowZero: true) else { return }
        guard v <= .seconds(1000) else {
            reader.error(s.args[0].location, "preempt_delay \(s.args[0].text) out of range 0-1000")
            return
        }
        inst.preemptDelay = v
    }

    /// The older per-instance form: the sync daemon on this interface, following this instance.
    mutating func readInstanceSyncInterface(_ s: Statement, into inst: inout VRRPInstanceConfig) {
        guard let ifName = reader.string(s) else { return }
        reader.warn(s.location, "lvs_sync_daemon_interface is deprecated; use 'lvs_sync_daemon \(ifName) \(inst.name)' in global_defs")
        if config.globals.lvsSyncDaemon == nil {
            config.globals.lvsSyncDaemon = LVSSyncDaemonConfig(interface: ifName, instance: inst.name, location: s.location)
        } else {
            reader.warn(s.location, "lvs_sync_daemon is already set; this one is ignored")
        }
        inst.lvsSyncInterface = ifName
    }

    /// The `garp_*` keywords of an instance (and, with `vrrp_` before them, their global_defs
    /// defaults).
    static let garpKeywords: Set<String> = [
        "garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat",
        "garp_lower_prio_delay", "garp_lower_prio_repeat",
    ]

    /// `settings` with one of `garpKeywords` (`name`, without a `vrrp_` prefix) applied.
    mutating func readGarp(_ s: Statement, _ name: String, from settings: GratuitousARPSettings) -> GratuitousARPSettings {
        var garp = settings
        let repeats = 1...Int64(Int32.max)
        switch name {
        case "garp_master_delay": if let v = reader.integer(s, 0...86_400) { garp.masterDelay = .seconds(v) }
        case "garp_master_repeat": if let v = reader.integer(s, repeats) { garp.masterRepeat = Int(v) }
        case "garp_master_refresh": garp.masterRefresh = refresh(s)
        case "garp_master_refresh_repeat": if let v = reader.integer(s, repeats) { garp.masterRefreshRepeat = Int(v) }
        case "garp_lower_prio_delay": if let v = reader.integer(s, 0...86_400) { garp.lowerPriorityDelay = .seconds(v) }
        default: if let v = reader.integer(s, repeats) { garp.lowerPriorityRepeat = Int(v) }
        }
        return garp
    }
}
