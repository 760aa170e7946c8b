import Synchronization
import Testing
import IPVS
@testable import HealthCheck

private func config(_ text: String) throws -> DaemonConfig {
    try ConfigParser.parse(text: text, fileSystem: InMemoryFileSystem(files: [:], executables: ["/bin/true"]))
}

private let ok = CheckResult.ok()
private let fail = CheckResult.failed(.connectFailed(errno: .connectionRefused, message: "Connection refused"))
private func id(_ r: Int, _ c: Int = 0, vs: Int = 0) -> CheckerID { CheckerID(virtualServer: vs, realServer: r, checker: c) }
private let rs1 = DestinationKey(address: .v4(192, 0, 2, 11), port: 80)
private let rs2 = DestinationKey(address: .v4(192, 0, 2, 12), port: 80)
private let rs3 = DestinationKey(address: .v4(192, 0, 2, 13), port: 80)
private let svc = ServiceKey.address(.tcp, .v4(192, 0, 2, 1), port: 80)

private func pool(_ vsExtra: String = "", rsExtra: String = "", checker: String = "TCP_CHECK {\n}", weights: [Int] = [1, 1, 1]) throws -> DaemonConfig {
    let reals = weights.enumerated().map { i, w in
        "  real_server 192.0.2.1\(i + 1) 80 {\n    weight \(w)\n    \(rsExtra)\n    \(checker)\n  }"
    }.joined(separator: "\n")
    return try config("virtual_server 192.0.2.1 80 {\n  protocol TCP\n  delay_loop 10\n\(vsExtra)\n\(reals)\n}\n")
}

private func keys(_ m: HealthStateMachine) -> [DestinationKey] { m.desiredDestinations(virtualServer: 0).map(\.key) }
private func kinds(_ e: [HealthEvent]) -> [HealthEvent.Kind] { e.map(\.kind) }

@Suite("health state machine")
struct StateMachineTests {
    @Test func retryCountingThenDownThenUpOnFirstSuccess() throws {
        var m = HealthStateMachine(config: try pool("retry 2\ndelay_before_retry 0.5"))
        #expect(m.start().isEmpty)
        #expect(keys(m) == [rs1, rs2, rs3])
        // Two failures are retries, delay_before_retry apart; nothing changes yet.
        var r = m.record(id(0), fail)
        #expect(r.next == .milliseconds(500) && r.events.isEmpty)
        r = m.record(id(0), fail)
        #expect(r.next == .milliseconds(500) && r.events.isEmpty)
        #expect(m.isAlive(virtualServer: 0, realServer: 0))
        // The third (retry + 1) takes it down.
        r = m.record(id(0), fail)
        #expect(r.next == .seconds(10))
        #expect(kinds(r.events) == [.checkerDown, .realServerDown])
        #expect(r.events[1].reason == "TCP_CHECK connect failed: Connection refused")
        #expect(keys(m) == [rs2, rs3])
        // While down, failures are not retried.
        r = m.record(id(0), fail)
        #expect(r.next == .seconds(10) && r.events.isEmpty)
        // One success brings it back.
        r = m.record(id(0), ok)
        #expect(kinds(r.events) == [.checkerUp, .realServerUp])
        #expect(keys(m) == [rs1, rs2, rs3])
        // A success in the middle of retries resets the count.
        _ = m.record(id(0), fail)
        _ = m.record(id(0), fail)
        _ = m.record(id(0), ok)
        _ = m.record(id(0), fail)
        _ = m.record(id(0), fail)
        #expect(m.isAlive(virtualServer: 0, realServer: 0))
    }

    @Test func allCheckersMustBeUp() throws {
        var m = HealthStateMachine(config: try pool(checker: "TCP_CHECK {\nretry 0\n}\nPING_CHECK {\nretry 0\n}", weights: [1, 1]))
        _ = m.start()
        #expect(kinds(m.record(id(0, 1), fail).events) == [.checkerDown, .realServerDown])
        #expect(kinds(m.record(id(0, 0), fail).events) == [.checkerDown])
        #expect(kinds(m.record(id(0, 1), ok).events) == [.checkerUp])
        #expect(!m.isAlive(virtualServer: 0, realServer: 0))
        #expect(kinds(m.record(id(0, 0), ok).events) == [.checkerUp, .realServerUp])
    }

