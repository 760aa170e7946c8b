import IPVS
import IPVSRules

/// A resolver that answers from a fixed table: the `names` file of a fixture case
/// (what the VM's resolver said), or names given in a test.
public struct TableResolver: NameResolver {
    public var hosts: [IPAddress: String] = [:]
    public var services: [String: String] = [:]   // "80/tcp" -> "http"

    public init(hosts: [IPAddress: String] = [:], services: [String: String] = [:]) {
        self.hosts = hosts
        self.services = services
    }

    /// `host ADDR NAME` and `service PORT/PROTO NAME` lines.
    public init(namesFile: String) {
        for line in namesFile.split(separator: "\n") {
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 3 else { continue }
            if f[0] == "host", let a = IPAddress(f[1]) { hosts[a] = f[2] }
            if f[0] == "service" { services[f[1]] = f[2] }
        }
    }

    public func hostName(for address: IPAddress) -> String? { hosts[address] }
    public func serviceName(port: UInt16, protocol p: TransportProtocol) -> String? {
        services["\(port)/\(SystemResolver.protocolName(p))"]
    }
    public func ipv4Address(forHost name: String) -> IPAddress? {
        hosts.first { $0.value == name && $0.key.family == .inet }?.key
    }
    public func ipv6Address(forHost name: String) -> IPAddress? {
        hosts.first { $0.value == name && $0.key.family == .inet6 }?.key
    }
    public func port(forService name: String, protocol p: TransportProtocol) -> UInt16? {
        let suffix = "/" + SystemResolver.protocolName(p)
        guard let k = services.first(where: { $0.value == name && $0.key.hasSuffix(suffix) })?.key else { return nil }
        return UInt16(k.dropLast(suffix.count))
    }
}
