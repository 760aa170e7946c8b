#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CLinux
import IPVS
import IPVSRules
import Testing
@testable import swiftvs

/// QuickCommand must never answer differently from ArgumentParser: it declines (nil) or gives
/// the action and namespace the subcommand itself would.
@Suite struct QuickCommandTests {
    /// The ArgumentParser route: the table command's action and namespace, nil if refused.
    static func viaArgumentParser(_ args: [String]) -> QuickCommand.Parsed? {
        guard let command = try? SwiftVS.parseAsRoot(normalizedArguments(args)),
              let table = command as? any TableCommand,
              let action = try? table.action() else { return nil }
        return QuickCommand.Parsed(action: action, namespace: table.common.namespace)
    }

    static let plain: [[String]] = [
        ["add-service", "-t", "192.0.2.100:80"],
        ["add-service", "-t", "192.0.2.100:80", "-s", "lc", "-p", "600"],
        ["add-service", "-f", "80", "-s", "lc"],
        ["add-service", "-f", "80", "-6", "-s", "sh", "-b", "sh-port", "-p", "60", "-M", "64"],
        ["add-service", "-u", "[2001:db8::10]:53", "-s", "wrr", "-o"],
        ["add-service", "--sctp-service", "192.0.2.100:5060", "-s", "rr", "--pe", "sip", "-p", "30"],
        ["add-service", "-t", "192.0.2.100:443", "-s", "wlc", "-p", "360", "-M", "255.255.255.0", "--netns", "blue"],
        ["edit-service", "--tcp-service", "192.0.2.100:80", "--scheduler", "rr"],
        ["add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-g", "-w", "2"],
        ["add-server", "-f", "80", "-r", "192.0.2.11", "-g", "-w", "1", "--netns", "blue"],
        ["add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11:8080", "-m", "-w", "0", "-x", "100", "-y", "10"],
        ["add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-i", "--tun-type", "gue", "--tun-port", "6080", "--tun-csum"],
        ["add-server", "-u", "[2001:db8::10]:53", "-r", "[2001:db8::11]:53", "--masquerading", "--weight", "3"],
        ["edit-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-w", "5"],
        ["delete-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11"],
        ["delete-server", "--fwmark-service", "80", "--real-server", "192.0.2.11:0"],
        ["zero", "-t", "192.0.2.100:80"],
        ["zero", "-f", "80", "-6", "--netns", "blue"],
        ["zero", "--udp-service", "[2001:db8::10]:53"],
        ["zero"],
    ]

    @Test func plainCommandsTakeTheQuickRouteWithArgumentParsersAnswer() {
        for args in Self.plain {
            let quick = QuickCommand.parse(args)
            #expect(quick != nil, "declined: \(args)")
            #expect(quick == Self.viaArgumentParser(args), "\(args)")
        }
    }

    @Test func theRestIsLeftToArgumentParser() {
        for args in [["add-service", "-t", "192.0.2.100:80", "--vip", "192.0.2.100"],   // mark rule: its own run()
                     ["add-service", "--help"], ["delete-service", "-t", "192.0.2.100:80"], ["list"],
                     ["add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-w5"],
                     ["add-server", "--tcp-service=192.0.2.100:80", "-r", "192.0.2.11"],
                     ["add-server", "-t", "192.0.2.100:80", "-r", "192.0.2.11", "-w", "70000"],   // its error message
                     ["add-service", "-t", "192.0.2.100:80", "-p"]] {
            #expect(QuickCommand.parse(args) == nil, "\(args)")
        }
    }

    /// Each plain command and its variations: a word dropped, doubled or swapped with the
    /// next, a value replaced, options spelled long or with `=`.
    @Test func quickRouteNeverDisagreesWithArgumentParser() async {
        var tried = 0, answered = 0
        for args in Self.plain {
            let variants = [args] + Self.variations(
                of: args, joining: "-",
                replacing: ["", "-", "-1", "0", "65536", "x", "--", "-h", "-6", "-g", "192.0.2.12", "[2001:db8::12]:80",
                            "--netns", "red", "-p", "360", "--vip"])
            for v in variants {
                // A thousand ArgumentParser runs: let other suites' tasks (test servers with
                // timeouts) have the cooperative threads between them.
                await Task.yield()
                tried += 1
                guard let quick = QuickCommand.parse(v) else { continue }
                answered += 1
                #expect(quick == Self.viaArgumentParser(v), "\(v)")
            }
        }
        #expect(tried > 500)
        #expect(answered > 100)
    }

    /// A command line's variations: after the subcommand, each word dropped, doubled, swapped
    /// with the next, replaced by each of `replacing`, and (if it starts with `joining`)
    /// joined to the next word with `=`.
    static func variations(of args: [String], joining prefix: String, replacing: [String] = []) -> [[String]] {
        var variants: [[String]] = []
        for i in 1..<args.count {
            var dropped = args; dropped.remove(at: i); variants.append(dropped)
            var doubled = args; doubled.insert(args[i], at: i); variants.append(doubled)
            if i + 1 < args.count { var swapped = args; swapped.swapAt(i, i + 1); variants.append(swapped) }
            for v in replacing { var r = args; r[i] = v; variants.append(r) }
            if i + 1 < args.count, args[i].hasPrefix(prefix) {
                var joined = args; joined[i] += "=" + args[i + 1]; joined.remove(at: i + 1); variants.append(joined)
            }
        }
        return variants
    }

