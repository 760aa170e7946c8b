import Testing
import Foundation
import NetworkModel
@testable import VRRPRouter

/// swiftvs's reading of an instance, in the words of keepalived's `-d` dump, for the settings
/// both have: what the two daemons would run, compared value by value.
struct KeepalivedView {
    var values: [String: String] = [:]
    var addresses: [String] = []
    var peers: [String] = []
    var trackedScripts: [String] = []
    var trackedInterfaces: [String] = []

    init(_ i: VRRPInstanceConfig, scripts: [String: VRRPScriptConfig]) {
        values["VRRP Version"] = "\(i.version)"
        values["Wantstate"] = i.initialState.rawValue
        values["Interface"] = i.interface
        values["Virtual Router ID"] = "\(i.virtualRouterID)"
        values["Priority"] = "\(i.priority)"
        let ms = i.advertInterval.components.seconds * 1000 + i.advertInterval.components.attoseconds / 1_000_000_000_000_000
        // keepalived shows v2 intervals in seconds, v3 ones in milliseconds.
        values["Advert interval"] = i.version == 2 ? "\(ms / 1000) sec" : "\(ms) milli-sec"
        values["Preempt"] = i.nopreempt ? "disabled" : "enabled"
        values["Gratuitous ARP delay"] = "\(i.garp.masterDelay.components.seconds)"
        values["Gratuitous ARP repeat"] = "\(i.garp.masterRepeat)"
        values["Gratuitous ARP refresh"] = "\(i.garp.masterRefresh?.components.seconds ?? 0)"
        values["Gratuitous ARP refresh repeat"] = "\(i.garp.masterRefreshRepeat)"
        values["Gratuitous ARP lower priority delay"] = "\((i.garp.lowerPriorityDelay ?? i.garp.masterDelay).components.seconds)"
        values["Gratuitous ARP lower priority repeat"] = "\(i.garp.lowerPriorityRepeat ?? i.garp.masterRepeat)"
        values["Send advert after receive lower priority advert"] = i.lowerPriorityNoAdvert ? "false" : "true"
        values["Send advert after receive higher priority advert"] = i.higherPrioritySendAdvert ? "true" : "false"
        switch i.authentication {
        case .none where i.version == 3: break // keepalived shows no authentication for v3
        case .none: values["Authentication type"] = "none"
        case let .password(bytes):
            values["Authentication type"] = "SIMPLE_PASSWORD"
            values["Password"] = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let host: UInt8 = i.family == .inet ? 32 : 128
        addresses = i.virtualAddresses.map { $0.prefixLength == host ? "\($0.address)" : "\($0.address)/\($0.prefixLength)" }
        peers = i.unicastPeers.map(\.description)
        // A track_script line without a weight takes the script's weight and its reverse.
        trackedScripts = i.trackScripts.map { t in
            let weight = t.weight ?? scripts[t.name]?.weight ?? 0
            let reverse = t.weight == nil ? scripts[t.name]?.weightReverse ?? false : t.reverse
            return "\(t.name) weight \(weight)" + (reverse ? " reverse" : "")
        }
        trackedInterfaces = i.trackInterfaces.map { "\($0.name) weight \($0.weight)" }
    }

    /// The same fields read from keepalived's dump lines of the instance.
    init(dump lines: [String]) {
        for line in lines {
            guard let r = line.range(of: " = ") else { continue }
            values[String(line[..<r.lowerBound])] = String(line[r.upperBound...])
        }
        // keepalived's own log lines ("Startup complete") can land between the dump's lines: an
        // address or peer entry is one that reads as an address.
        addresses = Self.list(after: { $0.hasPrefix("Virtual IP (") }, in: lines).map { String($0.split(separator: " ")[0]) }
            .filter { IPAddress(String($0.split(separator: "/")[0])) != nil }
        peers = Self.list(after: { $0 == "Unicast Peer :" }, in: lines).map { String($0.split(separator: " ")[0]) }
            .filter { IPAddress($0) != nil }
        trackedScripts = Self.list(after: { $0 == "Tracked scripts :" }, in: lines)
        trackedInterfaces = Self.list(after: { $0 == "Tracked interfaces :" }, in: lines)
    }

    /// The lines under a heading, up to the next `key = value` line or heading.
    static func list(after heading: (String) -> Bool, in lines: [String]) -> [String] {
        guard let start = lines.firstIndex(where: heading) else { return [] }
        return Array(lines[(start + 1)...].prefix { !$0.contains(" = ") && !$0.hasSuffix(":") && !$0.hasPrefix("No ") && !$0.hasPrefix("Using ") })
            .filter { !$0.hasPrefix("Startup complete") }
    }
}

/// A vrrp_script as keepalived's dump shows it: the command's words (the program as a base
/// name: keepalived resolves it in PATH), interval, timeout (0: the interval), weight, rise, fall.
struct KeepalivedScriptView: Equatable, CustomStringConvertible {
    var values: [String: String] = [:]

