import Glibc
import HealthCheck

/// Files held in memory, for tests (only tests use it, so it lives here, not in Sources).
struct InMemoryFileSystem: ConfigFileSystem {
    var files: [String: String]
    var executables: Set<String>

    init(files: [String: String], executables: Set<String> = []) {
        self.files = files
        self.executables = executables
    }

    func read(_ path: String) throws -> String {
        guard let text = files[path] else { throw FileReadError(path: path, reason: "No such file or directory") }
        return text
    }

    func glob(_ pattern: String) -> [String] {
        files.keys.filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }.sorted()
    }

    func isExecutable(_ path: String) -> Bool { executables.contains(path) }
}
