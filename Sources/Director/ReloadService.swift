import ServiceLifecycle
import UnixSignals

struct ReloadService: Service {
    let daemon: DirectorDaemon
    let hangups: UnixSignalsSequence

    func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            await daemon.reload()
        }
    }
}
