#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

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
                throw MarkError(code: .namespace,
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
