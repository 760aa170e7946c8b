import NetworkModel
import KeepalivedConfig
import EventLoop

/// The VRRP pass over a keepalived.conf's statement tree: `global_defs`, `vrrp_script`,
/// `vrrp_instance` and `vrrp_sync_group`, read as keepalived 2.2.7 reads them. Every problem is
/// a `Diagnostic` at FILE:LINE:COL; keywords keepalived has and swiftvs does not act on are
/// warnings, wrong values are errors. The LVS pass reads the same tree for `virtual_server`.
public struct VRRPConfigReader {
    var reader: StatementReader
    var config = VRRPConfiguration()
    /// Where each instance name was first defined (also the instances refused for an error, so
    /// that a sync group or `lvs_sync_daemon` naming one is not a second error), and each
    /// multicast (interface, family, VRID).
    var instanceNames: [String: SourceLocation] = [:]
    var routers: [String: SourceLocation] = [:]

    /// Top-level keywords this pass owns.
    public static let ownedKeywords: Set<String> = ["global_defs", "vrrp_script", "vrrp_instance", "vrrp_sync_group"]

    /// Reads `document`; the result's diagnostics include the document's own.
    public static func read(_ document: ConfigDocument) -> (config: VRRPConfiguration, diagnostics: [Diagnostic]) {
        var pass = VRRPConfigReader(reader: StatementReader(diagnostics: document.diagnostics))
        pass.run(document.statements)
        return (pass.config, pass.reader.diagnostics)
    }

    mutating func run(_ statements: [Statement]) {
        // global_defs first: it sets defaults (vrrp_version, garp) the instances take.
        for st in statements where st.keyword.text == "global_defs" { readGlobals(st) }
        for st in statements where st.keyword.text == "vrrp_script" { readScript(st) }
        for st in statements where st.keyword.text == "vrrp_instance" { readInstance(st) }
        for st in statements where st.keyword.text == "vrrp_sync_group" { readSyncGroup(st) }
        finish()
    }

    /// Cross-references that need every block read: track_script names, sync-group members,
    /// the sync daemon's instance.
    mutating func finish() {
        for (i, inst) in config.instances.enumerated() {
            for t in inst.trackScripts where config.scripts[t.name] == nil {
                reader.warn(t.location, "track_script \(t.name) in vrrp_instance \(inst.name) not found, ignoring")
            }
            config.instances[i].trackScripts.removeAll { config.scripts[$0.name] == nil }
        }
        finishSyncGroups()
        if let sync = config.globals.lvsSyncDaemon, let inst = sync.instance, instanceNames[inst] == nil {
            reader.error(sync.location, "lvs_sync_daemon: unknown vrrp_instance '\(inst)'")
        }
    }

    /// Each instance in at most one group, every member defined; a group of one is legal but
    /// rarely meant (keepalived says so too).
    mutating func finishSyncGroups() {
        var grouped: [String: String] = [:]
        for g in config.syncGroups {
            for m in g.members {
                if instanceNames[m] == nil {
                    reader.error(g.location, "vrrp_sync_group \(g.name): unknown vrrp_instance '\(m)'")
                } else if let other = grouped[m] {
                    reader.error(g.location, "vrrp_sync_group \(g.name): vrrp_instance \(m) is already in vrrp_sync_group \(other)")
                } else {
                    grouped[m] = g.name
                }
            }
            if g.members.count == 1 {
                reader.warn(g.location, "vrrp_sync_group \(g.name) has only one instance (\(g.members[0])); a group changes nothing for it")
            }
        }
        for g in config.syncGroups where !g.trackingWeight {
            for (i, inst) in config.instances.enumerated() where grouped[inst.name] == g.name {
                var member = inst
                ignoreTrackWeights(of: &member, in: g.name)
                config.instances[i] = member
            }
        }
    }

    /// keepalived's rule for a sync group without `sync_group_tracking_weight`: a member's
    /// weighted track_interface counts as weight 0 (down is a FAULT of the group), and a
    /// weighted track_script is not tracked at all.
    mutating func ignoreTrackWeights(of inst: inout VRRPInstanceConfig, in group: String) {
        for (j, t) in inst.trackInterfaces.enumerated() where t.weight != 0 {
            reader.warn(t.location, "vrrp_instance \(inst.name) is in vrrp_sync_group \(group): track_interface \(t.name)'s weight is ignored (its link going down is a FAULT of the group); add sync_group_tracking_weight to the group to keep it")
            inst.trackInterfaces[j].weight = 0
        }
        let weighted = inst.trackScripts.filter { ($0.weight ?? config.scripts[$0.name]?.weight ?? 0) != 0 }
        for t in weighted {
            reader.warn(t.location, "vrrp_instance \(inst.name) is in vrrp_sync_group \(group): track_script \(t.name) has a weight, so it is not tracked at all; give it weight 0 (its failure is then a FAULT of the group) or add sync_group_tracking_weight to the group")
        }
        inst.trackScripts.removeAll { t in weighted.contains { $0.name == t.name } }
    }

