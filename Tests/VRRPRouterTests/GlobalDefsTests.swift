import Testing
import KeepalivedConfig
import NetworkModel
import VRRP
@testable import VRRPRouter

/// `global_defs`: every keyword the VRRP pass reads, its default, its range and its messages.
@Suite struct GlobalDefsTests {
    @Test func defaultsWithoutGlobalDefs() throws {
        let r = read(instance(""))
        #expect(r.all == [])
        let g = r.config.globals
        #expect(g.routerID == nil)
        #expect(g.version == .v2)
        #expect(g.garp == GratuitousARPSettings())
        #expect(g.garp.masterDelay == .seconds(5) && g.garp.masterRepeat == 5)
        #expect(g.garp.masterRefresh == nil && g.garp.masterRefreshRepeat == 1)
        #expect(g.garpInterval == .zero && g.gnaInterval == .zero && g.startupDelay == .zero)
        #expect(g.scriptUser == nil && g.scriptGroup == nil && !g.enableScriptSecurity)
        #expect(g.lvsSyncDaemon == nil)
        #expect(g.realtimePriority == 1)
        let i = try #require(r.instance)
        #expect(i.garp == GratuitousARPSettings())
    }

    @Test func everyValue() throws {
        let r = read("""
        global_defs {
            router_id lb1
            vrrp_version 3
            vrrp_garp_master_delay 1
            vrrp_garp_master_repeat 3
            vrrp_garp_master_refresh 60
            vrrp_garp_master_refresh_repeat 2
            vrrp_garp_interval 0.001
            vrrp_gna_interval 0.25
            vrrp_startup_delay 5.5
            vrrp_rt_priority 40
            script_user nobody nogroup
            enable_script_security
            lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82
        }
        """ + instance(""))
        #expect(r.all == [])
        let g = r.config.globals
        #expect(g.routerID == "lb1")
        #expect(g.version == .v3)
        #expect(g.garp.masterDelay == .seconds(1))
        #expect(g.garp.masterRepeat == 3)
        #expect(g.garp.masterRefresh == .seconds(60))
        #expect(g.garp.masterRefreshRepeat == 2)
        #expect(g.garpInterval == .milliseconds(1))
        #expect(g.gnaInterval == .milliseconds(250))
        #expect(g.startupDelay == .milliseconds(5500))
        #expect(g.realtimePriority == 40)
        #expect(g.scriptUser == "nobody" && g.scriptGroup == "nogroup")
        #expect(g.enableScriptSecurity)
        let sync = try #require(g.lvsSyncDaemon)
        #expect(sync.interface == "eth1" && sync.instance == "VI_1")
        #expect(sync.syncID == 7 && sync.maxLength == 1400 && sync.port == 8849 && sync.ttl == 2)
        #expect(sync.group == IPAddress("224.0.0.82"))
        #expect(sync.location == SourceLocation(file: "k.conf", line: 14, column: 5))
        // The instance takes the global defaults.
        let i = try #require(r.instance)
        #expect(i.version == 3)
        #expect(i.garp == g.garp)
    }

    @Test func syncDaemonWithoutInstanceOrOptions() throws {
        let r = read("global_defs {\n lvs_sync_daemon eth1\n}\n" + instance(""))
        #expect(r.all == [])
        let sync = try #require(r.config.globals.lvsSyncDaemon)
        #expect(sync == LVSSyncDaemonConfig(interface: "eth1", location: SourceLocation(file: "k.conf", line: 2, column: 2)))
    }

