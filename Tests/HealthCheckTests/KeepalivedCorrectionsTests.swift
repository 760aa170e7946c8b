import Testing
import IPVS
@testable import HealthCheck

private let path = "/etc/keepalived/keepalived.conf"

private func check(_ text: String) -> ConfigCheckResult {
    ConfigParser.check(file: path, fileSystem: InMemoryFileSystem(files: [path: text]))
}

/// Where keepalived 2.2.7's config test reports a setting, corrects it and runs (exit 5),
/// swiftvs makes the same correction with a warning at the line; and the values keepalived
/// takes that swiftvs once refused.
@Suite struct KeepalivedCorrectionsTests {
    @Test func aDirectRoutingRealServerTakesTheServicePortButItsCheckerKeepsItsOwn() throws {
        let r = check("virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_kind DR\n  real_server 192.0.2.2 8080 {\n    TCP_CHECK {\n    }\n  }\n  real_server 192.0.2.3 {\n  }\n}\n")
        let vs = try #require(r.config?.virtualServers.first)
        #expect(vs.realServers.map(\.port) == [80, 80])
        #expect(vs.realServers[0].checkers[0].connectPort == 8080)
        #expect(r.warnings.map(\.description) == ["\(path):4:3: warning: virtual server port 80 and real server 192.0.2.2:8080 port don't match - resetting to 80 (as keepalived does; only NAT maps ports)"])
    }

    @Test func aNATRealServerKeepsItsPort() throws {
        let r = check("virtual_server 192.0.2.1 80 {\n  protocol TCP\n  lb_kind NAT\n  real_server 192.0.2.2 8080 {\n  }\n}\n")
        #expect(try #require(r.config?.virtualServers.first).realServers.map(\.port) == [8080])
        #expect(r.warnings.isEmpty)
    }

    @Test func aFirewallMarkServicesRealServerPortIsCleared() throws {
        let r = check("virtual_server fwmark 7 {\n  protocol TCP\n  lb_kind DR\n  real_server 192.0.2.2 80 {\n  }\n}\n")
        #expect(try #require(r.config?.virtualServers.first).realServers.map(\.port) == [0])
        #expect(r.warnings.map(\.message) == [
            "protocol specified for fwmark - protocol will be ignored (as keepalived does)",
            "fwmark virtual server fwmark 7, real server 192.0.2.2:80 has port specified - clearing (as keepalived does)",
        ])
    }

    /// A virtual server of `body` (protocol TCP and one real server of weight 2 added) and the
    /// warnings' messages.
    private func server(_ body: String) throws -> (VirtualServerConfig, [String]) {
        let r = check("virtual_server 192.0.2.1 80 {\n  protocol TCP\n\(body)\n  real_server 192.0.2.2 80 {\n    weight 2\n  }\n}\n")
        return (try #require(r.config?.virtualServers.first), r.warnings.map(\.message))
    }

    @Test func quorumAndHysteresisAreLoweredAsKeepalivedLowersThem() throws {
        let (vs, warnings) = try server("  quorum 5\n  hysteresis 3")
        #expect(vs.quorum == 2 && vs.hysteresis == 1)
        #expect(warnings == [
            "quorum 5 exceeds total weight of real servers 2, reducing quorum to 2 (as keepalived does)",
            "hysteresis 3 >= quorum 2; setting hysteresis to 1 (as keepalived does)",
        ])
    }

    @Test func aVirtualServersSwitchesTakeAnyValue() throws {
        let (vs, warnings) = try server("  alpha 1\n  omega off\n  inhibit_on_failure 0")
        #expect(vs.alpha && vs.omega && vs.inhibitOnFailure)
        #expect(warnings.count == 2 && warnings.allSatisfy { $0.contains("ignores the value of a virtual_server's") })
    }

    @Test func booleansAreLowerCaseOnly() {
        let r = check("virtual_server 192.0.2.1 80 {\n  protocol TCP\n  real_server 192.0.2.2 80 {\n    alpha On\n  }\n}\n")
        #expect(r.errors.map(\.description) == ["\(path):4:11: alpha: expected on|off|true|false|yes|no, got 'On' (keepalived takes them in lower case only)"])
    }

    @Test func timesTakeSixDecimalsAtMost() {
        let r = check("virtual_server 192.0.2.1 80 {\n  protocol TCP\n  delay_loop 1.0000001\n}\n")
        #expect(r.errors.map(\.description) == ["\(path):3:14: delay_loop: number '1.0000001' has too many decimal places (at most 6: microseconds)"])
    }
}
