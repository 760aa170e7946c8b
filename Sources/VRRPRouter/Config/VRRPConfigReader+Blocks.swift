import NetworkModel
import KeepalivedConfig
import HostNetwork

extension VRRPConfigReader {
    /// `unicast_peer { IP [min_ttl N] [max_ttl N] … }`.
    mutating func readPeers(_ st: Statement) -> [IPAddress] {
        var peers: [IPAddress] = []
        let lines = block(st)
        if lines.isEmpty && st.block != nil {
            reader.warn(st.location, "unicast_peer lists no peer; the instance uses multicast")
        }
        for s in lines {
            guard let a = reader.address(s.keyword, what: "unicast_peer") else { continue }
            var i = 0
            while i < s.args.count {
                let opt = s.args[i]
                guard opt.text == "min_ttl" || opt.text == "max_ttl", i + 1 < s.args.count else {
                    reader.error(opt.location, "unicast_peer \(a): unexpected argument '\(opt.text)'")
                    break
                }
                _ = reader.integer(s.args[i + 1], 0...255, name: "unicast_peer \(opt.text)")
                reader.warn(opt.location, "unicast_peer \(opt.text) is not checked by swiftvs; ignored")
                i += 2
            }
            if peers.contains(a) { reader.warn(s.location, "unicast_peer \(a) listed twice") } else { peers.append(a) }
        }
        return peers
    }

    /// `authentication { auth_type PASS|AH; auth_pass PASSWORD }`.
    mutating func readAuthentication(_ st: Statement) -> (type: Token, pass: Token?)? {
        var type: Token?, pass: Token?
        for s in block(st) {
            switch s.keyword.text {
            case "auth_type":
                guard let t = reader.arg(s, what: "type") else { continue }
                reader.noMoreArgs(s, after: 1)
                type = t
            case "auth_pass":
                guard let t = reader.arg(s, what: "password") else { continue }
                reader.noMoreArgs(s, after: 1)
                pass = t
            default:
                unknownKeyword(s, in: "authentication")
            }
        }
        guard let type else {
            // keepalived runs such an instance without authentication.
            reader.warn(st.location, "authentication without auth_type: no authentication is used")
            return nil
        }
        return (type, pass)
    }

    /// `virtual_ipaddress { ADDR[/LEN] [brd B] [dev IF] [scope S] [label L] … }`.
    mutating func readAddresses(_ st: Statement) -> [VirtualAddress] {
        block(st).compactMap { readAddress($0) }
    }

    mutating func readAddress(_ s: Statement) -> VirtualAddress? {
        let text = s.keyword.text
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else {
            reader.error(s.location, "invalid virtual address '\(text)'")
            return nil
        }
        let maxLength: UInt8 = address.family == .inet ? 32 : 128
        var vip = VirtualAddress(address: address, prefixLength: maxLength, location: s.location)
        if parts.count == 2 {
            guard let n = UInt8(parts[1]), n <= maxLength else {
                reader.error(s.location, "invalid prefix length in '\(text)' (0-\(maxLength))")
                return nil
            }
            vip.prefixLength = n
        }
        return readAddressOptions(s, into: vip)
    }

    mutating func readAddressOptions(_ s: Statement, into base: VirtualAddress) -> VirtualAddress? {
        var vip = base
        let a = s.args
        var i = 0
        while i < a.count {
            let opt = a[i].text
            if opt == "no_track" || opt == "home" || opt == "nodad" || opt == "noprefixroute" || opt == "autojoin" {
                reader.warn(a[i].location, "virtual address option '\(opt)' is not applied by swiftvs; ignored")
                i += 1
                continue
            }
            guard i + 1 < a.count else {
                reader.error(a[i].location, "virtual address \(vip.address): '\(opt)' needs a value")
                return nil
            }
            let v = a[i + 1]
            switch opt {
            case "dev": vip.device = v.text
            case "label": vip.label = v.text
            case "brd", "broadcast": vip.broadcast = broadcast(v, of: vip)
            case "scope":
                guard let scope = AddressScope(name: v.text) else {
                    reader.error(v.location, "virtual address \(vip.address): unknown scope '\(v.text)' (global, site, link, host, nowhere, or 0, 200, 253, 254, 255)")
                    return nil
                }
                vip.scope = scope
            case "preferred_lft", "valid_lft", "metric":
                reader.warn(a[i].location, "virtual address option '\(opt)' is not applied by swiftvs; ignored")
            default:
                reader.error(a[i].location, "virtual address \(vip.address): unknown option '\(opt)'")
                return nil
            }
            i += 2
        }
        return vip
    }

    /// `brd ADDR`, or ip(8)'s `brd +` (host bits set) and `brd -` (host bits clear), which
    /// keepalived takes too.
    mutating func broadcast(_ t: Token, of vip: VirtualAddress) -> IPAddress? {
        guard t.text == "+" || t.text == "-" else { return reader.address(t, what: "broadcast") }
        let bytes = vip.address.bytes.enumerated().map { i, byte -> UInt8 in
            let bits = max(0, min(8, Int(vip.prefixLength) - i * 8))
            let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
            return t.text == "+" ? byte | ~mask : byte & mask
        }
        return IPAddress(bytes: bytes)
    }

