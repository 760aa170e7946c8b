import ArgumentParser
import Diagnostics
import FirewallMarks

/// `swiftvs mark add|delete|list|save`: the mangle-table rules that give a VIP's packets
/// the firewall mark an IPVS fwmark service (`-A -f MARK`) selects.
struct Mark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mark",
        abstract: "Mark a VIP's packets for an IPVS fwmark service (iptables or nft mangle rules).",
        discussion: """
            A fwmark service receives nothing until a PREROUTING rule in the mangle table marks \
            the VIP's packets. swiftvs keeps exactly one rule per (destination, protocol, ports, \
            mark) and only ever changes its own rules:

              iptables: mangle PREROUTING, tagged -m comment --comment swiftvs
                        (ip6tables for IPv6; legacy or nft flavour alike)
              nft:      table inet swiftvs, chain prerouting
                        (type filter hook prerouting priority mangle)

            The backend is --backend, else $SWIFTVS_MARK_BACKEND, else iptables when it is \
            installed (it is what the rest of most firewalls is managed with), else nft.

            Exit status: 0 success, 1 the operation failed, 2 bad input.

            Examples:
              swiftvs mark add -d 192.0.2.100 --mark 80
              swiftvs mark add -d 2001:db8::100 -p tcp --dport 80:81 --mark 0x50
              swiftvs mark delete --if-exists -d 192.0.2.100 --mark 80
              swiftvs mark list --json
              swiftvs mark save -4
            """,
        subcommands: [MarkAddCommand.self, MarkDeleteCommand.self, MarkListCommand.self, MarkSaveCommand.self]
    )
}

/// Where the rules live: backend and namespace.
struct MarkBackendOptions: ParsableArguments {
    @Option(name: .customLong("backend"),
            help: "iptables or nft (default: $SWIFTVS_MARK_BACKEND, else iptables if installed, else nft).")
    var backend: String?

    @Option(name: .customLong("netns"), help: "Work inside the named network namespace (as 'ip netns list' shows it).")
    var namespace: String?

    func manager() throws(MarkError) -> MarkManager {
        try MarkManager(backendName: backend, namespace: namespace)
    }
}

/// The rule: the same options a `# swiftvs-mark` line of a rules file carries.
struct MarkRuleOptions: ParsableArguments {
    @Option(name: [.customShort("d"), .customLong("destination")],
            help: ArgumentHelp("Destination address, optionally with a prefix length (IPv4 or IPv6).", valueName: "addr[/prefix]"))
    var destination: String

    @Option(name: [.customShort("p"), .customLong("protocol")],
            help: ArgumentHelp("Only this protocol: tcp, udp or sctp.", valueName: "protocol"))
    var proto: String?

    @Option(name: .customLong("dport"),
            help: ArgumentHelp("Only this destination port or range FIRST:LAST (needs -p).", valueName: "port[:port]"))
    var dport: String?

    @Option(name: .customLong("mark"),
            help: ArgumentHelp("The mark, 1-4294967295, decimal or 0x hex: the N of 'ipvsadm -A -f N'.", valueName: "n"))
    var mark: String

    func rule() throws(MarkError) -> MarkRule {
        try MarkRule(destination: destination, protocol: proto, ports: dport, mark: mark)
    }
}

/// A `mark` subcommand: its work is `perform`, whose `MarkError` becomes
/// "swiftvs mark add: <what, where>" and its details on stderr, and exit status 2 (bad input)
/// or 1 (failure).
protocol MarkSubcommand: ParsableCommand {
    /// The command's work on the rules.
    func perform() throws(MarkError)
}

extension MarkSubcommand {
    func run() throws {
        do {
            try perform()
        } catch {
            var stderr = StandardError()
            print("swiftvs mark \(Self.configuration.commandName!): \(error.description)", to: &stderr)
            throw ExitCode(error.exitCode)
        }
    }
}

struct MarkAddCommand: MarkSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a mark rule (nothing happens if it is already there).")

    @OptionGroup var rule: MarkRuleOptions
    @OptionGroup var target: MarkBackendOptions

    func perform() throws(MarkError) {
        let r = try rule.rule()
        try target.manager().add(r)
    }
}

struct MarkDeleteCommand: MarkSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete a mark rule of swiftvs's.")

    @OptionGroup var rule: MarkRuleOptions
    @OptionGroup var target: MarkBackendOptions

    @Flag(name: .customLong("if-exists"), help: "A missing rule is not an error.")
    var ifExists = false

    func perform() throws(MarkError) {
        let r = try rule.rule()
        try target.manager().delete(r, ifExists: ifExists)
    }
}

struct MarkListCommand: MarkSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List swiftvs's mark rules, one per line in 'mark add' syntax.")

    @OptionGroup var target: MarkBackendOptions

    @Flag(name: .customLong("json"), help: "Print a JSON array of rule objects.")
    var json = false

    func perform() throws(MarkError) {
        let listing = try target.manager().listing()
        var stderr = StandardError()
        for u in listing.unrecognised {
            print("swiftvs mark list: warning: left alone, tagged as swiftvs's but not a rule swiftvs makes: \(u)", to: &stderr)
        }
        if json {
            print(MarkRule.json(listing.rules))
        } else {
            for r in listing.rules { print(r.description) }
        }
    }
}

struct MarkSaveCommand: MarkSubcommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Print swiftvs's mark rules in the backend's restore format.",
        discussion: """
            iptables: '*mangle' blocks with '-A PREROUTING …' lines exactly as iptables-save prints \
            them; with -4 or -6 a single block that 'iptables-restore --noflush' (or \
            /etc/iptables/rules.v4 / rules.v6) takes. nft: a script for 'nft -f' that replaces \
            table inet swiftvs. For swiftvs's own rules file use 'swiftvs save --with-marks'.
            """)

    @OptionGroup var target: MarkBackendOptions

    @Flag(name: .customShort("4"), help: "IPv4 rules only.")
    var ipv4 = false

    @Flag(name: .customShort("6"), help: "IPv6 rules only.")
    var ipv6 = false

    func perform() throws(MarkError) {
        if ipv4 && ipv6 {
            throw MarkError(code: .invalidValue, message: "-4 and -6 together: choose one family, or neither for both",
                            hint: "iptables-restore takes IPv4 rules, ip6tables-restore IPv6 rules")
        }
        let family: AddressFamily? = ipv4 ? .inet : ipv6 ? .inet6 : nil
        print(try target.manager().saveText(family: family), terminator: "")
    }
}
