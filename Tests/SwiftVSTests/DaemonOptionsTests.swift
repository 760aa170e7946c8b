import ArgumentParser
import HealthCheck
import Director
import Testing
@testable import swiftvs

/// `swiftvs daemon` reads its options twice: plainly written, without ArgumentParser (and
/// swiftvs-healthd reads what it is handed the same way); anything else, with ArgumentParser,
/// which then hands the daemon `options.arguments`. Both routes must give the same options.
@Suite struct DaemonOptionsTests {
    static func viaArgumentParser(_ args: [String]) -> HealthDaemonOptions? {
        guard let command = try? SwiftVS.parseAsRoot(["daemon"] + args),
              let daemon = command as? HealthCheckDaemon else { return nil }
        return daemon.options
    }

    static let plain: [[String]] = [
        [],
        ["--config", "/etc/keepalived/keepalived.conf"],
        ["--config", "/c", "--state", "/s", "--control", "/run/x.sock", "--log-level", "debug", "--max-processes", "8"],
        ["--no-state", "--config", "/c"],
        ["--vip-mark", "192.0.2.100=80", "--vip-mark", "2001:db8::100=0x50", "--mark-backend", "nft"],
        ["--max-processes", "0"],
        ["--config-id", "d1", "--config", "/c"],
    ]

    @Test func plainOptionsReadAsArgumentParserReadsThem() throws {
        for args in Self.plain {
            let plain = HealthDaemonOptions(plain: args)
            #expect(plain != nil, "declined: \(args)")
            #expect(plain == Self.viaArgumentParser(args), "\(args)")
        }
    }

    @Test func theHandedOverArgumentsReadBackAsTheSameOptions() throws {
        let spelled: [[String]] = Self.plain + [
            ["--config=/c", "--state=/s"],
            ["--log-level=warning", "--no-state"],
            ["--max-processes=-1", "--config=-odd-name"],
        ]
        for args in spelled {
            let options = try #require(Self.viaArgumentParser(args), "\(args)")
            #expect(HealthDaemonOptions(plain: options.arguments, dashValues: true) == options, "\(args)")
        }
    }

    @Test func anythingElseIsLeftToArgumentParser() {
        for args: [String] in [
            ["--help"], ["-h"], ["--config=/c"], ["--config"], ["--config", "/a", "--config", "/b"],
            ["--no-state", "--no-state"], ["--log-level", "loud"], ["--max-processes", "many"],
            ["--config", "--state"], ["--bogus", "x"], ["extra"],
        ] {
            #expect(HealthDaemonOptions(plain: args) == nil, "\(args)")
        }
    }
}
