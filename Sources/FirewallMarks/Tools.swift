#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Which firewall tool holds swiftvs's mark rules.
///
/// - `iptables`: the system's `iptables`/`ip6tables` (legacy or nft flavour, whichever is
///   installed), table `mangle`, chain `PREROUTING`, each rule tagged
///   `-m comment --comment swiftvs`.
/// - `nft`: swiftvs's own table `inet swiftvs`, chain `prerouting`
///   (`type filter hook prerouting priority mangle`), one table for IPv4 and IPv6.
///
/// Auto-detection (``detect(searchPath:environmentValue:)``): `$SWIFTVS_MARK_BACKEND` when
/// set; otherwise iptables when it is installed, because on most systems that have it the
/// rest of the firewall is managed with it too (iptables-persistent, Docker, ufw…) and an
/// administrator looks for mangle rules with `iptables -t mangle -S`; otherwise nft.
public enum MarkBackendKind: String, Sendable, Hashable, CaseIterable {
    case iptables, nft

    /// The environment variable that overrides auto-detection (`iptables` or `nft`).
    public static let environmentVariable = "SWIFTVS_MARK_BACKEND"

    /// Parses `iptables` or `nft` (also `nftables`).
    public init(parsing text: some StringProtocol) throws(MarkError) {
        switch text.lowercased() {
        case "iptables", "ip6tables", "xtables": self = .iptables
        case "nft", "nftables": self = .nft
        default:
            throw .invalid("--backend \(text): the backend must be iptables or nft",
                           hint: "leave --backend out to pick one automatically")
        }
    }

    /// Picks the backend: `$SWIFTVS_MARK_BACKEND` if set, else iptables if installed,
    /// else nft if installed, else an error naming both.
    public static func detect() throws(MarkError) -> MarkBackendKind {
        let env = getenv(environmentVariable).map { String(cString: $0) }
        return try detect(searchPath: ToolLocator.defaultSearchPath, environmentValue: env)
    }

    static func detect(searchPath: [String], environmentValue: String?) throws(MarkError) -> MarkBackendKind {
        if let v = environmentValue, !v.isEmpty {
            do { return try MarkBackendKind(parsing: v) } catch {
                throw .invalid("$\(environmentVariable)=\(v): the backend must be iptables or nft",
                               hint: "unset \(environmentVariable) to pick one automatically")
            }
        }
        let locator = ToolLocator(searchPath: searchPath)
        if locator.find("iptables") != nil { return .iptables }
        if locator.find("nft") != nil { return .nft }
        throw MarkError(code: .toolMissing,
                        message: "neither iptables nor nft is installed (looked in \(searchPath.joined(separator: ", ")))",
                        hint: "install one: apt install iptables (or nftables); swiftvs needs it to mark packets for fwmark services")
    }
}

/// Finds tools by name in a fixed list of directories (never the caller's `$PATH`).
struct ToolLocator: Sendable {
    static let defaultSearchPath = ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"]
    var searchPath: [String]

    func find(_ name: String) -> String? {
        for dir in searchPath {
            let path = dir + "/" + name
            var st = stat()
            if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(path, X_OK) == 0 {
                return path
            }
        }
        return nil
    }

    func require(_ name: String, package: String, for purpose: String) throws(MarkError) -> String {
        guard let p = find(name) else {
            throw MarkError(code: .toolMissing,
                            message: "\(name) is not installed (looked in \(searchPath.joined(separator: ", "))); it is needed \(purpose)",
                            hint: "install the \(package) package, or choose the other backend with --backend")
        }
        return p
    }
}

/// Runs tools, inside a named network namespace (`ip netns exec NAME …`) when one is given.
struct ToolRunner: Sendable {
    let namespace: String?
    /// `[ip, "netns", "exec", NAME]`, or empty.
    let prefix: [String]
    let timeout: Duration

    init(namespace: String?, locator: ToolLocator, timeout: Duration) throws(MarkError) {
        self.namespace = namespace
        self.timeout = timeout
        if let namespace {
            try Self.validateNamespaceName(namespace)
            var st = stat()
            guard stat("/run/netns/" + namespace, &st) == 0 else {
                throw MarkError(code: .namespaceMissing,
                                message: "network namespace '\(namespace)' does not exist (no /run/netns/\(namespace))",
                                hint: "create it with 'ip netns add \(namespace)'; 'ip netns list' shows the existing ones")
            }
            let ip = try locator.require("ip", package: "iproute2", for: "to work inside network namespace \(namespace)")
            prefix = [ip, "netns", "exec", namespace]
        } else {
            prefix = []
        }
    }

