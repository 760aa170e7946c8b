import Testing
import KeepalivedConfig
import NetworkModel
@testable import VRRPRouter

/// v2 / v3 / IPv6 rules and `authentication`, as keepalived 2.2.7 applies them.
@Suite struct VersionAndAuthenticationTests {
    @Test func v2RoundsAdvertIntervalHalfUpToWholeSeconds() {
        #expect(read(instance("advert_int 3")).instance?.advertInterval == .seconds(3))
        let cases: [(String, Int64)] = [("1.5", 2), ("2.5", 3), ("0.4", 1), ("1.49", 1)]
        for (text, seconds) in cases {
            let r = read(instance("advert_int \(text)"))
            #expect(r.instance?.advertInterval == .seconds(seconds), "\(text)")
            #expect(r.all == ["k.conf:5:12: warning: advert_int \(text): VRRP version 2 uses whole seconds; using \(seconds)"])
        }
    }

    @Test func v3UsesTenMillisecondSteps() {
        let exact = read(instance("version 3\nadvert_int 0.05"))
        #expect(exact.all == [] && exact.instance?.advertInterval == .milliseconds(50) && exact.instance?.version == 3)
        #expect(read(instance("version 3\nadvert_int 40.95")).instance?.advertInterval == .milliseconds(40_950))
        let rounded: [(String, Int64, String)] = [("0.055", 60, "0.06"), ("0.0549", 50, "0.05"), ("1.234", 1230, "1.23")]
        for (text, ms, shown) in rounded {
            let r = read(instance("version 3\nadvert_int \(text)"))
            #expect(r.instance?.advertInterval == .milliseconds(ms), "\(text)")
            #expect(r.all == ["k.conf:6:12: warning: advert_int \(text): VRRP version 3 uses 10 ms steps; using \(shown)"])
        }
        #expect(read(instance("version 3\nadvert_int 41")).all == ["k.conf:6:12: advert_int 41 out of range 0.01-40.95 (VRRP version 3)"])
        #expect(read(instance("version 3\nadvert_int 0.004")).all == ["k.conf:6:12: advert_int 0.004 out of range 0.01-255"])
    }

    @Test func advertIntervalRangeForBothVersions() {
        #expect(read(instance("advert_int 0")).all == ["k.conf:5:12: advert_int: must be greater than 0"])
        #expect(read(instance("advert_int 256")).all == ["k.conf:5:12: advert_int 256 out of range 0.01-255"])
        #expect(read(instance("advert_int 0.001")).all == ["k.conf:5:12: advert_int 0.001 out of range 0.01-255"])
        #expect(read(instance("advert_int fast")).all == ["k.conf:5:12: advert_int: invalid time 'fast' (seconds, fractions allowed)"])
        #expect(read(instance("version 4")).all == ["k.conf:5:9: version 4 out of range 2-3"])
    }

    /// The rounding follows the version however it was chosen: globally, per instance, or by
    /// the addresses' family.
    @Test func versionSources() {
        let global = read("global_defs {\n vrrp_version 3\n}\n" + instance("advert_int 0.5"))
        #expect(global.all == [] && global.instance?.version == 3 && global.instance?.advertInterval == .milliseconds(500))
        let overridden = read("global_defs {\n vrrp_version 3\n}\n" + instance("version 2"))
        #expect(overridden.instance?.version == 2)
    }

    @Test func ipv6IsAlwaysVersion3() throws {
        let six = "interface eth0\nvirtual_router_id 51\nvirtual_ipaddress { 2001:db8::39/64 }"
        let r = read(instance(six + "\nadvert_int 0.5", bare: true))
        #expect(r.all == [])
        let i = try #require(r.instance)
        #expect(i.family == .inet6 && i.version == 3 && i.advertInterval == .milliseconds(500))
        #expect(i.virtualAddresses.map(\.description) == ["2001:db8::39/64"])
        #expect(read(instance("virtual_router_id 51\ninterface eth0\nvirtual_ipaddress { 2001:db8::39 }", bare: true)).instance?.virtualAddresses.first?.prefixLength == 128)
        let explicit = read(instance(six + "\nversion 2", bare: true))
        #expect(explicit.all == ["k.conf:1:1: warning: vrrp_instance VI_1: VRRP version 2 has no IPv6; using version 3"])
        #expect(explicit.instance?.version == 3)
        let global = read("global_defs {\n vrrp_version 2\n}\n" + instance(six, bare: true))
        #expect(global.all == [] && global.instance?.version == 3)
    }

