import ServiceLifecycle

/// A listening socket's accept loop as a service (the control socket's, the metrics
/// endpoint's): it serves until the group's graceful shutdown cancels it.
struct ListenerService: Service {
    let serve: @Sendable () async -> Void

    func run() async throws {
        await cancelWhenGracefulShutdown(serve)
    }
}
