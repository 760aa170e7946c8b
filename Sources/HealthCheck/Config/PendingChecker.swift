import IPVS
import Diagnostics

struct PendingChecker {
    var location: SourceLocation
    var kind: CheckerConfig.Kind
    var cascade = InheritedSettings()
    /// connect_ip / connect_port, each in place of the real server's.
    var connect = EndpointSetting()
    /// bindto / bind_port.
    var bind = EndpointSetting()
    var bindInterface: String?
    var fwmark: UInt32?
    var enabled = true
}
