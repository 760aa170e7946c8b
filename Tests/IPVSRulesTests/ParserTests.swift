import Testing
import IPVS
@testable import IPVSRules

private let numeric = NumericResolver()
private func parse(_ text: String, resolver: any NameResolver = NumericResolver(),
                   startingFrom base: [ServiceEntry]? = []) throws(RulesError) -> RulesFile {
    try RulesFile.parse(text, fileName: "rules", resolver: resolver, startingFrom: base)
}
private func actions(_ text: String, resolver: any NameResolver = NumericResolver()) throws -> [RuleAction] {
    try parse(text, resolver: resolver).commands.map(\.action)
}
private func v4(_ s: String) -> IPAddress { IPAddress(s)! }
private func tcp(_ a: String, _ p: UInt16) -> ServiceKey { .address(.tcp, v4(a), port: p) }

@Suite("rules parser")
struct ParserTests {
    @Test("ipvsadm's defaults: wlc, -g, weight 1, /32 or /128, 360 s, the service's port")
    func defaults() throws {
        let a = try actions("""
            -A -t 192.0.2.10:80
            -a -t 192.0.2.10:80 -r 192.0.2.20
            -A -t 192.0.2.10:443 -p
            -A -t [2001:db8::10]:80
            -A -f 7 -6
            """)
        #expect(a[0] == .change(.addService(Service(key: tcp("192.0.2.10", 80), scheduler: "wlc", flags: [], timeout: 0, netmask: 0xFFFF_FFFF))))
        #expect(a[1] == .change(.addDestination(Destination(address: v4("192.0.2.20"), port: 80, forwarding: .directRouting, weight: 1), to: tcp("192.0.2.10", 80))))
        #expect(a[2] == .change(.addService(Service(key: tcp("192.0.2.10", 443), flags: .persistent, timeout: 360))))
        guard case let .change(.addService(s6)) = a[3], case let .change(.addService(f6)) = a[4] else {
            Issue.record("not services: \(a)")
            return
        }
        #expect(s6.netmask == 128)
        #expect(f6.key == .fwmark(7, family: .inet6) && f6.netmask == 128)
    }

    @Test("real server ports: direct routing and tunnelling keep the service's port, NAT keeps its own")
    func destinationPorts() throws {
        let a = try actions("""
            -A -t 192.0.2.10:80
            -a -t 192.0.2.10:80 -r 192.0.2.20:8080
            -a -t 192.0.2.10:80 -r 192.0.2.21:8080 -i
            -a -t 192.0.2.10:80 -r 192.0.2.22:8080 -m
            -a -t 192.0.2.10:80 -r 192.0.2.23 -m
            -A -f 5
            -a -f 5 -r 192.0.2.24:99
            -a -f 5 -r 192.0.2.25
            """)
        let ports = a.compactMap { action -> UInt16? in
            if case let .change(.addDestination(d, _)) = action { return d.port }
            return nil
        }
        #expect(ports == [80, 80, 8080, 80, 99, 0])
    }

