#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import FirewallMarks
import IPVS
import IPVSRules
import Serialization
import SystemErrors

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the table as ipvsadm -L does, or as JSON.",
        discussion: """
            The output is byte for byte what 'ipvsadm -L' prints with the same options.
            --json prints the same data in swiftvs's documented JSON format (docs/json.md).
            -c lists the kernel's connection entries as 'ipvsadm -L -c' does; with -t, -u,
            --sctp-service, -f, --server or --state only the matching ones, with --summary a count
            per real server and state.
            """)

    @OptionGroup var service: ServiceOptions
    @Flag(name: [.customShort("n"), .customLong("numeric")], help: "Numeric addresses and ports.")
    var numeric = false
    @Flag(name: .customLong("stats"), help: "Connection, packet and byte counters.")
    var stats = false
    @Flag(name: .customLong("rate"), help: "Connection, packet and byte rates.")
    var rate = false
    @Flag(name: .customLong("thresholds"), help: "Upper and lower connection thresholds.")
    var thresholds = false
    @Flag(name: .customLong("persistent-conn"), help: "Persistent connection counts.")
    var persistentConnections = false
    @Flag(name: .customLong("tun-info"), help: "Tunnel type, port and checksum mode.")
    var tunnelInfo = false
    @Flag(name: .customLong("exact"), help: "Exact counters (no K, M, G).")
    var exact = false
    @Flag(name: .customLong("sort"), help: "Sort services and real servers (ipvsadm's default; kept for compatibility).")
    var sort = false
    @Flag(name: .customLong("nosort"), help: "Keep the kernel's order.")
    var noSort = false
    @Flag(name: .customLong("timeout"), help: "Show the tcp, tcpfin and udp timeouts.")
    var timeout = false
    @Flag(name: .customLong("daemon"), help: "Show the connection-sync daemons.")
    var daemon = false
    @Flag(name: .customLong("json"), help: "JSON instead of ipvsadm's text.")
    var json = false
    @Flag(name: [.customShort("c"), .customLong("connection")], help: "The connection entries (ipvsadm -L -c).")
    var connection = false
    @Option(name: .customLong("server"), help: ArgumentHelp("With -c: entries to this real server only.", valueName: "address[:port]"))
    var server: String?
    @Option(name: .customLong("state"), help: ArgumentHelp("With -c: entries in this state only (ESTABLISHED, SYN_RECV, UDP, ASSURED, …).", valueName: "state"))
    var state: String?
    @Flag(name: .customLong("summary"), help: "With -c: the number of entries per real server and state.")
    var summary = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        try service.validate(required: false)
        if sort && noSort { throw ValidationError("--sort and --nosort exclude each other.") }
        if connection {
            let other = [("--stats", stats), ("--rate", rate), ("--thresholds", thresholds), ("--tun-info", tunnelInfo),
                         ("--timeout", timeout), ("--daemon", daemon)].filter(\.1).map(\.0)
            if let first = other.first { throw ValidationError("\(first) does not apply to the connection entries (-c).") }
        } else {
            if server != nil || state != nil || summary {
                throw ValidationError("--server, --state and --summary apply to the connection entries: add -c.")
            }
        }
    }

    /// What both `-c` and the table listing take (the same from `QuickCommand`).
    var scope: ListScope {
        ListScope(numeric: numeric, serviceArguments: service.arguments, namespace: common.namespace)
    }

    /// What `-c` asks for (the same from `QuickCommand.connections`).
    var connectionRequest: ConnectionListRequest {
        ConnectionListRequest(scope: scope, persistentConnections: persistentConnections, json: json,
                              summary: summary, server: server, state: state)
    }

    /// What the command line asks for without `-c` (the same from `QuickCommand.list`).
    var request: ListRequest {
        ListRequest(scope: scope, stats: stats, rate: rate, thresholds: thresholds,
                    persistentConnections: persistentConnections, tunnelInfo: tunnelInfo, exact: exact,
                    noSort: noSort, timeout: timeout, daemon: daemon, json: json)
    }

    func run() throws {
        if connection { try connectionRequest.run() }
        try request.run()
    }
}

struct Save: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "save",
        abstract: "Print the table in ipvsadm-save's format (byte for byte), optionally with the mark rules.",
        discussion: """
            'swiftvs save -n > FILE' writes what 'ipvsadm-save -n' writes; both ipvsadm-restore and
            'swiftvs restore' read it back. --with-marks appends swiftvs's firewall-mark rules as
            '# swiftvs-mark …' lines, which ipvsadm-restore skips as comments.
            """)

    @Flag(name: [.customShort("n"), .customLong("numeric")], help: "Numeric addresses and ports.")
    var numeric = false
    @Flag(name: .customLong("with-marks"), help: "Append swiftvs's mangle MARK rules (# swiftvs-mark lines).")
    var withMarks = false
    @OptionGroup var markBackend: MarkBackendSetting
    @OptionGroup var common: CommonOptions

    /// What the command line asks for (the same from `QuickCommand.save`).
    var request: SaveRequest {
        SaveRequest(numeric: numeric, withMarks: withMarks, backend: markBackend.name, namespace: common.namespace)
    }

    func run() throws { try request.run() }
}

/// A save as asked for on the command line; `run` does it.
struct SaveRequest: Equatable {
    var numeric = false
    var withMarks = false
    var backend: String?
    var namespace: String?

    func run() throws {
        let ipvs = try openIPVS(namespace: namespace)
        // A save prints no counters: they are not decoded.
        let services = try report { () throws(IPVSError) in try ipvs.services(statistics: false) }
        var marks: [String] = []
        if withMarks {
            let manager = try markManager(backend, namespace: namespace, command: "save")
            marks = try markCall("save") { () throws(MarkError) in try manager.list() }.map(\.description)
        }
        let resolver: any NameResolver = numeric ? NumericResolver() : SystemResolver()
        // One buffer, one write, straight from where the text was built: the table can be megabytes.
        SaveFormat.withRenderedBytes(services, numeric: numeric, resolver: resolver, marks: marks) { text -> Never in
            do {
                _ = try FileDescriptor.standardOutput.writeAll(text)   // short writes and EINTR retried
            } catch {
                fail("save: cannot write the table: \(error)", status: 1)
            }
            // Done: as in restore, the process ends here rather than freeing the table (tens
            // of thousands of entries, one object at a time) and the text buffer, for memory
            // the kernel takes back anyway.
            Glibc.exit(0)
        }
    }
}