    @Test func notifyScriptsRideOnTheEvents() throws {
        var m = HealthStateMachine(config: try pool(rsExtra: "notify_up /bin/true\nnotify_down \"/bin/true down\"", checker: "TCP_CHECK {\nretry 0\n}", weights: [1, 1]))
        _ = m.start()
        let down = m.record(id(0), fail).events
        #expect(down.last?.script?.command == .exec(["/bin/true", "down"]))
        let up = m.record(id(0), ok).events
        #expect(up.last?.script?.command == .exec(["/bin/true"]))
    }

    @Test func inhibitOnFailureKeepsTheServerWithWeightZero() throws {
        var m = HealthStateMachine(config: try pool("inhibit_on_failure", checker: "TCP_CHECK {\nretry 0\n}", weights: [5, 1]))
        _ = m.start()
        _ = m.record(id(0), fail)
        let d = m.desiredDestinations(virtualServer: 0)
        #expect(d.map(\.key) == [rs1, rs2])
        #expect(d.map(\.weight) == [0, 1])
        _ = m.record(id(0), ok)
        #expect(m.desiredDestinations(virtualServer: 0).map(\.weight) == [5, 1])
    }

    @Test func miscDynamicSetsTheWeight() throws {
        var m = HealthStateMachine(config: try pool(checker: "MISC_CHECK {\nmisc_path /bin/true\nmisc_dynamic\n}", weights: [1, 1]))
        _ = m.start()
        var r = m.record(id(0), .ok(weight: 10))
        #expect(kinds(r.events) == [.weightChanged(from: 1, to: 10)])
        #expect(m.desiredDestinations(virtualServer: 0).map(\.weight) == [10, 1])
        r = m.record(id(0), .ok(weight: 10))
        #expect(r.events.isEmpty)
        r = m.record(id(0), .ok())  // exit 0 leaves the weight as it is
        #expect(r.events.isEmpty && m.weight(virtualServer: 0, realServer: 0) == 10)
        r = m.record(id(0), .ok(weight: 0))
        #expect(kinds(r.events) == [.weightChanged(from: 10, to: 0)])
        #expect(m.desiredDestinations(virtualServer: 0).map(\.weight) == [0, 1])
        #expect(m.liveWeight(virtualServer: 0) == 1)
    }

    @Test func quorumWithHysteresisAndSorryServer() throws {
        let c = try pool("quorum 3\nhysteresis 1\nquorum_up /bin/true\nquorum_down \"/bin/true lost\"\nsorry_server 192.0.2.99 80",
                         checker: "TCP_CHECK {\nretry 0\n}", weights: [2, 2, 2])
        var m = HealthStateMachine(config: c)
        #expect(m.start().isEmpty)
        #expect(m.hasQuorum(virtualServer: 0))
        // 6 → 4 → 2: lost only below quorum - hysteresis = 2.
        #expect(kinds(m.record(id(0), fail).events) == [.checkerDown, .realServerDown])
        #expect(kinds(m.record(id(1), fail).events) == [.checkerDown, .realServerDown])
        #expect(m.hasQuorum(virtualServer: 0))
        let lost = m.record(id(2), fail).events
        #expect(kinds(lost) == [.checkerDown, .realServerDown, .quorumLost(weight: 0), .sorryServerIn])
        #expect(lost[2].script?.command == .exec(["/bin/true", "lost"]))
        #expect(m.desiredTable == [svc: [Destination(address: .v4(192, 0, 2, 99), port: 80, forwarding: .masquerade)]])
        // 0 → 2 → 4: regained only at quorum + hysteresis = 4; the sorry server stays until then
        // and the live real servers stay out while it is in.
        #expect(kinds(m.record(id(0), ok).events) == [.checkerUp, .realServerUp])
        #expect(!m.hasQuorum(virtualServer: 0))
        #expect(keys(m) == [DestinationKey(address: .v4(192, 0, 2, 99), port: 80)])
        let back = m.record(id(1), ok).events
        #expect(kinds(back) == [.checkerUp, .realServerUp, .quorumGained(weight: 4), .sorryServerOut])
        #expect(back[2].script?.command == .exec(["/bin/true"]))
        #expect(keys(m) == [rs1, rs2])
        // 4 → 2: still ≥ quorum − hysteresis, no flap.
        _ = m.record(id(1), fail)
        #expect(m.hasQuorum(virtualServer: 0))
    }

