/// The state of a VRRP instance (RFC 5798 §6.4 plus keepalived's FAULT and STOP).
public enum VRRPState: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Not started yet.
    case initialize = "INIT"
    /// Listening to a master; the master-down timer runs.
    case backup = "BACKUP"
    /// Holding the virtual addresses and advertising.
    case master = "MASTER"
    /// Held out of the election by a fault (interface down, a weight-0 tracker failing).
    case fault = "FAULT"
    /// Stopped (clean shutdown).
    case stop = "STOP"

    /// keepalived's spelling, as notify scripts receive it.
    public var description: String { rawValue }
}
