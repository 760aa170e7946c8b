import DaemonMetrics
import KeepalivedConfig
import Synchronization

/// The local file system, with a `ConfigHash` of every file the configuration pass reads (the
/// main file and its includes, in the order read): the `hash` of `swiftvs_config_info`.
final class HashingFileSystem: ConfigFileSystem {
    private let base: any ConfigFileSystem
    private let hash = Mutex(ConfigHash())

    init(_ base: any ConfigFileSystem = LocalFileSystem()) { self.base = base }

    func read(_ path: String) throws -> String {
        let text = try base.read(path)
        hash.withLock { $0.add(text: text) }
        return text
    }

    func glob(_ pattern: String) -> [String] { base.glob(pattern) }
    func isExecutable(_ path: String) -> Bool { base.isExecutable(path) }
    func workingDirectory() -> String { base.workingDirectory() }

    /// The hash of what was read so far.
    var hex: String { hash.withLock { $0.hex } }
}
