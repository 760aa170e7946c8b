import IPVS

/// Service configurations and their destinations' configurations, keyed, for comparing
/// tables regardless of order and counters.
public struct TableConfig: Equatable, CustomStringConvertible {
    public var services: [ServiceKey: Service] = [:]
    public var destinations: [ServiceKey: [DestinationKey: Destination]] = [:]

    public init(_ table: [ServiceEntry]) {
        for e in table {
            services[e.service.key] = e.service
            var d: [DestinationKey: Destination] = [:]
            for de in e.destinations { d[de.destination.key] = de.destination }
            destinations[e.service.key] = d
        }
    }

    public var description: String {
        services.keys.sorted().map { k in
            "\(services[k]!) -> \(destinations[k]!.keys.sorted().map { "\(destinations[k]![$0]!)" })"
        }.joined(separator: "\n")
    }
}
