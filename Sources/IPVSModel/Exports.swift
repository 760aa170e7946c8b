// The IPVS table model speaks in the shared addresses, families and protocols: whoever imports
// it gets them too.
@_exported import NetworkModel
