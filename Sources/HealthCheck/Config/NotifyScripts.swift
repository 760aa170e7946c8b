import CompactStorage

/// A real server's notify_up and notify_down, held by `RealServerConfig` behind one reference
/// (`SparsePair`: nil when neither is set; equal and hashed by value, so a real server's
/// configuration compares as it did with the scripts inline).
typealias NotifyScripts = SparsePair<ScriptConfig>

extension SparsePair where Value == ScriptConfig {
    var up: ScriptConfig? { first }
    var down: ScriptConfig? { second }

    /// The pair for these scripts; nil when neither is set.
    static func make(up: ScriptConfig?, down: ScriptConfig?) -> NotifyScripts? { make(up, down) }
}
