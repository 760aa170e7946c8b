import Testing
import KeepalivedConfig
@testable import VRRPRouter

/// What needs the whole file: duplicate names and routers, track_script names, sync groups,
/// the sync daemon's instance.
@Suite struct CrossReferenceTests {
    private func second(_ name: String = "VI_2", vrid: Int = 52, _ extra: String = "") -> String {
        "vrrp_instance \(name) {\n interface eth0\n virtual_router_id \(vrid)\n virtual_ipaddress { 198.51.100.40/24 }\n\(extra)\n}\n"
    }

    @Test func duplicateInstanceName() {
        let r = read(instance("") + second("VI_1"))
        #expect(r.all == ["k.conf:7:1: vrrp_instance VI_1 defined twice (first at k.conf:1:1); this one is ignored"])
        #expect(r.config.instances.map(\.virtualRouterID) == [51])
    }

    @Test func duplicateVRIDOnOneInterfaceAndFamily() {
        let r = read(instance("") + second(vrid: 51))
        #expect(r.all == ["k.conf:7:1: vrrp_instance VI_2: virtual_router_id 51 on eth0 (IPv4, multicast) is already used by the instance at k.conf:1:1"])
        #expect(r.config.instances.map(\.name) == ["VI_1"])
    }

    /// keepalived accepts the same VRID on another interface, in the other family, or when
    /// either instance is unicast.
    @Test func sameVRIDAllowedWhereKeepalivedAllowsIt() {
        let otherInterface = second(vrid: 51).replacingOccurrences(of: "interface eth0", with: "interface ens160")
        #expect(read(instance("") + otherInterface).all == [])
        let otherFamily = second(vrid: 51).replacingOccurrences(of: "198.51.100.40/24", with: "2001:db8::40/64")
        #expect(read(instance("") + otherFamily).all == [])
        let unicast = second(vrid: 51, "unicast_peer { 198.51.100.3 }")
        #expect(read(instance("") + unicast).all == [])
    }

    @Test func trackScriptToUnknownScript() throws {
        let r = read(instance("track_script {\n nosuch\n}"))
        #expect(r.all == ["k.conf:6:2: warning: track_script nosuch in vrrp_instance VI_1 not found, ignoring"])
        #expect(try #require(r.instance).trackScripts.isEmpty)
    }

    @Test func syncGroup() throws {
        let r = read("vrrp_sync_group G1 {\n group {\n  VI_1\n  VI_2\n }\n notify_master /bin/m\n notify \"/bin/n x\"\n smtp_alert\n}\n"
                     + instance("") + second())
        #expect(r.all == ["k.conf:8:2: warning: 'smtp_alert' in a vrrp_sync_group is not supported by swiftvs; ignored"])
        let g = try #require(r.config.syncGroups.first)
        #expect(g.name == "G1" && g.members == ["VI_1", "VI_2"] && g.location == SourceLocation(file: "k.conf", line: 1, column: 1))
        #expect(g.notify.master == .exec(["/bin/m"]) && g.notify.any == .exec(["/bin/n", "x"]))
        #expect(r.config.syncGroup(of: "VI_2")?.name == "G1")
        #expect(r.config.syncGroup(of: "VI_3") == nil)
    }

