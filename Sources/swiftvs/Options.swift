#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import IPVS
import IPVSRules

/// The virtual service a command is about: ipvsadm's `-t|-u|--sctp-service|-f`.
struct ServiceOptions: ParsableArguments {
    @Option(name: [.customShort("t"), .customLong("tcp-service")],
            help: ArgumentHelp("A TCP service: host:port, IPv6 in brackets ([2001:db8::1]:80).", valueName: "service-address"))
    var tcp: String?

    @Option(name: [.customShort("u"), .customLong("udp-service")],
            help: ArgumentHelp("A UDP service.", valueName: "service-address"))
    var udp: String?

    @Option(name: .customLong("sctp-service"), help: ArgumentHelp("An SCTP service.", valueName: "service-address"))
    var sctp: String?

    @Option(name: [.customShort("f"), .customLong("fwmark-service")],
            help: ArgumentHelp("A firewall-mark service: its mark, 1 to 4294967295.", valueName: "fwmark"))
    var fwmark: String?

    @Flag(name: [.customShort("6"), .customLong("ipv6")], help: "The firewall-mark service takes IPv6 packets.")
    var ipv6 = false

    var given: Int { [tcp, udp, sctp, fwmark].compactMap { $0 }.count }

    /// ipvsadm's tokens for the service, or none.
    var arguments: [String] {
        IpvsadmWord.arguments([.option("-t", tcp), .option("-u", udp), .option("--sctp-service", sctp),
                               .option("-f", fwmark), .flag("-6", ipv6)])
    }

    func validate(required: Bool) throws {
        if let problem = Self.problem(given: given, required: required, ipv6: ipv6, fwmark: fwmark != nil) {
            throw ValidationError(problem)
        }
    }

    /// The rules of the service options, here and in `QuickCommand`: at most one service
    /// (`given` of -t, -u, --sctp-service, -f), one if `required`, -6 only with -f. The
    /// message of the first rule broken, or nil.
    static func problem(given: Int, required: Bool, ipv6: Bool, fwmark: Bool) -> String? {
        if given > 1 { return "Give one service: -t, -u, --sctp-service or -f, not several." }
        if required && given == 0 { return "Missing the service: -t, -u, --sctp-service or -f." }
        if ipv6 && !fwmark { return "-6 applies to a firewall-mark service (-f) only." }
        return nil
    }
}

/// A service's attributes: `-s -p -M -b -o --pe`.
struct ServiceAttributeOptions: ParsableArguments {
    @Option(name: [.customShort("s"), .customLong("scheduler")],
            help: "Scheduler: rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos (default wlc).")
    var scheduler: String?

    /// `-p [TIMEOUT]`: the value is optional, as in ipvsadm. `SwiftVS.main` turns a bare
    /// `-p` into `--persistent=360` before parsing.
    @Option(name: [.customShort("p"), .customLong("persistent")],
            help: ArgumentHelp("Persistent service, with a timeout in seconds (360 when left out).", valueName: "timeout"))
    var persistent: String?

    @Option(name: [.customShort("M"), .customLong("netmask")],
            help: ArgumentHelp("Persistence granularity: an IPv4 netmask or an IPv6 prefix length.", valueName: "netmask"))
    var netmask: String?

    @Option(name: [.customShort("b"), .customLong("sched-flags")],
            help: ArgumentHelp("Scheduler flags: sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3 (comma-separated).", valueName: "flags"))
    var schedulerFlags: String?

    @Flag(name: [.customShort("o"), .customLong("ops")], help: "One-packet scheduling (UDP).")
    var onePacket = false

    @Option(name: .customLong("pe"), help: ArgumentHelp("Persistence engine (sip).", valueName: "engine"))
    var persistenceEngine: String?

    /// ipvsadm's tokens for the attributes given.
    var arguments: [String] {
        IpvsadmWord.arguments([.option("-s", scheduler), .option("-p", persistent), .option("-M", netmask),
                               .option("-b", schedulerFlags), .flag("-o", onePacket), .option("--pe", persistenceEngine)])
    }
}

/// The real server: `-r`.
struct ServerAddressOption: ParsableArguments {
    @Option(name: [.customShort("r"), .customLong("real-server")],
            help: ArgumentHelp("Real server: host[:port]; without a port a DR or tunnel server takes the service's.", valueName: "server-address"))
    var server: String
}