    /// `track_script { NAME [weight W [reverse]] … }`.
    mutating func readTrackScripts(_ st: Statement) -> [TrackedScript] {
        block(st).map { s in
            let (w, reverse) = trackWeight(s, name: "track_script \(s.keyword.text)")
            return TrackedScript(name: s.keyword.text, weight: w, reverse: reverse, location: s.location)
        }
    }

    /// `track_interface { IF [weight W [reverse]] … }`.
    mutating func readTrackInterfaces(_ st: Statement) -> [TrackedInterface] {
        block(st).map { s in
            let (w, reverse) = trackWeight(s, name: "track_interface \(s.keyword.text)")
            return TrackedInterface(name: s.keyword.text, weight: w ?? 0, reverse: reverse, location: s.location)
        }
    }

    mutating func readNotify(_ s: Statement, into notify: inout NotifyScripts) {
        guard let (cmd, _) = command(s) else { return }
        switch s.keyword.text {
        case "notify_master": notify.master = cmd
        case "notify_backup": notify.backup = cmd
        case "notify_fault": notify.fault = cmd
        case "notify_stop": notify.stop = cmd
        default: notify.any = cmd
        }
    }

    // MARK: - vrrp_script, vrrp_sync_group

    mutating func readScript(_ st: Statement) {
        guard let name = name(st) else { _ = block(st); return }
        guard let body = body(st) else { return }
        let lines = body.filter { $0.keyword.text == "script" }
        let command = lines.last.flatMap { self.command($0) }
        // The settings are read (and their errors reported) even when the script is missing.
        var script = VRRPScriptConfig(name: name, location: st.location, command: command?.0 ?? .exec([]), text: command?.1 ?? "")
        for s in body where s.keyword.text != "script" { readScriptSetting(s, into: &script) }
        guard command != nil else {
            if lines.isEmpty { reader.error(st.location, "vrrp_script \(name): missing 'script'") }
            return
        }
        if let first = config.scripts[name] {
            reader.error(st.location, "vrrp_script \(name) defined twice (first at \(first.location)); this one is ignored")
            return
        }
        config.scripts[name] = script
    }

    mutating func readScriptSetting(_ s: Statement, into script: inout VRRPScriptConfig) {
        switch s.keyword.text {
        // Whole seconds, 1-4294, as keepalived 2.2.7 reads them (it refuses fractions here).
        case "interval": if let v = reader.integer(s, 1...4294) { script.interval = .seconds(v) }
        case "timeout": if let v = reader.integer(s, 1...4294) { script.timeout = .seconds(v) }
        case "rise": if let v = reader.integer(s, 1...Int64(Int32.max)) { script.rise = Int(v) }
        case "fall": if let v = reader.integer(s, 1...Int64(Int32.max)) { script.fall = Int(v) }
        case "init_fail": if let v = reader.flag(s) { script.initFail = v }
        case "weight":
            reader.noBlock(s)
            guard let t = reader.arg(s, what: "weight") else { return }
            if let w = weight(t, name: "weight") { script.weight = w }
            if s.args.count > 1 {
                if s.args[1].text == "reverse" { script.weightReverse = true } else {
                    reader.error(s.args[1].location, "weight: unexpected argument '\(s.args[1].text)'")
                }
            }
            reader.noMoreArgs(s, after: 2)
        case "user":
            reader.noBlock(s)
            guard let u = reader.arg(s, what: "user name") else { return }
            reader.noMoreArgs(s, after: 2)
            script.command.user = u.text
            script.command.group = s.args.count > 1 ? s.args[1].text : nil
        default:
            unknownKeyword(s, in: "vrrp_script")
        }
    }

    mutating func readSyncGroup(_ st: Statement) {
        guard let name = name(st) else { _ = block(st); return }
        guard let body = body(st) else { return }
        var group = VRRPSyncGroupConfig(name: name, location: st.location, members: [])
        for s in body {
            switch s.keyword.text {
            case "group":
                // A word list, as keepalived reads it: several names may share a line.
                group.members += block(s).flatMap { [$0.keyword.text] + $0.args.map(\.text) }
            case "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify":
                readNotify(s, into: &group.notify)
            case "sync_group_tracking_weight":
                if let v = reader.flag(s) { group.trackingWeight = v }
            case "smtp_alert", "global_tracking", "track_interface", "track_script", "track_file", "track_process",
                 "track_bfd", "notify_priority_changes":
                notApplied(s, "in a vrrp_sync_group is not supported by swiftvs")
            default:
                unknownKeyword(s, in: "vrrp_sync_group")
            }
        }
        if group.members.isEmpty { reader.error(st.location, "vrrp_sync_group \(name): no instances in 'group { … }'") }
        config.syncGroups.append(group)
    }
}
