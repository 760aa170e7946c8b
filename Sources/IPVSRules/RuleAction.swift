#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// What one line of a rules file asks for: a change to the table (`-A -E -D -a -e -d -C -Z`),
/// or one of the commands that are not table changes. Options ipvsadm leaves out get ipvsadm's
/// defaults: scheduler wlc, direct routing (`-g`), weight 1, persistence 360 s for a bare `-p`,
/// netmask /32 (IPv4) or /128 (IPv6), tunnel type ipip, multicast interface eth0. `-E` and `-e`
/// replace every attribute (options left out take their defaults), as with ipvsadm.
public enum RuleAction: Hashable, Sendable {
    /// `-A -E -D -a -e -d -C -Z`: what `IPVSHandle.apply` takes.
    case change(Change)
    /// `--set TCP TCPFIN UDP` (0 leaves a value unchanged).
    case setTimeouts(Timeouts)
    /// `--start-daemon master|backup [daemon options]`
    case startDaemon(SyncDaemon)
    /// `--stop-daemon master|backup`
    case stopDaemon(SyncDaemon.Role)

    /// The table change; nil for timeouts and sync daemons.
    public var change: Change? {
        if case let .change(c) = self { return c }
        return nil
    }

    /// Whether this is a table change.
    public var isTableChange: Bool {
        if case .change = self { return true }
        return false
    }
}
