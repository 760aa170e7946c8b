import Foundation
import Testing
import IPVS
import IPVSRules
import RulesTestSupport

/// The rules fixtures (Tests/IPVSRulesTests/Fixtures) against the real kernel and the real
/// ipvsadm, in the VM with the other kernel suites (`Scripts/test --kernel-only -- LiveTests`).
/// Every fixture table is rebuilt with ipvsadm in a private network namespace, read back
/// through IPVSHandle, and rendered: the renderings must equal ipvsadm's, the parser's
/// table must equal what the kernel holds, and Plan's changes must move the kernel from
/// one table to another and back.
enum Live {
    static let namespace = "swvs-rules"

    @discardableResult
    static func run(_ argv: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let r = try TestProcess.run(argv)
        return (r.status, r.stdout, r.stderr)
    }

    /// `ipvsadm ARGS` in the test namespace; must succeed.
    static func ipvsadm(_ args: [String]) throws -> String {
        let r = try run(["/usr/sbin/ip", "netns", "exec", namespace, "/usr/sbin/ipvsadm"] + args)
        guard r.status == 0 else { throw FixtureError("ipvsadm \(args.joined(separator: " ")) failed: \(r.stderr)") }
        return r.stdout
    }

    /// The test namespace, made once (`set -e`: the first command that fails stops the script;
    /// the steps an earlier run may have done already carry `|| true`): nil when made, else
    /// the error of the command that makes it.
    private static let setUpFailure: String? = {
        let script = """
            set -e
            ip netns add \(namespace) 2>/dev/null || true
            ip -n \(namespace) link set lo up
            ip -n \(namespace) link add d0 type dummy 2>/dev/null || true
            ip -n \(namespace) link set d0 up multicast on
            ip -n \(namespace) addr add 192.0.2.1/24 dev d0 2>/dev/null || true
            ip -n \(namespace) addr add 198.51.100.1/24 dev d0 2>/dev/null || true
            ip -n \(namespace) addr add 203.0.113.1/24 dev d0 2>/dev/null || true
            ip -n \(namespace) -6 addr add 2001:db8::1/32 dev d0 nodad 2>/dev/null || true
            """
        do {
            try TestProcess.check(["/bin/sh", "-c", script])
            return nil
        } catch {
            return "set-up of network namespace \(namespace): \(error)"
        }
    }()

    /// Makes the test namespace (the first call); throws the set-up's error to every test that
    /// needs the namespace when it could not be made.
    static func setUp() throws {
        if let setUpFailure { throw SetupError(setUpFailure) }
    }

    /// Flushes the namespace's table and replays a fixture's commands with ipvsadm.
    static func load(_ fx: Fixture) throws {
        try setUp()
        _ = try ipvsadm(["-C"])
        _ = try ipvsadm(["--set", "900", "120", "300"])
        for line in try fx.text("commands").split(separator: "\n") where !line.isEmpty && !line.hasPrefix("#") {
            _ = try ipvsadm(line.split(separator: " ").map(String.init))
        }
    }
}

extension Kernel {
    @Suite("live: ipvsadm and the kernel")
    struct LiveTests {
        static let cases = Fixture.tables.filter { $0.name != "traffic" }

        @Test("renderings of the kernel's table equal ipvsadm's; the parser's table equals the kernel's", arguments: cases)
        func replay(_ fx: Fixture) throws {
            try Live.load(fx)
            let handle = try IPVSHandle(namespace: Live.namespace)
            let services = try handle.services()
            let info = try handle.info()

            expectSameText(SaveFormat.render(services, numeric: true), try Live.ipvsadm(["-Sn"]), "\(fx.name): -Sn")
            let views: [([String], ListOptions)] = [
                (["-Ln"], ListOptions(numeric: true)),
                (["-Ln", "--nosort"], ListOptions(numeric: true, sort: false)),
                (["-Ln", "--stats", "--exact"], ListOptions(numeric: true, stats: true, exact: true)),
                (["-Ln", "--rate"], ListOptions(numeric: true, rate: true)),
                (["-Ln", "--thresholds"], ListOptions(numeric: true, thresholds: true)),
                (["-Ln", "--persistent-conn"], ListOptions(numeric: true, persistentConnections: true)),
                (["-Ln", "--tun-info"], ListOptions(numeric: true, tunnelInfo: true)),
            ]
            for (args, options) in views {
                expectSameText(ListFormat.render(services, info: info, options: options), try Live.ipvsadm(args),
                               "\(fx.name): \(args.joined(separator: " "))")
            }
            expectSameText(ListFormat.timeouts(try handle.timeouts()), try Live.ipvsadm(["-L", "--timeout"]), "\(fx.name): --timeout")

            // What our parser says the commands do is what ipvsadm made the kernel do.
            let desired = try fx.commandTable()
            #expect(Plan.diff(current: services, desired: desired) == [], "\(fx.name): parser vs kernel")
            // And the kernel's table read back from ipvsadm-save -n is the same, up to what save loses.
            let saved = try RulesFile.parse(try Live.ipvsadm(["-Sn"]), fileName: "save", resolver: NumericResolver()).table()
            #expect(TableConfig(saved).services.keys.sorted() == TableConfig(services).services.keys.sorted())
        }

        @Test("Plan moves the kernel from one table to another, and its inverse moves it back",
              arguments: [("basic-v4", "persistence"), ("ipv6", "fwmark"), ("tunnels", "thresholds"),
                          ("empty", "names"), ("names", "empty"), ("edits", "basic-v4"), ("sched-flags", "ipv6")])
        func plan(_ from: String, _ to: String) throws {
            try Live.load(Fixture.named(from))
            let handle = try IPVSHandle(namespace: Live.namespace)
            let before = try handle.services()
            let target = try Fixture.named(to).commandTable()

            let changes = Plan.diff(current: before, desired: target)
            let result = try handle.apply(changes)
            #expect(result.succeeded, "\(from) -> \(to): \(result.failures)")
            let after = try handle.services()
            #expect(Plan.diff(current: after, desired: target) == [], "\(from) -> \(to)")
            // Services both tables share with equal configuration kept their identity: the
            // changes never touch them.
            for e in before where target.contains(where: { $0.service == e.service }) {
                #expect(!changes.contains(.deleteService(e.service.key)) && !changes.contains(.editService(e.service)))
            }

            let undo = Plan.inverse(of: Plan.applied(changes, result: result), before: before)
            let back = try handle.apply(undo)
            #expect(back.succeeded, "\(to) -> \(from): \(back.failures)")
            #expect(Plan.diff(current: try handle.services(), desired: before) == [], "undo \(from) -> \(to)")
        }

        @Test("ipvsadm -L --daemon")
        func daemons() throws {
            try Live.setUp()
            _ = try Live.ipvsadm(["-C"])
            let handle = try IPVSHandle(namespace: Live.namespace)
            defer {
                // Sync daemons left running would outlive the table's flush into the next test.
                for role in ["master", "backup"] {
                    do {
                        _ = try Live.ipvsadm(["--stop-daemon", role])
                    } catch {
                        Issue.record(error, "clean-up: stopping the \(role) sync daemon")
                    }
                }
            }
            for line in try Fixture.named("daemon").text("commands").split(separator: "\n") {
                _ = try Live.ipvsadm(line.split(separator: " ").map(String.init))
            }
            expectSameText(ListFormat.daemons(try handle.syncDaemons()), try Live.ipvsadm(["-L", "--daemon"]), "--daemon")
        }
    }
}
