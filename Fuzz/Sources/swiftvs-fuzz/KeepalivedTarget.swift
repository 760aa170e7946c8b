#if canImport(Glibc)
import Glibc
#endif
import Director
import HealthCheck

/// keepalived.conf: the lexer, the statement tree with its includes, and both semantic passes
/// (the LVS half's `ConfigParser`, the VRRP half's `VRRPConfigReader`), as `swiftvs
/// check-config` and the daemon run them (`DirectorCheckResult.check`). The input is the main
/// file, then, after each line `@@@`, one more file: `/etc/keepalived/conf.d/1.conf`, `2.conf`…
/// so that `include` (with globs, and including itself) is exercised too.
enum KeepalivedTarget {
    static let main = "/etc/keepalived/keepalived.conf"

    static func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        var files: [String: String] = [:]
        for (i, part) in text.split(separator: "\n@@@\n", omittingEmptySubsequences: false).enumerated() {
            files[i == 0 ? main : "/etc/keepalived/conf.d/\(i).conf"] = String(part)
        }
        let result = DirectorCheckResult.check(file: main, fileSystem: FuzzFileSystem(files: files))
        // Every diagnostic prints (what check-config does), and an accepted file has no error.
        for d in result.diagnostics { _ = d.description }
        precondition(result.config == nil || !result.hasErrors)
    }
}

/// Files in memory; globs as the shell's (fnmatch), as LocalFileSystem's are.
struct FuzzFileSystem: ConfigFileSystem {
    var files: [String: String]

    func read(_ path: String) throws -> String {
        guard let text = files[path] else { throw FileReadError(path: path, reason: "No such file or directory") }
        return text
    }

    func glob(_ pattern: String) -> [String] {
        files.keys.filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }.sorted()
    }

    func isExecutable(_ path: String) -> Bool { path.hasPrefix("/bin/") || path.hasPrefix("/usr/") }
}
