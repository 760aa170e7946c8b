#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import FirewallMarks

@Suite("running tools")
struct SubprocessTests {
    @Test func capturesOutputAndStatus() throws {
        let r = try Subprocess.run(["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
        #expect(r.stdout == "out\n")
        #expect(r.stderr == "err\n")
        #expect(r.status == 3)
        #expect(!r.succeeded && !r.timedOut)
    }

    @Test func argumentsAreNotInterpretedByAShell() throws {
        let r = try Subprocess.run(["/bin/echo", "$(id)", "a;b", "'q'", "*"])
        #expect(r.stdout == "$(id) a;b 'q' *\n")
    }

    @Test func killedBySignal() throws {
        let r = try Subprocess.run(["/bin/sh", "-c", "kill -9 $$"])
        #expect(r.status == 128 + 9)
    }

    @Test func stdinIsFedWithoutDeadlock() throws {
        // Far more than any socket buffer, in both directions at once.
        let line = String(repeating: "0123456789abcdef", count: 4) + "\n"
        let input = String(repeating: line, count: 40_000)  // 2.6 MB
        let r = try Subprocess.run(["/bin/cat"], input: input)
        #expect(r.succeeded)
        #expect(r.stdout.utf8.count == input.utf8.count)
        #expect(r.stdout == input)
    }

    @Test func childIgnoringStdinDoesNotKillUs() throws {
        let input = String(repeating: "x", count: 4 << 20)
        let r = try Subprocess.run(["/bin/true"], input: input)
        #expect(r.status == 0)
    }

    @Test func stdinIsDevNullWithoutInput() throws {
        let r = try Subprocess.run(["/bin/cat"])
        #expect(r.succeeded && r.stdout == "")
    }

    @Test func outputIsBounded() throws {
        let r = try Subprocess.run(["/usr/bin/head", "-c", "300000", "/dev/zero"], outputLimit: 1000)
        #expect(r.succeeded)
        #expect(r.stdout.utf8.count == 1000)
        #expect(r.stdoutTruncated)
    }

    @Test func timeoutKillsAndReaps() throws {
        let start = ContinuousClock.now
        let r = try Subprocess.run(["/bin/sleep", "30"], timeout: .milliseconds(300))
        #expect(r.timedOut)
        #expect(r.status == 128 + 9)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test func noDescriptorsLeakIntoTheChild() throws {
        // A descriptor without close-on-exec, as careless code elsewhere in a process makes.
        let fd = open("/dev/null", O_RDONLY)
        #expect(fd > 2)
        defer { close(fd) }
        let r = try Subprocess.run(["/usr/bin/readlink", "/proc/self/fd/\(fd)"])
        #expect(r.status != 0, "fd \(fd) leaked into the child: \(r.stdout)")
        // The child has exactly stdin, stdout, stderr (ls's own directory fd aside).
        let ls = try Subprocess.run(["/bin/ls", "/proc/self/fd"])
        #expect(ls.stdout.split(separator: "\n").count <= 4)
        let r0 = try Subprocess.run(["/usr/bin/readlink", "/proc/self/fd/0"])
        #expect(r0.stdout == "/dev/null\n")
    }

    @Test func environmentIsFixed() throws {
        let r = try Subprocess.run(["/usr/bin/env"])
        #expect(r.stdout == "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nLC_ALL=C\n")
    }

    @Test func missingProgramIsASystemError() {
        let e = markError { _ = try Subprocess.run(["/nonexistent/tool", "x"]) }
        #expect(e?.code == .system)
        #expect(e?.message.hasPrefix("cannot run /nonexistent/tool: posix_spawn: No such file or directory") == true)
    }
}

@Suite("set-up errors")
struct SetupErrorTests {
    @Test func detection() throws {
        #expect(try MarkBackendKind.detect(searchPath: ToolLocator.defaultSearchPath, environmentValue: nil) == .iptables)
        #expect(try MarkBackendKind.detect(searchPath: ToolLocator.defaultSearchPath, environmentValue: "nft") == .nft)
        #expect(try MarkBackendKind.detect(searchPath: ["/nonexistent"], environmentValue: "iptables") == .iptables)
        let bad = markError { _ = try MarkBackendKind.detect(searchPath: ToolLocator.defaultSearchPath, environmentValue: "pf") }
        #expect(bad?.code == .invalidValue)
        #expect(bad?.message == "$SWIFTVS_MARK_BACKEND=pf: the backend must be iptables or nft")
        let none = markError { _ = try MarkBackendKind.detect(searchPath: ["/nonexistent"], environmentValue: nil) }
        #expect(none?.code == .toolMissing)
        #expect(none?.message == "neither iptables nor nft is installed (looked in /nonexistent)")
        #expect(none?.exitCode == 1)
        #expect(try MarkBackendKind(parsing: "nftables") == .nft)
        #expect(markError { _ = try MarkBackendKind(parsing: "ebtables") }?.code == .invalidValue)
        // The error names the option the name came with: the table commands' and the daemon's
        // --mark-backend, or mark's own --backend.
        let table = markError { _ = try MarkManager(backendName: "ebtables", option: "--mark-backend") }
        #expect(table?.message == "--mark-backend ebtables: the backend must be iptables or nft")
        #expect(table?.hint == "leave --mark-backend out to pick one automatically")
        #expect(markError { _ = try MarkManager(backendName: "ebtables") }?.message == "--backend ebtables: the backend must be iptables or nft")
    }

    @Test(.enabled(if: Namespaces.available, Namespaces.reason))
    func nftOnlySystemPicksNft() throws {
        // A search path holding nft but no iptables: a directory with a symlink to nft.
        let dir = "/tmp/swvs-mark-tools-\(getpid())"
        mkdir(dir, 0o700)
        defer { unlink(dir + "/nft"); rmdir(dir) }
        symlink("/usr/sbin/nft", dir + "/nft")
        #expect(try MarkBackendKind.detect(searchPath: [dir], environmentValue: nil) == .nft)
        let e = markError { _ = try MarkManager(backend: .iptables, namespace: nil, commandTimeout: .seconds(5), searchPath: [dir]) }
        #expect(e?.code == .toolMissing)
        #expect(e?.message.hasPrefix("iptables is not installed (looked in \(dir)); it is needed for the iptables backend") == true)
    }

    @Test func namespaces() {
        let missing = markError { _ = try MarkManager(backend: .iptables, namespace: "swvs-mark-missing-\(getpid())") }
        #expect(missing?.code == .namespace)
        #expect(missing?.message == "network namespace 'swvs-mark-missing-\(getpid())' does not exist (no /run/netns/swvs-mark-missing-\(getpid()))")
        #expect(missing?.exitCode == 1)
        for bad in ["", "a/b", "..", ".", "x\ny"] {
            let e = markError { _ = try MarkManager(backend: .nft, namespace: bad) }
            #expect(e?.code == .invalidValue, "\(bad)")
        }
    }

    @Test(.enabled(if: Namespaces.available, Namespaces.reason))
    func toolFailureSaysWhatWhereAndHow() throws {
        try withNamespace { ns in
            // Break our chain's shape so nft refuses the transaction: a chain of another type.
            _ = try ns.exec(["/usr/sbin/nft", "-f", "-"], input: """
                table inet swiftvs {
                \tchain prerouting {
                \t\ttype filter hook input priority 0; policy accept;
                \t}
                }

                """)
            let m = try ns.manager(.nft)
            let e = markError { try m.add(rule("-d 192.0.2.1 --mark 1")) }
            #expect(e?.code == .commandFailed)
            #expect(e?.message.hasPrefix("add -d 192.0.2.1/32 --mark 1 in nft table inet swiftvs in network namespace \(ns.name): nft failed with exit status 1: ") == true)
            #expect(e?.command?.prefix(4) == ["/usr/sbin/ip", "netns", "exec", ns.name][...])
            #expect(e?.command?.suffix(3) == ["/usr/sbin/nft", "-f", "-"][...])
            #expect(e?.exitStatus == 1)
            #expect(e?.standardError?.isEmpty == false)
            #expect(e?.hint != nil)
            #expect(e?.description.split(separator: "\n").count ?? 0 >= 3)
            // And the odd chain is reported, our listing stays empty.
            #expect(try m.listing().unrecognised == ["nft: chain prerouting is not 'type filter hook prerouting priority mangle'"])
        }
    }
}
