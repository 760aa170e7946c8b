import Foundation
import Testing
import IPVS
@testable import IPVSRules

/// `swiftvs list -c` against what ipvsadm 1.31 printed for the same /proc/net/ip_vs_conn text
/// in the VM (Tests/IPVSRulesTests/Fixtures/connections, from Scripts/capture-conn-fixtures:
/// TCP/UDP/SCTP services, IPv4 and IPv6, NAT/DR/TUN, fwmark, persistence templates, a SIP
/// persistence engine entry; ipvsadm read exactly the captured text, see Scripts/lib/frozen-conn.sh).
@Suite("connection table (ipvsadm -L -c)")
struct ConnectionTests {
    /// The VM's names: the captured hosts file for addresses, /etc/services (the same file the
    /// VM read: its / is the host's) for ports.
    struct FixtureResolver: NameResolver {
        var hosts: [IPAddress: String] = [:]
        init(hostsFile: String) {
            for line in hostsFile.split(separator: "\n") {
                let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
                // gethostbyaddr answers with the first line that has the address.
                if f.count >= 2, let a = IPAddress(f[0]), hosts[a] == nil { hosts[a] = f[1] }
            }
        }
        func hostName(for address: IPAddress) -> String? { hosts[address] }
        func serviceName(port: UInt16, protocol p: TransportProtocol) -> String? {
            SystemResolver().serviceName(port: port, protocol: p)
        }
        func ipv4Address(forHost name: String) -> IPAddress? { nil }
        func ipv6Address(forHost name: String) -> IPAddress? { nil }
        func port(forService name: String, protocol p: TransportProtocol) -> UInt16? { nil }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let proc: String
        let expected: String
        let args: [String]
        var testDescription: String { "\(name): ipvsadm \(args.joined(separator: " "))" }
    }

    static let directory = Fixture.root.appendingPathComponent("connections")

