#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// A line of the firewall-mark section.
public struct MarkLine: Hashable, Sendable {
    /// Where the payload starts (the column after the prefix).
    public var location: SourceLocation
    /// The rest of the line after `# swiftvs-mark ` (``RulesFile/markPrefix``), verbatim.
    public var text: String

}
