// The binding's API speaks in the table model (services, destinations, changes, errors) and the
// shared addresses and families: whoever imports IPVS gets them too, as it did when they were
// declared here.
@_exported import IPVSModel
