import Testing
import Foundation
import EventLoop
import KeepalivedConfig
import NetworkModel
@testable import VRRPRouter

/// The seeds' vrrp / global_defs blocks (Fixtures/seed*.conf: the text as published, with the
/// 10.x addresses moved to 198.51.100.x). 001 and 004 are what their authors ran; 000 is the
/// same article as 001, scraped with its closing braces and block contents lost.
@Suite struct SeedTests {
    static func fixture(_ name: String) throws -> ReadResult {
        let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: "conf"))
        return read(try String(contentsOf: url, encoding: .utf8), file: "\(name).conf")
    }

    /// Seed 001 as its author's keepalived read it: ASCII indentation (the published page
    /// indents with no-break spaces, see below), `unicast_peer{` with the brace glued on.
    @Test func seed001ThreeNodeUnicast() throws {
        let r = try Self.fixture("seed001-swarm1-ascii")
        #expect(r.all == [])
        #expect(r.config.scripts.keys.sorted() == ["chk_docker", "chk_traefik"])
        let docker = try #require(r.config.scripts["chk_docker"])
        #expect(docker.command == .exec(["pgrep", "dockerd"]) && docker.interval == .seconds(1) && docker.weight == 20)
        let traefik = try #require(r.config.scripts["chk_traefik"])
        #expect(traefik.command == .exec(["pgrep", "traefik"]) && traefik.interval == .seconds(30) && traefik.weight == 10)
        let i = try #require(r.instance)
        #expect(i.name == "VI_1" && i.initialState == .master && i.interface == "ens160")
        #expect(i.virtualRouterID == 12 && i.priority == 200 && i.advertInterval == .seconds(1) && i.version == 2)
        #expect(i.unicastSource == IPAddress("198.51.100.31"))
        #expect(i.unicastPeers.map(\.description) == ["198.51.100.32", "198.51.100.33"])
        #expect(i.authentication == .password(Array("pass1234".utf8)))
        #expect(i.virtualAddresses.map(\.description) == ["198.51.100.39/24"])
        #expect(i.trackScripts.map(\.name) == ["chk_docker", "chk_traefik"])
    }

    /// Seed 004: global_defs with an empty router_id, a refresh without a value and mail
    /// settings; a pipeline as script; a 14-character password; nopreempt on a BACKUP.
    @Test func seed004RancherBackup() throws {
        let r = try Self.fixture("seed004-rancher")
        #expect(r.errors == [])
        #expect(r.warnings == [
            "seed004-rancher.conf:2:5: warning: router_id has no value; the host name is used",
            "seed004-rancher.conf:5:5: warning: vrrp_garp_master_refresh has no value (seconds); the refresh stays off",
            "seed004-rancher.conf:6:5: warning: 'notification_email' not used by swiftvs; ignored",
            "seed004-rancher.conf:9:5: warning: 'notification_email_from' not used by swiftvs; ignored",
            "seed004-rancher.conf:10:5: warning: 'smtp_server' not used by swiftvs; ignored",
            "seed004-rancher.conf:11:5: warning: 'smtp_connect_timeout' not used by swiftvs; ignored",
            "seed004-rancher.conf:15:5: warning: script: 'ss -ltn | grep 80' has shell syntax, but keepalived runs scripts without a shell: it runs ss with the words '-ltn' '|' 'grep' '80' as arguments; write \"/bin/sh -c '…'\" for a pipeline",
            "seed004-rancher.conf:40:5: warning: 'smtp_alert' not used by swiftvs; ignored",
            "seed004-rancher.conf:35:19: warning: auth_pass: only the first 8 bytes are used ('incommsy')",
        ])
        let g = r.config.globals
        #expect(g.routerID == nil && g.version == .v2 && g.garp.masterDelay == .seconds(1) && g.garp.masterRefresh == nil)
        let s = try #require(r.config.scripts["chk_haproxy"])
        #expect(s.command == .exec(["ss", "-ltn", "|", "grep", "80"]))
        #expect(s.timeout == .seconds(3) && s.interval == .seconds(2) && s.fall == 2 && s.rise == 2 && s.weight == 0)
        let i = try #require(r.instance)
        #expect(i.name == "apps-vips" && i.initialState == .backup && i.interface == "eth0" && i.virtualRouterID == 1)
        #expect(i.priority == 100 && i.advertInterval == .seconds(1) && i.nopreempt && i.dontTrackPrimary)
        #expect(i.trackScripts.map(\.name) == ["chk_haproxy"])
        #expect(i.authentication == .password(Array("incommsy".utf8)))
        #expect(i.virtualAddresses.map(\.description) == ["198.51.100.2/24 dev eth0"])
        #expect(i.garp.masterDelay == .seconds(1))
    }

    /// Seed 001 as published: indented with no-break spaces (U+00A0). keepalived 2.2.7 refuses
    /// every such line; swiftvs takes them as blanks and says so once, so the article's
    /// configuration reads as its author ran it.
    @Test func seed001AsPublishedReadsWithOneWarning() throws {
        let r = try Self.fixture("seed001-swarm1")
        #expect(r.all == ["seed001-swarm1.conf:2:1: warning: no-break space (U+00A0) taken as a blank; keepalived refuses it (27 lines, the first here)"])
        let ascii = try Self.fixture("seed001-swarm1-ascii")
        #expect(r.config.instances.map(\.behaviour) == ascii.config.instances.map(\.behaviour))
        #expect(r.config.scripts.mapValues(\.behaviour) == ascii.config.scripts.mapValues(\.behaviour))
    }

    /// Seed 000: the same configuration with every closing brace and the addresses lost.
    @Test func seed000ScrapedIsRefusedLikeKeepalived() throws {
        let r = try Self.fixture("seed000-swarm1-scraped")
        #expect(r.all == [
            "seed000-swarm1-scraped.conf:2:1: warning: no-break space (U+00A0) taken as a blank; keepalived refuses it (16 lines, the first here)",
            "seed000-swarm1-scraped.conf:24:17: missing '}' for 'track_script' block opened here",
            "seed000-swarm1-scraped.conf:22:23: missing '}' for 'virtual_ipaddress' block opened here",
            "seed000-swarm1-scraped.conf:18:21: missing '}' for 'authentication' block opened here",
            "seed000-swarm1-scraped.conf:11:20: missing '}' for 'vrrp_instance' block opened here",
            "seed000-swarm1-scraped.conf:6:25: missing '}' for 'vrrp_script' block opened here",
            "seed000-swarm1-scraped.conf:1:24: missing '}' for 'vrrp_script' block opened here",
            "seed000-swarm1-scraped.conf:6:1: vrrp_script: unknown keyword 'vrrp_script'",
        ])
        #expect(r.config.instances.isEmpty)
    }
}
