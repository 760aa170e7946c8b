#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
@testable import FirewallMarks

/// Runs a tool (absolute path) and returns its result; set-up and inspection only.
@discardableResult
func tool(_ argv: [String], input: String? = nil) throws -> CommandResult {
    try Subprocess.run(argv, input: input, timeout: .seconds(60))
}

/// Runs a tool that must succeed.
@discardableResult
func must(_ argv: [String], input: String? = nil) throws -> String {
    let r = try tool(argv, input: input)
    guard r.succeeded else {
        throw SetupError("\(argv.joined(separator: " ")) failed (\(r.status)): \(r.stderr)")
    }
    return r.stdout
}

struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// Whether the namespace suites can run: they create network namespaces and run iptables,
/// ip6tables and nft in them, which needs root and the tools. Otherwise they are skipped
/// (with this reason), never passed.
enum Namespaces {
    static let available = getuid() == 0
        && ["/usr/sbin/ip", "/usr/sbin/iptables", "/usr/sbin/ip6tables", "/usr/sbin/nft"].allSatisfy { (path: String) in access(path, X_OK) == 0 }
    static let reason: Comment = "needs root and ip, iptables, ip6tables, nft in /usr/sbin (creates network namespaces)"
    static let canPing = access("/usr/bin/ping", X_OK) == 0
}

private let namespaceCounter = Atomic<Int>(0)

/// A fresh network namespace `swvs-mark-<pid>-<n>`, removed afterwards even on failure.
func withNamespace<T>(_ body: (TestNamespace) throws -> T) throws -> T {
    let ns = try TestNamespace.create()
    defer { ns.remove() }
    return try body(ns)
}

/// The same for async bodies.
func withNamespaceAsync<T: Sendable>(_ body: (TestNamespace) async throws -> T) async throws -> T {
    let ns = try TestNamespace.create()
    do {
        let r = try await body(ns)
        ns.remove()
        return r
    } catch {
        ns.remove()
        throw error
    }
}

struct TestNamespace: Sendable {
    let name: String

    static func create() throws -> TestNamespace {
        let n = namespaceCounter.wrappingAdd(1, ordering: .relaxed).newValue
        let ns = TestNamespace(name: "swvs-mark-\(getpid())-\(n)")
        try must(["/usr/sbin/ip", "netns", "add", ns.name])
        return ns
    }

    func remove() {
        _ = try? tool(["/usr/sbin/ip", "netns", "delete", name])
    }

    func exec(_ argv: [String], input: String? = nil) throws -> String {
        try must(["/usr/sbin/ip", "netns", "exec", name] + argv, input: input)
    }

    /// `iptables -t mangle -S PREROUTING` (or ip6tables) lines, without the policy line.
    func mangleRules(_ family: AddressFamily = .inet) throws -> [String] {
        let t = family == .inet ? "/usr/sbin/iptables" : "/usr/sbin/ip6tables"
        return try exec([t, "-w", "-t", "mangle", "-S", "PREROUTING"])
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("-P ") }
    }

    /// `nft list ruleset`.
    func ruleset() throws -> String {
        try exec(["/usr/sbin/nft", "list", "ruleset"])
    }

    /// Appends a foreign rule (no swiftvs comment) with iptables/ip6tables.
    func addForeign(_ family: AddressFamily, _ args: String) throws {
        let t = family == .inet ? "/usr/sbin/iptables" : "/usr/sbin/ip6tables"
        _ = try exec([t, "-w", "-t", "mangle", "-A", "PREROUTING"] + args.split(separator: " ").map(String.init))
    }

    func manager(_ backend: MarkBackendKind) throws -> MarkManager {
        try MarkManager(backend: backend, namespace: name)
    }
}

/// A rule from `swiftvs mark add` style text.
func rule(_ text: String) throws(MarkError) -> MarkRule {
    try MarkRule(arguments: text.split(separator: " ").map(String.init))
}

/// Runs `body` and returns the `MarkError` it throws (recording an issue if it does not).
func markError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> MarkError? {
    do {
        try body()
        Issue.record("expected a MarkError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as MarkError {
        return error
    } catch {
        Issue.record("expected a MarkError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// The nft ruleset expected for swiftvs's table holding `statements` (counters zero).
func expectedNftTable(_ statements: [String]) -> String {
    var s = "table inet swiftvs {\n\tchain prerouting {\n\t\ttype filter hook prerouting priority mangle; policy accept;\n"
    for st in statements { s += "\t\t\(st)\n" }
    return s + "\t}\n}\n"
}
