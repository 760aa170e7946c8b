import ArgumentParser
import FirewallMarks
import IPVS
import IPVSRules

/// Applies one parsed command to the kernel (exit 1 with the kernel's reason on failure).
func perform(_ action: RuleAction, on ipvs: IPVSHandle) throws {
    try report { () throws(IPVSError) in
        switch action {
        case let .change(c): try ipvs.apply(c)
        case let .setTimeouts(t): try ipvs.setTimeouts(t)
        case let .startDaemon(d): try ipvs.startSyncDaemon(d)
        case let .stopDaemon(role): try ipvs.stopSyncDaemon(role)
        }
    }
}

/// The mark rule `add-service -f N --vip ADDR` installs with a firewall-mark service.
struct VIPMarkOptions: ParsableArguments {
    @Option(name: .customLong("vip"),
            help: ArgumentHelp("With -f: also mark packets to this address (a mangle MARK rule, as 'swiftvs mark add').", valueName: "addr[/prefix]"))
    var vip: String?

    @Option(name: .customLong("vip-protocol"), help: "With --vip: mark only tcp, udp or sctp packets.")
    var vipProtocol: String?

    @Option(name: .customLong("vip-dport"), help: ArgumentHelp("With --vip-protocol: destination port or range.", valueName: "port[:port]"))
    var vipPorts: String?

    @OptionGroup var backend: MarkBackendSetting
}

/// A table command that is one ipvsadm command on a service (-A, -E, -D, -a, -e, -d, -Z): its
/// action is that option, the service's options and `extraArguments`, read by the rules parser.
protocol ServiceCommand: TableCommand {
    /// ipvsadm's command option.
    static var ipvsadmOption: String { get }
    /// Whether the service must be named (all but zero, which without one zeroes every service).
    static var serviceRequired: Bool { get }
    var service: ServiceOptions { get }
    /// What follows the service on the ipvsadm line (the real server, attributes).
    var extraArguments: [String] { get }
}

extension ServiceCommand {
    static var serviceRequired: Bool { true }
    var extraArguments: [String] { [] }

    func validate() throws { try service.validate(required: Self.serviceRequired) }

    func action() throws(RulesError) -> RuleAction {
        try ruleAction([Self.ipvsadmOption] + service.arguments + extraArguments, command: Self.configuration.commandName!)
    }
}

struct AddService: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "add-service",
        abstract: "Add a virtual service (ipvsadm -A).",
        discussion: """
            Examples:
              swiftvs add-service -f 80 -s lc --vip 192.0.2.100
              swiftvs add-service -t 192.0.2.100:80 -s wrr -p 600
            """)

    @OptionGroup var service: ServiceOptions
    @OptionGroup var attributes: ServiceAttributeOptions
    @OptionGroup var mark: VIPMarkOptions
    @OptionGroup var common: CommonOptions

    func validate() throws {
        try service.validate(required: true)
        if mark.vip != nil && service.fwmark == nil {
            throw ValidationError("--vip installs a mark rule for a firewall-mark service: use it with -f.")
        }
        if mark.vip == nil && (mark.vipProtocol != nil || mark.vipPorts != nil || mark.backend.name != nil) {
            throw ValidationError("--vip-protocol, --vip-dport and --mark-backend go with --vip.")
        }
    }

    static let ipvsadmOption = "-A"
    var extraArguments: [String] { attributes.arguments }

    func run() throws {
        let action = checkedAction
        // Check the mark rule before touching anything.
        var rule: MarkRule?
        var marks: MarkManager?
        if let vip = mark.vip, case let .change(.addService(s)) = action, case let .fwmark(value, _) = s.key {
            rule = try markCall("add-service") { () throws(MarkError) in
                try MarkRule(destination: vip, protocol: mark.vipProtocol, ports: mark.vipPorts, mark: String(value))
            }
            marks = try markManager(mark.backend.name, namespace: common.namespace, command: "add-service")
        }
        let ipvs = try common.open()
        try perform(action, on: ipvs)
        if let rule, let marks {
            do {
                try marks.add(rule)
            } catch {
                // Nothing half-done: the service goes again if its mark rule cannot be made.
                if case let .change(.addService(s)) = action { try? ipvs.deleteService(s.key) }
                fail("add-service: \(error.message)", hint: error.hint, status: error.exitCode)
            }
        }
    }
}

struct EditService: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit-service",
        abstract: "Edit a virtual service (ipvsadm -E); options left out take their defaults, as with ipvsadm.")

    static let ipvsadmOption = "-E"

    @OptionGroup var service: ServiceOptions
    @OptionGroup var attributes: ServiceAttributeOptions
    @OptionGroup var common: CommonOptions

    var extraArguments: [String] { attributes.arguments }
}

struct DeleteService: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-service",
        abstract: "Delete a virtual service and its real servers (ipvsadm -D).",
        discussion: "For a firewall-mark service, swiftvs's own mark rules for that mark go too (--keep-marks keeps them).")

    @OptionGroup var service: ServiceOptions
    @Flag(name: .customLong("keep-marks"), help: "Leave the mark rules of a firewall-mark service alone.")
    var keepMarks = false
    @OptionGroup var markBackend: MarkBackendSetting
    @OptionGroup var common: CommonOptions

    static let ipvsadmOption = "-D"

    func run() throws {
        let action = checkedAction
        let ipvs = try common.open()
        try perform(action, on: ipvs)
        guard !keepMarks, case let .change(.deleteService(key)) = action, case let .fwmark(value, family) = key else { return }
        let marks = try markManager(markBackend.name, namespace: common.namespace, command: "delete-service")
        let ours = try markCall("delete-service") { () throws(MarkError) in try marks.list() }
        for rule in ours where rule.mark == value && rule.family == family {
            _ = try markCall("delete-service") { () throws(MarkError) in try marks.delete(rule, ifExists: true) }
        }
    }
}

