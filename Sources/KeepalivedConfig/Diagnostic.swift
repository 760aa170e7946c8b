/// A problem found in the configuration.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// Whether the configuration is refused (error) or accepted anyway (warning).
    public enum Severity: String, Hashable, Sendable {
        /// The configuration cannot be used.
        case error
        /// Accepted; something is ignored or differs from keepalived.
        case warning
    }

    /// Error or warning.
    public var severity: Severity
    /// Where.
    public var location: SourceLocation
    /// What, without the location.
    public var message: String

    /// A diagnostic.
    public init(_ severity: Severity, _ location: SourceLocation, _ message: String) {
        self.severity = severity
        self.location = location
        self.message = message
    }

    /// `FILE:LINE:COLUMN: message` for errors, `FILE:LINE:COLUMN: warning: message` for warnings.
    public var description: String {
        severity == .error ? "\(location): \(message)" : "\(location): warning: \(message)"
    }
}
