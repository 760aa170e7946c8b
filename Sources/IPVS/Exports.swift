// The binding's API speaks in the shared model's addresses and families: whoever imports IPVS
// gets them too, as it did when they were declared here.
@_exported import NetworkModel
