import IPVSModel
import Serialization

/// `swiftvs list -c --summary`: how many entries each real server has in each state. Holds
/// one counter per (real server, protocol, state), never the entries.
public struct ConnectionSummary: Sendable {
    /// One row: a real server, a protocol and a state, and how many entries have them.
    public struct Row: Sendable, Hashable, Comparable {
        public var destination: DestinationKey
        public var protocolName: String
        public var state: String
        public var count: Int

        public static func < (a: Row, b: Row) -> Bool {
            if a.destination != b.destination { return a.destination < b.destination }
            if a.protocolName != b.protocolName { return a.protocolName < b.protocolName }
            return a.state < b.state
        }
    }

    private struct Key: Hashable {
        var destination: DestinationKey
        var protocolWord: ConnectionWord
        var stateWord: ConnectionWord
    }

    private var counts: [Key: Int] = [:]
    /// Entries counted.
    public private(set) var total = 0

    public init() {}

    public mutating func add(_ c: Connection) {
        counts[Key(destination: DestinationKey(address: c.destination, port: c.destinationPort),
                   protocolWord: c.protocolWord, stateWord: c.stateWord), default: 0] += 1
        total += 1
    }

    /// The rows, by real server (address, then port), protocol and state.
    public var rows: [Row] {
        counts.map { Row(destination: $0.key.destination, protocolName: $0.key.protocolWord.string,
                         state: $0.key.stateWord.string, count: $0.value) }
            .sorted()
    }

    /// The summary as text: a title, a column line, one row per real server, protocol and
    /// state, and the total.
    ///
    ///     IPVS connection entries by real server and state
    ///     destination                                  pro  state       count
    ///     192.0.2.11:80                                TCP  ESTABLISHED     2
    ///     total                                                             2
    public func text() -> String {
        var s = "IPVS connection entries by real server and state\n"
        s += IpvsadmPrintf.left("destination", 44) + " " + IpvsadmPrintf.left("pro", 4) + " "
            + IpvsadmPrintf.left("state", 11) + " " + IpvsadmPrintf.right("count", 9) + "\n"
        for r in rows {
            let dest = r.destination.address.family == .inet
                ? "\(r.destination.address):\(r.destination.port)" : "[\(r.destination.address)]:\(r.destination.port)"
            s += IpvsadmPrintf.left(dest, 44) + " " + IpvsadmPrintf.left(r.protocolName, 4) + " "
                + IpvsadmPrintf.left(r.state, 11) + " " + IpvsadmPrintf.right(String(r.count), 9) + "\n"
        }
        s += IpvsadmPrintf.left("total", 62) + " " + IpvsadmPrintf.right(String(total), 9) + "\n"
        return s
    }

    /// The summary as JSON (format `swiftvs-connection-summary/1`, docs/json.md).
    public func json() -> String {
        var s = "{\n  \"format\": \"swiftvs-connection-summary/1\",\n  \"total\": \(total),\n  \"rows\": ["
        let all = rows
        for (i, r) in all.enumerated() {
            s += i == 0 ? "\n" : ",\n"
            s += "    {\n"
            s += "      \"family\": \(r.destination.address.family == .inet ? "\"inet\"" : "\"inet6\""),\n"
            s += "      \"destinationAddress\": \(JSONString.quoted(r.destination.address.description)),\n"
            s += "      \"destinationPort\": \(r.destination.port),\n"
            s += "      \"protocol\": \(JSONString.quoted(r.protocolName.lowercased())),\n"
            s += "      \"state\": \(JSONString.quoted(r.state)),\n"
            s += "      \"count\": \(r.count)\n"
            s += "    }"
        }
        s += all.isEmpty ? "]\n}\n" : "\n  ]\n}\n"
        return s
    }
}
