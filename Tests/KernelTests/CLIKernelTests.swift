import Foundation
import Testing
import IPVS

/// The ipvsadm command lines of the rules fixtures (Tests/IPVSRulesTests/Fixtures/*/commands):
/// a matrix of tables with every flag, v4 and v6, every forwarding method and tunnel option.
struct CommandTable: CustomStringConvertible, Sendable {
    let name: String
    let lines: [[String]]
    var description: String { name }

    static let all: [CommandTable] = {
        let dir = packageRoot.appendingPathComponent("Tests/IPVSRulesTests/Fixtures")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().compactMap { name in
            let file = dir.appendingPathComponent(name).appendingPathComponent("commands")
            guard name != "daemon", let text = try? String(contentsOf: file, encoding: .utf8) else { return nil }
            let lines = text.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { !$0.isEmpty }
            return CommandTable(name: name, lines: lines)
        }
    }()

    /// The same command as a swiftvs subcommand: `-A …` is `add-service …`, and so on.
    static func subcommand(_ line: [String]) -> [String] {
        let rest = Array(line.dropFirst())
        switch line[0] {
        case "-A": return ["add-service"] + rest
        case "-E": return ["edit-service"] + rest
        case "-D": return ["delete-service"] + rest
        case "-a": return ["add-server"] + rest
        case "-e": return ["edit-server"] + rest
        case "-d": return ["delete-server"] + rest
        case "-C": return ["clear"]
        case "-Z": return ["zero"] + rest
        case "--set": return ["set-timeouts"] + rest
        default: return line
        }
    }
}

extension Kernel {
    /// The CLI and ipvsadm side by side in the same VM, over a matrix of tables.
    @Suite("swiftvs CLI against ipvsadm")
    struct CLIKernelTests {
        @Test func matrixIsThere() {
            #expect(CommandTable.all.count >= 8, "fixtures: \(CommandTable.all.map(\.name))")
        }

        /// Built by ipvsadm: `swiftvs save` is byte for byte `ipvsadm-save`, with and without -n,
        /// and `swiftvs list` is `ipvsadm -L` for the default, -n and --stats --exact views.
        @Test(arguments: CommandTable.all)
        func saveAndListMatchIpvsadm(_ table: CommandTable) throws {
            _ = try freshTable()
            for line in table.lines {
                let r = try run(["/usr/sbin/ipvsadm"] + line)
                #expect(r.status == 0, "ipvsadm \(line.joined(separator: " ")): \(r.stderr)")
            }
            for args in [[], ["-n"]] {
                let theirs = try run(["/usr/sbin/ipvsadm-save"] + args)
                let ours = try swiftvs(["save"] + args)
                #expect(ours.status == 0, "\(ours.stderr)")
                #expect(ours.stdout == theirs.stdout, "save \(args) of \(table.name)")
            }
            for args in [["-n"], ["-n", "--stats", "--exact"], ["-n", "--thresholds"], ["-n", "--persistent-conn"]] {
                let theirs = try run(["/usr/sbin/ipvsadm", "-L"] + args)
                let ours = try swiftvs(["list"] + args)
                #expect(ours.stdout == theirs.stdout, "list \(args) of \(table.name)")
            }
        }

        /// The same commands through swiftvs's subcommands build the same table.
        @Test(arguments: CommandTable.all)
        func subcommandsBuildWhatIpvsadmBuilds(_ table: CommandTable) throws {
            _ = try freshTable()
            for line in table.lines { try run(["/usr/sbin/ipvsadm"] + line) }
            let reference = try ipvsadmSave()
            _ = try freshTable()
            for line in table.lines {
                let r = try swiftvs(CommandTable.subcommand(line))
                #expect(r.status == 0, "swiftvs \(CommandTable.subcommand(line).joined(separator: " ")): \(r.stderr)")
            }
            #expect(try ipvsadmSave() == reference)
        }

