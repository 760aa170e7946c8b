#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// Every problem found in a rules file (parsing never stops at the first one).
public struct RulesError: Error, Hashable, Sendable, CustomStringConvertible {
    /// In file order (line, then column).
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
