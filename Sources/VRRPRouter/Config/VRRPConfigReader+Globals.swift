import NetworkModel
import KeepalivedConfig

extension VRRPConfigReader {
    /// The other `global_defs` keywords of Debian 12's keepalived 2.2.7 (mail alerts, SNMP,
    /// D-Bus, process priorities, the checker's and BFD's settings, nftables…): accepted with a
    /// warning, as swiftvs does not act on them. The list is what `keepalived -t` itself does
    /// not call an "Unknown keyword" (checked word by word against the words of its binary and
    /// of keepalived.conf(5)); any other word is an error, as it is for keepalived.
    static let inertGlobals: Set<String> = [
        "bfd_cpu_affinity", "bfd_no_swap", "bfd_priority", "bfd_process_name", "bfd_rlimit_rtime",
        "bfd_rlimit_rttime", "bfd_rt_priority", "checker_cpu_affinity", "checker_log_all_failures",
        "checker_no_swap", "checker_priority", "checker_process_name", "checker_rlimit_rtime",
        "checker_rlimit_rttime", "checker_rt_priority", "config_save_dir", "data_use_instance",
        "dbus_service_name", "default_interface", "disable_local_igmp", "dynamic_interfaces", "enable_dbus",
        "enable_snmp_checker", "enable_snmp_keepalived", "enable_snmp_rfc", "enable_snmp_rfcv2",
        "enable_snmp_rfcv3", "enable_snmp_vrrp", "enable_traps", "fifo_write_vrrp_states_on_reload",
        "include_check", "log_unknown_vrids", "lvs_flush", "lvs_flush_on_stop", "lvs_flush_onstop", "lvs_netlink_cmd_rcv_bufs",
        "lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs",
        "lvs_netlink_monitor_rcv_bufs_force", "lvs_notify_fifo", "lvs_notify_fifo_script",
        "lvs_process_name", "lvs_timeouts", "max_auto_priority", "min_auto_priority_delay", "nftables",
        "nftables_counters", "nftables_ifindex", "nftables_ipvs", "nftables_ipvs_priority",
        "nftables_ipvs_start_fwmark", "nftables_priority", "no_checker_emails", "no_email_faults",
        "notification_email", "notification_email_from", "notify_fifo", "notify_fifo_script",
        "process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force", "process_name", "process_names",
        "reload_check_config", "reload_file", "reload_repeat", "reload_time_file",
        "rs_init_notifies", "shutdown_script", "shutdown_script_timeout", "smtp_alert", "smtp_alert_checker",
        "smtp_alert_vrrp", "smtp_connect_timeout", "smtp_helo_name", "smtp_server", "snmp_socket",
        "startup_script", "startup_script_timeout", "tmp_config_directory", "umask", "vmac_addr_prefix",
        "vmac_prefix", "vrrp_cpu_affinity", "vrrp_down_timer_adverts",
        "vrrp_garp_extra_if", "vrrp_iptables", "vrrp_mcast_group4",
        "vrrp_mcast_group6", "vrrp_min_garp", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
        "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force", "vrrp_no_swap",
        "vrrp_notify_fifo", "vrrp_notify_fifo_script", "vrrp_notify_priority_changes", "vrrp_priority",
        "vrrp_process_name", "vrrp_rlimit_rtime", "vrrp_rlimit_rttime",
        "vrrp_rx_bufs_multiplier", "vrrp_rx_bufs_policy", "vrrp_skip_check_adv_addr", "vrrp_strict",
        "vrrp_vmac_garp_intvl",
    ]

    mutating func readGlobals(_ st: Statement) {
        for s in block(st) {
            let kw = s.keyword.text
            switch kw {
            case "router_id":
                readRouterID(s)
            case _ where kw.hasPrefix("vrrp_") && Self.garpKeywords.contains(String(kw.dropFirst(5))):
                // vrrp_garp_X is the default of every instance's garp_X.
                config.globals.garp = readGarp(s, String(kw.dropFirst(5)), from: config.globals.garp)
            case "vrrp_version":
                if let v = reader.integer(s, 2...3) { config.globals.version = v == 3 ? .v3 : .v2 }
            case "vrrp_garp_interval":
                if let v = reader.timer(s, allowZero: true) { config.globals.garpInterval = v }
            case "vrrp_gna_interval":
                if let v = reader.timer(s, allowZero: true) { config.globals.gnaInterval = v }
            case "vrrp_startup_delay":
                if let v = reader.timer(s, allowZero: true) { config.globals.startupDelay = v }
            case "vrrp_rt_priority":
                if let v = reader.integer(s, 1...99) { config.globals.realtimePriority = Int32(v) }
            case "vrrp_check_unicast_src":
                if let v = reader.flag(s) { config.globals.checkUnicastSource = v }
            case "vrrp_lower_prio_no_advert":
                if let v = reader.flag(s) { config.globals.lowerPriorityNoAdvert = v }
            case "vrrp_higher_prio_send_advert":
                if let v = reader.flag(s) { config.globals.higherPrioritySendAdvert = v }
            case "script_user":
                readScriptUser(s)
            case "enable_script_security":
                if let v = reader.flag(s) { config.globals.enableScriptSecurity = v }
            case "lvs_sync_daemon":
                readSyncDaemon(s)
            case "random_seed":
                // Used as the file is read (KeepalivedConfig's TreeBuilder seeds ${_RANDOM});
                // checked here, as keepalived reports "random_seed X invalid".
                _ = reader.integer(s, 0...Int64(UInt32.max))
            default:
                if Self.inertGlobals.contains(kw) {
                    notApplied(s)
                } else {
                    unknownKeyword(s, in: "global_defs")
                }
            }
        }
    }

