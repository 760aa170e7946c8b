import IPVSModel

/// Which connection entries to show: swiftvs's filters for `list -c`, which ipvsadm lacks.
/// Every condition given must hold; an empty filter keeps every entry.
public struct ConnectionFilter: Sendable {
    /// Entries of one virtual service (`-t`, `-u`, `--sctp-service`, `-f`).
    public var service: ServiceKey?
    /// For a firewall-mark service: its real servers (the kernel's entries do not carry the
    /// mark, so a non-template entry belongs to the service when it goes to one of these and
    /// its virtual address is not an address service's, see `addressServices`).
    public var fwmarkDestinations: Set<DestinationKey> = []
    /// The configured TCP/UDP/SCTP services, so that an entry to a shared real server is not
    /// taken for the firewall-mark service's when it belongs to one of these.
    public var addressServices: Set<ServiceKey> = []
    /// Entries to this real server (any port when nil).
    public var serverAddress: IPAddress?
    public var serverPort: UInt16?
    /// Entries in this state (compared without regard to case: `established` is `ESTABLISHED`).
    public var state: String? {
        didSet { upperState = state?.uppercased() }
    }
    private var upperState: String?

    public init(service: ServiceKey? = nil, serverAddress: IPAddress? = nil, serverPort: UInt16? = nil, state: String? = nil) {
        self.service = service
        self.serverAddress = serverAddress
        self.serverPort = serverPort
        self.state = state
        upperState = state?.uppercased()
    }

    /// True when nothing is filtered.
    public var isEmpty: Bool { service == nil && serverAddress == nil && upperState == nil }

    public func matches(_ c: Connection) -> Bool {
        if let serverAddress {
            if c.destination != serverAddress { return false }
            if let serverPort, c.destinationPort != serverPort { return false }
        }
        if let upperState, c.stateWord.string != upperState { return false }
        if let service, !Self.belongs(c, to: service, fwmarkDestinations, addressServices) { return false }
        return true
    }

    /// An address service's entries have its protocol, address and port; its persistence
    /// templates (protocol IP) have its address and port. A firewall-mark service's templates
    /// carry the mark as their virtual address (0.0.0.80 for mark 80; in the first 32 bits of
    /// an IPv6 address); its other entries are recognised by their real server.
    static func belongs(_ c: Connection, to service: ServiceKey, _ destinations: Set<DestinationKey>,
                        _ addressServices: Set<ServiceKey>) -> Bool {
        switch service {
        case let .address(proto, address, port):
            guard c.virtual == address, c.virtualPort == port else { return false }
            return c.transport == proto || c.isTemplate
        case let .fwmark(mark, family):
            guard c.virtual.family == family else { return false }
            if c.isTemplate { return c.virtual == markAddress(mark, family) }
            guard let proto = c.transport else { return false }
            if addressServices.contains(.address(proto, c.virtual, port: c.virtualPort)) { return false }
            return destinations.contains(DestinationKey(address: c.destination, port: c.destinationPort))
                || destinations.contains(DestinationKey(address: c.destination, port: 0))
        }
    }

    /// The virtual address the kernel gives a firewall-mark service's templates.
    static func markAddress(_ mark: UInt32, _ family: AddressFamily) -> IPAddress {
        let b = [UInt8(mark >> 24), UInt8(mark >> 16 & 0xFF), UInt8(mark >> 8 & 0xFF), UInt8(mark & 0xFF)]
        if family == .inet { return .v4(b[0], b[1], b[2], b[3]) }
        return IPAddress(bytes: b + [UInt8](repeating: 0, count: 12))!
    }
}
