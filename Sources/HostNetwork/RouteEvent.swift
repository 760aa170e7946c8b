/// A link appeared, changed (admin state, carrier, name, address) or disappeared.
public struct LinkEvent: Sendable, Hashable {
    /// The interface as the notification describes it (for a deletion: as it last was).
    public var interface: NetworkInterface
    /// RTM_DELLINK: the interface is gone.
    public var isDeleted: Bool

    public var index: Int32 { interface.index }
    public var name: String { interface.name }
    /// IFF_UP
    public var isUp: Bool { interface.isUp }
    /// IFF_RUNNING (up and with carrier): the state VRRP tracks.
    public var isRunning: Bool { interface.isRunning }
    /// IFF_LOWER_UP
    public var hasCarrier: Bool { interface.hasCarrier }
}

/// An address was added to or removed from an interface (RTM_NEWADDR / RTM_DELADDR).
public struct AddressEvent: Sendable, Hashable {
    public var address: InterfaceAddress
    public var isDeleted: Bool
}

/// What a `RouteEventSocket` receive yields.
public enum RouteEvent: Sendable, Hashable {
    case link(LinkEvent)
    case address(AddressEvent)
    /// The kernel dropped notifications because the socket's buffer was full (ENOBUFS).
    /// Events before this one are valid; state may have changed unseen since, so the caller
    /// must resynchronise with a dump (`RouteNetlink.interfaces()` / `addresses(...)`) and then
    /// keep receiving: the socket stays usable.
    case overflow
}
