/// The outcome of a check that reports what it found as diagnostics (a configuration file's
/// passes): its errors, its warnings, and the status `check-config` exits with.
public protocol DiagnosedResult {
    /// Every diagnostic, in source order.
    var diagnostics: [Diagnostic] { get }
}

extension DiagnosedResult {
    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    /// What `swiftvs check-config` exits with: 2 on errors, 0 otherwise.
    public var exitCode: Int32 { hasErrors ? 2 : 0 }
}
