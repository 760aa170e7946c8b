/// What `MarkManager.apply(desired:)` changed.
public struct MarkChanges: Sendable, Hashable {
    public var added: [MarkRule]
    public var removed: [MarkRule]
    public var isEmpty: Bool { added.isEmpty && removed.isEmpty }
}

/// What the firewall holds for swiftvs: its rules, plus rules carrying its tag that it does
/// not understand (it never changes those; `swiftvs mark list` warns about them).
public struct MarkListing: Sendable, Hashable {
    /// Our rules in chain order (for iptables: the IPv4 chain, then the IPv6 chain).
    public var rules: [MarkRule]
    /// One line each, e.g. `iptables: -A PREROUTING … --comment swiftvs …`.
    public var unrecognised: [String]
}

/// Adds, deletes, lists and saves swiftvs's mangle MARK rules, in the caller's network
/// namespace or a named one, with iptables or nft.
///
/// Only swiftvs's rules are touched: with iptables those tagged `-m comment --comment
/// swiftvs` in mangle/PREROUTING; with nft those in table `inet swiftvs`. Each change
/// first reads the current rules, so adding a rule that exists changes nothing, and at
/// most one copy of each rule is kept. Changing operations hold a lock file
/// (`/run/swiftvs-marks.lock`) so concurrent swiftvs processes do not race.
public struct MarkManager: Sendable {
    public let backendKind: MarkBackendKind
    public let namespace: String?
    let backend: any MarkBackend

    /// - Parameters:
    ///   - backend: nil to detect (`MarkBackendKind.detect()`).
    ///   - namespace: a name from `ip netns list`, or nil for the current namespace.
    ///   - commandTimeout: how long one tool invocation may take before it is killed.
    public init(backend: MarkBackendKind? = nil, namespace: String? = nil,
                commandTimeout: Duration = .seconds(60)) throws(MarkError) {
        try self.init(backend: backend, namespace: namespace, commandTimeout: commandTimeout,
                      searchPath: ToolLocator.defaultSearchPath)
    }

    /// The manager for a backend as a command line names it (`iptables`, `nft`: see
    /// `MarkBackendKind(parsing:option:)`; nil to detect), in `namespace`. A name that is
    /// neither is an error that names `option`, the option it came with.
    public init(backendName: String?, option: String = "--backend", namespace: String? = nil) throws(MarkError) {
        let kind = try backendName.map { (b: String) throws(MarkError) in try MarkBackendKind(parsing: b, option: option) }
        try self.init(backend: kind, namespace: namespace)
    }

    init(backend: MarkBackendKind?, namespace: String?, commandTimeout: Duration,
         searchPath: [String]) throws(MarkError) {
        if let namespace { try ToolRunner.validateNamespaceName(namespace) }
        let kind: MarkBackendKind
        if let backend {
            kind = backend
        } else {
            let env = getenvString(MarkBackendKind.environmentVariable)
            kind = try MarkBackendKind.detect(searchPath: searchPath, environmentValue: env)
        }
        let locator = ToolLocator(searchPath: searchPath)
        let runner = try ToolRunner(namespace: namespace, locator: locator, timeout: commandTimeout)
        switch kind {
        case .iptables: self.backend = try IptablesBackend(runner: runner, locator: locator)
        case .nft: self.backend = try NftBackend(runner: runner, locator: locator)
        }
        self.backendKind = kind
        self.namespace = namespace
    }

    /// Where the rules live, for messages: "iptables table mangle chain PREROUTING in network namespace X".
    public var location: String {
        backend.location + (namespace.map { " in network namespace \($0)" } ?? "")
    }

    /// Adds `rule` unless it is already there. Returns whether anything changed.
    @discardableResult
    public func add(_ rule: MarkRule) throws(MarkError) -> Bool {
        try ExclusiveLock.holding { () throws(MarkError) in
            let state = try backend.read()
            if state.rules.contains(where: { $0.rule == rule }) { return false }
            try backend.change(remove: [], add: [rule])
            return true
        }
    }

    /// Deletes `rule` (every copy, should there be several). Missing: an error with code
    /// `.notFound`, or nothing at all with `ifExists`. Returns whether anything changed.
    @discardableResult
    public func delete(_ rule: MarkRule, ifExists: Bool = false) throws(MarkError) -> Bool {
        try ExclusiveLock.holding { () throws(MarkError) in
            let state = try backend.read()
            let matches = state.rules.filter { $0.rule == rule }
            if matches.isEmpty {
                if ifExists { return false }
                var hint = "'swiftvs mark list"
                if let namespace { hint += " --netns \(namespace)" }
                hint += "' shows swiftvs's rules; add --if-exists to accept a missing rule"
                let others = state.rules.filter { $0.rule.destination == rule.destination }.map(\.rule)
                if !others.isEmpty {
                    hint += "; for \(rule.destination) there is: " + others.map(\.description).joined(separator: ", ")
                }
                throw MarkError(code: .notFound, message: "no swiftvs mark rule '\(rule)' in \(location)", hint: hint)
            }
            try backend.change(remove: matches, add: [])
            return true
        }
    }

    /// swiftvs's rules, in chain order.
    public func list() throws(MarkError) -> [MarkRule] {
        try backend.read().rules.map(\.rule)
    }

    /// swiftvs's rules and any rules with its tag it does not understand.
    public func listing() throws(MarkError) -> MarkListing {
        let s = try backend.read()
        return MarkListing(rules: s.rules.map(\.rule), unrecognised: s.unrecognised)
    }

    /// The rules in the backend's own restore format: for iptables a `*mangle … COMMIT`
    /// block per family with `-A PREROUTING …` lines exactly as iptables-save prints them
    /// (give `family` for a single block that `iptables-restore --noflush` or
    /// `/etc/iptables/rules.v4` takes); for nft a script for `nft -f` that replaces
    /// table `inet swiftvs`.
    public func saveText(family: AddressFamily? = nil) throws(MarkError) -> String {
        backend.saveText(try backend.read(), family: family)
    }

    /// Makes swiftvs's rules equal to `desired` (duplicates in it count once), removing
    /// and adding only the difference, in one transaction per tool call (`nft -f`, or
    /// `iptables-restore --noflush` per family when more than one rule changes). Rules
    /// that stay are not touched (their counters keep counting); foreign rules never are.
    @discardableResult
    public func apply(desired: [MarkRule]) throws(MarkError) -> MarkChanges {
        try ExclusiveLock.holding { () throws(MarkError) in
            let state = try backend.read()
            var wanted: [MarkRule] = []
            var wantedSet = Set<MarkRule>()
            for r in desired where wantedSet.insert(r).inserted { wanted.append(r) }
            var kept = Set<MarkRule>()
            var remove: [InstalledRule] = []
            for installed in state.rules {
                if wantedSet.contains(installed.rule), kept.insert(installed.rule).inserted { continue }
                remove.append(installed)  // not wanted, or a duplicate
            }
            let add = wanted.filter { !kept.contains($0) }
            if remove.isEmpty && add.isEmpty { return MarkChanges(added: [], removed: []) }
            try backend.change(remove: remove, add: add)
            return MarkChanges(added: add, removed: remove.map(\.rule))
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

func getenvString(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}
