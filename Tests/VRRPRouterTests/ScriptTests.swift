import Testing
import EventLoop
import KeepalivedConfig
@testable import VRRPRouter

/// `vrrp_script` and the notify scripts: words as keepalived splits them, no shell, who they
/// run as.
@Suite struct ScriptTests {
    private func script(_ body: String, globals: String = "") -> ReadResult {
        read(globals + "vrrp_script chk {\n\(body)\n}\n" + instance("track_script {\n chk\n}"))
    }

    @Test func defaults() throws {
        let r = script("script \"/usr/bin/pgrep dockerd\"")
        #expect(r.all == [])
        let s = try #require(r.config.scripts["chk"])
        #expect(s.command == .exec(["/usr/bin/pgrep", "dockerd"]))
        #expect(s.text == "/usr/bin/pgrep dockerd")
        #expect(s.location == SourceLocation(file: "k.conf", line: 1, column: 1))
        #expect(s.interval == .seconds(1) && s.timeout == nil && s.weight == 0 && !s.weightReverse)
        #expect(s.rise == 1 && s.fall == 1 && !s.initFail)
        let t = try #require(r.instance?.trackScripts.first)
        #expect(t.name == "chk" && t.weight == nil && !t.reverse)
    }

    @Test func everyValue() throws {
        let r = script("""
        script "pgrep dockerd"
        interval 2
        timeout 3
        weight -20 reverse
        rise 2
        fall 3
        user nobody nogroup
        init_fail
        """)
        #expect(r.all == [])
        let s = try #require(r.config.scripts["chk"])
        #expect(s.command == .exec(["pgrep", "dockerd"], user: "nobody", group: "nogroup"))
        #expect(s.interval == .seconds(2) && s.timeout == .seconds(3))
        #expect(s.weight == -20 && s.weightReverse && s.rise == 2 && s.fall == 3 && s.initFail)
    }

    @Test func ranges() {
        #expect(script("script \"/bin/true\"\nweight 254").all == ["k.conf:3:8: weight 254 out of range -253-253"])
        #expect(script("script \"/bin/true\"\nweight -254").all == ["k.conf:3:8: weight -254 out of range -253-253"])
        #expect(script("script \"/bin/true\"\nweight 2 upside").all == ["k.conf:3:10: weight: unexpected argument 'upside'"])
        #expect(script("script \"/bin/true\"\nrise 0").all == ["k.conf:3:6: rise 0 out of range 1-2147483647"])
        #expect(script("script \"/bin/true\"\nfall 0").all == ["k.conf:3:6: fall 0 out of range 1-2147483647"])
        #expect(script("script \"/bin/true\"\ninterval 0").all == ["k.conf:3:10: interval 0 out of range 1-4294"])
        #expect(script("script \"/bin/true\"\ninterval 4295").all == ["k.conf:3:10: interval 4295 out of range 1-4294"])
        #expect(script("script \"/bin/true\"\ninterval 1.5").all == ["k.conf:3:10: interval: invalid number '1.5'"])
        #expect(script("script \"/bin/true\"\ntimeout 0").all == ["k.conf:3:9: timeout 0 out of range 1-4294"])
        #expect(script("script \"/bin/true\"\ntimeout x").all == ["k.conf:3:9: timeout: invalid number 'x'"])
        #expect(script("script \"/bin/true\"\nuser").all == ["k.conf:3:1: user: missing user name"])
        #expect(script("script \"/bin/true\"\nperiod 3").all == ["k.conf:3:1: vrrp_script: unknown keyword 'period'"])
    }

