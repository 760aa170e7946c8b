import IPVSModel
import Serialization

/// `ipvsadm -L -c` (`list_conn` / `print_conn`), byte for byte: the header, then one line per
/// entry with the protocol, the time left as MM:SS, the state, and the client, virtual and
/// real server as `addr:port` (names unless numeric, `[addr]` for IPv6). With
/// `--persistent-conn`, the header has two more columns and entries of a persistence engine
/// show its name and data.
///
/// Lines are written into a `ByteBuffer` the caller flushes as it likes: the renderer keeps
/// no entries. Names are looked up once per address and per port (ipvsadm asks the resolver
/// for each line; the answers are the same within one listing).
public struct ConnectionFormat {
    public let numeric: Bool
    public let persistentConnections: Bool
    /// The resolver and the names it gave; nil when numeric. A numeric format holds no
    /// existential and no dictionary: copying or ending one touches no type metadata (the
    /// resolver's value witnesses) and no code of the standard library's (docs/benchmarks.md,
    /// the connection table). A class: an optional reference is a nullable pointer, where an
    /// optional struct holding an existential has its metadata made at run time.
    fileprivate var names: Names?

    /// Names looked up once per address and per port (shared by the copies of a format).
    fileprivate final class Names {
        let resolver: any NameResolver
        var hosts: [IPAddress: String] = [:]
        var services: [UInt32: String] = [:]

        init(resolver: any NameResolver) { self.resolver = resolver }
    }

    public init(numeric: Bool, persistentConnections: Bool = false, resolver: any NameResolver) {
        self.numeric = numeric
        self.persistentConnections = persistentConnections
        names = numeric ? nil : Names(resolver: resolver)
    }

    /// A numeric format (`-n`), made without a resolver.
    public static func numeric(persistentConnections: Bool = false) -> ConnectionFormat {
        ConnectionFormat(persistentConnections: persistentConnections)
    }

    private init(persistentConnections: Bool) {
        numeric = true
        self.persistentConnections = persistentConnections
        names = nil
    }

    /// The two title lines ipvsadm prints before the entries: `list_conn`'s
    /// `"pro expire %-11s %-18s %-18s %s\n"` of state, source, virtual and destination (with the
    /// persistence engine's columns, `"… %-18s %-16s %s\n"` of destination, pe name and pe_data).
    /// Static bytes: `list -c` writes them without building a String.
    public static func header(persistentConnections: Bool) -> StaticString {
        persistentConnections
            ? "IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\n"
            : "IPVS connection entries\npro expire state       source             virtual            destination\n"
    }

    /// One entry's line, newline included.
    public mutating func render(_ c: Connection, into out: inout ByteBuffer) {
        let start = out.count
        out.append(c.protocolWord)
        pad(&out, from: start, to: 3)
        out.append(" ")
        let expireStart = out.count
        Self.twoDigits(c.expires / 60, into: &out)
        out.append(":")
        Self.twoDigits(c.expires % 60, into: &out)
        pad(&out, from: expireStart, to: 6)
        out.append(" ")
        let stateStart = out.count
        out.append(c.stateWord)
        pad(&out, from: stateStart, to: 11)
        out.append(" ")
        let proto = c.transport
        addressPort(c.client, c.clientPort, proto, width: 18, into: &out)
        out.append(" ")
        addressPort(c.virtual, c.virtualPort, proto, width: 18, into: &out)
        out.append(" ")
        if persistentConnections, let name = c.persistenceEngine, let data = c.persistenceData {
            addressPort(c.destination, c.destinationPort, proto, width: 16, into: &out)
            out.append(" ")
            field(name, width: 18, into: &out)
            out.append(" ")
            out.append(contentsOf: data)
        } else {
            addressPort(c.destination, c.destinationPort, proto, width: 0, into: &out)
        }
        out.append("\n")
    }

    /// The text of one entry's line (tests and small outputs).
    public mutating func line(_ c: Connection) -> String {
        var out = ByteBuffer(capacity: 160)
        render(c, into: &out)
        return out.string
    }

    // MARK: - Pieces

    private func field(_ s: String, width: Int, into out: inout ByteBuffer) {
        let start = out.count
        out.append(contentsOf: s)
        pad(&out, from: start, to: width)
    }

    private func pad(_ out: inout ByteBuffer, from start: Int, to width: Int) {
        let written = out.count - start
        guard written < width else { return }
        out.reserve(width - written)
        for _ in written..<width { out.put(0x20) }
    }

    /// `%02d` (more digits when the value needs them).
    static func twoDigits(_ v: UInt32, into out: inout ByteBuffer) {
        if v < 10 { out.append("0") }
        decimal(v, into: &out)
    }

    static func decimal(_ v: UInt32, into out: inout ByteBuffer) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[n] = UInt8(0x30 + x % 10)
                x /= 10
                n += 1
            } while x > 0
            out.reserve(n)
            for i in stride(from: n - 1, through: 0, by: -1) { out.put(d[i]) }
        }
    }

    /// `addrport_to_anyname`, then `%-Ns`.
    private mutating func addressPort(_ a: IPAddress, _ port: UInt16, _ proto: TransportProtocol?, width: Int,
                                      into out: inout ByteBuffer) {
        let start = out.count
        if numeric || names == nil {
            switch a {
            case let .v4(b0, b1, b2, b3):
                out.reserve(22)
                Self.decimal(UInt32(b0), into: &out); out.put(0x2E)
                Self.decimal(UInt32(b1), into: &out); out.put(0x2E)
                Self.decimal(UInt32(b2), into: &out); out.put(0x2E)
                Self.decimal(UInt32(b3), into: &out)
            case .v6:
                out.append("[")
                out.append(contentsOf: a.description)
                out.append("]")
            }
            out.append(":")
            Self.decimal(UInt32(port), into: &out)
        } else {
            out.append(contentsOf: name(a, port, proto))
        }
        pad(&out, from: start, to: width)
    }

    /// The named form, cut at 59 bytes as ipvsadm's 60-byte buffer cuts it.
    private func name(_ a: IPAddress, _ port: UInt16, _ proto: TransportProtocol?) -> String {
        names!.name(a, port, proto)
    }
}

extension ConnectionFormat.Names {
    /// `addrport_to_anyname`'s text, cut at 59 bytes.
    func name(_ a: IPAddress, _ port: UInt16, _ proto: TransportProtocol?) -> String {
        let host: String
        if let known = hosts[a] {
            host = known
        } else {
            host = resolver.hostName(for: a) ?? a.description
            hosts[a] = host
        }
        var service = String(port)
        if let proto {
            let key = UInt32(port) << 8 | UInt32(Self.protocolNumber(proto))
            if let known = services[key] {
                service = known
            } else {
                service = resolver.serviceName(port: port, protocol: proto) ?? String(port)
                services[key] = service
            }
        }
        let text = a.family == .inet ? "\(host):\(service)" : "[\(host)]:\(service)"
        return IpvsadmPrintf.truncate(text, 59)
    }

    private static func protocolNumber(_ p: TransportProtocol) -> UInt8 {
        switch p {
        case .tcp: return 6
        case .udp: return 17
        case .sctp: return 132
        }
    }
}