    init(_ s: VRRPScriptConfig) {
        let argv = s.command.argv
        let program = argv.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
        values["Command"] = ([program] + argv.dropFirst()).map { "'\($0)'" }.joined(separator: " ")
        values["Interval"] = "\(s.interval.components.seconds) sec"
        values["Timeout"] = "\(s.timeout?.components.seconds ?? 0) sec"
        values["Weight"] = "\(s.weight)" + (s.weightReverse ? " reverse" : "")
        values["Rise"] = "\(s.rise)"
        values["Fall"] = "\(s.fall)"
    }

    init(dump lines: [String]) {
        for line in lines {
            guard let r = line.range(of: " = ") else { continue }
            let key = String(line[..<r.lowerBound])
            guard ["Command", "Interval", "Timeout", "Weight", "Rise", "Fall"].contains(key) else { continue }
            var value = String(line[r.upperBound...])
            if key == "Command", value.hasPrefix("'/"), let end = value.dropFirst().firstIndex(of: "'") {
                // '/usr/bin/ss' → 'ss'
                let path = value[value.index(after: value.startIndex)..<end]
                value = "'\(path.split(separator: "/").last ?? "")" + value[end...]
            }
            values[key] = value
        }
    }

    var description: String { values.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: "; ") }
}

struct ValueCase: Sendable, CustomTestStringConvertible {
    var name: String
    var config: String
    var instance = "VI_1"
    var testDescription: String { name }
}

private let scriptsAsRoot = "global_defs {\n enable_script_security\n script_user root\n}\n"

