import Testing
import IPVS
@testable import HealthCheck

private let path = "/etc/keepalived/keepalived.conf"

private func fs(_ text: String, extra: [String: String] = [:], executables: Set<String> = ["/bin/true", "/usr/bin/check"]) -> InMemoryFileSystem {
    var files = extra
    files[path] = text
    return InMemoryFileSystem(files: files, executables: executables)
}

private func load(_ text: String, extra: [String: String] = [:]) throws -> DaemonConfig {
    try ConfigParser.parse(file: path, fileSystem: fs(text, extra: extra))
}

/// Diagnostics rendered as `FILE:LINE:COL: message`, errors only.
private func errors(_ text: String, extra: [String: String] = [:]) -> [String] {
    ConfigParser.check(file: path, fileSystem: fs(text, extra: extra)).errors.map(\.description)
}

private func vs(_ body: String, head: String = "192.0.2.1 80") throws -> VirtualServerConfig {
    let c = try load("virtual_server \(head) {\n  protocol TCP\n\(body)\n}\n")
    return try #require(c.virtualServers.first)
}

@Suite("keepalived.conf parser")
struct ConfigParserTests {
    static let seed = """
    global_defs {
      router_id io
    }

    virtual_server fwmark 80 {
      delay_loop 6
      lb_algo lc
      lb_kind DR

      real_server 192.168.1.101 {
        weight 1
        MISC_CHECK {
          misc_path '"/usr/bin/ping -c 3"'
          misc_timeout 5
          warmup 5
        }
      }
      real_server 192.168.1.102 {
        weight 1
        MISC_CHECK {
          misc_path '"/usr/bin/ping -c 3"'
          misc_timeout 5
          warmup 5
        }
      }
      real_server 192.168.1.103 {
        weight 1
        MISC_CHECK {
          misc_path '"/usr/bin/ping -c 3"'
          misc_timeout 5
          warmup 5
        }
      }
    }
    """