    /// What a reload compares: the same line elsewhere in the file is the same daemon; any
    /// setting changed, or the line added or removed, is not.
    @Test func syncDaemonSameSettings() throws {
        func sync(_ line: String, at row: Int = 1) throws -> LVSSyncDaemonConfig {
            let r = read("global_defs {\n" + String(repeating: "\n", count: row) + " \(line)\n}\n" + instance(""))
            #expect(r.all == [])
            return try #require(r.config.globals.lvsSyncDaemon)
        }
        let base = try sync("lvs_sync_daemon eth0 VI_1")
        #expect(LVSSyncDaemonConfig.sameSettings(base, try sync("lvs_sync_daemon eth0 VI_1", at: 5)))
        #expect(LVSSyncDaemonConfig.sameSettings(nil, nil))
        #expect(!LVSSyncDaemonConfig.sameSettings(base, nil) && !LVSSyncDaemonConfig.sameSettings(nil, base))
        for changed in ["lvs_sync_daemon eth1 VI_1", "lvs_sync_daemon eth0", "lvs_sync_daemon eth0 VI_1 id 7",
                        "lvs_sync_daemon eth0 VI_1 maxlen 1400", "lvs_sync_daemon eth0 VI_1 port 8849",
                        "lvs_sync_daemon eth0 VI_1 ttl 2", "lvs_sync_daemon eth0 VI_1 group 224.0.0.82"] {
            #expect(!LVSSyncDaemonConfig.sameSettings(base, try sync(changed)), "\(changed)")
        }
        #expect(try sync("lvs_sync_daemon eth1 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82").settingsDescription
                == "eth1 VI_1 id 7 maxlen 1400 port 8849 ttl 2 group 224.0.0.82")
    }

    @Test func syncDaemonErrors() {
        #expect(read("global_defs {\n lvs_sync_daemon eth1 VI_1 id 256 port 0\n}\n" + instance("")).all == [
            "k.conf:2:31: lvs_sync_daemon id 256 out of range 0-255",
            "k.conf:2:40: lvs_sync_daemon port 0 out of range 1-65535",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon eth1 VI_1 id\n}\n" + instance("")).all == [
            "k.conf:2:28: lvs_sync_daemon: id needs a value",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon eth1 VI_1 weight 3\n}\n" + instance("")).all == [
            "k.conf:2:28: lvs_sync_daemon: unknown option 'weight' (id, maxlen, port, ttl, group)",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon\n}\n").all == ["k.conf:2:2: lvs_sync_daemon: missing interface"])
        #expect(read("global_defs {\n lvs_sync_daemon eth1 group 224.0.0.300\n}\n").all == [
            "k.conf:2:29: invalid lvs_sync_daemon group address '224.0.0.300'",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon eth1 group 198.51.100.1\n}\n").all == [
            "k.conf:2:29: lvs_sync_daemon group 198.51.100.1 is not a multicast address",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon eth1 group ff02::81\n}\n").all == [])
        #expect(read("global_defs {\n lvs_sync_daemon eth1 VI_1 maxlen 65508 ttl 0\n}\n" + instance("")).all == [
            "k.conf:2:35: lvs_sync_daemon maxlen 65508 out of range 1-65507",
            "k.conf:2:45: lvs_sync_daemon ttl 0 out of range 1-255",
        ])
        #expect(read("global_defs {\n lvs_sync_daemon eth1\n lvs_sync_daemon eth2\n}\n").all == [
            "k.conf:3:2: lvs_sync_daemon given twice (first at k.conf:2:2)",
        ])
    }

    /// Seed 004's `router_id` is empty (its placeholder was filled in by sed at container start).
    @Test func routerIDWithoutValue() {
        let r = read("global_defs {\n    router_id \n}\n")
        #expect(r.all == ["k.conf:2:5: warning: router_id has no value; the host name is used"])
        #expect(r.config.globals.routerID == nil)
        #expect(read("global_defs {\n router_id a b\n}\n").all == ["k.conf:2:14: router_id: unexpected argument 'b'"])
    }

    @Test func garpRefreshWithAndWithoutValue() {
        let none = read("global_defs {\n vrrp_garp_master_refresh\n}\n")
        #expect(none.all == ["k.conf:2:2: warning: vrrp_garp_master_refresh has no value (seconds); the refresh stays off"])
        #expect(none.config.globals.garp.masterRefresh == nil)
        #expect(read("global_defs {\n vrrp_garp_master_refresh 0\n}\n").config.globals.garp.masterRefresh == nil)
        #expect(read("global_defs {\n vrrp_garp_master_refresh -1\n}\n").all == [
            "k.conf:2:27: vrrp_garp_master_refresh -1 out of range 0-86400",
        ])
        #expect(read("global_defs {\n vrrp_garp_master_refresh soon\n}\n").all == [
            "k.conf:2:27: vrrp_garp_master_refresh: invalid number 'soon'",
        ])
    }

    @Test func rangesAndValueErrors() {
        #expect(read("global_defs {\n vrrp_rt_priority 0\n}\n").all == ["k.conf:2:19: vrrp_rt_priority 0 out of range 1-99"])
        #expect(read("global_defs {\n vrrp_rt_priority 100\n}\n").all == ["k.conf:2:19: vrrp_rt_priority 100 out of range 1-99"])
        #expect(read("global_defs {\n vrrp_version 4\n}\n").all == ["k.conf:2:15: vrrp_version 4 out of range 2-3"])
        #expect(read("global_defs {\n vrrp_garp_master_repeat 0\n}\n").all == [
            "k.conf:2:26: vrrp_garp_master_repeat 0 out of range 1-2147483647",
        ])
        #expect(read("global_defs {\n vrrp_garp_master_refresh_repeat 0\n}\n").all == [
            "k.conf:2:34: vrrp_garp_master_refresh_repeat 0 out of range 1-2147483647",
        ])
        #expect(read("global_defs {\n vrrp_garp_master_delay 1.5\n}\n").all == [
            "k.conf:2:25: vrrp_garp_master_delay: invalid number '1.5'",
        ])
        #expect(read("global_defs {\n vrrp_garp_interval -1\n}\n").all == [
            "k.conf:2:21: vrrp_garp_interval: invalid time '-1' (seconds, fractions allowed)",
        ])
        #expect(read("global_defs {\n enable_script_security maybe\n}\n").all == [
            "k.conf:2:25: enable_script_security: expected on|off|true|false|yes|no, got 'maybe'",
        ])
        #expect(read("global_defs {\n script_user\n}\n").all == ["k.conf:2:2: script_user: missing user name"])
        #expect(read("global_defs {\n script_user a b c\n}\n").all == ["k.conf:2:18: script_user: unexpected argument 'c'"])
    }

    /// keepalived keywords swiftvs does not act on are warnings; a word keepalived does not know
    /// (a typo of a real keyword) is an error, as `keepalived -t` treats it.
    @Test func inertAndUnknownKeywords() {
        let r = read("""
        global_defs {
            notification_email {
               joe@example.com
            }
            notification_email_from keepalived@example.com
            smtp_server smtp.example.com
            smtp_connect_timeout 30
            lvs_flush
            checker_priority -5
            bfd_rlimit_rttime 100
            vrrp_verison 3
        }
        """)
        #expect(r.all == [
            "k.conf:2:5: warning: 'notification_email' not used by swiftvs; ignored",
            "k.conf:5:5: warning: 'notification_email_from' not used by swiftvs; ignored",
            "k.conf:6:5: warning: 'smtp_server' not used by swiftvs; ignored",
            "k.conf:7:5: warning: 'smtp_connect_timeout' not used by swiftvs; ignored",
            "k.conf:8:5: warning: 'lvs_flush' not used by swiftvs; ignored",
            "k.conf:9:5: warning: 'checker_priority' not used by swiftvs; ignored",
            "k.conf:10:5: warning: 'bfd_rlimit_rttime' not used by swiftvs; ignored",
            "k.conf:11:5: global_defs: unknown keyword 'vrrp_verison'",
        ])
        #expect(r.config.globals.version == .v2)
    }
}
