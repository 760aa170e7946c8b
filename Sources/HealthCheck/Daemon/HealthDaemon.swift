import Logging
import ServiceLifecycle
import UnixSignals

/// `swiftvs daemon` as a swift-service-lifecycle `ServiceGroup`:
///
/// * the engine (checkers and kernel), stopped by SIGTERM/SIGINT (graceful shutdown);
/// * SIGHUP: re-read the configuration; apply the difference, or keep the running
///   configuration when the new one has errors (each logged as FILE:LINE:COL);
/// * the control socket for `swiftvs status`.
///
/// Graceful shutdown runs the services' shutdown in reverse order: the control socket closes
/// first, then reloads stop, then the engine stops (omega removal and scripts) last.
public struct HealthDaemon: Sendable {
    public let configPath: String
    public let engine: DaemonEngine
    /// Serves the control socket.
    public let reactor: Reactor
    public let logger: Logger
    /// The runner's `--max-processes`: a reloaded configuration that may need more is warned about.
    public let processLimit: Int?

    public init(configPath: String, engine: DaemonEngine, reactor: Reactor, logger: Logger, processLimit: Int? = nil) {
        self.configPath = configPath
        self.engine = engine
        self.reactor = reactor
        self.logger = logger
        self.processLimit = processLimit
    }

    /// Re-reads the configuration file. Returns false (and logs why) when it has errors: the
    /// running configuration stays.
    @discardableResult
    public func reload() async -> Bool {
        logger.notice("reload: reading \(configPath)")
        let result = ConfigParser.check(file: configPath)
        guard let config = result.config, !result.hasErrors else {
            for e in result.errors { logger.error("reload: \(e)") }
            logger.error("reload: \(configPath) has \(result.errors.count) error\(result.errors.count == 1 ? "" : "s"); keeping the running configuration")
            return false
        }
        for w in result.warnings { logger.warning("reload: \(w)") }
        if let processLimit, let w = config.processLimitWarning(limit: processLimit) { logger.warning("reload: \(configPath): \(w)") }
        await engine.reload(config)
        return true
    }

    /// The answer to one control-socket request.
    public func answer(_ request: String) async -> String {
        switch request {
        case "status": return await engine.status().text
        case "status json": return await engine.status().json
        case "ping": return "pong\n"
        default: return "error: unknown request '\(request)' (status, status json, ping)\n"
        }
    }

    /// Runs until SIGTERM or SIGINT. `hangups` must be created before anything else runs, so
    /// that an early SIGHUP is caught rather than killing the process; `controlFD` is a
    /// listening socket from `ControlSocket.listen`.
    public func run(hangups: UnixSignalsSequence, controlFD: Int32?, controlPath: String) async throws {
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: EngineService(engine: engine), successTerminationBehavior: .gracefullyShutdownGroup,
                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "engine"),
            .init(service: ReloadService(daemon: self, hangups: hangups), successTerminationBehavior: .gracefullyShutdownGroup,
                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "reload"),
        ]
        if let controlFD {
            services.append(.init(service: ControlService(daemon: self, fd: controlFD, path: controlPath),
                                  successTerminationBehavior: .gracefullyShutdownGroup,
                                  failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: "control"))
        }
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct EngineService: Service {
    let engine: DaemonEngine

    func run() async throws {
        await engine.start()
        // Returns at graceful shutdown (SIGTERM/SIGINT), throws if the group is cancelled
        // instead; either way the engine stops in order.
        do { try await gracefulShutdown() } catch { await engine.stop(); throw error }
        await engine.stop()
    }
}

struct ReloadService: Service {
    let daemon: HealthDaemon
    let hangups: UnixSignalsSequence

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            await daemon.reload()
        }
    }
}

struct ControlService: Service {
    let daemon: HealthDaemon
    let fd: Int32
    let path: String

    func run() async throws {
        let daemon = daemon, fd = fd, path = path
        await cancelWhenGracefulShutdown {
            await ControlSocket.serve(fd: fd, path: path, reactor: daemon.reactor) { await daemon.answer($0) }
        }
    }
}
