import IPVSModel

/// ipvsadm 1.31's tables of legal options: per command (`commands_v_options`,
/// `generic_opt_check`) and per tunnel type (`tunnel_types_v_options`, `tunnel_opt_check`),
/// with its option names (`optnames`) and messages.
enum IpvsadmOptionTable {
    /// The option classes in ipvsadm's OPTC_ order, with their `optnames`.
    static let order: [(OptionClass, String)] = [
        (.numeric, "numeric"), (.connection, "connection"), (.service, "service-address"),
        (.scheduler, "scheduler"), (.persistent, "persistent"), (.netmask, "netmask"),
        (.server, "real-server"), (.forward, "forwarding-method"), (.weight, "weight"),
        (.uThreshold, "u-threshold"), (.lThreshold, "l-threshold"), (.mcastInterface, "mcast-interface"),
        (.timeout, "timeout"), (.daemon, "daemon"), (.stats, "stats"), (.rate, "rate"),
        (.thresholds, "thresholds"), (.persistentConn, "persistent-conn"), (.nosort, "nosort"),
        (.syncid, "syncid"), (.exact, "exact"), (.ops, "ops"), (.pe, "pe"), (.schedFlags, "sched-flags"),
        (.mcastGroup, "mcast-group"), (.mcastPort, "mcast-port"), (.mcastTTL, "mcast-ttl"),
        (.syncMaxlen, "sync-maxlen"), (.tunInfo, "tun-info"), (.tunType, "tun-type"), (.tunPort, "tun-port"),
        (.tunNocsum, "tun-nocsum"), (.tunCsum, "tun-csum"), (.tunRemcsum, "tun-remcsum"),
    ]

    static func name(_ cls: OptionClass) -> String {
        order.first(where: { $0.0 == cls })!.1
    }

    /// One row of `commands_v_options` per command, in OPTC_ order: `+` compulsory,
    /// `x` illegal, `1` at most one of the `1`s, blank optional.
    static func row(_ command: IpvsadmCommand) -> [UInt8] {
        let text: String
        switch command {
        // Copied from ipvsadm.c, one character per option class in `order`.
        case .add, .edit:             text = "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx"
        case .delete:                 text = "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        case .flush, .set, .restore:  text = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        case .list:                   text = " 11xxxxxxxxx11       xxxxxxx xxxxx"
        case .addServer, .editServer: text = "xx+xxx+    xxxxxxxxxxxxxxxxxx     "
        case .deleteServer:           text = "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx"
        case .startDaemon:            text = "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx"
        case .stopDaemon:             text = "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx"
        case .save:                   text = " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        case .zero:                   text = "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
        case .help, .version:         text = "                                  "
        }
        return Array(text.utf8)
    }

    /// `generic_opt_check`: the first missing, illegal or conflicting option in OPTC_ order.
    static func check(_ command: IpvsadmCommand, _ given: Set<OptionClass>) throws(IpvsadmFailure) {
        let row = row(command)
        let cmd = IpvsadmCommandLine.commandName(command)
        var last: String?
        for (j, (cls, name)) in order.enumerated() {
            let mark = row[j]
            if !given.contains(cls) {
                if mark == UInt8(ascii: "+") {
                    throw .fail("You need to supply the '\(name)' option for the '\(cmd)' command")
                }
                continue
            }
            if mark == UInt8(ascii: "x") { throw .fail("Illegal '\(name)' option with the '\(cmd)' command") }
            if mark == UInt8(ascii: "1") {
                if let last {
                    throw .fail("The option '\(name)' conflicts with the '\(last)' option in the '\(cmd)' command")
                }
                last = name
            }
        }
    }

    /// `tunnel_opt_check`: tun-port, tun-nocsum, tun-csum, tun-remcsum per tunnel type.
    static func checkTunnel(_ kind: Tunnel.Kind, _ given: Set<OptionClass>) throws(IpvsadmFailure) {
        let options: [OptionClass] = [.tunPort, .tunNocsum, .tunCsum, .tunRemcsum]
        let row: [Character], type: String
        switch kind {
        case .ipip: (row, type) = (["x", "x", "x", "x"], "ipip")
        case .gue: (row, type) = (["+", "1", "1", "1"], "gue")
        case .gre: (row, type) = (["x", "1", "1", "x"], "gre")
        }
        var last: String?
        for (j, cls) in options.enumerated() {
            let name = name(cls)
            if !given.contains(cls) {
                if row[j] == "+" { throw .fail("You need to supply the '\(name)' option for the '\(type)' tunnel type") }
                continue
            }
            if row[j] == "x" { throw .fail("Illegal '\(name)' option with the '\(type)' tunnel type") }
            if row[j] == "1" {
                if let last {
                    throw .fail("The option '\(name)' conflicts with the '\(last)' option in the '\(type)' tunnel type")
                }
                last = name
            }
        }
    }
}
