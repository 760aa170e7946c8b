import KeepalivedConfig

/// The LVS pass read as the file is: `ConfigDocument.load(file:fileSystem:configID:taking:)`
/// offers it each top-level statement as soon as it is finished, and it turns a
/// `virtual_server` block into its configuration there and then, so the block's statements
/// are freed before the next is read and a big file's tree is never held whole. The result
/// (configuration and diagnostics, in the same order) is `ConfigParser.check(document:…)`'s
/// over the whole tree.
///
///     var pass = LVSConfigPass(fileSystem: fs, otherPasses: VRRPConfigReader.ownedKeywords)
///     let document = ConfigDocument.load(file: path, fileSystem: fs) { pass.take($0) }
///     let lvs = pass.finish(document: document)   // document.statements: the other passes'
public struct LVSConfigPass {
    private var semantics: Semantics

    /// A pass that leaves the top-level keywords in `otherPasses` in the document (silently),
    /// for another pass over it.
    public init(fileSystem: ConfigFileSystem, otherPasses: Set<String> = []) {
        semantics = Semantics(fileSystem: fileSystem, diagnostics: [])
        semantics.otherPasses = otherPasses
        semantics.releaseBlocks = true
    }

    /// Reads one top-level statement (in file order). False when another pass owns it: the
    /// document keeps it.
    public mutating func take(_ statement: Statement) -> Bool {
        semantics.take(statement)
    }

    /// The result once `document` is loaded: its diagnostics come first, as in
    /// `ConfigParser.check(document:…)`.
    public mutating func finish(document: ConfigDocument) -> ConfigCheckResult {
        semantics.setDocumentDiagnostics(document.diagnostics)
        return ConfigParser.result(of: &semantics)
    }
}
