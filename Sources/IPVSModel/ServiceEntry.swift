/// A real server as the kernel reports it: configuration, connection counts, counters.
public struct DestinationEntry: Hashable, Sendable {
    public var destination: Destination
    public var activeConnections: UInt32
    public var inactiveConnections: UInt32
    public var persistentConnections: UInt32
    /// Out of line, and nothing while zero (`CounterStorage`).
    private var counters: CounterStorage

    public var stats: Stats {
        get { counters.stats }
        set { counters = CounterStorage(newValue) }
    }

    /// Whether it holds a reference (its counters' box): not when they are all zero.
    var holdsCounters: Bool { counters.isBoxed }

    public init(destination: Destination, activeConnections: UInt32 = 0, inactiveConnections: UInt32 = 0,
                persistentConnections: UInt32 = 0, stats: Stats = Stats()) {
        self.destination = destination
        self.activeConnections = activeConnections
        self.inactiveConnections = inactiveConnections
        self.persistentConnections = persistentConnections
        self.counters = CounterStorage(stats)
    }
}

/// A virtual service as the kernel reports it, with its real servers.
public struct ServiceEntry: Hashable, Sendable {
    public var service: Service
    /// Out of line, and nothing while zero (`CounterStorage`).
    private var counters: CounterStorage
    public var destinations: [DestinationEntry]

    public var stats: Stats {
        get { counters.stats }
        set { counters = CounterStorage(newValue) }
    }

    public init(service: Service, stats: Stats = Stats(), destinations: [DestinationEntry] = []) {
        self.service = service
        self.counters = CounterStorage(stats)
        self.destinations = destinations
    }
}