    /// `router_id NAME`. Without a value (a template whose placeholder was not filled in)
    /// the host name is used, as when it is absent.
    mutating func readRouterID(_ s: Statement) {
        reader.noBlock(s)
        reader.noMoreArgs(s, after: 1)
        guard let t = s.args.first else {
            reader.warn(s.location, "router_id has no value; the host name is used")
            return
        }
        config.globals.routerID = t.text
    }

    /// `[vrrp_]garp_master_refresh SECONDS` (0: off). Without a value keepalived 2.2.7 refuses
    /// the line; swiftvs leaves the refresh off and says so. A wrong value is an error.
    mutating func refresh(_ s: Statement) -> Duration? {
        reader.noBlock(s)
        guard !s.args.isEmpty else {
            reader.warn(s.location, "\(s.keyword.text) has no value (seconds); the refresh stays off")
            return nil
        }
        guard let v = reader.integer(s, 0...86_400) else { return nil }
        return v == 0 ? nil : .seconds(v)
    }

    mutating func readScriptUser(_ s: Statement) {
        reader.noBlock(s)
        guard let user = reader.arg(s, what: "user name") else { return }
        reader.noMoreArgs(s, after: 2)
        config.globals.scriptUser = user.text
        config.globals.scriptGroup = s.args.count > 1 ? s.args[1].text : nil
    }

    /// `lvs_sync_daemon IF [INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`.
    mutating func readSyncDaemon(_ s: Statement) {
        reader.noBlock(s)
        guard let ifTok = reader.arg(s, what: "interface") else { return }
        var sync = LVSSyncDaemonConfig(interface: ifTok.text, location: s.location)
        var i = 1
        let a = s.args
        let options: Set<String> = ["id", "maxlen", "port", "ttl", "group"]
        if i < a.count, !options.contains(a[i].text) {
            sync.instance = a[i].text
            i += 1
        }
        while i < a.count {
            let opt = a[i]
            guard options.contains(opt.text) else {
                reader.error(opt.location, "lvs_sync_daemon: unknown option '\(opt.text)' (id, maxlen, port, ttl, group)")
                return
            }
            guard i + 1 < a.count else {
                reader.error(opt.location, "lvs_sync_daemon: \(opt.text) needs a value")
                return
            }
            let v = a[i + 1]
            switch opt.text {
            case "id": sync.syncID = reader.integer(v, 0...255, name: "lvs_sync_daemon id").map { UInt8($0) }
            case "maxlen": sync.maxLength = reader.integer(v, 1...65507, name: "lvs_sync_daemon maxlen").map { UInt16($0) }
            case "port": sync.port = reader.integer(v, 1...65535, name: "lvs_sync_daemon port").map { UInt16($0) }
            case "ttl": sync.ttl = reader.integer(v, 1...255, name: "lvs_sync_daemon ttl").map { UInt8($0) }
            default: sync.group = multicastGroup(v)
            }
            i += 2
        }
        if let first = config.globals.lvsSyncDaemon {
            reader.error(s.location, "lvs_sync_daemon given twice (first at \(first.location))")
            return
        }
        config.globals.lvsSyncDaemon = sync
    }

    /// The sync daemon's `group`: a multicast address (224.0.0.0/4 or ff00::/8), as keepalived
    /// requires.
    mutating func multicastGroup(_ t: Token) -> IPAddress? {
        guard let a = reader.address(t, what: "lvs_sync_daemon group") else { return nil }
        let first = a.bytes[0]
        guard a.family == .inet ? first >> 4 == 0xE : first == 0xFF else {
            reader.error(t.location, "lvs_sync_daemon group \(a) is not a multicast address")
            return nil
        }
        return a
    }
}
