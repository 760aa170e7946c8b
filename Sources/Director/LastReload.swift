import HealthCheck
import Synchronization

/// The process slots as `swiftvs status` shows them.
public struct ProcessSlots: Sendable, Hashable {
    /// `--max-processes`.
    public var limit: Int
    /// Check and script processes running now.
    public var running: Int
    /// Checks and scripts waiting for a slot now.
    public var queued: Int
}

/// The result of the last SIGHUP reload.
public struct ReloadResult: Sendable, Hashable {
    public var ok: Bool
    /// Errors in the file when it failed (the running configuration was kept).
    public var errors: Int
    public var at: WallTime
}

/// The last reload, set by the reload service and read by the status.
final class LastReload: Sendable {
    private let state = Mutex<ReloadResult?>(nil)

    func set(ok: Bool, errors: Int) { state.withLock { $0 = ReloadResult(ok: ok, errors: errors, at: .now) } }

    var value: ReloadResult? { state.withLock { $0 } }
}
