import FirewallMarks
import IPVS

/// The kernel table as the daemon sees it: read it, apply a batch. `IPVSHandle` is the real
/// one (one netlink socket for the daemon's life); tests use an in-memory table.
public protocol KernelTable: Sendable {
    func services() throws(IPVSError) -> [ServiceEntry]
    /// The table without the counters decoded (what a diff and a save need).
    func services(statistics: Bool) throws(IPVSError) -> [ServiceEntry]
    /// One service and its destinations (counters decoded only when `statistics`);
    /// `.noSuchService` when the kernel has none.
    func service(_ key: ServiceKey, statistics: Bool) throws(IPVSError) -> ServiceEntry
    func apply(_ changes: [Change], stopAtFirstFailure: Bool) throws(IPVSError) -> BatchResult
}

extension KernelTable {
    public func services(statistics: Bool) throws(IPVSError) -> [ServiceEntry] { try services() }

    /// From the whole table (an in-memory table's way).
    public func service(_ key: ServiceKey, statistics: Bool) throws(IPVSError) -> ServiceEntry {
        guard let e = try services(statistics: statistics).first(where: { $0.service.key == key }) else {
            throw IPVSError(code: .noSuchService, operation: .getService, object: .service(key), reason: "no such service")
        }
        return e
    }
}

extension IPVSHandle: KernelTable {}

/// swiftvs's firewall mark rules, as far as the daemon needs them. `MarkManager` is the
/// real one.
public protocol MarkTable: Sendable {
    func list() throws(MarkError) -> [MarkRule]
    @discardableResult func add(_ rule: MarkRule) throws(MarkError) -> Bool
    @discardableResult func delete(_ rule: MarkRule, ifExists: Bool) throws(MarkError) -> Bool
}

extension MarkManager: MarkTable {}

/// The VIP of a firewall-mark virtual server: keepalived's configuration has no place for it,
/// so the daemon takes it as an option (`--vip-mark 192.0.2.100=80`) and keeps the mark rule
/// `-d VIP -j MARK --set-mark MARK` in place for as long as `virtual_server fwmark MARK` is
/// configured.
public struct VIPMark: Sendable, Hashable, CustomStringConvertible {
    public var rule: MarkRule
    public var mark: UInt32 { rule.mark }

    public init(rule: MarkRule) { self.rule = rule }

    /// Parses `ADDRESS=MARK` (`192.0.2.100=80`, `2001:db8::100=0x50`).
    public init(parsing text: String) throws(MarkError) {
        guard let eq = text.lastIndex(of: "=") else {
            throw MarkError(code: .invalidValue, message: "--vip-mark \(text): expected ADDRESS=MARK",
                            hint: "e.g. --vip-mark 192.0.2.100=80")
        }
        rule = try MarkRule(destination: String(text[..<eq]), mark: String(text[text.index(after: eq)...]))
    }

    public var description: String { "\(rule.destination)=\(rule.mark)" }
}
