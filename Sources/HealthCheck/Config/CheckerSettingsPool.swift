/// The checker settings a configuration has read so far, each held once: a checker whose
/// settings equal an earlier one's shares its object (`CheckerConfig.SharedSettings`). A file
/// has a handful of distinct settings and tens of thousands of checkers. A file whose
/// checkers all differ (a misc_path naming each server) would fill the pool with no gain: it
/// starts again past `limit` settings, which bounds what it holds.
struct CheckerSettingsPool {
    private var held: [CheckerConfig.Settings: CheckerConfig.SharedSettings] = [:]
    static let limit = 1024

    /// The object for `settings`: the one held already, or a new one from now on.
    mutating func share(_ settings: CheckerConfig.Settings) -> CheckerConfig.SharedSettings {
        if let known = held[settings] { return known }
        if held.count >= Self.limit { held = [:] }
        let made = CheckerConfig.SharedSettings(settings)
        held[settings] = made
        return made
    }
}
