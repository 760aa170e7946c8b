import Diagnostics

/// The outcome of checking a configuration: every diagnostic, and the configuration when
/// there were no errors.
public struct ConfigCheckResult: DiagnosedResult, Sendable {
    public var config: DaemonConfig?
    public var diagnostics: [Diagnostic]
}
