import HealthCheck
import KeepalivedConfig
import VRRPRouter

/// A whole keepalived.conf as `swiftvs daemon` runs it: the LVS half (`virtual_server` blocks)
/// and the VRRP half (`vrrp_*` blocks, `global_defs`), read from one statement tree.
public struct DirectorConfig: Sendable {
    public var lvs: DaemonConfig
    public var vrrp: VRRPConfiguration

    /// Whether the LVS half needs the kernel's IPVS: virtual servers, or the sync daemon.
    public var needsIPVS: Bool { !lvs.virtualServers.isEmpty || vrrp.globals.lvsSyncDaemon != nil }
}

/// Every diagnostic of both passes, in source order, and the configuration when there was no
/// error.
public struct DirectorCheckResult: DiagnosedResult, Sendable {
    public var config: DirectorConfig?
    public var diagnostics: [Diagnostic]

    /// Reads `file` once and runs both passes over it. `configID` selects the `@ID` lines
    /// (`--config-id`); nil: the host name, as keepalived's default.
    ///
    /// The LVS pass reads each top-level block as soon as it is finished and lets it go
    /// (`LVSConfigPass`): the document keeps only the VRRP pass's blocks, so the statement tree
    /// of a file of thousands of virtual servers is never held whole.
    public static func check(file: String, fileSystem: ConfigFileSystem = LocalFileSystem(), configID: String? = nil) -> DirectorCheckResult {
        var pass = LVSConfigPass(fileSystem: fileSystem, otherPasses: VRRPConfigReader.ownedKeywords)
        let document = ConfigDocument.load(file: file, fileSystem: fileSystem, configID: configID) { pass.take($0) }
        let lvs = pass.finish(document: document)
        let vrrp = VRRPConfigReader.read(document)
        // Both passes start from the document's own diagnostics: keep one copy.
        let vrrpOwn = vrrp.diagnostics.dropFirst(document.diagnostics.count)
        let diagnostics = ConfigParser.sortedBySource(lvs.diagnostics + vrrpOwn)
        let hasErrors = diagnostics.contains { $0.severity == .error }
        guard !hasErrors, var l = lvs.config else { return DirectorCheckResult(config: nil, diagnostics: diagnostics) }
        l.warnings = diagnostics.filter { $0.severity == .warning }
        return DirectorCheckResult(config: DirectorConfig(lvs: l, vrrp: vrrp.config), diagnostics: diagnostics)
    }
}
