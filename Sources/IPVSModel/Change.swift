/// One change to the table, for `IPVS.apply(_:)`.
public enum Change: Hashable, Sendable {
    case addService(Service)
    case editService(Service)
    case deleteService(ServiceKey)
    case addDestination(Destination, to: ServiceKey)
    case editDestination(Destination, in: ServiceKey)
    case deleteDestination(DestinationKey, from: ServiceKey)
    case flush
    case zero(ServiceKey?)
}
