import IPVS
import KeepalivedConfig
import EventLoop

/// Parses the LVS part of keepalived.conf (keepalived 2.2 keywords and defaults).
public enum ConfigParser {
    /// Parses `file`; throws every error found.
    public static func parse(file: String, fileSystem: ConfigFileSystem = LocalFileSystem()) throws(ConfigErrors) -> DaemonConfig {
        let result = check(file: file, fileSystem: fileSystem)
        if let config = result.config, !result.hasErrors { return config }
        throw ConfigErrors(errors: result.errors, warnings: result.warnings)
    }

    /// Parses configuration text as if it were the file `file`.
    public static func parse(text: String, file: String = "keepalived.conf", fileSystem: ConfigFileSystem? = nil) throws(ConfigErrors) -> DaemonConfig {
        try parse(file: file, fileSystem: TextOverlay(file: file, text: text, base: fileSystem ?? LocalFileSystem()))
    }

    /// Every diagnostic for `file`, errors and warnings, in source order.
    public static func check(file: String, fileSystem: ConfigFileSystem = LocalFileSystem(), configID: String? = nil) -> ConfigCheckResult {
        var pass = LVSConfigPass(fileSystem: fileSystem)
        let document = ConfigDocument.load(file: file, fileSystem: fileSystem, configID: configID) { pass.take($0) }
        return pass.finish(document: document)
    }

    /// The LVS pass over a loaded document. Top-level keywords in `otherPasses` belong to
    /// another pass over the same document (VRRP's) and are left to it, silently; without them
    /// every `vrrp_*` block and `global_defs` is warned about as not handled. With
    /// `releasingBlocks` each `virtual_server`'s block is let go of once it is read (no other
    /// pass reads them): the document's tree is then freed as the configuration grows, which
    /// halves the peak memory of reading a big file.
    public static func check(document: ConfigDocument, fileSystem: ConfigFileSystem,
                             otherPasses: Set<String> = [], releasingBlocks: Bool = false) -> ConfigCheckResult {
        var sema = Semantics(fileSystem: fileSystem, diagnostics: document.diagnostics)
        sema.otherPasses = otherPasses
        sema.releaseBlocks = releasingBlocks
        for st in document.statements { _ = sema.take(st) }
        return result(of: &sema)
    }

    /// The pass's result once every statement was taken.
    static func result(of sema: inout Semantics) -> ConfigCheckResult {
        let config = sema.finish()
        let diags = sortedBySource(sema.diagnostics)
        let hasErrors = diags.contains { $0.severity == .error }
        var out = config
        out.warnings = diags.filter { $0.severity == .warning }
        return ConfigCheckResult(config: hasErrors ? nil : out, diagnostics: diags)
    }

    /// An error at each virtual server (in file order) that declares a kernel service an
    /// earlier one declared already.
    public static func duplicates(_ servers: [VirtualServerConfig]) -> [Diagnostic] {
        var seenKeys: [ServiceKey: SourceLocation] = [:]
        seenKeys.reserveCapacity(servers.count)
        var out: [Diagnostic] = []
        for vs in servers {
            for svc in vs.services {
                if let first = seenKeys[svc.key] {
                    out.append(Diagnostic(.error, vs.location, "duplicate virtual_server \(svc.key) (first at \(first))"))
                } else {
                    seenKeys[svc.key] = vs.location
                }
            }
        }
        return out
    }

    /// Diagnostics in source order: files in the order they were first reported, then line and
    /// column, then the order they were found in.
    public static func sortedBySource(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var fileOrder: [String: Int] = [:]
        for d in diagnostics where fileOrder[d.location.file] == nil { fileOrder[d.location.file] = fileOrder.count }
        return diagnostics.enumerated().sorted { a, b in
            let (l, r) = (a.element.location, b.element.location)
            return (fileOrder[l.file]!, l.line, l.column, a.offset) < (fileOrder[r.file]!, r.line, r.column, b.offset)
        }.map(\.element)
    }

    public static func check(text: String, file: String = "keepalived.conf", fileSystem: ConfigFileSystem? = nil,
                             configID: String? = nil) -> ConfigCheckResult {
        check(file: file, fileSystem: TextOverlay(file: file, text: text, base: fileSystem ?? LocalFileSystem()), configID: configID)
    }
}
