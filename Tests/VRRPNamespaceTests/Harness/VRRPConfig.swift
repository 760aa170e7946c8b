import Foundation

/// A `vrrp_script` that checks a file exists (`/usr/bin/test -f FILE`), standing in for the
/// seeds' `pgrep dockerd`: create or delete the file to make it pass or fail.
struct VRRPScriptSpec: Sendable {
    var name: String
    var file: String
    var interval = 1
    var weight = 0
    var rise: Int?
    var fall: Int?
}

/// One `vrrp_instance`, in the terms keepalived.conf uses.
struct VRRPInstanceSpec: Sendable {
    enum State: String, Sendable { case master = "MASTER", backup = "BACKUP" }

    var name = "VI_1"
    var state = State.backup
    var interface = "eth0"
    var virtualRouterID = 51
    var priority = 100
    /// Seconds; v2 takes whole seconds, v3 0.01 to 40.95.
    var advertInterval = 1.0
    /// nil: keepalived's default (2, or the global vrrp_version).
    var version: Int?
    /// Unicast when set (with `unicastPeers`); multicast 224.0.0.18 / ff02::12 otherwise.
    var unicastSource: String?
    var unicastPeers: [String] = []
    /// `authentication { auth_type PASS; auth_pass … }` when set.
    var authPass: String?
    /// `virtual_ipaddress` lines, e.g. "198.51.100.39/24".
    var virtualAddresses: [String] = []
    var nopreempt = false
    var preemptDelay: Int?
    /// `track_script` entries: a script name (defined in the configuration's `scripts`).
    var trackScripts: [String] = []
    /// Whole `notify*` lines, e.g. `notify /path/script` or `notify_master "/bin/x y"`.
    var notifyLines: [String] = []
    /// `track_interface` entries: an interface name, optionally followed by `weight W`.
    var trackInterfaces: [String] = []
    /// Any other whole lines inside the block, e.g. `garp_master_repeat 3`.
    var extraLines: [String] = []
    /// A `# …` comment line written just above the block (a reload test adds one).
    var leadingComment: String?
}

/// One `vrrp_sync_group`: its members and any other whole lines (notify, sync_group_tracking_weight).
struct VRRPSyncGroupSpec: Sendable {
    var name: String
    var members: [String]
    var lines: [String] = []
}

/// A whole keepalived.conf: global_defs, vrrp_scripts, vrrp_sync_groups and vrrp_instances. swiftvs reads the same
/// file unchanged, so both node runners write it from this description.
struct VRRPConfig: Sendable {
    var routerID: String
    var globalLines: [String] = ["script_user root"]
    var scripts: [VRRPScriptSpec] = []
    var instances: [VRRPInstanceSpec] = []
    var syncGroups: [VRRPSyncGroupSpec] = []
    /// `include` lines after global_defs (paths or patterns).
    var includes: [String] = []

    /// The keepalived.conf text.
    func render() -> String {
        var out = ["global_defs {", "    router_id \(routerID)"]
        out += globalLines.map { "    " + $0 }
        out.append("}")
        out += includes.map { "include \($0)" }
        for s in scripts {
            out.append("vrrp_script \(s.name) {")
            out.append("    script \"/usr/bin/test -f \(s.file)\"")
            out.append("    interval \(s.interval)")
            out.append("    weight \(s.weight)")
            if let rise = s.rise { out.append("    rise \(rise)") }
            if let fall = s.fall { out.append("    fall \(fall)") }
            out.append("}")
        }
        for g in syncGroups {
            out += ["vrrp_sync_group \(g.name) {", "    group {"] + g.members.map { "        " + $0 } + ["    }"]
            out += g.lines.map { "    " + $0 } + ["}"]
        }
        for i in instances { out += render(i) }
        return out.joined(separator: "\n") + "\n"
    }

    private func render(_ i: VRRPInstanceSpec) -> [String] {
        var b = i.leadingComment.map { ["# " + $0] } ?? []
        b += ["vrrp_instance \(i.name) {",
                 "    state \(i.state.rawValue)",
                 "    interface \(i.interface)",
                 "    virtual_router_id \(i.virtualRouterID)",
                 "    priority \(i.priority)",
                 "    advert_int \(Self.format(i.advertInterval))"]
        if let v = i.version { b.append("    version \(v)") }
        if let src = i.unicastSource {
            b.append("    unicast_src_ip \(src)")
            b.append("    unicast_peer {")
            b += i.unicastPeers.map { "        " + $0 }
            b.append("    }")
        }
        if let pass = i.authPass {
            b += ["    authentication {", "        auth_type PASS", "        auth_pass \(pass)", "    }"]
        }
        b.append("    virtual_ipaddress {")
        b += i.virtualAddresses.map { "        " + $0 }
        b.append("    }")
        if i.nopreempt { b.append("    nopreempt") }
        if let d = i.preemptDelay { b.append("    preempt_delay \(d)") }
        if !i.trackScripts.isEmpty {
            b.append("    track_script {")
            b += i.trackScripts.map { "        " + $0 }
            b.append("    }")
        }
        if !i.trackInterfaces.isEmpty {
            b.append("    track_interface {")
            b += i.trackInterfaces.map { "        " + $0 }
            b.append("    }")
        }
        b += i.notifyLines.map { "    " + $0 }
        b += i.extraLines.map { "    " + $0 }
        b.append("}")
        return b
    }

    /// 1 → "1", 0.05 → "0.05".
    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.2f", seconds)
    }
}

/// A notify script that appends its arguments (`INSTANCE NAME STATE PRIORITY` for `notify`) with a
/// timestamp to a file, so tests can read the transitions a daemon reported.
struct NotifyRecorder: Sendable {
    let script: String
    let file: String

    /// Writes the script (mode 0755, root-owned, as enable_script_security wants) into `directory`.
    init(directory: String, label: String) throws {
        script = directory + "/notify-\(label).sh"
        file = directory + "/notify-\(label).txt"
        let text = "#!/bin/sh\necho \"$(date +%s.%N) $*\" >> \(file)\n"
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
    }

    /// The `notify` line for an instance.
    var notifyLine: String { "notify \(script)" }

    /// The recorded lines, oldest first, without their timestamps.
    func lines() -> [String] {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(whereSeparator: \.isNewline).map { line in
            line.split(separator: " ", maxSplits: 1).dropFirst().joined()
        }
    }
}
