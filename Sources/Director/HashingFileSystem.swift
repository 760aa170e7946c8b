import DaemonMetrics
import KeepalivedConfig
import Synchronization

/// The local file system, with a `ConfigHash` of every file the configuration pass reads (the
/// main file and its includes, in the order read): the `hash` of `swiftvs_config_info`.
final class HashingFileSystem: ConfigFileSystem {
    private let base: any ConfigFileSystem
    private let hash = Mutex(ConfigHash())
    /// Whether the files are hashed: not without `--metrics`, the hash's only reader (a pass
    /// over every byte of a 4.8 MB file at each reload, for nothing).
    private let hashing: Bool

    init(_ base: any ConfigFileSystem = LocalFileSystem(), hashing: Bool) {
        self.base = base
        self.hashing = hashing
    }

    func read(_ path: String) throws -> String {
        let text = try base.read(path)
        if hashing { hash.withLock { $0.add(text: text) } }
        return text
    }

    func glob(_ pattern: String) -> [String] { base.glob(pattern) }
    func isExecutable(_ path: String) -> Bool { base.isExecutable(path) }
    func workingDirectory() -> String { base.workingDirectory() }

    /// The hash of what was read so far (of nothing, when not `hashing`).
    var hex: String { hash.withLock { $0.hex } }
}