    @Test func missingOrBrokenScript() {
        // The settings are still checked when the script line is missing.
        #expect(script("interval 2\nrise 0").all == [
            "k.conf:3:6: rise 0 out of range 1-2147483647",
            "k.conf:1:1: vrrp_script chk: missing 'script'",
            "k.conf:10:2: warning: track_script chk in vrrp_instance VI_1 not found, ignoring",
        ])
        #expect(script("script \"pgrep 'dockerd\"").errors == ["k.conf:2:1: script: unterminated quote in 'pgrep 'dockerd'"])
        #expect(script("script \"pgrep dockerd").errors == ["k.conf:2:8: unterminated quoted string", "k.conf:2:1: script: missing terminating quote"])
        #expect(script("script").errors == ["k.conf:2:1: script: missing script"])
        #expect(script("script \"\"").errors == ["k.conf:2:1: script: empty script"])
        #expect(script("script \"/bin/true\" root root extra").errors == [
            "k.conf:2:1: script: too many arguments (quote the script if it has parameters)",
        ])
        #expect(read("vrrp_script chk {\n script /bin/true\n}\nvrrp_script chk {\n script /bin/false\n}\n").all == [
            "k.conf:4:1: vrrp_script chk defined twice (first at k.conf:1:1); this one is ignored",
        ])
    }

    /// keepalived runs scripts without a shell: a pipeline is `ss` with words, and swiftvs says
    /// so rather than quietly doing something else.
    @Test func shellSyntaxRunsWordsAndWarns() throws {
        let r = script("script       \"ss -ltn | grep 80\"")
        #expect(r.all == [
            "k.conf:2:1: warning: script: 'ss -ltn | grep 80' has shell syntax, but keepalived runs scripts without a shell: it runs ss with the words '-ltn' '|' 'grep' '80' as arguments; write \"/bin/sh -c '…'\" for a pipeline",
        ])
        #expect(r.config.scripts["chk"]?.command == .exec(["ss", "-ltn", "|", "grep", "80"]))
        let sh = script("script \"/bin/sh -c 'ss -ltn | grep -q :80'\"")
        #expect(sh.all == [])
        #expect(sh.config.scripts["chk"]?.command == .exec(["/bin/sh", "-c", "ss -ltn | grep -q :80"]))
    }

    @Test func scriptUserDefaultApplied() throws {
        let globals = "global_defs {\n script_user keepalived_script kgroup\n}\n"
        let r = read(globals + "vrrp_script chk {\n script /bin/true\n}\nvrrp_script own {\n script /bin/true\n user root\n}\n"
                     + instance("notify_master \"/usr/local/bin/up a\"\nnotify_backup /bin/down nobody\nnotify /bin/all"))
        #expect(r.all == [])
        #expect(r.config.scripts["chk"]?.command == .exec(["/bin/true"], user: "keepalived_script", group: "kgroup"))
        #expect(r.config.scripts["own"]?.command == .exec(["/bin/true"], user: "root", group: nil))
        let n = try #require(r.instance).notify
        #expect(n.master == .exec(["/usr/local/bin/up", "a"], user: "keepalived_script", group: "kgroup"))
        #expect(n.backup == .exec(["/bin/down"], user: "nobody", group: nil))
        #expect(n.any == .exec(["/bin/all"], user: "keepalived_script", group: "kgroup"))
        #expect(n.fault == nil && n.stop == nil)
    }

    @Test func notifyScripts() throws {
        let r = read(instance("notify_master /bin/m\nnotify_backup /bin/b\nnotify_fault /bin/f\nnotify_stop /bin/s\nnotify \"/bin/n x\""))
        #expect(r.all == [])
        let n = try #require(r.instance).notify
        #expect([n.master, n.backup, n.fault, n.stop, n.any] == [.exec(["/bin/m"]), .exec(["/bin/b"]), .exec(["/bin/f"]), .exec(["/bin/s"]), .exec(["/bin/n", "x"])])
        #expect(read(instance("notify_master")).all == ["k.conf:5:1: notify_master: missing script"])
    }

    @Test func trackScriptWeights() throws {
        let r = read("vrrp_script a {\n script /bin/true\n weight 20\n}\nvrrp_script b {\n script /bin/true\n}\n"
                     + instance("track_script {\n a\n b weight -10 reverse\n}"))
        #expect(r.all == [])
        let t = try #require(r.instance).trackScripts
        #expect(t.map(\.name) == ["a", "b"] && t.map(\.weight) == [nil, -10] && t.map(\.reverse) == [false, true])
        #expect(read("vrrp_script a {\n script /bin/true\n}\n" + instance("track_script {\n a weight 300\n}")).all == [
            "k.conf:9:11: track_script a weight 300 out of range -253-253",
        ])
    }
}