    @Test("popt syntax: long options, --opt=value, bundles, -p with and without a value, -- ")
    func poptSyntax() throws {
        let a = try actions("""
            ipvsadm --add-service --tcp-service 192.0.2.10:80 --scheduler=rr --persistent=60 --netmask 255.255.255.0
            -At 192.0.2.10:81 -p300 -srr
            -A -u 192.0.2.10:53 -p -s sh -b sh-port,sh-fallback -o
            --add-server -t 192.0.2.10:80 --real-server 192.0.2.20:8080 --masquerading --weight=5 --u-threshold 10 --l-threshold=5
            -a -t 192.0.2.10:80 -r 192.0.2.21:8080 -mw3
            """)
        #expect(a[0] == .change(.addService(Service(key: tcp("192.0.2.10", 80), scheduler: "rr", flags: .persistent, timeout: 60, netmask: 0xFFFF_FF00))))
        #expect(a[1] == .change(.addService(Service(key: tcp("192.0.2.10", 81), scheduler: "rr", flags: .persistent, timeout: 300))))
        #expect(a[2] == .change(.addService(Service(key: .address(.udp, v4("192.0.2.10"), port: 53), scheduler: "sh",
                                            flags: [.persistent, .onePacket, .shPort, .shFallback], timeout: 360))))
        #expect(a[3] == .change(.addDestination(Destination(address: v4("192.0.2.20"), port: 8080, forwarding: .masquerade, weight: 5,
                                                    upperThreshold: 10, lowerThreshold: 5), to: tcp("192.0.2.10", 80))))
        #expect(a[4] == .change(.addDestination(Destination(address: v4("192.0.2.21"), port: 8080, forwarding: .masquerade, weight: 3),
                                        to: tcp("192.0.2.10", 80))))
    }

    @Test("every command a restore file may hold")
    func commands() throws {
        let a = try actions("""
            -C
            -A -t 192.0.2.10:80
            -E -t 192.0.2.10:80 -s rr
            -a -t 192.0.2.10:80 -r 192.0.2.20 -m
            -e -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-type gue --tun-port 6080 --tun-remcsum -w 0
            -Z -t 192.0.2.10:80
            -Z
            -d -t 192.0.2.10:80 -r 192.0.2.20
            -D -t 192.0.2.10:80
            --set 10 20 30
            --start-daemon backup --mcast-interface eth1 --syncid 9 --mcast-group ff02::1 --mcast-port 1 --mcast-ttl 2 --sync-maxlen 1400
            --stop-daemon master
            """)
        let k = tcp("192.0.2.10", 80)
        #expect(a == [
            .change(.flush),
            .change(.addService(Service(key: k))),
            .change(.editService(Service(key: k, scheduler: "rr"))),
            .change(.addDestination(Destination(address: v4("192.0.2.20"), port: 80, forwarding: .masquerade), to: k)),
            .change(.editDestination(Destination(address: v4("192.0.2.20"), port: 80,
                                         forwarding: .tunnel(Tunnel(kind: .gue, port: 6080, checksum: .remote)), weight: 0), in: k)),
            .change(.zero(k)),
            .change(.zero(nil)),
            .change(.deleteDestination(DestinationKey(address: v4("192.0.2.20"), port: 80), from: k)),
            .change(.deleteService(k)),
            .setTimeouts(Timeouts(tcp: 10, tcpFin: 20, udp: 30)),
            .startDaemon(SyncDaemon(role: .backup, interface: "eth1", syncID: 9, maxLength: 1400,
                                    group: IPAddress("ff02::1"), port: 1, ttl: 2)),
            .stopDaemon(.master),
        ])
        #expect(try parse("-A -t 192.0.2.10:80\n--set 1 2 3\n-D -t 192.0.2.10:80").changes
                == [.addService(Service(key: k)), .deleteService(k)])
    }

    @Test("what ipvsadm-save writes but ipvsadm cannot read back")
    func ipvsadmSaveQuirks() throws {
        // Marks from 2^31 up are printed signed; sh with only flag-3 is saved as a bare -b.
        let a = try actions("""
            -A -f -1 -s rr
            -A -f -2147483648 -6 -s rr
            -A -t 192.0.2.10:80 -s sh -b
            -A -t 192.0.2.10:81 -s mh -b 
            """)
        #expect(a[0] == .change(.addService(Service(key: .fwmark(4_294_967_295, family: .inet), scheduler: "rr"))))
        #expect(a[1] == .change(.addService(Service(key: .fwmark(2_147_483_648, family: .inet6), scheduler: "rr"))))
        #expect(a[2] == .change(.addService(Service(key: tcp("192.0.2.10", 80), scheduler: "sh", flags: .schedulerFlag3))))
        #expect(a[3] == .change(.addService(Service(key: tcp("192.0.2.10", 81), scheduler: "mh", flags: .schedulerFlag3))))
        // And the save of that table is what ipvsadm writes (mark 4294967295 sorts first:
        // libipvs compares 0 - 4294967295 as an int).
        let table = try parse("-A -t 192.0.2.10:80 -s sh -b\n-A -f -1 -s rr\n").table()
        #expect(SaveFormat.render(table, numeric: true) == "-A -f -1 -s rr\n-A -t 192.0.2.10:80 -s sh -b \n")
    }

    @Test("names: hosts via the resolver (IPv4, and IPv6 in brackets), ports per protocol; fwmark real servers use tcp")
    func names() throws {
        let r = TableResolver(hosts: [v4("192.0.2.10"): "vip.example", IPAddress("2001:db8::20")!: "rs6.example"],
                              services: ["80/tcp": "http", "53/udp": "domain", "8080/tcp": "http-alt"])
        let a = try actions("""
            -A -t vip.example:http
            -A -u vip.example:domain
            -A -t [2001:db8::10]:http
            -a -t [2001:db8::10]:80 -r [rs6.example]:http -m
            -A -f 1
            -a -f 1 -r 192.0.2.30:http-alt -m
            """, resolver: r)
        #expect(a[0] == .change(.addService(Service(key: tcp("192.0.2.10", 80)))))
        #expect(a[1] == .change(.addService(Service(key: .address(.udp, v4("192.0.2.10"), port: 53)))))
        #expect(a[3] == .change(.addDestination(Destination(address: IPAddress("2001:db8::20")!, port: 80, forwarding: .masquerade),
                                        to: .address(.tcp, IPAddress("2001:db8::10")!, port: 80))))
        #expect(a[5] == .change(.addDestination(Destination(address: v4("192.0.2.30"), port: 8080, forwarding: .masquerade),
                                        to: .fwmark(1, family: .inet))))
        // Without a resolver, names are errors.
        #expect(throws: RulesError.self) { try parse("-A -t vip.example:80") }
    }

    @Test("comments, blank lines, CRLF, the mark section")
    func layout() throws {
        let f = try parse("# comment\r\n\r\n  \t \r\n-A -t 192.0.2.10:80\r\n# swiftvs-mark  two  spaces \r\n# swiftvs-mark\n#swiftvs-mark not one\n")
        #expect(f.commands.count == 1)
        #expect(f.commands[0].location == SourceLocation(file: "rules", line: 4, column: 1))
        #expect(f.marks == [
            MarkLine(location: SourceLocation(file: "rules", line: 5, column: 16), text: " two  spaces "),
            MarkLine(location: SourceLocation(file: "rules", line: 6, column: 16), text: ""),
        ])
    }

    @Test("the table a file builds, from empty or from a base")
    func table() throws {
        let f = try parse("""
            -A -t 192.0.2.10:80
            -a -t 192.0.2.10:80 -r 192.0.2.20
            -a -t 192.0.2.10:80 -r 192.0.2.21
            -A -t 192.0.2.11:80
            -d -t 192.0.2.10:80 -r 192.0.2.20
            -E -t 192.0.2.11:80 -s rr
            """)
        let t = try f.table()
        #expect(t.map(\.service) == [Service(key: tcp("192.0.2.10", 80)), Service(key: tcp("192.0.2.11", 80), scheduler: "rr")])
        #expect(t[0].destinations.map(\.destination.address) == [v4("192.0.2.21")])
        // Deleted services leave the order; one added again goes last.
        let d = try parse("""
            -A -t 192.0.2.10:80
            -A -t 192.0.2.11:80
            -a -t 192.0.2.11:80 -r 192.0.2.21
            -A -t 192.0.2.12:80
            -D -t 192.0.2.11:80
            -A -t 192.0.2.11:80 -s rr
            -D -t 192.0.2.10:80
            -a -t 192.0.2.12:80 -r 192.0.2.22
            """)
        let td = try d.table()
        #expect(td.map(\.service) == [Service(key: tcp("192.0.2.12", 80)), Service(key: tcp("192.0.2.11", 80), scheduler: "rr")])
        #expect(td.map(\.destinations.count) == [1, 0])
        #expect(try RulesFile.parseWithTable("-A -t 192.0.2.10:80\n-D -t 192.0.2.10:80\n-C\n-A -f 1", fileName: "f", resolver: numeric)
                    .table?.map(\.service.key) == [.fwmark(1, family: .inet)])
        // An incremental file checked against the current table.
        var base = ServiceEntry(service: Service(key: tcp("192.0.2.12", 80)))
        base.stats.connections = 7
        let inc = try parse("-a -t 192.0.2.12:80 -r 192.0.2.22", startingFrom: [base])
        let t2 = try inc.table(startingFrom: [base])
        #expect(t2.count == 1 && t2[0].stats.connections == 7 && t2[0].destinations.count == 1)
        #expect(throws: RulesError.self) { try inc.table() }
        // What comes from the current table is said to be there.
        var based = base
        based.destinations = [DestinationEntry(destination: Destination(address: v4("192.0.2.22"), port: 80))]
        do {
            _ = try RulesFile.parse("-a -t 192.0.2.12:80 -r 192.0.2.22 -w 1\n-A -t 192.0.2.12:80 -s rr\n-a -t 192.0.2.12:80 -r 192.0.2.23\n-a -t 192.0.2.12:80 -r 192.0.2.23",
                                    fileName: "f", resolver: numeric, startingFrom: [based])
            Issue.record("no error")
        } catch {
            #expect(error.diagnostics.map(\.message) == [
                "real server 192.0.2.22:80 is already in service TCP 192.0.2.12:80 in the current table",
                "service TCP 192.0.2.12:80 is already defined in the current table",
                "real server 192.0.2.23:80 is already in service TCP 192.0.2.12:80 on line 3",
            ])
        }
        // nil skips the checks across lines.
        #expect(try parse("-D -t 192.0.2.12:80", startingFrom: nil).commands.count == 1)
    }

    @Test("a diagnostic renders as FILE:LINE:COLUMN: error: MESSAGE and a hint")
    func rendering() {
        do {
            _ = try RulesFile.parse("-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -w 70000\n-A -t 192.0.2.11:80 -x 1\n",
                                    fileName: "/etc/swiftvs/rules", resolver: numeric)
            Issue.record("no error")
        } catch {
            #expect(error.description == """
                /etc/swiftvs/rules:2:38: error: weight 70000 is out of range
                    hint: a weight is 0 to 65535 (0 quiesces the real server)
                /etc/swiftvs/rules:3:21: error: option -x cannot be used with -A (add-service)
                    hint: -A takes a service and -s, -p, -M, -o, --pe, -b
                """)
            #expect(error.diagnostics.map(\.token) == ["70000", "-x"])
        }
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var name: String
        var text: String
        /// (line, column, token, a piece of the message)
        var expected: [(Int, Int, String, String)]
        var testDescription: String { name }
    }

    static let bad: [Bad] = [
        Bad(name: "port above 65535", text: "-A -t 192.0.2.10:70000",
            expected: [(1, 18, "70000", "port 70000 is out of range")]),
        Bad(name: "IPv6 port above 65535", text: "-A -t [2001:db8::1]:65536",
            expected: [(1, 21, "65536", "port 65536 is out of range")]),
        Bad(name: "bad IPv4 address", text: "-A -t 192.0.2.300:80",
            expected: [(1, 7, "192.0.2.300:80", "invalid virtual service address")]),
        Bad(name: "bad IPv6 address", text: "-A -t [2001:db8::x]:80",
            expected: [(1, 7, "[2001:db8::x]:80", "unknown IPv6 host '2001:db8::x'")]),
        Bad(name: "brackets without port", text: "-A -t [2001:db8::1]",
            expected: [(1, 7, "[2001:db8::1]", "a bracketed address needs :PORT")]),
        Bad(name: "bare number as address", text: "-A -t 80",
            expected: [(1, 7, "80", "invalid virtual service address '80'")]),
        Bad(name: "unknown service name", text: "-A -u 192.0.2.10:nope",
            expected: [(1, 18, "nope", "unknown port or service name 'nope' for udp")]),
        Bad(name: "bad real server address", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.256",
            expected: [(2, 24, "192.0.2.256", "invalid real server address")]),
        Bad(name: "weight above 65535", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -w 65536",
            expected: [(2, 38, "65536", "weight 65536 is out of range")]),
        Bad(name: "negative weight", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -w -1",
            expected: [(2, 38, "-1", "weight -1 is out of range")]),
        Bad(name: "weight in a bundle", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -mw5x",
            expected: [(2, 38, "5x", "invalid weight '5x'")]),
        Bad(name: "weight after =", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 --weight=abc",
            expected: [(2, 44, "abc", "invalid weight 'abc'")]),
        Bad(name: "threshold out of range", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -x 2147483648",
            expected: [(2, 38, "2147483648", "invalid upper connection threshold")]),
        Bad(name: "lower threshold above upper", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -x 10 -y 20",
            expected: [(2, 44, "20", "lower threshold 20 is above the upper threshold 10")]),
        Bad(name: "unknown long option", text: "-A -t 192.0.2.10:80 --sched rr",
            expected: [(1, 21, "--sched", "unknown option --sched"), (1, 29, "rr", "unexpected argument 'rr'")]),
        Bad(name: "unknown short option", text: "-A -t 192.0.2.10:80 -q",
            expected: [(1, 21, "-q", "unknown option -q")]),
        Bad(name: "missing argument", text: "-A -t",
            expected: [(1, 1, "-A", "needs a virtual service"), (1, 4, "-t", "option -t needs a value")]),
        Bad(name: "missing real server", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -m",
            expected: [(2, 1, "-a", "-a (add-server) needs a real server")]),
        Bad(name: "option not for the command", text: "-A -t 192.0.2.10:80 -w 5",
            expected: [(1, 21, "-w", "option -w cannot be used with -A (add-service)")]),
        Bad(name: "option given twice", text: "-A -t 192.0.2.10:80 -s rr -s wrr",
            expected: [(1, 27, "-s", "option -s is given twice")]),
        Bad(name: "two services", text: "-A -t 192.0.2.10:80 -f 5",
            expected: [(1, 21, "-f", "option -f conflicts with -t (column 4)")]),
        Bad(name: "two forwarding methods", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -m -g",
            expected: [(2, 38, "-g", "option -g conflicts with -m")]),
        Bad(name: "two commands", text: "-A -a -t 192.0.2.10:80",
            expected: [(1, 4, "-a", "more than one command on a line")]),
        Bad(name: "no command", text: "-t 192.0.2.10:80 -A",
            expected: [(1, 1, "-t", "a line must start with a command, not -t")]),
        Bad(name: "a word instead of a command", text: "add -t 192.0.2.10:80",
            expected: [(1, 1, "add", "expected a command, found 'add'")]),
        Bad(name: "listing in a rules file", text: "-L -n",
            expected: [(1, 1, "-L", "-L (list) cannot be used in a rules file")]),
        Bad(name: "zero port without persistence", text: "-A -t 192.0.2.10:0",
            expected: [(1, 7, "192.0.2.10:0", "port 0 is only allowed for a persistent service")]),
        Bad(name: "service without port", text: "-A -t 192.0.2.10",
            expected: [(1, 7, "192.0.2.10", "port 0 is only allowed for a persistent service")]),
        Bad(name: "one-packet on TCP", text: "-A -t 192.0.2.10:80 -o",
            expected: [(1, 21, "-o", "one-packet scheduling (-o) is only for UDP and firewall-mark services")]),
        Bad(name: "fwmark 0", text: "-A -f 0",
            expected: [(1, 7, "0", "invalid firewall mark '0'")]),
        Bad(name: "fwmark too big", text: "-A -f 4294967296",
            expected: [(1, 7, "4294967296", "invalid firewall mark")]),
        Bad(name: "-6 before -f", text: "-A -6 -f 5",
            expected: [(1, 4, "-6", "-6 used before -f")]),
        Bad(name: "-6 with an address service", text: "-A -t 192.0.2.10:80 -6",
            expected: [(1, 21, "-6", "-6 used before -f")]),
        Bad(name: "IPv6 netmask 129", text: "-A -t [2001:db8::10]:80 -p -M 129",
            expected: [(1, 31, "129", "invalid IPv6 persistence netmask '129'")]),
        Bad(name: "IPv6 netmask 0", text: "-A -f 5 -6 -p -M 0",
            expected: [(1, 18, "0", "invalid IPv6 persistence netmask '0'")]),
        Bad(name: "bad IPv4 netmask", text: "-A -t 192.0.2.10:80 -p -M 255.255.255.256",
            expected: [(1, 27, "255.255.255.256", "invalid IPv4 persistence netmask")]),
        Bad(name: "persistence timeout 0", text: "-A -t 192.0.2.10:80 -p 0",
            expected: [(1, 24, "0", "invalid persistence timeout '0'")]),
        Bad(name: "persistence timeout beyond 31 days", text: "-A -t 192.0.2.10:80 --persistent=2678401",
            expected: [(1, 34, "2678401", "invalid persistence timeout")]),
        Bad(name: "scheduler name too long", text: "-A -t 192.0.2.10:80 -s verylongschedulername",
            expected: [(1, 24, "verylongschedulername", "longer than 15 characters")]),
        Bad(name: "sh flag with another scheduler", text: "-A -t 192.0.2.10:80 -s rr -b flag-1,sh-port",
            expected: [(1, 37, "sh-port", "scheduler flag 'sh-port' is for the sh scheduler, not rr")]),
        Bad(name: "sh flag with the default scheduler", text: "-A -t 192.0.2.10:80 -b mh-port",
            expected: [(1, 24, "mh-port", "not wlc")]),
        Bad(name: "unknown scheduler flag", text: "-A -t 192.0.2.10:80 -s sh -b sh-fallback,nope",
            expected: [(1, 42, "nope", "unknown scheduler flag 'nope'")]),
        Bad(name: "bare -b for another scheduler", text: "-A -t 192.0.2.10:80 -s rr -b",
            expected: [(1, 27, "-b", "option -b needs a value")]),
        Bad(name: "unknown tunnel type", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-type vxlan",
            expected: [(2, 49, "vxlan", "unknown tunnel type 'vxlan'")]),
        Bad(name: "gue without port", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-type gue",
            expected: [(2, 49, "gue", "a gue tunnel needs --tun-port")]),
        Bad(name: "tunnel port 0", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-type gue --tun-port 0",
            expected: [(2, 64, "0", "invalid tunnel port '0'")]),
        Bad(name: "tunnel port with ipip", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-port 5",
            expected: [(2, 38, "--tun-port", "not used by the ipip tunnel type")]),
        Bad(name: "remote checksum with gre", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-type gre --tun-remcsum",
            expected: [(2, 53, "--tun-remcsum", "not used by the gre tunnel type")]),
        Bad(name: "two checksum modes", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -i --tun-type gue --tun-port 1 --tun-csum --tun-nocsum",
            expected: [(2, 77, "--tun-nocsum", "conflicts with --tun-csum")]),
        Bad(name: "tunnel option without -i", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20 -m --tun-type gre",
            expected: [(2, 38, "--tun-type", "tunnel option --tun-type needs tunnelling (-i)")]),
        Bad(name: "mixed families without tunnelling", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 2001:db8::20 -m",
            expected: [(2, 24, "2001:db8::20", "an IPv4 service takes an IPv6 real server only with tunnelling")]),
        Bad(name: "zero real server address", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 0.0.0.0 -m",
            expected: [(2, 24, "0.0.0.0", "0.0.0.0 is not a usable real server address")]),
        Bad(name: "real server before its service", text: "-a -t 192.0.2.10:80 -r 192.0.2.20\n-A -t 192.0.2.10:80",
            expected: [(1, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is not defined yet (it is added on line 2)")]),
        Bad(name: "real server of an undefined service", text: "-a -t 192.0.2.10:80 -r 192.0.2.20",
            expected: [(1, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is not defined")]),
        Bad(name: "service defined twice", text: "-A -t 192.0.2.10:80\n\n-A -t 192.0.2.10:80 -s rr",
            expected: [(3, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is already defined on line 1")]),
        Bad(name: "real server defined twice", text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20\n-a -t 192.0.2.10:80 -r 192.0.2.20:80 -m",
            expected: [(3, 24, "192.0.2.20:80", "real server 192.0.2.20:80 is already in service TCP 192.0.2.10:80 on line 2")]),
        // The same in ipvsadm-save's own shape (CanonicalLine's lines, whose tokens are found
        // again only for the report), with CRLF line ends.
        Bad(name: "saved form: real server before its service", text: "-a -f 80 -r 192.0.2.20:0 -g -w 1\r\n-A -f 80 -s lc\r\n",
            expected: [(1, 7, "80", "service FWM 80 is not defined yet (it is added on line 2)")]),
        Bad(name: "saved form: service defined twice", text: "-A -t 192.0.2.10:80 -s wlc\r\n-A -t 192.0.2.10:80 -s rr",
            expected: [(2, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is already defined on line 1")]),
        Bad(name: "saved form: real server defined twice",
            text: "-A -t 192.0.2.10:80 -s wlc\n-a -t 192.0.2.10:80 -r 198.51.100.20:80 -g -w 1\n-a -t 192.0.2.10:80 -r 198.51.100.20:80 -m -w 2",
            expected: [(3, 24, "198.51.100.20:80", "real server 198.51.100.20:80 is already in service TCP 192.0.2.10:80 on line 2")]),
        // Where the first definition is: found by replaying the file when the first error
        // needs it, then followed line by line (a refused add defines nothing).
        Bad(name: "real server added, deleted, added again, then once more",
            text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20\n-d -t 192.0.2.10:80 -r 192.0.2.20\n-a -t 192.0.2.10:80 -r 192.0.2.20\n-a -t 192.0.2.10:80 -r 192.0.2.20 -m",
            expected: [(5, 24, "192.0.2.20", "real server 192.0.2.20:80 is already in service TCP 192.0.2.10:80 on line 4")]),
        Bad(name: "real server three times",
            text: "-A -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20\n-a -t 192.0.2.10:80 -r 192.0.2.20\n-a -t 192.0.2.10:80 -r 192.0.2.20",
            expected: [(3, 24, "192.0.2.20", "real server 192.0.2.20:80 is already in service TCP 192.0.2.10:80 on line 2"),
                       (4, 24, "192.0.2.20", "real server 192.0.2.20:80 is already in service TCP 192.0.2.10:80 on line 2")]),
        Bad(name: "service deleted, defined again, then twice",
            text: "-A -t 192.0.2.10:80\n-D -t 192.0.2.10:80\n-A -t 192.0.2.10:80 -s rr\n-A -t 192.0.2.10:80 -s rr\n-A -t 192.0.2.10:80",
            expected: [(4, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is already defined on line 3"),
                       (5, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is already defined on line 3")]),
        Bad(name: "after a flush, only what follows counts",
            text: "-A -f 1 -s lc\n-a -f 1 -r 192.0.2.20:0 -g -w 1\n-C\n-A -f 1 -s lc\n-a -f 1 -r 192.0.2.20:0 -g -w 1\n-a -f 1 -r 192.0.2.20:0 -g -w 2\n-A -f 1 -s rr",
            expected: [(6, 12, "192.0.2.20:0", "real server 192.0.2.20:0 is already in service FWM 1 on line 5"),
                       (7, 7, "1", "service FWM 1 is already defined on line 4")]),
        Bad(name: "editing a missing real server", text: "-A -t 192.0.2.10:80\n-e -t 192.0.2.10:80 -r 192.0.2.20",
            expected: [(2, 24, "192.0.2.20", "real server 192.0.2.20:80 is not in service TCP 192.0.2.10:80")]),
        Bad(name: "deleting a missing service", text: "-D -u 192.0.2.10:53",
            expected: [(1, 7, "192.0.2.10:53", "service UDP 192.0.2.10:53 is not defined")]),
        Bad(name: "a service deleted, then used", text: "-A -t 192.0.2.10:80\n-D -t 192.0.2.10:80\n-a -t 192.0.2.10:80 -r 192.0.2.20",
            expected: [(3, 7, "192.0.2.10:80", "service TCP 192.0.2.10:80 is not defined")]),
        Bad(name: "--set with two values", text: "--set 10 20",
            expected: [(1, 1, "--set", "--set needs 3 timeout values")]),
        Bad(name: "--set with a bad value", text: "--set 10 x 30",
            expected: [(1, 10, "x", "invalid timeout 'x'")]),
        Bad(name: "bad daemon role", text: "--start-daemon primary",
            expected: [(1, 16, "primary", "invalid sync daemon role 'primary'")]),
        Bad(name: "unicast sync group", text: "--start-daemon master --mcast-group 192.0.2.1",
            expected: [(1, 37, "192.0.2.1", "invalid multicast group")]),
        Bad(name: "trailing comment", text: "-A -t 192.0.2.10:80 # web",
            expected: [(1, 21, "#", "unexpected argument '#'"), (1, 23, "web", "unexpected argument 'web'")]),
        Bad(name: "indented comment", text: "  # not for ipvsadm-restore",
            expected: [(1, 3, "#", "a comment must start in column 1")]),
        Bad(name: "stray word", text: "-A -t 192.0.2.10:80 rr",
            expected: [(1, 21, "rr", "unexpected argument 'rr'")]),
        Bad(name: "an option after --", text: "-A -t 192.0.2.10:80 -- -s rr",
            expected: [(1, 24, "-s", "unexpected argument '-s'"), (1, 27, "rr", "unexpected argument 'rr'")]),
        Bad(name: "a value given to a flag", text: "-A -t 192.0.2.10:80 --ops=1",
            expected: [(1, 21, "--ops=1", "option --ops takes no value")]),
        Bad(name: "every error of a file, in order", text: """
            -A -t 192.0.2.10:80 -s rr
            -a -t 192.0.2.10:80 -r 192.0.2.20 -w 100000
            -A -t 192.0.2.11:99999
            -a -t 192.0.2.11:80 -r 192.0.2.21
            -a -t 192.0.2.12:80 -r 192.0.2.22
            -A -f 0
            """,
            expected: [(2, 38, "100000", "weight 100000 is out of range"),
                       (3, 18, "99999", "port 99999 is out of range"),
                       (4, 7, "192.0.2.11:80", "service TCP 192.0.2.11:80 is not defined"),
                       (5, 7, "192.0.2.12:80", "service TCP 192.0.2.12:80 is not defined"),
                       (6, 7, "0", "invalid firewall mark")]),
        Bad(name: "a broken -A line does not make its -a lines fail too", text: "-A -t 192.0.2.10:80 -s rr -w 1\n-a -t 192.0.2.10:80 -r 192.0.2.20",
            expected: [(1, 27, "-w", "option -w cannot be used with -A")]),
    ]

    @Test("every malformed input names its line and column", arguments: bad)
    func malformed(_ c: Bad) {
        do {
            let f = try parse(c.text)
            Issue.record("\(c.name): accepted: \(f.commands.map(\.action))")
        } catch {
            let got = error.diagnostics
            #expect(got.count == c.expected.count, "\(c.name): \(error)")
            for (d, e) in zip(got, c.expected) {
                #expect(d.location.file == "rules")
                #expect(d.location.line == e.0 && d.location.column == e.1 && d.token == e.2, "\(c.name): at \(d.location.line):\(d.location.column) '\(d.token)', expected \(e.0):\(e.1) '\(e.2)'")
                #expect(d.message.contains(e.3), "\(c.name): message '\(d.message)'")
                #expect(d.hint?.isEmpty == false)
            }
        }
    }

    /// A file given as bytes reads as the same file given as a String (invalid UTF-8
    /// repaired the same way, line by line), diagnostics and re-read tokens included.
    @Test func bytesAndTextAgree() throws {
        let bytes: [UInt8] = Array("-A -t 192.0.2.10:80 -s rr\r\n# caf".utf8) + [0xC3] + Array("\n-a -t 192.0.2.10:80 -r 192.0.2.20 ".utf8)
            + [0xFF] + Array("\n-A -f 7 -s lc\n-a -f 7 -r 192.0.2.21:0 -g -w 1\n-a -f 7 -r 192.0.2.21:0 -g -w 2\r\n".utf8)
        func outcome(_ body: () throws(RulesError) -> (file: RulesFile, table: [ServiceEntry]?)) -> [Diagnostic] {
            do throws(RulesError) { _ = try body(); return [] } catch { return error.diagnostics }
        }
        let fromBytes = outcome { () throws(RulesError) in try RulesFile.parseWithTable(utf8: bytes, fileName: "f", resolver: numeric) }
        let fromText = outcome { () throws(RulesError) in
            try RulesFile.parseWithTable(String(decoding: bytes, as: UTF8.self), fileName: "f", resolver: numeric)
        }
        #expect(fromBytes == fromText)
        #expect(fromBytes.map(\.location.line) == [3, 6])
        #expect(fromBytes.map(\.token) == ["\u{FFFD}", "192.0.2.21:0"])
        let clean = Array("-A -f 7 -s lc\n-a -f 7 -r 192.0.2.21:0 -g -w 1\n".utf8)
        #expect(try RulesFile.parseWithTable(utf8: clean, fileName: "f", resolver: numeric).table
                == RulesFile.parseWithTable(String(decoding: clean, as: UTF8.self), fileName: "f", resolver: numeric).table)
    }

    /// A saved table restored twice in one file: every line of the second copy is an error
    /// on a line the fast path read, and each names its token (read again from the file).
    @Test func aTableGivenTwiceReportsEveryLineOfTheSecondCopy() {
        var lines: [String] = []
        for i in 0..<1000 {
            lines.append("-A -f \(i + 1) -s rr")
            lines.append("-a -f \(i + 1) -r 192.0.2.\(10 + i % 200):0 -g -w 1")
        }
        do {
            let f = try parse((lines + lines).joined(separator: "\r\n") + "\r\n")
            Issue.record("accepted: \(f.commands.count) commands")
        } catch {
            let got = error.diagnostics
            #expect(got.count == 2000)
            guard let first = got.first, let last = got.last else { return }
            #expect(first.location.line == 2001 && first.location.column == 7 && first.token == "1")
            #expect(first.message.contains("already defined on line 1"))
            #expect(last.location.line == 4000 && last.location.column == 15 && last.token == "192.0.2.209:0")
            #expect(last.message.contains("already in service FWM 1000 on line 2000"))
        }
    }
}

