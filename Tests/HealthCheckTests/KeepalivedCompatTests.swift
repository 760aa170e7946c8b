import EventLoop
import Foundation
import Glibc
import Testing

/// How `keepalived -t` (Debian's 2.2.7) and `swiftvs check-config` may differ on a file of
/// the compatibility corpus (Fixtures/keepalived-compat). Every file not listed must get the
/// same verdict from both: accepted (keepalived exit 0, or 6: its script-security policy, which
/// runs the file all the same) or refused (any other exit, including its crashes).
enum CompatDifference {
    /// swiftvs refuses a file keepalived's check accepts, because keepalived misses a real error.
    case stricter(String)
    /// keepalived's check reports a setting, corrects it and runs (exit 5); swiftvs makes the
    /// same correction with a warning and exits 0.
    case warnsWhereKeepalivedCorrects
    /// swiftvs accepts (with a warning) a file keepalived's check refuses.
    case lenient(String)
}

let compatDifferences: [String: CompatDifference] = [
    "strict-extra-args.conf": .stricter("keepalived reads a keyword's first value and drops the rest of the line silently: 'lb_algo rr ; lb_kind NAT' loses the lb_kind; swiftvs refuses every unexpected argument"),
    "strict-group-unknown.conf": .stricter("keepalived runs a virtual_server that names a virtual_server_group that does not exist (a typo) as a service with no address, silently; swiftvs refuses the name"),
    "strict-regex-invalid.conf": .stricter("keepalived logs 'Invalid regex' for a url regex PCRE2 cannot compile, frees it and keeps a pointer to it that its first check uses; swiftvs refuses the pattern with PCRE2's reason and offset"),
    "crash-ssl-without-url.conf": .lenient("keepalived 2.2.7's config test crashes (SIGSEGV) on an SSL_GET or HTTP_GET without url; its checker code disables such a checker, and swiftvs does that, with a warning"),
    "value-retry-forms.conf": .lenient("nb_get_retry is HTTP_GET's deprecated keyword; keepalived 2.2.7 refuses it in TCP_CHECK, swiftvs takes it in every checker with the deprecation warning "),
    "sample-fwmark.conf": .warnsWhereKeepalivedCorrects,
    "sample-virtual-server-group.conf": .warnsWhereKeepalivedCorrects,
    "value-fwmark-protocol.conf": .warnsWhereKeepalivedCorrects,
    "value-hysteresis-high.conf": .warnsWhereKeepalivedCorrects,
    "value-hashed.conf": .warnsWhereKeepalivedCorrects,
    "value-ops-tcp.conf": .warnsWhereKeepalivedCorrects,
    "value-port-zero-persistent.conf": .warnsWhereKeepalivedCorrects,
    "value-quorum-hysteresis.conf": .warnsWhereKeepalivedCorrects,
    "value-sh-flags-wrong-scheduler.conf": .warnsWhereKeepalivedCorrects,
    "value-weight-zero.conf": .warnsWhereKeepalivedCorrects,
]

/// The corpus: every *.conf directly in Fixtures/keepalived-compat (includes/ holds what they
/// include), sorted.
func compatFixtures() throws -> (directory: String, files: [String]) {
    let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/keepalived-compat").path
    let names = try FileManager.default.contentsOfDirectory(atPath: dir)
    return (dir, names.filter { $0.hasSuffix(".conf") }.sorted())
}

private let ipTool: String? = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first { (path: String) in access(path, X_OK) == 0 }
private let keepalivedPath = "/usr/sbin/keepalived"

/// Root (for the namespace keepalived runs in), keepalived and ip(8).
private var compatPeerAvailable: Bool { getuid() == 0 && access(keepalivedPath, X_OK) == 0 && ipTool != nil }

/// Runs `argv` through the daemon's own process runner: its exit status (128 + N for a signal:
/// keepalived 2.2.7's config test crashes on some files) and its output, stdout and stderr together.
private func capture(_ argv: [String]) async -> (status: Int32, output: String) {
    let r = await ProcessRunner(reactor: testReactor, outputLimit: 1 << 20).run(.exec(argv), timeout: .seconds(60))
    switch r.termination {
    case let .exited(code): return (code, r.outputText)
    case let .signaled(signal): return (128 + signal, r.outputText)
    case .timedOut, .spawnFailed: return (-1, "\(r.termination)\n" + r.outputText)
    }
}

@Suite("keepalived compatibility corpus: keepalived -t and swiftvs check-config agree",
       .enabled(if: compatPeerAvailable, "needs root, /usr/sbin/keepalived (Debian's 2.2.7) and ip(8): keepalived -t runs in a network namespace with eth0 and eth1"))
struct KeepalivedCompatTests {
    @Test func theCorpusHasAtLeastAHundredFiles() throws {
        let files = try compatFixtures().files
        #expect(files.count >= 100)
        for name in compatDifferences.keys { #expect(files.contains(name), "\(name) is listed but not in the corpus") }
    }

    /// Every file through both tools (config id d1 for both), in one network namespace made for
    /// the run (`swvs-lang-compat-PID`, with a veth pair eth0/eth1 for the VRRP files), removed after.
    @Test func keepalivedAndSwiftvsAgreeOnEveryFile() async throws {
        let (dir, files) = try compatFixtures()
        let swiftvs = try siblingExecutable("swiftvs")
        let ip = try #require(ipTool)
        let ns = "swvs-lang-compat-\(getpid())"
        #expect(await capture([ip, "netns", "add", ns]).status == 0)
        #expect(await capture([ip, "-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"]).status == 0)
        _ = await capture([ip, "-n", ns, "link", "set", "eth0", "up"])
        _ = await capture([ip, "-n", ns, "link", "set", "eth1", "up"])
        var agreed = 0
        for name in files {
            let path = dir + "/" + name
            let k = await capture([ip, "netns", "exec", ns, keepalivedPath, "-t", "-i", "d1", "-f", path])
            let s = await capture([swiftvs, "check-config", "--config-id", "d1", path])
            let keepalivedAccepts = k.status == 0 || k.status == 6
            let swiftvsAccepts = s.status == 0
            #expect(s.status == 0 || s.status == 2, "\(name): swiftvs check-config exited \(s.status):\n\(s.output)")
            let said = "\(name): keepalived -t exited \(k.status):\n\(k.output)\nswiftvs check-config exited \(s.status):\n\(s.output)"
            switch compatDifferences[name] {
            case nil:
                #expect(keepalivedAccepts == swiftvsAccepts, "\(said)")
                if keepalivedAccepts == swiftvsAccepts { agreed += 1 }
            case .stricter?:
                #expect(keepalivedAccepts && !swiftvsAccepts, "listed as stricter: \(said)")
            case .lenient?:
                #expect(!keepalivedAccepts && swiftvsAccepts && s.output.contains("warning:"), "listed as lenient: \(said)")
            case .warnsWhereKeepalivedCorrects?:
                #expect(k.status == 5 && swiftvsAccepts && s.output.contains("warning:"), "listed as corrected by both: \(said)")
            }
        }
        // Nothing above throws once the namespace exists, so it is always removed here.
        #expect(await capture([ip, "netns", "del", ns]).status == 0)
        #expect(agreed == files.count - compatDifferences.count)
    }
}
