import IPVSModel

/// The label sets node_exporter's IPVS collector puts on its series, so that dashboards built on
/// `node_ipvs_*` carry over to `swiftvs_ipvs_*`: a service is `local_address`, `local_port`,
/// `local_mark`, `proto`; a real server adds `remote_address`, `remote_port`.
///
/// As node_exporter reads /proc/net/ip_vs: an address service has an empty `local_mark` and its
/// protocol in `proto` (`TCP`, `UDP`, `SCTP`); a firewall-mark service has its mark in
/// `local_mark`, an empty `local_address`, `local_port` `0` and `proto` `FWM`.
public enum IPVSLabels {
    /// The service's four labels.
    public static func service(_ key: ServiceKey) -> [(String, String)] {
        switch key {
        case let .address(proto, address, port):
            return [("local_address", address.description), ("local_port", String(port)),
                    ("local_mark", ""), ("proto", proto.description)]
        case let .fwmark(mark, _):
            return [("local_address", ""), ("local_port", "0"), ("local_mark", String(mark)), ("proto", "FWM")]
        }
    }

    /// The service's labels followed by the real server's two.
    public static func destination(_ key: ServiceKey, address: IPAddress, port: UInt16) -> [(String, String)] {
        service(key) + [("remote_address", address.description), ("remote_port", String(port))]
    }
}