let valueCases: [ValueCase] = [
    .init(name: "defaults", config: instance("")),
    .init(name: "state MASTER without priority", config: instance("state MASTER")),
    .init(name: "v2 advert_int 1.5", config: instance("advert_int 1.5")),
    .init(name: "v2 advert_int 0.4", config: instance("advert_int 0.4")),
    .init(name: "v3 advert_int 0.055", config: instance("version 3\nadvert_int 0.055")),
    .init(name: "v3 from global_defs", config: "global_defs {\n vrrp_version 3\n}\n" + instance("advert_int 0.25")),
    .init(name: "IPv6", config: instance("interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n 2001:db8::39/64\n 2001:db8::40\n}", bare: true)),
    .init(name: "nopreempt with preempt_delay", config: instance("state BACKUP\nnopreempt\npreempt_delay 5")),
    .init(name: "nopreempt with state MASTER", config: instance("state MASTER\npriority 100\nnopreempt")),
    .init(name: "nopreempt with priority 255", config: instance("priority 255\nnopreempt")),
    .init(name: "password truncated", config: instance("authentication {\n auth_type PASS\n auth_pass incommsys-vips\n}")),
    .init(name: "auth_pass without auth_type", config: instance("authentication {\n auth_pass abc\n}")),
    .init(name: "garp globals and overrides", config: "global_defs {\n vrrp_garp_master_delay 1\n vrrp_garp_master_repeat 3\n vrrp_garp_master_refresh 60\n vrrp_garp_lower_prio_repeat 2\n vrrp_lower_prio_no_advert\n vrrp_higher_prio_send_advert\n}\n"
          + instance("garp_master_repeat 4\ngarp_master_refresh_repeat 2")),
    .init(name: "unicast, addresses, tracking", config: scriptsAsRoot + "vrrp_script chk {\n script /usr/bin/true\n weight 20\n}\n"
          + instance("unicast_src_ip 198.51.100.31\nunicast_peer{\n 198.51.100.32\n 198.51.100.33\n}\nvirtual_ipaddress {\n 198.51.100.40\n 198.51.100.41/25 dev eth0\n}\ntrack_script {\n chk weight -7\n}\ntrack_interface {\n ens160 weight -5\n}")),
    .init(name: "scripts: words without a shell, settings", config: scriptsAsRoot
          + "vrrp_script chk {\n script       \"ss -ltn | grep 80\"\n timeout 3\n interval 2\n fall 2\n rise 3\n weight -10 reverse\n}\n"
          + "vrrp_script q {\n script \"/usr/bin/printf '%s x' \\\"a b\\\"\"\n}\n"
          + instance("track_script {\n chk\n q\n}")),
    .init(name: "track weights in a sync group", config: scriptsAsRoot + "vrrp_script chk {\n script /usr/bin/true\n weight 10\n}\nvrrp_script zero {\n script /usr/bin/true\n}\nvrrp_sync_group G1 {\n group { VI_1 VI_2 }\n}\n"
          + instance("track_script {\n chk\n zero\n}\ntrack_interface {\n ens160 weight 5\n}")
          + "vrrp_instance VI_2 {\n interface eth0\n virtual_router_id 52\n virtual_ipaddress { 198.51.100.40/24 }\n}\n"),
]

/// keepalived's own reading of the same configurations (its `-d` dump), compared value by value
/// with swiftvs's: priority defaults, interval rounding, preemption rules, GARP defaults,
/// the password as sent, the address and peer lists, the track weights.
@Suite(.enabled(if: KeepalivedPeer.available, "needs root, /usr/sbin/keepalived and ip(8): runs keepalived briefly in a network namespace"))
struct KeepalivedValueTests {
    @Test(arguments: valueCases.enumerated().map { $0 })
    func sameValuesAsKeepalived(_ index: Int, _ c: ValueCase) throws {
        try check(c.config, instance: c.instance, tag: "\(index)")
    }

    /// Seed 001 as its author ran it: keepalived runs it (logging the script-security violation).
    @Test func seed001() throws {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/seed001-swarm1-ascii", withExtension: "conf"))
        try check(try String(contentsOf: url, encoding: .utf8), instance: "VI_1", tag: "seed001")
    }

    private func check(_ config: String, instance name: String, tag: String) throws {
        let lines = try KeepalivedPeer.dump(config, tag: tag)
        let dump = KeepalivedPeer.section("VRRP Instance = \(name)", in: lines)
        try #require(!dump.isEmpty, "keepalived did not dump instance \(name)")
        let ours = read(config)
        let inst = try #require(ours.config.instances.first { $0.name == name }, "\(ours.all)")
        let mine = KeepalivedView(inst, scripts: ours.config.scripts)
        let theirs = KeepalivedView(dump: dump)
        for (key, value) in mine.values.sorted(by: { $0.key < $1.key }) {
            #expect(theirs.values[key] == value, "\(key)\nkeepalived's dump:\n\(dump.joined(separator: "\n"))")
        }
        #expect(mine.addresses == theirs.addresses)
        #expect(mine.peers == theirs.peers)
        #expect(mine.trackedScripts == theirs.trackedScripts)
        #expect(mine.trackedInterfaces == theirs.trackedInterfaces)
        let delay = inst.preemptDelay == .zero ? nil : inst.preemptDelay
        #expect((theirs.values["Preempt delay"] != nil) == (delay != nil))
        for t in inst.trackScripts {
            let script = try #require(ours.config.scripts[t.name])
            #expect(KeepalivedScriptView(script) == KeepalivedScriptView(dump: KeepalivedPeer.section("VRRP Script = \(t.name)", in: lines)))
        }
    }
}
