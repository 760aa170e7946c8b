import Testing

extension Kernel {
    /// `swiftvs list` of one service (or the table) by its two routes: written plainly it
    /// takes QuickCommand's route; the same options with `--option=value` are declined there
    /// (Tests/SwiftVSTests/QuickListTests) and go through ArgumentParser. Both must print the
    /// same bytes, to standard output and standard error, with the same exit status, and what
    /// succeeds must be what `ipvsadm -L` prints.
    @Suite("swiftvs list: quick route and ArgumentParser")
    struct ListRouteKernelTests {
        /// The same options for ArgumentParser: every valued option joined to its value with `=`.
        static func argumentParserForm(_ line: [String]) -> [String] {
            let long = ["-t": "--tcp-service", "-u": "--udp-service", "-f": "--fwmark-service",
                        "--sctp-service": "--sctp-service", "--netns": "--netns", "--tcp-service": "--tcp-service",
                        "--fwmark-service": "--fwmark-service"]
            var out: [String] = []
            var i = 0
            while i < line.count {
                if let name = long[line[i]], i + 1 < line.count {
                    out.append("\(name)=\(line[i + 1])")
                    i += 2
                } else {
                    out.append(line[i])
                    i += 1
                }
            }
            return out
        }

        /// Lines that succeed (and ipvsadm -L takes the same words), then lines that fail.
        static let listed: [[String]] = [
            ["-n", "-t", "192.0.2.100:80"], ["-t", "192.0.2.100:80"], ["-n", "-f", "80"], ["-n", "-f", "6", "-6"],
            ["-n", "-u", "[2001:db8::100]:53"], ["-n", "--sctp-service", "192.0.2.100:9000"],
            ["-n", "--stats", "--exact", "-t", "192.0.2.100:80"], ["-n", "--thresholds", "-f", "80"],
            ["-n", "--persistent-conn", "-t", "192.0.2.100:80"], ["-n", "--rate", "--fwmark-service", "80"],
            ["-n", "--tun-info", "--tcp-service", "192.0.2.100:80"], ["-n", "--nosort", "-t", "192.0.2.100:80"],
        ]
        static let failing: [[String]] = [
            ["-n", "-t", "192.0.2.100:81"], ["-n", "-f", "81"], ["-n", "-t", "192.0.2.300:80"], ["-n", "-f", "0"],
            ["-n", "-t", "192.0.2.100"], ["-n", "-u", "[2001:db8::100]:99999"], ["-n", "-t", "192.0.2.100:80", "--netns", "ip3-none"],
            ["-n", "--json", "-f", "81"],
        ]

        @Test func bothRoutesPrintTheSameBytes() throws {
            _ = try freshTable()
            try sh("""
                ipvsadm -A -t 192.0.2.100:80 -s rr -p 600
                ipvsadm -a -t 192.0.2.100:80 -r 192.0.2.11 -g -w 2
                ipvsadm -a -t 192.0.2.100:80 -r 192.0.2.12 -g -w 3 -x 100 -y 10
                ipvsadm -A -f 80 -s wlc
                ipvsadm -a -f 80 -r 192.0.2.13 -g -w 1
                ipvsadm -A -f 6 -6 -s lc
                ipvsadm -a -f 6 -6 -r 2001:db8::11 -g
                ipvsadm -A -u [2001:db8::100]:53 -s wrr
                ipvsadm -a -u [2001:db8::100]:53 -r [2001:db8::12]:53 -m -w 4
                ipvsadm -A --sctp-service 192.0.2.100:9000 -s sh
                ipvsadm -a --sctp-service 192.0.2.100:9000 -r 192.0.2.14 -g
                """)
            for line in Self.listed + Self.failing + [["-n", "--json", "-t", "192.0.2.100:80"]] {
                let other = Self.argumentParserForm(line)
                #expect(other != line, "\(line) has no ArgumentParser form")
                let quick = try swiftvs(["list"] + line)
                let parsed = try swiftvs(["list"] + other)
                #expect(quick.status == parsed.status, "list \(line): \(quick.status) vs \(parsed.status)")
                #expect(quick.stdout == parsed.stdout, "list \(line)")
                #expect(quick.stderr == parsed.stderr, "list \(line)")
            }
            for line in Self.listed {
                let quick = try swiftvs(["list"] + line)
                let theirs = try run(["/usr/sbin/ipvsadm", "-L"] + line)
                #expect(quick.status == 0, "list \(line): \(quick.stderr)")
                #expect(quick.stdout == theirs.stdout, "list \(line)")
            }
            for line in Self.failing {
                let quick = try swiftvs(["list"] + line)
                #expect(quick.status != 0 && quick.stdout.isEmpty && !quick.stderr.isEmpty, "list \(line): \(quick)")
            }
        }
    }
}