    @Test func syncGroupErrors() {
        #expect(read("vrrp_sync_group G1 {\n group { VI_1 VI_9 }\n}\n" + instance("")).all == [
            "k.conf:1:1: vrrp_sync_group G1: unknown vrrp_instance 'VI_9'",
        ])
        #expect(read("vrrp_sync_group G1 {\n group { VI_1 VI_2 }\n}\nvrrp_sync_group G2 {\n group { VI_1 }\n}\n" + instance("") + second()).all == [
            "k.conf:4:1: vrrp_sync_group G2: vrrp_instance VI_1 is already in vrrp_sync_group G1",
            "k.conf:4:1: warning: vrrp_sync_group G2 has only one instance (VI_1); a group changes nothing for it",
        ])
        #expect(read("vrrp_sync_group G1 {\n group {\n }\n}\n" + instance("")).all == [
            "k.conf:1:1: vrrp_sync_group G1: no instances in 'group { … }'",
        ])
        #expect(read("vrrp_sync_group G1 {\n group { VI_1 VI_2 }\n color blue\n}\n" + instance("") + second()).all == [
            "k.conf:3:2: vrrp_sync_group: unknown keyword 'color'",
        ])
    }

    /// keepalived's rule: inside a sync group, a weighted track_script is not tracked and a
    /// track_interface weight counts as 0, unless the group says sync_group_tracking_weight.
    @Test func syncGroupIgnoresTrackWeights() throws {
        let scripts = "vrrp_script w {\n script /bin/true\n weight 10\n}\nvrrp_script z {\n script /bin/true\n}\n"
        let body = "track_script {\n w\n z\n}\ntrack_interface {\n ens160 weight 5\n}"
        let r = read(scripts + "vrrp_sync_group G1 {\n group { VI_1 VI_2 }\n}\n" + instance(body) + second())
        #expect(r.all == [
            "k.conf:20:2: warning: vrrp_instance VI_1 is in vrrp_sync_group G1: track_interface ens160's weight is ignored (its link going down is a FAULT of the group); add sync_group_tracking_weight to the group to keep it",
            "k.conf:16:2: warning: vrrp_instance VI_1 is in vrrp_sync_group G1: track_script w has a weight, so it is not tracked at all; give it weight 0 (its failure is then a FAULT of the group) or add sync_group_tracking_weight to the group",
        ])
        let i = try #require(r.config.instances.first)
        #expect(i.trackScripts.map(\.name) == ["z"])
        #expect(i.trackInterfaces.map(\.weight) == [0])

        let kept = read(scripts + "vrrp_sync_group G1 {\n group { VI_1 VI_2 }\n sync_group_tracking_weight\n}\n" + instance(body) + second())
        #expect(kept.all == [])
        #expect(kept.config.syncGroups.first?.trackingWeight == true)
        #expect(kept.config.instances.first?.trackScripts.map(\.name) == ["w", "z"])
        #expect(kept.config.instances.first?.trackInterfaces.map(\.weight) == [5])
    }

    /// An instance refused for its own error is not a second error where a group names it.
    @Test func noCascadeFromARefusedInstance() {
        let r = read("global_defs {\n lvs_sync_daemon eth0 VI_2\n}\nvrrp_sync_group G1 {\n group { VI_1 VI_2 }\n}\n" + instance("") + second(vrid: 51))
        #expect(r.all == ["k.conf:13:1: vrrp_instance VI_2: virtual_router_id 51 on eth0 (IPv4, multicast) is already used by the instance at k.conf:7:1"])
    }

    @Test func lvsSyncDaemonInstance() {
        #expect(read("global_defs {\n lvs_sync_daemon eth0 VI_9\n}\n" + instance("")).all == [
            "k.conf:2:2: lvs_sync_daemon: unknown vrrp_instance 'VI_9'",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon eth0 VI_1 id 3\n}\n" + instance("")).all == [])
    }

    /// The older per-instance form still works, with keepalived's deprecation said as a warning.
    @Test func lvsSyncDaemonInterfacePerInstance() throws {
        let r = read(instance("lvs_sync_daemon_interface eth1"))
        #expect(r.all == ["k.conf:5:1: warning: lvs_sync_daemon_interface is deprecated; use 'lvs_sync_daemon eth1 VI_1' in global_defs"])
        #expect(r.config.globals.lvsSyncDaemon?.interface == "eth1" && r.config.globals.lvsSyncDaemon?.instance == "VI_1")
        #expect(r.instance?.lvsSyncInterface == "eth1")
        let both = read("global_defs {\n lvs_sync_daemon eth0 VI_1\n}\n" + instance("lvs_sync_daemon_interface eth1"))
        #expect(both.all == [
            "k.conf:8:1: warning: lvs_sync_daemon_interface is deprecated; use 'lvs_sync_daemon eth1 VI_1' in global_defs",
            "k.conf:8:1: warning: lvs_sync_daemon is already set; this one is ignored",
        ])
        #expect(both.config.globals.lvsSyncDaemon?.interface == "eth0")
    }

    /// The document's own problems come first, and are part of the result.
    @Test func documentDiagnosticsAreKept() {
        let r = read(instance("") + "vrrp_instance VI_2 {\n")
        #expect(r.errors.first == "k.conf:7:20: missing '}' for 'vrrp_instance' block opened here")
    }
}
