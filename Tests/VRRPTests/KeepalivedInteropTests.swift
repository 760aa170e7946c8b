import Foundation
import NetworkModel
import Testing
@testable import VRRP

/// Adverts built by our encoder, sent from one network namespace to Debian's keepalived 2.2.7
/// running as BACKUP in another: keepalived must take them as a higher-priority master's (it
/// stays BACKUP past its Master_Down_Interval and logs no rejection). The negative controls
/// (v3 without the IPv4 pseudo-header, a wrong password) must make it log the reason and take
/// over. Needs root, keepalived, python3 (the raw-socket sender) and iproute2.
@Suite(.enabled(if: InteropEnvironment.available, InteropEnvironment.reason))
struct KeepalivedInteropTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var instance: String            // keepalived.conf lines inside vrrp_instance
        var family: AddressFamily
        var packet: VRRPPacket
        var coverage: ChecksumCoverage
        var destination: IPAddress
        var window: Duration            // keepalived's MDI plus margin
        var accepted: Bool
        var logLine: String?            // what keepalived must log when it rejects
        var testDescription: String { name }
    }

    static let us = IPAddress("198.51.100.12")!
    static let ka = IPAddress("198.51.100.11")!
    static let usLinkLocal = IPAddress("fe80::ff:fe00:12")!

    static func v4(_ name: String, version: VRRPVersion, vrid: UInt8, interval: Duration, unicast: Bool,
                   auth: VRRPAuthentication = .none, sentAuth: VRRPAuthentication? = nil, vips: [String],
                   omitPseudo: Bool = false, accepted: Bool = true, logLine: String? = nil) -> Case {
        var lines = ["interface eth0", "virtual_router_id \(vrid)", "priority 100", "version \(version.rawValue)",
                     "advert_int \(Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18)",
                     "virtual_ipaddress {\n\(vips.map { "        \($0)/24" }.joined(separator: "\n"))\n    }"]
        if unicast { lines += ["unicast_src_ip \(ka)", "unicast_peer {\n        \(us)\n    }"] }
        if case let .password(p) = auth {
            lines.append("authentication {\n        auth_type PASS\n        auth_pass \(String(decoding: p, as: UTF8.self))\n    }")
        }
        let dst = unicast ? ka : AdvertExpectation.multicastGroupIPv4
        let packet = VRRPPacket.advertisement(version: version, vrid: vrid, priority: 200, advertInterval: interval,
                                              authentication: sentAuth ?? auth, addresses: vips.map { IPAddress($0)! })
        let mdi = VRRPTimers.masterDownInterval(priority: 100, advertInterval: interval, version: version)
        return Case(name: name, instance: lines.joined(separator: "\n    "), family: .inet, packet: packet,
                    coverage: .standard(version: version, source: us, destination: dst, omitIPv4PseudoHeader: omitPseudo),
                    destination: dst, window: mdi + .milliseconds(1500), accepted: accepted, logLine: logLine)
    }

    static let cases: [Case] = [
        v4("v2 PASS unicast", version: .v2, vrid: 51, interval: .seconds(1), unicast: true,
           auth: .password(Array("s3cret-longer".utf8)), vips: ["198.51.100.39"]),
        v4("v2 multicast", version: .v2, vrid: 52, interval: .seconds(1), unicast: false,
           vips: ["198.51.100.40", "198.51.100.41"]),
        v4("v3 IPv4 multicast", version: .v3, vrid: 53, interval: .milliseconds(500), unicast: false,
           vips: ["198.51.100.42"]),
        v4("v3 IPv4 unicast", version: .v3, vrid: 54, interval: .seconds(1), unicast: true,
           vips: ["198.51.100.43", "198.51.100.44"]),
        {
            let vips = [IPAddress("fe80::55")!, IPAddress("2001:db8:1::39")!]
            let packet = VRRPPacket.advertisement(version: .v3, vrid: 55, priority: 200, advertInterval: .seconds(1),
                                                  addresses: vips)
            return Case(name: "v3 IPv6 multicast",
                        instance: "interface eth0\n    virtual_router_id 55\n    priority 100\n    version 3\n    advert_int 1\n    virtual_ipaddress {\n        fe80::55/64\n        2001:db8:1::39/64\n    }",
                        family: .inet6, packet: packet,
                        coverage: .ipv6PseudoHeader(source: usLinkLocal, destination: AdvertExpectation.multicastGroupIPv6),
                        destination: AdvertExpectation.multicastGroupIPv6,
                        window: .microseconds(3_609_375) + .milliseconds(1500), accepted: true, logLine: nil)
        }(),
        v4("v3 unicast without pseudo-header (control)", version: .v3, vrid: 56, interval: .milliseconds(500),
           unicast: true, vips: ["198.51.100.45"], omitPseudo: true, accepted: false, logLine: "Invalid VRRPv3 checksum"),
        v4("v2 wrong password (control)", version: .v2, vrid: 57, interval: .seconds(1), unicast: false,
           auth: .password(Array("right".utf8)), sentAuth: .password(Array("wrong".utf8)),
           vips: ["198.51.100.46"], accepted: false, logLine: nil),
    ]

    @Test(arguments: cases)
    func keepalivedTakesOurAdverts(_ c: Case) throws {
        let lan = try InteropLAN(tag: String(c.packet.vrid))
        defer { lan.tearDown() }
        let payload = c.packet.encoded(coverage: c.coverage)
        let datagram: [UInt8] = c.family == .inet
            ? IPv4Header.vrrp(source: Self.us, destination: c.destination, payloadLength: payload.count,
                              identification: 1).encoded() + payload
            : payload
        let log = try lan.runKeepalived(instance: c.instance)
        try lan.waitFor(log, "Entering BACKUP STATE", within: .seconds(10))
        try lan.send(datagram, family: c.family, destination: c.destination, for: c.window)
        let text = try lan.stopKeepalived(log)
        if c.accepted {
            #expect(!text.contains("Entering MASTER STATE"), "keepalived took over: \(text)")
            for reason in ["Invalid", "invalid", "mismatch", "wrong", "unexpected", "not present"] {
                #expect(!text.contains(reason), "keepalived rejected our advert: \(text)")
            }
        } else {
            #expect(text.contains("Entering MASTER STATE"), "keepalived accepted a bad advert: \(text)")
            if let line = c.logLine { #expect(text.contains(line), "\(text)") }
        }
    }
}

