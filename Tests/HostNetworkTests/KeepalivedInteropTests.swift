import Foundation
import Testing
@testable import HostNetwork
import NetworkModel

/// The sockets against Debian's keepalived 2.2.7 in a node namespace: its adverts and GARPs
/// as our sockets see them, and our adverts as keepalived judges them.
@Suite(.enabled(if: TestEnvironment.canUseNamespaces && FileManager.default.isExecutableFile(atPath: "/usr/sbin/keepalived"),
                "needs root, network namespaces and keepalived"),
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump"), "needs tcpdump"))
struct KeepalivedInteropTests {
    let vip = IPAddress.v4(198, 51, 100, 39)
    let group = IPAddress.v4(224, 0, 0, 18)

    func config(state: String, priority: Int, ipv6: Bool = false) -> String {
        if ipv6 {
            return """
            global_defs { router_id hn-test }
            vrrp_instance VI_6 {
              state \(state)
              interface eth0
              virtual_router_id 52
              priority \(priority)
              advert_int 1
              virtual_ipaddress { 2001:db8::39/64 }
            }
            """
        }
        return configV4(state: state, priority: priority)
    }

    func configV4(state: String, priority: Int) -> String {
        return """
        global_defs { router_id hn-test }
        vrrp_instance VI_1 {
          state \(state)
          interface eth0
          virtual_router_id 51
          priority \(priority)
          advert_int 1
          authentication {
            auth_type PASS
            auth_pass s3cret
          }
          virtual_ipaddress { 198.51.100.39/24 }
        }
        """
    }

    @Test func keepalivedAdvertsAndGARPsMatchOurSocketsAndFrames() throws {
        try Topology.with(nodes: 2) { t in
            let eth0A = try t.eth0(0), eth0B = try t.eth0(1)
            let inB = try NetworkNamespace.run(in: t.nodes[1]) { () throws(HostNetworkError) in
                try VRRPReceiveSocket(family: .inet, interface: eth0B)
            }
            let capture = try TCPDump(namespace: t.bridge, interface: "br0", filter: ["-xx", "arp"])
            let keepalived = try Keepalived(namespace: t.nodes[0], config: config(state: "MASTER", priority: 255))
            defer { keepalived.stop() }

            // The owner's first advert, as our receive socket reports it.
            var advert: VRRPDatagram?
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while advert == nil, clock.now < deadline, waitReadable(inB.fileDescriptor, timeout: deadline - clock.now) {
                advert = try inB.receive().first
            }
            let d = try #require(advert, "no advert from keepalived; its log:\n\(keepalived.log)")
            #expect(d.source == t.ipv4(0) && d.destination == group && d.hopLimit == 255)
            #expect(d.bytes.count == 20 + 20)
            #expect(Array(d.bytes[20..<23]) == [0x21, 51, 255])
            #expect(Array(d.bytes[28..<32]) == vip.bytes)
            #expect(d.bytes[1] == 0xc0)   // keepalived's TOS, as ipv4Header writes it

            // keepalived's gratuitous ARP, byte for byte what GratuitousARPSender builds.
            let dump = try #require(try capture.firstLine(timeout: .seconds(10)), "no ARP from keepalived")
            let frame = TCPDump.hexBytes(dump)
            #expect(frame == GratuitousARPSender.frame(mac: try #require(eth0A.macAddress), address: vip))
        }
    }

    @Test func keepalivedIPv6AdvertsAndNAMatchOurSocketsAndFrames() throws {
        try Topology.with(nodes: 2) { t in
            let vip6 = try #require(IPAddress("2001:db8::39"))
            let eth0A = try t.eth0(0), eth0B = try t.eth0(1)
            let linkLocalA = try #require(try t.route(0).sourceAddress(interfaceIndex: eth0A.index, family: .inet6))
            let inB = try NetworkNamespace.run(in: t.nodes[1]) { () throws(HostNetworkError) in
                try VRRPReceiveSocket(family: .inet6, interface: eth0B)
            }
            let capture = try TCPDump(namespace: t.bridge, interface: "br0", filter: ["-xx", "icmp6 and ip6[40] == 136"])
            let keepalived = try Keepalived(namespace: t.nodes[0], config: config(state: "MASTER", priority: 255, ipv6: true))
            defer { keepalived.stop() }

            var advert: VRRPDatagram?
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(10)
            while advert == nil, clock.now < deadline, waitReadable(inB.fileDescriptor, timeout: deadline - clock.now) {
                advert = try inB.receive().first
            }
            let d = try #require(advert, "no IPv6 advert from keepalived; its log:\n\(keepalived.log)")
            #expect(d.source == linkLocalA && d.destination == IPAddress("ff02::12") && d.hopLimit == 255)
            #expect(d.bytes.count == 8 + 16)
            #expect(Array(d.bytes[0..<3]) == [0x31, 52, 255])
            #expect(Array(d.bytes[8...]) == vip6.bytes)

            // keepalived's unsolicited NA, byte for byte what NeighborAdvertisementSender builds.
            let dump = try #require(try capture.firstLine(timeout: .seconds(10)), "no NA from keepalived")
            #expect(TCPDump.hexBytes(dump) == NeighborAdvertisementSender.frame(mac: try #require(eth0A.macAddress), address: vip6, router: false))
        }
    }

    @Test func keepalivedAcceptsOurAdvertAndStepsDown() throws {
        try Topology.with(nodes: 2) { t in
            let eth0A = try t.eth0(0)
            let keepalived = try Keepalived(namespace: t.nodes[1], config: config(state: "MASTER", priority: 100))
            defer { keepalived.stop() }
            #expect(eventually(timeout: .seconds(10)) { keepalived.log.contains("(VI_1) Entering MASTER STATE") },
                    "keepalived never became master; its log:\n\(keepalived.log)")

            let fromA = try NetworkNamespace.run(in: t.nodes[0]) { () throws(HostNetworkError) in
                try VRRPSendSocket(family: .inet, interface: eth0A, unicast: false)
            }
            // VRRPv2, VRID 51, priority 200, one address, auth PASS "s3cret", interval 1 s.
            var message: [UInt8] = [0x21, 51, 200, 1, 1, 1, 0, 0] + vip.bytes + Array("s3cret".utf8) + [0, 0]
            let sum = InternetChecksum.of(message)
            message[6] = UInt8(sum >> 8)
            message[7] = UInt8(sum & 0xff)
            try fromA.sendAdvertisement(message, from: t.ipv4(0), to: group)
            // Every instance starts in BACKUP: look only at what follows becoming master.
            let yielded = eventually(timeout: .seconds(5)) {
                keepalived.log.components(separatedBy: "(VI_1) Entering MASTER STATE").dropFirst().joined().contains("(VI_1) Entering BACKUP STATE")
            }
            #expect(yielded, "keepalived did not yield to our priority-200 advert; its log:\n\(keepalived.log)")
            #expect(keepalived.log.contains("higher priority 200"))
        }
    }
}

