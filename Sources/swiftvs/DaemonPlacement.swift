import ArgumentParser

/// Where and as whom the daemon reads its configuration: `--netns` and `--config-id`, the
/// same two options for `daemon` and for `check-config` (which checks as the daemon would
/// run), each command with its own help text (`Help`).
struct DaemonPlacement<Help: DaemonPlacementHelpText>: ParsableArguments {
    @Option(name: .customLong("netns"), help: ArgumentHelp(Help.namespace, valueName: "name"))
    var namespace: String?

    @Option(name: .customLong("config-id"), help: ArgumentHelp(Help.configID, valueName: "id"))
    var configID: String?
}

/// A command's help for `DaemonPlacement`'s options.
protocol DaemonPlacementHelpText {
    static var namespace: String { get }
    static var configID: String { get }
}

/// `daemon --help`'s words for them.
enum DaemonPlacementHelp: DaemonPlacementHelpText {
    static let namespace = "Run in the named network namespace (/run/netns/NAME): IPVS, mark rules, checks and VRRP there; --control and --metrics where given."
    static let configID = "The id '@ID' lines of the configuration are for (keepalived's --config-id; default: the host name up to its first '.')."
}

/// `check-config --help`'s words for them.
enum CheckConfigPlacementHelp: DaemonPlacementHelpText {
    static let namespace = "Check as the daemon would run in this network namespace."
    static let configID = "Read the '@ID' lines for this id, as 'swiftvs daemon --config-id' would (default: the host name up to its first '.')."
}
