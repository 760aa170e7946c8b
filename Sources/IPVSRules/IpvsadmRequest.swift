import IPVSModel

/// What one ipvsadm command line asks for, once ipvsadm (1.31) would have accepted it.
public enum IpvsadmRequest: Hashable, Sendable {
    /// `-A -E -D -a -e -d -C -Z --set --start-daemon --stop-daemon`: one kernel call.
    case action(RuleAction)
    /// `-L` (or ipvsadm alone): the whole table.
    case listTable(ListOptions)
    /// `-L -t|-u|--sctp-service|-f SERVICE`: one service.
    case listService(ServiceKey, ListOptions)
    /// `-L --timeout`.
    case listTimeouts
    /// `-L --daemon`.
    case listDaemons
    /// `-L -c`: the connection table (`/proc/net/ip_vs_conn`), with `-n` and `--persistent-conn`.
    case listConnections(numeric: Bool, persistentConnections: Bool)
    /// `-S [-n]`: the table as ipvsadm-save prints it.
    case save(numeric: Bool)
    /// `-R`: command lines from standard input, one per line.
    case restore
    /// `-h`: the usage text on standard output, exit 0.
    case help
    /// `-v`: the version line on standard output, exit 0.
    case version
}

/// How ipvsadm gives up on a command line: the message it prints on standard error (each
/// line ending in a newline) and its exit status.
public struct IpvsadmFailure: Error, Hashable, Sendable {
    /// The text for standard error, newlines included.
    public var message: String
    /// The exit status: 2 for ipvsadm's `fail(2, …)`, 255 for its `exit(-1)` and `return -1`.
    public var status: Int32
    /// Whether ipvsadm exits on the spot (`fail`, `tryhelp_exit`), also in the middle of a
    /// `-R`; a popt error only ends its line (process_options returns -1) and `-R` goes on.
    public var exits: Bool

    /// ipvsadm's `fail(2, …)`: the message and a newline, exit 2.
    static func fail(_ message: String) -> IpvsadmFailure {
        IpvsadmFailure(message: message + "\n", status: 2, exits: true)
    }

    /// ipvsadm's `tryhelp_exit(program, -1)`.
    static func tryHelp(_ program: String) -> IpvsadmFailure {
        IpvsadmFailure(message: "Try `\(program) -h' or '\(program) --help' for more information.\n", status: 255, exits: true)
    }
}