    /// The ArgumentParser route for restore: the request, nil if refused.
    static func restoreViaArgumentParser(_ args: [String]) -> RestoreRequest? {
        (try? SwiftVS.parseAsRoot(normalizedArguments(args)) as? Restore)?.request
    }

    /// The ArgumentParser route for save: the request, nil if refused.
    static func saveViaArgumentParser(_ args: [String]) -> SaveRequest? {
        (try? SwiftVS.parseAsRoot(normalizedArguments(args)) as? Save)?.request
    }

    /// Plain lines and every variation of them (a word dropped, doubled or swapped with the
    /// next, `=` forms, a stray word or option): the quick route answers as ArgumentParser
    /// would, or declines. Returns how many variants were tried and answered.
    static func quickRouteAgrees<R: Equatable>(_ plain: [[String]], quick: ([String]) -> R?,
                                               argumentParser: ([String]) -> R?) -> (tried: Int, answered: Int) {
        for args in plain {
            let q = quick(args)
            #expect(q != nil, "declined: \(args)")
            #expect(q == argumentParser(args), "\(args)")
        }
        var tried = 0, answered = 0
        for args in plain {
            let variants = Self.variations(of: args, joining: "--")
                + [args + ["--flush", "--append"], args + ["--help"], args + ["-x"], args + ["other"], args + ["--"]]
            for v in variants {
                tried += 1
                guard let q = quick(v) else { continue }
                answered += 1
                #expect(q == argumentParser(v), "\(v)")
            }
        }
        return (tried, answered)
    }

    @Test func restoreQuickRouteNeverDisagreesWithArgumentParser() {
        let plain: [[String]] = [
            ["restore"], ["restore", "rules"], ["restore", "-"], ["restore", "-n", "rules"],
            ["restore", "--flush", "rules"], ["restore", "--append", "--numeric", "-"],
            ["restore", "--dry-run", "rules", "--netns", "blue"], ["restore", "--mark-backend", "nft", "rules"],
            ["restore", "rules", "--flush", "--dry-run", "-n", "--netns", "blue", "--mark-backend", "iptables"],
        ]
        let (tried, answered) = Self.quickRouteAgrees(plain, quick: QuickCommand.restore, argumentParser: Self.restoreViaArgumentParser)
        #expect(tried > 80)
        #expect(answered > 25)
        for args in [["restore", "--flush", "--append", "r"], ["restore", "--help"], ["restore", "a", "b"],
                     ["restore", "--netns=blue"], ["restore", "-nx"], ["list"]] {
            #expect(QuickCommand.restore(args) == nil, "\(args)")
        }
    }

    @Test func saveQuickRouteNeverDisagreesWithArgumentParser() {
        let plain: [[String]] = [
            ["save"], ["save", "-n"], ["save", "--numeric"], ["save", "--with-marks"], ["save", "--netns", "blue", "-n"],
            ["save", "-n", "--with-marks", "--mark-backend", "nft", "--netns", "blue"],
        ]
        let (tried, answered) = Self.quickRouteAgrees(plain, quick: QuickCommand.save, argumentParser: Self.saveViaArgumentParser)
        #expect(tried > 40)
        #expect(answered > 5)   // few words: most variants are refused by both routes
        for args in [["save", "file"], ["save", "--help"], ["save", "-n", "-n"], ["save", "-n", "--numeric"],
                     ["save", "--netns=blue"], ["save", "-nx"], ["save", "--netns"], ["restore"], ["list"]] {
            #expect(QuickCommand.save(args) == nil, "\(args)")
        }
    }
}

/// `list -c` through QuickCommand and through ArgumentParser: the same request, or declined.
@Suite struct QuickConnectionListTests {
    static func viaArgumentParser(_ args: [String]) -> ConnectionListRequest? {
        guard let list = (try? SwiftVS.parseAsRoot(args)) as? List, list.connection else { return nil }
        return list.connectionRequest
    }

    static let plain: [[String]] = [
        ["list", "-c"],
        ["list", "-c", "-n"],
        ["list", "--connection", "--numeric", "--persistent-conn", "--exact"],
        ["list", "-n", "-c", "--json"],
        ["list", "-c", "--summary", "--json", "--netns", "blue"],
        ["list", "-c", "-t", "192.0.2.100:80", "--state", "ESTABLISHED"],
        ["list", "-c", "-f", "80", "-6", "--server", "[2001:db8::11]:80"],
        ["list", "-c", "--sctp-service", "192.0.2.100:5672", "--nosort"],
        ["list", "-c", "-u", "192.0.2.100:53", "--server", "198.51.100.11"],
    ]

