import Testing
import KeepalivedConfig
import NetworkModel
@testable import VRRPRouter

/// `vrrp_instance`: values, defaults, ranges, and the messages with their FILE:LINE:COL.
@Suite struct InstanceTests {
    @Test func defaults() throws {
        let r = read(instance(""))
        #expect(r.all == [])
        let i = try #require(r.instance)
        #expect(i.name == "VI_1" && i.location == SourceLocation(file: "k.conf", line: 1, column: 1))
        #expect(i.initialState == .backup && i.priority == 100)
        #expect(i.interface == "eth0" && i.virtualRouterID == 51)
        #expect(i.advertInterval == .seconds(1) && i.version == 2 && i.family == .inet)
        #expect(i.unicastSource == nil && i.unicastPeers.isEmpty && !i.isUnicast && !i.checkUnicastSource)
        #expect(i.authentication == .none)
        #expect(i.virtualAddresses.map(\.description) == ["198.51.100.39/24"])
        #expect(i.excludedAddresses.isEmpty)
        #expect(!i.nopreempt && i.preemptDelay == .zero)
        #expect(i.trackScripts.isEmpty && i.trackInterfaces.isEmpty && !i.dontTrackPrimary)
        #expect(i.notify.isEmpty)
        #expect(!i.lowerPriorityNoAdvert && !i.higherPrioritySendAdvert && !i.checksumWithoutPseudoHeader)
        #expect(i.lvsSyncInterface == nil)
    }

    @Test func everyValue() throws {
        let r = read(instance("""
            state MASTER
            priority 200
            advert_int 2
            unicast_src_ip 198.51.100.31
            unicast_peer {
                198.51.100.32
                198.51.100.33
            }
            check_unicast_src
            virtual_ipaddress_excluded {
                203.0.113.5/24
                2001:db8::5/64
            }
            track_interface {
                ens160 weight -50
                eth1 weight 10 reverse
                eth2
            }
            dont_track_primary
            lower_prio_no_advert
            higher_prio_send_advert on
            v3_checksum_as_v2 off
            garp_master_delay 2
            garp_master_repeat 4
            garp_master_refresh 30
            garp_master_refresh_repeat 3
            garp_lower_prio_delay 7
            garp_lower_prio_repeat 2
        """))
        #expect(r.all == [])
        let i = try #require(r.instance)
        #expect(i.initialState == .master && i.priority == 200 && i.advertInterval == .seconds(2))
        #expect(i.unicastSource == IPAddress("198.51.100.31"))
        #expect(i.unicastPeers == [IPAddress("198.51.100.32")!, IPAddress("198.51.100.33")!] && i.isUnicast)
        #expect(i.checkUnicastSource)
        #expect(i.excludedAddresses.map(\.description) == ["203.0.113.5/24", "2001:db8::5/64"])
        #expect(i.trackInterfaces.map { "\($0.name) \($0.weight) \($0.reverse)" } == ["ens160 -50 false", "eth1 10 true", "eth2 0 false"])
        #expect(i.trackInterfaces[0].location == SourceLocation(file: "k.conf", line: 19, column: 9))
        #expect(i.dontTrackPrimary && i.lowerPriorityNoAdvert && i.higherPrioritySendAdvert && !i.checksumWithoutPseudoHeader)
        #expect(i.garp.masterDelay == .seconds(2) && i.garp.masterRepeat == 4)
        #expect(i.garp.masterRefresh == .seconds(30) && i.garp.masterRefreshRepeat == 3)
        #expect(i.garp.lowerPriorityDelay == .seconds(7) && i.garp.lowerPriorityRepeat == 2)
    }

    @Test func virtualAddressForms() throws {
        let r = read(instance("""
            virtual_ipaddress {
                198.51.100.40/24 dev eth1 label eth1:vip scope link brd 198.51.100.255
                198.51.100.41
                198.51.100.42/24 no_track
            }
        """))
        #expect(r.all == ["k.conf:8:26: warning: virtual address option 'no_track' is not applied by swiftvs; ignored"])
        let v = try #require(r.instance).virtualAddresses
        #expect(v.map(\.description) == ["198.51.100.39/24", "198.51.100.40/24 dev eth1", "198.51.100.41/32", "198.51.100.42/24"])
        #expect(v[1].label == "eth1:vip" && v[1].scope == .link && v[1].broadcast == IPAddress("198.51.100.255"))
        #expect(v[1].location == SourceLocation(file: "k.conf", line: 6, column: 9))
        #expect(try #require(r.instance).advertisedAddresses.count == 4)
    }

