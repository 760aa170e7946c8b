#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ArgumentParser
import FirewallMarks
import HealthCheck
import IPVS
import Logging
import UnixSignals

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

    @Option(name: .customLong("mark-backend"), help: "iptables or nft (default: as 'swiftvs mark').")
    var markBackend: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("max-processes"), help: "At most this many MISC_CHECK and notify scripts at once.")
    var maxProcesses = 64

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level \(logLevel): use trace, debug, info, notice, warning, error or critical.")
        }
    }

    func run() async throws {
        var logger = Logger(label: "swiftvs", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        // SIGHUP is caught from here on (its default action would end the process).
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        let checked = ConfigParser.check(file: config)
        if checked.hasErrors {
            var stderr = StandardError()
            for d in checked.diagnostics { print(d.description, to: &stderr) }
            fail("daemon: \(config) has \(checked.errors.count) error\(checked.errors.count == 1 ? "" : "s")",
                 hint: "'swiftvs check-config \(config)' lists every problem", status: 2)
        }
        guard let daemonConfig = checked.config else { fail("daemon: \(config): no configuration", status: 2) }
        for w in checked.warnings { logger.warning("\(w)") }

        var marks: [VIPMark] = []
        for text in vipMarks {
            do { marks.append(try VIPMark(parsing: text)) } catch {
                fail(error.message, hint: error.hint, status: 2)
            }
        }
        let fwmarks = Set(daemonConfig.virtualServers.compactMap { vs -> UInt32? in
            if case let .fwmark(m) = vs.address { return m }
            return nil
        })
        for m in marks where !fwmarks.contains(m.mark) {
            logger.warning("--vip-mark \(m): \(config) has no 'virtual_server fwmark \(m.mark)'; the rule is kept only while it does")
        }

        // The kernel: one handle (one netlink socket) for the daemon's life.
        let ipvs = try report { () throws(IPVSError) in try IPVSHandle() }
        _ = try report { () throws(IPVSError) in try ipvs.services() }

        var markManager: MarkManager?
        if !marks.isEmpty {
            do {
                let kind = try markBackend.map { (b: String) throws(MarkError) in try MarkBackendKind(parsing: b) }
                markManager = try MarkManager(backend: kind)
            } catch {
                fail("daemon: mark rules: \(error.message)", hint: error.hint, status: error.exitCode)
            }
        }

        if !noState {
            do { try AtomicFile.makeDirectories(AtomicFile.directory(of: state)) } catch {
                fail("daemon: state file: \(error)", hint: "choose another place with --state, or --no-state", status: 1)
            }
        }

        let controlFD: Int32
        do { controlFD = try ControlSocket.listen(path: control) } catch {
            fail("daemon: control socket: \(error)", hint: "choose another path with --control", status: 1)
        }

        let runner = ProcessRunner(maxConcurrent: maxProcesses)
        let factory = CheckerFactory(runner: runner)
        let engine = DaemonEngine(
            config: daemonConfig, table: ipvs, marks: markManager,
            settings: DaemonSettings(statePath: noState ? nil : state, vipMarks: marks),
            logger: logger,
            makeChecker: { factory.make($0) },
            runScript: { await runner.run($0, timeout: $1) })
        logger.notice("swiftvs daemon: config \(config), control \(control)\(noState ? "" : ", state \(state)"), pid \(getpid())")
        let daemon = HealthDaemon(configPath: config, engine: engine, logger: logger)
        do {
            try await daemon.run(hangups: hangups, controlFD: controlFD, controlPath: control)
        } catch {
            fail("daemon: \(error)", status: 1)
        }
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
    var file: String

    func run() throws {
        let result = ConfigParser.check(file: file)
        var stderr = StandardError()
        for d in result.diagnostics { print(d.description, to: &stderr) }
        if result.hasErrors {
            print("\(file): \(result.errors.count) error\(result.errors.count == 1 ? "" : "s"), \(result.warnings.count) warning\(result.warnings.count == 1 ? "" : "s")", to: &stderr)
            Glibc.exit(2)
        }
        let c = result.config!
        let reals = c.virtualServers.reduce(0) { $0 + $1.realServers.count }
        let checkers = c.virtualServers.reduce(0) { $0 + $1.realServers.reduce(0) { $0 + $1.checkers.count } }
        print("\(file): OK: \(c.virtualServers.count) virtual servers, \(reals) real servers, \(checkers) checkers"
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

    func run() throws {
        do {
            let answer = try ControlSocket.request(json ? "status json" : "status", path: control)
            print(answer, terminator: "")
        } catch {
            fail("status: \(error)", hint: "is 'swiftvs daemon' running with --control \(control)?", status: 1)
        }
    }
}

/// One malloc arena for the daemon: the checks all run on the reactor thread, so
/// per-thread arenas buy no concurrency, only megabytes of RSS in partly used heaps
/// (M_ARENA_MAX, as MALLOC_ARENA_MAX=1 would). Called first thing in `main`, before any
/// thread has allocated: a thread that already has an arena keeps it (the daemon's `run`
/// starts on a pool thread, whose start-up allocations once filled a second arena of
/// several MB).
func limitMallocArenas() {
    typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    if let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        _ = unsafeBitCast(f, to: MallOpt.self)(-8 /* M_ARENA_MAX */, 1)
    }
}