enum InteropEnvironment {
    static let available: Bool = geteuid() == 0
        && ["/usr/sbin/keepalived", "/usr/bin/python3", "/usr/sbin/ip", "/usr/bin/ip"].filter { FileManager.default.isExecutableFile(atPath: $0) }.count >= 3
    static let reason: Comment = "needs root, keepalived, python3 and iproute2 (network namespaces)"
}

/// Three namespaces: `vw-<tag>-<pid>-sw` (bridge), `…-ka` (keepalived, 198.51.100.11) and
/// `…-us` (our sender, 198.51.100.12), removed by ``tearDown()``.
struct InteropLAN {
    let prefix: String
    let dir: URL
    var sw: String { prefix + "-sw" }
    var ka: String { prefix + "-ka" }
    var us: String { prefix + "-us" }

    init(tag: String) throws {
        prefix = "vw-\(tag)-\(getpid())"
        dir = FileManager.default.temporaryDirectory.appendingPathComponent(prefix)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        do {
            try build()
        } catch {
            tearDown()   // namespaces made before the failure
            throw error
        }
    }

    private func build() throws {
        try InteropLAN.sh("""
            set -e
            for n in \(sw) \(ka) \(us); do ip netns add $n; ip -n $n link set lo up; done
            ip -n \(sw) link add br0 type bridge; ip -n \(sw) link set br0 up
            for p in ka:\(ka):11 us:\(us):12; do
              IFS=: read short ns last <<<"$p"
              ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
              ip -n \(sw) link add $short-p type veth peer name eth0 netns $ns
              ip -n \(sw) link set $short-p master br0 up
              ip -n $ns link set eth0 address 02:00:00:00:00:$last
              ip -n $ns addr add 198.51.100.$last/24 dev eth0
              ip -n $ns link set eth0 up
            done
            """)
    }