    @Test func seedBlockLoadsAsWritten() throws {
        let result = ConfigParser.check(file: path, fileSystem: fs(Self.seed))
        #expect(result.errors.isEmpty)
        let config = try #require(result.config)
        #expect(config.virtualServers.count == 1)
        let v = config.virtualServers[0]
        #expect(v.address == .fwmark(80))
        #expect(v.services == [Service(key: .fwmark(80, family: .inet), scheduler: "lc")])
        #expect(v.forwarding == .directRouting)
        #expect(v.delayLoop == .seconds(6))
        #expect(v.realServers.map(\.destination) == [101, 102, 103].map {
            Destination(address: .v4(192, 168, 1, UInt8($0)), port: 0, forwarding: .directRouting, weight: 1)
        })
        let c = v.realServers[0].checkers[0]
        guard case let .misc(m) = c.kind else { Issue.record("not MISC_CHECK"); return }
        // keepalived: the single-quoted word keeps its double quotes, and the second split
        // turns "…" into ONE word: the program is the file "/usr/bin/ping -c 3".
        #expect(m.path == "\"/usr/bin/ping -c 3\"")
        #expect(m.command == .exec(["/usr/bin/ping -c 3"]))
        #expect(m.timeout == .seconds(5))
        #expect(c.warmup == .seconds(5))
        #expect(c.retry == 0)
        #expect(c.delayLoop == .seconds(6))
        #expect(c.enabled == false)  // keepalived 2.2.7: "Disabling misc script … since not found"
        #expect(result.warnings.map(\.description) == [
            "\(path):1:1: warning: 'global_defs' is not handled by swiftvs (only the LVS part is); ignored",
            "\(path):12:5: warning: MISC_CHECK program '/usr/bin/ping -c 3' not found or not executable; checker disabled (as keepalived does). keepalived reads the whole quoted string as one file name: write misc_path \"prog arg…\" to pass arguments",
            "\(path):20:5: warning: MISC_CHECK program '/usr/bin/ping -c 3' not found or not executable; checker disabled (as keepalived does). keepalived reads the whole quoted string as one file name: write misc_path \"prog arg…\" to pass arguments",
            "\(path):28:5: warning: MISC_CHECK program '/usr/bin/ping -c 3' not found or not executable; checker disabled (as keepalived does). keepalived reads the whole quoted string as one file name: write misc_path \"prog arg…\" to pass arguments",
        ])
    }

    @Test func processesNeededWhenChecksRunToTheirTimeout() throws {
        func misc(_ ip: Int, _ program: String, timeout: Int) -> String {
            "  real_server 192.0.2.\(ip) 80 {\n    MISC_CHECK {\n      misc_path \(program)\n      misc_timeout \(timeout)\n    }\n  }\n"
        }
        let c = try load("virtual_server 192.0.2.1 80 {\n  delay_loop 6\n"
            + misc(10, "/bin/true", timeout: 5) + misc(11, "/bin/true", timeout: 5) + misc(12, "/bin/true", timeout: 5)
            + misc(13, "/bin/true", timeout: 20)     // past its delay_loop: in flight all the time, 1
            + misc(14, "/usr/bin/missing", timeout: 5) // disabled (no such program): none
            + "  real_server 192.0.2.15 80 {\n    TCP_CHECK {\n    }\n  }\n}\n")
        #expect(abs(c.miscProcessesAtTimeout - 3.5) < 1e-9)  // 3 x 5/6 + 1
        #expect(c.processLimitWarning(limit: 4) == nil)
        let w = try #require(c.processLimitWarning(limit: 3))
        #expect(w.contains("up to 4 processes at once"))
        #expect(w.contains("more than --max-processes 3"))
    }

    @Test func keepalivedDefaults() throws {
        let c = try load("""
        virtual_server 192.0.2.1 80 {
          real_server 192.0.2.10 80 {
            TCP_CHECK {
            }
            HTTP_GET {
              url {
                path /
              }
            }
            MISC_CHECK {
              misc_path /bin/true
            }
          }
        }
        """)
        let v = c.virtualServers[0]
        #expect(v.proto == .udp)  // keepalived 2.2.7 defaults to UDP (with a warning)
        #expect(c.warnings.contains { $0.message.contains("no protocol set - defaulting to UDP") })
        #expect(v.scheduler == "wlc")
        #expect(v.forwarding == .masquerade)
        #expect(v.delayLoop == .seconds(60))
        #expect(v.quorum == 1 && v.hysteresis == 0)
        #expect(!v.alpha && !v.omega && !v.inhibitOnFailure)
        let rs = v.realServers[0]
        #expect(rs.weight == 1)
        let (tcp, http, misc) = (rs.checkers[0], rs.checkers[1], rs.checkers[2])
        #expect(tcp.connectTimeout == .seconds(5))
        #expect(tcp.retry == 1)
        #expect(tcp.delayBeforeRetry == .seconds(1))
        #expect(tcp.warmup == .seconds(60))
        #expect(tcp.connectIP == .v4(192, 0, 2, 10) && tcp.connectPort == 80)
        #expect(http.delayBeforeRetry == .seconds(3))
        if case let .http(h) = http.kind {
            #expect(h.urls == [URLCheckConfig(path: "/", statusCodes: [200...299])])
            #expect(h.version == .http10)
        } else { Issue.record("not HTTP_GET") }
        #expect(misc.retry == 0)
        #expect(misc.miscTimeout == .seconds(60))  // misc_timeout defaults to delay_loop
        #expect(misc.enabled)
    }

    struct KeywordCase: Sendable, CustomStringConvertible {
        var body: String
        var head = "192.0.2.1 80"
        var check: @Sendable (VirtualServerConfig) -> Bool
        var description: String { body }
    }

    static let keywordCases: [KeywordCase] = [
        KeywordCase(body: "delay_loop 2.5") { $0.delayLoop == .milliseconds(2500) },
        KeywordCase(body: "lb_algo rr") { $0.scheduler == "rr" && $0.services[0].scheduler == "rr" },
        KeywordCase(body: "lvs_sched mh") { $0.scheduler == "mh" },
        KeywordCase(body: "lb_kind NAT") { $0.forwarding == .masquerade },
        KeywordCase(body: "lvs_method DR") { $0.forwarding == .directRouting },
        KeywordCase(body: "lvs_method TUN") { $0.forwarding == .tunnel(Tunnel()) },
        KeywordCase(body: "lvs_method TUN type gue port 6080 csum") { $0.forwarding == .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .checksum)) },
        KeywordCase(body: "lvs_method TUN type gue port 6080 remcsum") { $0.forwarding == .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote)) },
        KeywordCase(body: "lvs_method TUN type gre nocsum") { $0.forwarding == .tunnel(Tunnel(kind: .gre)) },
        KeywordCase(body: "lvs_method TUN type ipip") { $0.forwarding == .tunnel(Tunnel(kind: .ipip)) },
        KeywordCase(body: "protocol UDP") { $0.proto == .udp && $0.services[0].key == .address(.udp, .v4(192, 0, 2, 1), port: 80) },
        KeywordCase(body: "protocol sctp") { $0.proto == .sctp },
        KeywordCase(body: "persistence_timeout 600") { $0.services[0].persistence == 600 },
        KeywordCase(body: "persistence_timeout") { $0.services[0].persistence == 360 },
        KeywordCase(body: "persistence_granularity 255.255.255.0") { $0.services[0].netmask == 0xFFFF_FF00 && $0.services[0].persistence == 360 },
        KeywordCase(body: "persistence_engine sip\npersistence_timeout 60") { $0.services[0].persistenceEngine == "sip" },
        KeywordCase(body: "quorum 3\nhysteresis 1") { $0.quorum == 3 && $0.hysteresis == 1 },
        KeywordCase(body: "quorum_up \"/usr/bin/check up 'a b'\" nobody nogroup") {
            $0.quorumUp?.command == .exec(["/usr/bin/check", "up", "a b"], user: "nobody", group: "nogroup")
        },
        KeywordCase(body: "quorum_down /usr/bin/check") { $0.quorumDown?.command == .exec(["/usr/bin/check"]) },
        KeywordCase(body: "sorry_server 192.0.2.99 8080") { $0.sorryServer?.destination == Destination(address: .v4(192, 0, 2, 99), port: 8080, forwarding: .masquerade) },
        KeywordCase(body: "sorry_server 192.0.2.99 8080\nsorry_server_inhibit\nsorry_server_lvs_method DR") {
            $0.sorryServer?.inhibit == true && $0.sorryServer?.forwarding == .directRouting
        },
        KeywordCase(body: "inhibit_on_failure\nreal_server 192.0.2.10 80 {\n}") { $0.inhibitOnFailure && $0.realServers[0].inhibitOnFailure },
        KeywordCase(body: "alpha\nomega") { $0.alpha && $0.omega },
        KeywordCase(body: "ops\nprotocol UDP") { $0.flags.contains(.onePacket) && $0.services[0].flags.contains(.onePacket) },
        KeywordCase(body: "lb_algo sh\nsh-port\nsh-fallback") { $0.flags == [.shPort, .shFallback] },
        KeywordCase(body: "sh-port\nlb_algo sh") { $0.flags == [.shPort] },
        KeywordCase(body: "lb_algo mh\nmh-port\nmh-fallback") { $0.flags == [.mhPort, .mhFallback] },
        KeywordCase(body: "lb_algo lc\nsh-port") { $0.flags == [] },
        KeywordCase(body: "flag-1\nflag-3") { $0.flags == [.schedulerFlag1, .schedulerFlag3] },
        KeywordCase(body: "virtualhost www.example.com\nreal_server 192.0.2.10 80 {\nHTTP_GET {\nurl {\npath /\n}\n}\n}") {
            if case let .http(h) = $0.realServers[0].checkers[0].kind { return h.virtualhost == "www.example.com" }
            return false
        },
        // keepalived resets a direct-routing real server's port to the service's ("ports don't match - resetting").
        KeywordCase(body: "real_server 192.0.2.10 8080 {\nweight 7\nuthreshold 100\nlthreshold 10\nlvs_method DR\n}") {
            $0.realServers[0].destination == Destination(address: .v4(192, 0, 2, 10), port: 80, forwarding: .directRouting, weight: 7, upperThreshold: 100, lowerThreshold: 10)
        },
        KeywordCase(body: "real_server 192.0.2.10 8080 {\nweight 70000\n}") {
            $0.realServers[0].destination == Destination(address: .v4(192, 0, 2, 10), port: 8080, forwarding: .masquerade, weight: 70000)
        },
        KeywordCase(body: "lb_kind TUN\nreal_server 2001:db8::10 80 {\n}") { $0.realServers[0].address == IPAddress("2001:db8::10") },
        KeywordCase(body: "real_server 192.0.2.10 80 {\nnotify_up /usr/bin/check\nnotify_down \"/usr/bin/check down\" nobody\n}") {
            $0.realServers[0].notifyUp?.command == .exec(["/usr/bin/check"]) &&
            $0.realServers[0].notifyDown?.command == .exec(["/usr/bin/check", "down"], user: "nobody")
        },
        KeywordCase(body: "retry 4\ndelay_before_retry 0.5\nconnect_timeout 2\nwarmup 0\ndelay_loop 10\nreal_server 192.0.2.10 80 {\nTCP_CHECK {\n}\n}") {
            let c = $0.realServers[0].checkers[0]
            return c.retry == 4 && c.delayBeforeRetry == .milliseconds(500) && c.connectTimeout == .seconds(2) && c.warmup == .zero && c.delayLoop == .seconds(10)
        },
        KeywordCase(body: "retry 4\nreal_server 192.0.2.10 80 {\nretry 2\nTCP_CHECK {\nretry 0\n}\nTCP_CHECK {\n}\n}") {
            $0.realServers[0].checkers.map(\.retry) == [0, 2]
        },
        KeywordCase(body: "real_server 192.0.2.10 80 {\nHTTP_GET {\nnb_get_retry 3\nurl {\npath /a\nstatus_code 200 301-302\ndigest 9B3A0C85A887A256D6939DA88AABD8CD\n}\nhttp_protocol 1.1\n}\n}") {
            let c = $0.realServers[0].checkers[0]
            guard case let .http(h) = c.kind else { return false }
            return c.retry == 3 && h.version == .http11 &&
                h.urls == [URLCheckConfig(path: "/a", statusCodes: [200...200, 301...302], digest: "9b3a0c85a887a256d6939da88aabd8cd")]
        },
        KeywordCase(body: "real_server 192.0.2.10 80 {\nTCP_CHECK {\nconnect_ip 192.0.2.20\nconnect_port 8080\nbindto 192.0.2.5\nbind_port 40000\nfwmark 7\nconnect_timeout 1.5\n}\n}") {
            let c = $0.realServers[0].checkers[0]
            return c.connectIP == .v4(192, 0, 2, 20) && c.connectPort == 8080 && c.bindTo == .v4(192, 0, 2, 5) &&
                c.bindPort == 40000 && c.fwmark == 7 && c.connectTimeout == .milliseconds(1500)
        },
        KeywordCase(body: "real_server 192.0.2.10 80 {\nMISC_CHECK {\nmisc_path \"/usr/bin/check $HOST | grep ok\"\nmisc_timeout 3\nmisc_dynamic\nuser nobody nogroup\n}\n}") {
            guard case let .misc(m) = $0.realServers[0].checkers[0].kind else { return false }
            return m.command == .shell("/usr/bin/check $HOST | grep ok", user: "nobody", group: "nogroup") && m.dynamic && m.timeout == .seconds(3)
        },
        KeywordCase(body: "real_server 192.0.2.10 80 {\nPING_CHECK {\nalpha\n}\n}") {
            $0.realServers[0].checkers[0].kind == .ping && $0.realServers[0].checkers[0].alpha
        },
        KeywordCase(body: "real_server 192.0.2.10 80 { weight 3 }") { $0.realServers[0].weight == 3 },
        KeywordCase(body: "real_server 192.0.2.10 80\n{\nweight 4\n}") { $0.realServers[0].weight == 4 },
        KeywordCase(body: "delay_loop 3 # comment\n! another comment\nlb_algo rr ! trailing") { $0.delayLoop == .seconds(3) && $0.scheduler == "rr" },
        KeywordCase(body: "persistence_timeout 50", head: "192.0.2.1") { $0.services[0].key == .address(.tcp, .v4(192, 0, 2, 1), port: 0) },
        KeywordCase(body: "real_server 2001:db8::10 {\n}", head: "fwmark 3") { $0.services[0].key == .fwmark(3, family: .inet6) },
        KeywordCase(body: "ip_family inet6\nlb_kind TUN\nreal_server 192.0.2.10 {\n}", head: "fwmark 3") { $0.services[0].key == .fwmark(3, family: .inet6) },
    ]

    @Test(arguments: keywordCases)
    func keyword(_ c: KeywordCase) throws {
        let v = try vs(c.body, head: c.head)
        #expect(c.check(v))
    }

    @Test func virtualServerGroup() throws {
        let c = try load("""
        virtual_server group web {
          protocol TCP
          real_server 192.0.2.10 80 {
          }
        }
        virtual_server_group web {
          192.0.2.1 80
          192.0.2.2-3 443
          fwmark 9
        }
        """)
        #expect(c.virtualServers[0].services.map(\.key) == [
            .address(.tcp, .v4(192, 0, 2, 1), port: 80),
            .address(.tcp, .v4(192, 0, 2, 2), port: 443),
            .address(.tcp, .v4(192, 0, 2, 3), port: 443),
            .fwmark(9, family: .inet),
        ])
    }

    @Test func includesAreRelativeToTheIncludingFile() throws {
        let c = try load("""
        include conf.d/*.conf
        include /etc/keepalived/optional/*.conf
        """, extra: [
            "/etc/keepalived/conf.d/a.conf": "virtual_server 192.0.2.1 80 {\n protocol TCP\n include rs/web.inc\n}\n",
            "/etc/keepalived/conf.d/rs/web.inc": "real_server 192.0.2.10 80 {\n weight 5\n}\n",
            "/etc/keepalived/conf.d/b.conf": "virtual_server fwmark 1 {\n}\n",
        ])
        #expect(c.virtualServers.map(\.address) == [.address(.v4(192, 0, 2, 1), port: 80), .fwmark(1)])
        #expect(c.virtualServers[0].realServers.map(\.weight) == [5])
        #expect(c.virtualServers[0].realServers[0].location == SourceLocation(file: "/etc/keepalived/conf.d/rs/web.inc", line: 1, column: 1))
    }

    @Test func errorsInIncludedFilesNameThatFile() {
        #expect(errors("include inc.conf\n", extra: ["/etc/keepalived/inc.conf": "virtual_server 192.0.2.1 80 {\n  frob 1\n}\n"]) ==
            ["/etc/keepalived/inc.conf:2:3: unknown keyword 'frob' in virtual_server"])
    }

    struct BadCase: Sendable, CustomStringConvertible {
        var text: String
        var expected: [String]
        var description: String { expected.first ?? text }
    }

    static let badCases: [BadCase] = [
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  frobnicate 3\n}\n", expected: ["2:3: unknown keyword 'frobnicate' in virtual_server"]),
        BadCase(text: "frob {\n}\n", expected: ["1:1: unknown keyword 'frob'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  delay_loop\n}\n", expected: ["2:3: delay_loop: missing value"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  delay_loop abc\n}\n", expected: ["2:14: delay_loop: invalid time 'abc' (seconds, fractions allowed)"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  delay_loop 0\n}\n", expected: ["2:14: delay_loop: must be greater than 0"]),
        BadCase(text: "virtual_server 192.0.2.300 80 {\n}\n", expected: ["1:16: invalid virtual server address '192.0.2.300'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.999 80 {\n  }\n}\n", expected: ["2:15: invalid real server address '192.0.2.999'"]),
        BadCase(text: "virtual_server 192.0.2.1 70000 {\n}\n", expected: ["1:26: virtual server port 70000 out of range 0-65535"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    weight 2147483648\n  }\n}\n", expected: ["3:12: weight 2147483648 out of range 0-2147483647"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    weight -3\n  }\n}\n", expected: ["3:12: weight -3 out of range 0-2147483647"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n  }\n  real_server 192.0.2.10 80 {\n  }\n}\n",
                expected: ["4:3: duplicate real_server 192.0.2.10:80 (first at /etc/keepalived/keepalived.conf:2:3)"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n", expected: [
            "1:29: missing '}' for 'virtual_server' block opened here", "2:29: missing '}' for 'real_server' block opened here"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n}\n}\n", expected: ["3:1: unexpected '}' (no block is open)"]),
        BadCase(text: "include missing.conf\n", expected: ["1:9: include file not found: /etc/keepalived/missing.conf"]),
        BadCase(text: "includea conf.d/*.conf\n", expected: ["1:10: include file not found: /etc/keepalived/conf.d/*.conf"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  lb_algo nope\n}\n", expected: ["2:11: lb_algo: unknown scheduler 'nope'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  lb_kind FOO\n}\n", expected: ["2:11: lb_kind: unknown forwarding method 'FOO' (NAT, DR or TUN)"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  lvs_method TUN type gue\n}\n", expected: ["2:23: lvs_method: gue tunnel needs 'port NUM'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  lvs_method TUN type gre remcsum\n}\n", expected: ["2:27: lvs_method: remcsum is not supported with gre"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  lvs_method TUN csum\n}\n", expected: ["2:18: lvs_method: checksum options need a gue or gre tunnel"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  protocol ICMP\n}\n", expected: ["2:12: protocol: unknown protocol 'ICMP' (TCP, UDP or SCTP)"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  quorum 0\n}\n", expected: ["2:10: quorum 0 out of range 1-4294967295"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  weight 1 2\n}\n", expected: ["2:12: weight: unexpected argument '2'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  persistence_granularity 255.0.255.0\n}\n", expected: ["2:27: persistence_granularity: netmask '255.0.255.0' is not contiguous"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    MISC_CHECK {\n      misc_timeout 3\n    }\n  }\n}\n", expected: ["3:5: MISC_CHECK without misc_path"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    MISC_CHECK {\n      misc_path /bin/true\n      connect_port 80\n    }\n  }\n}\n", expected: ["5:7: unknown keyword 'connect_port' in MISC_CHECK"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    HTTP_GET {\n      url {\n        status_code 200\n      }\n    }\n  }\n}\n", expected: ["4:7: url without path"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    HTTP_GET {\n      url {\n        path /\n        status_code 2000\n        digest xyz\n      }\n    }\n  }\n}\n",
                expected: ["6:21: status_code: invalid code or range '2000'", "7:16: digest: expected 32 hex digits, got 'xyz'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    TCP_CHECK {\n      connect_ip 192.0.2.x\n    }\n  }\n}\n", expected: ["4:18: invalid connect_ip address '192.0.2.x'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 2001:db8::1 80 {\n  }\n}\n", expected: ["2:3: real server [2001:db8::1]:80 address family differs from the virtual server's (only tunnelled real servers may differ)"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  misc_path \"/bin/true\n}\n", expected: ["2:3: unknown keyword 'misc_path' in virtual_server", "2:13: unterminated quoted string"]),
        BadCase(text: "virtual_server group nope {\n}\n", expected: ["1:22: unknown virtual_server_group 'nope'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  TCP_CHECK {\n  }\n}\n", expected: ["2:3: TCP_CHECK must be inside a real_server block"]),
        // A virtual server's alpha takes any value (keepalived ignores it); a real server's does not.
        BadCase(text: "virtual_server 192.0.2.1 80 {\n  real_server 192.0.2.10 80 {\n    alpha maybe\n  }\n}\n", expected: ["3:11: alpha: expected on|off|true|false|yes|no, got 'maybe'"]),
        BadCase(text: "virtual_server 192.0.2.1 80 {\n}\nvirtual_server 192.0.2.1 80 {\n}\n", expected: ["3:1: duplicate virtual_server UDP 192.0.2.1:80 (first at /etc/keepalived/keepalived.conf:1:1)"]),
    ]

    @Test(arguments: badCases)
    func malformed(_ c: BadCase) {
        let got = errors(c.text)
        #expect(got == c.expected.map { "\(path):\($0)" }, "\(c.text)")
    }

    @Test func everyProblemIsReportedNotJustTheFirst() {
        let text = "virtual_server 192.0.2.1 80 {\n  frob\n  delay_loop x\n  real_server 192.0.2.10 80 {\n    weight 2147483648\n  }\n}\nbogus\n"
        #expect(errors(text).count == 4)
    }

    @Test func parseThrowsConfigErrors() {
        do {
            _ = try ConfigParser.parse(file: path, fileSystem: fs("virtual_server 192.0.2.1 80 {\n  frob 1\n}\n"))
            Issue.record("no error")
        } catch {
            #expect(error.errors.map(\.description) == ["\(path):2:3: unknown keyword 'frob' in virtual_server"])
        }
        #expect(ConfigParser.check(file: path, fileSystem: fs("frob\n")).exitCode == 2)
        #expect(ConfigParser.check(file: path, fileSystem: fs("virtual_server fwmark 1 {\n}\n")).exitCode == 0)
    }

    @Test func unhandledBlocksWarnOncePerKeyword() throws {
        let r = ConfigParser.check(file: path, fileSystem: fs("""
        global_defs {
          router_id a
        }
        vrrp_script chk {
          script "/bin/true"
        }
        vrrp_instance A {
          state MASTER
          virtual_ipaddress {
            192.0.2.100
          }
        }
        vrrp_instance B {
        }
        static_ipaddress {
          192.0.2.5/24 dev eth0
        }
        """))
        #expect(r.errors.isEmpty)
        #expect(r.warnings.map(\.location.line) == [1, 4, 7, 15])
    }

    @Test func missingMainFile() {
        let r = ConfigParser.check(file: "/nonexistent/keepalived.conf", fileSystem: InMemoryFileSystem(files: [:]))
        #expect(r.errors.map(\.description) == ["/nonexistent/keepalived.conf:1:1: cannot read configuration: No such file or directory"])
    }

    @Test func keepalivedQuoting() {
        #expect(KeepalivedQuoting.splitQuotedEscaped(#"misc_path '"/usr/bin/ping -c 3"'"#) == ["misc_path", #""/usr/bin/ping -c 3""#])
        #expect(KeepalivedQuoting.splitQuotedEscaped(#""/usr/bin/ping -c 3""#) == ["/usr/bin/ping -c 3"])
        #expect(KeepalivedQuoting.splitQuotedEscaped(#"/bin/x 'a b' "c d" e\ f g\x41\101\tz"#) == ["/bin/x", "a b", "c d", "e f", "gAA\tz"])
        #expect(KeepalivedQuoting.splitQuotedEscaped(#"abcd" efg h jkl "mnop"#) == ["abcd efg h jkl mnop"])
        #expect(KeepalivedQuoting.splitQuotedEscaped("'open") == nil)
        #expect(CheckCommand.parse("/usr/bin/ping -c 3 192.0.2.1") == .exec(["/usr/bin/ping", "-c", "3", "192.0.2.1"]))
        #expect(CheckCommand.parse("/bin/check > /dev/null") == .shell("/bin/check > /dev/null"))
        #expect(CheckCommand.parse("/bin/check 'a|b'") == .exec(["/bin/check", "a|b"]))
        #expect(CheckCommand.parse("FOO=1 /bin/check") == .shell("FOO=1 /bin/check"))
        #expect(CheckCommand.parse("/bin/check \"$HOME\"") == .shell("/bin/check \"$HOME\""))
    }

    @Test func localFileSystemIncludes() throws {
        let dir = try TempDir()
        try dir.write("main.conf", "include sub/*.conf\nvirtual_server fwmark 1 {\n}\n")
        try dir.write("sub/a.conf", "virtual_server fwmark 2 {\n}\n")
        let c = try ConfigParser.parse(file: dir.path + "/main.conf")
        #expect(c.virtualServers.map(\.address) == [.fwmark(2), .fwmark(1)])
    }
}
