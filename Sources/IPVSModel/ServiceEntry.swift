/// A real server as the kernel reports it: configuration, connection counts, counters.
public struct DestinationEntry: Hashable, Sendable {
    public var destination: Destination
    public var activeConnections: UInt32
    public var inactiveConnections: UInt32
    public var persistentConnections: UInt32
    public var stats: Stats

    public init(destination: Destination, activeConnections: UInt32 = 0, inactiveConnections: UInt32 = 0,
                persistentConnections: UInt32 = 0, stats: Stats = Stats()) {
        self.destination = destination
        self.activeConnections = activeConnections
        self.inactiveConnections = inactiveConnections
        self.persistentConnections = persistentConnections
        self.stats = stats
    }
}

/// A virtual service as the kernel reports it, with its real servers.
public struct ServiceEntry: Hashable, Sendable {
    public var service: Service
    public var stats: Stats
    public var destinations: [DestinationEntry]

    public init(service: Service, stats: Stats = Stats(), destinations: [DestinationEntry] = []) {
        self.service = service
        self.stats = stats
        self.destinations = destinations
    }
}
