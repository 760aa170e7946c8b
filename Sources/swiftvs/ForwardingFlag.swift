/// A real server's forwarding method as a flag: ipvsadm's `-g`, `-i` or `-m` (`IPVSModel.ForwardingMethod`
/// is the method itself, which the rules parser makes of the flag).
enum ForwardingFlag: ServerFlagChoice {
    case gatewaying, tunnelling, masquerading

    var flag: (short: Character?, long: String, help: String) {
        switch self {
        case .gatewaying: return ("g", "gatewaying", "Direct routing (the default).")
        case .tunnelling: return ("i", "ipip", "Tunnelling (IPIP, GUE or GRE).")
        case .masquerading: return ("m", "masquerading", "NAT.")
        }
    }
}
