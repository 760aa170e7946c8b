#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import DaemonMetrics
import FirewallMarks
import IPVS
import CLinux
import HealthCheck
import EventLoop
import VRRPRouter
import Logging
import UnixSignals

/// The options of `swiftvs daemon`, as its command line gives them.
public struct HealthDaemonOptions: Sendable, Equatable {
    public var config = "/etc/swiftvs/swiftvs.conf"
    public var state = "/var/lib/swiftvs/ipvs.rules"
    public var noState = false
    public var control = ControlSocket.defaultPath
    public var vipMarks: [String] = []
    public var markBackend: String?
    public var logLevel = "info"
    public var maxProcesses = 64
    /// `--metrics ADDRESS:PORT`: where the Prometheus endpoint listens; nil: off.
    public var metrics: String?
    /// `--netns NAME`: run in `/run/netns/NAME` (see `DaemonNamespace`); nil: where started.
    public var netns: String?
    /// `--config-id ID`: the id `@ID` lines of the configuration are for; nil: the host name.
    public var configID: String?

    public init() {}

    public static let logLevels = "trace, debug, info, notice, warning, error or critical"

    /// The options written plainly, as `arguments` gives them back: each option a word of its
    /// own with its value in the next word, at most once (`--vip-mark` repeatable), the log
    /// level one of `logLevels` and `--max-processes` a number. Anything else (help,
    /// `--opt=value`, an unknown option, a missing or invalid value, and unless `dashValues` a
    /// value that starts with `-`) is nil: swiftvs's ArgumentParser command owns those messages.
    public init?(plain args: [String], dashValues: Bool = false) {
        var seen: Set<String> = []
        var i = 0
        while i < args.count {
            let option = args[i]
            i += 1
            if option == "--no-state" {
                guard seen.insert(option).inserted else { return nil }
                noState = true
                continue
            }
            guard i < args.count, option == "--vip-mark" || seen.insert(option).inserted else { return nil }
            let value = args[i]
            i += 1
            guard dashValues || !value.hasPrefix("-") else { return nil }
            switch option {
            case "--config": config = value
            case "--state": state = value
            case "--control": control = value
            case "--vip-mark": vipMarks.append(value)
            case "--mark-backend": markBackend = value
            case "--metrics": metrics = value
            case "--netns": netns = value
            case "--config-id": configID = value
            case "--log-level":
                guard Logger.Level(rawValue: value) != nil else { return nil }
                logLevel = value
            case "--max-processes":
                guard let n = Int(value) else { return nil }
                maxProcesses = n
            default: return nil
            }
        }
    }

    /// The command line that `init?(plain:)` reads back as these options.
    public var arguments: [String] {
        var a = ["--config", config, "--state", state, "--control", control]
        if noState { a.append("--no-state") }
        for m in vipMarks { a += ["--vip-mark", m] }
        if let markBackend { a += ["--mark-backend", markBackend] }
        a += ["--log-level", logLevel, "--max-processes", String(maxProcesses)]
        if let metrics { a += ["--metrics", metrics] }
        if let netns { a += ["--netns", netns] }
        if let configID { a += ["--config-id", configID] }
        return a
    }
}

/// `swiftvs daemon`'s start-up and run, shared by the `swiftvs` command and the lean
/// `swiftvs-healthd` executable that it hands the daemon to (see `exec(helper:options:)`).
public enum DaemonMain {
    /// The daemon's executable, installed next to `swiftvs`: the health checker without the
    /// command-line tool's argument parser (and the Foundation it links), so the long-running
    /// process maps, relocates and touches only what the daemon runs.
    public static let helperName = "swiftvs-healthd"