    @Test func plainListsTakeTheQuickRouteWithArgumentParsersAnswer() {
        for args in Self.plain {
            let quick = QuickCommand.connections(args)
            #expect(quick != nil, "declined: \(args)")
            #expect(quick == Self.viaArgumentParser(args), "\(args)")
        }
    }

    @Test func anythingElseIsLeftToArgumentParser() {
        for args in [["list"], ["list", "-n"], ["list", "-cn"], ["list", "-c", "--stats"], ["list", "-c", "-c"],
                     ["list", "-c", "-t", "192.0.2.100:80", "-u", "192.0.2.100:53"], ["list", "-c", "-6"],
                     ["list", "-c", "--sort", "--nosort"], ["list", "-c", "--help"], ["list", "-c", "--state"]] {
            #expect(QuickCommand.connections(args) == nil, "\(args)")
        }
    }
}

/// `list -c` with flags only, read from the C argument vector (`ConnectionArguments`): the request
/// `QuickCommand.connections` and ArgumentParser give for the same words, or declined.
@Suite struct ConnectionArgumentsTests {
    /// `ConnectionArguments.request` over `program` and `args` as a C argument vector.
    static func request(_ args: [String], program: String = "/usr/sbin/swiftvs") -> ConnectionListRequest? {
        let words = ([program] + args).map { strdup($0) }
        defer { words.forEach { free($0) } }
        var argv = words + [nil]
        return argv.withUnsafeMutableBufferPointer {
            ConnectionArguments.request(argc: Int32(words.count), argv: $0.baseAddress!)
        }
    }

    static let flags = ["-c", "--connection", "-n", "--numeric", "--persistent-conn", "--exact", "--json", "--summary",
                        "--sort", "--nosort"]

    @Test func flagsOnlyGiveWhatTheOtherRoutesGive() {
        for args in [["list", "-c"], ["list", "-c", "-n"], ["list", "-n", "-c"], ["list", "--connection", "--numeric"],
                     ["list", "-c", "-n", "--persistent-conn", "--exact", "--sort"], ["list", "-c", "--json", "--summary", "--nosort"]] {
            let lean = Self.request(args)
            #expect(lean != nil, "declined: \(args)")
            #expect(lean == QuickCommand.connections(args), "\(args)")
            #expect(lean == QuickConnectionListTests.viaArgumentParser(args), "\(args)")
        }
        #expect(Self.request(["list", "-c", "-n", "--persistent-conn", "--json"])
                == ConnectionListRequest(scope: ListScope(numeric: true), persistentConnections: true, json: true))
    }

    /// Every list of one or two flags after `list`: where the lean route answers, the others agree.
    @Test func neverDisagreesWithTheOtherRoutes() {
        var answered = 0
        for a in Self.flags {
            for b in [nil] + Self.flags {
                let args = ["list", a] + (b.map { [$0] } ?? [])
                guard let lean = Self.request(args) else { continue }
                answered += 1
                #expect(lean == QuickCommand.connections(args), "\(args)")
                #expect(lean == QuickConnectionListTests.viaArgumentParser(args), "\(args)")
            }
        }
        // -c or --connection alone (2), or with one of the eight other spellings, either order.
        #expect(answered == 2 + 2 * (2 * 8))
    }

    @Test func anythingElseIsLeftToTheOtherRoutes() {
        for args in [["list"], ["list", "-n"], ["list", "-cn"], ["list", "-c", "-c"], ["list", "-c", "--connection"],
                     ["list", "-c", "-n", "--numeric"], ["list", "-c", "--sort", "--nosort"], ["list", "-c", "--stats"],
                     ["list", "-c", "--netns", "blue"], ["list", "-c", "-t", "192.0.2.100:80"], ["list", "-c", "--help"],
                     ["list", "-c", "--state", "UDP"], ["list", "-c", "-"], ["list", "-c", ""], ["list", "-c", "-nx"],
                     ["lis", "-c"], ["listx", "-c"], ["save", "-c"], ["-c", "list"]] {
            #expect(Self.request(args) == nil, "\(args)")
        }
        // ipvsadm's names take ipvsadm's command line, even with these words.
        for program in ["ipvsadm", "/sbin/ipvsadm", "ipvsadm-save", "/usr/sbin/ipvsadm-restore"] {
            #expect(Self.request(["list", "-c"], program: program) == nil, "\(program)")
        }
        #expect(Self.request(["list", "-c"], program: "swiftvs") != nil)
        #expect(Self.request(["list", "-c"], program: "/opt/ipvsadm/bin/swiftvs") != nil)
    }

    /// What `Entry.main` reads the words from: the vector glibc handed the constructors
    /// (CLinux's arguments.c), which must be the process's own arguments.
    @Test func theConstructorsArgumentVectorIsTheProcesss() throws {
        var argc: Int32 = 0
        let argv = try #require(swiftvs_arguments(&argc))
        #expect(argc == CommandLine.argc)
        #expect((0..<Int(argc)).map { String(cString: argv[$0]!) } == CommandLine.arguments)
        #expect(argv[Int(argc)] == nil)
    }
}
