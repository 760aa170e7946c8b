/// A real server's notify_up and notify_down, held by `RealServerConfig` behind one reference
/// (an immutable object: a change makes a new one). Equal and hashed by value, so a real
/// server's configuration compares as it did with the scripts inline.
final class NotifyScripts: Sendable, Hashable {
    let up: ScriptConfig?
    let down: ScriptConfig?

    private init(up: ScriptConfig?, down: ScriptConfig?) {
        self.up = up
        self.down = down
    }

    /// The object for these scripts; nil when neither is set.
    static func make(up: ScriptConfig?, down: ScriptConfig?) -> NotifyScripts? {
        up == nil && down == nil ? nil : NotifyScripts(up: up, down: down)
    }

    static func == (a: NotifyScripts, b: NotifyScripts) -> Bool { a.up == b.up && a.down == b.down }

    func hash(into h: inout Hasher) {
        h.combine(up)
        h.combine(down)
    }
}