/// Debian's keepalived in a namespace (`-s`), foreground, logging to a file; stopped by pid.
final class Keepalived: @unchecked Sendable {
    private let process = Process()
    private let directory: URL
    private let logURL: URL

    init(namespace: String, config: String) throws {
        directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hn-keepalived-\(namespace)")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let conf = directory.appendingPathComponent("keepalived.conf")
        try config.write(to: conf, atomically: true, encoding: .utf8)
        logURL = directory.appendingPathComponent("log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/keepalived")
        process.arguments = ["-s", namespace, "-n", "-l", "-D", "-P", "-R", "-f", conf.path,
                             "-p", directory.appendingPathComponent("keepalived.pid").path,
                             "-r", directory.appendingPathComponent("vrrp.pid").path]
        let handle = try FileHandle(forWritingTo: logURL)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }
}

extension TCPDump {
    /// The bytes of tcpdump's `-xx` hex lines (`0x0000:  ffff ffff ...`).
    static func hexBytes(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("0x"), let colon = trimmed.firstIndex(of: ":") else { continue }
            for group in trimmed[trimmed.index(after: colon)...].split(separator: " ") {
                var i = group.startIndex
                while let j = group.index(i, offsetBy: 2, limitedBy: group.endIndex), i < group.endIndex {
                    if let b = UInt8(group[i..<j], radix: 16) { bytes.append(b) }
                    i = j
                }
            }
        }
        return bytes
    }
}