    // MARK: - Shared value readers

    /// Each statement of a block, or an error when the keyword has none.
    mutating func block(_ st: Statement) -> [Statement] {
        guard let b = st.block else {
            reader.error(st.location, "'\(st.keyword.text)' needs a block { … }")
            return []
        }
        return b
    }

    /// A named block's body (`vrrp_instance NAME { … }`); nil, with one error, when it has no
    /// block, so that its missing settings are not reported one by one.
    mutating func body(_ st: Statement) -> [Statement]? {
        guard st.block != nil else { _ = block(st); return nil }
        return st.block
    }

    /// The block's name (`vrrp_instance NAME {`).
    mutating func name(_ st: Statement) -> String? {
        guard let t = reader.arg(st, what: "name") else { return nil }
        reader.noMoreArgs(st, after: 1)
        return t.text
    }

    /// A script keyword (`script`, `notify_*`) as keepalived runs it: split into words and
    /// executed without a shell. Shell syntax in it is passed on as words, as keepalived does,
    /// with a warning that says so.
    mutating func command(_ st: Statement, allowUser: Bool = true) -> (CheckCommand, String)? {
        guard let line = reader.scriptLine(st, allowUser: allowUser) else { return nil }
        guard let words = KeepalivedQuoting.splitQuotedEscaped(line.text) else {
            reader.error(st.location, "\(st.keyword.text): unterminated quote in '\(line.text)'")
            return nil
        }
        guard !words.isEmpty else {
            reader.error(st.location, "\(st.keyword.text): empty script")
            return nil
        }
        if CheckCommand.needsShell(line.text) {
            reader.warn(st.location, "\(st.keyword.text): '\(line.text)' has shell syntax, but keepalived runs scripts without a shell: it runs \(words[0]) with the words \(words.dropFirst().map { "'\($0)'" }.joined(separator: " ")) as arguments; write \"/bin/sh -c '…'\" for a pipeline")
        }
        let user = line.user ?? config.globals.scriptUser
        let group = line.user != nil ? line.group : config.globals.scriptGroup
        return (.exec(words, user: user, group: group), line.text)
    }

    /// A signed weight in keepalived's range, -253…253.
    mutating func weight(_ t: Token, name: String) -> Int? {
        reader.integer(t, -253...253, name: name).map { Int($0) }
    }

    /// `weight W [reverse]` after a name in a track block line.
    mutating func trackWeight(_ st: Statement, name: String) -> (weight: Int?, reverse: Bool) {
        let a = st.args
        guard !a.isEmpty else { return (nil, false) }
        guard a[0].text == "weight", a.count >= 2 else {
            reader.error(a[0].location, "\(name): expected 'weight W [reverse]', got '\(a[0].text)'")
            return (nil, false)
        }
        let w = weight(a[1], name: "\(name) weight")
        var reverse = false
        if a.count >= 3 {
            if a[2].text == "reverse" { reverse = true } else {
                reader.error(a[2].location, "\(name): unexpected argument '\(a[2].text)'")
            }
        }
        for t in a.dropFirst(3) { reader.error(t.location, "\(name): unexpected argument '\(t.text)'") }
        return (w, reverse)
    }

    /// The error for a keyword `context` does not know. A keyword made of no-break spaces
    /// (U+00A0, what a web page's indentation becomes when copied) gets a message that says so:
    /// keepalived, like swiftvs, splits words on ASCII blanks only.
    mutating func unknownKeyword(_ s: Statement, in context: String) {
        let kw = s.keyword.text
        if kw.unicodeScalars.contains(where: { $0.value == 0xA0 }) {
            reader.error(s.location, "\(context): unknown keyword '\(kw)': it holds a no-break space (U+00A0, from text copied off a web page?); indent with ASCII spaces or tabs")
        } else {
            reader.error(s.location, "\(context): unknown keyword '\(kw)'")
        }
    }

    /// A keyword swiftvs accepts for compatibility and does not act on.
    mutating func notApplied(_ st: Statement, _ why: String = "not used by swiftvs") {
        reader.warn(st.location, "'\(st.keyword.text)' \(why); ignored")
    }
}
