import IPVS

struct PendingRS {
    var config: RealServerConfig
    var cascade = InheritedSettings()
    var checkers: [PendingChecker] = []
    var forwarding: ForwardingMethod?
}
