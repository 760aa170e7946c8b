import Testing
import Foundation
@testable import VRRPRouter

/// One configuration, what `keepalived -t` (2.2.7) does with it, and whether swiftvs agrees.
struct DifferentialCase: Sendable, CustomTestStringConvertible {
    enum Verdict: Sendable {
        /// swiftvs reports an error exactly when keepalived's config test fails.
        case agree
        /// swiftvs deliberately decides the other way; the reason is the documentation.
        case differs(String)
    }

    var name: String
    var config: String
    /// keepalived's exit status (0, 5 "runs after fixing", 6 scripts without script security,
    /// 2 unparseable line).
    var keepalivedStatus: Int32
    /// Part of keepalived's output that shows why it failed (nil for status 0).
    var keepalivedSays: String?
    /// Part of one of swiftvs's diagnostics that shows its own verdict (nil: no diagnostic at all).
    var swiftvsSays: String?
    var verdict: Verdict = .agree

    var testDescription: String { name }
}

/// Scripts need `enable_script_security` (and a user that exists) for `keepalived -t` to exit 0
/// as root; without it keepalived exits 6. With a `script_user` other than root, 2.2.7's config
/// test sends itself SIGTERM after checking the scripts (no message; from a shell it "fails" with
/// 143, under this test runner, which ignores SIGTERM, it exits 0), so no case depends on that:
/// the clean cases run scripts as root with script security on.
private let secure = "global_defs {\n enable_script_security\n script_user root\n}\n"

private func other(_ name: String = "VI_2", vrid: Int = 52, _ extra: String = "") -> String {
    "vrrp_instance \(name) {\n interface eth0\n virtual_router_id \(vrid)\n virtual_ipaddress { 198.51.100.40/24 }\n\(extra)\n}\n"
}

private func fixture(_ name: String) -> String {
    guard let url = Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "conf"),
          let text = try? String(contentsOf: url, encoding: .utf8) else { return "# missing fixture \(name)\n" }
    return text
}

private let full = secure.replacingOccurrences(of: "}\n", with: """
     router_id lb1
     vrrp_version 2
     vrrp_garp_master_delay 1
     vrrp_garp_master_repeat 3
     vrrp_garp_master_refresh 60
     vrrp_garp_interval 0.001
     vrrp_gna_interval 0.002
     vrrp_startup_delay 5
     notification_email {
        joe@example.com
     }
     smtp_server 192.0.2.25
     lvs_sync_daemon eth0 VI_1 id 5 maxlen 1400 port 8848 ttl 2 group 224.0.0.81
    }

    """) + """
    vrrp_script chk_docker {
        script "/usr/bin/pgrep dockerd"
        interval 1
        timeout 2
        weight 20
        rise 2
        fall 3
        init_fail
    }
    vrrp_sync_group G1 {
        group {
            VI_1
            VI_2
        }
        notify_master "/usr/bin/true master"
        sync_group_tracking_weight
    }
    vrrp_instance VI_1 {
        state MASTER
        interface ens160
        virtual_router_id 12
        priority 200
        advert_int 1
        unicast_src_ip 198.51.100.31
        unicast_peer{
            198.51.100.32
            198.51.100.33 min_ttl 250 max_ttl 255
        }
        check_unicast_src
        authentication {
            auth_type PASS
            auth_pass pass1234
        }
        virtual_ipaddress {
            198.51.100.39/24 dev ens160 label ens160:vip scope global brd 198.51.100.255
            198.51.100.40
        }
        virtual_ipaddress_excluded {
            203.0.113.5/24
        }
        track_script {
            chk_docker weight 30
        }
        track_interface {
            eth0 weight -50
        }
        dont_track_primary
        garp_master_delay 2
        garp_master_repeat 4
        garp_master_refresh 30
        garp_master_refresh_repeat 2
        garp_lower_prio_delay 3
        garp_lower_prio_repeat 2
        lower_prio_no_advert
        higher_prio_send_advert
        notify_master "/usr/bin/true up"
        notify_backup /usr/bin/true
        notify /usr/bin/true
        smtp_alert
    }
    vrrp_instance VI_2 {
        state BACKUP
        interface eth0
        virtual_router_id 13
        priority 100
        nopreempt
        virtual_ipaddress { 198.51.100.41/24 }
    }

    """

