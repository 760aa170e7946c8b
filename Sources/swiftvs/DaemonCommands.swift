#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import HealthCheck
import Director
import Logging

struct HealthCheckDaemon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "daemon",
        abstract: "Health-check the real servers of keepalived's virtual_server blocks and keep the table true.",
        discussion: """
            Reads the LVS part of a keepalived.conf (virtual_server, virtual_server_group, real_server,
            TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, PING_CHECK; other blocks are accepted and ignored),
            adopts what the kernel already has (a restart with a healthy table changes nothing), and
            adds, removes or re-weights real servers as their checks pass and fail. Services that are
            not in the configuration are never touched.

            Signals: SIGHUP reloads the configuration and applies only the difference (an invalid file
            is logged and the running configuration kept); SIGTERM/SIGINT stop, leaving the table as it
            is, except virtual servers with 'omega', which are removed.

            Firewall-mark virtual servers: keepalived.conf has no place for their VIP, so give it here,
            e.g. --vip-mark 192.0.2.100=80 for 'virtual_server fwmark 80'; the daemon keeps the mark
            rule (as 'swiftvs mark add -d 192.0.2.100 --mark 80') in place.

            After every kernel change the table is written to --state in ipvsadm-save -n format (plus
            '# swiftvs-mark' lines with --vip-mark), so 'swiftvs restore FILE' puts it back at boot.
            'swiftvs status' reads the state of every server from --control.
            """)

    @Option(name: .customLong("config"), help: ArgumentHelp("keepalived.conf-style configuration.", valueName: "file"))
    var config = "/etc/swiftvs/swiftvs.conf"

    @Option(name: .customLong("state"), help: ArgumentHelp("Where to save the table after every change.", valueName: "file"))
    var state = "/var/lib/swiftvs/ipvs.rules"

    @Flag(name: .customLong("no-state"), help: "Do not write a state file.")
    var noState = false

    @Option(name: .customLong("control"), help: ArgumentHelp("The control socket for 'swiftvs status'.", valueName: "path"))
    var control = ControlSocket.defaultPath

    @Option(name: .customLong("vip-mark"), help: ArgumentHelp("The VIP of a firewall-mark virtual server (repeatable).", valueName: "address=mark"))
    var vipMarks: [String] = []

    @OptionGroup var markBackend: MarkBackendSetting

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("max-processes"), help: "At most this many MISC_CHECK and notify scripts at once.")
    var maxProcesses = 64

    @Option(name: .customLong("metrics"),
            help: ArgumentHelp("Serve Prometheus metrics at http://ADDRESS:PORT/metrics (IPv6 in brackets: [::1]:9540). Off by default.",
                               valueName: "address:port"))
    var metrics: String?

    @OptionGroup var placement: DaemonPlacement<DaemonPlacementHelp>

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): use trace, debug, info, notice, warning, error or critical.")
        }
        if let metrics {
            do { _ = try MetricsAddress(parsing: metrics) } catch { throw ValidationError(error.description) }
        }
    }

    var options: HealthDaemonOptions {
        var o = HealthDaemonOptions()
        o.config = config
        o.state = state
        o.noState = noState
        o.control = control
        o.vipMarks = vipMarks
        o.markBackend = markBackend.name
        o.logLevel = logLevel
        o.maxProcesses = maxProcesses
        o.metrics = metrics
        o.netns = placement.namespace
        o.configID = placement.configID
        return o
    }

    /// Hands the daemon to `swiftvs-healthd` when it is installed next to this executable (see
    /// `DaemonMain.exec`), else runs it in this process.
    func run() async throws {
        DaemonMain.exec(options: options)
        // Here the process has threads already: the move into a namespace would take only this
        // one, so --netns is for swiftvs-healthd, which makes it before its first thread.
        if let namespace = placement.namespace {
            fail("daemon: --netns \(namespace) needs \(DaemonMain.helperName) installed next to swiftvs",
                 hint: "install both executables from the same build (Scripts/build-release)", status: 1)
        }
        await DaemonMain.run(options)
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a keepalived.conf-style configuration for 'swiftvs daemon'.",
        discussion: """
            Prints every problem as FILE:LINE:COLUMN: message (warnings as FILE:LINE:COLUMN: warning:
            message) on standard error. Exit status 2 when there are errors; warnings alone exit 0.
            """)

    @Argument(help: ArgumentHelp("The configuration file.", valueName: "file"))
    var argument: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("The configuration file, as 'swiftvs daemon --config' names it (instead of the argument).", valueName: "file"))
    var config: String?

    /// The file, given either way.
    var file: String { argument ?? config ?? "" }

    func validate() throws {
        guard (argument == nil) != (config == nil) else {
            throw ValidationError("name the configuration file once: as the argument or with --config")
        }
    }

    @OptionGroup var placement: DaemonPlacement<CheckConfigPlacementHelp>

    func run() throws {
        enterNamespace(placement.namespace, for: "check-config")
        let result = DirectorCheckResult.check(file: file, configID: placement.configID)
        var stderr = StandardError()
        for d in result.diagnostics { print(d.description, to: &stderr) }
        if result.hasErrors {
            print("\(file): \(result.errors.count) error\(result.errors.count == 1 ? "" : "s"), \(result.warnings.count) warning\(result.warnings.count == 1 ? "" : "s")", to: &stderr)
            Glibc.exit(2)
        }
        print("\(file): OK: \(result.config!.summary)"
              + (result.warnings.isEmpty ? "" : ", \(result.warnings.count) warning\(result.warnings.count == 1 ? "" : "s")"))
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show what 'swiftvs daemon' sees: every virtual and real server, its state, last result, latency and last change.")

    @Flag(name: .customLong("json"), help: "JSON instead of text.")
    var json = false

    @Option(name: .customLong("control"), help: ArgumentHelp("The daemon's control socket.", valueName: "path"))
    var control = ControlSocket.defaultPath

    @Option(name: .customLong("netns"),
            help: ArgumentHelp("The daemon's network namespace (the control socket is a path, so --control finds it either way).", valueName: "name"))
    var namespace: String?

    func run() throws {
        enterNamespace(namespace, for: "status")
        do {
            let answer = try ControlSocket.request(json ? "status json" : "status", path: control)
            print(answer, terminator: "")
        } catch {
            fail("status: \(error)", hint: "is 'swiftvs daemon' running with --control \(control)?", status: 1)
        }
    }
}

/// `--netns NAME` for the commands that do not open IPVS: the command runs in the namespace,
/// or says why it cannot and exits 1.
func enterNamespace(_ name: String?, for command: String) {
    guard let name else { return }
    do { try DaemonNamespace.enter(name) } catch {
        fail("\(command): \(error)", hint: "'ip netns list' shows the namespaces", status: 1)
    }
}
