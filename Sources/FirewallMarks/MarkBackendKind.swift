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

    /// Parses `iptables` or `nft` (also `nftables`); an error names `option`, the option the
    /// user wrote it with (`mark`'s `--backend`, the table commands' `--mark-backend`).
    public init(parsing text: some StringProtocol, option: String = "--backend") throws(MarkError) {
        switch text.lowercased() {
        case "iptables", "ip6tables", "xtables": self = .iptables
        case "nft", "nftables": self = .nft
        default:
            throw .invalid("\(option) \(text): the backend must be iptables or nft",
                           hint: "leave \(option) out to pick one automatically")
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