let differentialCases: [DifferentialCase] = [
    // Both accept.
    .init(name: "minimal", config: instance(""), keepalivedStatus: 0),
    .init(name: "every keyword swiftvs applies", config: full, keepalivedStatus: 0, swiftvsSays: "'notification_email' not used"),
    .init(name: "v3 at 50 ms", config: instance("version 3\nadvert_int 0.05"), keepalivedStatus: 0),
    .init(name: "IPv6", config: instance("interface eth0\nvirtual_router_id 51\nvirtual_ipaddress { 2001:db8::39/64 }", bare: true), keepalivedStatus: 0),
    .init(name: "IPv6 with version 2 (keepalived silently uses 3)", config: instance("interface eth0\nvirtual_router_id 51\nversion 2\nvirtual_ipaddress { 2001:db8::39/64 }", bare: true), keepalivedStatus: 0, swiftvsSays: "VRRP version 2 has no IPv6"),
    .init(name: "IPv6 address without a prefix length", config: instance("interface eth0\nvirtual_router_id 51\nvirtual_ipaddress { 2001:db8::39 }", bare: true), keepalivedStatus: 0),
    .init(name: "fractional global timers", config: "global_defs {\n vrrp_startup_delay 2.5\n vrrp_garp_interval 0.001\n vrrp_gna_interval 0.25\n}\n" + instance(""), keepalivedStatus: 0),
    .init(name: "BACKUP with nopreempt", config: instance("state BACKUP\nnopreempt"), keepalivedStatus: 0),
    .init(name: "BACKUP with preempt_delay", config: instance("state BACKUP\npreempt_delay 30"), keepalivedStatus: 0),
    .init(name: "state MASTER without priority (owner)", config: instance("state MASTER"), keepalivedStatus: 0, swiftvsSays: "priority 255"),
    .init(name: "same VRID on another interface", config: instance("") + other(vrid: 51).replacingOccurrences(of: "interface eth0", with: "interface ens160"), keepalivedStatus: 0),
    .init(name: "same VRID in the other family", config: instance("") + other(vrid: 51).replacingOccurrences(of: "198.51.100.40/24", with: "2001:db8::40/64"), keepalivedStatus: 0),
    .init(name: "same VRID, one instance unicast", config: instance("") + other(vrid: 51, "unicast_peer { 198.51.100.3 }"), keepalivedStatus: 0),
    .init(name: "auth_pass without auth_type", config: instance("authentication {\n auth_pass abc\n}"), keepalivedStatus: 0, swiftvsSays: "no authentication is used"),
    .init(name: "pipeline as script (no shell)", config: secure + "vrrp_script chk {\n script \"ss -ltn | grep 80\"\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 0, swiftvsSays: "without a shell"),
    .init(name: "brd + / brd - and a numbered scope", config: instance("virtual_ipaddress {\n 198.51.100.40/24 brd +\n 198.51.100.41/24 brd -\n 198.51.100.42/24 scope 253\n}"), keepalivedStatus: 0),
    .init(name: "virtual address options", config: instance("virtual_ipaddress {\n 198.51.100.41/24 no_track\n}\nvirtual_ipaddress_excluded {\n 2001:db8::5/64\n}"), keepalivedStatus: 0, swiftvsSays: "'no_track' is not applied"),

    // Both refuse.
    .init(name: "VRID out of range", config: instance("interface eth0\nvirtual_router_id 300\nvirtual_ipaddress { 198.51.100.39 }", bare: true), keepalivedStatus: 5, keepalivedSays: "number '300' outside range [1, 255]", swiftvsSays: "virtual_router_id 300 out of range 1-255"),
    .init(name: "no VRID", config: instance("interface eth0\nvirtual_ipaddress { 198.51.100.39 }", bare: true), keepalivedStatus: 5, keepalivedSays: "the virtual router id must be set", swiftvsSays: "missing 'virtual_router_id'"),
    .init(name: "no interface", config: instance("virtual_router_id 51\nvirtual_ipaddress { 198.51.100.39 }", bare: true), keepalivedStatus: 5, keepalivedSays: "Unknown interface!", swiftvsSays: "missing 'interface'"),
    .init(name: "no virtual address", config: instance("interface eth0\nvirtual_router_id 51", bare: true), keepalivedStatus: 5, keepalivedSays: "No VIP specified", swiftvsSays: "no address in 'virtual_ipaddress'"),
    .init(name: "priority 0", config: instance("priority 0"), keepalivedStatus: 5, keepalivedSays: "Priority not valid", swiftvsSays: "priority 0 out of range 1-255"),
    .init(name: "priority 256", config: instance("priority 256"), keepalivedStatus: 5, keepalivedSays: "Priority not valid", swiftvsSays: "priority 256 out of range"),
    .init(name: "unknown state", config: instance("state FOO"), keepalivedStatus: 5, keepalivedSays: "unknown state 'FOO'", swiftvsSays: "expected MASTER or BACKUP"),
    .init(name: "BACKUP after MASTER", config: instance("state MASTER\npriority 100\nstate BACKUP"), keepalivedStatus: 5, keepalivedSays: "state previously set as MASTER", swiftvsSays: "BACKUP after state MASTER"),
    .init(name: "unknown instance keyword", config: instance("foo_bar 1"), keepalivedStatus: 5, keepalivedSays: "Unknown keyword 'foo_bar'", swiftvsSays: "unknown keyword 'foo_bar'"),
    .init(name: "unknown global_defs keyword", config: "global_defs {\n vrrp_verison 3\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "Unknown keyword 'vrrp_verison'", swiftvsSays: "unknown keyword 'vrrp_verison'"),
    .init(name: "duplicate instance name", config: instance("") + other("VI_1"), keepalivedStatus: 5, keepalivedSays: "vrrp instance VI_1 already defined", swiftvsSays: "defined twice"),
    .init(name: "duplicate multicast VRID", config: instance("") + other(vrid: 51), keepalivedStatus: 5, keepalivedSays: "both use VRID 51 with IPv4 on interface eth0", swiftvsSays: "is already used by"),
    .init(name: "sync group with an unknown member", config: "vrrp_sync_group G1 {\n group { VI_1 VI_9 }\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "VI_9 specified in sync group G1 doesn't exist", swiftvsSays: "unknown vrrp_instance 'VI_9'"),
    .init(name: "instance in two sync groups", config: "vrrp_sync_group G1 {\n group { VI_1 VI_2 }\n}\nvrrp_sync_group G2 {\n group { VI_1 VI_2 }\n}\n" + instance("") + other(), keepalivedStatus: 5, keepalivedSays: "cannot exist in more than one sync group", swiftvsSays: "is already in vrrp_sync_group G1"),
    .init(name: "empty sync group", config: "vrrp_sync_group G1 {\n group {\n }\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "has no virtual router(s)", swiftvsSays: "no instances"),
    .init(name: "advert_int 0", config: instance("advert_int 0"), keepalivedStatus: 5, keepalivedSays: "Advert interval (0) not valid", swiftvsSays: "must be greater than 0"),
    .init(name: "advert_int below 10 ms", config: instance("version 3\nadvert_int 0.001"), keepalivedStatus: 5, keepalivedSays: "Advert interval (0.001) not valid", swiftvsSays: "out of range 0.01-255"),
    .init(name: "advert_int above 255 s", config: instance("advert_int 300"), keepalivedStatus: 5, keepalivedSays: "outside range", swiftvsSays: "out of range 0.01-255"),
    .init(name: "v3 advert_int above 40.95 s", config: instance("version 3\nadvert_int 41"), keepalivedStatus: 5, keepalivedSays: "Must be less than 40.96s", swiftvsSays: "out of range 0.01-40.95"),
    .init(name: "vrrp_version 4", config: "global_defs {\n vrrp_version 4\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "Version must be either 2 or 3", swiftvsSays: "vrrp_version 4 out of range 2-3"),
    .init(name: "script weight 254", config: secure + "vrrp_script chk {\n script /usr/bin/true\n weight 254\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 5, keepalivedSays: "weight 254 must be in [-253, 253]", swiftvsSays: "weight 254 out of range"),
    .init(name: "script rise 0", config: secure + "vrrp_script chk {\n script /usr/bin/true\n rise 0\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 5, keepalivedSays: "rise value '0' invalid", swiftvsSays: "rise 0 out of range"),
    .init(name: "PASS without password", config: instance("authentication {\n auth_type PASS\n}"), keepalivedStatus: 5, keepalivedSays: "no password given", swiftvsSays: "auth_type PASS needs auth_pass"),
    .init(name: "unknown auth_type", config: instance("authentication {\n auth_type MD5\n auth_pass abc\n}"), keepalivedStatus: 5, keepalivedSays: "unknown authentication type 'MD5'", swiftvsSays: "unknown auth_type 'MD5'"),
    .init(name: "address of the other family", config: instance("virtual_ipaddress {\n 2001:db8::39/64\n}"), keepalivedStatus: 5, keepalivedSays: "address family must match VRRP instance", swiftvsSays: "put it in virtual_ipaddress_excluded"),
    .init(name: "unicast_src_ip of the other family", config: instance("unicast_src_ip 2001:db8::1\nunicast_peer { 198.51.100.2 }"), keepalivedStatus: 5, keepalivedSays: "MUST be of the same family", swiftvsSays: "unicast_src_ip 2001:db8::1 is not of the instance's family"),
    .init(name: "unicast_peer of the other family", config: instance("unicast_src_ip 198.51.100.1\nunicast_peer { 2001:db8::2 }"), keepalivedStatus: 5, keepalivedSays: "MUST be of the same family", swiftvsSays: "unicast_peer 2001:db8::2 is not of the instance's family"),
    .init(name: "preempt_delay 1001", config: instance("preempt_delay 1001"), keepalivedStatus: 5, keepalivedSays: "Preempt_delay not valid", swiftvsSays: "preempt_delay 1001 out of range 0-1000"),
    .init(name: "garp_master_repeat 0", config: instance("garp_master_repeat 0"), keepalivedStatus: 5, keepalivedSays: "garp_master_repeat must be greater than 0", swiftvsSays: "garp_master_repeat 0 out of range"),
    .init(name: "unknown scope", config: instance("virtual_ipaddress {\n 198.51.100.41/24 scope planet\n}"), keepalivedStatus: 5, keepalivedSays: "Invalid scope 'planet'", swiftvsSays: "unknown scope 'planet'"),
    .init(name: "invalid virtual address", config: instance("virtual_ipaddress {\n 198.51.100.300/24\n}"), keepalivedStatus: 5, keepalivedSays: "VRRP parsed invalid IP 198.51.100.300/24", swiftvsSays: "invalid virtual address '198.51.100.300/24'"),
    .init(name: "prefix length 33", config: instance("virtual_ipaddress {\n 198.51.100.41/33\n}"), keepalivedStatus: 5, keepalivedSays: "Invalid address prefix len 33", swiftvsSays: "invalid prefix length"),
    .init(name: "track_interface weight 300", config: instance("track_interface {\n ens160 weight 300\n}"), keepalivedStatus: 5, keepalivedSays: "weight 300 for ens160 must be between", swiftvsSays: "weight 300 out of range"),
    .init(name: "lvs_sync_daemon group not multicast", config: "global_defs {\n lvs_sync_daemon eth0 VI_1 group 198.51.100.1\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "is not multicast", swiftvsSays: "is not a multicast address"),
    .init(name: "lvs_sync_daemon maxlen 65508", config: "global_defs {\n lvs_sync_daemon eth0 VI_1 maxlen 65508\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "Invalid lvs_sync_daemon maxlen (65508)", swiftvsSays: "maxlen 65508 out of range 1-65507"),
    .init(name: "lvs_sync_daemon ttl 0", config: "global_defs {\n lvs_sync_daemon eth0 VI_1 ttl 0\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "Invalid lvs_sync_daemon ttl (0)", swiftvsSays: "ttl 0 out of range 1-255"),
    .init(name: "lower-case state", config: instance("state master\npriority 100"), keepalivedStatus: 5, keepalivedSays: "unknown state 'master'", swiftvsSays: "expected MASTER or BACKUP, got 'master'"),
    .init(name: "lower-case auth_type", config: instance("authentication {\n auth_type pass\n auth_pass abc\n}"), keepalivedStatus: 5, keepalivedSays: "unknown authentication type 'pass'", swiftvsSays: "unknown auth_type 'pass'"),
    .init(name: "script interval 0", config: secure + "vrrp_script chk {\n script /usr/bin/true\n interval 0\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 5, keepalivedSays: "interval must be greater than 0", swiftvsSays: "interval 0 out of range 1-4294"),
    .init(name: "script interval 1.5", config: secure + "vrrp_script chk {\n script /usr/bin/true\n interval 1.5\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 5, keepalivedSays: "interval '1.5' must be between 1 and 4294", swiftvsSays: "interval: invalid number '1.5'"),
    .init(name: "script timeout 4295", config: secure + "vrrp_script chk {\n script /usr/bin/true\n timeout 4295\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 5, keepalivedSays: "timeout '4295' invalid", swiftvsSays: "timeout 4295 out of range 1-4294"),
    .init(name: "garp_master_refresh 1.5", config: instance("garp_master_refresh 1.5"), keepalivedStatus: 5, keepalivedSays: "Invalid garp_master_refresh '1.5'", swiftvsSays: "garp_master_refresh: invalid number '1.5'"),
    .init(name: "vrrp_garp_master_delay 1.5", config: "global_defs {\n vrrp_garp_master_delay 1.5\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "vrrp_garp_master_delay '1.5' invalid", swiftvsSays: "vrrp_garp_master_delay: invalid number '1.5'"),
    .init(name: "unbalanced braces", config: instance("virtual_ipaddress {\n 198.51.100.41/24\n"), keepalivedStatus: 5, keepalivedSays: "missing '}'s or extra '{'s", swiftvsSays: "missing '}'"),
    .init(name: "seed 001 as published (no-break-space indentation)", config: fixture("seed001-swarm1"), keepalivedStatus: 5, keepalivedSays: "Unknown keyword '\u{A0}\u{A0}\u{A0}'", swiftvsSays: "no-break space (U+00A0) taken as a blank",
          verdict: .differs("the seeds are published that way and issue 16 asks check-config to accept them: swiftvs takes U+00A0 as a blank and says so once per file")),
    .init(name: "seed 000 as scraped (braces lost)", config: fixture("seed000-swarm1-scraped"), keepalivedStatus: 5, keepalivedSays: "missing '}'s or extra '{'s", swiftvsSays: "missing '}'"),

    // keepalived fails its config test where swiftvs only warns.
    .init(name: "auth_pass longer than 8", config: instance("authentication {\n auth_type PASS\n auth_pass incommsys-vips\n}"), keepalivedStatus: 5, keepalivedSays: "Truncating auth_pass to 8 characters", swiftvsSays: "only the first 8 bytes are used",
          verdict: .differs("keepalived runs it with the first 8 characters; so does swiftvs, and it is what every peer sends (seed 004)")),
    .init(name: "authentication under v3", config: instance("version 3\nauthentication {\n auth_type PASS\n auth_pass abc\n}"), keepalivedStatus: 5, keepalivedSays: "VRRP version 3 does not support authentication", swiftvsSays: "VRRP version 3 has no authentication; ignored",
          verdict: .differs("keepalived ignores it and runs; the issue asks for 'auth ignored under v3'")),
    .init(name: "v2 advert_int 1.5", config: instance("advert_int 1.5"), keepalivedStatus: 5, keepalivedSays: "must be an integer. rounding", swiftvsSays: "using 2",
          verdict: .differs("keepalived rounds and runs; swiftvs rounds the same way (half up) and warns")),
    .init(name: "v3 advert_int 0.055", config: instance("version 3\nadvert_int 0.055"), keepalivedStatus: 5, keepalivedSays: "must be in units of 10ms - rounding", swiftvsSays: "using 0.06",
          verdict: .differs("keepalived rounds to the 10 ms step and runs; swiftvs rounds the same way and warns")),
    .init(name: "nopreempt with state MASTER", config: instance("state MASTER\npriority 100\nnopreempt"), keepalivedStatus: 5, keepalivedSays: "nopreempt will not work with initial state MASTER", swiftvsSays: "nopreempt needs 'state BACKUP'",
          verdict: .differs("keepalived clears nopreempt and runs; so does swiftvs, with a warning")),
    .init(name: "preempt_delay with state MASTER", config: instance("state MASTER\npriority 100\npreempt_delay 5"), keepalivedStatus: 5, keepalivedSays: "preempt delay will not work with initial state MASTER", swiftvsSays: "preempt_delay needs 'state BACKUP'",
          verdict: .differs("keepalived clears the delay and runs; so does swiftvs, with a warning")),
    .init(name: "nopreempt with preempt_delay", config: instance("state BACKUP\nnopreempt\npreempt_delay 5"), keepalivedStatus: 5, keepalivedSays: "preempt_delay is incompatible with nopreempt mode", swiftvsSays: "preempt_delay has no effect with nopreempt",
          verdict: .differs("keepalived clears the delay and runs; so does swiftvs, with a warning")),
    .init(name: "nopreempt with priority 255", config: instance("state BACKUP\npriority 255\nnopreempt"), keepalivedStatus: 5, keepalivedSays: "nopreempt is incompatible with priority 255", swiftvsSays: "nopreempt is ignored with priority 255",
          verdict: .differs("keepalived clears nopreempt and runs; so does swiftvs, with a warning")),
    .init(name: "track_script to an unknown vrrp_script", config: instance("track_script {\n nosuch\n}"), keepalivedStatus: 5, keepalivedSays: "track script nosuch not found", swiftvsSays: "track_script nosuch in vrrp_instance VI_1 not found",
          verdict: .differs("keepalived drops the reference and runs; so does swiftvs, with a warning")),
    .init(name: "track_interface of the own interface", config: instance("track_interface {\n eth0\n}"), keepalivedStatus: 5, keepalivedSays: "Ignoring track_interface eth0 since own interface", swiftvsSays: "is the instance's own interface; ignored",
          verdict: .differs("keepalived drops it and runs; so does swiftvs, with a warning")),
    .init(name: "track weights in a sync group", config: secure + "vrrp_script chk {\n script /usr/bin/true\n weight 10\n}\nvrrp_sync_group G1 {\n group { VI_1 VI_2 }\n}\n" + instance("track_script {\n chk\n}\ntrack_interface {\n ens160 weight 5\n}") + other(), keepalivedStatus: 5, keepalivedSays: "ignoring tracked script chk with weights due to SYNC group", swiftvsSays: "so it is not tracked at all",
          verdict: .differs("keepalived drops the weighted script, zeroes the interface weight and runs; swiftvs applies the same rule and warns")),
    .init(name: "sync group of one", config: "vrrp_sync_group G1 {\n group { VI_1 }\n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "has only 1 virtual router(s)", swiftvsSays: "has only one instance",
          verdict: .differs("legal and harmless; keepalived says 'probably isn't what you want' and runs it")),
    .init(name: "lvs_sync_daemon_interface (deprecated)", config: instance("lvs_sync_daemon_interface eth0"), keepalivedStatus: 5, keepalivedSays: "lvs_sync_daemon_interface against a vrrp is deprecated", swiftvsSays: "is deprecated",
          verdict: .differs("keepalived still applies it; the issue lists it as supported, so swiftvs applies it and warns")),
    .init(name: "router_id without a value (seed 004)", config: "global_defs {\n router_id \n}\n" + instance(""), keepalivedStatus: 5, keepalivedSays: "routerid name missing", swiftvsSays: "router_id has no value",
          verdict: .differs("keepalived ignores the line and uses the host name, as swiftvs does; the issue asks for the empty value to be accepted")),
    .init(name: "vrrp_garp_master_refresh without a value (seed 004)", config: "global_defs {\n vrrp_garp_master_refresh\n}\n" + instance(""), keepalivedStatus: 2, keepalivedSays: "is missing a parameter", swiftvsSays: "has no value (seconds); the refresh stays off",
          verdict: .differs("keepalived 2.2.7 cannot parse the line at all; the issue asks for it to be accepted (seed 004), so swiftvs leaves the refresh off and warns")),
    .init(name: "seed 004 as published", config: fixture("seed004-rancher"), keepalivedStatus: 2, keepalivedSays: "`vrrp_garp_master_refresh` is missing a parameter", swiftvsSays: "router_id has no value",
          verdict: .differs("the refresh line and the empty router_id above: seed 004 must read (with warnings)")),
    .init(name: "seed 001 as run (scripts without enable_script_security)", config: fixture("seed001-swarm1-ascii"), keepalivedStatus: 6, keepalivedSays: "SECURITY VIOLATION - scripts are being executed but script_security not enabled",
          verdict: .differs("exit 6 is keepalived's script-security policy, not a configuration error: keepalived runs the file and logs the violation; swiftvs runs scripts as script_user/root the same way")),

    .init(name: "script_user that does not exist", config: "global_defs {\n enable_script_security\n script_user nosuchuser\n}\nvrrp_script chk {\n script /usr/bin/true\n}\n" + instance("track_script {\n chk\n}"), keepalivedStatus: 5, keepalivedSays: "Error setting global script uid/gid",
          verdict: .differs("the configuration pass does not look users up (it reads text only); the process runner fails the script when it starts it, with the user named. keepalived drops the script and runs")),

    .init(name: "check_unicast_src without peers", config: instance("check_unicast_src"), keepalivedStatus: 5, keepalivedSays: "A unicast keyword has been specified without any unicast peers", swiftvsSays: "check_unicast_src without unicast_peer; ignored",
          verdict: .differs("keepalived falls back to multicast and runs; so does swiftvs, with a warning")),

    .init(name: "empty unicast_peer block", config: instance("unicast_peer {\n}"), keepalivedStatus: 5, keepalivedSays: "A unicast keyword has been specified without any unicast peers", swiftvsSays: "unicast_peer lists no peer",
          verdict: .differs("keepalived falls back to multicast and runs; so does swiftvs, with a warning")),
    .init(name: "instance interface that does not exist here", config: instance("interface eth9\nvirtual_router_id 51\nvirtual_ipaddress { 198.51.100.39/24 }", bare: true), keepalivedStatus: 5, keepalivedSays: "interface eth9 for vrrp_instance VI_1 doesn't exist",
          verdict: .differs("the configuration pass reads text only (check-config can run on another machine); a missing interface is the daemon's start-up error (issue 16: exit 1 with the reason, or FAULT at run time)")),
    .init(name: "track_interface that does not exist here", config: instance("track_interface {\n eth9\n}"), keepalivedStatus: 5, keepalivedSays: "tracked interface eth9 doesn't exist",
          verdict: .differs("as above: interfaces are checked by the daemon, not by the configuration pass")),
    .init(name: "virtual address dev that does not exist here", config: instance("virtual_ipaddress {\n 198.51.100.41/24 dev eth9\n}"), keepalivedStatus: 5, keepalivedSays: "interface eth9 for ip address 198.51.100.41/24 doesn't exist",
          verdict: .differs("as above: interfaces are checked by the daemon, not by the configuration pass")),

    // keepalived accepts where swiftvs refuses or extends.
    .init(name: "auth_type AH", config: instance("authentication {\n auth_type AH\n auth_pass secret\n}"), keepalivedStatus: 0, swiftvsSays: "auth_type AH is not supported by swiftvs",
          verdict: .differs("IPsec AH authentication is not implemented (RFC 3768 removed it); refusing beats running unauthenticated against AH peers")),
    .init(name: "lvs_sync_daemon naming no instance", config: "global_defs {\n lvs_sync_daemon eth0 VI_9\n}\n" + instance(""), keepalivedStatus: 0, swiftvsSays: "lvs_sync_daemon: unknown vrrp_instance 'VI_9'",
          verdict: .differs("keepalived accepts the typo and never starts the sync daemon as master; connections silently stop being synced (keepalived #98, #2242)")),
    .init(name: "v3_checksum_as_v2 (keepalived 2.2.8)", config: instance("version 3\nv3_checksum_as_v2"), keepalivedStatus: 5, keepalivedSays: "Unknown keyword 'v3_checksum_as_v2'",
          verdict: .differs("the issue asks for an option to leave the IPv4 pseudo-header out of v3 checksums; swiftvs takes keepalived 2.2.8's name for it, which 2.2.7 does not know")),
]

@Suite(.enabled(if: KeepalivedPeer.available, "needs root, /usr/sbin/keepalived and ip(8): runs `keepalived -t` in a network namespace"))
struct KeepalivedDifferentialTests {
    @Test(arguments: differentialCases.enumerated().map { $0 })
    func sameVerdictAsKeepalived(_ index: Int, _ c: DifferentialCase) throws {
        let peer = try KeepalivedPeer.configTest(c.config, tag: "\(index)")
        #expect(peer.status == c.keepalivedStatus, "keepalived -t said:\n\(peer.output)")
        if let says = c.keepalivedSays { #expect(peer.output.contains(says), "keepalived -t said:\n\(peer.output)") }
        if c.keepalivedStatus == 0 { #expect(peer.output.isEmpty, "keepalived -t said:\n\(peer.output)") }

        let ours = read(c.config)
        if let says = c.swiftvsSays {
            #expect(ours.all.contains { $0.contains(says) }, "swiftvs said:\n\(ours.all.joined(separator: "\n"))")
        } else {
            #expect(ours.all == [])
        }
        let keepalivedFailed = peer.status != 0
        let swiftvsRefused = !ours.errors.isEmpty
        switch c.verdict {
        case .agree:
            #expect(swiftvsRefused == keepalivedFailed, "swiftvs said:\n\(ours.all.joined(separator: "\n"))")
        case .differs:
            #expect(swiftvsRefused != keepalivedFailed, "swiftvs said:\n\(ours.all.joined(separator: "\n"))")
        }
    }
}
