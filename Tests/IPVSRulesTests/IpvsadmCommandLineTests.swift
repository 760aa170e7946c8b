import Testing
import IPVS
@testable import IPVSRules

/// ipvsadm's command line on the host (no kernel): the messages and statuses below are what
/// Debian's ipvsadm 1.31 printed for the same words in the test VM (the full comparison is
/// Tests/KernelTests/IpvsadmDifferentialKernelTests.swift).
@Suite struct IpvsadmCommandLineTests {
    func parse(_ line: String) -> Result<IpvsadmRequest, IpvsadmFailure> {
        IpvsadmCommandLine.parse(line.split(separator: " ").map(String.init), program: "ipvsadm", resolver: NumericResolver())
    }

    func failure(_ line: String) -> IpvsadmFailure? {
        if case let .failure(f) = parse(line) { return f }
        return nil
    }

    @Test(arguments: [
        ("-q", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", 255),
        ("foo", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", 255),
        ("-Lq", "-Lq: unknown option\n", 255),
        ("-L -q", "-q: unknown option\n", 255),
        ("-A -t", "-t: missing argument\n", 255),
        ("-A -t 192.0.2.5:80 -q", "-q: unknown option\n", 255),
        ("-A -t bad:80 -q", "illegal virtual server address[:port] specified\n", 2),
        ("-A -L", "invalid option `-L'\n", 2),
        ("-AL", "invalid option `-AL'\n", 2),
        ("-Ln=x", "-Ln=x: option does not take an argument\n", 255),
        ("-L --numeric=x", "--numeric=x: option does not take an argument\n", 255),
        ("-list", "Illegal 'scheduler' option with the 'list' command\n", 2),
        ("-A -f -1x", "invalid fwmark value `-1x' specified\n", 2),
        ("--start-daemon foo", "illegal start-daemon parameter specified\n", 2),
        ("--stop-daemon foo", "illegal start_daemon specified\n", 2),
        ("--set 1 2", "--set option requires 3 timeout values\n", 2),
        ("--set 1 2 3 4", "unexpected argument 4\n", 2),
        ("-- -L", "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", 255),
        ("-L -- foo", "unexpected argument foo\n", 2),
        ("-a -t [2001:db8::5]:80 -r 192.0.2.9", "Different address family is allowed only for tunneling servers\n", 2),
        ("-a -f 5 -r 192.0.2.9 --tun-type gue", "Tunnel options conflict with forward method\n", 2),
        ("-a -f 5 -r 192.0.2.9 -i --tun-type gue", "You need to supply the 'tun-port' option for the 'gue' tunnel type\n", 2),
        ("-a -f 5 -r 192.0.2.9 -i --tun-type gre --tun-port 5", "Illegal 'tun-port' option with the 'gre' tunnel type\n", 2),
        ("-a -f 5 -r 192.0.2.9 -i --tun-type gue --tun-port 5 --tun-csum --tun-nocsum",
         "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type\n", 2),
        ("-L -c --stats", "options conflicts in the list command\n", 2),
        ("-A -t 192.0.2.5:0", "Zero port specified for non-persistent service\n", 2),
        ("-C -n", "Illegal 'numeric' option with the 'flush' command\n", 2),
        ("-a -t 192.0.2.5:80", "You need to supply the 'real-server' option for the 'add-server' command\n", 2),
        ("-A -t 192.0.2.5:80 -s rr -s wrr", "multiple 'scheduler' options specified\n", 2),
        ("-A -6 -f 5", "-6 used before -f\n\n", 2),
    ] as [(String, String, Int32)])
    func refusedAsIpvsadmRefusesIt(_ line: String, _ message: String, _ status: Int32) {
        let f = failure(line)
        #expect(f?.message == message, "\(line)")
        #expect(f?.status == status, "\(line)")
    }

    @Test func popErrorsEndOnlyTheLine() {
        #expect(failure("-L -q")?.exits == false)
        #expect(failure("-q")?.exits == true)
        #expect(failure("-A -t bad:80")?.exits == true)
    }

    @Test func acceptedCommandLines() throws {
        #expect(try parse("-Lnc").get() == .listConnections(numeric: true, persistentConnections: false))
        #expect(try parse("-lcn").get() == .listConnections(numeric: true, persistentConnections: false))
        #expect(try parse("-Ln --stats").get() == .listTable(ListOptions(numeric: true, stats: true)))
        #expect(try parse("-S -n").get() == .save(numeric: true))
        #expect(try parse("-h").get() == .help)
        #expect(try parse("-R").get() == .restore)
        let key = ServiceKey.address(.tcp, IPAddress("192.0.2.5")!, port: 80)
        #expect(try parse("-A -t 192.0.2.5:80 -s rr -p").get()
                    == .action(.change(.addService(Service(key: key, scheduler: "rr", flags: .persistent, timeout: 360)))))
        // -s '' is the default scheduler; -w5 is clustered; -r without a port takes the service's.
        #expect(try parse("-a -t 192.0.2.5:80 -r 192.0.2.9 -mw5").get()
                    == .action(.change(.addDestination(Destination(address: IPAddress("192.0.2.9")!, port: 80, forwarding: .masquerade, weight: 5),
                                                      to: key))))
        #expect(IpvsadmCommandLine.parse(["-R"], program: "ipvsadm", readingStdin: true)
                    == .failure(IpvsadmFailure(message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", status: 255, exits: true)))
    }

    @Test func restoreInputAsIpvsadmCutsIt() {
        let text = "ipvsadm -A -t 192.0.2.5:80\n  -A\t-t 192.0.2.6:80 \r\n\n# not a comment\n-C"
        #expect(IpvsadmConfigStream.lines(Array(text.utf8)) == [
            ["-A", "-t", "192.0.2.5:80"], ["-A", "-t", "192.0.2.6:80"], [], ["#", "not", "a", "comment"], ["-C"],
        ])
    }

    @Test func usageNamesTheProgram() {
        let usage = IpvsadmUsage.usage(program: "/sbin/ipvsadm")
        #expect(usage.hasPrefix(IpvsadmUsage.version + "Usage:\n  /sbin/ipvsadm -A|E virtual-service"))
        #expect(usage.hasSuffix("  --mcast-ttl ttl                     Multicast TTL (default=1)\n"))
    }
}
