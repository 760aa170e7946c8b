import HealthCheck
import ServiceLifecycle

struct EngineService: Service {
    let engine: DaemonEngine
    let started: StartGate?

    func run() async throws {
        await engine.start()
        started?.open()
        // Returns at graceful shutdown (SIGTERM/SIGINT), throws if the group is cancelled
        // instead; either way the engine stops in order.
        do { try await gracefulShutdown() } catch { await engine.stop(); throw error }
        await engine.stop()
    }
}
