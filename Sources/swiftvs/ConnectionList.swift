#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import IPVS
import IPVSRules

/// `swiftvs list -c`: what ipvsadm -L -c shows, plus filters and a summary. The work is
/// IPVSRules' `ConnectionListing`; this only turns the options into its inputs.
struct ConnectionListRequest: Equatable {
    /// `-n`, `--netns`, and the service filter.
    var scope = ListScope()
    var persistentConnections = false
    var json = false
    var summary = false
    var server: String?
    var state: String?

    func run() throws -> Never {
        let filter = try makeFilter()
        let table: ConnectionTableFile
        do {
            table = try ConnectionTableFile(namespace: scope.namespace)
        } catch {
            fail(error.description, hint: error.hint, status: 1)
        }
        do {
            if summary || json {
                try ConnectionListing.run(input: table.fd, path: ConnectionTableFile.path.description, output: STDOUT_FILENO,
                                          mode: summary ? .summary(json: json) : .json, filter: filter)
            } else {
                // The numeric format holds no resolver (nothing of a `NameResolver` existential to
                // copy or end: docs/benchmarks.md, the connection table).
                var format = scope.numeric
                    ? ConnectionFormat.numeric(persistentConnections: persistentConnections)
                    : ConnectionFormat(numeric: false, persistentConnections: persistentConnections, resolver: scope.resolver)
                try ConnectionListing.text(input: table.fd, path: { ConnectionTableFile.path.description }, output: STDOUT_FILENO,
                                           format: &format, filter: filter)
            }
        } catch {
            fail("list: \(error)", status: 1)
        }
        exit(0)
    }

    private func makeFilter() throws -> ConnectionFilter {
        var filter = ConnectionFilter(state: state)
        if let server {
            guard let (address, port) = Self.parseServer(server) else {
                fail("list: --server \(server): expected ADDRESS or ADDRESS:PORT ([IPv6]:PORT), numeric", status: 2)
            }
            filter.serverAddress = address
            filter.serverPort = port
        }
        if !scope.serviceArguments.isEmpty {
            guard let key = scope.serviceKey else { fail("list: the service filter names no service", status: 2) }
            filter.service = key
            if key.isFirewallMark {
                // The entries do not carry the mark: its real servers and the address
                // services (whose entries are not the mark service's) come from the kernel.
                let ipvs = try openIPVS(namespace: scope.namespace)
                let all = try report { () throws(IPVSError) in try ipvs.services(statistics: false) }
                guard let entry = all.first(where: { $0.service.key == key }) else {
                    fail("list: no such service: \(key)", hint: "'swiftvs list -n' shows the services the kernel has", status: 1)
                }
                filter.fwmarkDestinations = Set(entry.destinations.map { $0.destination.key })
                filter.addressServices = Set(all.map(\.service.key).filter { !$0.isFirewallMark })
            }
        }
        return filter
    }

    /// `192.0.2.11`, `192.0.2.11:80`, `2001:db8::11`, `[2001:db8::11]:80`.
    static func parseServer(_ text: String) -> (IPAddress, UInt16?)? {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                  let address = IPAddress(text[text.index(after: text.startIndex)..<close]) else { return nil }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (address, nil) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (address, port)
        }
        if let address = IPAddress(text) { return (address, nil) }
        guard let colon = text.lastIndex(of: ":"), let address = IPAddress(text[..<colon]), address.family == .inet,
              let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        return (address, port)
    }
}
