#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CompactStorage
import IPVSModel

/// A parsed line: what it does and where it is.
public struct RuleCommand: Hashable, Sendable {
    /// The line, and the column of its command option (`-A`, `-a`, …).
    public var location: SourceLocation
    public var action: RuleAction

    /// Where the service and real-server arguments are, for diagnostics about them (nil for
    /// lines read by ``CanonicalLine``). Kept in one box, so that a command, which a big
    /// restore copies several times per line, is a few words shorter.
    private var argumentTokens: SparsePair<LocatedToken>?

    var serviceToken: LocatedToken? {
        get { argumentTokens?.first }
        set { argumentTokens = .make(newValue, argumentTokens?.second) }
    }

    var serverToken: LocatedToken? {
        get { argumentTokens?.second }
        set { argumentTokens = .make(argumentTokens?.first, newValue) }
    }

    public init(location: SourceLocation, action: RuleAction) {
        self.location = location
        self.action = action
    }
}
