import IPVS

/// An address and a port a checker block may each set (connect_ip / connect_port, bindto /
/// bind_port: one sockaddr in keepalived's conn_opts); what it leaves out comes from elsewhere.
struct EndpointSetting {
    var address: IPAddress?
    var port: UInt16?

    var isEmpty: Bool { address == nil && port == nil }
}
