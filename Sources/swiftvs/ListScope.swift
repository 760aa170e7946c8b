import IPVS
import IPVSRules

/// What `list` and `list -c` both take: `-n`, `--netns`, and one service named with ipvsadm's
/// options (`-t VIP:PORT`, `-f MARK -6`…) or none. Built by `List` and by `QuickCommand` alike.
struct ListScope: Equatable {
    var numeric = false
    /// ipvsadm's tokens for one service, or none: the whole table.
    var serviceArguments: [String] = []
    var namespace: String?

    /// Host and service names as `-n` asks: none, or looked up.
    var resolver: any NameResolver { numeric ? NumericResolver() : SystemResolver() }

    /// The service the tokens name, read as ipvsadm reads `-Z`'s; nil when there are no tokens
    /// or they name no service. Tokens it cannot read: their diagnostics on stderr and exit 2.
    var serviceKey: ServiceKey? {
        guard !serviceArguments.isEmpty,
              case let .change(.zero(key?)) = exitOnBadInput("list", { () throws(RulesError) in
                  try ruleAction(["-Z"] + serviceArguments, command: "list", numeric: numeric)
              })
        else { return nil }
        return key
    }
}