    @Test func sorryServerInhibit() throws {
        var m = HealthStateMachine(config: try pool("sorry_server 192.0.2.99 80\nsorry_server_inhibit", checker: "TCP_CHECK {\nretry 0\n}", weights: [1]))
        _ = m.start()
        let sorry = DestinationKey(address: .v4(192, 0, 2, 99), port: 80)
        #expect(m.desiredDestinations(virtualServer: 0).map { [$0.key: $0.weight] } == [[rs1: 1], [sorry: 0]])
        _ = m.record(id(0), fail)
        #expect(m.desiredDestinations(virtualServer: 0).map { [$0.key: $0.weight] } == [[sorry: 1]])
    }

    @Test func alphaStartsDownUntilFirstSuccess() throws {
        var m = HealthStateMachine(config: try pool("alpha\nsorry_server 192.0.2.99 80", checker: "TCP_CHECK {\n}\nPING_CHECK {\n}", weights: [1, 1]))
        let startup = m.start()
        #expect(kinds(startup) == [.quorumLost(weight: 0), .sorryServerIn])
        #expect(keys(m) == [DestinationKey(address: .v4(192, 0, 2, 99), port: 80)])
        #expect(!m.isAlive(virtualServer: 0, realServer: 0))
        // Failing while already down: no retries, no events.
        let r = m.record(id(0, 0), fail)
        #expect(r.events.isEmpty && r.next == .seconds(10))
        #expect(kinds(m.record(id(0, 0), ok).events) == [.checkerUp])
        #expect(kinds(m.record(id(0, 1), ok).events) == [.checkerUp, .realServerUp, .quorumGained(weight: 1), .sorryServerOut])
        #expect(keys(m) == [rs1])
    }

    @Test func realServerWithoutEnabledCheckersIsAlwaysUp() throws {
        let c = try config("""
        virtual_server fwmark 80 {
          alpha
          real_server 192.0.2.11 {
            MISC_CHECK {
              misc_path '"/usr/bin/ping -c 3"'
            }
          }
          real_server 192.0.2.12 {
          }
        }
        """)
        var m = HealthStateMachine(config: c)
        #expect(m.checkerIDs.isEmpty)
        #expect(m.start().isEmpty)
        #expect(m.desiredTable == [.fwmark(80, family: .inet): [
            Destination(address: .v4(192, 0, 2, 11), forwarding: .masquerade),
            Destination(address: .v4(192, 0, 2, 12), forwarding: .masquerade),
        ]])
    }

    @Test func omegaReportsShutdown() throws {
        var m = HealthStateMachine(config: try pool("omega\nquorum_down /bin/true", rsExtra: "notify_down /bin/true", weights: [1, 1]))
        _ = m.start()
        let e = m.shutdown()
        #expect(kinds(e) == [.realServerDown, .realServerDown, .quorumLost(weight: 0)])
        #expect(e.allSatisfy { $0.script != nil })
        var quiet = HealthStateMachine(config: try pool(weights: [1]))
        _ = quiet.start()
        #expect(quiet.shutdown().isEmpty)
    }

    @Test func groupServicesShareDestinations() throws {
        let c = try config("""
        virtual_server_group g {
          192.0.2.1 80
          fwmark 5
        }
        virtual_server group g {
          protocol TCP
          lb_kind DR
          real_server 192.0.2.11 80 {
          }
        }
        """)
        let m = HealthStateMachine(config: c)
        let d = [Destination(address: .v4(192, 0, 2, 11), port: 80, forwarding: .directRouting)]
        #expect(m.desiredTable == [svc: d, .fwmark(5, family: .inet): d])
    }
}