        /// Each tool restores the other's dump. ipvsadm-restore is the reference: `swiftvs restore`
        /// of an ipvsadm-save dump leaves the kernel exactly as ipvsadm-restore of the same dump
        /// does, and ipvsadm-restore of `swiftvs save -n` exactly as of `ipvsadm-save -n`.
        /// Where ipvsadm cannot reproduce its own dump (its sort depends on insertion order for
        /// IPv6 addresses; it writes `-b ` for a flag it has no name for, and fwmarks of 2^31 and
        /// up as negative numbers, then refuses both), swiftvs must still restore the same table.
        @Test(arguments: CommandTable.all)
        func restoresInteroperate(_ table: CommandTable) throws {
            func restored(by tool: [String], _ dump: String) throws -> String {
                _ = try freshTable()
                _ = try run(tool, input: dump)
                return try ipvsadmSave()
            }
            func lines(_ s: String) -> [Substring] { s.split(separator: "\n").sorted() }

            _ = try freshTable()
            for line in table.lines { try run(["/usr/sbin/ipvsadm"] + line) }
            let dumpN = try ipvsadmSave()
            let dumpNames = try run(["/usr/sbin/ipvsadm-save"]).stdout
            let ourSave = try swiftvs(["save", "-n"]).stdout
            #expect(ourSave == dumpN)

            for (dump, label) in [(dumpN, "-n"), (dumpNames, "names")] {
                let theirs = try restored(by: ["/usr/sbin/ipvsadm-restore"], dump)
                let ours = try restored(by: [swiftvsBinary, "restore"], dump)
                #expect(lines(ours) == lines(dumpN), "swiftvs restore of ipvsadm-save \(label), \(table.name): not the same table")
                if lines(theirs) == lines(dumpN) {
                    #expect(ours == theirs, "swiftvs restore vs ipvsadm-restore of ipvsadm-save \(label), \(table.name)")
                }
            }
            let reference = try restored(by: ["/usr/sbin/ipvsadm-restore"], dumpN)
            #expect(try restored(by: ["/usr/sbin/ipvsadm-restore"], ourSave) == reference,
                    "ipvsadm-restore of swiftvs save -n, \(table.name)")
        }

        @Test func restoreModes() throws {
            _ = try freshTable()
            let a = """
                -A -t 192.0.2.100:80 -s rr
                -a -t 192.0.2.100:80 -r 192.0.2.11:80 -g -w 1

                """
            let b = """
                -A -f 80 -s lc
                -a -f 80 -r 192.0.2.12:0 -g -w 2

                """
            #expect(try swiftvs(["restore"], input: a).status == 0)
            // --append adds to what is there, like ipvsadm -R.
            #expect(try swiftvs(["restore", "--append"], input: b).status == 0)
            #expect(Set(try ipvsadmSave().split(separator: "\n")) == Set((a + b).split(separator: "\n")))
            // --append of something that exists is refused before anything is sent.
            let again = try swiftvs(["restore", "--append"], input: b)
            #expect(again.status == 2)
            #expect(again.stderr.contains("<stdin>:1:"), "\(again.stderr)")
            // The default makes the table equal to the file.
            #expect(try swiftvs(["restore"], input: b).status == 0)
            #expect(try ipvsadmSave() == b)
            // --flush clears first (ipvsadm-restore), also with the same content.
            #expect(try swiftvs(["restore", "--flush"], input: a).status == 0)
            #expect(try ipvsadmSave() == a)
            // --dry-run prints the plan and touches nothing.
            let dry = try swiftvs(["restore", "--dry-run"], input: b)
            #expect(dry.status == 0)
            #expect(dry.stdout.contains("-D -t 192.0.2.100:80"), "\(dry.stdout)")
            #expect(dry.stdout.contains("-A -f 80 -s lc   # <stdin>:1"), "\(dry.stdout)")
            #expect(try ipvsadmSave() == a)
        }