    /// Replaces the process with `swiftvs-healthd` from the directory of the running
    /// executable, given `options.arguments`. Returns (and the caller runs the daemon itself)
    /// when there is no such executable or it cannot be run.
    public static func exec(options: HealthDaemonOptions) {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        guard n > 0 else { return }
        let exe = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return }
        let helper = String(exe[...slash]) + helperName
        guard access(helper, X_OK) == 0 else { return }
        let argv = ([helper] + options.arguments).map { strdup($0) }
        defer { argv.forEach { free($0) } }
        _ = execv(helper, argv + [nil])
    }

    /// The daemon's memory, set before it has any. To be called first thing in `main`, before
    /// any thread has allocated or touched its stack:
    /// - One malloc arena: the checks all run on the reactor thread, so per-thread arenas buy
    ///   no concurrency, only megabytes of RSS in partly used heaps (M_ARENA_MAX, as
    ///   MALLOC_ARENA_MAX=1 would). A thread that already has an arena keeps it (the daemon's
    ///   `run` starts on a pool thread, whose start-up allocations once filled a second arena
    ///   of several MB).
    /// - No transparent huge pages (where the system's setting is `always`, as Debian's
    ///   kernel has it): a thread's 8 MB stack, of which a few pages are used, was then given a
    ///   whole 2 MB page on its first fault, 2 MB of RSS per thread, and so could the heap.
    ///   The daemon's memory is small and sparse: huge pages buy it nothing. The checks it
    ///   runs inherit the setting; they are small programs too.
    /// - Every allocation of 128 KiB or more is a mapping of its own, given back when freed
    ///   (M_MMAP_THRESHOLD, fixed at glibc's own starting value): by default glibc raises the
    ///   threshold to the size of each such block freed (up to 32 MB), so after the first
    ///   start-up the large transients of every reload (the file's text, 4.8 MB at 37,000 real
    ///   servers, the state file's rendering, the desired tables and change lists) came from
    ///   the heap, whose freed middle is kept: the resident set grew by megabytes at each
    ///   reload while the memory in use stayed level (three reloads at that size: heap held
    ///   39 → 55 MB, in use 38.5 → 39.7 MB). Such a block costs a mmap and a munmap, a few
    ///   hundred per reload.
    public static func limitMemory() {
        _ = swiftvs_disable_thp()
        _ = swiftvs_mallopt(swiftvs_m_arena_max(), 1)
        _ = swiftvs_mallopt(swiftvs_m_mmap_threshold(), 128 * 1024)
    }

    /// The process settings a daemon with tens of thousands of checkers needs, set in `main`
    /// before any thread exists (both change process-wide state the threads read):
    /// - The time zone is read once. Every log line's timestamp goes through `localtime`,
    ///   which with `TZ` unset stats `/etc/localtime` again each time to see whether it
    ///   changed: 39,582 kernel-change lines at a big director's start-up were 39,582 stats
    ///   (over the test VM's 9p root about 3 ms each: most of two minutes). `TZ=:/etc/localtime`
    ///   (what systemd gives services for the same reason) reads the same file once; a `TZ`
    ///   the admin set is kept. A change of the system's zone is then seen at the next start.
    /// - The soft limit of open files is raised to the hard one: every TCP check in flight
    ///   holds a socket and every MISC_CHECK a pidfd and pipes, and 1,024 (the usual soft
    ///   limit) is reached with a few thousand checkers on slow servers (checks then fail with
    ///   "Too many open files"). The checks it runs inherit the raised limit.
    public static func settleProcess() {
        setenv("TZ", ":/etc/localtime", 0)
        tzset()
        var limit = rlimit()
        let files = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        if getrlimit(files, &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            // A failure leaves the limit as it was: the daemon runs, and a check that meets
            // the limit says "Too many open files" in the log.
            _ = setrlimit(files, &limit)
        }
    }

    /// What is opened before the daemon moves into its `--netns`: the metrics listener (where
    /// the admin said, in the namespace the daemon was started in) and its event metrics.
    public struct Prepared: Sendable {
        var metricsFD: Int32?
        var events: DaemonMetrics?
    }

    /// Opens the `--metrics` listener, then enters `--netns`. To be called in `main` before the
    /// first `await` (the process has one thread then, and every later thread inherits the
    /// namespace); exits with the reason when either fails.
    public static func prepare(_ options: HealthDaemonOptions) -> Prepared {
        let (fd, events) = openMetrics(options)
        if let name = options.netns {
            do { try DaemonNamespace.enter(name) } catch {
                fail("daemon: \(error)", hint: "'ip netns list' shows the namespaces; 'ip netns add \(name)' makes it", status: 1)
            }
        }
        return Prepared(metricsFD: fd, events: events)
    }

    /// Reads the configuration, opens the kernel, the mark rules, the state directory and the
    /// control socket, then runs the daemon until SIGTERM/SIGINT. Whatever prevents the start
    /// is printed as `swiftvs: daemon: …` (with a hint) and exits: 2 for the configuration and
    /// the options, 1 for the system.
    public static func run(_ options: HealthDaemonOptions, prepared: Prepared? = nil) async {
        let prepared = prepared ?? prepare(options)
        var logger = Logger(label: "swiftvs", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info

        // SIGHUP is caught from here on (its default action would end the process).
        let hangups = await UnixSignalsSequence(trapping: .sighup)

        let (daemon, controlFD, metricsFD) = assemble(options, prepared: prepared, logger: logger)
        do {
            try await daemon.run(hangups: hangups, controlFD: controlFD, controlPath: options.control, metricsFD: metricsFD)
        } catch {
            fail("daemon: \(error)", status: 1)
        }
    }

    /// The daemon as `run` starts it: the configuration read and checked, the kernel, the mark
    /// rules, the state directory and the control socket opened, the engines made. In a
    /// function of its own so that nothing of the start-up's read outlives it: what `run` held
    /// of it (the read's result and configuration) stayed alive for the daemon's life, and
    /// after a reload that was a second configuration (megabytes at 37,000 real servers)
    /// beside the running one. The engines keep what they run.
    static func assemble(_ options: HealthDaemonOptions, prepared: Prepared, logger: Logger)
        -> (daemon: DirectorDaemon, controlFD: Int32, metricsFD: Int32?) {
        let config = options.config, state = options.state, noState = options.noState
        let control = options.control
        let files = HashingFileSystem(hashing: prepared.events != nil)
        let reader = IncrementalConfigReader(file: config, configID: options.configID)
        let checked = reader.read(files: files, deferSnapshot: true).result
        if checked.hasErrors {
            for d in checked.diagnostics { printError(d.description) }
            fail("daemon: \(config) has \(checked.errors.count) error\(checked.errors.count == 1 ? "" : "s")",
                 hint: "'swiftvs check-config \(config)' lists every problem", status: 2)
        }
        guard let director = checked.config else { fail("daemon: \(config): no configuration", status: 2) }
        let daemonConfig = director.lvs
        for w in checked.warnings { logger.warning("\(w)") }
        if let w = daemonConfig.processLimitWarning(limit: options.maxProcesses) { logger.warning("\(config): \(w)") }
        let marks = vipMarks(options, daemonConfig, logger: logger)

        // The kernel's IPVS, when the configuration has a use for it: one handle (one netlink
        // socket) for the daemon's life. A VRRP-only configuration runs without it.
        let ipvs = director.needsIPVS ? openIPVS() : nil
        let markManager = marks.isEmpty ? nil : openMarks(options)
        if !noState && ipvs != nil {
            do { try AtomicFile.makeDirectories(AtomicFile.directory(of: state)) } catch {
                fail("daemon: state file: \(error)", hint: "choose another place with --state, or --no-state", status: 1)
            }
        }

        let controlFD: Int32
        do { controlFD = try ControlSocket.listen(path: control) } catch {
            fail("daemon: control socket: \(error)", hint: "choose another path with --control", status: 1)
        }
        let metricsFD = prepared.metricsFD, events = prepared.events
        events?.configLoaded(ok: true, reload: false, hash: files.hex, unixTime: DirectorDaemon.unixTime())

        // One event loop for everything the daemon waits on: check sockets, check processes,
        // timers, VRRP sockets and link events, the control socket; the checker loops run on
        // its thread.
        let reactor = Reactor()
        var slotWait: (@Sendable (Duration) -> Void)?
        if let events { slotWait = { events.checkStarted(late: $0) } }
        let runner = ProcessRunner(reactor: reactor, maxConcurrent: options.maxProcesses, slotWait: slotWait)
        let factory = CheckerFactory(runner: runner)
        let engine = ipvs.map { ipvs in
            DaemonEngine(
                config: daemonConfig, table: ipvs, marks: markManager,
                settings: DaemonSettings(statePath: noState ? nil : state, vipMarks: marks),
                logger: logger,
                makeChecker: { factory.make($0) },
                runScript: { await runner.run($0, timeout: $1) },
                checkLoop: reactor, metrics: events)
        }
        // Also without vrrp_instance blocks, so that a reload that adds the first ones runs them
        // (and the event loop then turns real-time: `VRRPEngine.applyRealtime`).
        let vrrp = openVRRP(director.vrrp, reactor: reactor, runner: runner, ipvs: ipvs, logger: logger)
        logger.notice("swiftvs daemon: config \(config), control \(control)\(noState || ipvs == nil ? "" : ", state \(state)"), \(daemonConfig.virtualServers.count) virtual servers, \(director.vrrp.instances.count) vrrp instances, pid \(getpid())")
        let metrics = events.map { DirectorMetrics(events: $0, runner: runner, ipvs: ipvs, lvs: engine, vrrp: vrrp) }
        if let m = options.metrics { logger.notice("metrics: http://\(m)/metrics") }
        let daemon = DirectorDaemon(configPath: config, lvs: engine, vrrp: vrrp, reactor: reactor, logger: logger,
                                    processLimit: options.maxProcesses, runner: runner, metrics: metrics,
                                    configID: options.configID, reader: reader)
        return (daemon, controlFD, metricsFD)
    }

    static func vipMarks(_ options: HealthDaemonOptions, _ config: DaemonConfig, logger: Logger) -> [VIPMark] {
        var marks: [VIPMark] = []
        for text in options.vipMarks {
            do { marks.append(try VIPMark(parsing: text)) } catch {
                fail(error.message, hint: error.hint, status: 2)
            }
        }
        let fwmarks = Set(config.virtualServers.compactMap { vs -> UInt32? in
            if case let .fwmark(m) = vs.address { return m }
            return nil
        })
        for m in marks where !fwmarks.contains(m.mark) {
            logger.warning("--vip-mark \(m): \(options.config) has no 'virtual_server fwmark \(m.mark)'; the rule is kept only while it does")
        }
        return marks
    }

    /// The `--metrics` listener and the event metrics, when it is on.
    static func openMetrics(_ options: HealthDaemonOptions) -> (Int32?, DaemonMetrics?) {
        guard let text = options.metrics else { return (nil, nil) }
        let address: MetricsAddress
        do { address = try MetricsAddress(parsing: text) } catch { fail("daemon: \(error)", status: 2) }
        do {
            return (try MetricsListener.listen(address), DaemonMetrics())
        } catch {
            fail("daemon: metrics: \(error)", hint: "choose another address or port with --metrics", status: 1)
        }
    }

    static func openIPVS() -> IPVSHandle {
        do throws(IPVSError) {
            let ipvs = try IPVSHandle()
            _ = try ipvs.services()
            return ipvs
        } catch {
            fail(error.description, hint: error.hint, status: error.code == .invalidValue ? 2 : 1)
        }
    }

    static func openMarks(_ options: HealthDaemonOptions) -> MarkManager {
        do {
            return try MarkManager(backendName: options.markBackend, option: "--mark-backend")
        } catch {
            fail("daemon: mark rules: \(error.message)", hint: error.hint, status: error.exitCode)
        }
    }

    /// The VRRP engine's netlink sockets; an instance's own sockets open when it starts. A
    /// configuration without instances runs on when they cannot be opened (a reload that adds
    /// instances then asks for a restart).
    static func openVRRP(_ config: VRRPConfiguration, reactor: Reactor, runner: ProcessRunner, ipvs: IPVSHandle?,
                         logger: Logger) -> VRRPEngine? {
        let sync = ipvs.map { IPVSSyncDaemon(ipvs: $0) }
        do {
            return try VRRPEngine(config: config, reactor: reactor, runner: runner, logger: logger, syncDaemon: sync)
        } catch {
            guard config.isEmpty else { fail("daemon: \(error)", hint: error.hint, status: 1) }
            logger.warning("vrrp: \(error); vrrp_instance blocks added by a reload will need a restart")
            return nil
        }
    }

    /// `swiftvs: MESSAGE` and an optional hint on standard error, then exit: Diagnostics'
    /// `fail`, the one the command-line tool ends with too.
    public static func fail(_ message: String, hint: String? = nil, status: Int32) -> Never {
        Diagnostics.fail(message, hint: hint, status: status)
    }

    static func printError(_ line: String) {
        var s = line + "\n"
        s.withUTF8 { buf in _ = write(2, buf.baseAddress, buf.count) }
    }
}