    /// An advert carries one family: keepalived drops the others with an error.
    @Test func otherFamilyInVirtualIPAddressIsAnError() throws {
        let r = read(instance("virtual_ipaddress {\n2001:db8::39/64\n}"))
        #expect(r.all == ["k.conf:6:1: vrrp_instance VI_1: 2001:db8::39 is not of the family of the instance's first address 198.51.100.39; put it in virtual_ipaddress_excluded"])
        #expect(try #require(r.instance).virtualAddresses.map(\.description) == ["198.51.100.39/24"])
    }

    @Test func passwordTruncatedAndZeroPadded() throws {
        let short = read(instance("authentication {\n auth_type PASS\n auth_pass abc\n}"))
        #expect(short.all == [])
        #expect(short.instance?.authentication == .password([0x61, 0x62, 0x63, 0, 0, 0, 0, 0]))
        let eight = read(instance("authentication {\n auth_type PASS\n auth_pass pass1234\n}"))
        #expect(eight.all == [] && eight.instance?.authentication == .password(Array("pass1234".utf8)))
        let long = read(instance("authentication {\n auth_type PASS\n auth_pass incommsys-vips\n}"))
        #expect(long.all == ["k.conf:7:12: warning: auth_pass: only the first 8 bytes are used ('incommsy')"])
        #expect(long.instance?.authentication == .password(Array("incommsy".utf8)))
        let quoted = read(instance("authentication {\n auth_type PASS\n auth_pass \"a b\"\n}"))
        #expect(quoted.instance?.authentication == .password([0x61, 0x20, 0x62, 0, 0, 0, 0, 0]))
    }

    @Test func authenticationIgnoredUnderVersion3() {
        let r = read(instance("version 3\nauthentication {\n auth_type PASS\n auth_pass abc\n}"))
        #expect(r.all == ["k.conf:7:12: warning: vrrp_instance VI_1: VRRP version 3 has no authentication; ignored"])
        #expect(r.instance?.authentication == VRRPInstanceConfig.Authentication.none)
    }

    @Test func authenticationErrors() {
        #expect(read(instance("authentication {\n auth_type AH\n auth_pass secret\n}")).all == [
            "k.conf:6:12: authentication: auth_type AH is not supported by swiftvs (RFC 3768 removed it; use PASS or none)",
        ])
        #expect(read(instance("authentication {\n auth_type MD5\n auth_pass abc\n}")).all == [
            "k.conf:6:12: authentication: unknown auth_type 'MD5' (PASS or AH)",
        ])
        #expect(read(instance("authentication {\n auth_type PASS\n}")).all == [
            "k.conf:6:12: authentication: auth_type PASS needs auth_pass",
        ])
        #expect(read(instance("authentication {\n auth_type PASS\n auth_pass a b\n}")).all == [
            "k.conf:7:14: auth_pass: unexpected argument 'b'",
        ])
        #expect(read(instance("authentication {\n auth_type PASS\n auth_pass abc\n auth_key abc\n}")).all == [
            "k.conf:8:2: authentication: unknown keyword 'auth_key'",
        ])
        let untyped = read(instance("authentication {\n auth_pass abc\n}"))
        #expect(untyped.all == ["k.conf:5:1: warning: authentication without auth_type: no authentication is used"])
        #expect(untyped.instance?.authentication == VRRPInstanceConfig.Authentication.none)
    }
}