    static func validateNamespaceName(_ name: String) throws(MarkError) {
        let bad = name.isEmpty || name == "." || name == ".." || name.utf8.count > 255
            || name.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == 0 || $0 < 0x20 })
        if bad {
            throw .invalid("--netns '\(name)': not a valid network namespace name",
                           hint: "a name as 'ip netns list' shows it: no '/', not empty, not '.' or '..'")
        }
    }

    /// "in network namespace X" or "" — for messages.
    var whereSuffix: String { namespace.map { " in network namespace \($0)" } ?? "" }

    func run(_ argv: [String], input: String? = nil) throws(MarkError) -> CommandResult {
        try Subprocess.run(prefix + argv, input: input, timeout: timeout)
    }

    /// Runs and turns a failure into a `MarkError` saying what, where, and a hint.
    func checked(_ argv: [String], input: String? = nil, what: String) throws(MarkError) -> CommandResult {
        let r = try run(argv, input: input)
        if r.succeeded {
            if r.stdoutTruncated {
                throw MarkError(code: .unexpectedOutput, message: "\(what)\(whereSuffix): the output is too large",
                                hint: "the chain holds more rules than swiftvs reads (16 MiB of text)",
                                command: r.argv, exitStatus: r.status)
            }
            return r
        }
        throw failure(r, what: what)
    }

    func failure(_ r: CommandResult, what: String) -> MarkError {
        let tool = r.argv.dropFirst(prefix.count).first.map { String($0.split(separator: "/").last ?? "") } ?? "tool"
        let stderr = r.stderr.trimmingTrailingWhitespace
        let firstLine = stderr.split(separator: "\n").first.map(String.init)
        var message = "\(what)\(whereSuffix): \(tool) "
        if r.timedOut {
            message += "did not finish within \(timeout) and was killed"
        } else if r.status > 128 {
            message += "was killed by signal \(r.status - 128)"
        } else {
            message += "failed with exit status \(r.status)"
        }
        if let firstLine { message += ": " + firstLine }
        return MarkError(code: .commandFailed, message: message, hint: Self.hint(for: r, tool: tool, namespace: namespace),
                         command: r.argv, exitStatus: r.status, standardError: stderr)
    }

    static func hint(for r: CommandResult, tool: String, namespace: String?) -> String {
        let e = r.stderr
        if r.timedOut {
            return "another program may hold the xtables lock or the nft transaction mutex; check with 'ps' and retry"
        }
        if e.contains("Permission denied") || e.contains("Operation not permitted") || e.contains("you must be root") {
            return "run as root (changing the firewall needs CAP_NET_ADMIN)"
        }
        if let namespace, e.contains("Cannot open network namespace") || e.contains("setting the network namespace") {
            return "check that network namespace \(namespace) exists: ip netns list"
        }
        if e.contains("xtables lock") {
            return "another iptables command holds the xtables lock; retry when it has finished"
        }
        if e.contains("Table does not exist") || e.contains("can't initialize") {
            return "the kernel has no mangle table for this family; load it with 'modprobe iptable_mangle' (IPv6: ip6table_mangle)"
        }
        if e.contains("No chain/target/match by that name") || e.contains("Couldn't load") {
            return "the kernel lacks a needed extension; load it with 'modprobe xt_mark xt_comment' (and xt_tcpudp / xt_sctp for ports)"
        }
        if e.contains("Bad rule") {
            return "the rule changed while swiftvs was working; run the command again"
        }
        if tool == "nft" && e.contains("Protocol not supported") {
            return "the kernel lacks nf_tables; load it with 'modprobe nf_tables', or use --backend iptables"
        }
        return "run the command shown above by hand to see the tool's full complaint"
    }
}

extension StringProtocol {
    var trimmingTrailingWhitespace: String {
        var s = Substring(self)
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}

/// An advisory lock (flock on /run/swiftvs-marks.lock) that serialises swiftvs processes
/// changing marks (in any namespace: one file, no litter), so check-then-add stays
/// one-rule-per-key. Best effort: if no lock
/// file can be made, work goes on unlocked (the firewall tools still lock themselves).
enum ExclusiveLock {
    static func holding<T>(_ body: () throws(MarkError) -> T) throws(MarkError) -> T {
        // /run, not the world-writable /run/lock: nobody but root can plant the file there
        // and hold its lock. Without root the firewall cannot be changed anyway.
        let fd = open("/run/swiftvs-marks.lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        defer { if fd >= 0 { close(fd) } }  // closing releases the lock
        if fd >= 0 {
            while flock(fd, LOCK_EX) != 0 {
                if errno != EINTR { break }
            }
        }
        return try body()
    }
}
