import IPVSModel

/// One entry of the kernel's IPVS connection table, as a line of /proc/net/ip_vs_conn gives it.
///
/// The kernel writes each entry as
/// `PRO CADDR CPRT VADDR VPRT DADDR DPRT STATE EXPIRES[ PENAME PEDATA]`: IPv4 addresses as
/// 8 hex digits (host order of the address, i.e. `C0000201` is 192.0.2.1), IPv6 addresses
/// as 8 groups of 4 hex digits, ports as 4 hex digits, the state as a word, the time left in
/// seconds, and for an entry of a persistence engine (`--pe sip`) its name and data.
/// Persistence templates have the protocol `IP`, and a firewall-mark service's template
/// carries the mark as its virtual address (`0.0.0.80` for mark 80).
public struct Connection: Sendable, Hashable {
    /// The protocol as the kernel names it: `TCP`, `UDP`, `SCTP`, `IP` (templates), `IP_n`.
    public var protocolWord: ConnectionWord
    public var client: IPAddress
    public var clientPort: UInt16
    public var virtual: IPAddress
    public var virtualPort: UInt16
    public var destination: IPAddress
    public var destinationPort: UInt16
    /// The state word: `ESTABLISHED`, `SYN_RECV`, `UDP`, `ASSURED`, `NONE`, …
    public var stateWord: ConnectionWord
    /// Seconds until the entry expires.
    public var expires: UInt32
    /// The persistence engine's name and data (`sip` and the Call-ID), when the entry has them.
    public var persistenceEngine: String?
    public var persistenceData: String?

    /// The transport protocol whose service names apply (ipvsadm looks names up for TCP, UDP
    /// and SCTP only); nil for templates and anything else.
    public var transport: TransportProtocol? {
        if protocolWord.equals("UDP") { return .udp }
        if protocolWord.equals("TCP") { return .tcp }
        if protocolWord.equals("SCTP") { return .sctp }
        return nil
    }

    /// True for a persistence template (protocol `IP`).
    public var isTemplate: Bool { protocolWord.equals("IP") }

    /// The protocol as text (see `protocolWord`).
    public var protocolName: String { protocolWord.string }

    /// The state as text (see `stateWord`).
    public var state: String { stateWord.string }
}

// The parsers in an extension, so that the struct keeps its memberwise initializer (the
// module's, which they call: nothing outside makes a Connection from its fields).
extension Connection {
    /// Parses one line of /proc/net/ip_vs_conn (without its newline); nil when it has fewer
    /// than the nine fields every entry has or a field is not what the kernel writes (a
    /// protocol or state longer than `ConnectionWord.capacity` among them).
    public init?(line: UnsafeBufferPointer<UInt8>) {
        do { try self.init(parsing: line) } catch { return nil }
    }

    /// A line that is not an entry as the kernel writes it.
    public struct Malformed: Error {}

    /// Parses one line of /proc/net/ip_vs_conn (without its newline), or throws `Malformed`
    /// (see `init?(line:)`). The listing's form: a failure is a trivial error, not an optional
    /// entry, whose destruction goes through `Optional<Connection>`'s metadata (made at run
    /// time, on pages nothing else of `list -c` needs).
    public init(parsing line: UnsafeBufferPointer<UInt8>) throws(Malformed) {
        var fields = FieldScanner(line)
        guard let proto = fields.next(), let c = fields.next(), let cp = fields.next(), let v = fields.next(),
              let vp = fields.next(), let d = fields.next(), let dp = fields.next(), let st = fields.next(),
              let ex = fields.next() else { throw Malformed() }
        guard let client = Self.address(c), let virtual = Self.address(v), let destination = Self.address(d),
              let clientPort = Self.hex16(cp), let virtualPort = Self.hex16(vp), let destinationPort = Self.hex16(dp),
              let expires = Self.decimal(ex), let protocolWord = ConnectionWord(proto),
              let stateWord = ConnectionWord(st) else { throw Malformed() }
        self.init(protocolWord: protocolWord, client: client, clientPort: clientPort,
                  virtual: virtual, virtualPort: virtualPort, destination: destination, destinationPort: destinationPort,
                  stateWord: stateWord, expires: expires)
        if let name = fields.next(), let data = fields.next() {
            persistenceEngine = String(decoding: name, as: UTF8.self)
            persistenceData = String(decoding: data, as: UTF8.self)
        }
    }

    /// Parses a line given as text (tests, fixtures).
    public init?(line: String) {
        var text = line
        guard let parsed = text.withUTF8({ Connection(line: $0) }) else { return nil }
        self = parsed
    }

    /// `C0000201` (IPv4, 8 hex digits) or `2001:0db8:0000:…` (IPv6, the kernel's `%pI6`).
    static func address(_ field: UnsafeBufferPointer<UInt8>) -> IPAddress? {
        if field.count == 8 {
            var v: UInt32 = 0
            for byte in field {
                guard let d = hexDigit(byte) else { return nil }
                v = v << 4 | UInt32(d)
            }
            return .v4(UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF))
        }
        guard field.count == 39 else { return nil }
        var bytes = IPv6Bytes()
        var i = 0
        for group in 0..<8 {
            var v: UInt16 = 0
            for _ in 0..<4 {
                guard let d = hexDigit(field[i]) else { return nil }
                v = v << 4 | UInt16(d)
                i += 1
            }
            bytes[2 * group] = UInt8(v >> 8)
            bytes[2 * group + 1] = UInt8(v & 0xFF)
            if group < 7 {
                guard field[i] == UInt8(ascii: ":") else { return nil }
                i += 1
            }
        }
        return .v6(bytes: bytes)
    }

    static func hex16(_ field: UnsafeBufferPointer<UInt8>) -> UInt16? {
        guard !field.isEmpty, field.count <= 4 else { return nil }
        var v: UInt16 = 0
        for byte in field {
            guard let d = hexDigit(byte) else { return nil }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    static func decimal(_ field: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !field.isEmpty, field.count <= 10 else { return nil }
        var v: UInt64 = 0
        for byte in field {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            v = v * 10 + UInt64(byte - 0x30)
        }
        return v <= UInt64(UInt32.max) ? UInt32(v) : nil
    }

    @inline(__always)
    static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}

/// The whitespace-separated fields of a line, as `sscanf("%s …")` reads them.
struct FieldScanner {
    let line: UnsafeBufferPointer<UInt8>
    var at = 0

    init(_ line: UnsafeBufferPointer<UInt8>) { self.line = line }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    mutating func next() -> UnsafeBufferPointer<UInt8>? {
        while at < line.count, Self.isSpace(line[at]) { at += 1 }
        guard at < line.count else { return nil }
        let start = at
        while at < line.count, !Self.isSpace(line[at]) { at += 1 }
        return UnsafeBufferPointer(rebasing: line[start..<at])
    }
}