/// A real server's attributes: `-g|-i|-m -w -x -y --tun-*`.
struct ServerAttributeOptions: ParsableArguments {
    /// The forwarding flags given (`-g -g` is one).
    @Flag var forwarding: [ForwardingFlag] = []

    @Option(name: [.customShort("w"), .customLong("weight")], help: "Weight, 0 to 65535 (default 1).")
    var weight: String?

    @Option(name: [.customShort("x"), .customLong("u-threshold")], help: "Upper connection threshold (0: none).")
    var upperThreshold: String?

    @Option(name: [.customShort("y"), .customLong("l-threshold")], help: "Lower connection threshold (0: none).")
    var lowerThreshold: String?

    @Option(name: .customLong("tun-type"), help: "Tunnel type: ipip, gue or gre.")
    var tunnelType: String?

    @Option(name: .customLong("tun-port"), help: "Tunnel (GUE) destination port.")
    var tunnelPort: String?

    /// The tunnel checksum flags given.
    @Flag var tunnelChecksums: [TunnelChecksumFlag] = []

    func validate() throws {
        if let problem = Self.problem(forwarding: Set(forwarding).count, checksums: Set(tunnelChecksums).count) {
            throw ValidationError(problem)
        }
    }

    /// The rules of these options, here and in `QuickCommand`: at most one forwarding method
    /// and one tunnel checksum option (how many of each were given). The message of the first
    /// rule broken, or nil.
    static func problem(forwarding: Int, checksums: Int) -> String? {
        if forwarding > 1 { return "Give one forwarding method: -g, -i or -m." }
        if checksums > 1 { return "Give one of --tun-nocsum, --tun-csum, --tun-remcsum." }
        return nil
    }

    /// ipvsadm's tokens for the attributes given.
    var arguments: [String] {
        IpvsadmWord.arguments(Self.flags(forwarding)
                              + [.option("-w", weight), .option("-x", upperThreshold), .option("-y", lowerThreshold),
                                 .option("--tun-type", tunnelType), .option("--tun-port", tunnelPort)]
                              + Self.flags(tunnelChecksums))
    }

    /// A flag for each of the choice's cases, in their order, set for those given.
    private static func flags<Choice: ServerFlagChoice>(_ given: [Choice]) -> [IpvsadmWord] {
        Choice.allCases.map { .flag($0.ipvsadmWord, given.contains($0)) }
    }
}

/// The ipvsadm form of a subcommand, parsed by the rules-file parser: one set of semantics
/// for the command line and for restore files.
func ruleAction(_ arguments: [String], command: String, numeric: Bool = false) throws(RulesError) -> RuleAction {
    let resolver: any NameResolver = numeric ? NumericResolver() : SystemResolver()
    return try RulesFile.parseCommand(arguments, source: command, resolver: resolver).action
}

/// A subcommand that stands for one ipvsadm command: its action is known before anything
/// is opened (and testable without a kernel).
protocol TableCommand: ParsableCommand {
    func action() throws(RulesError) -> RuleAction
    var common: CommonOptions { get }
}

extension TableCommand {
    /// Checks the input, opens IPVS, applies the one change. Commands that do more
    /// (marks with add-service and delete-service) have their own `run`.
    func run() throws {
        let action = checkedAction
        try perform(action, on: try common.open())
    }

    /// The action, or every diagnostic on stderr and exit 2 (bad input).
    var checkedAction: RuleAction {
        exitOnBadInput(Self.configuration.commandName ?? "\(Self.self)") { () throws(RulesError) in try action() }
    }
}

/// The value, or every diagnostic of the input on stderr and exit 2.
func exitOnBadInput<T>(_ command: String, _ body: () throws(RulesError) -> T) -> T {
    do {
        return try body()
    } catch {
        var stderr = StandardError()
        for d in error.diagnostics {
            print("swiftvs \(command): \(d.message) (argument '\(d.token)')", to: &stderr)
            if let hint = d.hint, !hint.isEmpty { print("hint: \(hint)", to: &stderr) }
        }
        Glibc.exit(2)
    }
}
