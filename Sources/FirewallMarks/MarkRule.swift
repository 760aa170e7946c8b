import Serialization

/// One mangle-table MARK rule owned by swiftvs: packets to `destination` (optionally only
/// `protocol`, optionally only destination ports `ports`) get firewall mark `mark`, which
/// an IPVS fwmark service (`ipvsadm -A -f MARK`) then picks up.
///
/// Values are validated when built, so every `MarkRule` can be installed. Two rules are
/// the same rule when all four fields are equal; swiftvs keeps at most one of each.
public struct MarkRule: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Destination address and prefix; its family picks iptables or ip6tables (`ip`/`ip6` in nft).
    public let destination: MarkNetwork
    /// Transport protocol, nil for all.
    public let `protocol`: TransportProtocol?
    /// Destination ports (first…last), nil for all; only with a protocol.
    public let ports: ClosedRange<UInt16>?
    /// The mark, 1…0xffffffff.
    public let mark: UInt32

    public var family: AddressFamily { destination.family }

    /// Builds a rule, checking the combination: ports need a protocol, the mark is not 0.
    public init(destination: MarkNetwork, protocol: TransportProtocol? = nil,
                ports: ClosedRange<UInt16>? = nil, mark: UInt32) throws(MarkError) {
        if let ports, `protocol` == nil {
            throw .invalid("--dport \(Self.portText(ports)): a destination port needs a protocol",
                           hint: "add -p tcp, -p udp or -p sctp before --dport")
        }
        guard mark != 0 else {
            throw .invalid("--mark 0: mark 0 means 'no mark' and cannot select an IPVS service",
                           hint: "use a mark from 1 to 4294967295 (0xffffffff), the one given to ipvsadm -A -f")
        }
        self.destination = destination
        self.protocol = `protocol`
        self.ports = ports
        self.mark = mark
    }

    /// Builds a rule from the text of `swiftvs mark add` options (`-d`, `-p`, `--dport`,
    /// `--mark`), with precise errors.
    public init(destination: String, protocol: String? = nil, ports: String? = nil,
                mark: String) throws(MarkError) {
        let net = try MarkNetwork(destination)
        let proto = try `protocol`.map { (p: String) throws(MarkError) in try MarkRule.parseProtocol(p) }
        let range = try ports.map { (p: String) throws(MarkError) in try MarkRule.parsePorts(p) }
        let m = try MarkRule.parseMark(mark)
        try self.init(destination: net, protocol: proto, ports: range, mark: m)
    }

    // MARK: - Value parsers

    /// Parses `tcp`, `udp` or `sctp` (any case), as `-p`.
    public static func parseProtocol(_ text: some StringProtocol) throws(MarkError) -> TransportProtocol {
        guard let p = TransportProtocol(name: text.lowercased()) else {
            throw .invalid("-p \(text): the protocol must be tcp, udp or sctp",
                           hint: "leave out -p to mark every protocol to the destination")
        }
        return p
    }

    /// Parses a mark: decimal (`80`) or hexadecimal (`0x50`), 1…4294967295.
    public static func parseMark(_ text: some StringProtocol) throws(MarkError) -> UInt32 {
        let s = String(text)
        let hint = "give the mark in decimal (80) or hexadecimal (0x50), 1 to 4294967295 (0xffffffff)"
        var digits = Substring(s)
        var radix = 10
        if s.hasPrefix("0x") || s.hasPrefix("0X") {
            digits = s.dropFirst(2)
            radix = 16
        }
        let valid = !digits.isEmpty && digits.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (radix == 16 && ((c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)))
        }
        guard valid else {
            throw .invalid("--mark \(s): not a number", hint: hint)
        }
        guard let v = UInt64(digits, radix: radix), v <= UInt64(UInt32.max) else {
            throw .invalid("--mark \(s): larger than 4294967295 (0xffffffff), the largest 32-bit mark", hint: hint)
        }
        guard v != 0 else {
            throw .invalid("--mark \(s): mark 0 means 'no mark' and cannot select an IPVS service", hint: hint)
        }
        return UInt32(v)
    }

    /// Parses `PORT` or `FIRST:LAST` (0…65535, FIRST ≤ LAST), as iptables' `--dport`.
    public static func parsePorts(_ text: some StringProtocol) throws(MarkError) -> ClosedRange<UInt16> {
        let s = String(text)
        let parts = s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        func port(_ p: Substring) throws(MarkError) -> UInt16 {
            guard !p.isEmpty, p.count <= 5, p.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw .invalid("--dport \(s): '\(p)' is not a port number",
                               hint: "give a port (80) or a range FIRST:LAST (80:89), ports 0 to 65535")
            }
            guard let v = UInt16(p) else {
                throw .invalid("--dport \(s): port \(p) is above 65535", hint: "ports go from 0 to 65535")
            }
            return v
        }
        let first = try port(parts[0])
        guard parts.count == 2 else { return first...first }
        let last = try port(parts[1])
        guard first <= last else {
            throw .invalid("--dport \(s): the range is upside down (\(first) is above \(last))",
                           hint: "write the lower port first: --dport \(last):\(first)")
        }
        return first...last
    }

    static func portText(_ r: ClosedRange<UInt16>) -> String {
        r.lowerBound == r.upperBound ? "\(r.lowerBound)" : "\(r.lowerBound):\(r.upperBound)"
    }

    // MARK: - Renderings

    /// The options of `swiftvs mark add` that make this rule, e.g.
    /// `["-d", "192.0.2.100/32", "-p", "tcp", "--dport", "80:81", "--mark", "80"]`.
    public var arguments: [String] {
        var a = ["-d", destination.description]
        if let p = `protocol` { a += ["-p", p.name] }
        if let ports { a += ["--dport", Self.portText(ports)] }
        a += ["--mark", String(mark)]
        return a
    }

    /// `-d 192.0.2.100/32 -p tcp --dport 80 --mark 80`
    public var description: String { arguments.joined(separator: " ") }

    /// The marker that starts a mark line in a swiftvs rules file.
    public static let saveLinePrefix = "# swiftvs-mark"

    /// This rule as a line of the rules file, a comment ipvsadm-restore ignores:
    /// `# swiftvs-mark -d 192.0.2.100/32 --mark 80`.
    public var saveLine: String { Self.saveLinePrefix + " " + description }

    /// The mark as iptables prints it: `0x50`.
    var hexMark: String { "0x" + String(mark, radix: 16) }

    /// The comment that marks a rule in the mangle table as swiftvs's.
    public static let iptablesComment = "swiftvs"

    /// The match and target options for iptables (`-A`/`-D`/`-C` take them), in the order
    /// and spelling `iptables -S` prints them back.
    public var iptablesArguments: [String] {
        var a = ["-d", destination.description]
        if let p = `protocol` {
            a += ["-p", p.name]
            if let ports { a += ["-m", p.name, "--dport", Self.portText(ports)] }
        }
        a += ["-m", "comment", "--comment", Self.iptablesComment,
              "-j", "MARK", "--set-xmark", hexMark + "/0xffffffff"]
        return a
    }

    /// The line `iptables-save` (and `iptables -S`) prints for this rule:
    /// `-A PREROUTING -d 192.0.2.100/32 -m comment --comment swiftvs -j MARK --set-xmark 0x50/0xffffffff`.
    public var iptablesSaveLine: String {
        (["-A", "PREROUTING"] + iptablesArguments).joined(separator: " ")
    }

    /// The nft rule body for `table inet swiftvs` chain `prerouting`, as `nft list` prints
    /// it (minus counter values): `ip daddr 192.0.2.100 tcp dport 80-81 counter meta mark set 0x00000050`.
    public var nftStatement: String {
        var s = (family == .inet ? "ip daddr " : "ip6 daddr ")
        s += destination.isHost ? "\(destination.address)" : destination.description
        if let p = `protocol` {
            if let ports {
                s += " \(p.name) dport " + (ports.lowerBound == ports.upperBound
                                                 ? "\(ports.lowerBound)" : "\(ports.lowerBound)-\(ports.upperBound)")
            } else {
                s += " meta l4proto \(p.name)"
            }
        }
        let hex = String(mark, radix: 16)
        s += " counter meta mark set 0x" + String(repeating: "0", count: 8 - hex.count) + hex
        return s
    }

    /// One JSON object: `{"family":"ipv4","destination":"192.0.2.0/24","address":"192.0.2.0",
    /// "prefixLength":24,"protocol":"tcp","ports":{"first":80,"last":81},"mark":80,"markHex":"0x50"}`
    /// (`protocol` and `ports` are null when absent).
    public var json: String {
        var s = "{\"family\":" + JSONString.quoted(family.name) + ",\"destination\":" + JSONString.quoted(destination.description)
        s += ",\"address\":" + JSONString.quoted(destination.address.description) + ",\"prefixLength\":\(destination.prefixLength)"
        s += ",\"protocol\":" + (`protocol`.map { JSONString.quoted($0.name) } ?? "null")
        s += ",\"ports\":" + (ports.map { "{\"first\":\($0.lowerBound),\"last\":\($0.upperBound)}" } ?? "null")
        s += ",\"mark\":\(mark),\"markHex\":" + JSONString.quoted(hexMark) + "}"
        return s
    }

    /// A JSON array of rules, one object per line.
    public static func json(_ rules: [MarkRule]) -> String {
        if rules.isEmpty { return "[]" }
        return "[\n" + rules.map { "  " + $0.json }.joined(separator: ",\n") + "\n]"
    }

    /// Orders by family, destination, protocol, ports, mark.
    public static func < (a: MarkRule, b: MarkRule) -> Bool {
        if a.destination != b.destination { return a.destination < b.destination }
        if a.protocol != b.protocol {
            guard let ap = a.protocol else { return true }
            guard let bp = b.protocol else { return false }
            return ap < bp
        }
        if a.ports != b.ports {
            guard let ar = a.ports else { return true }
            guard let br = b.ports else { return false }
            return (ar.lowerBound, ar.upperBound) < (br.lowerBound, br.upperBound)
        }
        return a.mark < b.mark
    }
}
