import Glibc
import KeepalivedConfig
import VRRPRouter

/// Configuration files held in memory (a test double, so it lives in the test target).
struct InMemoryFileSystem: ConfigFileSystem {
    var files: [String: String]

    func read(_ path: String) throws -> String {
        guard let text = files[path] else { throw FileReadError(path: path, reason: "No such file or directory") }
        return text
    }

    func glob(_ pattern: String) -> [String] {
        files.keys.filter { fnmatch(pattern, $0, FNM_PATHNAME) == 0 }.sorted()
    }

    func isExecutable(_ path: String) -> Bool { false }
}

/// The result of reading one configuration text, with the diagnostics as `check-config` prints
/// them (`FILE:LINE:COL: [warning: ]message`).
struct ReadResult {
    var config: VRRPConfiguration
    var diagnostics: [Diagnostic]

    var errors: [String] { diagnostics.filter { $0.severity == .error }.map(\.description) }
    var warnings: [String] { diagnostics.filter { $0.severity == .warning }.map(\.description) }
    var all: [String] { diagnostics.map(\.description) }

    /// The only instance (tests that define one).
    var instance: VRRPInstanceConfig? { config.instances.count == 1 ? config.instances[0] : nil }
}

/// Reads `text` as the file `k.conf` (so locations read `k.conf:LINE:COL`).
func read(_ text: String, file: String = "k.conf") -> ReadResult {
    let doc = ConfigDocument.load(file: file, fileSystem: InMemoryFileSystem(files: [file: text]))
    let (config, diagnostics) = VRRPConfigReader.read(doc)
    return ReadResult(config: config, diagnostics: diagnostics)
}

/// A complete, valid instance whose body lines are `body` (inserted after `interface`,
/// `virtual_router_id` and one VIP unless `bare`). Line 1 is `vrrp_instance VI_1 {`, the body
/// starts on line 2 (or line 5 when the three defaults are present).
func instance(_ body: String, name: String = "VI_1", bare: Bool = false) -> String {
    let defaults = bare ? "" : """
        interface eth0
        virtual_router_id 51
        virtual_ipaddress { 198.51.100.39/24 }

    """
    return "vrrp_instance \(name) {\n\(defaults)\(body)\n}\n"
}
