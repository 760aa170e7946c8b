import NetworkModel
import KeepalivedConfig

extension VRRPConfigReader {
    /// `global_defs` keywords that have nothing to do with what swiftvs runs (mail alerts,
    /// SNMP, D-Bus, the checker process's own settings…): accepted with a warning.
    static let inertGlobals: Set<String> = [
        "notification_email", "notification_email_from", "smtp_server", "smtp_helo", "smtp_connect_timeout",
        "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "email_faults", "no_email_faults",
        "enable_snmp_vrrp", "enable_snmp_keepalived", "enable_snmp_checker", "enable_snmp_rfc",
        "enable_snmp_rfcv2", "enable_snmp_rfcv3", "snmp_socket", "enable_dbus", "enable_dbus_instance",
        "enable_traps", "dynamic_interfaces", "vrrp_skip_check_adv_addr", "vrrp_strict", "vrrp_iptables",
        "vrrp_ipsets", "vrrp_nftables", "vrrp_check_unicast_src", "vrrp_no_swap", "vrrp_priority",
        "checker_priority", "bfd_priority", "vrrp_rt_priority", "checker_rt_priority", "vrrp_cpu_affinity",
        "checker_cpu_affinity", "checker_no_swap", "lvs_timeouts", "lvs_flush", "lvs_flush_onstop",
        "lvs_id", "linkbeat_use_polling", "vrrp_mcast_group4", "vrrp_mcast_group6", "vrrp_notify_fifo",
        "vrrp_notify_fifo_script", "notify_fifo", "notify_fifo_script", "lvs_notify_fifo",
        "lvs_notify_fifo_script", "max_auto_priority", "min_auto_priority_delay", "script_security",
        "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs", "process_names", "process_name",
        "vrrp_process_name", "checker_process_name", "bfd_process_name", "instance", "use_pid_dir",
        "net_namespace", "namespace_with_ipsets", "default_interface", "vrrp_lower_prio_no_advert",
        "vrrp_higher_prio_send_advert", "vrrp_min_garp", "vrrp_garp_lower_prio_delay",
        "vrrp_garp_lower_prio_repeat", "child_wait_time", "disable_local_igmp", "random_seed",
        "reload_check_config", "reload_time_file", "reload_repeat", "reload_file", "config_save_dir",
        "tmp_config_directory", "umask", "json_version", "rs_init_notifies", "no_checker_emails",
        "startup_script", "startup_script_timeout", "shutdown_script", "shutdown_script_timeout",
        "fifo_write_vrrp_states_on_reload", "vrrp_startup_delay_randomise", "nftables", "nftables_priority",
        "nftables_counters", "nftables_ifindex", "nftables_no_lvs", "vrrp_netlink_cmd_rcv_bufs_force",
        "vrrp_netlink_monitor_rcv_bufs_force", "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_monitor_rcv_bufs",
        "lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs_force", "vrrp_garp_extra_if",
        "vrrp_down_timer_adverts", "checker_log_all_failures", "vrrp_rlimit_rtime", "checker_rlimit_rtime",
    ]

    mutating func readGlobals(_ st: Statement) {
        for s in block(st) {
            let kw = s.keyword.text
            switch kw {
            case "router_id":
                // An empty value (`router_id` alone) is keepalived's "use the host name".
                reader.noBlock(s)
                reader.noMoreArgs(s, after: 1)
                config.globals.routerID = s.args.first?.text
            case "vrrp_version":
                if let v = reader.integer(s, 2...3) { config.globals.version = v == 3 ? .v3 : .v2 }
            case "vrrp_garp_master_delay":
                if let v = reader.integer(s, 0...86_400) { config.globals.garp.masterDelay = .seconds(v) }
            case "vrrp_garp_master_repeat":
                if let v = reader.integer(s, 0...Int64(Int32.max)) { config.globals.garp.masterRepeat = max(1, Int(v)) }
            case "vrrp_garp_master_refresh":
                config.globals.garp.masterRefresh = refresh(s)
            case "vrrp_garp_master_refresh_repeat":
                if let v = reader.integer(s, 0...Int64(Int32.max)) { config.globals.garp.masterRefreshRepeat = max(1, Int(v)) }
            case "vrrp_garp_interval":
                if let v = reader.timer(s, allowZero: true) { config.globals.garpInterval = v }
            case "vrrp_gna_interval":
                if let v = reader.timer(s, allowZero: true) { config.globals.gnaInterval = v }
            case "vrrp_startup_delay":
                if let v = reader.timer(s, allowZero: true) { config.globals.startupDelay = v }
            case "script_user":
                readScriptUser(s)
            case "enable_script_security":
                if let v = reader.flag(s) { config.globals.enableScriptSecurity = v }
            case "lvs_sync_daemon":
                readSyncDaemon(s)
            default:
                if Self.inertGlobals.contains(kw) || kw.hasPrefix("lvs_") || kw.hasPrefix("checker_") || kw.hasPrefix("bfd_") {
                    notApplied(s)
                } else {
                    reader.warn(s.location, "unknown global_defs keyword '\(kw)'; ignored")
                }
            }
        }
    }

    /// `vrrp_garp_master_refresh SECONDS`: 0 or a missing or invalid value leaves it off, with
    /// keepalived's warning.
    mutating func refresh(_ s: Statement) -> Duration? {
        guard let t = s.args.first, let v = Int64(t.text), v >= 0 else {
            reader.warn(s.args.first?.location ?? s.location,
                        "invalid \(s.keyword.text) '\(s.args.first?.text ?? "")' (seconds); refresh stays off")
            return nil
        }
        reader.noMoreArgs(s, after: 1)
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
            default: sync.group = reader.address(v, what: "lvs_sync_daemon group")
            }
            i += 2
        }
        if let first = config.globals.lvsSyncDaemon {
            reader.error(s.location, "lvs_sync_daemon given twice (first at \(first.location))")
            return
        }
        config.globals.lvsSyncDaemon = sync
    }
}
