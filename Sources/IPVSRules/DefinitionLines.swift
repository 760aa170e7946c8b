#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVSModel

/// The line that defined each service and real server present in a simulated table (nil:
/// it comes from the starting table). It follows the same rules as ``TableSimulator``:
/// adding what is present or touching what is absent changes nothing.
struct DefinitionLines {
    private var services: [ServiceKey: (line: Int?, destinations: [DestinationKey: Int?])] = [:]

    init(base: [ServiceEntry]) {
        for e in base where services[e.service.key] == nil {
            var destinations: [DestinationKey: Int?] = [:]
            for d in e.destinations where destinations[d.destination.key] == nil { destinations[d.destination.key] = .some(nil) }
            services[e.service.key] = (nil, destinations)
        }
    }

    func serviceLine(_ key: ServiceKey) -> Int? { services[key]?.line ?? nil }

    func destinationLine(_ key: DestinationKey, in service: ServiceKey) -> Int? {
        services[service]?.destinations[key] ?? nil
    }

    mutating func apply(_ c: RuleCommand) {
        switch c.action {
        case let .change(.addService(s)):
            if services[s.key] == nil { services[s.key] = (c.location.line, [:]) }
        case let .change(.deleteService(k)):
            services[k] = nil
        case let .change(.addDestination(d, k)):
            if services[k] != nil, services[k]!.destinations[d.key] == nil {
                services[k]!.destinations[d.key] = .some(c.location.line)
            }
        case let .change(.deleteDestination(dk, k)):
            services[k]?.destinations[dk] = nil
        case .change(.flush):
            services = [:]
        case .change, .setTimeouts, .startDaemon, .stopDaemon:
            break
        }
    }
}