    /// ip(8)'s forms keepalived takes: `brd +` / `brd -`, numbered scopes.
    @Test func broadcastShorthandsAndNumberedScopes() throws {
        let r = read(instance("virtual_ipaddress {\n198.51.100.40/24 brd +\n198.51.100.41/23 brd -\n198.51.100.42/26 broadcast + scope 253\n198.51.100.43/24 scope 200\n}"))
        #expect(r.all == [])
        let v = try #require(r.instance).virtualAddresses
        #expect(v.map { $0.broadcast?.description ?? "-" } == ["-", "198.51.100.255", "198.51.100.0", "198.51.100.63", "-"])
        #expect(v.map { $0.scope?.description ?? "-" } == ["-", "-", "-", "link", "site"])
    }

    @Test func virtualAddressErrors() {
        #expect(read(instance("virtual_ipaddress {\n198.51.100.300/24\n}")).all == [
            "k.conf:6:1: invalid virtual address '198.51.100.300/24'",
        ])
        #expect(read(instance("virtual_ipaddress {\n198.51.100.3/33\n}")).all == [
            "k.conf:6:1: invalid prefix length in '198.51.100.3/33' (0-32)",
        ])
        #expect(read(instance("virtual_ipaddress {\n198.51.100.3/24 scope planet\n}")).all == [
            "k.conf:6:23: virtual address 198.51.100.3: unknown scope 'planet' (global, site, link, host, nowhere, or 0, 200, 253, 254, 255)",
        ])
        #expect(read(instance("virtual_ipaddress {\n198.51.100.3/24 colour red\n}")).all == [
            "k.conf:6:17: virtual address 198.51.100.3: unknown option 'colour'",
        ])
        #expect(read(instance("virtual_ipaddress {\n198.51.100.3/24 dev\n}")).all == [
            "k.conf:6:17: virtual address 198.51.100.3: 'dev' needs a value",
        ])
    }

    @Test func missingInterfaceVRIDOrAddresses() {
        #expect(read(instance("virtual_router_id 51\nvirtual_ipaddress { 198.51.100.39 }", bare: true)).all == [
            "k.conf:1:1: vrrp_instance VI_1: missing 'interface'",
        ])
        #expect(read(instance("interface eth0\nvirtual_ipaddress { 198.51.100.39 }", bare: true)).all == [
            "k.conf:1:1: vrrp_instance VI_1: missing 'virtual_router_id'",
        ])
        let r = read(instance("interface eth0\nvirtual_router_id 51", bare: true))
        #expect(r.all == ["k.conf:1:1: vrrp_instance VI_1: no address in 'virtual_ipaddress'"])
        #expect(r.config.instances.isEmpty)
        #expect(read(instance("interface eth0\nvirtual_router_id 51\nvirtual_ipaddress {\n}", bare: true)).all == [
            "k.conf:1:1: vrrp_instance VI_1: no address in 'virtual_ipaddress'",
        ])
        #expect(read("vrrp_instance {\n}\n").all == ["k.conf:1:1: vrrp_instance: missing name"])
        #expect(read("vrrp_instance VI_1\n").all == ["k.conf:1:1: 'vrrp_instance' needs a block { … }"])
    }

    @Test func ranges() {
        #expect(read(instance("virtual_router_id 0", bare: true)).errors.first == "k.conf:2:19: virtual_router_id 0 out of range 1-255")
        #expect(read(instance("virtual_router_id 256", bare: true)).errors.first == "k.conf:2:19: virtual_router_id 256 out of range 1-255")
        #expect(read(instance("priority 0")).all == ["k.conf:5:10: priority 0 out of range 1-255"])
        #expect(read(instance("priority 256")).all == ["k.conf:5:10: priority 256 out of range 1-255"])
        #expect(read(instance("priority high")).all == ["k.conf:5:10: priority: invalid number 'high'"])
        #expect(read(instance("preempt_delay 1001")).all == ["k.conf:5:15: preempt_delay 1001 out of range 0-1000"])
        #expect(read(instance("preempt_delay 2.5")).instance?.preemptDelay == .milliseconds(2500))
        #expect(read(instance("garp_master_repeat 0")).all == ["k.conf:5:20: garp_master_repeat 0 out of range 1-2147483647"])
        #expect(read(instance("garp_master_delay -1")).all == ["k.conf:5:19: garp_master_delay -1 out of range 0-86400"])
        #expect(read(instance("state FOO")).all == ["k.conf:5:7: state: expected MASTER or BACKUP, got 'FOO'"])
        #expect(read(instance("state MASTER\npriority 50\nstate BACKUP")).all == [
            "k.conf:7:7: state: BACKUP after state MASTER in the same instance",
        ])
        #expect(read(instance("track_interface {\n ens160 weight 254\n}")).all == ["k.conf:6:16: track_interface ens160 weight 254 out of range -253-253"])
        #expect(read(instance("track_interface {\n ens160 reverse\n}")).all == ["k.conf:6:9: track_interface ens160: expected 'weight W [reverse]', got 'reverse'"])
        #expect(read(instance("nopreempt sometimes")).all == ["k.conf:5:11: nopreempt: expected on|off|true|false|yes|no, got 'sometimes'"])
    }

    /// keepalived: `state MASTER` with no priority is the address owner.
    @Test func masterWithoutPriorityIsOwner() throws {
        let r = read(instance("state MASTER"))
        #expect(r.all == ["k.conf:1:1: warning: vrrp_instance VI_1: state MASTER without 'priority' makes it the address owner (priority 255), as in keepalived"])
        #expect(try #require(r.instance).priority == 255)
        #expect(read(instance("state MASTER\npriority 100")).instance?.priority == 100)
        #expect(read(instance("state BACKUP")).instance?.priority == 100)
    }

    /// keepalived: priority 255 with no state starts as MASTER (an explicit BACKUP stays).
    @Test func ownerWithoutStateStartsAsMaster() {
        #expect(read(instance("priority 255")).instance?.initialState == .master)
        #expect(read(instance("priority 255\nstate BACKUP")).instance?.initialState == .backup)
        #expect(read(instance("priority 254")).instance?.initialState == .backup)
    }

    @Test func preemption() throws {
        let backup = try #require(read(instance("state BACKUP\nnopreempt")).instance)
        #expect(backup.nopreempt)
        #expect(read(instance("nopreempt\npreempt")).instance?.nopreempt == false)
        let delayed = read(instance("state BACKUP\npreempt_delay 10"))
        #expect(delayed.all == [] && delayed.instance?.preemptDelay == .seconds(10))

        let both = read(instance("state BACKUP\nnopreempt\npreempt_delay 5"))
        #expect(both.all == ["k.conf:1:1: warning: vrrp_instance VI_1: preempt_delay has no effect with nopreempt; ignored"])
        #expect(both.instance?.nopreempt == true && both.instance?.preemptDelay == .zero)

        let master = read(instance("state MASTER\npriority 100\nnopreempt\npreempt_delay 5"))
        #expect(master.all == [
            "k.conf:1:1: warning: vrrp_instance VI_1: nopreempt needs 'state BACKUP'; ignored",
            "k.conf:1:1: warning: vrrp_instance VI_1: preempt_delay needs 'state BACKUP'; ignored",
        ])
        #expect(master.instance?.nopreempt == false && master.instance?.preemptDelay == .zero)

        let owner = read(instance("state BACKUP\npriority 255\nnopreempt"))
        #expect(owner.all == ["k.conf:1:1: warning: vrrp_instance VI_1: nopreempt is ignored with priority 255 (the address owner)"])
        #expect(owner.instance?.nopreempt == false)
    }

    @Test func unicast() throws {
        let r = read(instance("unicast_src_ip 198.51.100.31\nunicast_peer {\n198.51.100.32 min_ttl 250 max_ttl 255\n198.51.100.32\n}"))
        #expect(r.all == [
            "k.conf:7:15: warning: unicast_peer min_ttl is not checked by swiftvs; ignored",
            "k.conf:7:27: warning: unicast_peer max_ttl is not checked by swiftvs; ignored",
            "k.conf:8:1: warning: unicast_peer 198.51.100.32 listed twice",
        ])
        #expect(r.instance?.unicastPeers == [IPAddress("198.51.100.32")!])
        #expect(read(instance("unicast_src_ip 2001:db8::1\nunicast_peer { 198.51.100.2 }")).all == [
            "k.conf:1:1: vrrp_instance VI_1: unicast_src_ip 2001:db8::1 is not of the instance's family",
        ])
        #expect(read(instance("unicast_peer { 2001:db8::2 }")).all == [
            "k.conf:1:1: vrrp_instance VI_1: unicast_peer 2001:db8::2 is not of the instance's family",
        ])
        #expect(read(instance("unicast_peer { 198.51.100.2 ttl 3 }")).all == [
            "k.conf:5:29: unicast_peer 198.51.100.2: unexpected argument 'ttl'",
        ])
        #expect(read(instance("unicast_src_ip 198.51.100.300")).all == [
            "k.conf:5:16: invalid unicast_src_ip address '198.51.100.300'",
        ])
        let empty = read(instance("unicast_peer {\n}"))
        #expect(empty.all == ["k.conf:5:1: warning: unicast_peer lists no peer; the instance uses multicast"])
        #expect(empty.instance?.isUnicast == false)
        let mc = read(instance("check_unicast_src"))
        #expect(mc.all == ["k.conf:1:1: warning: vrrp_instance VI_1: check_unicast_src without unicast_peer; ignored"])
        #expect(mc.instance?.checkUnicastSource == false)
    }

    /// The seed 001 form: the block's brace glued to the keyword.
    @Test func unicastPeerBraceGlued() throws {
        let r = read(instance("unicast_src_ip 198.51.100.31\nunicast_peer{\n    198.51.100.32\n    198.51.100.33\n}"))
        #expect(r.all == [])
        #expect(try #require(r.instance).unicastPeers.map(\.description) == ["198.51.100.32", "198.51.100.33"])
    }

    @Test func trackInterfaceOwnInterfaceIsDropped() throws {
        let r = read(instance("track_interface {\n eth0\n ens160\n}"))
        #expect(r.all == ["k.conf:6:2: warning: track_interface eth0 is the instance's own interface; ignored"])
        #expect(try #require(r.instance).trackInterfaces.map(\.name) == ["ens160"])
    }

    @Test func inertAndUnknownKeywords() throws {
        let r = read(instance("smtp_alert\nuse_vmac\nfoo_bar 1\n\u{A0}\u{A0}priority 10\ngarp_extra_if eth1\ngarp_master_often 3"))
        #expect(r.all == [
            "k.conf:8:1: warning: no-break space (U+00A0) taken as a blank; keepalived refuses it",
            "k.conf:5:1: warning: 'smtp_alert' not used by swiftvs; ignored",
            "k.conf:6:1: warning: 'use_vmac' not used by swiftvs; ignored",
            "k.conf:7:1: vrrp_instance: unknown keyword 'foo_bar'",
            "k.conf:9:1: warning: 'garp_extra_if' not used by swiftvs; ignored",
            "k.conf:10:1: vrrp_instance: unknown keyword 'garp_master_often'",
        ])
        #expect(r.instance != nil)
    }

    @Test func globalDefaultsForInstanceFlags() throws {
        let r = read("global_defs {\n vrrp_check_unicast_src\n vrrp_lower_prio_no_advert\n vrrp_higher_prio_send_advert\n vrrp_garp_lower_prio_delay 3\n vrrp_garp_lower_prio_repeat 2\n}\n"
                     + instance("unicast_peer { 198.51.100.2 }") + instance("lower_prio_no_advert off", name: "VI_2").replacingOccurrences(of: "virtual_router_id 51", with: "virtual_router_id 52"))
        #expect(r.all == [])
        #expect(r.config.instances.map(\.checkUnicastSource) == [true, false])
        #expect(r.config.instances.map(\.lowerPriorityNoAdvert) == [true, false])
        #expect(r.config.instances.map(\.higherPrioritySendAdvert) == [true, true])
        #expect(r.config.instances.map(\.garp.lowerPriorityDelay) == [.seconds(3), .seconds(3)])
        #expect(r.config.instances.map(\.garp.lowerPriorityRepeat) == [2, 2])
    }
}