        /// A one-destination change to a large table touches only that destination: the
        /// other services keep their counters (and the changed one its own).
        @Test func restoreAppliesOnlyTheDifference() async throws {
            let ipvs = try freshTable()
            var file = ""
            for s in 0..<300 {
                file += "-A -u 192.0.2.210:\(1000 + s) -s rr\n"
                for d in 1...3 { file += "-a -u 192.0.2.210:\(1000 + s) -r 192.0.2.\(10 + d):\(1000 + s) -g -w 1\n" }
            }
            #expect(try swiftvs(["restore"], input: file).status == 0)
            let client = try ClientNamespace(tag: "diff")
            try sh("ip addr add 192.0.2.210/32 dev lo")
            defer { client.remove(); try? sh("ip addr del 192.0.2.210/32 dev lo") }
            for port in [1000, 1150, 1299] { try client.sendUDP(to: "192.0.2.210", port: UInt16(port), count: 6) }
            let watched = [1000, 1150, 1299].map { ServiceKey.address(.udp, IPAddress("192.0.2.210")!, port: UInt16($0)) }
            #expect(try await eventually { try watched.allSatisfy { try ipvs.service($0).stats.connections >= 6 } })

            let changed = file.replacingOccurrences(of: "-a -u 192.0.2.210:1150 -r 192.0.2.12:1150 -g -w 1",
                                                    with: "-a -u 192.0.2.210:1150 -r 192.0.2.12:1150 -g -w 5")
            let dry = try swiftvs(["restore", "--dry-run"], input: changed)
            #expect(dry.stdout == "-e -u 192.0.2.210:1150 -r 192.0.2.12:1150 -g -w 5   # <stdin>:603\n")
            #expect(try swiftvs(["restore"], input: changed).status == 0)
            for key in watched { #expect(try ipvs.service(key).stats.connections == 6, "\(key)") }
            #expect(try ipvs.service(watched[1]).destinations.first { $0.destination.address == rs(2) }?.destination.weight == 5)
        }

        /// The kernel refuses line 5 (a broadcast real server): everything before it is undone.
        @Test func rollbackAfterKernelRefusal() throws {
            _ = try freshTable()
            #expect(try swiftvs(["restore"], input: "-A -t 192.0.2.100:80 -s rr\n-a -t 192.0.2.100:80 -r 192.0.2.11:80 -g -w 1\n").status == 0)
            let before = try ipvsadmSave()
            let file = """
                -A -t 192.0.2.100:80 -s wlc
                -a -t 192.0.2.100:80 -r 192.0.2.12:80 -g -w 1
                -A -f 7 -s rr
                -a -f 7 -r 192.0.2.13:0 -g -w 1
                -a -f 7 -r 192.0.2.255:0 -g -w 1
                -A -f 8 -s rr

                """
            for mode in [[], ["--flush"]] {
                let r = try swiftvs(["restore"] + mode, input: file)
                #expect(r.status == 1)
                #expect(r.stderr.contains("<stdin>:5: add destination 192.0.2.255:0 of service FWM 7: Invalid operation: address not unicast"),
                        "\(r.stderr)")
                #expect(r.stderr.contains("put back as it was"), "\(r.stderr)")
                #expect(try ipvsadmSave() == before, "mode \(mode)")
            }
            // --append adds to the table (the file above would be refused before anything is
            // sent, its first service existing): a real server to the existing service, a new
            // service with one; the fourth line is refused, and all that the kernel took is
            // undone: the three changes before it and the service after it (the batch goes on
            // past a refusal).
            let appended = """
                -a -t 192.0.2.100:80 -r 192.0.2.12:80 -g -w 1
                -A -f 7 -s rr
                -a -f 7 -r 192.0.2.13:0 -g -w 1
                -a -f 7 -r 192.0.2.255:0 -g -w 1
                -A -f 8 -s rr

                """
            let r = try swiftvs(["restore", "--append"], input: appended)
            #expect(r.status == 1)
            #expect(r.stderr.contains("<stdin>:4: add destination 192.0.2.255:0 of service FWM 7: Invalid operation: address not unicast"),
                    "\(r.stderr)")
            #expect(r.stderr.contains("the table was put back as it was (4 changes undone)"), "\(r.stderr)")
            #expect(try ipvsadmSave() == before, "--append")
        }

        /// A bad file: every problem reported with FILE:LINE:COLUMN, exit 2, table untouched.
        @Test func badFileLeavesTheTableAlone() throws {
            _ = try freshTable()
            #expect(try swiftvs(["restore"], input: "-A -f 80 -s lc\n-a -f 80 -r 192.0.2.11 -g\n").status == 0)
            let before = try ipvsadmSave()
            let path = "/tmp/swvs-bad-\(getpid()).rules"
            try """
                -A -t 192.0.2.100:80 -s rr
                -a -t 192.0.2.100:80 -r 192.0.2.11:99999 -g
                -A -t 192.0.2.100:81 -s rr -w 3
                # swiftvs-mark -d 192.0.2.100 --mark 0

                """.write(toFile: path, atomically: true, encoding: .utf8)
            defer { unlink(path) }
            let r = try swiftvs(["restore", path])
            #expect(r.status == 2)
            #expect(r.stderr.contains("\(path):2:"), "\(r.stderr)")
            #expect(r.stderr.contains("\(path):3:"), "\(r.stderr)")
            #expect(try ipvsadmSave() == before)
        }

        @Test func exitCodesAndMessages() throws {
            _ = try freshTable()
            #expect(try swiftvs(["add-service", "-f", "80", "-s", "lc"]).status == 0)
            let dup = try swiftvs(["add-service", "-f", "80", "-s", "lc"])
            #expect(dup.status == 1)
            #expect(dup.stderr.hasPrefix("swiftvs: add service FWM 80: Service already exists"), "\(dup.stderr)")
            let bad = try swiftvs(["add-server", "-f", "80", "-r", "192.0.2.11", "-w", "70000"])
            #expect(bad.status == 2)
            let usage = try swiftvs(["add-server", "-f", "80"])
            #expect(usage.status == 2)
            #expect(try swiftvs(["list", "-n", "--netns", "swvs-none"]).status == 1)
        }
    }
}
