// Mark rules speak in the shared addresses, families and transport protocols: whoever imports
// FirewallMarks gets them too.
@_exported import NetworkModel