    static func read(_ name: String) -> String {
        (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
    }

    static let cases: [Case] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasSuffix(".proc") }.sorted().map { file in
            let base = String(file.dropLast(5))
            return Case(name: base, proc: read(file), expected: read(base + ".ipvsadm"),
                        args: read(base + ".args").split(whereSeparator: \.isWhitespace).map(String.init))
        }
    }()

    /// Runs the listing over `text` (through a file, as from /proc) and returns what it wrote.
    static func list(_ text: String, mode: ConnectionListing.Mode, filter: ConnectionFilter = ConnectionFilter(),
                     readSize: Int = 64 << 10) throws -> String {
        try withFiles(text) { inFD, outFD in
            try ConnectionListing.run(input: inFD, path: "/proc/net/ip_vs_conn", output: outFD, mode: mode,
                                      filter: filter, readSize: readSize)
        }
    }

    /// Calls `body` with a descriptor reading `text` from a file (as from /proc) and one writing
    /// to another file; returns what was written.
    static func withFiles(_ text: String, _ body: (Int32, Int32) throws -> Void) throws -> String {
        let dir = FileManager.default.temporaryDirectory
        let input = dir.appendingPathComponent("conn-in-\(UUID().uuidString)")
        let output = dir.appendingPathComponent("conn-out-\(UUID().uuidString)")
        try Data(text.utf8).write(to: input)
        FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: input); try? FileManager.default.removeItem(at: output) }
        let inFD = open(input.path, O_RDONLY), outFD = open(output.path, O_WRONLY)
        defer { close(inFD); close(outFD) }
        try body(inFD, outFD)
        return try String(contentsOf: output, encoding: .utf8)
    }

    static func textMode(_ args: [String]) -> ConnectionListing.Mode {
        let numeric = args.contains("-n") || args.contains(where: { $0.hasPrefix("-") && !$0.hasPrefix("--") && $0.contains("n") })
        let resolver: any NameResolver = numeric ? NumericResolver() : FixtureResolver(hostsFile: read("hosts"))
        return .text(ConnectionFormat(numeric: numeric, persistentConnections: args.contains("--persistent-conn"),
                                      resolver: resolver))
    }

    @Test("the captured cases are there")
    func fixturesExist() {
        #expect(Self.cases.count >= 6)
        // `read` gives "" for a missing file: every case must have its capture and ipvsadm's text.
        for c in Self.cases { #expect(!c.proc.isEmpty && !c.expected.isEmpty, "\(c.name): .proc or .ipvsadm missing or empty") }
        let all = Self.cases.map(\.proc).joined()
        for needle in ["ESTABLISHED", "SYN_RECV", " UDP ", "IP  ", "2001:0db8", " sip "] {
            #expect(all.contains(needle), "no captured entry with \(needle)")
        }
    }

    @Test("byte for byte what ipvsadm printed", arguments: cases)
    func matchesIpvsadm(_ c: Case) throws {
        let ours = try Self.list(c.proc, mode: Self.textMode(c.args))
        #expect(ours == c.expected)
        if ours != c.expected {
            let a = ours.split(separator: "\n"), b = c.expected.split(separator: "\n")
            for (x, y) in zip(a, b) where x != y { Issue.record("ours:    \(x)\nipvsadm: \(y)"); break }
        }
    }

    @Test("the same when the text arrives in pieces that cut lines", arguments: [7, 64, 100, 513])
    func smallReads(_ size: Int) throws {
        for c in Self.cases {
            #expect(try Self.list(c.proc, mode: Self.textMode(c.args), readSize: size) == c.expected, "\(c.name)")
        }
    }

    @Test("an empty file is ipvsadm's 'unexpected input'; a header alone lists nothing")
    func emptyAndHeaderOnly() throws {
        #expect(throws: ConnectionListing.Failure.self) { try Self.list("", mode: .json) }
        do {
            _ = try Self.list("", mode: .json)
        } catch let e as ConnectionListing.Failure {
            #expect(e.description == "unexpected input from /proc/net/ip_vs_conn")
        }
        let header = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
        #expect(try Self.list(header, mode: .text(ConnectionFormat(numeric: true, resolver: NumericResolver())))
                == ConnectionFormat.header(persistentConnections: false).description)
        #expect(try Self.list(header, mode: .json) == "{\n  \"format\": \"swiftvs-connections/1\",\n  \"connections\": []\n}\n")
    }

    @Test("parsing: IPv4 hex, IPv6 %pI6, hex ports, the persistence engine's fields")
    func parsing() throws {
        let v4 = try #require(Connection(line: "TCP CB007102 A9EA C0000264 1F90 C633640B 1F90 ESTABLISHED     782"))
        #expect(v4.client == IPAddress("203.0.113.2") && v4.clientPort == 0xA9EA)
        #expect(v4.virtual == IPAddress("192.0.2.100") && v4.virtualPort == 8080)
        #expect(v4.destination == IPAddress("198.51.100.11") && v4.state == "ESTABLISHED" && v4.expires == 782)
        #expect(v4.persistenceEngine == nil && v4.transport == .tcp)
        let v6 = try #require(Connection(line: "UDP 2001:0db8:000c:0000:0000:0000:0000:0002 E5CB 2001:0db8:0000:0000:0000:0000:0000:0100 0035 2001:0db8:0005:0000:0000:0000:0000:0011 0035 UDP             201"))
        #expect(v6.client == IPAddress("2001:db8:c::2") && v6.virtualPort == 53 && v6.destination == IPAddress("2001:db8:5::11"))
        let sip = try #require(Connection(line: "UDP CB007102 0000 C0000264 13C4 C633640C 13C4 NONE             28 sip a84b4c76e66710@client.example"))
        #expect(sip.persistenceEngine == "sip" && sip.persistenceData == "a84b4c76e66710@client.example")
        #expect(Connection(line: "TCP CB0071 A9EA C0000264 1F90 C633640B 1F90 ESTABLISHED 782") == nil)
        #expect(Connection(line: "TCP CB007102 A9EA C0000264") == nil)
    }

    @Test("words: protocols and states kept inline, up to ConnectionWord.capacity bytes; a longer field is not an entry")
    func words() throws {
        let sctp = try #require(Connection(line: "SCTP CB007102 A9EA C0000264 1F90 C633640B 1F90 SHUTDOWN_ACK_SENT       7"))
        #expect(sctp.protocolName == "SCTP" && sctp.transport == .sctp && !sctp.isTemplate)
        #expect(sctp.state == "SHUTDOWN_ACK_SENT" && sctp.stateWord == ConnectionWord("SHUTDOWN_ACK_SENT"))
        let template = try #require(Connection(line: "IP  CB007102 0000 C0000264 1F90 C633640B 1F90 NONE          300"))
        #expect(template.isTemplate && template.transport == nil && template.protocolName == "IP")
        let other = try #require(Connection(line: "IP_47 CB007102 0000 C0000264 0000 C633640B 0000 ERR!             60"))
        #expect(!other.isTemplate && other.transport == nil && other.protocolName == "IP_47" && other.state == "ERR!")
        let udp = try #require(Connection(line: "UDP CB007102 A9EA C0000264 0035 C633640B 0035 UDP             201"))
        #expect(udp.transport == .udp && udp.state == "UDP" && udp.stateWord != sctp.stateWord)
        let longest = String(repeating: "S", count: ConnectionWord.capacity)
        #expect(Connection(line: "TCP CB007102 A9EA C0000264 1F90 C633640B 1F90 \(longest) 782")?.state == longest)
        #expect(Connection(line: "TCP CB007102 A9EA C0000264 1F90 C633640B 1F90 \(longest)S 782") == nil)
        #expect(Connection(line: "\(longest)S CB007102 A9EA C0000264 1F90 C633640B 1F90 ESTABLISHED 782") == nil)
        #expect(ConnectionWord(longest + "S") == nil && ConnectionWord("TCP")?.count == 3)
    }

    @Test("text(): the numeric format made without a resolver prints what run() with NumericResolver prints")
    func numericFormatWithoutResolver() throws {
        for c in Self.cases {
            for persistent in [false, true] {
                let viaRun = try Self.list(c.proc, mode: .text(ConnectionFormat(numeric: true, persistentConnections: persistent,
                                                                                    resolver: NumericResolver())))
                var format = ConnectionFormat.numeric(persistentConnections: persistent)
                let viaText = try Self.withFiles(c.proc) { input, output in
                    try ConnectionListing.text(input: input, path: { "/proc/net/ip_vs_conn" }, output: output, format: &format)
                }
                #expect(viaText == viaRun, "\(c.name), persistent \(persistent)")
            }
        }
        var format = ConnectionFormat.numeric()
        #expect(throws: ConnectionListing.Failure(kind: .noHeader, path: "/proc/net/ip_vs_conn")) {
            try Self.withFiles("") { input, output in
                try ConnectionListing.text(input: input, path: { "/proc/net/ip_vs_conn" }, output: output, format: &format)
            }
        }
    }

    @Test("names: ipvsadm's 60-byte buffer cuts a long host:service at 59 bytes; minutes past 99")
    func longNamesAndExpiry() throws {
        let long = String(repeating: "h", count: 70)
        var format = ConnectionFormat(numeric: false, resolver: TableResolver(hosts: [IPAddress("203.0.113.2")!: long]))
        let c = try #require(Connection(line: "TCP CB007102 A9EA C0000264 1F90 C633640B 1F90 ESTABLISHED 6001"))
        let line = format.line(c)
        #expect(line.hasPrefix("TCP 100:01 ESTABLISHED " + String(repeating: "h", count: 59) + " 192.0.2.100:8080 "))
    }

    @Test("filters: service (address, fwmark with its templates), real server, state")
    func filters() throws {
        let proc = Self.cases[0].proc
        func count(_ f: ConnectionFilter) throws -> Int {
            try Self.list(proc, mode: .json, filter: f).components(separatedBy: "\"protocol\"").count - 1
        }
        let lines = proc.split(separator: "\n").dropFirst().compactMap { Connection(line: String($0)) }
        #expect(try count(ConnectionFilter()) == lines.count)
        let https = ServiceKey.address(.tcp, IPAddress("192.0.2.100")!, port: 443)
        #expect(try count(ConnectionFilter(service: https)) == lines.filter { $0.virtual == IPAddress("192.0.2.100") && $0.virtualPort == 443 }.count)
        var mark = ConnectionFilter(service: .fwmark(80, family: .inet))
        mark.fwmarkDestinations = [DestinationKey(address: IPAddress("198.51.100.11")!, port: 0)]
        mark.addressServices = [.address(.tcp, IPAddress("192.0.2.100")!, port: 8080), .address(.udp, IPAddress("192.0.2.100")!, port: 53)]
        let marked = lines.filter { ($0.isTemplate && $0.virtual == IPAddress("0.0.0.80")) || $0.virtual == IPAddress("192.0.2.101") }
        #expect(marked.count >= 2)
        #expect(try count(mark) == marked.count)
        #expect(try count(ConnectionFilter(state: "established")) == lines.filter { $0.state == "ESTABLISHED" }.count)
        #expect(try count(ConnectionFilter(serverAddress: IPAddress("198.51.100.12"), serverPort: 80))
                == lines.filter { $0.destination == IPAddress("198.51.100.12") && $0.destinationPort == 80 }.count)
    }

    @Test("summary: one count per real server, protocol and state, adding up to the entries")
    func summary() throws {
        let proc = Self.cases[0].proc
        let lines = proc.split(separator: "\n").dropFirst().compactMap { Connection(line: String($0)) }
        var s = ConnectionSummary()
        for c in lines { s.add(c) }
        #expect(s.rows.reduce(0) { $0 + $1.count } == lines.count)
        let text = try Self.list(proc, mode: .summary(json: false))
        #expect(text == s.text())
        #expect(text.hasSuffix(IpvsadmPrintf.left("total", 62) + " " + IpvsadmPrintf.right(String(lines.count), 9) + "\n"))
        let json = try JSONSerialization.jsonObject(with: Data(try Self.list(proc, mode: .summary(json: true)).utf8)) as? [String: Any]
        #expect(json?["total"] as? Int == lines.count)
    }

    @Test("JSON: every entry, keys in the documented order, parseable")
    func json() throws {
        let c = Self.cases[0]
        let text = try Self.list(c.proc, mode: .json)
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(doc["format"] as? String == "swiftvs-connections/1")
        let entries = try #require(doc["connections"] as? [[String: Any]])
        #expect(entries.count == c.proc.split(separator: "\n").count - 1)
        let first = try #require(entries.first)
        let keys = ["protocol", "family", "clientAddress", "clientPort", "virtualAddress", "virtualPort",
                    "destinationAddress", "destinationPort", "state", "expires", "persistenceEngine", "persistenceData"]
        #expect(Set(first.keys) == Set(keys))
        // Order: as listed.
        let firstObject = text.components(separatedBy: "\n    }")[0]
        let positions = keys.map { firstObject.range(of: "\"\($0)\"")!.lowerBound }
        #expect(positions == positions.sorted())
        let sip = entries.first { $0["persistenceEngine"] as? String == "sip" }
        #expect(sip?["persistenceData"] as? String == "a84b4c76e66710@client.example")
    }
}
