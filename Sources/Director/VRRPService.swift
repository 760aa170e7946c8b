import VRRPRouter
import Logging
import ServiceLifecycle

struct VRRPService: Service {
    let engine: VRRPEngine
    let logger: Logger
    /// The LVS half's start, when there is one.
    let after: StartGate?
    /// Opened once the instances have started.
    let started: StartGate?

    func run() async throws {
        await after?.wait()
        do { try await engine.start(); started?.open() } catch {
            // Sockets opened at start-up already (see DaemonMain); what fails here is an
            // instance's own set-up: it is logged with its reason and the daemon stops.
            logger.critical("\(error)\(error.hint.map { " (hint: \($0))" } ?? "")")
            await engine.stop()
            throw error
        }
        do { try await gracefulShutdown() } catch { await engine.stop(); throw error }
        await engine.stop()
    }
}
