import IPVSModel
import Serialization

/// `swiftvs list -c --json`: the connection entries in the documented shape (docs/json.md,
/// format `swiftvs-connections/1`), written entry by entry so the table is never held:
///
/// ```
/// {
///   "format": "swiftvs-connections/1",
///   "connections": [
///     {
///       "protocol": "tcp",                 // "tcp" | "udp" | "sctp" | "ip" (templates) | …
///       "family": "inet",                  // of the client and virtual address
///       "clientAddress": "203.0.113.2",
///       "clientPort": 40312,
///       "virtualAddress": "192.0.2.100",
///       "virtualPort": 80,
///       "destinationAddress": "192.0.2.11",
///       "destinationPort": 80,
///       "state": "ESTABLISHED",
///       "expires": 893,                    // seconds
///       "persistenceEngine": null,
///       "persistenceData": null
///     }
///   ]
/// }
/// ```
public enum ConnectionJSON {
    public static let formatName = "swiftvs-connections/1"

    /// What comes before the first entry.
    public static let opening: StaticString = "{\n  \"format\": \"swiftvs-connections/1\",\n  \"connections\": ["

    /// What comes after the last entry (`count` entries were written).
    public static func closing(count: Int) -> StaticString {
        count == 0 ? "]\n}\n" : "\n  ]\n}\n"
    }

    /// Entry number `index` (0-based), with the separator before it.
    public static func render(_ c: Connection, index: Int, into out: inout ByteBuffer) {
        out.append(index == 0 ? "\n    {\n" : ",\n    {\n")
        out.append("      \"protocol\": ")
        out.append(contentsOf: JSONString.quoted(c.protocolName.lowercased()))
        out.append(",\n      \"family\": ")
        out.append(c.client.family == .inet ? "\"inet\"" : "\"inet6\"")
        address("clientAddress", c.client, "clientPort", c.clientPort, into: &out)
        address("virtualAddress", c.virtual, "virtualPort", c.virtualPort, into: &out)
        address("destinationAddress", c.destination, "destinationPort", c.destinationPort, into: &out)
        out.append(",\n      \"state\": ")
        out.append(contentsOf: JSONString.quoted(c.state))
        out.append(",\n      \"expires\": ")
        ConnectionFormat.decimal(c.expires, into: &out)
        out.append(",\n      \"persistenceEngine\": ")
        optional(c.persistenceEngine, into: &out)
        out.append(",\n      \"persistenceData\": ")
        optional(c.persistenceData, into: &out)
        out.append("\n    }")
    }

    private static func address(_ addressKey: StaticString, _ a: IPAddress, _ portKey: StaticString, _ port: UInt16,
                                into out: inout ByteBuffer) {
        out.append(",\n      \"")
        out.append(addressKey)
        out.append("\": \"")
        out.append(contentsOf: a.description)
        out.append("\",\n      \"")
        out.append(portKey)
        out.append("\": ")
        ConnectionFormat.decimal(UInt32(port), into: &out)
    }

    private static func optional(_ s: String?, into out: inout ByteBuffer) {
        if let s { out.append(contentsOf: JSONString.quoted(s)) } else { out.append("null") }
    }
}