/// What tells `add-server` and `edit-server` apart: their name, help and ipvsadm's command
/// option. They take the same options and make the same ipvsadm line (`ServerChange`).
protocol ServerChangeVerb {
    static var configuration: CommandConfiguration { get }
    static var ipvsadmOption: String { get }
}

/// A real server of a service, with its attributes: `add-server` or `edit-server`.
struct ServerChange<Verb: ServerChangeVerb>: ServiceCommand {
    static var configuration: CommandConfiguration { Verb.configuration }
    static var ipvsadmOption: String { Verb.ipvsadmOption }

    @OptionGroup var service: ServiceOptions
    @OptionGroup var server: ServerAddressOption
    @OptionGroup var attributes: ServerAttributeOptions
    @OptionGroup var common: CommonOptions

    var extraArguments: [String] { ["-r", server.server] + attributes.arguments }
}

typealias AddServer = ServerChange<AddServerVerb>
typealias EditServer = ServerChange<EditServerVerb>

enum AddServerVerb: ServerChangeVerb {
    static let configuration = CommandConfiguration(
        commandName: "add-server",
        abstract: "Add a real server to a service (ipvsadm -a).",
        discussion: """
            Examples:
              swiftvs add-server -f 80 -r 192.0.2.101 -g
              swiftvs add-server -t 192.0.2.100:80 -r 192.0.2.11:8080 -m -w 3
            """)
    static let ipvsadmOption = "-a"
}

enum EditServerVerb: ServerChangeVerb {
    static let configuration = CommandConfiguration(
        commandName: "edit-server",
        abstract: "Edit a real server (ipvsadm -e); options left out take their defaults, as with ipvsadm.")
    static let ipvsadmOption = "-e"
}

struct DeleteServer: ServiceCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete-server",
        abstract: "Delete a real server from a service (ipvsadm -d).")

    static let ipvsadmOption = "-d"

    @OptionGroup var service: ServiceOptions
    @OptionGroup var server: ServerAddressOption
    @OptionGroup var common: CommonOptions

    var extraArguments: [String] { ["-r", server.server] }
}

struct Clear: TableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "Delete every virtual service (ipvsadm -C).")
    @OptionGroup var common: CommonOptions
    func action() throws(RulesError) -> RuleAction { .change(.flush) }
}

struct Zero: ServiceCommand {
    static let configuration = CommandConfiguration(commandName: "zero", abstract: "Zero the counters of one service, or of all (ipvsadm -Z).")
    @OptionGroup var service: ServiceOptions
    @OptionGroup var common: CommonOptions

    static let ipvsadmOption = "-Z"
    static let serviceRequired = false
}

struct SetTimeouts: TableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-timeouts",
        abstract: "Set the tcp, tcpfin and udp connection timeouts in seconds (ipvsadm --set); 0 keeps a value.")
    @Argument var tcp: String
    @Argument var tcpFin: String
    @Argument var udp: String
    @OptionGroup var common: CommonOptions

    func action() throws(RulesError) -> RuleAction {
        try ruleAction(["--set", tcp, tcpFin, udp], command: Self.configuration.commandName!)
    }
}

struct DaemonOptions: ParsableArguments {
    @Option(name: .customLong("mcast-interface"), help: "Multicast interface (default eth0).")
    var interface: String?
    @Option(name: .customLong("syncid"), help: "Sync ID, 0 to 255.")
    var syncID: String?
    @Option(name: .customLong("sync-maxlen"), help: "Maximum UDP payload of sync messages.")
    var maxLength: String?
    @Option(name: .customLong("mcast-group"), help: "Multicast group (IPv4 or IPv6).")
    var group: String?
    @Option(name: .customLong("mcast-port"), help: "Multicast port.")
    var port: String?
    @Option(name: .customLong("mcast-ttl"), help: "Multicast TTL.")
    var ttl: String?

    /// ipvsadm's tokens for the options given.
    var arguments: [String] {
        IpvsadmWord.arguments([.option("--mcast-interface", interface), .option("--syncid", syncID),
                               .option("--sync-maxlen", maxLength), .option("--mcast-group", group),
                               .option("--mcast-port", port), .option("--mcast-ttl", ttl)])
    }
}

struct StartDaemon: TableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start-daemon", abstract: "Start the kernel's connection-sync daemon (ipvsadm --start-daemon).")
    @Argument(help: "master or backup") var role: String
    @OptionGroup var options: DaemonOptions
    @OptionGroup var common: CommonOptions

    func action() throws(RulesError) -> RuleAction {
        try ruleAction(["--start-daemon", role] + options.arguments, command: Self.configuration.commandName!)
    }
}

struct StopDaemon: TableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop-daemon", abstract: "Stop the kernel's connection-sync daemon (ipvsadm --stop-daemon).")
    @Argument(help: "master or backup") var role: String
    @OptionGroup var common: CommonOptions

    func action() throws(RulesError) -> RuleAction {
        try ruleAction(["--stop-daemon", role], command: Self.configuration.commandName!)
    }
}

/// Runs a firewall-mark call; its error is printed with its hint and exit status.
func markCall<T>(_ command: String, _ body: () throws(MarkError) -> T) throws -> T {
    do { return try body() } catch {
        fail("\(command): \(error.message)", hint: error.hint, status: error.exitCode)
    }
}

/// The mark rules' manager for `--mark-backend` and `--netns`, or the explained error.
func markManager(_ backend: String?, namespace: String?, command: String) throws -> MarkManager {
    try markCall(command) { () throws(MarkError) in try MarkManager(backendName: backend, option: "--mark-backend", namespace: namespace) }
}