    func tearDown() {
        _ = try? InteropLAN.sh("for n in \(sw) \(ka) \(us); do ip netns pids $n 2>/dev/null | xargs -r kill -9; ip netns del $n; done")
        try? FileManager.default.removeItem(at: dir)
    }

    /// Starts keepalived (VRRP only) in the ka namespace; returns its log file.
    func runKeepalived(instance: String) throws -> URL {
        let conf = dir.appendingPathComponent("ka.conf")
        try "vrrp_instance VI {\n    state BACKUP\n    \(instance)\n}\n".write(to: conf, atomically: true, encoding: .utf8)
        let log = dir.appendingPathComponent("ka.log")
        let d = dir.path
        // Close every inherited descriptor above 2 first: Foundation's Process watches one to
        // see bash exit, and a keepalived holding it would keep waitUntilExit waiting.
        try InteropLAN.sh("for fd in $(ls /proc/$$/fd); do [ $fd -gt 2 ] && eval \"exec $fd>&-\"; done; ip netns exec \(ka) keepalived -f \(conf.path) -n -l -D -P -p \(d)/ka.pid -r \(d)/vrrp.pid -c \(d)/c.pid >\(log.path) 2>&1 & echo $! >\(d)/parent.pid")
        return log
    }

    /// SIGTERM to keepalived, waits for it to exit, returns its log.
    func stopKeepalived(_ log: URL) throws -> String {
        try InteropLAN.sh("p=$(cat \(dir.path)/parent.pid); kill -TERM $p; for i in $(seq 100); do kill -0 $p 2>/dev/null || break; sleep 0.05; done")
        return try String(contentsOf: log, encoding: .utf8)
    }

    /// Polls `log` until it contains `text` or the deadline passes.
    func waitFor(_ log: URL, _ text: String, within limit: Duration) throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let s = try? String(contentsOf: log, encoding: .utf8), s.contains(text) { return }
            try InteropLAN.sh("sleep 0.05")
        }
        let s = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        throw InteropError(message: "keepalived never logged \"\(text)\": \(s)")
    }

    /// Sends `bytes` every 300 ms for `window` from the us namespace through a raw socket
    /// (IPv4: IP_HDRINCL, the bytes include our IP header; IPv6: the VRRP message, hop limit
    /// 255, from fe80::ff:fe00:12).
    func send(_ bytes: [UInt8], family: AddressFamily, destination: IPAddress, for window: Duration) throws {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        let py = family == .inet ? """
            import socket, time, sys
            s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
            data = bytes.fromhex("\(hex)")
            end = time.monotonic() + \(seconds)
            while time.monotonic() < end:
                s.sendto(data, ("\(destination)", 0)); time.sleep(0.3)
            """ : """
            import socket, time
            idx = socket.if_nametoindex("eth0")
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 112)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, idx)
            s.bind(("fe80::ff:fe00:12", 0, 0, idx))
            data = bytes.fromhex("\(hex)")
            end = time.monotonic() + \(seconds)
            while time.monotonic() < end:
                s.sendto(data, ("\(destination)", 0, 0, idx)); time.sleep(0.3)
            """
        let script = dir.appendingPathComponent("send.py")
        try py.write(to: script, atomically: true, encoding: .utf8)
        try InteropLAN.sh("ip netns exec \(us) python3 \(script.path)")
    }

    @discardableResult
    static func sh(_ command: String) throws -> String {
        // Output goes to a file, not a pipe: keepalived, started in the background, would
        // inherit the pipe and keep it open, so reading to its end would never finish.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("vw-sh-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outURL) }
        let out = try FileHandle(forWritingTo: outURL)
        defer { try? out.close() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = ["-c", command]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = out
        p.standardError = out
        try p.run()
        p.waitUntilExit()
        let text = (try? String(contentsOf: outURL, encoding: .utf8)) ?? ""
        guard p.terminationStatus == 0 else {
            throw InteropError(message: "`\(command.prefix(200))` exited \(p.terminationStatus): \(text)")
        }
        return text
    }
}

struct InteropError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
