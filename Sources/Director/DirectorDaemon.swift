import DaemonMetrics
import HealthCheck
import VRRPRouter
import EventLoop
import SystemErrors
import Logging
import ServiceLifecycle
import UnixSignals

/// `swiftvs daemon` as a swift-service-lifecycle `ServiceGroup`, both halves of keepalived in
/// one process:
///
/// * the LVS engine (checkers and kernel table), when the configuration has virtual servers;
/// * the VRRP engine (virtual routers), when it has `vrrp_instance` blocks, started once the
///   LVS engine's table and mark rules are in place (a director that could win the election
///   before then would hold the VIP with nothing to balance it);
/// * SIGHUP: re-read the file once, apply each half's difference, or keep the running
///   configuration when the new one has errors (each logged as FILE:LINE:COL);
/// * the control socket for `swiftvs status`.
///
/// Graceful shutdown (SIGTERM/SIGINT) runs the services' shutdown in reverse order: the
/// control socket closes first, then reloads stop, then VRRP leaves (a master sends priority 0
/// and removes its addresses), then the LVS engine stops (omega removal and scripts) last.
public struct DirectorDaemon: Sendable {
    public let configPath: String
    /// `--config-id`: the `@ID` lines a reload reads; nil: the host name.
    public let configID: String?
    public let lvs: DaemonEngine?
    public let vrrp: VRRPEngine?
    /// Serves the control socket.
    public let reactor: Reactor
    public let logger: Logger
    /// The runner's `--max-processes`: a reloaded configuration that may need more is warned about.
    public let processLimit: Int?
    /// The check and script processes' runner, whose slots `swiftvs status` shows.
    public let runner: ProcessRunner?
    /// What `--metrics` serves, when it is on.
    public let metrics: DirectorMetrics?
    /// The last reload: what `swiftvs status` shows.
    let lastReload = LastReload()
    /// Reads the file for a reload, again only where it changed since the last good read.
    public let reader: IncrementalConfigReader

    public init(configPath: String, lvs: DaemonEngine?, vrrp: VRRPEngine?, reactor: Reactor, logger: Logger,
                processLimit: Int? = nil, runner: ProcessRunner? = nil, metrics: DirectorMetrics? = nil,
                configID: String? = nil, reader: IncrementalConfigReader? = nil) {
        self.configID = configID
        self.reader = reader ?? IncrementalConfigReader(file: configPath, configID: configID)
        self.metrics = metrics
        self.runner = runner
        self.configPath = configPath
        self.lvs = lvs
        self.vrrp = vrrp
        self.reactor = reactor
        self.logger = logger
        self.processLimit = processLimit
    }

    /// Re-reads the configuration file. Returns false (and logs why) when it has errors: the
    /// running configuration stays.
    @discardableResult
    public func reload() async -> Bool {
        logger.notice("reload: reading \(configPath)")
        let started = ContinuousClock.now
        let files = HashingFileSystem(hashing: metrics != nil)
        let reading = reader.read(files: files)
        let result = reading.result
        let read = ContinuousClock.now - started
        if let (n, of) = reading.reread {
            logger.notice("reload: \(n) of \(of) top-level blocks read again, the rest unchanged (\(reading.phases))")
        } else if let why = reading.wholeFileReason {
            logger.notice("reload: the whole file read (\(why); \(reading.phases))")
        }
        guard let config = result.config, !result.hasErrors else {
            for e in result.errors { logger.error("reload: \(e)") }
            logger.error("reload: \(configPath) has \(result.errors.count) error\(result.errors.count == 1 ? "" : "s"); keeping the running configuration")
            metrics?.events.configLoaded(ok: false, reload: true, hash: nil, unixTime: Self.unixTime())
            lastReload.set(ok: false, errors: result.errors.count)
            return false
        }
        metrics?.events.configLoaded(ok: true, reload: true, hash: files.hex, unixTime: Self.unixTime())
        lastReload.set(ok: true, errors: 0)
        for w in result.warnings { logger.warning("reload: \(w)") }
        if let processLimit, let w = config.lvs.processLimitWarning(limit: processLimit) { logger.warning("reload: \(configPath): \(w)") }
        if let lvs { await lvs.reload(config.lvs, unchanged: reading.unchanged) } else if !config.lvs.virtualServers.isEmpty {
            logger.error("reload: \(configPath) now has virtual servers, but this daemon started without IPVS; restart it to run them")
        }
        if let vrrp { if !reading.vrrpUnchanged { await vrrp.reload(config.vrrp) } } else if !config.vrrp.isEmpty {
            logger.error("reload: \(configPath) now has vrrp_instance blocks; restart the daemon to run them")
        }
        logger.notice("reload: \(configPath) applied (read and checked in \(read.logSeconds), applied in \((ContinuousClock.now - started - read).logSeconds))")
        return true
    }

    /// The answer to one control-socket request.
    public func answer(_ request: ControlRequest) async -> String {
        switch request {
        case .status: return await status().text
        case .statusJSON: return await status().json
        case .ping: return "pong\n"
        case let .unknown(line): return ControlRequest.unknownAnswer(line)
        }
    }

    /// What `swiftvs status` shows: both halves, the process slots and the last reload.
    func status() async -> DirectorStatus {
        var s = await DirectorStatus.collect(lvs: lvs, vrrp: vrrp)
        s.processes = runner.map { ProcessSlots(limit: $0.maxConcurrent, running: $0.running, queued: $0.queued) }
        s.lastReload = lastReload.value
        return s
    }

    static func unixTime() -> Double { Double(WallTime.now.nanoseconds) / 1e9 }

    /// Runs until SIGTERM or SIGINT. `hangups` must be created before anything else runs, so
    /// that an early SIGHUP is caught rather than killing the process; `controlFD` is a
    /// listening socket from `ControlSocket.listen`.
    public func run(hangups: UnixSignalsSequence, controlFD: Int32?, controlPath: String, metricsFD: Int32? = nil) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        func add(_ service: some Service, _ name: String) {
            services.append(.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: name))
        }
        // VRRP waits for the LVS half's start: a director takes part in the election (and may
        // take the VIP) only once its table and mark rules are in place.
        let lvsStarted = lvs.map { _ in StartGate() }
        if let lvs { add(EngineService(engine: lvs, started: lvsStarted), "engine") }
        let vrrpStarted = vrrp.map { _ in StartGate() }
        if let vrrp { add(VRRPService(engine: vrrp, logger: logger, after: lvsStarted, started: vrrpStarted), "vrrp") }
        if let last = vrrpStarted ?? lvsStarted {
            add(StartupMemoryService(after: last, reactor: reactor, logger: logger, firstElection: await vrrp?.config.firstElectionSpan,
                                     afterStart: { [reader] in reader.completeSnapshot() }), "memory")
        }
        add(ReloadService(daemon: self, hangups: hangups), "reload")
        if let controlFD {
            add(ListenerService { [self, reactor] in
                await ControlSocket.serve(fd: controlFD, path: controlPath, reactor: reactor) { await self.answer($0) }
            }, "control")
        }
        if let metricsFD, let metrics {
            add(ListenerService { [reactor] in
                await MetricsListener.serve(fd: metricsFD, reactor: reactor) { await metrics.scrape() }
            }, "metrics")
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
